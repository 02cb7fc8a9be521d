#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The workload checked against itself, without a guest or a 9P server: the
# guest script runs under busybox sh on a local directory, host-verify.sh must
# agree with it, and must notice damage done behind its back.  Guards the
# scripts that tests/linux-guest and the Xen lab share.  Prints TAP.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
N=0
FAILED=0
tap() {  # tap ok|fail DESCRIPTION [DIAGNOSTIC]
    N=$((N + 1))
    if [ "$1" = ok ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAILED=$((FAILED + 1)); fi
    [ -n "${3:-}" ] && echo "$3" | sed 's/^/# /'
    return 0
}
command -v busybox > /dev/null || { echo "Bail out! busybox is missing (see scripts/deps.txt)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "Bail out! must run as root (host-prepare.sh sets owners)"; exit 1; }

W=$(mktemp -d /tmp/workload-selftest-XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/export" "$W/tmp"
# a local directory keeps set-ID bits, as diod does
export WL_TAG=self WL_BIG_MB=4 WL_PARALLEL=3 WL_PAR_MB=1 WL_DIR_MAKER=guest WL_SETID=kept
# xattrs only where the file system under /tmp takes user.* names
WL_XATTR=0
touch "$W/probe" && setfattr -n user.probe -v 1 "$W/probe" 2> /dev/null && WL_XATTR=1
export WL_XATTR

if "$HERE/host-prepare.sh" "$W/export" self > "$W/prepare.log" 2>&1; then
    tap ok "host-prepare.sh"
else
    tap fail "host-prepare.sh" "$(tail -5 "$W/prepare.log")"
fi
if TMPDIR=$W/tmp busybox sh "$HERE/guest-workload.sh" "$W/export" > "$W/guest.log" 2>&1; then
    tap ok "guest-workload.sh under busybox sh: $(grep '^@@WL end' "$W/guest.log")"
else
    tap fail "guest-workload.sh under busybox sh" "$(grep -v '^@@WL ok' "$W/guest.log")"
fi
if MODEL=passthrough "$HERE/host-verify.sh" "$W/export" self > "$W/verify.tap" 2>&1; then
    tap ok "host-verify.sh agrees ($(grep -c '^ok' "$W/verify.tap") checks)"
else
    tap fail "host-verify.sh agrees" "$(grep -v '^ok' "$W/verify.tap")"
fi

# Damage two things the guest made; exactly those two checks must fail.
G=$W/export/wl-self/guest
printf X | dd of="$G/big.bin" bs=1 seek=4096 conv=notrunc 2> /dev/null
rm -f "$G/d2k/$(ls "$G/d2k" | sed -n 7p)"
MODEL=passthrough "$HERE/host-verify.sh" "$W/export" self > "$W/verify2.tap" 2>&1
got=$(sed -n 's/^not ok [0-9]* - //p' "$W/verify2.tap" | tr '\n' ' ')
if [ "$got" = "self: big-write self: dir-2000 " ]; then
    tap ok "host-verify.sh notices a changed byte and a missing directory entry"
else
    tap fail "host-verify.sh notices a changed byte and a missing directory entry" "failed checks: '$got'"
fi

# The host-made directory (WL_DIR_MAKER=host, the Xen lab's setting): the guest
# lists what host-prepare.sh made, and notices an entry that is missing.
export WL_DIR_MAKER=host WL_TAG=host
"$HERE/host-prepare.sh" "$W/export" host > "$W/prepare-h.log" 2>&1
if TMPDIR=$W/tmp busybox sh "$HERE/guest-workload.sh" "$W/export" > "$W/guest-h.log" 2>&1 \
    && MODEL=passthrough "$HERE/host-verify.sh" "$W/export" host > "$W/verify-h.tap" 2>&1; then
    tap ok "WL_DIR_MAKER=host: the guest lists the host-made directory, host-verify.sh agrees"
else
    tap fail "WL_DIR_MAKER=host: the guest lists the host-made directory, host-verify.sh agrees" \
        "$(grep -v '^@@WL ok' "$W/guest-h.log"; grep -v '^ok' "$W/verify-h.tap")"
fi
"$HERE/host-prepare.sh" "$W/export" host > "$W/prepare-h.log" 2>&1
d2k=$W/export/wl-host/host/d2k
rm -f "$d2k/$(ls "$d2k" | sed -n 11p)"
TMPDIR=$W/tmp busybox sh "$HERE/guest-workload.sh" "$W/export" > "$W/guest-h2.log" 2>&1
got=$(sed -n 's/^@@WL fail \([^ ]*\) .*/\1/p' "$W/guest-h2.log" | tr '\n' ' ')
if [ "$got" = "host:dir-2000 " ]; then
    tap ok "WL_DIR_MAKER=host: the guest notices a missing entry"
else
    tap fail "WL_DIR_MAKER=host: the guest notices a missing entry" "failed checks: '$got'"
fi
echo "1..$N"
[ "$FAILED" = 0 ]
