# SPDX-License-Identifier: GPL-2.0-or-later
# TAP for the shell tests (sourced): ok TEXT, not_ok TEXT [DIAGNOSTIC...],
# bail TEXT; N and FAILED count; tap_end prints the plan and sets the status.
N=0
FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $1"; }
not_ok() {
    N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $1"; shift
    local d; for d in "$@"; do printf '%s\n' "$d" | sed 's/^/# /'; done
}
bail() { echo "Bail out! $*"; exit 1; }
tap_end() { echo "1..$N"; [ "$FAILED" = 0 ]; }
