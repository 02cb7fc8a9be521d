#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh VERSION   (VERSION = 4.20 | 4.17): the full-Debian dom0 lab, TAP on stdout.
#
# Boots real Xen under QEMU (TCG only) with a Debian dom0 from a virtio disk: systemd
# as PID 1, xen9p's .deb installed and its unit enabled, a domU with a p9 share that
# xendomains starts at boot (build.sh). dom0's agent (agent.sh, a systemd unit) decides
# the checks and reboots dom0 once with `systemctl reboot`: Xen resets the machine,
# QEMU (-no-reboot) exits and is started again on the same disk. Then the agent stops
# xen9pd and powers off; Xen's power-off ends QEMU.
#
# Environment: top_builddir, XEN9P_CACHE, XEN9P_DEB (build.sh); XENLAB_TIMEOUT (wall
# limit of both QEMU runs together, default 900 s), XENLAB_ARTIFACTS, XENLAB_CPU, XENLAB_SMP,
# XENLAB_ACCEL, XENLAB_XEN_ARGS, XENLAB_DOM0_ARGS as for ../lab.sh.
# Artifacts: $XENLAB_ARTIFACTS/debian-dom0-VERSION/serial.log (each line stamped with
# seconds since QEMU started), summary.txt, build.log.
set -uo pipefail
VER=${1:?usage: run.sh 4.20|4.17}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../serial-check.sh"
top_builddir=$(cd "${top_builddir:-.}" && pwd)
export top_builddir
TIMEOUT=${XENLAB_TIMEOUT:-900}
ART=${XENLAB_ARTIFACTS:-$top_builddir/tests/xenlab/artifacts}/debian-dom0-$VER
LOG=$ART/serial.log

N=0 FAILED=0
tap_ok() { N=$((N + 1)); echo "ok $N - $VER dom0: $*"; }
tap_fail() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $VER dom0: $*"; }
tap_skip() { N=$((N + 1)); echo "ok $N - $VER dom0: $1 # SKIP $2"; }
diag() { sed 's/^/#   /'; }
finish() { echo "1..$N"; [ "$FAILED" = 0 ]; exit; }

case "$VER" in 4.17 | 4.20) ;; *) echo "run.sh: unknown Xen version $VER" >&2; exit 2 ;; esac
for tool in qemu-system-x86_64 mmdebstrap mke2fs dpkg-buildpackage cpio gzip timeout flock; do
  command -v "$tool" > /dev/null || { tap_fail "host tool $tool is installed (see scripts/deps.txt)"; finish; }
done
mkdir -p "$ART"
exec 8> "$ART/.lock"
flock -n 8 || { tap_fail "artifact dir $ART is free (another run holds it)"; finish; }
T_START=$SECONDS

# ---- 1. the cached image (rebuilt when xen9p's .deb or a script changes) ----------------
if CACHE=$("$HERE/build.sh" "$VER" 2> "$ART/build.log"); then
  tap_ok "image ready in $((SECONDS - T_START)) s ($CACHE: $(head -2 "$CACHE/img/xen9p-package" | tr '\n' ' '))"
  diag < "$ART/build.log"
else
  tap_fail "image build (log: $ART/build.log)"
  tail -30 "$ART/build.log" | diag
  finish
fi
IMG=$CACHE/img
T_IMAGE=$((SECONDS - T_START))
# Debian's xenstored and /proc/xen come from xen.service: a unit that is not ordered
# after it is skipped at boot (build.sh then adds a drop-in, so the rest still runs)
if [ -f "$IMG/unit-workaround" ]; then
  tap_fail "the packaged xen9pd.service is ordered after Debian's xen.service (else systemd skips it at boot)"
  diag < "$IMG/unit-workaround"
  echo "xen9pd.service - ... skipped, unmet condition check ConditionPathExists=/proc/xen/capabilities" | diag
else
  tap_ok "the packaged xen9pd.service is ordered after Debian's xen.service"
fi
# The run writes to its disk (the share, the journal): a copy per run
T_COPY=$SECONDS
cp --sparse=always "$IMG/disk.img" "$ART/disk.img"
T_COPY=$((SECONDS - T_COPY))

