#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# guest-run.sh: /guest/run.sh inside the test guest (busybox sh), started by
# the image's /init.  Brings up the virtio NIC on QEMU's user network; then,
# for each share in /guest/config, mounts it with the kernel 9p client over
# TCP (QEMU forwards SERVER_IP:PORT to the 9P server's socket on the host),
# runs the workload on it and unmounts it.  Everything it sees goes to the
# console as @@GUEST / @@WL lines; the host decides pass/fail.
#
# Why not trans=fd over a virtio-serial port: the port's file operations have
# no read_iter/write_iter, so the kernel's own I/O on it fails ("kernel write
# not supported").  Relaying the port to FIFOs with dd does not work either:
# trans_fd has room for two poll wait queues and a FIFO registers two by
# itself, so a message larger than the pipe (64 KiB) stalls until something
# else wakes the connection.
#
# /guest/config sets: MOUNTS="TAG:VERSION:PORT:XATTR:BIG_MB:OPTIONS ...", SERVER_IP,
# GUEST_IP, MSIZE, MOUNT_OPTS (extra 9p options), WL_TIMEOUT (seconds per
# workload) and the other WL_* knobs.
. /guest/config

ip link set lo up
if ! { ip link set eth0 up && ip addr add "$GUEST_IP" dev eth0; }; then
    echo "@@GUEST fail network: $(ip link 2>&1 | tr '\n' ' ')"
fi

for m in $MOUNTS; do
    IFS=: read -r tag version port xattr big setid extra << EOF
$m
EOF
    mkdir -p "/mnt/$tag"
    opts=trans=tcp,port=$port,version=$version,msize=$MSIZE${MOUNT_OPTS:+,$MOUNT_OPTS}${extra:+,$extra}
    if mount -t 9p -o "$opts" "$SERVER_IP" "/mnt/$tag"; then
        echo "@@GUEST mounted $tag $(awk -v m="/mnt/$tag" '$2 == m { print $4 }' /proc/mounts)"
        WL_TAG=$tag WL_XATTR=$xattr WL_BIG_MB=$big WL_SETID=$setid \
            timeout -s KILL "$WL_TIMEOUT" sh /guest/workload/guest-workload.sh "/mnt/$tag"
        echo "@@GUEST workload $tag exit $?"
        if umount "/mnt/$tag"; then echo "@@GUEST umounted $tag"; else echo "@@GUEST fail $tag umount"; fi
    else
        echo "@@GUEST fail $tag mount -o $opts"
        dmesg | tail -8 | sed 's/^/@@DMESG /'
    fi
done
