#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# agent.sh: the checks of the full-Debian dom0 lab (test-debian-dom0-4.20.sh), run in
# dom0 by xenlab-agent.service once xendomains has started the guest of
# /etc/xen/auto/share.cfg. Results go to the serial console as dom0-lib.sh's @@TAP,
# @@DIAG and @@PHASE lines (the host parses them).
#   boot 1: systemd, xen9pd's unit, the guest's share used; then `systemctl reboot`
#   boot 2: the same, the guest finds boot 1's file; `systemctl restart xen9pd` keeps
#           the device and its worker, `xen9p upgrade all` replaces the worker, the
#           guest's mount works throughout; `systemctl stop xen9pd` closes the
#           device; then `systemctl poweroff` (Xen then ends QEMU)
# The boot number lives on the root disk (/var/lib/xenlab/boot), like the share.
exec > /dev/console 2>&1
export PATH=/xenlab/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck source=../run/dom0-lib.sh
. /xenlab/lib.sh
ST=/var/lib/xenlab
BOOT=$(( $(cat "$ST/boot" 2> /dev/null || echo 0) + 1 ))
echo "$BOOT" > "$ST/boot"; sync
B="boot $BOOT"
say "agent: $B, systemd $(systemctl --version | head -1 | cut -d' ' -f2), kernel $(uname -r)"

# The end of a boot: reboot or power off, never hang here (the host's timeout is the
# last resort).
leave() {
  phase_end
  say "$1 $(up)"
  sync
  timeout 30 systemctl --no-block "$1" || { say "systemctl $1 failed: forcing"; systemctl --force --force "$1"; }
  exit 0
}
[ "$BOOT" -le 2 ] || { tap_fail "$B: unexpected third boot (a crash or a watchdog reset?)"; leave poweroff; }

phase "boot$BOOT"
# ---- systemd and the units -----------------------------------------------------------------
expect "$B: PID 1 is systemd" "$(cat /proc/1/comm) $(readlink /proc/1/exe)" "systemd /usr/lib/systemd/systemd"
state=$(timeout 180 systemctl is-system-running --wait 2>&1)
case "$state" in
  running) tap_ok "$B: systemd finished booting: running" ;;
  *) tap_fail "$B: systemd finished booting: running" "is-system-running: $state" \
       "$(systemctl --failed --no-legend --plain 2>&1)" ;;
esac
for u in xen9pd xendomains; do
  # (bookworm: xendomains is a SysV script, systemctl says so on stderr)
  expect "$B: systemctl is-enabled $u" "$(systemctl is-enabled "$u" 2> /dev/null)" enabled
done
show() { systemctl show -p "$2" --value "$1"; }
expect "$B: systemctl is-active xen9pd" "$(systemctl is-active xen9pd 2>&1)" active
# Type=notify: systemd calls the unit started only once xen9pd sent READY=1, so
# "Started" in the journal and ActiveEnterTimestamp mark its READY=1.
expect "$B: xen9pd.service is Type=notify, running, never restarted" \
  "$(show xen9pd Type) $(show xen9pd SubState) $(show xen9pd NRestarts)" "notify running 0"
mpid=$(show xen9pd MainPID)
expect "$B: the unit's main process is the packaged xen9pd" \
  "$(readlink "/proc/$mpid/exe" 2> /dev/null)" /usr/sbin/xen9pd
if journalctl -b -u xen9pd --no-pager -o cat | grep -q '^Started xen9pd.service'; then
  tap_ok "$B: journal: systemd saw READY=1 (Started xen9pd.service, $(show xen9pd ActiveEnterTimestamp))"
else
  tap_fail "$B: journal: systemd saw READY=1 (Started xen9pd.service)" "$(journalctl -b -u xen9pd --no-pager | tail -20)"
fi
expect "$B: xen9pd claimed libxl/xen-9pfs/state" \
  "$(xenstore-read /local/domain/0/libxl/xen-9pfs/state 2>&1)" running
