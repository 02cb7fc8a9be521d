#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# guest-workload.sh MOUNTPOINT: the file system workload, run inside a guest
# (busybox sh) against a mounted 9P share whose export the host prepared with
# host-prepare.sh for the same WL_TAG.  Knobs: see wl-common.sh.
#
# Works in MOUNTPOINT/wl-$WL_TAG/guest (made afresh), reads .../host, and
# writes what it observed to .../results.txt, one "key value..." per line,
# for host-verify.sh.  Prints one line per check on the console:
#   @@WL ok TAG:check (SECONDS s) | @@WL fail TAG:check why | @@WL skip TAG:check why
# and `@@WL end TAG ok=N fail=N skip=N`.  Exit status 0 iff nothing failed.
# Needs getfattr/setfattr only with WL_XATTR=1.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/wl-common.sh"

M=${1:?usage: guest-workload.sh MOUNTPOINT}
M=${M%/}
D=$M/$(wl_dir)
H=$D/host
G=$D/guest
RES=$D/results.txt
T=${TMPDIR:-/tmp}/wl-$WL_TAG
OKS=0 FAILS=0 SKIPS=0

uptime_s() { cut -d' ' -f1 /proc/uptime; }
rec() { echo "$*" >> "$RES"; }
# fail WHY: remember why the running check failed (the check then returns 1)
fail() { WHY="$*"; return 1; }
expect_eq() {  # expect_eq WHAT GOT WANT
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
}
md5_of() { md5sum "$1" | cut -d' ' -f1; }
md5_stdin() { md5sum | cut -d' ' -f1; }
same_bytes() {  # same_bytes WHAT FILE EXPECTED-FILE
    cmp -s "$2" "$3" || fail "$1: $(basename "$2") differs from what was written"
}

run_check() {
    name=$1
    WHY=
    t0=$(uptime_s)
    case "$name" in
        *xattr)
            if [ "$WL_XATTR" != 1 ]; then
                echo "@@WL skip $WL_TAG:$name WL_XATTR=$WL_XATTR"
                rec "status $name skip WL_XATTR=$WL_XATTR"
                SKIPS=$((SKIPS + 1))
                return
            fi ;;
    esac
    if "wl_$(echo "$name" | tr - _)"; then
        el=$(awk -v a="$t0" -v b="$(uptime_s)" 'BEGIN { printf "%.2f", b - a }')
        echo "@@WL ok $WL_TAG:$name (${el} s)"
        rec "status $name ok ${el}s"
        OKS=$((OKS + 1))
    else
        WHY=$(echo "${WHY:-failed}" | tr '\n' ' ')
        echo "@@WL fail $WL_TAG:$name $WHY"
        rec "status $name fail $WHY"
        FAILS=$((FAILS + 1))
    fi
}

# ---- reading what the host made --------------------------------------------

wl_read_host_small() {
    i=0
    while [ "$i" -lt "$WL_HOST_SMALL_COUNT" ]; do
        wl_host_small_content "$i" > "$T/expect"
        same_bytes "host small $i" "$H/small-host-$i" "$T/expect" || return 1
        i=$((i + 1))
    done
    # the manifest's sums, as the guest computes them
    grep ' small-host-' "$H/MD5SUMS" > "$T/sums"
    (cd "$H" && md5sum -c "$T/sums" > "$T/md5check" 2>&1) || fail "md5sum -c: $(grep -v ': OK' "$T/md5check" | head -3)"
}

wl_read_host_big() {
    sum=$(dd if="$H/big.bin" bs=512k 2>/dev/null | md5_stdin)
    rec "read-host-big.md5 $sum"
    expect_eq "md5 of host big.bin" "$sum" "$(awk '$2 == "big.bin" { print $1 }' "$H/MD5SUMS")"
}

wl_read_host_meta() {
    got=$(stat -c '%a %u %g %s' "$H/meta-file")
    rec "read-host-meta $got"
    expect_eq "mode uid gid size of host meta-file" "$got" \
        "$WL_META_MODE $WL_META_UID $WL_META_GID $WL_META_SIZE" || return 1
    wl_meta_content > "$T/expect"
    same_bytes "meta-file" "$H/meta-file" "$T/expect"
}

