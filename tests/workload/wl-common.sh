# SPDX-License-Identifier: GPL-2.0-or-later
#
# wl-common.sh: what the workload creates, defined once.  Sourced by
# guest-workload.sh (busybox sh in the guest), host-prepare.sh and
# host-verify.sh (bash on the host), so it is plain POSIX sh and uses only
# commands that busybox and coreutils both have.
#
# Knobs (environment): WL_TAG (default wl), WL_BIG_MB (64), WL_PARALLEL (4),
# WL_PAR_MB (4, MiB per parallel file), WL_XATTR (1 = exercise xattrs),
# WL_DIR_MAKER (guest: the guest creates the 2000-entry directory and lists it;
# host: host-prepare.sh creates it and the guest lists it, for guests where
# 2000 creates take minutes, as PV domUs under TCG).

WL_TAG=${WL_TAG:-wl}
WL_BIG_MB=${WL_BIG_MB:-64}
WL_PARALLEL=${WL_PARALLEL:-4}
WL_PAR_MB=${WL_PAR_MB:-4}
WL_XATTR=${WL_XATTR:-1}
WL_DIR_MAKER=${WL_DIR_MAKER:-guest}

# Every check the guest reports, in the order it runs them.
WL_CHECKS="read-host-small read-host-big read-host-meta read-host-symlink read-host-xattr
write-small append offset-write big-write rename-same-dir rename-file rename-dir
rename-replace symlink hardlink chmod chown truncate-grow truncate-shrink
truncate-open dir-2000 xattr unlink-open rm-tree parallel statfs"

WL_SMALL_COUNT=32
WL_HOST_SMALL_COUNT=8
WL_DIR_COUNT=2000
# Entry names of 246 bytes: 2000 of them do not fit one 512 KiB Rreaddir, so
# listing the directory needs the offset continuation to work.
WL_NAME_PAD=$(printf '%s' abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789 \
    abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789 \
    abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789 | head -c 240)

# Ownership the guest sets, and the host-made file whose metadata it reads.
WL_CHOWN_UID=1234
WL_CHOWN_GID=5678
WL_CHGRP_GID=4321
WL_META_UID=4242
WL_META_GID=4343
WL_META_MODE=604
WL_META_SIZE=1234
# name:mode pairs the guest chmods (files, then directories).
WL_FILE_MODES="m600:600 m640:640 m755:755 m444:444 m4755:4755 m2755:2755"
WL_DIR_MODES="d750:750 d1777:1777 d2770:2770"
# What the server does with set-user-ID and set-group-ID bits: xen9pd strips
# them unless the share opts in (allow-setid, docs/security.md); diod keeps them.
WL_SETID=${WL_SETID:-stripped}
# wl_mode_kept MODE: the mode (octal, as stat %a prints it) a chmod MODE leaves
wl_mode_kept() {
    if [ "$WL_SETID" = kept ]; then echo "$1"; else printf '%o\n' $(( 0$1 & ~06000 )); fi
}
WL_GROW_SIZE=1048576
WL_SHRINK_FROM=100000
WL_SHRINK_TO=777
WL_APPENDS=10
WL_BIG_XATTR_LEN=3000

wl_dir() { echo "wl-$WL_TAG"; }
# the 2000-entry directory, relative to wl_dir
wl_d2k() { if [ "$WL_DIR_MAKER" = host ]; then echo host/d2k; else echo guest/d2k; fi; }

# Contents are made by `yes | head -c` so both sides produce identical bytes.
wl_small_size() { echo $(( ($1 * $1 * 17) % 70001 )); }
wl_small_content() { yes "xen9p workload $WL_TAG guest small $1" | head -c "$(wl_small_size "$1")"; }
wl_host_small_content() { yes "xen9p workload $WL_TAG host small $1" | head -c $(( $1 * 4099 + 1 )); }
wl_meta_content() { yes "meta $WL_TAG" | head -c "$WL_META_SIZE"; }
wl_append_content() {
    _wl_i=1
    while [ "$_wl_i" -le "$WL_APPENDS" ]; do echo "append $WL_TAG line $_wl_i"; _wl_i=$((_wl_i + 1)); done
}
# offset-write: 64 KiB of text, "MARK" written at 30000, "END" at 100000 (a hole before it)
wl_offset_base() { yes "offset $WL_TAG" | head -c 65536; }
wl_offset_expected() {  # wl_offset_expected FILE: writes the expected result into FILE
    wl_offset_base > "$1"
    printf MARK | dd of="$1" bs=1 seek=30000 conv=notrunc 2>/dev/null
    printf END | dd of="$1" bs=1 seek=100000 conv=notrunc 2>/dev/null
}
wl_grow_prefix() { echo "grow $WL_TAG"; }
wl_shrink_content() { yes "shrink $WL_TAG" | head -c "$1"; }
wl_rename_content() { echo "rename $WL_TAG $1"; }
wl_hardlink_content() { echo "hardlink $WL_TAG"; }
wl_unlink_content() { echo "unlinked while open $WL_TAG"; }
# wl_set_entry I: WL_ENTRY = the I-th name (no subshell: the guest makes 2000)
wl_set_entry() { _wl_n=$((10000 + $1)); WL_ENTRY="n${_wl_n#1}-$WL_NAME_PAD"; }
wl_dir_listing() {  # the 2000 names, one a line, sorted (C locale)
    _wl_i=0
    while [ "$_wl_i" -lt "$WL_DIR_COUNT" ]; do
        wl_set_entry "$_wl_i"; echo "$WL_ENTRY"; _wl_i=$((_wl_i + 1))
    done
}
wl_xattr_keep() { echo "value-of-$WL_TAG"; }
# no newline in it: the shell's $(...) would strip a trailing one
wl_xattr_big() { yes "big-xattr-$WL_TAG" | tr -d '\n' | head -c "$WL_BIG_XATTR_LEN"; }
WL_XATTR_BIN=0x00ff7f80010203fe
wl_host_xattr() { echo "host-made-$WL_TAG"; }
WL_SYMLINK_ABS=/etc/passwd
WL_SYMLINK_DANGLING=no-such-target
