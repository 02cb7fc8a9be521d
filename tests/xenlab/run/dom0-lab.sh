#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# dom0-lab.sh: the lab's checks, run in dom0 (busybox sh) once the toolstack is up.
# Two PV domUs run the workload at the same time, "a" on a 9P2000.L mount, "b" on a
# 9P2000.u mount. Then "a" does the flush test, a hot attach and detach, and is
# destroyed in the middle of a large write, while "b" keeps a loop of I/O going; last,
# "b" reloads its 9p modules and detaches. Every `phase` line is a step lab.sh expects
# to finish.
. /xenlab/lib.sh
BIG_MB=$(cat /xenlab/big-mb)
MODEL=none

phase setup
# The exports live on ext4 (user xattrs; dom0's tmpfs has none on Linux 6.1), on a
# loop device backed by tmpfs; discard gives deleted files' memory back.
mkdir -p /var/lib/lab /srv
mount -t tmpfs -o size=920m labdisk /var/lib/lab
truncate -s 900M /var/lib/lab/share.img
mke2fs -q -F -b 4096 -I 256 /var/lib/lab/share.img > /dev/null
check "share file system: ext on a loop device" mount -t ext4 -o loop,discard,user_xattr /var/lib/lab/share.img /srv
mkdir -p /srv/a /srv/b /srv/hot
# Shared: what dom0 mounts below an export later (the flush phase's bind) reaches the
# export's confined worker, whose copy of the export is a slave of this mount.
mount --make-shared /srv
if [ "$BACKEND" = xen9pd ]; then
  xen9pd_start --trace
  check "xen9pd started in dom0 as the backend service" xen9pd_alive
  # libxl 4.20 spawns its own xen-9pfsd unless this node exists
  expect "xen9pd claimed libxl/xen-9pfs/state" \
    "$(xenstore-read /local/domain/0/libxl/xen-9pfs/state 2>&1)" running
else
  say "backend: QEMU's Xen 9pfs backend (debug mode, xen9pd checks skipped)"
fi

phase domus
# 4.20: domU a is a plain `xl create` with a xen_9pfsd share, served by the running
# xen9pd. 4.17 (its libxl knows only QEMU for p9): the share is hot-attached with
# xen9p. domU b's share is hot-attached on both.
# A second share of domU a is in QEMU's mapped-xattr model: its export belongs to an
# unprivileged account, whom its worker runs as (docs/security.md "The mapped models").
install -d -m 700 -o 65534 -g 65534 /srv/mx
P9=
if [ "$XEN" = 4.20 ] && [ "$BACKEND" = xen9pd ]; then
  P9="p9 = [ 'type=xen_9pfsd,tag=wl,path=/srv/a,security_model=$MODEL,max-open-files=256', 'type=xen_9pfsd,tag=mx,path=/srv/mx,security_model=mapped-xattr' ]"
fi
if DA=$(domu_create a 320 "$P9" 2 2> "$L/err"); then
  tap_ok "xl create domU a (2 vCPUs)$([ -n "$P9" ] && echo " with $P9")"
else
  tap_fail "xl create domU a$([ -n "$P9" ] && echo " with $P9")" "$(cat "$L/err")"
  tail -20 /var/log/xen/xl-a.log 2> /dev/null | diag
fi
if DB=$(domu_create b 320 2> "$L/err"); then tap_ok "xl create domU b"; else tap_fail "xl create domU b" "$(cat "$L/err")"; fi
check "domU a boots and its agent answers" domu_ready "$DA"
check "domU b boots and its agent answers" domu_ready "$DB"
vector_preflight "$DA" || lab_abort "the emulated CPU loses vector state"
if [ -n "$P9" ]; then
  DEVA=0 DEVMX=1
  check "4.20 xl p9 type=xen_9pfsd: libxl spawned no xen-9pfsd (xen9pd is the service)" \
    sh -c '! pidof xen-9pfsd'
elif DEVA=$(share_attach "$DA" "tag=wl,path=/srv/a,security_model=$MODEL,max-open-files=256" 2> "$L/err"); then
  tap_ok "xen9p attach to running domU a: device $DEVA"
else
  tap_fail "xen9p attach to running domU a" "$(cat "$L/err")"
fi
if [ -z "$P9" ] && [ "$BACKEND" = xen9pd ]; then
  if DEVMX=$(share_attach "$DA" "tag=mx,path=/srv/mx,security_model=mapped-xattr" 2> "$L/err"); then
    tap_ok "xen9p attach of a mapped-xattr share to running domU a: device $DEVMX"
  else
    tap_fail "xen9p attach of a mapped-xattr share to running domU a" "$(cat "$L/err")"
  fi
fi
if DEVB=$(share_attach "$DB" "tag=u,path=/srv/b,security_model=$MODEL,max-open-files=256" 2> "$L/err"); then
  tap_ok "xen9p attach to running domU b: device $DEVB"
else
  tap_fail "xen9p attach to running domU b" "$(cat "$L/err")"
fi
# mounted VERSION DOMID: the mount of the last command, with version and msize 512 KiB
mounted() {
  local line want
  line=$(domu_out "$2" | sed -n 's/^@@MOUNT ok.*: //p')
  case "$1" in 9p2000.u) want="*version=9p2000.u*" ;; *) want="*" ;; esac
  # shellcheck disable=SC2254
  case "$line" in *msize=524288*) case "$line" in $want) return 0 ;; esac ;; esac
  echo "mount line: ${line:-none}"; domu_out "$2" | tail -8
  return 1
}
domu_run "$DA" 60 mount_share wl /mnt/wl 9p2000.L 40
check "domU a mounts share wl: 9p2000.L, msize=524288 in /proc/mounts" mounted 9p2000.L "$DA" || dump_dev "$DA" "$DEVA"
domu_run "$DB" 60 mount_share u /mnt/u 9p2000.u 40
check "domU b mounts share u: version=9p2000.u, msize=524288 in /proc/mounts" mounted 9p2000.u "$DB" || dump_dev "$DB" "$DEVB"
BE_A=/local/domain/0/backend/$(be_kind)/$DA/$DEVA
BE_B=/local/domain/0/backend/$(be_kind)/$DB/$DEVB
expect "backend $BE_A is Connected" "$(xenstore-read "$BE_A/state" 2>&1)" 4
expect "backend $BE_B is Connected" "$(xenstore-read "$BE_B/state" 2>&1)" 4
if [ "$BACKEND" = xen9pd ]; then
  xen9p list 2>&1 | diag
  check "xen9p list shows domU a's share wl" xen9p_has "$DA" "$DEVA" wl
  check "xen9p list shows domU b's share u" xen9p_has "$DB" "$DEVB" u
