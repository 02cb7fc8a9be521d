#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-image.sh: builds the Linux test guest from Debian 12 packages only and
# prints the directory that holds it (vmlinuz, initrd.gz, kver) on stdout.
#
#   kernel    the linux-image-* that linux-image-amd64 depends on (apt's view)
#   initramfs busybox-static, the 9p and virtio-net modules (load order from
#             each .ko's .modinfo depends=), getfattr/setfattr from `attr` with
#             the libraries of Debian's libc6, and an /init that loads the
#             modules, runs /guest/run.sh (supplied per run as an appended cpio
#             archive) and powers off.
#
# The packages are fetched with `apt-get download` and unpacked with `dpkg -x`:
# nothing is installed on the host.  The result is cached OUTSIDE the clone in
# ${XEN9P_CACHE:-/var/cache/xen9p}/linux-guest and rebuilt when it is missing,
# when this script changes or when apt's kernel version changes.  Safe to run
# concurrently (a lock serialises builders) and to re-run.
set -euo pipefail

CACHE=${XEN9P_CACHE:-/var/cache/xen9p}/linux-guest
SELF=$(realpath "$0")
log() { echo "build-image: $*" >&2; }
die() { log "$*"; exit 1; }

# 9pnet_fd carries trans=tcp; the guest reaches the server through QEMU's
# user network (see guest-run.sh for why not a virtio-serial port); 9pnet_virtio
# carries QEMU's own -virtfs shares (tests/interop).
MODULES="9pnet_fd 9pnet_virtio 9p virtio_pci virtio_net"
PACKAGES_BESIDE_KERNEL="busybox-static attr libc6"

mkdir -p "$CACHE" || die "cannot create $CACHE (set XEN9P_CACHE to a writable place)"
exec 9>"$CACHE/.lock"
flock 9

KVER=$(apt-cache depends linux-image-amd64 2>/dev/null \
       | awk '/Depends: linux-image-[0-9]/ { sub(/^linux-image-/, "", $2); print $2; exit }')
[ -n "$KVER" ] || die "apt does not know linux-image-amd64 (run apt-get update)"
STAMP="script=$(sha256sum "$SELF" | cut -d' ' -f1) kernel=$KVER"
IMAGE=$CACHE/image
if [ -f "$IMAGE/stamp" ] && [ "$(cat "$IMAGE/stamp")" = "$STAMP" ] \
   && [ -s "$IMAGE/vmlinuz" ] && [ -s "$IMAGE/initrd.gz" ] && [ -s "$IMAGE/kver" ]; then
    echo "$IMAGE"
    exit 0
fi

