#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dom0-stress.sh: the lab's stress phase alone, for scripts/lab-soak. One PV domU with
# 2 vCPUs on a 9P2000.L share and one with 1 vCPU on a 9P2000.u share, both running the
# parallel I/O stress (domu-lib.sh `stress`) at once, STRESS_ROUNDS times, with the
# guest-kernel watchdog checks after each round.
. /xenlab/lib.sh
ROUNDS=$(cat /xenlab/stress-rounds 2> /dev/null || echo 3)
MB=$(cat /xenlab/stress-mb 2> /dev/null || echo 24)

phase setup
mkdir -p /srv
mount -t tmpfs -o size=700m stress /srv
mkdir -p /srv/a /srv/b
if [ "$BACKEND" = xen9pd ]; then
  xen9pd_start
  check "xen9pd started in dom0" xen9pd_alive
fi
DA=$(domu_create a 384 "" 2); DB=$(domu_create b 320)
check "domU a (2 vCPUs) boots" domu_ready "$DA" || lab_abort "domU a did not boot"
check "domU b boots" domu_ready "$DB" || lab_abort "domU b did not boot"
vector_preflight "$DA" || lab_abort "the emulated CPU loses vector state"
DEVA=$(share_attach "$DA" "tag=wl,path=/srv/a,security_model=none,max-open-files=256")
DEVB=$(share_attach "$DB" "tag=u,path=/srv/b,security_model=none,max-open-files=256")
domu_run "$DA" 60 mount_share wl /mnt/wl 9p2000.L 40
check "domU a mounts its share (9p2000.L)" test $? = 0
domu_run "$DB" 60 mount_share u /mnt/u 9p2000.u 40
check "domU b mounts its share (9p2000.u)" test $? = 0

phase stress
r=1
while [ "$r" -le "$ROUNDS" ]; do
  T0=$(up)
  NA=$(domu_send "$DA" "stress /mnt/wl $MB")
  NB=$(domu_send "$DB" "stress /mnt/u $MB")
  domu_wait "$DA" "$NA" 600; RA=$?
  domu_wait "$DB" "$NB" 600; RB=$?
  for x in "a $DA $RA" "b $DB $RB"; do
    set -- $x
    check "round $r: domU $1: stress status $3, every byte matched" test "$3" = 0 \
      || domu_out "$2" | grep -E 'mismatch|error|fail|total' | head -5 | diag
    domu_out "$2" | grep '^@@ST total' | diag
    check "round $r: domU $1: no soft lockup, RCU stall, Wrong req tag or hung task" no_domu_alarms "$2" \
      || domu_alarms "$2" | diag
  done
  say "round $r took $(elapsed "$T0") s"
  [ "$BACKEND" = xen9pd ] && xen9p rings 2>&1 | diag
  r=$((r + 1))
done
xl destroy a > /dev/null 2>&1; xl destroy b > /dev/null 2>&1
phase_end
