#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The codec and server unit tests again under valgrind (TAP): no read past a
# message, no use after free, no leak.  (test-server-flush is left out: its
# timing assumptions do not hold under valgrind's slowdown.)  The fuzz build
# runs the same tests under ASan (tests/fuzz/run-fuzz.sh).

set -u
top_builddir=${top_builddir:-$(pwd)}
programs="test-codec test-server test-server-dotl test-server-dotu test-server-guest"

if ! command -v valgrind >/dev/null 2>&1; then
    echo "1..1"
    echo "not ok 1 - valgrind is missing (scripts/deps.txt)"
    exit 1
fi
tmp=$(mktemp -d /tmp/server-tests-valgrind-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..$(echo $programs | wc -w)"
n=0
failed=0
for p in $programs; do
    n=$((n + 1))
    log=$tmp/$p.log
    # Leaks: only definite ones count (the interrupter thread lives until exit).
    if valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
            "$top_builddir/tests/unit/$p" >"$log" 2>&1; then
        echo "ok $n - $p under valgrind"
    else
        failed=$((failed + 1))
        echo "not ok $n - $p under valgrind"
        grep -E "==[0-9]+==|^not ok|Bail" "$log" | head -60 | sed 's/^/# /'
    fi
done
[ "$failed" -eq 0 ]
