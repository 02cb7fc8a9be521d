#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The test suite's short fuzzing run: tests/fuzz/run-fuzz.sh (its own clang
# ASan/UBSan/libFuzzer build in the build tree) for FUZZ_SECONDS (default 30)
# per target.  Prints run-fuzz.sh's TAP.
: "${top_builddir:=.}" "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-$top_builddir/tests/fuzz/sanitizer-build}
export FUZZ_BUILD_DIR
exec sh "$top_srcdir/tests/fuzz/run-fuzz.sh" "${FUZZ_SECONDS:-30}"