fi

phase workload
# tests/workload, both dialects at once: guest side in the domUs, host side in dom0.
# xattrs only on .L (9P2000.u has none).
prepare() {  # prepare EXPORT TAG XATTR
  env WL_BIG_MB="$BIG_MB" WL_DIR_MAKER=host WL_XATTR="$3" bash /xenlab/workload/host-prepare.sh "$1" "$2" > "$L/prep-$2" 2>&1 \
    || { tap_fail "$2: host-prepare.sh $1 $2" "$(tail -5 "$L/prep-$2")"; return 1; }
}
# verify EXPORT TAG XATTR: host-verify.sh's TAP and status into $L/verify-TAG
verify() {
  env WL_BIG_MB="$BIG_MB" WL_DIR_MAKER=host WL_XATTR="$3" MODEL="$MODEL" bash /xenlab/workload/host-verify.sh "$1" "$2" > "$L/verify-$2" 2>&1
  echo $? > "$L/verify-$2.rc"
}
# results DIALECT DOMID CMD-NUMBER STATUS TAG: the guest's and dom0's verdicts as TAP
results() {
  local v=$1 d=$2 n=$3 rc=$4 t=$5 vrc end c
  domu_out "$d" "$n" > "$L/wl-$t"
  sed -n 's/^@@WL ok \(.*\)/\1/p' "$L/wl-$t" | while read -r c; do tap_ok "$v: guest: $c"; done
  sed -n 's/^@@WL skip \([^ ]*\) \(.*\)/\1 # \2/p' "$L/wl-$t" | while read -r c; do tap_skip "$v: guest: ${c%% # *}" "${c#* # }"; done
  sed -n 's/^@@WL fail \(.*\)/\1/p' "$L/wl-$t" | while read -r c; do tap_fail "$v: guest: $c"; done
  end=$(sed -n 's/^@@WL end //p' "$L/wl-$t")
  if [ "$rc" = 0 ] && [ -n "$end" ]; then tap_ok "$v: workload completed ($end)"
  else tap_fail "$v: workload completed (status $rc)" "$(tail -5 "$L/wl-$t")"; fi
  vrc=$(cat "$L/verify-$t.rc" 2> /dev/null)
  sed -n 's/^ok [0-9]* - \(.*\)/\1/p' "$L/verify-$t" | while read -r c; do
    case "$c" in *"# SKIP"*) tap_skip "$v: dom0 verify: ${c%% # SKIP*}" "${c#*# SKIP}" ;; *) tap_ok "$v: dom0 verify: $c" ;; esac
  done
  sed -n 's/^not ok [0-9]* - \(.*\)/\1/p' "$L/verify-$t" | while read -r c; do tap_fail "$v: dom0 verify: $c"; done
  grep '^#' "$L/verify-$t" | head -20 | diag
  [ "$vrc" = 0 ] || tap_fail "$v: host-verify.sh exit status 0" "status $vrc; $(tail -3 "$L/verify-$t")"
}
T0=$(up)
prepare /srv/a L 1 && NA=$(domu_send "$DA" "WL_BIG_MB=$BIG_MB WL_DIR_MAKER=host WL_XATTR=1 WL_TAG=L workload /mnt/wl")
prepare /srv/b u 0 && NB=$(domu_send "$DB" "WL_BIG_MB=$BIG_MB WL_DIR_MAKER=host WL_XATTR=0 WL_TAG=u workload /mnt/u")
domu_wait "$DA" "${NA:-0}" 600; RA=$?
verify /srv/a L 1 &
VPID=$!
domu_wait "$DB" "${NB:-0}" 600; RB=$?
say "both workloads done after $(elapsed "$T0") s"
verify /srv/b u 0
wait "$VPID"   # (not a bare wait: xen9pd is a child too)
say "dom0 verified both after $(elapsed "$T0") s"
results 9p2000.L "$DA" "${NA:-0}" "$RA" L
results 9p2000.u "$DB" "${NB:-0}" "$RB" u
rm -rf /srv/a/wl-L /srv/b/wl-u

phase stress
# What users run and what hung Linux guests (issue 9): several processes on each ring
# at once, requests and replies of msize (the 1 MiB rings fill both ways), files far
# larger than a ring, every byte checked; both domUs at once. The guests' kernel logs
# must stay free of soft lockups, RCU stalls, "Wrong req tag" and hung tasks.
STRESS_MB=$(cat /xenlab/stress-mb)
T0=$(up)
NA=$(domu_send "$DA" "stress /mnt/wl $STRESS_MB")
NB=$(domu_send "$DB" "stress /mnt/u $STRESS_MB")
domu_wait "$DA" "$NA" 300; RA=$?
domu_wait "$DB" "$NB" 300; RB=$?
say "stress done in both domUs after $(elapsed "$T0") s"
if [ "$BACKEND" = xen9pd ]; then
  # a worker killed by its own seccomp filter or a bug shows here, not as a hang
  check "no xen9pd worker died during the workload and the stress" \
    sh -c "! grep -E 'worker [0-9]+ (killed|exited)' '$XEN9PD_LOG'" || grep -E 'worker [0-9]+ (killed|exited)' "$XEN9PD_LOG" | diag