# Ordering: xen9pd was ready before xendomains started (Before=xendomains.service)
t_x=$(systemctl show -p ActiveEnterTimestampMonotonic --value xen9pd)
t_d=$(systemctl show -p InactiveExitTimestampMonotonic --value xendomains)
if [ "${t_x:-0}" -gt 0 ] && [ "${t_d:-0}" -gt "$t_x" ]; then
  tap_ok "$B: xen9pd was ready before xendomains started"
else
  tap_fail "$B: xen9pd was ready before xendomains started" "xen9pd active at $t_x us, xendomains started at $t_d us"
fi
journalctl -b -u xen9pd --no-pager -o short-monotonic | tail -8 | diag

# ---- the guest xendomains started --------------------------------------------------------------
expect "$B: systemctl is-active xendomains" "$(systemctl is-active xendomains 2>&1)" active
if D=$(xl domid share 2> /dev/null); then
  tap_ok "$B: xendomains started domU share from /etc/xen/auto (domid $D)"
else
  tap_fail "$B: xendomains started domU share from /etc/xen/auto" "$(xl list 2>&1)" \
    "$(journalctl -b -u xendomains --no-pager 2>&1 | tail -10)"
  leave poweroff
fi
journalctl -b -u xendomains --no-pager -o cat | diag
echo share > "$L/name-$D"; echo 0 > "$L/seq-$D"
console_follow share
check "$B: domU share boots and its agent answers" domu_ready "$D" || leave poweroff
if [ "$BOOT" = 1 ]; then
  vector_preflight "$D" || { say "aborted: the emulated CPU loses vector state"; leave poweroff; }
fi
if [ "$XEN" = 4.20 ]; then
  # the p9 line (type=xen_9pfsd) of /etc/xen/auto/share.cfg: libxl found the backend
  # claimed and started no xen-9pfsd of its own
  check "$B: xl p9 type=xen_9pfsd: libxl spawned no xen-9pfsd (xen9pd serves it)" sh -c '! pgrep -x xen-9pfsd'
else
  # 4.17's xl knows only QEMU as a p9 backend: the share is attached to the running guest
  if dev=$(timeout 60 xen9p attach "$D" tag=share,path=/srv/share,security_model=none 2>&1); then
    tap_ok "$B: xen9p attach to domU share (4.17's xl has no xen_9pfsd type): device $dev"
  else
    tap_fail "$B: xen9p attach to domU share" "$dev"
  fi
fi
BE=/local/domain/0/backend/xen_9pfs/$D/0
domu_run "$D" 90 mount_share share /mnt/share 9p2000.L 60
line=$(domu_out "$D" | sed -n 's/^@@MOUNT ok.*: //p')
if [ -n "$line" ]; then
  tap_ok "$B: domU mounts share (trans=xen): $line"
else
  tap_fail "$B: domU mounts share (trans=xen)" "$(domu_out "$D" | tail -8)"
  dump_dev "$D" 0
  journalctl -b -u xen9pd --no-pager | tail -10 | diag
  leave poweroff
fi
expect "$B: backend $BE is Connected" "$(xenstore-read "$BE/state" 2>&1)" 4
check "$B: xen9p list shows the share" xen9p_has "$D" 0 share

# md5 of a file as the domU sees it, from its console
domu_md5() { domu_run "$D" 60 "md5sum $1" && domu_out "$D" | awk 'NF == 2 { print $1; exit }'; }
if [ "$BOOT" = 1 ]; then
  # ---- boot 1: files both ways, then a real reboot -----------------------------------------------
  domu_run "$D" 60 "dd if=/dev/urandom of=/mnt/share/from-domu bs=64k count=16 2> /dev/null && sync"
  g=$(domu_md5 /mnt/share/from-domu) h=$(md5sum < /srv/share/from-domu 2>&1 | cut -d' ' -f1)
  expect "$B: domU wrote a 1 MiB file, dom0 reads the same md5 ($g)" "$h" "${g:-no md5 from the domU}"
  echo "$g" > "$ST/md5-from-domu"
  head -c 1048576 /dev/urandom > /srv/share/from-dom0
  h=$(md5sum < /srv/share/from-dom0 | cut -d' ' -f1) g=$(domu_md5 /mnt/share/from-dom0)
  expect "$B: dom0 wrote a 1 MiB file, the domU reads the same md5 ($h)" "$g" "$h"
  journalctl --list-boots --no-pager | diag
  leave reboot
