#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# scripts/demo-emulated as a test: the production xen9pd serves a Linux-like
# and a Mini-OS-like guest through the emulated Xen; `xen9p list` shows both
# devices and the daemon's totals.  Prints TAP.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
out=$(mktemp /tmp/xenbackend-demo.XXXXXX)
trap 'rm -f "$out"' EXIT
echo "1..6"
n=0
check() {   # check DESCRIPTION COMMAND...
  n=$((n + 1))
  local desc=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fi
}
timeout 300 "$top_srcdir/scripts/demo-emulated" "$top_builddir" >"$out" 2>&1
rc=$?
check "demo-emulated exits 0 (exit $rc)" test "$rc" -eq 0
check "demo reports OK" grep -q '^demo: OK' "$out"
check "the guest's 8 MiB file arrived intact" grep -q 'big.bin arrived intact' "$out"
check "the Mini-OS guest's file reached dom0" grep -qx 'stubdom state' "$out"
# xen9p list: one line per device, then the daemon's totals.
check "xen9p list shows both devices" \
  bash -c "grep -Eq '^1 +0 +share +(Closed|Connected) ' '$out' && grep -Eq '^2 +0 +stubdom +(Closed|Connected) ' '$out'"
check "xen9p list totals: 2 devices, nothing mapped or bound once the guests left" \
  grep -Eq '^daemon: pid=[0-9]+ devices=2 mapped_pages=0 event_channels=0 open_files=0$' "$out"
if [ "$rc" -ne 0 ]; then sed 's/^/# /' "$out"; fi
exit 0