fi
# stress_results DIALECT DOMID DEVID CMD STATUS
stress_results() {
  local v=$1 d=$2 dev=$3 total size waits peak
  domu_out "$d" "$4" > "$L/stress-$d"
  total=$(grep '^@@ST total' "$L/stress-$d" | tr '\n' ' ')
  if [ "$5" = 0 ] && [ -n "$total" ] && ! grep -q '^@@ST total fail' "$L/stress-$d"; then
    tap_ok "$v: stress: every byte matched (${total% })"
  else
    tap_fail "$v: stress: every byte matched (status $5)" "$(grep -E 'mismatch|error|fail|total' "$L/stress-$d" | head -8)"
  fi
  check "$v: stress: the guest's kernel log has no soft lockup, RCU stall, Wrong req tag or hung task" \
    no_domu_alarms "$d" || domu_alarms "$d" | diag
  if [ "$BACKEND" = xen9pd ]; then
    size=$(ring_stat_max "$d" "$dev" size) waits=$(ring_stat "$d" "$dev" reply_waits)
    peak=$(ring_stat_max "$d" "$dev" out_peak)
    check "$v: stress filled the reply rings ($waits replies waited for room)" test "$waits" -gt 0
    check "$v: stress filled the request rings past half ($peak of $size bytes queued)" \
      test "$((peak * 2))" -gt "$size"
    xen9p rings 2>&1 | diag
  fi
}
stress_results 9p2000.L "$DA" "$DEVA" "${NA:-0}" "$RA"
stress_results 9p2000.u "$DB" "$DEVB" "${NB:-0}" "$RB"

