# SPDX-License-Identifier: GPL-2.0-or-later
# tests/fuzz/: libFuzzer targets for the 9P decoder and a whole session.
# Run them with tests/fuzz/run-fuzz.sh (it makes its own clang build).

# The seed corpora, from valid messages; plain C, built with the tests.
check_PROGRAMS += tests/fuzz/make-seeds
tests_fuzz_make_seeds_SOURCES = tests/fuzz/make-seeds.c
tests_fuzz_make_seeds_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_fuzz_make_seeds_LDADD = $(P9PROTO_LIBS)

EXTRA_DIST += tests/fuzz/run-fuzz.sh

if ENABLE_FUZZER
FUZZ_FLAGS = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
noinst_PROGRAMS += tests/fuzz/fuzz-decode tests/fuzz/fuzz-session
tests_fuzz_fuzz_decode_SOURCES = tests/fuzz/fuzz-decode.c
tests_fuzz_fuzz_decode_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_decode_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_decode_LDADD = $(P9PROTO_LIBS)
tests_fuzz_fuzz_session_SOURCES = tests/fuzz/fuzz-session.c \
	tests/unit/server-harness.h tests/unit/server-harness.c
tests_fuzz_fuzz_session_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(FUZZ_FLAGS)
tests_fuzz_fuzz_session_LDFLAGS = $(FUZZ_FLAGS)
tests_fuzz_fuzz_session_LDADD = $(P9SERVER_LIBS)
endif

# A short run of both targets on every `make check` (run-fuzz.sh builds them with clang).
TESTS += tests/fuzz/test-fuzz.sh
EXTRA_DIST += tests/fuzz/test-fuzz.sh
clean-local: clean-fuzz-build
clean-fuzz-build:
	rm -rf tests/fuzz/sanitizer-build
.PHONY: clean-fuzz-build
