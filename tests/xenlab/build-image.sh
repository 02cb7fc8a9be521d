#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-image.sh VERSION   (VERSION = 4.17 | 4.20)
#
# Builds the cached Xen lab image for one hypervisor version from Debian packages
# only and prints the cache directory. Nothing Xen-related is installed on the host:
# the packages are downloaded with a private apt state and unpacked with dpkg -x.
#   4.17: Debian 12 (bookworm), 4.20: Debian 13 (trixie). The archive is the one the
#   host's apt already uses, with the suite changed (read from /etc/apt at run time).
# Cache: ${XEN9P_CACHE:-/var/cache/xen9p}/xenlab-VERSION/
#   debs/           the downloaded packages (kept: a script change does not re-download)
#   img/xen         Xen (plain ELF, QEMU's multiboot loader wants it uncompressed)
#   img/vmlinuz     Linux for dom0 and domU
#   img/dom0.gz     dom0 initramfs: busybox, Xen toolstack, modules, the domU kernel
#   img/dom0-qemu.gz  extra cpio with QEMU's Xen backend (only for XENLAB_BACKEND=qemu)
#   img/domu.gz     domU initramfs: busybox, 9p modules, xenstore tools, attr tools
#   img/stamp       hash of the inputs; the image is rebuilt when it differs
# The xen9p binaries are NOT in the image: lab.sh adds them per run (an overlay).
set -euo pipefail
VER=${1:?usage: build-image.sh 4.17|4.20}
case "$VER" in
  4.17) SUITE=bookworm ;;
  4.20) SUITE=trixie ;;
  *) echo "build-image.sh: unknown Xen version $VER (4.17 or 4.20)" >&2; exit 2 ;;
esac
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${XEN9P_CACHE:-/var/cache/xen9p}/xenlab-$VER
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # one builder per version; a second caller waits and then finds the image ready

log() { echo "[build-image $VER] $*" >&2; }

# Everything that goes into the image; a change in any of them rebuilds it.
INPUTS=("$HERE/build-image.sh" "$HERE/apt-sources.sh" "$HERE/image/dom0-init" "$HERE/image/domu-init")
# Packages whose dependency closure is unpacked. The kernel is the version the
# suite's linux-image-amd64 points at (resolved below).
BASE_PKGS="xen-hypervisor-$VER-amd64 xen-utils-$VER xen-utils-common xenstore-utils
           busybox-static attr bash coreutils diffutils findutils grep sed qemu-system-xen"
# The workload's host side (bash scripts) expects Debian's tools, not busybox applets.
HOST_TOOLS="coreutils diffutils findutils grep sed"
# Never executed in the lab (maintainer scripts, pygrub, firmware, boot tooling).
EXCLUDE='^(perl|perl-modules-.*|perl-base|libperl.*|python3.*|libpython3.*|iso-codes|seabios|ipxe-qemu|udev|systemd.*|libsystemd-shared|adduser|cdebconf|debconf|dpkg|install-info|passwd|ucf|mailcap|media-types|mime-support|sensible-utils|tar|sysvinit-utils|lsb-base|readline-common|libdebian-installer4|libnewt0.52|libtextwrap1|libslang2|linux-base|initramfs-tools.*|kmod|dracut.*|linux-initramfs-tool|apt|.*-firmware.*|firmware-.*|base-files|debianutils|login|login.defs|init-system-helpers)$'

STAMP=$( { cat "${INPUTS[@]}"; echo "$BASE_PKGS"; } | sha256sum | cut -d' ' -f1)
if [ -f "$CACHE/img/stamp" ] && [ "$(cat "$CACHE/img/stamp")" = "$STAMP" ]; then
  echo "$CACHE"; exit 0
fi
T0=$SECONDS

