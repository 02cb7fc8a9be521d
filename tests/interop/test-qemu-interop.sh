#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make check: one export, two servers.  For each mapped model (mapped-xattr,
# mapped-file) a Linux guest under QEMU with `-virtfs` (Debian's QEMU, virtio
# transport) builds a tree of owners, modes, set-id bits, symlinks, a FIFO and
# device nodes; a second boot reads it through xen9pd (socket transport) and
# must see the same stat results and link targets, then builds a tree of its
# own that a third boot, under QEMU again, must see alike.  Both servers run as
# the same unprivileged account, which owns the exports (docs/security.md
# "Mapped models").  TAP.
#   XEN9PD (default $top_builddir/xen9pd), INTEROP_UID (default 65534), KEEP=1
#   ARTIFACTS (consoles and logs; default $top_builddir/tests/interop/artifacts)
set -u
export LC_ALL=C
SRC=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${top_builddir:-$PWD}
XEN9PD=${XEN9PD:-$BUILD/xen9pd}
ARTIFACTS=${ARTIFACTS:-$BUILD/tests/interop/artifacts}
OWNER=${INTEROP_UID:-65534}
MODELS="mapped-xattr mapped-file"
declare -A TAG=([mapped-xattr]=mx [mapped-file]=mf) PORT=([mapped-xattr]=5640 [mapped-file]=5641)

. "$SRC/tests/vm-tests.sh"
. "$SRC/tests/tap-lib.sh"

[ "$(id -u)" = 0 ] || bail "must run as root (it gives the exports to an unprivileged account)"
for t in qemu-system-x86_64 setpriv cpio gzip getfattr timeout; do
    command -v "$t" > /dev/null || bail "$t is missing (see scripts/deps.txt)"
