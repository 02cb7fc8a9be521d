#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the fuzz targets (clang with ASan, UBSan and libFuzzer) in a build
# directory of their own, runs the codec and server unit tests there under
# the sanitizers, then runs each fuzz target briefly.  Fails on any crash or
# sanitizer report.  Prints TAP.
#
#   tests/fuzz/run-fuzz.sh [SECONDS]
#
# SECONDS (default 60) is the fuzzing time of each target.  Environment:
#   FUZZ_BUILD_DIR  the build directory (default ${TMPDIR:-/tmp}/xen9p-fuzz-build);
#                   its corpus/ grows from run to run, artifacts/ keeps crashes
#   CC              the compiler (default clang)
#   JOBS            parallel make jobs (default 2)

set -u

seconds=${1:-60}
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
build=${FUZZ_BUILD_DIR:-${TMPDIR:-/tmp}/xen9p-fuzz-build}
jobs=${JOBS:-2}
cc=${CC:-clang}

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
finish() {
    echo "1..$n"
    [ "$failed" -eq 0 ]
    exit $?
}

if [ ! -x "$srcdir/configure" ]; then
    not_ok "configure exists (run ./autogen.sh in $srcdir first)"
    finish
fi
if ! command -v "$cc" >/dev/null 2>&1; then
    not_ok "$cc is installed (scripts/deps.txt: clang, libclang-rt-14-dev)"
    finish
fi

# ---- the sanitizer build ----------------------------------------------------
mkdir -p "$build" || exit 1
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
flags="-O1 -g -fno-omit-frame-pointer $sanitize -fsanitize=fuzzer-no-link"
targets="tests/fuzz/fuzz-decode tests/fuzz/fuzz-session tests/fuzz/make-seeds
         tests/unit/test-codec tests/unit/test-server tests/unit/test-server-dotl
         tests/unit/test-server-dotu tests/unit/test-server-flush tests/unit/test-server-guest"
buildlog=$build/build.log
(
    cd "$build" &&
    if [ ! -f Makefile ] || [ "$srcdir/configure" -nt config.status ]; then
        CC=$cc "$srcdir/configure" --enable-fuzzer CFLAGS="$flags"
    fi &&
    make -j"$jobs" $targets
) >"$buildlog" 2>&1
if [ $? -eq 0 ]; then
    ok "sanitizer build of the fuzz targets and server tests in $build"
else
    not_ok "sanitizer build of the fuzz targets and server tests in $build"
    tail -30 "$buildlog" | sed 's/^/# /'
    finish
fi

# Sanitizer reports abort the process (a crash for libFuzzer, a failure for the tests).
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# GLib's GSlice keeps per-thread memory that exiting worker threads free
# late; LeakSanitizer can see it in between (GLib >= 2.76 uses malloc anyway).
export G_SLICE=always-malloc

# ---- the unit tests, under ASan and UBSan -------------------------------------
for t in test-codec test-server test-server-dotl test-server-dotu test-server-flush \
         test-server-guest; do
    log=$build/$t.log
    if "$build/tests/unit/$t" >"$log" 2>&1; then
        ok "$t under ASan and UBSan"
    else
        not_ok "$t under ASan and UBSan"
        grep -E "ERROR|SUMMARY|runtime error|^not ok|Bail" "$log" | head -20 | sed 's/^/# /'
    fi
done

# ---- fuzzing --------------------------------------------------------------------
mkdir -p "$build/corpus/decode" "$build/corpus/session" "$build/artifacts"
"$build/tests/fuzz/make-seeds" "$build/seeds/decode" "$build/seeds/session" || {
    not_ok "make-seeds writes the seed corpora"
    finish
}

# run_fuzzer NAME [LIBFUZZER OPTIONS...]
run_fuzzer() {
    name=$1
    shift
    log=$build/fuzz-$name.log
    "$build/tests/fuzz/fuzz-$name" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$build/artifacts/$name-" "$@" \
        "$build/corpus/$name" "$build/seeds/$name" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    if [ $rc -eq 0 ]; then
        ok "fuzz-$name: ${seconds} s, ${runs:-?} runs, ${rate:-?} exec/s, no crash"
    else
        not_ok "fuzz-$name: crash or sanitizer report (exit $rc), input in $build/artifacts"
        grep -E "ERROR|SUMMARY|runtime error|Test unit written|deadly signal" "$log" |
            head -20 | sed 's/^/# /'
    fi
}

run_fuzzer decode -max_len=4096
# Session inputs are request streams; each run starts a session on a fresh
# export, so keep them short.
run_fuzzer session -max_len=2048 -timeout=20
finish