wl_read_host_symlink() {
    expect_eq "readlink host link" "$(readlink "$H/link-to-small")" small-host-0 || return 1
    same_bytes "through host link" "$H/link-to-small" "$H/small-host-0"
}

wl_read_host_xattr() {
    got=$(getfattr --absolute-names --only-values -n user.wl.host "$H/small-host-0" 2>&1)
    expect_eq "host-set xattr" "$got" "$(wl_host_xattr)"
}

# ---- writing ---------------------------------------------------------------

wl_write_small() {
    i=0
    while [ "$i" -lt "$WL_SMALL_COUNT" ]; do
        wl_small_content "$i" > "$T/small-$i"
        cat "$T/small-$i" > "$G/small-$i" || fail "write small-$i" || return 1
        i=$((i + 1))
    done
    i=0
    while [ "$i" -lt "$WL_SMALL_COUNT" ]; do   # cmp: same bytes, so the same size too
        same_bytes "small file" "$G/small-$i" "$T/small-$i" || return 1
        i=$((i + 1))
    done
    rm -f "$T"/small-*
}

wl_append() {
    i=1
    : > "$G/append"
    while [ "$i" -le "$WL_APPENDS" ]; do
        echo "append $WL_TAG line $i" >> "$G/append"
        i=$((i + 1))
    done
    wl_append_content > "$T/expect"
    same_bytes "append" "$G/append" "$T/expect"
}

wl_offset_write() {
    wl_offset_base > "$G/offset"
    printf MARK | dd of="$G/offset" bs=1 seek=30000 conv=notrunc 2>/dev/null || fail "dd at 30000" || return 1
    printf END | dd of="$G/offset" bs=1 seek=100000 conv=notrunc 2>/dev/null || fail "dd at 100000" || return 1
    expect_eq "size after write past EOF" "$(stat -c %s "$G/offset")" 100003 || return 1
    expect_eq "bytes at 30000" "$(dd if="$G/offset" bs=1 skip=30000 count=4 2>/dev/null)" MARK || return 1
    wl_offset_expected "$T/expect"
    same_bytes "text, MARK, text, hole, END" "$G/offset" "$T/expect"
}

wl_big_write() {
    dd if=/dev/urandom of="$T/big" bs=1M count="$WL_BIG_MB" 2>/dev/null || fail "no room for $WL_BIG_MB MiB in $T" || return 1
    sum=$(md5_of "$T/big")
    rec "big.md5 $sum"
    dd if="$T/big" of="$G/big.bin" bs=512k 2>/dev/null || fail "writing big.bin" || { rm -f "$T/big"; return 1; }
    rm -f "$T/big"
    expect_eq "size of big.bin" "$(stat -c %s "$G/big.bin")" $((WL_BIG_MB * 1048576)) || return 1
    back=$(dd if="$G/big.bin" bs=512k 2>/dev/null | md5_stdin)
    expect_eq "md5 read back" "$back" "$sum"
}

wl_rename_same_dir() {
    wl_rename_content same > "$G/before"
    mv "$G/before" "$G/after" || fail "mv" || return 1
    [ ! -e "$G/before" ] || fail "old name still exists" || return 1
    wl_rename_content same > "$T/expect"
    same_bytes "renamed file" "$G/after" "$T/expect"
}

wl_rename_file() {
    mkdir -p "$G/ra" "$G/rb"
    wl_rename_content file > "$G/ra/file"
    ino=$(stat -c %i "$G/ra/file")
    mv "$G/ra/file" "$G/rb/moved" || fail "mv across directories" || return 1
    [ ! -e "$G/ra/file" ] || fail "old name still exists" || return 1
    # 9P2000.u cannot rename across directories: the kernel says EXDEV and mv
    # copies instead (a new inode); .L renames in place (same inode).
    rec "rename-file.inode $ino $(stat -c %i "$G/rb/moved")"
    wl_rename_content file > "$T/expect"
    same_bytes "moved file" "$G/rb/moved" "$T/expect"
}