# ---- 2. boot: QEMU (TCG) -> Xen -> Debian dom0, one reboot, power off -------------------------
# -cpu max,-smap,-xsave and bootscrub=0: see ../lab.sh. dom0's `systemctl reboot` makes
# Xen reset the machine; QEMU runs with -no-reboot, so it exits then and is started
# again on the same disk: a fresh QEMU, because after an in-process reset TCG ran the
# second boot 5 to 10 times slower (Xen alone took 30 s instead of 2; probably the
# first boot's translated code, kept for RAM that still holds it, slows every write).
# A QEMU that exits without dom0 having asked for the reboot is not started again.
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M bootscrub=0 loglvl=all guest_loglvl=all ${XENLAB_XEN_ARGS:-}"
DOM0_ARGS="root=/dev/vda ro console=hvc0 earlyprintk=xen ${XENLAB_DOM0_ARGS:-}"
usec() { echo "${EPOCHREALTIME/./}"; }
FIFO=$ART/serial.fifo
TB=$(usec)
: > "$LOG"
PEAK=0 CRASHED='' QRC=0 LAUNCHES=0 TOP=''
trap '[ -n "$TOP" ] && kill "$TOP" 2> /dev/null' EXIT
trap 'exit 130' INT TERM
# No `noreboot` for Xen: with it, Xen halts on dom0's reboot. A crash makes Xen reset,
# QEMU exit (-no-reboot), and the run end; the watch below only stops it sooner.
CRASH='Hardware Dom0 crashed|Kernel panic - not syncing|Panic on CPU'
boot_once() {  # one QEMU run, its serial lines appended to $LOG; $1: seconds left
  local stamper h q
  rm -f "$FIFO"; mkfifo "$FIFO"
  { while IFS= read -r line; do
      e=$(( $(usec) - TB ))
      printf '%4d.%02d %s\n' $((e / 1000000)) $((e % 1000000 / 10000)) "${line%$'\r'}"
    done < "$FIFO" >> "$LOG"; } &
  stamper=$!
  timeout -k 10 "$1" qemu-system-x86_64 -accel "${XENLAB_ACCEL:-tcg,thread=multi}" -smp "${XENLAB_SMP:-2}" -cpu "${XENLAB_CPU:-max,-smap,-xsave}" \
    -m 2G -nographic -no-reboot -monitor none -serial stdio -net none \
    -drive "file=$ART/disk.img,if=virtio,format=raw,cache=unsafe" \
    -kernel "$IMG/xen" -append "$XEN_ARGS" \
    -initrd "$IMG/vmlinuz $DOM0_ARGS,$IMG/initrd.img" < /dev/null > "$FIFO" 2>&1 &
  TOP=$!
  LAUNCHES=$((LAUNCHES + 1))
  while kill -0 "$TOP" 2> /dev/null; do
    for q in $(pgrep -P "$TOP"); do
      h=$(awk '/^VmHWM/ { print $2 }' "/proc/$q/status" 2> /dev/null)
      [ "${h:-0}" -gt "$PEAK" ] && PEAK=$h
    done
    if [ -z "$CRASHED" ] && grep -Eq "$CRASH" "$LOG" 2> /dev/null; then
      CRASHED=1; sleep 5; kill "$TOP" 2> /dev/null
    fi
    sleep 1
  done
  wait "$TOP"; QRC=$?
  wait "$stamper"
  rm -f "$FIFO"
}
T_BOOT=$SECONDS
while :; do
  boot_once $((TIMEOUT - (SECONDS - T_BOOT)))
  # dom0 asked for a reboot and Xen reset the machine: start it again (once)
  if [ "$QRC" = 0 ] && [ -z "$CRASHED" ] && [ "$LAUNCHES" -lt 3 ] \
     && [ "$(grep -c '@@LAB reboot' "$LOG")" = "$LAUNCHES" ] \
     && tail -5 "$LOG" | grep -q 'Hardware Dom0 shutdown: rebooting machine'; then
    continue
  fi
  break
done
BOOT_S=$(awk 'END { print $1 }' "$LOG")

# ---- 3. results ------------------------------------------------------------------------------
while IFS= read -r line; do
  case "$line" in
    "@@TAP ok "*) tap_ok "${line#@@TAP ok }" ;;
    "@@TAP not ok "*) tap_fail "${line#@@TAP not ok }" ;;
    "@@TAP skip "*) d=${line#@@TAP skip }; tap_skip "${d%% # *}" "${d#* # }" ;;
    "@@DIAG "*) echo "#   ${line#@@DIAG }" ;;
  esac
done < <(sed -n 's/^ *[0-9]*\.[0-9]* \(@@\(TAP\|DIAG\) .*\)$/\1/p' "$LOG")
for p in boot1 boot2 stop; do
  t=$(awk -v p="$p" '$2 == "@@PHASE" && $3 == p && $4 == "done" { print $1; exit }' "$LOG")
  if [ -n "$t" ]; then tap_ok "phase $p finished (at ${t} s)"
  else tap_fail "phase $p finished (the run stopped before; last serial lines below)"; tail -8 "$LOG" | diag; fi
done
xens=$(grep -c '(XEN) Xen version' "$LOG")
if [ "$xens" = 2 ] && [ "$LAUNCHES" = 2 ] && grep -q '@@LAB reboot' "$LOG"; then
  tap_ok "dom0's systemctl reboot reset the machine, and it booted again: Xen booted $xens times"
else
  tap_fail "dom0's systemctl reboot reset the machine, and it booted again: Xen booted $xens times in $LAUNCHES QEMU runs, want 2"
fi
# (QEMU exits 0 on SIGTERM too: the kernel's last words tell a power-off from a kill)
if [ "$QRC" = 0 ] && [ -z "$CRASHED" ] && grep -q '@@LAB poweroff' "$LOG" && grep -q 'reboot: Power down' "$LOG"; then
  tap_ok "QEMU ended by itself after dom0's systemctl poweroff (${BOOT_S} s)"
else
  tap_fail "QEMU ended by itself after dom0's systemctl poweroff (exit $QRC$([ "$QRC" = 124 ] && echo ": hit the ${TIMEOUT} s limit")$([ -n "$CRASHED" ] && echo ": stopped after a crash"))"
  tail -15 "$LOG" | diag
fi
serial_log_verdict "$LOG" "$ART"
run_summary "$ART" "xen $VER full-Debian dom0" \
  "$((SECONDS - T_START)) (image $T_IMAGE s, disk copy $T_COPY s, QEMU runs $LAUNCHES)"
echo "# serial log: $LOG"
# the disk (1-2 GB) stays only after a failure, for a post-mortem (mount -o ro,loop)
[ "$FAILED" = 0 ] && rm -f "$ART/disk.img"
finish