fi

# ---- boot 2: the share after the reboot -------------------------------------------------------
g=$(domu_md5 /mnt/share/from-domu)
expect "$B: the file the domU wrote before the reboot has its md5 ($(cat "$ST/md5-from-domu"))" \
  "$g" "$(cat "$ST/md5-from-domu")"
domu_run "$D" 60 "dd if=/dev/urandom of=/mnt/share/after-reboot bs=64k count=16 2> /dev/null && sync"
g=$(domu_md5 /mnt/share/after-reboot) h=$(md5sum < /srv/share/after-reboot 2>&1 | cut -d' ' -f1)
expect "$B: domU writes again, dom0 reads the same md5 ($g)" "$h" "${g:-no md5 from the domU}"

phase restart
# ---- systemctl restart xen9pd and xen9p upgrade, the share mounted and used ----------------------
# systemd keeps the workers' descriptors (FileDescriptorStoreMax, KillMode=process) and
# sends the restart SIGTERM (RestartKillSignal): the new xen9pd takes the worker back;
# then the worker itself is replaced. The guest's mount goes on as if nothing happened.
worker_of() { xen9p list --json 2> /dev/null | tr -d ' \n' | sed -n 's/.*"worker":{"pid":\([0-9]*\).*/\1/p'; }
w0=$(worker_of) m0=$(show xen9pd MainPID) t0=$(up)
if timeout 60 systemctl restart xen9pd; then
  tap_ok "$B: systemctl restart xen9pd returns ($(elapsed "$t0") s)"
else
  tap_fail "$B: systemctl restart xen9pd returns within 60 s"
fi
expect "$B: after the restart xen9pd is a new process, active" \
  "$(systemctl is-active xen9pd) $([ "$(show xen9pd MainPID)" != "$m0" ] && echo new)" "active new"
expect "$B: after the restart the device is still Connected" "$(xenstore-read "$BE/state" 2>&1)" 4
expect "$B: the new xen9pd took worker $w0 back (not a new one)" "$(worker_of)" "${w0:-none}"
if journalctl -b -u xen9pd --no-pager -o cat | grep -q 'taken back from an earlier xen9pd'; then
  tap_ok "$B: journal: device taken back from an earlier xen9pd"
else
  tap_fail "$B: journal: device taken back from an earlier xen9pd" "$(journalctl -b -u xen9pd --no-pager | tail -12)"
fi
g=$(domu_md5 /mnt/share/after-reboot)
expect "$B: after the restart the domU reads the same md5 through its mount" "$g" "$(md5sum < /srv/share/after-reboot | cut -d' ' -f1)"
out=$(timeout 60 xen9p upgrade all 2>&1)
case "$out" in
  *": upgraded, worker "*) tap_ok "$B: xen9p upgrade all: $out" ;;
  *) tap_fail "$B: xen9p upgrade all replaces the worker" "$out" ;;
esac
w1=$(worker_of)
expect "$B: the device has a new worker" "$([ -n "$w1" ] && [ "$w1" != "$w0" ] && echo new)" new
domu_run "$D" 60 "dd if=/dev/urandom of=/mnt/share/after-upgrade bs=64k count=16 2> /dev/null && sync"
g=$(domu_md5 /mnt/share/after-upgrade) h=$(md5sum < /srv/share/after-upgrade 2>&1 | cut -d' ' -f1)
expect "$B: after the upgrade the domU writes, dom0 reads the same md5 ($g)" "$h" "${g:-no md5 from the domU}"
check "$B: the guest logged no oops, lockup, stall or wrong tag" no_domu_alarms "$D"

# The reboot stopped xen9pd after xendomains shut the guest down: its journal of the
# previous boot has the start, the stop, and nothing at priority err or above.
prev=$(journalctl -b -1 -u xen9pd --no-pager -o cat 2>&1)
echo "$prev" | tail -12 | diag
case "$prev" in
  *"Started xen9pd.service"*"Stopping xen9pd.service"*"Stopped xen9pd.service"*)
    tap_ok "$B: boot 1's journal: xen9pd started and stopped (by the reboot)" ;;
  *) tap_fail "$B: boot 1's journal: xen9pd started and stopped (by the reboot)" ;;