phase live-upgrade
# Upgrades and restarts under a guest that keeps working (docs/operations.md): domU a
# runs md5-checked I/O on share wl and a probe that times a request every 5 ms on a
# file it holds open (run/domu-lib.sh lu_start), while dom0 replaces the worker of
# every device 20 times (`xen9p upgrade all`) and restarts xen9pd 5 times through its
# service manager, after every fourth upgrade: `systemctl restart` (SIGTERM, then a new
# xen9pd with the store) and a crash (SIGKILL, Restart=always), alternately. A restart
# must leave every device Connected with the worker it had; the guest may see a short
# pause, never an error.
LU_UPGRADES=20 LU_RESTARTS=5
# $L/lu-now: "DOMID/DEVID WORKER" of every device as `xen9p list --verbose` showed it last
# lu_upgrade N: one `xen9p upgrade all`: exit 0, every device listed before "upgraded",
# each from the worker `xen9p list` showed before to the one it shows after
lu_upgrade() {
  local rc
  timeout 150 xen9p upgrade all > "$L/lu-out" 2>&1; rc=$?
  cat "$L/lu-now" > "$L/lu-before"
  dev_workers > "$L/lu-now"
  # "D/N: upgraded, worker NEW took over from OLD in X ms"
  awk -v rc="$rc" -v n="$1" -v L="$L" '
    FILENAME == ARGV[1] { b[$1] = $2; nb++; next }
    FILENAME == ARGV[2] { a[$1] = $2; next }
    { print "@@LAB upgrade " n ": " $0 }
    $2 == "upgraded," { d = $1; sub(/:$/, "", d); seen[d] = 1; print $10 >> (L "/lu-ms")
      if (b[d] != $8 || a[d] != $4 || $4 == $8)
        bad = bad " " d ": worker " b[d] " before, " a[d] " after, xen9p said " $8 " -> " $4 ";"
      next }
    { bad = bad " said \"" $0 "\";" }
    END { if (!nb) bad = bad " xen9p list showed no device;"
          for (d in b) if (!(d in seen)) bad = bad " " d " not upgraded;"
          if (rc != 0) bad = " exit " rc ";" bad
          if (bad == "") { print n >> (L "/lu-upgraded"); exit 0 }
          print "upgrade " n ":" bad >> (L "/lu-fail"); print "@@LAB upgrade " n " FAILED:" bad; exit 1
    }' "$L/lu-before" "$L/lu-now" "$L/lu-out" && return 0
  # the first time a device fails: what its worker is doing, what it logged
  local dev w
  while read -r dev w; do
    grep -q "^$dev: upgraded" "$L/lu-out" && continue
    [ -e "$L/lu-diag-${dev%/*}-${dev#*/}" ] && continue
    touch "$L/lu-diag-${dev%/*}-${dev#*/}"
    { worker_diag "$w"; grep -v ' v9fs_' "$XEN9PD_LOG" | grep -E "[^0-9]$dev[^0-9]" | tail -12; } 2>&1 | sed 's/^/@@LAB diag /'
  done < "$L/lu-before"
  return 1
}
# new_xen9pd_serves OLD-PID READY-LINES: svc-standin started xen9pd again, it is ready,
# and it answers `xen9p list` (it took the workers back before its main loop)
new_xen9pd_serves() {
  local p
  [ "$(grep -c '^ready pid=' "$SVC_LOG")" -gt "$2" ] && p=$(xen9pd_pid) && [ "$p" != "$1" ] &&
    [ "$(xen9p_counter pid)" = "$p" ]
}
# lu_restart N: restart N (odd: systemctl restart, even: SIGKILL); every device keeps
# its worker and stays Connected, the new xen9pd says it took each back
lu_restart() {
  local sig=USR1 how="systemctl restart (SIGTERM)" old r0 log0 t0 bad= dev w st fst
  [ $(($1 % 2)) = 0 ] && sig=USR2 how="SIGKILL, restarted"
  cat "$L/lu-now" > "$L/lu-before"
  old=$(xen9pd_pid) r0=$(grep -c '^ready pid=' "$SVC_LOG") log0=$(wc -l < "$XEN9PD_LOG") t0=$(up)
  xen9pd_restart "$sig"
  if ! wait_slowly 30 new_xen9pd_serves "$old" "$r0"; then
    echo "restart $1 ($how): no new xen9pd answered within 30 s; svc-standin: $(tail -4 "$SVC_LOG" | tr '\n' ';')" | tee -a "$L/lu-fail" | sed 's/^/@@LAB /'
    return 1
  fi
  echo "restart $1 ($how): xen9pd $old -> $(xen9pd_pid), serving again after $(elapsed "$t0") s" | tee -a "$L/lu-restarts" | sed 's/^/@@LAB /'
  dev_workers > "$L/lu-now"
  cmp -s "$L/lu-before" "$L/lu-now" ||
    bad="$bad workers before: $(tr '\n' ' ' < "$L/lu-before"), after: $(tr '\n' ' ' < "$L/lu-now");"
  tail -n +"$((log0 + 1))" "$XEN9PD_LOG" | grep -v ' v9fs_' > "$L/lu-log"
  while read -r dev w; do
    st=$(xenstore-read "/local/domain/0/backend/$(be_kind)/$dev/state" 2>&1)
    fst=$(xenstore-read "/local/domain/${dev%/*}/device/9pfs/${dev#*/}/state" 2>&1)
    [ "$st $fst" = "4 4" ] || bad="$bad $dev: backend state $st, frontend state $fst;"
    grep -q "device $dev: taken back from an earlier xen9pd (worker $w serves on)" "$L/lu-log" ||
      bad="$bad $dev: no 'taken back (worker $w serves on)' in the new xen9pd's log;"
  done < "$L/lu-before"
  if [ -n "$bad" ]; then echo "restart $1 ($how):$bad" | tee -a "$L/lu-fail" | sed 's/^/@@LAB /'; return 1; fi
  echo "$1" >> "$L/lu-restarted"
}
lu_stat() { xenstore-read "/local/domain/$DA/data/xenlab/lu" 2> /dev/null | cut -d' ' -f"$1"; }
lu_rounds_past() { [ "$(lu_stat 1)" -gt "$1" ] 2> /dev/null; }
if [ "$BACKEND" = xen9pd ]; then
  T0=$(up)
  LOG0=$(wc -l < "$XEN9PD_LOG")
  : > "$L/lu-fail"; : > "$L/lu-ms"; : > "$L/lu-restarts"; : > "$L/lu-upgraded"; : > "$L/lu-restarted"
  # xen9pd's own messages (not its trace) and svc-standin's events on the console, live
  tail -n 0 -F "$XEN9PD_LOG" 2> /dev/null | awk '!/ v9fs_/ { print "[xen9pd] " $0; fflush() }' > /dev/console 2>&1 &
  FOLLOW1=$!
  tail -n 0 -F "$SVC_LOG" 2> /dev/null | awk '{ print "[svc-standin] " $0; fflush() }' > /dev/console 2>&1 &
  FOLLOW2=$!
  mkdir -p /srv/a/lu
  dd if=/dev/urandom of=/srv/a/lu/big bs=1M count=16 2> /dev/null
  BIGMD5=$(md5sum < /srv/a/lu/big | cut -d' ' -f1)
  domu_run "$DA" 30 lu_start /mnt/wl "$BIGMD5"
  check "live upgrade: domU a started an md5-checked I/O loop and a pause probe on share wl (a 16 MiB file from dom0 read again each round)" \
    test $? = 0 || domu_out "$DA" | diag
  dev_workers > "$L/lu-now"
  NDEV=$(wc -l < "$L/lu-now")
  say "live upgrade: $NDEV devices: $(tr '\n' ' ' < "$L/lu-now")"
  # After a failed upgrade the series stops (a worker that cannot hand over makes each
  # later one wait for it in vain: 30 s and more); the restarts still all happen.
  u=0 r=0 stopped=
  while [ "$u" -lt "$LU_UPGRADES" ]; do
    u=$((u + 1))
    if [ -z "$stopped" ] && ! lu_upgrade "$u"; then
      stopped=$u; say "live upgrade: upgrade $u failed: no more upgrades, the restarts go on"
    fi
    if [ $((u % (LU_UPGRADES / LU_RESTARTS))) = 0 ]; then r=$((r + 1)); lu_restart "$r"; fi
  done
  NU=$(wc -l < "$L/lu-upgraded") NR=$(wc -l < "$L/lu-restarted")
  say "live upgrade: $NU upgrades and $NR restarts done after $(elapsed "$T0") s"
  MAXMS=$(sort -n "$L/lu-ms" | tail -1)
  expect "live upgrade: $LU_UPGRADES x 'xen9p upgrade all' exit 0, each of the $NDEV devices upgraded to a new worker (xen9p list before and after; longest ${MAXMS:-?} ms)" \
    "$NU" "$LU_UPGRADES" || { grep '^upgrade' "$L/lu-fail" | head -8; echo "(the series stopped after upgrade $stopped)"; } | diag
  expect "live upgrade: $LU_RESTARTS restarts of xen9pd by its service manager (systemctl restart and SIGKILL alternately): each time a new xen9pd served within 30 s, took every device back (its log says so), each Connected with the worker it had" \
    "$NR" "$LU_RESTARTS" || grep '^restart' "$L/lu-fail" | head -8 | diag
  diag < "$L/lu-restarts"
  expect "live upgrade: xen9pd was started $((LU_RESTARTS + 1)) times by svc-standin, and exited only when asked" \
    "$(svc_starts) $(svc_exits)" "$((LU_RESTARTS + 1)) $LU_RESTARTS" || tail -12 "$SVC_LOG" | diag
  expect "live upgrade: one worker process per device afterwards (no old worker left)" "$(worker_count)" "$NDEV" ||
    { dev_workers; xen9pd_workers; } 2>&1 | diag
  BADLOG=$(tail -n +"$((LOG0 + 1))" "$XEN9PD_LOG" | grep -v ' v9fs_' |
    grep -E 'worker [0-9]+ (killed|exited)|upgrade failed|cannot take its worker back|gone from xenstore while|CRITICAL|ERROR')
  check "live upgrade: xen9pd logged no worker death, failed upgrade or lost worker" test -z "$BADLOG" ||
    echo "$BADLOG" | head -8 | diag
  # domU b's share (idle, upgraded with the others): it still serves
  domu_run "$DB" 40 "timeout 30 sh -c '. /xenlab/domu-lib.sh; io_once /mnt/u after-live-upgrade'"
  check "live upgrade: domU b's idle share, upgraded and taken back as often, still serves" \
    grep -q '^io after-live-upgrade' /srv/b/after-live-upgrade || domu_out "$DB" | tail -5 | diag
  # the guest goes on after the last restart, then stops and reports
  RNOW=$(lu_stat 1)
  check "live upgrade: domU a's loop goes on after the last restart (past round ${RNOW:-?})" \
    wait_slowly 90 lu_rounds_past "${RNOW:-0}"
  domu_run "$DA" 120 lu_stop
  domu_out "$DA" > "$L/lu-guest"; grep -v '^@@LU probe gap' "$L/lu-guest" | head -20 | diag
  LOOP=$(sed -n 's/^@@LU loop //p' "$L/lu-guest")
  PROBE=$(sed -n 's/^@@LU probe ops=/ops=/p' "$L/lu-guest")
  LE=$(echo "$LOOP" | sed -n 's/.*errors=\([0-9]*\).*/\1/p')
  PE=$(echo "$PROBE" | sed -n 's/.*errors=\([0-9]*\).*/\1/p')
  GAP=$(echo "$PROBE" | sed -n 's/.*longest_gap_ms=\([0-9]*\).*/\1/p')
  check "live upgrade: domU a's md5 loop had no error ($LOOP)" test -n "$LOOP" -a "$LE" = 0
  check "live upgrade: domU a's probe had no error, its file held open throughout ($PROBE)" test -n "$PROBE" -a "$PE" = 0
  grep '^@@LU probe gap' "$L/lu-guest" | diag
  # what the old workers measured: from their last request to the new worker's first
  WPAUSE=$(tail -n +"$((LOG0 + 1))" "$XEN9PD_LOG" | sed -n 's/.*handed over to a new worker (paused \([0-9.]*\) ms).*/\1/p' | sort -n | tail -1)
  echo "xen9pd: longest hand-over pause a worker measured ${WPAUSE:-?} ms; longest upgrade as xen9p reports it ${MAXMS:-?} ms" | diag
  for d in "$DA" "$DB"; do
    check "live upgrade: domU $(cat "$L/name-$d"): no soft lockup, RCU stall, Wrong req tag or hung task in its kernel log" \
      no_domu_alarms "$d" || domu_alarms "$d" | diag
  done
  if [ "$NU" = "$LU_UPGRADES" ] && [ "$NR" = "$LU_RESTARTS" ] && [ "$LE" = 0 ] && [ "$PE" = 0 ] && [ -n "$GAP" ]; then
    tap_ok "live upgrade: $NU worker upgrades, $NR supervisor restarts, 0 errors, longest pause $GAP ms"
  else
    tap_fail "live upgrade: $NU of $LU_UPGRADES worker upgrades, $NR of $LU_RESTARTS supervisor restarts, $((${LE:-1} + ${PE:-1})) errors, longest pause ${GAP:-?} ms"
  fi
  say "live upgrade phase took $(elapsed "$T0") s"
  kill "$FOLLOW1" "$FOLLOW2" 2> /dev/null
  rm -rf /srv/a/lu
