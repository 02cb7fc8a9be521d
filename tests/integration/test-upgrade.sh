#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Upgrades and restarts under a live 9P client (docs/operations.md), xen9pd
# --listen run as systemd runs it: under a service manager with a descriptor
# store (svc-standin).  One client connection holds open fids and has a read
# in progress while its worker is replaced 20 times (`xen9p upgrade`) and
# xen9pd is killed (SIGKILL) and restarted (SIGTERM): every read returns the
# same bytes, the connection and its worker survive the restarts, the
# listening socket too (new clients connect throughout).  An upgrade that
# cannot happen (a read blocked on a FIFO) fails, saying why, and leaves the
# old worker serving.  Stopping the service ends the workers.

set -u
top_builddir=${top_builddir:-$(pwd)}
. "$(dirname "$0")/../tap-lib.sh"
XEN9PD=$top_builddir/xen9pd
XEN9P=$top_builddir/xen9p
PROBE=$top_builddir/tests/integration/p9probe
STANDIN=$top_builddir/tests/integration/svc-standin
check() { local d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

tmp=$(mktemp -d /tmp/server-tests-upgrade-XXXXXX) || exit 1
manager= P_PID= F_PID=
cleanup() {
    for p in $P_PID $F_PID $manager; do kill -KILL "$p" 2> /dev/null; done
    [ -n "$manager" ] && wait "$manager" 2> /dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
mkdir "$tmp/export"
head -c $((3 << 20)) /dev/urandom > "$tmp/export/big"
want=$(md5sum < "$tmp/export/big" | cut -d' ' -f1)
sock=$tmp/s.sock ctl=$tmp/ctl.sock log=$tmp/svc.log

"$STANDIN" --log "$log" -- "$XEN9PD" --foreground --verbose --listen "unix:$sock" \
    --export "$tmp/export" --control "$ctl" > "$tmp/daemon.log" 2>&1 &
manager=$!
readies() { grep -c '^ready pid=' "$log" 2> /dev/null; }
daemon_pid() { sed -n 's/^started pid=\([0-9]*\).*/\1/p' "$log" | tail -1; }
wait_ready() { for _ in $(seq 200); do [ "$(readies)" -ge "$1" ] && return 0; sleep 0.05; done; return 1; }
check "xen9pd runs under the service manager and is ready" wait_ready 1

# The client: one connection, its file and root fids held for the whole test.
coproc P { "$PROBE" "unix:$sock" hold big; }
P_PID=${P_PID:-} p_in=${P[1]} p_out=${P[0]}
ask() { local answer=; echo "$1" >&"$p_in" && read -r -t 30 answer <&"$p_out"; echo "$answer"; }
reads_same() { [ "$(ask read)" = "ok $((3 << 20)) $want" ]; }
worker_of() { "$XEN9P" --control "$ctl" list 2> /dev/null | awk -v c="$1" '$1 == "connection" && $2 == c { print $4 }'; }
conn_worker() { worker_of conn1; }
check "the client reads the file through its held fid" reads_same
w0=$(conn_worker)
check "its connection has a worker ($w0)" test -n "$w0"

# A read in progress while the worker is replaced.
check "a read is in progress" test "$(ask start)" = "sent 32768"
"$XEN9P" --control "$ctl" upgrade > "$tmp/up.out" 2>&1
check "xen9p upgrade replaces the worker (exit 0)" grep -q "^conn1: upgraded, worker" "$tmp/up.out"
check "the read in progress completes after the upgrade" test "$(ask finish)" = "ok 65512"
check "the worker is a new process" test "$(conn_worker)" != "$w0"
fails=0
for i in $(seq 2 20); do
    "$XEN9P" --control "$ctl" upgrade > "$tmp/up.out" 2>&1 || { fails=$((fails + 1)); cat "$tmp/up.out" >&2; }
    reads_same || fails=$((fails + 1))
    if [ $((i % 5)) = 0 ]; then
        [ "$(ask stat)" = ok ] && [ "$(ask 'walk big')" = ok ] || fails=$((fails + 1))
    fi
done
check "19 more upgrades, each followed by a read of the same bytes" test "$fails" = 0
pauses=$(sed -n 's/.*handed over to a new worker (paused \([0-9.]*\) ms).*/\1/p' "$tmp/daemon.log" | sort -n | tail -1)
echo "# longest pause of the 20 hand-overs: $pauses ms"

# xen9pd killed, then restarted: the worker and its connection go on.
for how in SIGKILL SIGTERM; do
    w=$(conn_worker) before=$(readies) old=$(daemon_pid)
    ask start > /dev/null
    if [ $how = SIGKILL ]; then kill -USR2 "$manager"; else kill -USR1 "$manager"; fi
    check "after $how xen9pd is restarted and ready" wait_ready $((before + 1))
    check "after $how the new xen9pd ($(daemon_pid), was $old) took the worker back ($w)" \
        test "$(daemon_pid)" != "$old" -a "$(conn_worker)" = "$w"
    check "after $how the read in progress completes" test "$(ask finish)" = "ok 65512"
    check "after $how the held fid reads the same bytes" reads_same
    check "after $how a new client connects (the listening socket was kept)" \
        test "$("$PROBE" "unix:$sock" cat big | md5sum | cut -d' ' -f1)" = "$want"
done
check "the new xen9pd says it took the connection back" grep -q "conn1: taken back" "$tmp/daemon.log"
"$XEN9P" --control "$ctl" upgrade conn1 > "$tmp/up.out" 2>&1
check "a worker taken back is upgraded like any other" grep -q "^conn1: upgraded" "$tmp/up.out"
check "and reads the same bytes" reads_same

# A read blocked on a FIFO: the hand-over cannot wait for it.
mkfifo "$tmp/export/fifo"
exec {writer}<> "$tmp/export/fifo"
coproc F { "$PROBE" "unix:$sock" hold fifo; }
F_PID=${F_PID:-}
askf() { local answer=; echo "$1" >&"${F[1]}" && read -r -t 30 answer <&"${F[0]}"; echo "$answer"; }
check "a second client's read waits on a FIFO" test "$(askf start)" = "sent 32768"
fifo_conn=$("$XEN9P" --control "$ctl" list | awk '$1 == "connection" && $2 != "conn1" { print $2 }')
fifo_worker=$(worker_of "$fifo_conn")
"$XEN9P" --control "$ctl" upgrade all > "$tmp/up.out" 2>&1
rc=$?
cat "$tmp/up.out" | sed 's/^/# /' 
check "upgrade all fails (exit 1) for the blocked connection, saying why" \
    sh -c "[ $rc = 1 ] && grep -q '^xen9p: $fifo_conn: upgrade failed, its worker serves on: requests still in flight' '$tmp/up.out'"
check "the other connection was upgraded all the same" grep -q "^conn1: upgraded" "$tmp/up.out"
check "the blocked connection's worker ($fifo_worker) serves on" test -n "$fifo_worker" -a "$(worker_of "$fifo_conn")" = "$fifo_worker"
printf x >&"$writer"
check "its read completes once the FIFO has a byte" test "$(askf finish)" = "ok 1"
check "then its upgrade succeeds" sh -c "'$XEN9P' --control '$ctl' upgrade $fifo_conn | grep -q upgraded"
exec {writer}>&-

# systemctl stop: the store is released, the workers end with it.
kill -TERM "$manager"
wait "$manager"
check "the service manager stopped cleanly" test $? = 0
check "the workers ended with the store (none left)" sh -c "grep -q '^released' '$log' && ! grep -q children-left '$log'"
closed() { case "$(ask read)" in error*|'') return 0;; *) return 1;; esac; }
check "the client sees its connection closed" closed
manager=
tap_end
