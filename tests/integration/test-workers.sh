#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# xen9pd --listen: every connection is served by its own confined worker
# (docs/design.md "Processes").  Two clients at once: while one reads a
# 16 MiB file over and over with diodcat (a new connection, a new worker,
# each time) and checks every copy, the other connection's worker is killed
# with SIGSEGV.  The reader sees no error, the log names the dead worker and
# its signal, the killed client's socket is closed, and new connections are
# served.  Also: each worker is a child of xen9pd in namespaces of its own,
# with a seccomp filter, and the supervisor has none of those.
# Needs: diod (diodcat), bash (/dev/tcp).

set -u
top_builddir=${top_builddir:-$(pwd)}
XEN9PD=$top_builddir/xen9pd

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

if ! command -v diodcat > /dev/null; then
    echo "1..0 # SKIP diodcat not installed (scripts/setup installs diod)"
    exit 0
fi
tmp=$(mktemp -d /tmp/server-tests-workers-XXXXXX) || exit 1
pid= reader=
cleanup() {
    [ -n "$reader" ] && kill -KILL "$reader" 2>/dev/null
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/export"
head -c $((16 << 20)) /dev/urandom > "$tmp/export/big"
want=$(md5sum < "$tmp/export/big")
port=$(( 20000 + ($$ + 7) % 20000 ))

"$XEN9PD" --listen "tcp:127.0.0.1:$port" --export "$tmp/export" --foreground --verbose \
    --pid-file "$tmp/pid" > "$tmp/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/pid" ] && break; sleep 0.1; done
check "xen9pd started" test -s "$tmp/pid"

children() { cat /proc/"$pid"/task/*/children 2> /dev/null | tr ' ' '\n' | grep .; }
# The victim: a connection held open, its worker the only child so far.
exec {victim}<>"/dev/tcp/127.0.0.1/$port"
for _ in $(seq 50); do [ -n "$(children)" ] && break; sleep 0.1; done
w=$(children | head -1)
check "the connection has a worker of its own ($w)" test -n "$w"
field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
# It confines itself once it has its assignment: a moment after it appears.
confined() { for _ in $(seq 50); do [ "$(field "$w" Seccomp)" = 2 ] && return 0; sleep 0.1; done; return 1; }
confined
check "its worker has a seccomp filter and no_new_privs, xen9pd has neither" \
    test "$(field "$w" Seccomp)/$(field "$w" NoNewPrivs)/$(field "$pid" Seccomp)" = "2/1/0"
check "its worker has its own mount, pid and net namespaces" sh -c "
    for ns in mnt pid net; do
        [ \"\$(readlink /proc/$w/ns/\$ns)\" != \"\$(readlink /proc/$pid/ns/\$ns)\" ] || exit 1
    done"

# The reader: 12 whole copies, each over a new connection.
(
    for i in $(seq 12); do
        got=$(diodcat -s "127.0.0.1:$port" -a / big | md5sum)
        [ "$got" = "$want" ] || { echo "copy $i differs"; exit 1; }
    done
    echo "12 copies ok"
) > "$tmp/reader" 2>&1 &
reader=$!
sleep 1
kill -SEGV "$w"
if wait "$reader"; then
    ok "the other client's 12 copies of a 16 MiB file were all right ($(cat "$tmp/reader"))"
else
    not_ok "the other client's copies were all right"; sed 's/^/# /' "$tmp/reader"
fi
reader=
check "the log names the dead worker and its signal" \
    grep -q "worker $w killed by signal 11" "$tmp/log"
if timeout 5 cat <&"$victim" > /dev/null; then ok "the killed client's connection is closed"
else not_ok "the killed client's connection is closed"; fi
exec {victim}>&-
check "a new connection is served" sh -c "diodcat -s 127.0.0.1:$port -a / big | cmp -s - '$tmp/export/big'"
check "xen9pd still running" kill -0 "$pid"
exec {idle}<>"/dev/tcp/127.0.0.1/$port"
sleep 0.5
left=$(children)
kill -TERM "$pid"
wait "$pid"
check "xen9pd stops on SIGTERM with status 0" test $? = 0
pid=
gone() { for w in $left; do [ -d "/proc/$w" ] && return 1; done; return 0; }
check "its workers ($(echo $left)) ended with it" gone
exec {idle}>&-
echo "1..$n"
exit $((failed > 0))