esac
err=$(journalctl -b -1 -u xen9pd -p err --no-pager -o cat 2>&1)
expect "$B: boot 1's journal: no xen9pd message at priority err or above" "$err" ""
# xendomains stopped the guest before xen9pd went (xen9pd is Before=xendomains)
order=$(journalctl -b -1 -u xen9pd -u xendomains --no-pager -o cat | grep -E '^Stopp(ing|ed) (xen9pd|xendomains)' | cut -d' ' -f1,2 | tr '\n' ',')
expect "$B: boot 1's shutdown order: xendomains stopped, then xen9pd" "$order" \
  "Stopping xendomains.service,Stopped xendomains.service,Stopping xen9pd.service,Stopped xen9pd.service,"

phase stop
# ---- systemctl stop xen9pd with the share mounted in the running guest --------------------------
# The backend's states, sampled every 0.1 s until it is Closed or gone
( last=; while :; do
    s=$(xenstore-read "$BE/state" 2> /dev/null || echo gone)
    [ "$s" != "$last" ] && echo "$s" && last=$s
    case "$s" in 6 | gone) break ;; esac
    sleep 0.1
  done ) > "$L/states" &
POLL=$!
t0=$(up)
if timeout 60 systemctl stop xen9pd; then
  tap_ok "$B: systemctl stop xen9pd returns ($(elapsed "$t0") s)"
else
  tap_fail "$B: systemctl stop xen9pd returns within 60 s"
fi
i=0; while kill -0 "$POLL" 2> /dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill "$POLL" 2> /dev/null
states=$(tr '\n' ' ' < "$L/states"); states=${states% }
final=$(xenstore-read "$BE/state" 2> /dev/null || echo gone)
# Debian's xenstored (oxenstored) logs every write with its value: the last two
# states written to the node are xen9pd's Closing and Closed. (Without that log, the
# 0.1 s samples may miss a short Closing.)
al=$(ls /var/log/xen/xenstored-access.log 2> /dev/null)
written=
[ -n "$al" ] && written=$(grep -aE "write +$BE/state " "$al" | awk '{ print $NF }' | tail -2 | tr '\n' ' ')
case "$final:$written" in
  6:"5 6 " | 6:) tap_ok "$B: the backend device went Closing, then Closed: ${written:+written ${written% }, }states sampled $states, now $final" ;;
  *) tap_fail "$B: the backend device went Closing, then Closed (5, 6)" "written: ${written:-no xenstored access log}; sampled: $states; now: $final"
     dump_dev "$D" 0 ;;
esac
[ -n "$al" ] && grep -aE "write +$BE/state " "$al" | tail -4 | diag
expect "$B: xen9pd.service inactive, result success" \
  "$(systemctl is-active xen9pd) $(show xen9pd Result)" "inactive success"
expect "$B: libxl/xen-9pfs/state released" \
  "$(xenstore-read /local/domain/0/libxl/xen-9pfs/state 2> /dev/null || echo gone)" gone
cur=$(journalctl -b -u xen9pd --no-pager -o cat 2>&1)
echo "$cur" | tail -12 | diag
case "$cur" in
  *"Started xen9pd.service"*"Stopping xen9pd.service"*"Stopped xen9pd.service"*)
    tap_ok "$B: journalctl -u xen9pd has the start and the stop" ;;
  *) tap_fail "$B: journalctl -u xen9pd has the start and the stop" ;;
esac
err=$(journalctl -b -u xen9pd -p err --no-pager -o cat 2>&1)
expect "$B: journalctl -u xen9pd: no message at priority err or above" "$err" ""
# the guest sees its device closed, and is otherwise fine
sleep 1
fe=$(xenstore-read "/local/domain/$D/device/9pfs/0/state" 2>&1)
say "frontend state after the stop: $fe"
check "$B: the guest logged no oops, lockup or stall" no_domu_alarms "$D"
# Its share is gone: a clean shutdown would wait on the dead mount until xendomains
# gives up (the reboot above took the clean path). The power-off needs no guest.
timeout 30 xl destroy share
leave poweroff
