#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# xen9pd --listen out of file descriptors (TAP): started with a small
# open-file limit (prlimit), it takes as many connections as its descriptor
# budget holds (docs/design.md "Limits"), refuses the rest at once without
# spinning (the audit saw accept() loop at 100 % CPU with 465k log lines in
# 3 s once descriptors ran out), logs that once, and takes connections again
# when earlier ones close.  Also: the pid file is 0644 and locked, the socket
# is not writable by other users (umask 022).
# Needs: util-linux (prlimit, flock), bash (/dev/tcp).

set -u
top_builddir=${top_builddir:-$(pwd)}
XEN9PD=$top_builddir/xen9pd
PROBE=$top_builddir/tests/integration/p9probe

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

tmp=$(mktemp -d /tmp/server-tests-fdlimit-XXXXXX) || exit 1
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/export"
echo hello > "$tmp/export/hello"
port=$(( 20000 + $$ % 20000 ))

# Limit 200: 136 for connections, 8 descriptors each in the supervisor (every
# connection's files are its worker's): 17 connections fit.
prlimit --nofile=200:200 "$XEN9PD" --listen "tcp:127.0.0.1:$port" --export "$tmp/export" \
    --foreground --verbose --pid-file "$tmp/pid" > "$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/pid" ] && break; sleep 0.1; done
check "xen9pd started with an open-file limit of 200" test -s "$tmp/pid"
check "pid file is mode 0644" test "$(stat -c %a "$tmp/pid")" = 644
check "pid file is locked while xen9pd runs" sh -c "! flock -n '$tmp/pid' true"
grep -q 'limit 200, 136 for devices and connections' "$tmp/log" && ok "xen9pd reports its descriptor budget" \
    || { not_ok "xen9pd reports its descriptor budget"; grep file "$tmp/log" | sed 's/^/# /'; }

# 30 connections, held open.
fds=()
for i in $(seq 30); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port" && fds+=("$fd")
done
sleep 1
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }   # utime + stime, in ticks
c0=$(cpu)
sleep 3
c1=$(cpu)
hz=$(getconf CLK_TCK)
check "no busy loop while connections are refused ($(( (c1 - c0) * 1000 / hz )) ms CPU in 3 s)" \
    test $(( (c1 - c0) * 1000 / hz )) -lt 300
refusals=$(grep -c 'connections are refused' "$tmp/log")
check "the refusals are logged once ($refusals line)" test "$refusals" -eq 1
# The server closed the connections it refused: reading them gives EOF at once.
closed=0
for fd in "${fds[@]}"; do
    if timeout 1 bash -c "cat <&$fd >/dev/null" 2>/dev/null; then closed=$((closed + 1)); fi
done
check "connections beyond the budget were closed ($closed of ${#fds[@]}), 17 kept" test "$closed" -eq 13
check "an 18th client is refused while 17 are held" sh -c "[ \"\$('$PROBE' tcp:127.0.0.1:$port cat hello 2>&1)\" != hello ]"
for fd in "${fds[@]}"; do exec {fd}>&-; done
sleep 1
check "once connections close, new ones are served" sh -c "[ \"\$('$PROBE' tcp:127.0.0.1:$port cat hello)\" = hello ]"
check "xen9pd still running" kill -0 "$pid"
kill -TERM "$pid"; wait "$pid"; pid=
check "xen9pd removed its pid file" test ! -e "$tmp/pid"
echo "1..$n"
[ "$failed" = 0 ]
