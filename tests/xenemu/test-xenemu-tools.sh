#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# xenemu-xenstored as a daemon, xenemu-ctl, and Debian's xenstore-utils
# (xenstore-read/write/ls/chmod/rm/watch) against it; prints TAP.
set -u

bin=${top_builddir:-.}/tests/xenemu
work=$(mktemp -d /tmp/xenemu-sh-XXXXXX)
emu=$work/emu
pid=
n=0
failed=0

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; failed=1; }
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	desc=$1
	shift
	if "$@" >"$work/out" 2>&1; then ok "$desc"; else not_ok "$desc"; sed 's/^/# /' "$work/out"; fi
}
# check_fails DESCRIPTION COMMAND...: ok when the command fails.
check_fails() {
	desc=$1
	shift
	if "$@" >"$work/out" 2>&1; then not_ok "$desc"; else ok "$desc"; fi
}
as_dom0() { XENSTORED_PATH=$emu/xenstored.sock "$@"; }
as_dom5() { XENSTORED_PATH=$emu/dom5/xenstore.sock "$@"; }
ctl() { "$bin/xenemu-ctl" --dir "$emu" "$@"; }
# output_is TEXT: what the last command saved in $work/got.
output_is() { [ "$(cat "$work/got")" = "$1" ]; }

check "xenstored --daemon returns once it serves" \
	"$bin/xenemu-xenstored" --dir "$emu" --pid-file "$work/pid" --trace "$work/trace" --daemon
pid=$(cat "$work/pid" 2>/dev/null)
check "pid file names a live process, socket exists" \
	sh -c "kill -0 '$pid' && test -S '$emu/xenstored.sock'"
check_fails "a second instance on the same directory is refused" \
	"$bin/xenemu-xenstored" --dir "$emu"

check "create-domain 0 (xen-init-dom0's nodes)" ctl create-domain 0
check "create-domain 5 guest" ctl create-domain 5 guest
check "domain 5's xenstore socket appears" test -S "$emu/dom5/xenstore.sock"
check "xenstore-write + xenstore-read as dom0" \
	sh -c "XENSTORED_PATH='$emu/xenstored.sock' xenstore-write /tool/x 42 &&
	       test \"\$(XENSTORED_PATH='$emu/xenstored.sock' xenstore-read /tool/x)\" = 42"
as_dom0 xenstore-ls -p /local/domain/5 >"$work/got" 2>&1
check "xenstore-ls -p shows libxl's permissions" grep -q '^name = "guest".*(n0,r5)$' "$work/got"
as_dom5 xenstore-read name >"$work/got" 2>&1
check "a domU reads its own name through its socket (relative path)" output_is guest
check_fails "a domU may not read dom0's nodes" as_dom5 xenstore-read /local/domain/0/name
check_fails "a domU may not write its own name" as_dom5 xenstore-write name evil
check "a domU writes under its device/ dir" as_dom5 xenstore-write device/vfoo/0/state 1
check "xenstore-chmod by dom0 grants domain 5 read" \
	sh -c "XENSTORED_PATH='$emu/xenstored.sock' xenstore-write /local/domain/0/shared yes &&
	       XENSTORED_PATH='$emu/xenstored.sock' xenstore-chmod /local/domain/0/shared n0 r5"
as_dom5 xenstore-read /local/domain/0/shared >"$work/got" 2>&1
check "... and then domain 5 reads it" output_is yes

# A watch: the initial event, then the write.
as_dom0 timeout 10 xenstore-watch -n 2 /local/domain/5/data >"$work/watch" 2>&1 &
watcher=$!
# Write once the watch is registered (the trace says so).
for _ in $(seq 100); do
	grep -q '^OUT 0x[0-9a-f]* WATCH (OK )$' "$work/trace" && break
	sleep 0.1
done
as_dom5 xenstore-write data/x 1
wait "$watcher"
check "xenstore-watch sees the initial event and a domU's write" \
	sh -c "printf '%s\n' /local/domain/5/data /local/domain/5/data/x | cmp -s - '$work/watch'"

check "xenstore-rm" as_dom0 xenstore-rm /local/domain/0/shared
check_fails "... the node is gone" as_dom0 xenstore-read /local/domain/0/shared
check "list-ports 5 (none yet)" sh -c "test -z \"\$('$bin/xenemu-ctl' --dir '$emu' list-ports 5)\""
check "list-grants 5 (none yet)" sh -c "test -z \"\$('$bin/xenemu-ctl' --dir '$emu' list-grants 5)\""
check "list-mappings of this shell (none)" sh -c "test -z \"\$('$bin/xenemu-ctl' --dir '$emu' list-mappings $$)\""
check_fails "list-mappings of no such process fails" ctl list-mappings 999999999

check "destroy-domain 5" ctl destroy-domain 5
check "... its socket and state are gone" sh -c "! test -e '$emu/dom5'"
check_fails "... and /local/domain/5 too" as_dom0 xenstore-exists /local/domain/5
check_fails "destroying it again fails" ctl destroy-domain 5

check "the trace has requests and replies" \
	grep -qE '^IN 0x[0-9a-f]+ INTRODUCE \(5 [0-9]+ 1 \)$' "$work/trace"
check "the trace has connections" grep -qE '^CREATE connection 0x[0-9a-f]+ dom5$' "$work/trace"

check "create-domain 6 (left for the shutdown)" ctl create-domain 6
kill -TERM "$pid"
for _ in $(seq 50); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
check_fails "SIGTERM stops the daemon" kill -0 "$pid"
pid=
check "... which removed its sockets and pid file" \
	sh -c "! test -e '$emu/xenstored.sock' && ! test -e '$emu/dom6/xenstore.sock' && ! test -e '$work/pid'"

echo "1..$n"
exit $failed
