#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build.sh VERSION   (VERSION = 4.20 | 4.17)
#
# Builds the full-Debian dom0 of the lab (test-debian-dom0-4.20.sh) and prints its
# cache directory: a Debian root file system with systemd as PID 1, Xen and its
# toolstack as Debian packages, and xen9p's own .deb installed with dpkg -i.
#   4.20: Debian 13 (trixie), 4.17: Debian 12 (bookworm); the host's archive, suite
#   changed (../apt-sources.sh), fetched with mmdebstrap.
# Cache: ${XEN9P_CACHE:-/var/cache/xen9p}/debian-dom0-VERSION/
#   base.tar      the mmdebstrap result (Debian only; rebuilt when the package list changes)
#   deb/          xen9p's .deb, built with dpkg-buildpackage from the working tree's
#                 tracked files (rebuilt when any of them changes)
#   img/disk.img  ext4 root file system (sparse), the dom0's virtio disk
#   img/xen, img/vmlinuz, img/initrd.img   what QEMU boots (the kernel and initramfs
#                 are Debian's, from the image's /boot: initramfs-tools made it)
#   img/stamp     hash of the inputs, the .deb's hash included
# Environment:
#   top_builddir     build tree: its tests/xenlab/vector-check goes into dom0 and domU
#   XEN9P_DEB        use this .deb instead of building one from the working tree
set -euo pipefail
VER=${1:?usage: build.sh 4.20|4.17}
case "$VER" in
  4.17) SUITE=bookworm GLIB=libglib2.0-0 ;;
  4.20) SUITE=trixie GLIB=libglib2.0-0t64 ;;
  *) echo "build.sh: unknown Xen version $VER (4.20 or 4.17)" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
LABDIR=$(cd "$HERE/.." && pwd)
SRCTOP=$(cd "$HERE/../../.." && pwd)
CACHE=${XEN9P_CACHE:-/var/cache/xen9p}/debian-dom0-$VER
mkdir -p "$CACHE"
exec 9> "$CACHE/.lock"
flock 9   # one builder per version
log() { echo "[debian-dom0 $VER] $*" >&2; }
T0=$SECONDS
for t in mmdebstrap mke2fs dpkg-buildpackage cpio gzip; do
  command -v "$t" > /dev/null || { echo "build.sh: $t is missing (scripts/deps.txt)" >&2; exit 1; }
done

# ---- the lab's image: the domU's kernel and initramfs (../build-image.sh) -----------
LAB=$("$LABDIR/build-image.sh" "$VER")

# ---- xen9p's .deb from the working tree ------------------------------------------------
# Keyed by the tracked files' contents, so an unchanged tree reuses the last .deb.
if [ -n "${XEN9P_DEB:-}" ]; then
  DEB=$(readlink -f "$XEN9P_DEB")