else
  tap_skip "live upgrade: worker upgrades and supervisor restarts under guest I/O" "backend=$BACKEND"
fi

phase flush
# The Linux client keeps FIFO and device I/O local, so the blocking read has to be a
# regular file on the share whose read blocks in dom0: the tracing ring's trace_pipe
# (empty, so a read waits for the next trace_marker line) bound onto it.  A worker
# may read it (root, DAC override); /proc/kmsg would need CAP_SYSLOG, which none has.
TRACING=/sys/kernel/tracing
[ -e "$TRACING/trace_pipe" ] || mount -t tracefs tracefs "$TRACING"
echo 1 > "$TRACING/tracing_on"; : > "$TRACING/trace"
timeout -s KILL 2 cat "$TRACING/trace_pipe" > /dev/null 2>&1   # drain: the next read must block
touch /srv/a/pipe && mount --bind "$TRACING/trace_pipe" /srv/a/pipe
TRACE0=$(wc -l < "$XEN9PD_LOG" 2> /dev/null || echo 0)
domu_run "$DA" 60 flush_block /mnt/wl pipe
domu_out "$DA" > "$L/flush1"; diag < "$L/flush1"
# blocked = asleep (S, or D: the 9p client waits killable) in a 9P round trip
BLOCKED=$(sed -n 's/^@@FL reader .*state=\([A-Za-z]*\) .*wchan=\(.*\)/\1 \2/p' "$L/flush1")
case "$BLOCKED" in
  [SD]" p9_client_rpc") tap_ok "flush: the domU reader of the trace_pipe file is blocked in a 9P request ($BLOCKED)" ;;
  *) tap_fail "flush: the domU reader of the trace_pipe file is blocked in a 9P request" "state and wchan: '$BLOCKED'" ;;
esac
check "flush: other reads and writes on the mount work while it is blocked" grep -q '^@@FL side-io ok' "$L/flush1"
DIED=$(sed -n 's/^@@FL died-after //p' "$L/flush1")
if [ -n "$DIED" ] && awk -v t="$DIED" 'BEGIN { exit !(t <= 1.0) }'; then
  tap_ok "flush: killed reader died within 1s (${DIED} s)"
else
  tap_fail "flush: killed reader died within 1s" "$(grep -E 'died|alive' "$L/flush1")"
fi
flush_trace() {
  tail -n +"$((TRACE0 + 1))" "$XEN9PD_LOG" | grep "v9fs_[a-z_]* $DA/$DEVA " | sed 's/^.*\(v9fs_\)/\1/' > "$L/flush-trace"
}
OLDTAG=
if [ "$BACKEND" = xen9pd ]; then
  flush_trace
  CANCEL=$(grep -m1 'v9fs_rcancel .* Tread' "$L/flush-trace")
  OLDTAG=$(echo "$CANCEL" | sed -n 's/.* tag=\([0-9]*\) .*/\1/p')
  if [ -n "$CANCEL" ]; then tap_ok "flush: xen9pd trace shows the cancel: $CANCEL"
  else tap_fail "flush: xen9pd trace shows the cancel of the Tread (v9fs_rcancel)" "$(grep -E 'Tflush|Rflush|rcancel|Tread' "$L/flush-trace" | tail -8)"; fi
  # the Tflush naming the old tag, and its Rflush after the cancel
  FTAG=$(grep "v9fs_flush .* oldtag=$OLDTAG\$" "$L/flush-trace" | sed -n '1s/.* tag=\([0-9]*\) .*/\1/p')
  if [ -n "$OLDTAG" ] && [ -n "$FTAG" ] && sed -n "/v9fs_rcancel .* tag=$OLDTAG /,\$p" "$L/flush-trace" | grep -q "v9fs_flush_return .* tag=$FTAG "; then
    tap_ok "flush: xen9pd trace shows the Rflush (tag $FTAG) after the cancel of tag $OLDTAG"
  else
    tap_fail "flush: xen9pd trace shows the Rflush after the cancel" "$(grep -E 'Tflush|Rflush|rcancel' "$L/flush-trace" | tail -6)"
  fi
