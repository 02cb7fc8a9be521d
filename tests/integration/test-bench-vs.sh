#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/bench-vs in a quick run (TAP): xen9pd, diod and the ceiling all
# answer the pipelined client, and both tables are complete: every workload,
# every server's rate, CPU time and latencies above zero, both ratios.
set -u
top_builddir=${top_builddir:-$(pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v diod > /dev/null; then
    echo "1..0 # SKIP diod not installed (scripts/setup installs diod)"
    exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0 failed=0
check() {
    n=$((n + 1))
    if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}

"$top_srcdir/scripts/bench-vs" "$top_builddir" --seconds 0.3 --rounds 1 > "$out" 2>&1
rc=$?
sed 's/^/# /' "$out"
check "$([ $rc -eq 0 ] && echo ok)" "bench-vs exits 0 (every server answered)"

for depth in "one request" "16 requests"; do
    # the table's rows: from its heading to the next blank line after the rows
    rows=$(awk -v h="## $depth in flight" 'index($0, h) == 1 { on = 1; next }
                                           on && /^\| [a-z]/ && !/^\| workload/ { print }
                                           on && /^## / { exit }' "$out")
    for w in getattr walk+clunk "read 4K" "write 4K" "read 512K"; do
        row=$(printf '%s\n' "$rows" | grep -F "| $w |")
        # 11 cells after the name: 3 rates, 2 ratios, 3 CPU times, 3 p50/p99
        bad=$(printf '%s\n' "$row" | awk -F' [|] ' '
            { sub(/^[|] /, ""); sub(/ [|]$/, "") }
            NF != 12 { print "cells: " NF; exit }
            { for (i = 2; i <= 9; i++)
                  if (!($i ~ /^[0-9.]+$/ && $i + 0 > 0)) print "cell " i ": " $i
              for (i = 10; i <= 12; i++) { split($i, l, "/")
                  if (!(l[1] + 0 > 0 && l[2] + 0 >= l[1] + 0)) print "latency " i ": " $i } }' |
              paste -sd ';' -)
        [ -n "$row" ] || bad="no row"
        check "$([ -z "$bad" ] && echo ok)" \
              "$depth in flight, $w: every server, ratios, CPU, p50/p99${bad:+ ($bad)}"
    done
done
echo "1..$n"
exit $((failed > 0))
