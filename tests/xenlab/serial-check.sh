# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by lab.sh and debian-dom0/run.sh: the verdict on a run's serial log and
# the run's summary.  The caller defines tap_ok, tap_fail and diag, and the
# summary's variables (N, FAILED, BOOT_S, PEAK, QRC, IMG, T_START).

# serial_log_verdict LOG ART [PIDS]: kernel or hypervisor trouble anywhere (dom0,
# domUs through their consoles, Xen) fails the run.  PIDS ("12|34"): xen9pd
# processes dom0 sent a SIGSEGV on purpose, whose segfault lines are expected.
serial_log_verdict() {
  local log=$1 art=$2 deliberate=${3:-none}
  local bad='Kernel panic|Oops|BUG:|general protection|segfault at|Call Trace|WARNING: CPU|\(XEN\).*(crash|Assertion|FATAL)|Hardware Dom0 crashed'
  # One warning is the emulator's, not ours: a #DB trap taken in a PV guest's
  # kernel (exc_debug_kernel), seen under TCG on domUs with 2 vCPUs in code far
  # from 9p (exec, kmalloc). Its whole "cut here ... end trace" block is left
  # out, and counted.
  awk -v benign=exc_debug_kernel -v deliberate="xen9pd[[]($deliberate)[]]: segfault at" '
    /------------\[ cut here \]------------/ { inblock = 1; n = 0 }
    inblock { buf[++n] = $0; if ($0 ~ benign) skip = 1
              if ($0 ~ /---\[ end trace/) { if (!skip) for (i = 1; i <= n; i++) print buf[i]; else dropped++
                                            inblock = 0; skip = 0 }
              next }
    $0 ~ deliberate { next }
    { print }
    END { for (i = 1; inblock && i <= n; i++) print buf[i]; print dropped + 0 > "/dev/stderr" }
  ' "$log" > "$art/serial.checked" 2> "$art/benign.count"
  if grep -Eq "$bad" "$art/serial.checked"; then
    tap_fail "no kernel oops, panic, segfault or Xen crash in the serial log"
    grep -E "$bad" "$art/serial.checked" | head -10 | diag
  else
    tap_ok "no kernel oops, panic, segfault or Xen crash in the serial log ($(cat "$art/benign.count") emulator #DB warnings left out)"
  fi
  rm -f "$art/serial.checked" "$art/benign.count"
}

# run_summary ART TITLE [WALL]: summary.txt (timings, QEMU's peak memory, checks)
# in ART, also as TAP comments.  WALL: the wall_seconds line's text.
run_summary() {
  local art=$1 title=$2 wall=${3:-$((SECONDS - T_START))}
  {
    echo "$title"
    echo "wall_seconds $wall"
    echo "qemu_seconds $BOOT_S"
    echo "qemu_peak_rss_mib $((PEAK / 1024))"
    echo "qemu_exit $QRC"
    echo "kernel $(cat "$IMG/kernel-version")"
    echo "checks $N failed $FAILED"
  } > "$art/summary.txt"
  diag < "$art/summary.txt"
}
