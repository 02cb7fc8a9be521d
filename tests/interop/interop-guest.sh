#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# /guest/run.sh of the interoperability test (test-qemu-interop.sh), in the
# Linux test guest (busybox sh).  /guest/config sets TRANS (virtio: QEMU's
# -virtfs shares; tcp: xen9pd over QEMU's user network, SERVER_IP, GUEST_IP)
# and STEPS="TAG:make:TREE TAG:stat:TREE ...".  make builds the tree every
# server must show alike; stat prints what the client sees of it, one line per
# entry (@@ST), and each symlink's target (@@LN); the host compares the boots.
export PATH=/bin:/sbin:/usr/bin
. /guest/config
if [ "$TRANS" = tcp ]; then
    ip link set lo up
    ip link set eth0 up && ip addr add "$GUEST_IP" dev eth0 || echo "@@GUEST fail network"
fi

# make DIR: owners, modes with set-id and sticky bits, a symlink, a FIFO, device
# nodes, a hard link, nested directories: all of it lives in the model's metadata
make_tree() (
    set -e
    mkdir "$1"
    cd "$1"
    echo "plain file" > f644; chmod 644 f644; chown 1000:1000 f644
    echo "root's" > f600; chmod 600 f600; chown 0:0 f600
    echo "set-id" > f6755; chown 1234:5678 f6755; chmod 6755 f6755
    mkdir d750; chown 42:43 d750; chmod 750 d750
    mkdir d1777; chmod 1777 d1777
    echo nested > d750/inner; chown 4242:4343 d750/inner; chmod 640 d750/inner
    ln -s target/with/path sl; chown -h 7:8 sl
    ln -s ../f644 d750/up
    mkfifo fifo; chown 9:10 fifo; chmod 620 fifo
    mknod null c 1 3; chmod 666 null
    mknod sda1 b 8 1; chown 6:6 sda1; chmod 660 sda1
    ln f644 hl
)

# stat DIR: "@@ST TAG TREE PATH TYPE MODE UID GID SIZE MAJOR MINOR" (sizes of
# regular files and symlinks only: a directory's is the host's business)
stat_tree() {
    root=$1
    (cd "$root" && find . | sort) | while read -r p; do
        stat -c '%F|%a|%u|%g|%s|%t|%T' "$root/$p" | tr ' ' '_' | {
            IFS='|' read -r type mode uid gid size major minor
            case "$type" in regular*|symbolic*) ;; *) size=- ;; esac
            echo "@@ST $TAG $TREE $p $type $mode $uid $gid $size $major $minor"
        }
        [ -L "$root/$p" ] && echo "@@LN $TAG $TREE $p $(readlink "$root/$p")"
    done
}

# STEPS: TAG:PORT:STEP:TREE (PORT - for virtio); each share mounted once
for s in $STEPS; do
    IFS=: read -r TAG port step TREE << END
$s
END
    if ! grep -q " /mnt/$TAG " /proc/mounts; then
        mkdir -p "/mnt/$TAG"
        if [ "$TRANS" = virtio ]; then
            mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 "$TAG" "/mnt/$TAG"
        else
            mount -t 9p -o "trans=tcp,port=$port,version=9p2000.L,msize=262144" "$SERVER_IP" "/mnt/$TAG"
        fi || { echo "@@GUEST fail mount $TAG"; dmesg | tail -5 | sed 's/^/@@DMESG /'; continue; }
    fi
    case $step in
        make) if make_tree "/mnt/$TAG/$TREE"; then echo "@@GUEST made $TAG $TREE"; else echo "@@GUEST fail make $TAG $TREE"; fi ;;
        stat) stat_tree "/mnt/$TAG/$TREE"; echo "@@GUEST statted $TAG $TREE" ;;
    esac
done
sync
for m in /mnt/*; do umount "$m" 2> /dev/null; done
