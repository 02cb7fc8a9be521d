#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dom0-demo.sh: the demo's dom0 side. xen9pd serves /srv/demo to a PV domU, which
# mounts it and uses it; every command shows on the console with its output.
. /xenlab/lib.sh
# dom0 COMMAND...: show and run a dom0 command, its output marked "dom0> "
dom0() { echo "dom0# $*"; "$@" 2>&1 | sed 's/^/dom0> /'; }

phase demo
mkdir -p /srv/demo
echo "hello from dom0, Xen $XEN" > /srv/demo/hello.txt
xen9pd_start
check "xen9pd runs in dom0" xen9pd_alive
if [ "$XEN" = 4.20 ]; then
  # libxl 4.20 hands type=xen_9pfsd shares to the running xen9pd
  P9="p9 = [ 'type=xen_9pfsd,tag=demo,path=/srv/demo,security_model=none' ]"
  echo "dom0# xl create demo.cfg   # with $P9"
  D=$(domu_create demo 256 "$P9") && tap_ok "xl create with $P9" || tap_fail "xl create with a xen_9pfsd share"
else
  # libxl 4.17 knows only QEMU for p9: the share is hot-attached with xen9p
  echo "dom0# xl create demo.cfg"
  D=$(domu_create demo 256) && tap_ok "xl create" || tap_fail "xl create"
  echo "dom0# xen9p attach $D tag=demo,path=/srv/demo,security_model=none"
  DEV=$(xen9p attach "$D" tag=demo,path=/srv/demo,security_model=none) && tap_ok "xen9p attach: device $DEV" || tap_fail "xen9p attach"
fi
domu_ready "$D"
dom0 xen9p list
domu_run "$D" 180 demo_domu demo
check "domU mounted the share and used it" test $? = 0
dom0 cat /srv/demo/from-domu.txt
dom0 md5sum /srv/demo/blob.bin
G=$(domu_out "$D" | sed -n 's/^\([0-9a-f]\{32\}\)  \/mnt\/blob.bin$/\1/p')
H=$(md5sum /srv/demo/blob.bin | cut -d' ' -f1)
if [ -n "$G" ] && [ "$G" = "$H" ]; then tap_ok "dom0 reads the 8 MiB the domU wrote (md5 $H both sides)"
else tap_fail "dom0 reads the 8 MiB the domU wrote" "domU md5 '$G', dom0 md5 '$H'"; fi
check "dom0 reads the domU's text file" grep -q "written by the domU" /srv/demo/from-domu.txt
dom0 xen9p list
dom0 xl destroy demo
sleep 2
dom0 xen9p list
phase_end