else
  if git -C "$SRCTOP" rev-parse --git-dir > /dev/null 2>&1; then
    SRCHASH=$(cd "$SRCTOP" && git ls-files -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  else
    SRCHASH=$(cd "$SRCTOP" && find . -path ./.git -prune -o -type f -print0 | LC_ALL=C sort -z \
              | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
  fi
  if [ "$(cat "$CACHE/deb/src-hash" 2> /dev/null)" != "$SRCHASH" ]; then
    log "building xen9p's .deb from the working tree"
    W=$(mktemp -d /tmp/xen9p-dom0deb-XXXXXX)
    mkdir "$W/xen9p"
    # the tracked files only, as tests/packaging/test-deb.sh: a build dir is not source
    if git -C "$SRCTOP" rev-parse --git-dir > /dev/null 2>&1; then
      git -C "$SRCTOP" ls-files -z | (cd "$SRCTOP" && tar --null -T - -cf -) | tar -C "$W/xen9p" -xf -
    else
      (cd "$SRCTOP" && tar --exclude=./build --exclude=./.git -cf - .) | tar -C "$W/xen9p" -xf -
    fi
    # nocheck: tests/packaging runs the package's own checks; nothing of a calling
    # `make check` (its MAKEFLAGS carry TESTS=) leaks into the package build
    if ! (cd "$W/xen9p" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u TESTS \
            -u top_builddir -u top_srcdir DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
            dpkg-buildpackage -us -uc -b) > "$W/build.log" 2>&1; then
      tail -30 "$W/build.log" >&2
      echo "build.sh: dpkg-buildpackage failed (log above; tree kept in $W)" >&2
      exit 1
    fi
    rm -rf "$CACHE/deb"; mkdir -p "$CACHE/deb"
    cp "$W"/xen9p_*.deb "$CACHE/deb/"
    echo "$SRCHASH" > "$CACHE/deb/src-hash"
    rm -rf "$W"
  fi
  DEB=$(ls "$CACHE"/deb/xen9p_*.deb | head -1)
fi
DEBHASH=$(sha256sum "$DEB" | cut -d' ' -f1)
log "xen9p package: $(basename "$DEB") sha256 ${DEBHASH:0:16}"

# ---- the Debian base (mmdebstrap) ---------------------------------------------------------
# systemd as init, Xen and its toolstack, Debian's kernel with initramfs-tools (its
# initramfs carries virtio_blk and ext4: MODULES=most), what xen9p's .deb depends on.
BASE_PKGS="systemd systemd-sysv udev kmod procps initramfs-tools zstd linux-image-amd64
           xen-hypervisor-$VER-amd64 xen-utils-$VER xen-utils-common xenstore-utils
           e2fsprogs $GLIB libseccomp2"
BASE_STAMP=$( { echo "$SUITE $BASE_PKGS"; sed -n '/^# ---- the Debian base/,/^# ---- end of base/p' "$0"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$CACHE/base.stamp" 2> /dev/null)" != "$BASE_STAMP" ] || [ ! -f "$CACHE/base.tar" ]; then
  # shellcheck source=../apt-sources.sh
  . "$LABDIR/apt-sources.sh"
  suite_sources "$SUITE" > "$CACHE/sources.list"
  [ -s "$CACHE/sources.list" ] || { echo "build.sh: the host's apt has no bookworm main entry" >&2; exit 1; }
  log "mmdebstrap $SUITE (first build: downloads and installs ~600 MB)"
  rm -rf "$CACHE/base.tar" "$CACHE/base-new.tar" "$CACHE/base.stamp"
  # The sources.list names the archive's host: it does not stay in the image.
  # shellcheck disable=SC2086
  mmdebstrap --variant=minbase --mode=root --aptopt='APT::Install-Recommends "false"' \
    --include="$(echo $BASE_PKGS | tr ' ' ',')" \
    --customize-hook='rm -f "$1/etc/apt/sources.list"; rm -rf "$1"/var/lib/apt/lists/*' \
    "$SUITE" "$CACHE/base-new.tar" "$CACHE/sources.list" > "$CACHE/mmdebstrap.log" 2>&1 \
    || { rm -f "$CACHE/sources.list"; tail -30 "$CACHE/mmdebstrap.log" >&2; exit 1; }
  rm -f "$CACHE/sources.list"
  mv "$CACHE/base-new.tar" "$CACHE/base.tar"
  echo "$BASE_STAMP" > "$CACHE/base.stamp"
  log "base ready in $((SECONDS - T0)) s ($(du -h "$CACHE/base.tar" | cut -f1))"
fi
# ---- end of base ---------------------------------------------------------------------

# ---- the image: base + xen9p's .deb + the lab's configuration ---------------------------
VC=${top_builddir:-.}/tests/xenlab/vector-check
INPUTS=("$0" "$HERE/agent.sh" "$HERE/xenlab-agent.service" "$HERE/domu-poweroff"
        "$LABDIR/run/dom0-lib.sh" "$LABDIR/run/domu-main.sh" "$LABDIR/run/domu-lib.sh"
        "$LAB/img/stamp" "$CACHE/base.stamp")
[ -x "$VC" ] && INPUTS+=("$VC")
STAMP=$( { cat "${INPUTS[@]}"; echo "$DEBHASH"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$CACHE/img/stamp" 2> /dev/null)" = "$STAMP" ]; then echo "$CACHE"; exit 0; fi
log "building the disk image"
R=$CACHE/root OUT=$CACHE/img.new
# chroot needs /proc and /dev for dpkg's maintainer scripts; always unmounted again
cleanup() { umount "$R/proc" "$R/dev" 2> /dev/null || true; }
# never rm -rf the root while the host's /dev is bound into it
rm_root() {
  cleanup
  if awk -v r="$R/" 'index($2 "/", r) == 1 { f = 1 } END { exit !f }' /proc/mounts; then
    echo "build.sh: something is still mounted under $R: not removing it" >&2; exit 1
  fi
  rm -rf "$R"
}
trap cleanup EXIT
rm_root; rm -rf "$OUT"; mkdir -p "$R" "$OUT"
tar -C "$R" -xf "$CACHE/base.tar"
mount -t proc proc "$R/proc"; mount --bind /dev "$R/dev"
# The package as an administrator installs it: dpkg -i (its postinst enables the unit;
# nothing starts in a chroot).
cp "$DEB" "$R/tmp/xen9p.deb"
chroot "$R" dpkg -i /tmp/xen9p.deb > "$CACHE/dpkg-i.log" 2>&1 \
  || { cat "$CACHE/dpkg-i.log" >&2; echo "build.sh: dpkg -i xen9p.deb failed in the $SUITE root" >&2; exit 1; }
rm -f "$R/tmp/xen9p.deb"
cleanup
# Debian starts xenstored and mounts /proc/xen in xen.service (/etc/init.d/xen); it has
# no xenstored.service, proc-xen.mount or xen-init-dom0.service. A unit not ordered
# after xen.service starts first and is skipped (ConditionPathExists=/proc/xen/...).
# The test reports that as a failure (unit-workaround); the drop-in lets the rest run.
UNIT=$R/usr/lib/systemd/system/xen9pd.service
[ -f "$UNIT" ] || UNIT=$R/lib/systemd/system/xen9pd.service
if ! grep -Eq '^After=(.*[[:space:]])?xen\.service([[:space:]]|$)' "$UNIT"; then
  mkdir -p "$R/etc/systemd/system/xen9pd.service.d"
  printf '[Unit]\nAfter=xen.service\nWants=xen.service\n' > "$R/etc/systemd/system/xen9pd.service.d/debian-xen.conf"
  echo "the packaged unit has no After=xen.service: drop-in added ($(grep '^After=' "$UNIT"))" > "$OUT/unit-workaround"
fi
# the lab's dom0 side: the agent (a systemd unit), dom0-lib.sh, the domU's kernel and
# initramfs (the lab's, with its agent, and a /sbin/poweroff for `xl shutdown`)
mkdir -p "$R/xenlab/bin" "$R/srv/share" "$R/etc/xen/auto" "$R/var/log/journal" "$R/var/lib/xenlab" \
  "$R/var/log/xen/console"
install -m 755 "$HERE/agent.sh" "$R/xenlab/agent.sh"
install -m 644 "$LABDIR/run/dom0-lib.sh" "$R/xenlab/lib.sh"
install -m 644 "$HERE/xenlab-agent.service" "$R/etc/systemd/system/xenlab-agent.service"
echo "$VER" > "$R/xenlab/xen-version"
echo xen9pd > "$R/xenlab/backend"
cp "$LAB/img/vmlinuz" "$R/xenlab/vmlinuz"
U=$CACHE/domu-overlay; rm -rf "$U"; mkdir -p "$U/xenlab/workload" "$U/sbin"
install -m 755 "$LABDIR/run/domu-main.sh" "$U/xenlab/domu-main.sh"
install -m 644 "$LABDIR/run/domu-lib.sh" "$U/xenlab/domu-lib.sh"
install -m 755 "$HERE/domu-poweroff" "$U/sbin/poweroff"
if [ -x "$VC" ]; then
  install -m 755 "$VC" "$U/xenlab/workload/vector-check"; install -m 755 "$VC" "$R/xenlab/bin/vector-check"
  echo 1 > "$R/xenlab/vector-check"
else
  echo 0 > "$R/xenlab/vector-check"   # not built: the preflight says SKIP
fi
(cd "$U" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$CACHE/domu-overlay.gz"
cat "$LAB/img/domu.gz" "$CACHE/domu-overlay.gz" > "$R/xenlab/domu.gz"
rm -rf "$U" "$CACHE/domu-overlay.gz"
# The guest xendomains starts at boot. 4.20's xl needs type=xen_9pfsd for a share that
# xen9pd serves (without it, libxl asks QEMU, its default 9pfs backend). 4.17's xl knows
# only QEMU: no p9 line there, the agent attaches the share with `xen9p attach`.
P9="p9 = [ 'type=xen_9pfsd,tag=share,path=/srv/share,security_model=none' ]"
[ "$VER" = 4.17 ] && P9="# p9: attached by the lab's agent (xen9p attach); 4.17's xl knows only QEMU"
cat > "$R/etc/xen/auto/share.cfg" << EOF
name = "share"
type = "pv"
kernel = "/xenlab/vmlinuz"
ramdisk = "/xenlab/domu.gz"
extra = "console=hvc0 loglevel=5"
memory = 256
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
$P9
EOF
# xendomains: shut guests down and start them afresh (Debian's default saves them
# to disk and restores them, which needs no share and proves nothing here)
sed -i -e 's|^XENDOMAINS_SAVE=.*|XENDOMAINS_SAVE=""|' -e 's|^XENDOMAINS_RESTORE=.*|XENDOMAINS_RESTORE=false|' \
  -e 's|^XENDOMAINS_STOP_MAXWAIT=.*|XENDOMAINS_STOP_MAXWAIT=60|' "$R/etc/default/xendomains"
# xenconsoled keeps each guest's console in /var/log/xen/console (dom0-lib.sh reads it)
echo 'XENCONSOLED_ARGS="--log=guest --log-dir=/var/log/xen/console"' >> "$R/etc/default/xen"
echo dom0 > "$R/etc/hostname"
# guests' console logs start empty each boot (dom0-lib.sh reads a command's output
# from them; last boot's would match)
printf '%s\n' '/dev/vda / ext4 rw,errors=remount-ro 0 1' \
  'tmpfs /var/log/xen/console tmpfs mode=0755 0 0' > "$R/etc/fstab"
# no login prompts (nobody logs in; each costs emulated CPU)
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@hvc0.service"
ln -sf /dev/null "$R/etc/systemd/system/getty@tty1.service"
ln -sf /dev/null "$R/etc/systemd/system/getty-static.service"
systemctl --root="$R" enable xen9pd.service xendomains.service xen.service xenlab-agent.service > /dev/null 2>&1
# Xen (plain ELF for QEMU's multiboot loader), Debian's kernel and its initramfs
zcat "$R/boot/xen-$VER-amd64.gz" > "$OUT/xen"
KV=$(cd "$R/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -1)
cp "$R/boot/vmlinuz-$KV" "$OUT/vmlinuz"; cp "$R/boot/initrd.img-$KV" "$OUT/initrd.img"
echo "$KV" > "$OUT/kernel-version"
dpkg-deb -f "$DEB" Package Version > "$OUT/xen9p-package"
echo "sha256 $DEBHASH" >> "$OUT/xen9p-package"
# ext4 without mounting: mke2fs copies the tree (owners, modes, xattrs, hard links)
mke2fs -q -t ext4 -L dom0root -d "$R" "$OUT/disk.img" 4G >&2
echo "$STAMP" > "$OUT/stamp"
rm -rf "$CACHE/img"; rm_root; mv "$OUT" "$CACHE/img"
log "image ready in $((SECONDS - T0)) s: kernel $KV, disk $(du -h "$CACHE/img/disk.img" | cut -f1) used"
echo "$CACHE"
