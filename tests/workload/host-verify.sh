#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# host-verify.sh EXPORT TAG: after guest-workload.sh ran against EXPORT for
# TAG, checks on the host what the guest did and what it claims to have seen,
# and prints TAP: one line per workload check (ok only if the guest reported
# ok AND the host agrees), then the plan.
#
# Environment: the workload knobs (wl-common.sh; must match the guest run),
#   MODEL=passthrough|none   the server's security model (ownership rules):
#     passthrough  files carry exactly the owner the guest created/set;
#     none         the server may ignore ownership changes it cannot make, so
#                  an owner may also be the server's own (SERVER_UID:SERVER_GID,
#                  default: this script's uid:gid); what the guest saw must
#                  still be what the host has.
set -u
EXPORT=${1:?usage: host-verify.sh EXPORT TAG}
WL_TAG=${2:?usage: host-verify.sh EXPORT TAG}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/wl-common.sh"
MODEL=${MODEL:-passthrough}
SERVER_UID=${SERVER_UID:-$(id -u)}
SERVER_GID=${SERVER_GID:-$(id -g)}
case "$MODEL" in passthrough | none) ;; *) echo "MODEL must be passthrough or none" >&2; exit 2 ;; esac

D=$EXPORT/$(wl_dir)
H=$D/host
G=$D/guest
RES=$D/results.txt
TMP=$(mktemp -d "${TMPDIR:-/tmp}/workload-verify.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export LC_ALL=C

N=0
FAILED=0
tap() {  # tap ok|fail DESCRIPTION [DIAGNOSTIC...]
    local st=$1 desc=$2 d
    shift 2
    N=$((N + 1))
    if [ "$st" = ok ]; then echo "ok $N - $desc"; else echo "not ok $N - $desc"; FAILED=$((FAILED + 1)); fi
    for d in "$@"; do [ -n "$d" ] && echo "# $d"; done
    return 0
}

# The guest's results, "KEY rest..." lines, read once (every process costs in a
# PV dom0 under TCG): res KEY prints rest of the first line with that KEY.
declare -A RESULTS=()
load_results() {
    local line k1 r1 k2 r2
    [ -f "$RES" ] || return 0
    while IFS= read -r line; do
        # a key is one word ("big.md5") or two ("status big-write", "owner own-a")
        case "$line" in *" "*) ;; *) continue ;; esac
        k1=${line%% *}; r1=${line#* }
        [ -n "${RESULTS[$k1]+x}" ] || RESULTS[$k1]=$r1
        k2="$k1 ${r1%% *}"; r2=${r1#* }
        [ "$r2" = "$r1" ] && r2=
        [ -n "${RESULTS[$k2]+x}" ] || RESULTS[$k2]=$r2
    done < "$RES"
}
res() { [ -n "${RESULTS[$1]+x}" ] && printf '%s\n' "${RESULTS[$1]}"; }

HERR=
herr() { HERR="$HERR${HERR:+; }$*"; }
heq() { [ "$2" = "$3" ] || herr "$1: got '$2', want '$3'"; }
hsame() {  # hsame WHAT FILE EXPECTED-FILE
    if [ ! -f "$2" ]; then herr "$1: ${2#"$EXPORT"/} is missing"
    elif ! cmp -s "$2" "$3"; then herr "$1: ${2#"$EXPORT"/} has other bytes ($(stat -c %s "$2") bytes, want $(stat -c %s "$3"))"
    fi
}
hgone() { [ ! -e "$2" ] && [ ! -L "$2" ] || herr "$1: ${2#"$EXPORT"/} still exists"; }
md5() { md5sum "$1" 2>/dev/null | cut -d' ' -f1; }
hstat() { stat -c "$1" "$2" 2>/dev/null || echo "(missing)"; }
xget() { getfattr --absolute-names "$@" 2>/dev/null; }
manifest() { awk -v n="$1" '$2 == n { print $1 }' "$H/MD5SUMS"; }

# ---- one function per workload check: host-side facts ------------------------

host_read_host_small() {
    (cd "$H" && grep ' small-host-' MD5SUMS | md5sum -c --quiet - > "$TMP/c" 2>&1) \
        || herr "host files changed by reading: $(head -c 200 "$TMP/c")"
}
host_read_host_big() { heq "md5 the guest computed of host big.bin" "$(res read-host-big.md5)" "$(manifest big.bin)"; }
host_read_host_meta() {
    heq "what the guest saw of meta-file (mode uid gid size)" "$(res read-host-meta)" \
        "$WL_META_MODE $WL_META_UID $WL_META_GID $WL_META_SIZE"
    heq "meta-file on the host" "$(hstat '%a %u %g %s' "$H/meta-file")" \
        "$WL_META_MODE $WL_META_UID $WL_META_GID $WL_META_SIZE"
}
host_read_host_symlink() { heq "host link" "$(readlink "$H/link-to-small")" small-host-0; }
host_read_host_xattr() { heq "host xattr after the guest read it" "$(xget --only-values -n user.wl.host "$H/small-host-0")" "$(wl_host_xattr)"; }

host_write_small() {
    local i=0
    while [ "$i" -lt "$WL_SMALL_COUNT" ]; do
        wl_small_content "$i" > "$TMP/e"
        hsame "small file $i" "$G/small-$i" "$TMP/e"
        i=$((i + 1))
    done
}
host_append() { wl_append_content > "$TMP/e"; hsame append "$G/append" "$TMP/e"; }
host_offset_write() { wl_offset_expected "$TMP/e"; hsame "text, MARK, text, hole, END" "$G/offset" "$TMP/e"; }
host_big_write() {
    local want=$((WL_BIG_MB * 1048576)) sum
    heq "size of big.bin" "$(hstat %s "$G/big.bin")" "$want"
    sum=$(res big.md5)
    [ -n "$sum" ] || { herr "the guest recorded no big.md5"; return; }
    heq "md5 of big.bin (the guest computed it before writing)" "$(md5 "$G/big.bin")" "$sum"
}
host_rename_same_dir() {
    hgone "old name" "$G/before"
    wl_rename_content same > "$TMP/e"; hsame "renamed file" "$G/after" "$TMP/e"
}
host_rename_file() {
    local ino
    hgone "old name" "$G/ra/file"
    wl_rename_content file > "$TMP/e"; hsame "moved file" "$G/rb/moved" "$TMP/e"
    # .L renames in place; .u has no cross-directory rename (mv copies)
    ino=$(res rename-file.inode)
    case "$(version)" in
        9p2000.u | 9p2000) ;;
        *) [ "${ino% *}" = "${ino#* }" ] || herr "$(version) rename changed the inode the guest saw ($ino)" ;;
    esac
}
host_rename_dir() {
    hgone "old directory" "$G/ra/sub"
    wl_rename_content leaf > "$TMP/e"; hsame "file in moved directory" "$G/rb/sub2/deeper/leaf" "$TMP/e"
}
host_rename_replace() {
    hgone "source" "$G/ra/r1"
    wl_rename_content new > "$TMP/e"; hsame "replaced file" "$G/rb/r2" "$TMP/e"
}
host_symlink() {
    local l
    for l in link-rel:../rb/target link-abs:$WL_SYMLINK_ABS link-dangling:$WL_SYMLINK_DANGLING; do
        if [ -L "$G/ra/${l%%:*}" ]; then heq "target of ${l%%:*}" "$(readlink "$G/ra/${l%%:*}")" "${l#*:}"
        else herr "${l%%:*} is not a symlink on the host"; fi
    done
}
host_hardlink() {
    local a b
    a=$(hstat '%i %h' "$G/hl-a"); b=$(hstat '%i %h' "$G/hl-b")
    heq "hl-b (inode, links)" "$b" "$a"
    heq "link count" "${a#* }" 2
    { wl_hardlink_content; echo "via b"; } > "$TMP/e"; hsame "hard-linked file" "$G/hl-a" "$TMP/e"
}
host_chmod() {
    local pair
    for pair in $WL_FILE_MODES $WL_DIR_MODES; do
        heq "mode of ${pair%%:*}" "$(hstat %a "$G/${pair%%:*}")" "$(wl_mode_kept "${pair#*:}")"
    done
}
# owner_ok NAME WANT-UID WANT-GID: the host owner follows MODEL, the guest saw the host's
owner_ok() {
    local host seen
    host=$(hstat '%u:%g' "$G/$1")
    seen=$(res "owner $1")
    [ "$seen" = "$host" ] || herr "owner of $1: the guest saw '$seen', the host has '$host'"
    case "$MODEL" in
        passthrough) heq "owner of $1" "$host" "$2:$3" ;;
        none)
            case "${host%:*}" in "$2" | "$SERVER_UID") ;; *) herr "owner of $1: uid ${host%:*}, want $2 or $SERVER_UID" ;; esac
            case "${host#*:}" in "$3" | "$SERVER_GID") ;; *) herr "owner of $1: gid ${host#*:}, want $3 or $SERVER_GID" ;; esac ;;
    esac
}
host_chown() {
    local gu gg
    gu=$(res knobs | sed -n 's/.* uid=\([0-9]*\).*/\1/p'); gg=$(res knobs | sed -n 's/.* gid=\([0-9]*\).*/\1/p')
    owner_ok own-new "$gu" "$gg"
    owner_ok own-a "$WL_CHOWN_UID" "$WL_CHOWN_GID"
    owner_ok own-b "$gu" "$WL_CHGRP_GID"
}
host_truncate_grow() {
    { wl_grow_prefix > "$TMP/e"; truncate -s "$WL_GROW_SIZE" "$TMP/e"; }
    hsame "grown file" "$G/grow" "$TMP/e"
}
host_truncate_shrink() { wl_shrink_content "$WL_SHRINK_TO" > "$TMP/e"; hsame "shrunk file" "$G/shrink" "$TMP/e"; }
host_truncate_open() { heq "size of otrunc" "$(hstat %s "$G/otrunc")" 0; }
host_dir_2000() {
    local want listed
    wl_dir_listing > "$TMP/e"
    (cd "$D/$(wl_d2k)" 2>/dev/null && ls -A1) > "$TMP/h"
    cmp -s "$TMP/h" "$TMP/e" || herr "host directory: $(wc -l < "$TMP/h") names, $(comm -3 "$TMP/e" "$TMP/h" | wc -l) differ from the 2000 expected"
    want=$(md5 "$TMP/e")
    listed=$(res dir-2000.listed)
    heq "what the guest listed (count, duplicates, md5 of the sorted names)" "$listed" \
        "$WL_DIR_COUNT duplicates 0 md5 $want"
}
host_xattr() {
    local f=$G/xa list
    heq "user.wl.keep" "$(xget --only-values -n user.wl.keep "$f")" "$(wl_xattr_keep)"
    heq "md5 of user.wl.big" "$(xget --only-values -n user.wl.big "$f" | md5sum | cut -d' ' -f1)" \
        "$(wl_xattr_big | md5sum | cut -d' ' -f1)"
    heq "user.wl.bin" "$(xget -e hex -n user.wl.bin "$f" | sed -n 's/^user.wl.bin=//p')" "$WL_XATTR_BIN"
    heq "user.wl.dir on a directory" "$(xget --only-values -n user.wl.dir "$G/xdir")" "$(wl_xattr_keep)"
    list=$(xget -m '^user\.wl\.' "$f" | grep '^user' | sort | tr '\n' ' ')
    heq "user.wl.* names (user.wl.gone was removed)" "$list" "user.wl.big user.wl.bin user.wl.keep "
}
host_unlink_open() { hgone "unlinked file" "$G/unlinked"; }
host_rm_tree() { hgone "removed tree" "$G/tree"; }
host_parallel() {
    local i=0 sum
    while [ "$i" -lt "$WL_PARALLEL" ]; do
        sum=$(res "par-$i.md5")
        if [ -z "$sum" ]; then herr "the guest recorded no par-$i.md5"
        else heq "md5 of par-$i.bin" "$(md5 "$G/par-$i.bin" 2>/dev/null)" "$sum"; fi
        i=$((i + 1))
    done
}
host_statfs() { :; }   # nothing to see on the host: the guest's own check decides

