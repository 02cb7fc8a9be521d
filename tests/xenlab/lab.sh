#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# lab.sh VERSION   (VERSION = 4.17 | 4.20): one run of the Xen lab, TAP on stdout.
#
# Boots real Xen under QEMU (TCG only) with a Linux dom0 that runs xen9pd from this
# build tree and Linux PV domUs that mount its shares with trans=xen. The dom0 script
# (run/dom0-SCRIPT.sh) drives the domUs and decides every check; this script builds
# the per-run overlay, boots, and turns the serial log into TAP.
#
# Environment:
#   top_builddir        build dir holding xen9pd and xen9p (set by `make check`; default .)
#   XEN9P_CACHE         image cache root (default /var/cache/xen9p), see build-image.sh
#   XENLAB_SCRIPT       lab (default) | demo | bench | stress: which run/dom0-*.sh dom0 runs (or a
#                       path to a dom0 script of your own, for experiments)
#   XENLAB_BACKEND      xen9pd (default) | qemu: QEMU's Xen 9pfs backend instead of
#                       xen9pd, to debug the lab itself; the xen9pd checks then SKIP
#   XENLAB_TIMEOUT      wall limit of the QEMU run in seconds (default 1200)
#   XENLAB_ARTIFACTS    where serial logs go (default $top_builddir/tests/xenlab/artifacts)
#   XENLAB_BIG_MB       size of the workload's big file in MiB (default 64)
#   XENLAB_STRESS_MB    size of each stress file in MiB (default 24)
#   XENLAB_STRESS_ROUNDS  rounds of the stress in the soak script (default 3)
#   XENLAB_VECTOR_CHECK 0 skips the check that the emulated CPU keeps vector registers
#                       (to watch what a broken CPU does to the rest; see README.md)
#   XENLAB_CPU, XENLAB_SMP, XENLAB_ACCEL, XENLAB_XEN_ARGS, XENLAB_DOM0_ARGS
#                       QEMU's -cpu (default max,-smap,-xsave), -smp (2), -accel
#                       (tcg,thread=multi), extra Xen and dom0 kernel arguments
# Artifacts: $XENLAB_ARTIFACTS/VERSION/serial.log (each line stamped with seconds since
# QEMU started) and summary.txt (timings, peak memory).
set -uo pipefail
VER=${1:?usage: lab.sh 4.17|4.20}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/serial-check.sh"
SRCTOP=$(cd "$HERE/../.." && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
SCRIPT=${XENLAB_SCRIPT:-lab}
BACKEND=${XENLAB_BACKEND:-xen9pd}
TIMEOUT=${XENLAB_TIMEOUT:-1200}
ART=${XENLAB_ARTIFACTS:-$top_builddir/tests/xenlab/artifacts}/$VER
LOG=$ART/serial.log

N=0 FAILED=0
tap_ok() { N=$((N + 1)); echo "ok $N - $VER: $*"; }
tap_fail() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $VER: $*"; }
tap_skip() { N=$((N + 1)); echo "ok $N - $VER: $1 # SKIP $2"; }
diag() { sed 's/^/#   /'; }
finish() { echo "1..$N"; [ "$FAILED" = 0 ]; exit; }

case "$VER" in 4.17 | 4.20) ;; *) echo "lab.sh: unknown Xen version $VER" >&2; exit 2 ;; esac
case "$BACKEND" in xen9pd | qemu) ;; *) echo "lab.sh: XENLAB_BACKEND must be xen9pd or qemu" >&2; exit 2 ;; esac
case "$SCRIPT" in /*) RUN=$SCRIPT ;; *) RUN=$HERE/run/dom0-$SCRIPT.sh ;; esac
[ -f "$RUN" ] || { echo "lab.sh: no $RUN" >&2; exit 2; }
for tool in qemu-system-x86_64 cpio gzip timeout flock; do
  command -v "$tool" > /dev/null || { tap_fail "host tool $tool is installed (see scripts/deps.txt)"; finish; }
done
mkdir -p "$ART"
exec 8> "$ART/.lock"
flock -n 8 || { tap_fail "artifact dir $ART is free (another lab run holds it)"; finish; }
T_START=$SECONDS

# ---- 1. the cached image ------------------------------------------------------------
if CACHE=$("$HERE/build-image.sh" "$VER" 2> "$ART/build-image.log"); then
  tap_ok "image ready in $((SECONDS - T_START)) s ($CACHE)"
  diag < "$ART/build-image.log"
else
  tap_fail "image build (log: $ART/build-image.log)"
  tail -20 "$ART/build-image.log" | diag
  finish
fi
IMG=$CACHE/img

# ---- 2. per-run overlays: xen9p binaries, lab scripts, workload ---------------------
O=$ART/overlay-dom0 OU=$ART/overlay-domu
rm -rf "$O" "$OU"; mkdir -p "$O/xenlab/bin" "$O/xenlab/lib" "$O/xenlab/workload" "$OU/xenlab/workload"
# host_bin NAME PATH: a host executable with the host's loader and libraries, so the
# same build runs in the bookworm and the trixie dom0. The loader copy carries the
# program's name, so ps, pidof and kernel messages show NAME.
host_bin() {
  local name=$1 src=$2 d=$O/xenlab/lib/$1 lib
  [ -x "$src" ] && [ "$(head -c 4 "$src" | od -An -c | tr -d ' ')" = '177ELF' ] || return 1
  mkdir -p "$d"
  cp -L /lib64/ld-linux-x86-64.so.2 "$d/$name"
  cp -L "$src" "$d/$name.elf"
  /lib64/ld-linux-x86-64.so.2 --list "$src" | awk '$3 ~ /^\// { print $3 }' \
    | while read -r lib; do cp -L "$lib" "$d/"; done
  printf '#!/bin/sh\nexec /xenlab/lib/%s/%s --library-path /xenlab/lib/%s --argv0 %s /xenlab/lib/%s/%s.elf "$@"\n' \
    "$name" "$name" "$name" "$name" "$name" "$name" > "$O/xenlab/bin/$name"
  chmod 755 "$O/xenlab/bin/$name"
}
# The helpers the lab puts into dom0 and the domUs are test programs: a tree that
# was only built with `make` (scripts/demo) has none yet.
make -C "$top_builddir" tests/integration/svc-standin tests/workload/wl-stress \
  tests/xenlab/vector-check tests/xenlab/pause-probe > /dev/null ||
  echo "lab: could not build the lab's helper programs in $top_builddir" >&2
if [ "$BACKEND" = xen9pd ]; then
  for b in xen9pd xen9p; do
    if host_bin "$b" "$top_builddir/$b"; then
      tap_ok "$b from this build goes into dom0 ($top_builddir/$b, $(stat -c %s "$top_builddir/$b") bytes)"
    else
      tap_fail "$b is built ($top_builddir/$b: missing or not an ELF executable)"; finish
    fi
  done
  # The service manager dom0 runs xen9pd under, as systemd does (Type=notify, a
  # descriptor store, Restart=always): tests/integration/svc-standin.c
  if host_bin svc-standin "$top_builddir/tests/integration/svc-standin"; then
    tap_ok "svc-standin from this build goes into dom0 (xen9pd's service manager)"
  else
    tap_fail "tests/integration/svc-standin is built ($top_builddir/tests/integration/svc-standin: missing)"; finish
  fi
fi
echo "$BACKEND" > "$O/xenlab/backend"
echo "${XENLAB_BIG_MB:-64}" > "$O/xenlab/big-mb"
echo "${XENLAB_STRESS_ROUNDS:-3}" > "$O/xenlab/stress-rounds"
echo "${XENLAB_VECTOR_CHECK:-1}" > "$O/xenlab/vector-check"
echo "${XENLAB_STRESS_MB:-24}" > "$O/xenlab/stress-mb"
install -m 755 "$RUN" "$O/xenlab/run.sh"
install -m 644 "$HERE/run/dom0-lib.sh" "$O/xenlab/lib.sh"
install -m 755 "$HERE/run/domu-main.sh" "$OU/xenlab/domu-main.sh"
install -m 644 "$HERE/run/domu-lib.sh" "$OU/xenlab/domu-lib.sh"
for f in "$SRCTOP"/tests/workload/*.sh; do
  [ -e "$f" ] || continue
  install -m 755 "$f" "$O/xenlab/workload/"; install -m 755 "$f" "$OU/xenlab/workload/"
done
# static helpers: the guests' parallel I/O checker (tests/workload/wl-stress.c), the
# vector-state check of the emulated CPU (tests/xenlab/vector-check.c) and the pause
# probe of the live-upgrade phase (tests/xenlab/pause-probe.c), for dom0 and domUs
for t in tests/workload/wl-stress tests/xenlab/vector-check tests/xenlab/pause-probe; do
  if [ -x "$top_builddir/$t" ]; then
    install -m 755 "$top_builddir/$t" "$OU/xenlab/workload/"
    install -m 755 "$top_builddir/$t" "$O/xenlab/bin/"
  else
    tap_fail "$t is built (make check builds it)"; finish
  fi
done
mkcpio() { (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$2"; }
# The kernel unpacks concatenated cpio archives in order: base image, then overlay.
mkcpio "$OU" "$ART/domu-overlay.gz"
cat "$IMG/domu.gz" "$ART/domu-overlay.gz" > "$O/xenlab/domu.gz"
mkcpio "$O" "$ART/dom0-overlay.gz"
ADDONS=()
[ "$BACKEND" = qemu ] && ADDONS=("$IMG/dom0-qemu.gz")
cat "$IMG/dom0.gz" "${ADDONS[@]}" "$ART/dom0-overlay.gz" > "$ART/dom0-run.gz"

# ---- 3. boot: QEMU (TCG) -> Xen -> dom0 ------------------------------------------------
# -cpu max,-smap,-xsave: with SMAP, Xen crashes the PV dom0 at its first bounce frame
#   under TCG; with XSAVE, TCG loses threads' vector registers once a domU runs, which
#   corrupts memcpy anywhere (9P reply headers included: guests hang). The dom0 scripts
#   check the CPU before they trust it (vector_preflight; README.md "Vector state").
# bootscrub=0: scrubbing all RAM costs TCG time and host memory. noreboot: a crash stops
#   instead of looping (the timeout ends QEMU then).
XEN_ARGS="console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M bootscrub=0 loglvl=all guest_loglvl=all noreboot ${XENLAB_XEN_ARGS:-}"
DOM0_ARGS="console=hvc0 earlyprintk=xen ${XENLAB_DOM0_ARGS:-}"
usec() { echo "${EPOCHREALTIME/./}"; }
FIFO=$ART/serial.fifo; rm -f "$FIFO"; mkfifo "$FIFO"
TB=$(usec)
{ while IFS= read -r line; do
    e=$(( $(usec) - TB ))
    printf '%4d.%02d %s\n' $((e / 1000000)) $((e % 1000000 / 10000)) "${line%$'\r'}"
  done < "$FIFO" > "$LOG"; } &
STAMPER=$!
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel "${XENLAB_ACCEL:-tcg,thread=multi}" -smp "${XENLAB_SMP:-2}" -cpu "${XENLAB_CPU:-max,-smap,-xsave}" \
  -m 2G -nographic -no-reboot -monitor none -serial stdio -net none \
  -kernel "$IMG/xen" -append "$XEN_ARGS" \
  -initrd "$IMG/vmlinuz $DOM0_ARGS,$ART/dom0-run.gz" < /dev/null > "$FIFO" 2>&1 &
TOP=$!
# timeout passes a TERM on to QEMU: an interrupted lab leaves no QEMU behind
trap 'kill "$TOP" 2> /dev/null' EXIT
trap 'exit 130' INT TERM
PEAK=0
while kill -0 "$TOP" 2> /dev/null; do
  for q in $(pgrep -P "$TOP"); do
    h=$(awk '/^VmHWM/ { print $2 }' "/proc/$q/status" 2> /dev/null)
    [ "${h:-0}" -gt "$PEAK" ] && PEAK=$h
  done
  sleep 1
done
wait "$TOP"; QRC=$?
wait "$STAMPER"
BOOT_S=$(awk 'END { print $1 }' "$LOG")
rm -f "$FIFO"

# ---- 4. results ----------------------------------------------------------------------
# @@TAP lines are the dom0 script's checks, in order; @@DIAG lines explain the last one.
while IFS= read -r line; do
  case "$line" in
    "@@TAP ok "*) tap_ok "${line#@@TAP ok }" ;;
    "@@TAP not ok "*) tap_fail "${line#@@TAP not ok }" ;;
    "@@TAP skip "*) d=${line#@@TAP skip }; tap_skip "${d%% # *}" "${d#* # }" ;;
    "@@DIAG "*) echo "#   ${line#@@DIAG }" ;;
  esac
done < <(sed -n 's/^ *[0-9]*\.[0-9]* \(@@\(TAP\|DIAG\) .*\)$/\1/p' "$LOG")
# Every phase the dom0 script declares must have finished: a crash or a hang shows here.
for p in $(sed -n 's/^[ \t]*phase \([A-Za-z0-9-]*\).*/\1/p' "$O/xenlab/run.sh"); do
  t=$(awk -v p="$p" '$2 == "@@PHASE" && $3 == p && $4 == "done" { print $1; exit }' "$LOG")
  if [ -n "$t" ]; then tap_ok "phase $p finished (at ${t} s)"
  else tap_fail "phase $p finished (the lab stopped before; last serial lines below)"; tail -5 "$LOG" | diag; fi
done
if [ "$QRC" = 0 ] && grep -q '@@LAB poweroff' "$LOG"; then
  tap_ok "QEMU ended by itself after dom0's poweroff (${BOOT_S} s)"
else
  tap_fail "QEMU ended by itself after dom0's poweroff (exit $QRC$([ "$QRC" = 124 ] && echo ": hit the ${TIMEOUT} s limit"))"
  tail -15 "$LOG" | diag
fi
# The crash phase's worker dies of a SIGSEGV dom0 sent on purpose ("@@LAB deliberate
# SIGSEGV to worker PID"): the kernel's segfault line for that pid is expected.
DELIBERATE=$(sed -n 's/.*@@LAB deliberate SIGSEGV to worker \([0-9]*\).*/\1/p' "$LOG" | tr '\n' '|')
DELIBERATE=${DELIBERATE%|}
serial_log_verdict "$LOG" "$ART" "${DELIBERATE:-none}"
run_summary "$ART" "xen $VER backend $BACKEND script $SCRIPT"
echo "# serial log: $LOG"
# keep the logs, not the 30 MB of per-run images
rm -rf "$O" "$OU" "$ART/dom0-run.gz" "$ART/dom0-overlay.gz" "$ART/domu-overlay.gz"
finish
