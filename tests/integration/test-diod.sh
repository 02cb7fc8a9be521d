#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Real 9P clients against xen9pd's socket listener (TAP):
#  - Debian's diod tools (diodls, diodcat, diodload) over TCP on loopback:
#    listings, files of several sizes (checksums), subdirectories, errors,
#    symlinks out of the export, load with several threads, SIGTERM;
#  - the unix listener with p9probe (diod's tools only speak TCP).
# Needs: diod (scripts/deps.txt).

set -u

top_builddir=${top_builddir:-$(pwd)}
XEN9PD=$top_builddir/xen9pd
PROBE=$top_builddir/tests/integration/p9probe

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds
check() {
    desc=$1
    shift
    if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
diag() { echo "# $*"; }

tmp=$(mktemp -d /tmp/server-tests-diod-XXXXXX) || exit 1
export_dir=$tmp/export
log=$tmp/xen9pd.log
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PATH=$PATH:/usr/sbin
for tool in diodls diodcat diodload; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "1..1"
        echo "not ok 1 - $tool is missing (install the diod package, scripts/deps.txt)"
        exit 1
    fi
done
DIODLS=$(command -v diodls)
DIODCAT=$(command -v diodcat)
DIODLOAD=$(command -v diodload)

# ---- the export ----------------------------------------------------------
mkdir -p "$export_dir/sub/a/b/c"
: >"$export_dir/empty"
printf x >"$export_dir/one"
head -c 4095 /dev/urandom >"$export_dir/page-1"
head -c 4096 /dev/urandom >"$export_dir/page"
head -c 65536 /dev/urandom >"$export_dir/msize"
head -c 1234567 /dev/urandom >"$export_dir/sub/large"
echo "deep file" >"$export_dir/sub/a/b/c/deep"
echo "the secret outside the export" >"$tmp/secret"
ln -s "$tmp/secret" "$export_dir/escape"
ln -s ../../.. "$export_dir/sub/up"
ln -s /etc "$export_dir/sub/etc"
# diodload reads "zero" and writes "null" at offset 0, msize bytes each time.
head -c 131072 /dev/zero >"$export_dir/zero"
: >"$export_dir/null"

# start_daemon SPEC: starts xen9pd on SPEC, waits until it serves.
start_daemon() {
    : >"$log"
    "$XEN9PD" --listen "$1" --export "$export_dir" --foreground >"$log" 2>&1 &
    pid=$!
    i=0
    while [ $i -lt 100 ]; do
        grep -q "serving" "$log" && return 0
        kill -0 "$pid" 2>/dev/null || { wait "$pid"; pid=; return 1; }
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

# stop_daemon: SIGTERM, then it must exit 0 within 5 s.
stop_daemon() {
    kill -TERM "$pid" || return 1
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        diag "xen9pd still running 5 s after SIGTERM"
        return 1
    fi
    wait "$pid"
    rc=$?
    pid=
    [ "$rc" -eq 0 ] || { diag "xen9pd exited $rc"; return 1; }
}

md5() { md5sum | cut -d' ' -f1; }

# Every client call is bounded: a server that stops answering fails the test
# instead of hanging it.
diodls() { timeout 30 "$DIODLS" "$@"; }
diodcat() { timeout 30 "$DIODCAT" "$@"; }
diodload() { timeout 60 "$DIODLOAD" "$@"; }
probe() { timeout 30 "$PROBE" "$@"; }

# ---- TCP, diod's tools -----------------------------------------------------
port=
try=0
while [ $try -lt 10 ]; do
    candidate=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
    if start_daemon "tcp:127.0.0.1:$candidate"; then
        port=$candidate
        break
    fi
    try=$((try + 1))
done
if [ -z "$port" ]; then
    not_ok "xen9pd serves on a free loopback port"
    sed 's/^/# /' "$log"
    echo "1..$n"
    exit 1
fi
ok "xen9pd serves tcp:127.0.0.1:$port"
server=127.0.0.1:$port

# diodls -l: every name, with its size in the fifth column.
listing=$tmp/listing
if diodls -s "$server" -l / >"$listing" 2>"$tmp/err"; then
    missing=
    for f in empty one page-1 page msize zero null sub escape; do
        size=$(stat -c %s "$export_dir/$f")
        [ -L "$export_dir/$f" ] && size=$(readlink "$export_dir/$f" | tr -d '\n' | wc -c)
        awk -v f="$f" -v s="$size" '$NF == f && ($5 == s || $0 ~ /^d/) { found = 1 } END { exit !found }' \
            "$listing" || missing="$missing $f"
    done
    if [ -z "$missing" ]; then ok "diodls -l / lists every file with its size"
    else not_ok "diodls -l / lists every file with its size (wrong:$missing)"; sed 's/^/# /' "$listing"; fi
else
    not_ok "diodls -l / lists every file with its size"
    sed 's/^/# /' "$tmp/err"
fi

if diodls -s "$server" sub/a/b >"$listing" 2>&1 && grep -qx "c" "$listing"; then
    ok "diodls walks into sub/a/b"
else
    not_ok "diodls walks into sub/a/b"
    sed 's/^/# /' "$listing"
fi

for f in empty one page-1 page msize sub/large sub/a/b/c/deep; do
    want=$(md5 <"$export_dir/$f")
    got=$(diodcat -s "$server" "$f" 2>"$tmp/err" | md5)
    if [ "$got" = "$want" ]; then ok "diodcat $f: checksum matches"
    else not_ok "diodcat $f: checksum matches"; sed 's/^/# /' "$tmp/err"; fi
done
# A small msize: many reads per file.
got=$(diodcat -s "$server" -m 4096 sub/large 2>"$tmp/err" | md5)
check "diodcat -m 4096 sub/large: checksum matches" [ "$got" = "$(md5 <"$export_dir/sub/large")" ]

if diodcat -s "$server" no/such/file >"$tmp/out" 2>"$tmp/err"; then
    not_ok "diodcat of a missing file fails"
else
    check "diodcat of a missing file fails with ENOENT" grep -q "No such file" "$tmp/err"
fi

# Nothing outside the export, by symlink or by "..".
for f in escape sub/up/secret sub/etc/passwd ../secret sub/../../secret; do
    if diodcat -s "$server" "$f" >"$tmp/out" 2>"$tmp/err"; then
        not_ok "diodcat $f fails (outside the export)"
    elif grep -q "secret outside\|^root:" "$tmp/out"; then
        not_ok "diodcat $f reveals nothing outside the export"
    else
        ok "diodcat $f fails and reveals nothing outside the export"
    fi
done

# diodload: several threads, both modes, no errors.
for mode in getattr io; do
    flag=
    [ "$mode" = getattr ] && flag=-g
    if diodload -s "$server" -n 4 -r 2 $flag >"$tmp/out" 2>"$tmp/err"; then
        # Its only output is the summary line; any other line is an error.
        ops=$(sed -n 's/.*: \([0-9][0-9]*\) ops\/s.*/\1/p' "$tmp/err" "$tmp/out")
        others=$(grep -cv "ops/s" "$tmp/err")
        if [ -n "$ops" ] && [ "$ops" -gt 0 ] && [ "$others" -eq 0 ]; then
            ok "diodload $mode, 4 threads, 2 s: $ops ops/s, no errors"
        else
            not_ok "diodload $mode, 4 threads, 2 s: no errors"
            sed 's/^/# /' "$tmp/err"
        fi
    else
        not_ok "diodload $mode exits 0"
        sed 's/^/# /' "$tmp/err"
    fi
done
check "diodload wrote through the server (null is not empty)" test -s "$export_dir/null"

# Still serving after the load.
got=$(diodcat -s "$server" sub/a/b/c/deep 2>/dev/null)
check "xen9pd still serves after the load" [ "$got" = "deep file" ]
check "SIGTERM: xen9pd exits 0 within 5 s" stop_daemon

# ---- the unix listener, p9probe ---------------------------------------------
sock=$tmp/xen9pd.sock
if start_daemon "unix:$sock"; then
    ok "xen9pd serves unix:$sock"
    got=$(probe "unix:$sock" cat sub/large 2>"$tmp/err" | md5)
    check "p9probe cat sub/large over the unix socket: checksum matches" \
        [ "$got" = "$(md5 <"$export_dir/sub/large")" ]
    probe "unix:$sock" ls sub >"$tmp/out" 2>"$tmp/err"
    check "p9probe ls sub over the unix socket" \
        sh -c "[ \"\$(sort '$tmp/out' | tr '\n' ' ')\" = 'a etc large up ' ]"
    if probe "unix:$sock" cat escape >"$tmp/out" 2>"$tmp/err"; then
        not_ok "p9probe cat escape fails (symlink out of the export)"
    else
        check "p9probe cat escape fails with ELOOP and reveals nothing" \
            sh -c "grep -q 'symbolic links' '$tmp/err' && ! grep -q secret '$tmp/out'"
    fi
    if probe "unix:$sock" cat missing >/dev/null 2>"$tmp/err"; then
        not_ok "p9probe cat of a missing file fails"
    else
        check "p9probe cat of a missing file fails with ENOENT" grep -q "No such file" "$tmp/err"
    fi
    check "SIGTERM: xen9pd (unix) exits 0 within 5 s" stop_daemon
    check "the unix socket is removed at exit" [ ! -e "$sock" ]
else
    not_ok "xen9pd serves unix:$sock"
    sed 's/^/# /' "$log"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