version() { res knobs | sed -n 's/.* version=\([^ ]*\).*/\1/p'; }

# ---- main -----------------------------------------------------------------------
load_results

if [ -f "$RES" ] && grep -q '^end ' "$RES"; then
    tap ok "$WL_TAG: the guest finished the workload ($(res end))"
else
    tap fail "$WL_TAG: the guest finished the workload" \
        "$([ -f "$RES" ] && echo "results.txt has no end line (last: $(tail -1 "$RES"))" || echo "no ${RES#"$EXPORT"/}")"
fi
for c in $WL_CHECKS; do
    gs=$(res "status $c")
    if [ "$c" = xattr ] || [ "$c" = read-host-xattr ]; then
        if [ "$WL_XATTR" != 1 ]; then
            echo "ok $((N + 1)) - $WL_TAG: $c # SKIP WL_XATTR=$WL_XATTR"
            N=$((N + 1))
            continue
        fi
    fi
    if [ -z "$gs" ]; then   # the guest never got there: the host has nothing to judge
        tap fail "$WL_TAG: $c" "guest: no result recorded"
        continue
    fi
    HERR=
    "host_${c//-/_}"
    case "$gs" in
        ok*) [ -z "$HERR" ] && tap ok "$WL_TAG: $c" || tap fail "$WL_TAG: $c" "host: $HERR" ;;
        *) tap fail "$WL_TAG: $c" "guest: $gs" "${HERR:+host: $HERR}" ;;
    esac
done
echo "1..$N"
[ "$FAILED" = 0 ]