done
[ -x "$XEN9PD" ] || bail "no xen9pd at $XEN9PD"
IMAGE=$("$SRC/tests/linux-guest/build-image.sh") || bail "the guest image could not be built"
mkdir -p "$ARTIFACTS" || bail "cannot create $ARTIFACTS"
W=$(mktemp -d /tmp/interop-XXXXXX)
chmod 755 "$W"
SERVER_PIDS=()
cleanup() {
    local p
    for p in "${SERVER_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2> /dev/null; done
    [ "${KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT
for m in $MODELS; do
    install -d -m 700 -o "$OWNER" -g "$OWNER" "$W/$m"
done

# boot NAME TRANS STEPS PREFIX... -- QEMU-ARGS...: a guest runs interop-guest.sh
# with STEPS (TAG:PORT:make|stat:TREE); its console, without CRs, in $ARTIFACTS/NAME.log
boot() {
    local name=$1 trans=$2 steps=$3 prefix=()
    shift 3
    while [ "$1" != -- ]; do prefix+=("$1"); shift; done
    shift
    local ov=$W/overlay-$name
    mkdir -p "$ov/guest"
    install -m 755 "$SRC/tests/interop/interop-guest.sh" "$ov/guest/run.sh"
    printf 'TRANS=%s\nSTEPS="%s"\nSERVER_IP=10.0.2.100\nGUEST_IP=10.0.2.15/24\n' \
        "$trans" "$steps" > "$ov/guest/config"
    (cd "$ov" && find . | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$W/overlay-$name.gz"
    cat "$IMAGE/initrd.gz" "$W/overlay-$name.gz" > "$W/initrd-$name.gz"
    chmod 644 "$W/initrd-$name.gz"
    timeout -k 10 300 "${prefix[@]}" qemu-system-x86_64 -accel tcg,thread=multi -m 512 \
        -nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot \
        -kernel "$IMAGE/vmlinuz" -initrd "$W/initrd-$name.gz" \
        -append "console=ttyS0 panic=-1 quiet" "$@" < /dev/null 2>&1 | tr -d '\r' \
        > "$ARTIFACTS/$name.log"
}
AS_OWNER=(setpriv --reuid="$OWNER" --regid="$OWNER" --clear-groups --inh-caps=-all)
VIRTFS=()
for m in $MODELS; do
    VIRTFS+=(-virtfs "local,path=$W/$m,mount_tag=${TAG[$m]},security_model=$m,id=${TAG[$m]}")
done

# ---- boot 1: QEMU serves, the guest builds tree A ----------------------------
steps=
for m in $MODELS; do steps="$steps ${TAG[$m]}:-:make:A ${TAG[$m]}:-:stat:A"; done
boot qemu-1 virtio "${steps# }" "${AS_OWNER[@]}" -- "${VIRTFS[@]}"

# ---- boot 2: xen9pd serves the same directories ------------------------------
fwd=
for m in $MODELS; do
    "$XEN9PD" --listen "unix:$W/$m.sock" --export "$W/$m" --security-model "$m" --foreground \
        --verbose > "$ARTIFACTS/xen9pd-$m.log" 2>&1 &
    SERVER_PIDS+=($!)
    for _ in $(seq 100); do [ -S "$W/$m.sock" ] && break; sleep 0.1; done
    [ -S "$W/$m.sock" ] || bail "xen9pd ($m) did not start: $(tail -3 "$ARTIFACTS/xen9pd-$m.log")"
    fwd="$fwd,guestfwd=tcp:10.0.2.100:${PORT[$m]}-unix:$W/$m.sock"
done
steps=
for m in $MODELS; do
    t=${TAG[$m]}:${PORT[$m]}
    steps="$steps $t:stat:A $t:make:B $t:stat:B"
done
boot xen9pd-2 tcp "${steps# }" -- -netdev "user,id=n0,restrict=on,ipv6=off$fwd" \
    -device virtio-net-pci,netdev=n0
for p in "${SERVER_PIDS[@]}"; do kill "$p" 2> /dev/null; wait "$p" 2> /dev/null; done
SERVER_PIDS=()

# ---- boot 3: QEMU again, reading what xen9pd's guest built -------------------
steps=
for m in $MODELS; do steps="$steps ${TAG[$m]}:-:stat:B"; done
boot qemu-3 virtio "${steps# }" "${AS_OWNER[@]}" -- "${VIRTFS[@]}"

# ---- what each side saw ------------------------------------------------------
# seen BOOT TAG TREE: the @@ST and @@LN lines of that boot for that tree
seen() { grep -E "^@@(ST|LN) $2 $3 " "$ARTIFACTS/$1.log" | sed 's/^@@\(..\) [^ ]* [^ ]* /\1 /'; }
for m in $MODELS; do
    t=${TAG[$m]}
    for b in qemu-1 xen9pd-2; do
        grep -q "^@@GUEST made $t $( [ $b = qemu-1 ] && echo A || echo B)\$" "$ARTIFACTS/$b.log" ||
            not_ok "$m: the guest of $b built its tree" "$(grep -E '@@GUEST fail|@@DMESG' "$ARTIFACTS/$b.log")"
    done
    # the tree as QEMU's guest built it, as QEMU's guest sees it: what it must be
    a1=$(seen qemu-1 "$t" A)
    want="ST ./f6755 regular_file 6755 1234 5678 7 0 0
ST ./null character_special_file 666 0 0 - 1 3
ST ./sda1 block_special_file 660 6 6 - 8 1
ST ./sl symbolic_link 777 7 8 16 0 0
LN ./sl target/with/path
ST ./fifo fifo 620 9 10 - 0 0
ST ./d750 directory 750 42 43 - 0 0"
    missing=$(grep -vxF -f <(printf '%s\n' "$a1") <(printf '%s\n' "$want"))
    if [ "$(printf '%s\n' "$a1" | grep -c '^ST')" = 13 ] && [ -z "$missing" ]; then
        ok "$m: QEMU's guest sees its tree A as built (13 entries)"
    else
        not_ok "$m: QEMU's guest sees its tree A as built (13 entries)" "missing: $missing" "$a1"
    fi
    a2=$(seen xen9pd-2 "$t" A)
    if [ -n "$a1" ] && [ "$a1" = "$a2" ]; then
        ok "$m: xen9pd shows QEMU's tree exactly as QEMU does (stat, link targets)"
    else
        not_ok "$m: xen9pd shows QEMU's tree exactly as QEMU does (stat, link targets)" \
            "$(diff <(printf '%s\n' "$a1") <(printf '%s\n' "$a2"))"
    fi
    b2=$(seen xen9pd-2 "$t" B)
    b3=$(seen qemu-3 "$t" B)
    if [ "$(printf '%s\n' "$b2" | grep -c '^ST')" = 13 ] && [ "$b2" = "$(printf '%s\n' "$a1" )" ] &&
        [ "$b2" = "$b3" ]; then
        ok "$m: QEMU shows xen9pd's tree exactly as xen9pd does (and as tree A)"
    else
        not_ok "$m: QEMU shows xen9pd's tree exactly as xen9pd does (and as tree A)" \
            "xen9pd against tree A:" "$(diff <(printf '%s\n' "$a1") <(printf '%s\n' "$b2"))" \
            "QEMU against xen9pd:" "$(diff <(printf '%s\n' "$b2") <(printf '%s\n' "$b3"))"
    fi
    # the host: nothing was given away; the guest's view is metadata only
    foreign=$(find "$W/$m" ! -user "$OWNER" -printf '%P %u\n' 2> /dev/null | head -5)
    special=$(find "$W/$m" ! -type f ! -type d -printf '%P %y\n' | head -5)
    if [ -z "$foreign" ] && [ -z "$special" ]; then
        ok "$m: on the host every object is a plain file or directory of uid $OWNER"
    else
        not_ok "$m: on the host every object is a plain file or directory of uid $OWNER" \
            "other owners: $foreign" "not files or directories: $special"
    fi
    if [ "$m" = mapped-xattr ]; then
        meta=$(getfattr -e hex -n user.virtfs.uid "$W/$m/B/f6755" 2> /dev/null | sed -n 's/^user.virtfs.uid=//p')
        [ "$meta" = 0xd2040000 ] && ok "$m: xen9pd wrote user.virtfs.uid 1234 as 32-bit little-endian" ||
            not_ok "$m: xen9pd wrote user.virtfs.uid 1234 as 32-bit little-endian" "got '$meta'"
    else
        meta=$(tr '\n' ' ' < "$W/$m/B/.virtfs_metadata/f6755" 2> /dev/null)
        case "$meta" in *virtfs.uid=1234*virtfs.gid=5678*) ok "$m: xen9pd wrote .virtfs_metadata/f6755" ;;
            *) not_ok "$m: xen9pd wrote .virtfs_metadata/f6755" "got '$meta'" ;; esac
    fi
    grep -q "uid $OWNER" "$ARTIFACTS/xen9pd-$m.log" &&
        ok "$m: xen9pd's worker ran as uid $OWNER" ||
        not_ok "$m: xen9pd's worker ran as uid $OWNER" "$(tail -5 "$ARTIFACTS/xen9pd-$m.log")"
done
tap_end
