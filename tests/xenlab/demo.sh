#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# demo.sh: boots the Xen 4.20 lab (Debian 13; falls back to Xen 4.17, Debian 12)
# and shows a PV domU using a share that xen9pd serves from dom0: the commands on
# both sides with their output. Exit status 0 iff every step worked.
#   top_builddir=BUILD-DIR tests/xenlab/demo.sh     (xen9pd and xen9p come from there)
# The same environment knobs as lab.sh (XEN9P_CACHE, XENLAB_TIMEOUT, ...).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export top_builddir=$(cd "${top_builddir:-.}" && pwd)
export XENLAB_SCRIPT=demo XENLAB_TIMEOUT=${XENLAB_TIMEOUT:-420}
ART=${XENLAB_ARTIFACTS:-$top_builddir/tests/xenlab/artifacts}
mkdir -p "$ART"
for v in 4.20 4.17; do
  echo "=== xen9p demo: Xen $v under QEMU (TCG); this takes a few minutes ==="
  bash "$HERE/lab.sh" "$v" > "$ART-demo-$v.tap" 2>&1
  rc=$?
  if [ -f "$ART/$v/serial.log" ]; then
    # what a person at the two consoles would have seen
    sed -n 's/^ *[0-9.]* //; /^dom0[#>] /p; /^\[demo\] /{ /@@/d; s/^\[demo\] /    /p; }' "$ART/$v/serial.log"
  fi
  echo "--- checks (Xen $v) ---"
  grep -E '^(ok|not ok) ' "$ART-demo-$v.tap"
  if [ "$rc" = 0 ]; then echo "DEMO PASS (Xen $v, serial log $ART/$v/serial.log)"; exit 0; fi
  echo "DEMO FAIL on Xen $v (serial log $ART/$v/serial.log)"
done
exit 1