else
  tap_skip "flush: xen9pd trace shows the cancel and the Rflush" "backend=$BACKEND"
fi
# release the read that blocked in dom0: a line in the tracing ring
echo "xenlab: release the blocked trace_pipe read" > "$TRACING/trace_marker"
sleep 2
domu_run "$DA" 60 flush_after /mnt/wl
domu_out "$DA" > "$L/flush2"; diag < "$L/flush2"
check "flush: the mount works after the release" grep -q '^@@FL after-io ok' "$L/flush2"
expect "flush: no 'Wrong req tag' in domU a's kernel log" "$(sed -n 's/^@@FL wrong-req-tag //p' "$L/flush2")" 0
if [ -n "$OLDTAG" ]; then
  flush_trace
  # after the cancel, the old tag may only come back as a new request
  STRAY=$(sed -n "/v9fs_rcancel .* tag=$OLDTAG /,\$p" "$L/flush-trace" | sed 1d \
    | awk -v t="tag=$OLDTAG" '$3 == t { if ($1 ~ /_return$/ || $1 == "v9fs_rerror") print; exit }')
  if [ -z "$STRAY" ]; then tap_ok "flush: after dom0 released the read nothing arrived for the old tag $OLDTAG"
  else tap_fail "flush: after dom0 released the read nothing arrived for the old tag $OLDTAG" "$STRAY"; fi
else
  tap_skip "flush: after the release nothing arrived for the old tag" "backend=$BACKEND or no cancel seen"
fi
umount /srv/a/pipe; rm -f /srv/a/pipe

phase hot-detach
domu_run "$DB" 10 io_loop_start /mnt/u
loop_rounds() { xenstore-read "/local/domain/$DB/data/xenlab/loop" 2> /dev/null | cut -d' ' -f1; }
loop_errors() { xenstore-read "/local/domain/$DB/data/xenlab/loop" 2> /dev/null | cut -d' ' -f2; }
# loop_moves SECONDS: domU b's I/O loop completes rounds within SECONDS, without errors
loop_moves() {
  local r0; r0=$(loop_rounds); r0=${r0:-0}
  wait_for "$1" sh -c "[ \"\$(xenstore-read /local/domain/$DB/data/xenlab/loop | cut -d' ' -f1)\" -ge $((r0 + 3)) ]" \
    && [ "$(loop_errors)" = 0 ]
}
check "domU b's I/O loop runs" loop_moves 30
if DEVH=$(share_attach "$DA" "tag=hot,path=/srv/hot,security_model=$MODEL" 2> "$L/err"); then
  tap_ok "xen9p attach of a second share (hot) to running domU a: device $DEVH"
else tap_fail "xen9p attach of a second share (hot) to running domU a" "$(cat "$L/err")"; fi
domu_run "$DA" 60 "mount_share hot /mnt/hot 9p2000.L 40 && io_once /mnt/hot hot-file && umount /mnt/hot"
RC=$?
domu_out "$DA" | diag
check "domU a mounts share hot, does I/O, unmounts" test $RC = 0 || dump_dev "$DA" "$DEVH"
check "dom0 sees the file domU a wrote on share hot" grep -q '^io hot-file' /srv/hot/hot-file
BE_H=/local/domain/0/backend/$(be_kind)/$DA/$DEVH
if [ "$BACKEND" = xen9pd ]; then
  PAGES_BEFORE=$(xen9p_counter mapped_pages)
  EXP_H=$(expected_pages "$DA" "$DEVH" 2> /dev/null)
fi
check "xen9p detach of idle share hot" share_detach "$DA" "$DEVH"
check "share hot's xenstore nodes are gone" wait_for 10 sh -c "! xenstore-exists $BE_H && ! xenstore-exists /local/domain/$DA/device/9pfs/$DEVH"
domu_run "$DA" 20 "i=0; while [ -e /sys/bus/xen/devices/9pfs-$DEVH ] && [ \$i -lt 50 ]; do sleep 0.2; i=\$((i+1)); done; [ ! -e /sys/bus/xen/devices/9pfs-$DEVH ]"
check "domU a's kernel dropped device 9pfs-$DEVH" test $? = 0
if [ "$BACKEND" = xen9pd ]; then
  xen9p list 2>&1 | diag
  check "xen9p list no longer shows share hot" xen9p_lacks "$DA" "$DEVH"
  if [ -n "$EXP_H" ]; then
    expect "xen9pd unmapped the detached share's $EXP_H ring pages" "$(xen9p_counter mapped_pages)" "$((PAGES_BEFORE - EXP_H))"
  else
    tap_fail "xen9pd unmapped the detached share's ring pages" "share hot never connected"
  fi
  check "xen9pd holds no descriptor under /srv/hot" no_fds_under /srv/hot
fi
if [ "$BACKEND" = xen9pd ]; then
  # the mapped-xattr share: the guest's owners, modes and node types are metadata
  domu_run "$DA" 60 "mount_share mx /mnt/mx 9p2000.L 40 && { mapped_probe /mnt/mx; r=\$?; umount /mnt/mx; [ \$r = 0 ]; }"
  RC=$?
  HOW="xen9p attach"
  [ -n "$P9" ] && HOW="xl p9 key"
  domu_out "$DA" > "$L/mx"; diag < "$L/mx"
  check "mapped-xattr share (by $HOW): domU a made its files and read their status" test $RC = 0
  expect "mapped-xattr: the guest sees its set-uid file as it made it" \
    "$(sed -n 's/^@@MX f //p' "$L/mx")" "4755 1234 5678 0 0 regular file"
  check "mapped-xattr: the guest sees a character device 1:3" grep -q '^@@MX nd [0-7]* 0 0 1 3 character special file$' "$L/mx"
  expect "mapped-xattr: the guest sees its symlink and its target" \
    "$(sed -n 's/^@@MX sl //p; s/^@@MX link //p' "$L/mx" | tr '\n' ' ')" "777 7 8 0 0 symbolic link some/target "
  expect "mapped-xattr: dom0 has plain files of uid 65534, mode 600" \
    "$(stat -c '%u %a %F' /srv/mx/f /srv/mx/nd /srv/mx/sl | sort -u | tr '\n' ' ')" \
    "65534 600 regular empty file 65534 600 regular file "
  # /usr/bin: the attr tool, not the busybox applet of the same name
  MXA=$(/usr/bin/getfattr --absolute-names -e hex -n user.virtfs.uid /srv/mx/f 2>&1)
  expect "mapped-xattr: the owner is QEMU's user.virtfs.uid (1234, little-endian)" \
    "$(echo "$MXA" | sed -n 's/^user.virtfs.uid=//p')" 0xd2040000 ||
    { echo "$MXA"; /usr/bin/getfattr --absolute-names -d -m - -e hex /srv/mx/f 2>&1; ls -ln /srv/mx; } | diag
  W=$(worker_of "$DA" "$DEVMX")
  if [ -n "$W" ]; then
    expect "mapped-xattr: its worker runs as uid 65534 with no capability" \
      "$(status_field "$W" Uid | awk '{ print $2 }') $(status_field "$W" CapEff)" "65534 0000000000000000"
  else
    tap_fail "mapped-xattr: its worker runs as uid 65534 with no capability" "no worker for device $DEVMX"
  fi