wl_rename_dir() {
    mkdir -p "$G/ra/sub/deeper" "$G/rb"
    wl_rename_content leaf > "$G/ra/sub/deeper/leaf"
    mv "$G/ra/sub" "$G/rb/sub2" || fail "mv of a directory" || return 1
    [ ! -e "$G/ra/sub" ] || fail "old directory still exists" || return 1
    wl_rename_content leaf > "$T/expect"
    same_bytes "file in moved directory" "$G/rb/sub2/deeper/leaf" "$T/expect"
}

wl_rename_replace() {
    mkdir -p "$G/ra" "$G/rb"
    wl_rename_content new > "$G/ra/r1"
    wl_rename_content old > "$G/rb/r2"
    mv -f "$G/ra/r1" "$G/rb/r2" || fail "mv over an existing file" || return 1
    wl_rename_content new > "$T/expect"
    same_bytes "replaced file" "$G/rb/r2" "$T/expect"
}

wl_symlink() {
    mkdir -p "$G/ra" "$G/rb"
    wl_rename_content target > "$G/rb/target"
    ln -s ../rb/target "$G/ra/link-rel" || fail "ln -s relative" || return 1
    ln -s "$WL_SYMLINK_ABS" "$G/ra/link-abs" || fail "ln -s absolute" || return 1
    ln -s "$WL_SYMLINK_DANGLING" "$G/ra/link-dangling" || fail "ln -s dangling" || return 1
    expect_eq "readlink relative" "$(readlink "$G/ra/link-rel")" ../rb/target || return 1
    expect_eq "readlink absolute" "$(readlink "$G/ra/link-abs")" "$WL_SYMLINK_ABS" || return 1
    expect_eq "readlink dangling" "$(readlink "$G/ra/link-dangling")" "$WL_SYMLINK_DANGLING" || return 1
    same_bytes "through relative link" "$G/ra/link-rel" "$G/rb/target" || return 1
    # an absolute link is resolved by the guest, in the guest's own tree
    same_bytes "through absolute link" "$G/ra/link-abs" "$WL_SYMLINK_ABS" || return 1
    [ -L "$G/ra/link-dangling" ] && [ ! -e "$G/ra/link-dangling" ] || fail "dangling link resolves"
}

wl_hardlink() {
    wl_hardlink_content > "$G/hl-a"
    ln "$G/hl-a" "$G/hl-b" || fail "ln" || return 1
    a=$(stat -c '%i %h' "$G/hl-a")
    b=$(stat -c '%i %h' "$G/hl-b")
    rec "hardlink.observed $a / $b"
    expect_eq "inode of both names" "${a% *}" "${b% *}" || return 1
    # 9P2000.u has no link count field: Linux shows 1 unless the server adds
    # QEMU's "HARDLINKCOUNT n" extension, so only the host checks it there
    case "$WL_VERSION" in
        9p2000.u | 9p2000) ;;
        *) expect_eq "link count" "${a#* }" 2 || return 1 ;;
    esac
    echo "via b" >> "$G/hl-b"
    { wl_hardlink_content; echo "via b"; } > "$T/expect"
    same_bytes "write through one name, read through the other" "$G/hl-a" "$T/expect"
}