# ---- download: .debs are kept across rebuilds and only missing ones fetched
# (apt-get download would fetch them again) ---------------------------------
DEBS=$CACHE/debs
mkdir -p "$DEBS"
want=()
for p in "linux-image-$KVER" $PACKAGES_BESIDE_KERNEL; do
    v=$(apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')
    [ -n "$v" ] && [ "$v" != "(none)" ] || die "no candidate version for $p"
    # apt names the file NAME_VERSION_ARCH.deb with ':' escaped as %3a
    ls "$DEBS/${p}_${v//:/%3a}_"*.deb >/dev/null 2>&1 || want+=("$p")
done
if [ ${#want[@]} -gt 0 ]; then
    log "downloading ${want[*]}"
    # apt's output names the archive host: it goes to a log in the cache only
    (cd "$DEBS" && apt-get download -q -o APT::Sandbox::User=root "${want[@]}") \
        > "$CACHE/download.log" 2>&1 || die "apt-get download failed, see $CACHE/download.log"
fi

# ---- unpack into a private work dir, assemble, then swap in atomically -----
WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
S=$WORK/stage
mkdir -p "$S"
for p in "linux-image-$KVER" $PACKAGES_BESIDE_KERNEL; do
    v=$(apt-cache policy "$p" | awk '/Candidate:/ { print $2 }')
    deb=$(ls "$DEBS/${p}_${v//:/%3a}_"*.deb | head -1)
    dpkg -x "$deb" "$S"
done
firstof() { for f in "$@"; do [ -e "$f" ] && { echo "$f"; return 0; }; done; return 1; }
MODDIR=$(firstof "$S/lib/modules/$KVER" "$S/usr/lib/modules/$KVER") || die "no modules for $KVER"
BUSYBOX=$(firstof "$S/bin/busybox" "$S/usr/bin/busybox") || die "no busybox in busybox-static"
LDSO=$(firstof "$S/lib64/ld-linux-x86-64.so.2" "$S/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \
               "$S/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2") || die "no ld.so in libc6"
LIBPATH=$S/lib/x86_64-linux-gnu:$S/usr/lib/x86_64-linux-gnu

R=$WORK/root
mkdir -p "$R"/{bin,sbin,etc,proc,sys,dev,tmp,run,mnt,root,guest,lib/modules,lib64,usr/bin}
mkdir -p "$R/lib/x86_64-linux-gnu"
cp "$BUSYBOX" "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do
    [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"
done

# Modules in load order: post-order walk of .modinfo depends= (the .deb ships
# no modules.dep; depmod runs in its postinst).
modfile() { find "$MODDIR" -name "$(echo "$1" | sed 's/[-_]/[-_]/g').ko*" | head -1; }
modcat() { case "$1" in *.xz) xz -dc "$1" ;; *.zst) zstd -qdc "$1" ;; *) cat "$1" ;; esac; }
ORDER=()
add_module() {
    local m=$1 f d x
    for x in "${ORDER[@]:-}"; do [ "$x" = "$m" ] && return 0; done
    f=$(modfile "$m")
    if [ -z "$f" ]; then
        grep -qE "/$(echo "$m" | sed 's/[-_]/[-_]/g')\.ko" "$MODDIR/modules.builtin" && return 0
        die "module $m is neither a .ko nor built in"
    fi
    for d in $(modcat "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$d"
    done
    ORDER+=("$m")
}
for m in $MODULES; do add_module "$m"; done
: > "$R/etc/modules.order"
for m in "${ORDER[@]}"; do
    f=$(modfile "$m"); n=$(basename "$f"); n=${n%.xz}; n=${n%.zst}
    modcat "$f" > "$R/lib/modules/$n"
    echo "$n" >> "$R/etc/modules.order"
done

# getfattr/setfattr (busybox has neither) and the libraries they need, all
# resolved inside the stage: a library found on the host would be a bug.
for b in getfattr setfattr; do
    src=$(firstof "$S/usr/bin/$b" "$S/bin/$b") || die "no $b in attr"
    cp "$src" "$R/usr/bin/$b"
    "$LDSO" --library-path "$LIBPATH" --list "$src" | awk '$3 ~ /^\// { print $3 }'
done | sort -u > "$WORK/libs"
if grep -v "^$S/" "$WORK/libs"; then die "a library resolved outside the stage"; fi
while read -r l; do cp -L "$l" "$R/lib/x86_64-linux-gnu/"; done < "$WORK/libs"
cp -L "$LDSO" "$R/lib64/ld-linux-x86-64.so.2"

echo "root:x:0:0:root:/root:/bin/sh" > "$R/etc/passwd"
echo "root:x:0:" > "$R/etc/group"
cat > "$R/init" <<'EOF'
#!/bin/sh
# Test guest: load the modules, run the per-run script, power off.
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs -o size=90% tmpfs /tmp
for m in $(cat /etc/modules.order); do
    insmod "/lib/modules/$m" || echo "@@GUEST insmod $m failed"
done
echo "@@GUEST up $(cut -d' ' -f1 /proc/uptime) kernel $(uname -r)"
if [ -x /guest/run.sh ]; then
    /guest/run.sh
else
    echo "@@GUEST no /guest/run.sh in the initramfs"
fi
echo "@@GUEST poweroff $(cut -d' ' -f1 /proc/uptime)"
sync
poweroff -f
EOF
chmod 755 "$R/init"

mkdir -p "$WORK/image"
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$WORK/image/initrd.gz"
cp "$S/boot/vmlinuz-$KVER" "$WORK/image/vmlinuz"
echo "$KVER" > "$WORK/image/kver"
cp "$R/etc/modules.order" "$WORK/image/modules.order"
echo "$STAMP" > "$WORK/image/stamp"
rm -rf "$IMAGE.old"
[ -d "$IMAGE" ] && mv "$IMAGE" "$IMAGE.old"
mv "$WORK/image" "$IMAGE"
rm -rf "$IMAGE.old"
log "built $IMAGE (kernel $KVER, modules: ${ORDER[*]})"
echo "$IMAGE"