fi
domu_run "$DA" 20 "io_once /mnt/wl after-hot-detach"
check "domU a's first share still works after the detach" grep -q '^io after-hot-detach' /srv/a/after-hot-detach
check "domU b's I/O loop kept working through the detach" loop_moves 30

phase crash
# A worker dies as a memory-safety bug would end it, in the middle of its guest's
# write, while domU b's loop runs: only that device ends.  (Linux's frontend leaves the
# writer blocked for good once its device is gone; the destroy phase ends domU a.)
if [ "$BACKEND" = xen9pd ]; then
  if DEVC=$(share_attach "$DA" "tag=crash,path=/srv/hot,security_model=$MODEL" 2> "$L/err"); then
    tap_ok "xen9p attach of share crash to domU a: device $DEVC"
  else tap_fail "xen9p attach of share crash to domU a" "$(cat "$L/err")"; fi
  domu_run "$DA" 60 "mount_share crash /mnt/crash 9p2000.L 40 && (dd if=/dev/zero of=/mnt/crash/big bs=1M count=100000 > /dev/null 2>&1 &)"
  domu_out "$DA" | diag
  W=$(worker_of "$DA" "$DEVC")
  xen9p list --verbose 2>&1 | diag
  check "share crash has a worker of its own ($W)" sh -c "[ -n '$W' ] && [ -d /proc/$W ]"
  # what an administrator checks of a running worker (docs/security.md)
  expect "worker $W: NoNewPrivs" "$(status_field "$W" NoNewPrivs)" 1
  expect "worker $W: Seccomp (2 = filter)" "$(status_field "$W" Seccomp)" 2
  expect "worker $W: CapEff (the none model's dac_override, dac_read_search, fowner)" \
    "$(status_field "$W" CapEff)" 000000000000000e
  for ns in mnt pid net ipc uts; do
    check "worker $W: a $ns namespace of its own" \
      sh -c "[ \"\$(readlink /proc/$W/ns/$ns)\" != \"\$(readlink /proc/$(xen9pd_pid)/ns/$ns)\" ]"
  done
  expect "worker $W: its root holds only the export and its /proc" "$(ls /proc/"$W"/root | tr '\n' ' ')" "export proc "
  check "worker $W: holds no privcmd, xenbus or xenstore descriptor" \
    sh -c "! ls -l /proc/$W/fd | grep -E 'privcmd|xenbus|xenstore'"
  check "domU a is in the middle of a large write on share crash" wait_slowly 60 sh -c \
    's=$(stat -c %s /srv/hot/big) && [ "$s" -gt 4194304 ] && sleep 1 && [ "$(stat -c %s /srv/hot/big)" -gt "$s" ]'
  say "deliberate SIGSEGV to worker $W"
  kill -SEGV "$W"
  BE_C=/local/domain/0/backend/$(be_kind)/$DA/$DEVC
  check "the crashed device is Closed (the frontend answered Closing)" wait_for 20 state_at_least "$BE_C" 6
  ERR=$(xenstore-read "$BE_C/error" 2>&1)
  check "its error node names the signal: $ERR" sh -c "echo '$ERR' | grep -q 'killed by signal 11'"
  check "xen9pd logged device, domain and cause" \
    grep -q "device $DA/$DEVC (domain $DA): worker $W killed by signal 11" "$XEN9PD_LOG"
  check "xen9p list counts the crash" sh -c "xen9p list --verbose | grep -qE 'crashes:? 1'"
  check "xen9pd still running" xen9pd_alive
  check "domU b's I/O loop kept working through the crash" loop_moves 30
  domu_run "$DA" 20 "io_once /mnt/wl after-crash"
  check "domU a's first share still works after the crash" grep -q '^io after-crash' /srv/a/after-crash
  MXP=0
  [ -n "${DEVMX:-}" ] && MXP=$(expected_pages "$DA" "$DEVMX")
  expect "nothing of share crash stays mapped (gntdev pages of xen9pd and its workers)" \
    "$(gntdev_pages)" "$(( $(expected_pages "$DA" "$DEVA") + $(expected_pages "$DB" "$DEVB") + MXP ))"
  check "xen9p detach of the crashed share" share_detach "$DA" "$DEVC"
  if DEVC=$(share_attach "$DA" "tag=crash2,path=/srv/hot,security_model=$MODEL" 2> "$L/err"); then
    domu_run "$DA" 60 "mount_share crash2 /mnt/crash2 9p2000.L 40 && io_once /mnt/crash2 after-reattach && umount /mnt/crash2"
    domu_out "$DA" | diag
    check "the share attached again is served by a fresh worker ($(worker_of "$DA" "$DEVC"))" \
      grep -q '^io after-reattach' /srv/hot/after-reattach
    check "xen9p detach of share crash2" share_detach "$DA" "$DEVC"
  else tap_fail "xen9p attach of the share again" "$(cat "$L/err")"; fi
else
  tap_skip "workers: confinement and a crash" "backend=$BACKEND"
fi