wl_chmod() {
    for pair in $WL_FILE_MODES; do
        n=${pair%%:*}; m=${pair#*:}
        : > "$G/$n"
        chmod "$m" "$G/$n" || fail "chmod $m $n" || return 1
        expect_eq "mode of $n" "$(stat -c %a "$G/$n")" "$(wl_mode_kept "$m")" || return 1
    done
    for pair in $WL_DIR_MODES; do
        n=${pair%%:*}; m=${pair#*:}
        mkdir -p "$G/$n"
        chmod "$m" "$G/$n" || fail "chmod $m $n" || return 1
        expect_eq "mode of $n" "$(stat -c %a "$G/$n")" "$(wl_mode_kept "$m")" || return 1
    done
}

wl_chown() {
    : > "$G/own-new"
    : > "$G/own-a"
    : > "$G/own-b"
    chown "$WL_CHOWN_UID:$WL_CHOWN_GID" "$G/own-a" || fail "chown" || return 1
    chgrp "$WL_CHGRP_GID" "$G/own-b" || fail "chgrp" || return 1
    # What the owners must be depends on the server's security model: the
    # guest records what it sees, host-verify.sh decides.
    for n in own-new own-a own-b; do
        rec "owner $n $(stat -c '%u:%g' "$G/$n")" || return 1
    done
}

wl_truncate_grow() {
    wl_grow_prefix > "$G/grow"
    truncate -s "$WL_GROW_SIZE" "$G/grow" || fail "truncate -s $WL_GROW_SIZE" || return 1
    expect_eq "size after grow" "$(stat -c %s "$G/grow")" "$WL_GROW_SIZE" || return 1
    wl_grow_prefix > "$T/expect"
    truncate -s "$WL_GROW_SIZE" "$T/expect"
    same_bytes "grown file (prefix then zeros)" "$G/grow" "$T/expect"
}

wl_truncate_shrink() {
    wl_shrink_content "$WL_SHRINK_FROM" > "$G/shrink"
    truncate -s "$WL_SHRINK_TO" "$G/shrink" || fail "truncate -s $WL_SHRINK_TO" || return 1
    expect_eq "size after shrink" "$(stat -c %s "$G/shrink")" "$WL_SHRINK_TO" || return 1
    wl_shrink_content "$WL_SHRINK_TO" > "$T/expect"
    same_bytes "shrunk file" "$G/shrink" "$T/expect"
}

wl_truncate_open() {
    wl_shrink_content 5000 > "$G/otrunc"
    : > "$G/otrunc"
    expect_eq "size after open(O_TRUNC)" "$(stat -c %s "$G/otrunc")" 0
}

# dir_create FIRST END: creates entries FIRST..END-1 of the big directory
dir_create() {
    j=$1
    while [ "$j" -lt "$2" ]; do
        wl_set_entry "$j"
        : > "$d2k/$WL_ENTRY" || { echo "creating entry $j failed"; return 1; }
        j=$((j + 1))
    done
}

wl_dir_2000() {
    d2k=$D/$(wl_d2k)
    t0=$(uptime_s)
    if [ "$WL_DIR_MAKER" != host ]; then
        mkdir -p "$d2k"
        # WL_PARALLEL creators at once: each round trip waits on the host, not on the guest
        pids=
        i=0
        while [ "$i" -lt "$WL_PARALLEL" ]; do
            dir_create $((i * WL_DIR_COUNT / WL_PARALLEL)) $(((i + 1) * WL_DIR_COUNT / WL_PARALLEL)) \
                > "$T/create-$i.out" 2>&1 &
            pids="$pids $!"
            i=$((i + 1))
        done
        bad=
        for p in $pids; do wait "$p" || bad=1; done
        [ -z "$bad" ] || fail "$(cat "$T"/create-*.out | tr '\n' ';')" || return 1
    fi
    t1=$(uptime_s)
    # The shell's glob is a plain readdir (ls may lstat every entry whose
    # d_type the server leaves unknown, which costs minutes here).
    for f in "$d2k"/.* "$d2k"/*; do
        case "$f" in "$d2k/.*") [ -e "$f" ] || continue ;; esac   # no dot entry at all
        echo "${f##*/}"
    done > "$T/listing"
    t2=$(uptime_s)
    # '.' and '..' at most once each (a 9P2000.u server may leave them out, as
    # Plan 9 has none; Linux does not add them)
    dots="$(grep -cx '\.' "$T/listing") $(grep -cx '\.\.' "$T/listing")"
    rec "dir-2000.dots $dots"
    case "$dots" in [01]" "[01]) ;; *) fail "'.' and '..' listed $dots times"; return 1 ;; esac
    grep -vx '\.\.\?' "$T/listing" | sort > "$T/names"
    dups=$(uniq -d "$T/names" | wc -l)
    rec "dir-2000.listed $(wc -l < "$T/names") duplicates $dups md5 $(md5_of "$T/names")"
    rec "dir-2000.seconds maker $WL_DIR_MAKER create $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') list $(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')"
    expect_eq "names listed more than once" "$dups" 0 || return 1
    wl_dir_listing > "$T/expect"
    cmp -s "$T/names" "$T/expect" || fail "listing differs: $(wc -l < "$T/names") names, first difference: $(diff "$T/expect" "$T/names" 2>&1 | sed -n 2p | cut -c1-60)"
}

