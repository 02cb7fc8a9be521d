#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dom0-bench.sh: the lab's benchmark (scripts/lab-bench). One PV domU on a 9P2000.L
# share of a tmpfs export, served by xen9pd (no --trace) or, with XENLAB_BACKEND=qemu,
# by QEMU's Xen 9pfs backend; the domU times file operations (microbench in
# domu-lib.sh) in three rounds. Figures go out as "@@DIAG @@BENCH OP ROUND SECONDS".
. /xenlab/lib.sh
ROUNDS=3

phase bench
mkdir -p /srv/bench
mount -t tmpfs -o size=300m bench /srv/bench
if [ "$BACKEND" = xen9pd ]; then
  xen9pd_start
  check "xen9pd started in dom0" xen9pd_alive
fi
if D=$(domu_create bench 256 2> "$L/err"); then tap_ok "xl create domU bench"; else tap_fail "xl create domU bench" "$(cat "$L/err")"; fi
check "domU bench boots and its agent answers" domu_ready "$D"
vector_preflight "$D" || lab_abort "the emulated CPU loses vector state"
if DEV=$(share_attach "$D" "tag=bench,path=/srv/bench,security_model=none,max-open-files=64" 2> "$L/err"); then
  tap_ok "share attached to domU bench: device $DEV ($BACKEND)"
else
  tap_fail "share attached to domU bench ($BACKEND)" "$(cat "$L/err")"
fi
domu_run "$D" 150 mount_share bench /mnt/bench 9p2000.L 120
check "domU bench mounts the share (9p2000.L, msize 512 KiB)" test $? = 0
r=1
while [ "$r" -le "$ROUNDS" ]; do
  domu_run "$D" 300 "microbench /mnt/bench"
  RC=$?
  domu_out "$D" > "$L/mb-$r"
  check "round $r of the benchmark ran" test $RC = 0 || diag < "$L/mb-$r"
  sed -n "s/^@@MB \([^ ]*\) \([0-9.]*\)$/@@BENCH \1 $r \2/p" "$L/mb-$r" | diag
  r=$((r + 1))
done
xl destroy bench > /dev/null 2>&1
phase_end
