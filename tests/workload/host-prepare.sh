#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# host-prepare.sh EXPORT TAG: makes EXPORT/wl-TAG/host, the files the guest
# workload reads (with their md5 sums in MD5SUMS), and removes what an earlier
# run of the same TAG left.  Run as root (it sets an owner).  Same knobs as
# the guest (wl-common.sh); WL_XATTR=1 also sets an xattr (needs `attr`).
set -eu
EXPORT=${1:?usage: host-prepare.sh EXPORT TAG}
WL_TAG=${2:?usage: host-prepare.sh EXPORT TAG}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/wl-common.sh"

D=$EXPORT/$(wl_dir)
H=$D/host
rm -rf "$D"
mkdir -p "$H"
chmod 755 "$D" "$H"

i=0
while [ "$i" -lt "$WL_HOST_SMALL_COUNT" ]; do
    wl_host_small_content "$i" > "$H/small-host-$i"
    i=$((i + 1))
done
head -c $((WL_BIG_MB * 1048576)) /dev/urandom > "$H/big.bin"
i=0
while [ "$i" -lt "$WL_PARALLEL" ]; do
    head -c $((WL_PAR_MB * 1048576)) /dev/urandom > "$H/par-$i.bin"
    i=$((i + 1))
done
wl_meta_content > "$H/meta-file"
chown "$WL_META_UID:$WL_META_GID" "$H/meta-file"
chmod "$WL_META_MODE" "$H/meta-file"
ln -s small-host-0 "$H/link-to-small"
if [ "$WL_XATTR" = 1 ]; then
    setfattr -n user.wl.host -v "$(wl_host_xattr)" "$H/small-host-0"
fi
if [ "$WL_DIR_MAKER" = host ]; then
    d2k=$D/$(wl_d2k)
    mkdir "$d2k"
    i=0
    while [ "$i" -lt "$WL_DIR_COUNT" ]; do
        wl_set_entry "$i"
        : > "$d2k/$WL_ENTRY"
        i=$((i + 1))
    done
fi
(cd "$H" && md5sum small-host-* big.bin par-*.bin > MD5SUMS)