wl_xattr() {
    f=$G/xa
    : > "$f"
    mkdir -p "$G/xdir"
    setfattr -n user.wl.keep -v "$(wl_xattr_keep)" "$f" || fail "setfattr keep" || return 1
    setfattr -n user.wl.gone -v temporary "$f" || fail "setfattr gone" || return 1
    setfattr -n user.wl.big -v "$(wl_xattr_big)" "$f" || fail "setfattr of a $WL_BIG_XATTR_LEN-byte value" || return 1
    setfattr -n user.wl.bin -v "$WL_XATTR_BIN" "$f" || fail "setfattr binary" || return 1
    setfattr -n user.wl.dir -v "$(wl_xattr_keep)" "$G/xdir" || fail "setfattr on a directory" || return 1
    expect_eq "get keep" "$(getfattr --absolute-names --only-values -n user.wl.keep "$f")" "$(wl_xattr_keep)" || return 1
    expect_eq "get big" "$(getfattr --absolute-names --only-values -n user.wl.big "$f" | md5_stdin)" "$(wl_xattr_big | md5_stdin)" || return 1
    expect_eq "get bin" "$(getfattr --absolute-names -e hex -n user.wl.bin "$f" | sed -n 's/^user.wl.bin=//p')" "$WL_XATTR_BIN" || return 1
    expect_eq "get on dir" "$(getfattr --absolute-names --only-values -n user.wl.dir "$G/xdir")" "$(wl_xattr_keep)" || return 1
    list=$(getfattr --absolute-names -m '^user\.wl\.' "$f" | grep '^user' | sort | tr '\n' ' ')
    expect_eq "list" "$list" "user.wl.big user.wl.bin user.wl.gone user.wl.keep " || return 1
    setfattr -x user.wl.gone "$f" || fail "setfattr -x" || return 1
    ! getfattr --absolute-names -n user.wl.gone "$f" > /dev/null 2>&1 || fail "removed xattr still readable" || return 1
    list=$(getfattr --absolute-names -m '^user\.wl\.' "$f" | grep '^user' | sort | tr '\n' ' ')
    expect_eq "list after remove" "$list" "user.wl.big user.wl.bin user.wl.keep "
}

wl_unlink_open() {
    wl_unlink_content > "$G/unlinked"
    exec 4< "$G/unlinked"
    rm "$G/unlinked"
    if [ -e "$G/unlinked" ]; then exec 4<&-; fail "still exists after rm"; return 1; fi
    got=$(cat <&4)
    exec 4<&-
    expect_eq "read through the open descriptor" "$got" "$(wl_unlink_content)"
}

wl_rm_tree() {
    for a in 1 2 3; do
        for b in 1 2 3; do
            mkdir -p "$G/tree/a$a/b$b/c"
            echo "$a $b" > "$G/tree/a$a/b$b/file"
            echo "$a $b" > "$G/tree/a$a/b$b/c/file"
            ln -s ../file "$G/tree/a$a/b$b/c/link"
        done
    done
    rm -r "$G/tree" || fail "rm -r" || return 1
    [ ! -e "$G/tree" ] || fail "tree still exists"
}