phase destroy
domu_run "$DA" 20 big_write /mnt/wl
# in the middle: 8 MiB written and the file still growing
check "domU a is in the middle of a large write" wait_slowly 120 sh -c \
  's=$(stat -c %s /srv/a/destroy-big) && [ "$s" -gt 8388608 ] && sleep 1 && [ "$(stat -c %s /srv/a/destroy-big)" -gt "$s" ]'
say "destroy-big is $(stat -c %s /srv/a/destroy-big) bytes"
T0=$(up)
check "xl destroy of domU a in the middle of the write" xl destroy a
say "xl destroy took $(elapsed "$T0") s"
check "domU a is gone" wait_for 20 domu_gone a
if ! check "backend nodes of dead domU a are gone (backend/$(be_kind)/$DA)" wait_for 15 sh -c "! xenstore-exists /local/domain/0/backend/$(be_kind)/$DA"; then
  xenstore-ls -fp "/local/domain/0/backend/$(be_kind)/$DA" 2>&1 | head -20 | diag
fi
check "domU b's I/O loop kept working through the destroy" loop_moves 30
if [ "$BACKEND" = xen9pd ]; then
  sleep 2
  xen9p list 2>&1 | diag
  check "xen9p list shows no device of dead domU a" xen9p_lacks_dom "$DA"
  EXP_B=$(expected_pages "$DB" "$DEVB")
  expect "xen9pd's counters: one device left (domU b's)" "$(xen9p_counter devices)" 1
  expect "xen9pd's counters: only domU b's ring pages mapped" "$(xen9p_counter mapped_pages)" "$EXP_B"
  expect "xen9pd's /proc maps: only domU b's ring pages (gntdev)" "$(gntdev_pages)" "$EXP_B"
  expect "xen9pd's counters: only domU b's event channels" "$(xen9p_counter event_channels)" \
    "$(xenstore-read "/local/domain/$DB/device/9pfs/$DEVB/num-rings")"
  check "xen9pd holds no descriptor under dead domU a's export /srv/a" no_fds_under /srv/a
  expect "xen9pd runs one worker, domU b's" "$(worker_count)" 1
  check "xen9pd still running" xen9pd_alive
fi

domu_run "$DB" 30 io_loop_stop
domu_out "$DB" | tail -3 | diag
LOOP=$(xenstore-read "/local/domain/$DB/data/xenlab/loop")
check "domU b's I/O loop: $LOOP (rounds, errors, uptime, slowest round s): no errors" test "$(echo "$LOOP" | cut -d' ' -f2)" = 0

phase modreload
# domU b restarts its 9p modules (a guest that reboots its 9p stack) and needs the
# share again; dom0 only watches.
domu_run "$DB" 120 modreload u /mnt/u 9p2000.u
domu_out "$DB" > "$L/mr"; diag < "$L/mr"
if ! check "module reload: umount, unbind, rmmod 9p 9pnet_xen 9pnet, insmod, mount again, I/O works" grep -q '^@@MR io ok' "$L/mr"; then
  dump_dev "$DB" "$DEVB"
fi
# Linux cannot bind a device again once its driver let go of it (Closed): xen9pd
# offers the share again as a new device of the same tag, which the new driver binds.
if [ "$BACKEND" = xen9pd ]; then
  NEWB=$(xen9p list 2> /dev/null | awk -v d="$DB" '$1 == d && $3 == "u" { print $2 }' | tail -1)
  if [ -n "$NEWB" ] && [ "$NEWB" != "$DEVB" ]; then
    tap_ok "xen9pd offered share u again as device $NEWB after the driver let go of device $DEVB"
    check "the old device's backend and frontend nodes are gone" \
      sh -c "! xenstore-exists $BE_B && ! xenstore-exists /local/domain/$DB/device/9pfs/$DEVB"
    DEVB=$NEWB BE_B=/local/domain/0/backend/$(be_kind)/$DB/$NEWB
  else
    tap_fail "xen9pd offered share u again as a new device" "xen9p list: $(xen9p list 2>&1 | tr '\n' ';')"
  fi
fi
expect "backend of share u is Connected again" "$(xenstore-read "$BE_B/state" 2>&1)" 4
check "dom0 sees the file domU b wrote after the reload" grep -q '^io after-reload' /srv/b/after-reload

phase teardown
# Every phase behind, the guests' kernels must not have complained of their transport.
for d in "$DA" "$DB"; do
  [ -n "$d" ] || continue
  check "domU $(cat "$L/name-$d" 2> /dev/null): no soft lockup, RCU stall, Wrong req tag or hung task in its kernel log" \
    no_domu_alarms "$d" || domu_alarms "$d" | diag
done
domu_run "$DB" 30 "! grep -q ' /mnt/u 9p ' /proc/mounts || umount /mnt/u"
check "domU b has share u unmounted" test $? = 0
check "xen9p detach of domU b's idle share" share_detach "$DB" "$DEVB"
if [ "$BACKEND" = xen9pd ]; then
  wait_for 10 counter_is devices 0
  xen9p list 2>&1 | diag
  for c in devices mapped_pages event_channels open_files; do
    expect "xen9pd's counters after the last detach: $c=0" "$(xen9p_counter "$c")" 0
  done
  expect "xen9pd's /proc maps: no gntdev mapping left" "$(gntdev_pages)" 0
  expect "xen9pd runs no worker" "$(worker_count)" 0
  check "xen9pd holds no descriptor under /srv" no_fds_under /srv
fi
xl destroy b > /dev/null 2>&1
if [ "$BACKEND" = xen9pd ]; then
  # the service manager stops it (svc-standin sends it SIGTERM)
  xen9pd_stop
  check "xen9pd exits on SIGTERM from its service manager (svc-standin's stop) within 5 s" wait_for 5 xen9pd_dead
  check "svc-standin stopped (store released, no worker left to kill)" wait_for 15 svc_stopped_clean ||
    tail -8 "$SVC_LOG" | diag
  sed 's/^/[svc-standin] /' "$SVC_LOG" | grep -v '^\[svc-standin\] \(store\|remove\) ' | tail -30
  grep -v ' v9fs_' "$XEN9PD_LOG" | tail -40 | sed 's/^/[xen9pd] /'
fi
phase_end