# ---- private apt state: the host's archive, suite changed ----------------------
# host_entries, suite_sources: the host's archive for $SUITE (apt-sources.sh)
. "$HERE/apt-sources.sh"
A=$CACHE/apt
APT_OPTS=(-o Dir::Etc::SourceList="$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
          -o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache"
          -o Dir::Cache::Archives="$A/archives" -o Dir::State::status="$A/status"
          -o APT::Sandbox::User=root -o Acquire::Languages=none)
apt_setup() {
  rm -rf "$A"; mkdir -p "$A"/{lists/partial,archives/partial,cache}; : > "$A/status"
  suite_sources "$SUITE" > "$A/sources.list"
  [ -s "$A/sources.list" ] || { echo "build-image.sh: the host's apt has no bookworm main entry" >&2; exit 1; }
  log "apt update ($SUITE, $(wc -l < "$A/sources.list") entries)"
  apt-get "${APT_OPTS[@]}" -q update >/dev/null
}
# The private apt state names the archive host (file names under lists/): never keep it.
trap 'rm -rf "$A"' EXIT

# ---- download (kept in the cache; redone only when the package set changes) -------
D=$CACHE/debs
if [ ! -f "$D/.done" ] || [ "$(cat "$D/.done")" != "$BASE_PKGS" ]; then
  apt_setup
  KPKG=$(apt-cache "${APT_OPTS[@]}" depends linux-image-amd64 \
         | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [ -n "$KPKG" ] || { echo "build-image.sh: cannot resolve linux-image-amd64" >&2; exit 1; }
  log "downloading the closure of: $BASE_PKGS $KPKG"
  rm -rf "$D"; mkdir -p "$D"
  # shellcheck disable=SC2086
  apt-cache "${APT_OPTS[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts \
      --no-breaks --no-replaces --no-enhances $BASE_PKGS "$KPKG" \
    | grep -v '^[ <]' | sort -u | grep -Ev "$EXCLUDE" > "$D/packages.txt"
  (cd "$D" && xargs apt-get "${APT_OPTS[@]}" -q download < packages.txt >/dev/null)
  echo "${KPKG#linux-image-}" > "$D/kernel-version"
  echo "$BASE_PKGS" > "$D/.done"
  log "downloaded $(ls "$D"/*.deb | wc -l) packages, $(du -sh "$D" | cut -f1) in $((SECONDS - T0)) s"
fi
rm -rf "$A"
KVER=$(cat "$D/kernel-version")

# ---- unpack ----------------------------------------------------------------------
S=$CACHE/stage
rm -rf "$S" "$CACHE/img.new"; mkdir -p "$S" "$CACHE/img.new"
log "unpacking $(ls "$D"/*.deb | wc -l) packages"
for d in "$D"/*.deb; do dpkg -x "$d" "$S"; done
first() { local p; for p in "$@"; do [ -e "$p" ] && { echo "$p"; return 0; }; done; return 1; }
# bookworm packages install into /lib, trixie's are /usr-merged (/usr/lib)
MODDIR=$(first "$S/lib/modules/$KVER" "$S/usr/lib/modules/$KVER")
LDSO=$(first "$S/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$S/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")
LIBPATH=$S/lib/x86_64-linux-gnu:$S/usr/lib/x86_64-linux-gnu
BUSYBOX=$(first "$S/bin/busybox" "$S/usr/bin/busybox")
XENBIN=/usr/lib/xen-$VER/bin
OUT=$CACHE/img.new
zcat "$S/boot/xen-$VER-amd64.gz" > "$OUT/xen"
cp "$S/boot/vmlinuz-$KVER" "$OUT/vmlinuz"

# ---- helpers -----------------------------------------------------------------------
# A root with busybox and its applet links, /lib -> usr/lib (one library directory).
new_root() {
  local r=$1 a
  rm -rf "$r"; mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,run,mnt,root,var,usr/bin,usr/lib/x86_64-linux-gnu,lib64}
  ln -s usr/lib "$r/lib"; ln -s ../run "$r/var/run"
  cp "$BUSYBOX" "$r/bin/busybox"
  for a in $("$r/bin/busybox" --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
  ln -s /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$r/lib64/ld-linux-x86-64.so.2"
  cp -L "$LDSO" "$r/usr/lib/x86_64-linux-gnu/"
  echo "root:x:0:0:root:/root:/bin/sh" > "$r/etc/passwd"; echo "root:x:0:" > "$r/etc/group"
}
# install_elf ROOT PATH...: staged executables at the same path under ROOT, with
# every shared library they need, resolved by the staged loader. A library found
# outside the stage would make the image depend on the host: refuse.
install_elf() {
  local r=$1 p lib; shift
  for p in "$@"; do
    # the real tool, not busybox's smaller applet of the same name (getfattr in 1.37)
    if [ "$(readlink "$r/bin/$(basename "$p")")" = busybox ]; then rm "$r/bin/$(basename "$p")"; fi
    mkdir -p "$r$(dirname "$p")"; cp -P "$S$p" "$r$p"
    [ -L "$S$p" ] && continue
    [ "$(head -c 4 "$S$p" | od -An -c | tr -d ' ')" = '177ELF' ] || continue   # a script
    "$LDSO" --library-path "$LIBPATH" --list "$S$p" | awk '$3 ~ /^\// { print $3 }' \
      | while read -r lib; do
          case "$lib" in "$S"/*) ;; *) echo "build-image.sh: $p needs $lib from the host" >&2; exit 1 ;; esac
          cp -L "$lib" "$r/usr/lib/x86_64-linux-gnu/"
        done
  done
}
# Kernel modules with their dependencies (".modinfo depends=", the .deb has no
# modules.dep), decompressed (trixie ships .ko.xz, busybox insmod wants .ko), and
# ROOT/etc/modules.order in load order.
modfile() { find "$MODDIR" -name "$(echo "$1" | sed 's/[-_]/[-_]/g').ko*" | head -1; }
modcat() { case "$1" in *.xz) xz -dc "$1" ;; *.zst) zstd -qdc "$1" ;; *) cat "$1" ;; esac; }
declare -a ORDER
add_module() {  # post-order walk of the dependency graph
  local m=$1 f dep x
  for x in "${ORDER[@]:-}"; do [ "$x" = "$m" ] && return 0; done
  f=$(modfile "$m")
  if [ -z "$f" ]; then
    grep -qE "/$(echo "$m" | sed 's/[-_]/[-_]/g')\.ko" "$MODDIR/modules.builtin" && return 0
    echo "build-image.sh: module $m not found for $KVER" >&2; exit 1
  fi
  for dep in $(modcat "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '); do add_module "$dep"; done
  ORDER+=("$m")
}
install_modules() {
  local r=$1 m f n; shift; ORDER=()
  for m in "$@"; do add_module "$m"; done
  mkdir -p "$r/usr/lib/modules"; : > "$r/etc/modules.order"
  for m in "${ORDER[@]}"; do
    f=$(modfile "$m"); n=$(basename "$f"); n=${n%.xz}; n=${n%.zst}
    modcat "$f" > "$r/usr/lib/modules/$n"; echo "$n" >> "$r/etc/modules.order"
  done
}
mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 > "$2"; }
xenstore_tools() {  # 4.17 ships one multicall binary with links, 4.20 hard links
  local r=$1 f
  for f in "$S"/usr/bin/xenstore*; do
    if [ "$f" != "$S/usr/bin/xenstore" ] && { [ -L "$f" ] || cmp -s "$f" "$S/usr/bin/xenstore"; }; then
      ln -sf xenstore "$r/usr/bin/$(basename "$f")"
    else install_elf "$r" "/usr/bin/$(basename "$f")"; fi
  done
}

# ---- domU: busybox, 9p modules, xenstore tools (the lab's control channel), attr ---
log "building the domU initramfs (kernel $KVER)"
U=$CACHE/root-domu; new_root "$U"
install_modules "$U" 9pnet_xen 9p
xenstore_tools "$U"
install_elf "$U" /usr/bin/getfattr /usr/bin/setfattr
install -m 755 "$HERE/image/domu-init" "$U/init"
mkcpio "$U" "$OUT/domu.gz"

# ---- dom0: busybox, toolstack, gntdev/evtchn/privcmd, loop + ext4 for the share ---
log "building the dom0 initramfs"
R=$CACHE/root-dom0; new_root "$R"
for b in xl xenstored xenconsoled xenconsole xen-init-dom0 libxl-save-helper xen-9pfsd; do
  [ -e "$S$XENBIN/$b" ] && install_elf "$R" "$XENBIN/$b"
done
[ -e "$R$XENBIN/xenstored" ] || { echo "build-image.sh: no xenstored in the packages" >&2; exit 1; }
xenstore_tools "$R"
install_elf "$R" /usr/bin/getfattr /usr/bin/setfattr
# glibc dlopens libgcc_s for pthread_cancel (xl aborts without it); ld.so --list misses it
cp -L "$(first "$S/lib/x86_64-linux-gnu/libgcc_s.so.1" "$S/usr/lib/x86_64-linux-gnu/libgcc_s.so.1")" "$R/usr/lib/x86_64-linux-gnu/"
BASH_BIN=$(first "$S/bin/bash" "$S/usr/bin/bash"); install_elf "$R" "${BASH_BIN#"$S"}"
[ -e "$R/bin/bash" ] || ln -s /usr/bin/bash "$R/bin/bash"   # the workload's host side is bash
# Debian's tools take the place of busybox's links (the lab's own busybox sh scripts still
# get the applets: busybox-static's shell prefers them over PATH).
for pkg in $HOST_TOOLS; do
  dpkg-deb -c "$(ls "$D/${pkg}"_*.deb | head -1)" | awk '$1 ~ /^[-l]/ { print $6 }' \
    | sed -n 's|^\./\(\(usr/\)\?s\?bin/[^/]*\)$|/\1|p' > "$CACHE/tools.txt"
  while read -r t; do install_elf "$R" "$t"; done < "$CACHE/tools.txt"
done
rm -f "$CACHE/tools.txt"
install_modules "$R" xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs loop ext4 crc32c_generic
mkdir -p "$R/etc/xen" "$R/var/lib/xen" "$R/var/log/xen" "$R/xenlab"
cp "$S/etc/xen/xl.conf" "$R/etc/xen/xl.conf"
cp "$OUT/vmlinuz" "$R/xenlab/vmlinuz"
echo "$VER" > "$R/xenlab/xen-version"
install -m 755 "$HERE/image/dom0-init" "$R/init"
mkcpio "$R" "$OUT/dom0.gz"

# ---- QEMU's Xen 9pfs backend, a separate cpio appended only when asked for -------
log "building the QEMU backend add-on"
Q=$CACHE/root-qemu; rm -rf "$Q"; mkdir -p "$Q/usr/lib/x86_64-linux-gnu" "$Q/usr/share/qemu"
install_elf "$Q" /usr/libexec/xen-qemu-system-i386
cp -r "$S/usr/share/qemu/keymaps" "$Q/usr/share/qemu/"   # QEMU loads en-us even with -vnc none
mkcpio "$Q" "$OUT/dom0-qemu.gz"

echo "$STAMP" > "$OUT/stamp"
echo "$KVER" > "$OUT/kernel-version"
rm -rf "$CACHE/img" "$S" "$U" "$R" "$Q"; mv "$OUT" "$CACHE/img"
log "image ready in $((SECONDS - T0)) s: dom0 $(du -h "$CACHE/img/dom0.gz" | cut -f1), domU $(du -h "$CACHE/img/domu.gz" | cut -f1), qemu add-on $(du -h "$CACHE/img/dom0-qemu.gz" | cut -f1)"
echo "$CACHE"