wl_parallel() {
    i=0
    while [ "$i" -lt "$WL_PARALLEL" ]; do
        dd if=/dev/urandom of="$T/par-$i" bs=1M count="$WL_PAR_MB" 2>/dev/null || fail "no room in $T" || return 1
        rec "par-$i.md5 $(md5_of "$T/par-$i")"
        i=$((i + 1))
    done
    # The writers and readers run at the same time; each uses its own block size.
    pids=
    i=0
    while [ "$i" -lt "$WL_PARALLEL" ]; do
        (
            bs=$(( 32 << (i % 5) ))k
            dd if="$T/par-$i" of="$G/par-$i.bin" bs="$bs" 2>/dev/null || { echo "write par-$i failed"; exit 1; }
            [ "$(dd if="$G/par-$i.bin" bs="$bs" 2>/dev/null | md5_stdin)" = "$(md5_of "$T/par-$i")" ] \
                || { echo "par-$i.bin read back differs"; exit 1; }
            want=$(awk -v n="par-$i.bin" '$2 == n { print $1 }' "$H/MD5SUMS")
            got=$(dd if="$H/par-$i.bin" bs="$bs" 2>/dev/null | md5_stdin)
            [ "$got" = "$want" ] || { echo "host par-$i.bin: md5 $got, want $want"; exit 1; }
        ) > "$T/par-$i.out" 2>&1 &
        pids="$pids $!"
        i=$((i + 1))
    done
    bad=
    for p in $pids; do wait "$p" || bad=1; done
    i=0
    while [ "$i" -lt "$WL_PARALLEL" ]; do rm -f "$T/par-$i"; i=$((i + 1)); done
    [ -z "$bad" ] || fail "$(cat "$T"/par-*.out | tr '\n' ';')"
}

wl_statfs() {
    got=$(stat -f -c '%b %S' "$M") || fail "statfs" || return 1
    rec "statfs blocks=${got% *} bsize=${got#* }"
    # 9P2000.u has no Tstatfs: the kernel answers statfs itself, with zeros
    case "$WL_VERSION" in 9p2000.u | 9p2000) return 0 ;; esac
    [ "${got% *}" -gt 0 ] && [ "${got#* }" -gt 0 ] || fail "statfs says blocks=${got% *} bsize=${got#* }"
}

# ---- main ---------------------------------------------------------------------

[ -d "$H" ] || { echo "@@WL fail $WL_TAG:setup $H is missing (run host-prepare.sh first)"; exit 1; }
# /proc/mounts shows version=9p2000.u, noextend for 9P2000, nothing for .L
WL_VERSION=$(awk -v m="$M" '$2 == m && $3 == "9p" {
    v = "9p2000.L"; n = split($4, o, ",")
    for (i = 1; i <= n; i++) { if (o[i] ~ /^version=/) v = substr(o[i], 9); if (o[i] == "noextend") v = "9p2000" }
    print v }' /proc/mounts)
WL_VERSION=${WL_VERSION:-local}   # not a 9p mount: a self-test of the workload itself
rm -rf "$G" "$T"
mkdir -p "$G" "$T" || { echo "@@WL fail $WL_TAG:setup cannot create $G"; exit 1; }
: > "$RES"
rec "begin $WL_TAG uptime $(uptime_s)"
rec "mount $(awk -v m="$M" '$2 == m' /proc/mounts)"
rec "knobs big_mb=$WL_BIG_MB parallel=$WL_PARALLEL par_mb=$WL_PAR_MB xattr=$WL_XATTR version=$WL_VERSION uid=$(id -u) gid=$(id -g)"
echo "@@WL begin $WL_TAG $WL_VERSION on $M"
START=$(uptime_s)
for c in $WL_CHECKS; do run_check "$c"; done
TOTAL=$(awk -v a="$START" -v b="$(uptime_s)" 'BEGIN { printf "%.1f", b - a }')
rm -rf "$T"
rec "end ok=$OKS fail=$FAILS skip=$SKIPS seconds=$TOTAL"
echo "@@WL end $WL_TAG ok=$OKS fail=$FAILS skip=$SKIPS seconds=$TOTAL"
[ "$FAILS" = 0 ]
