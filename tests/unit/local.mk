# SPDX-License-Identifier: GPL-2.0-or-later

# --- ring/ tests (owner: ring) ---------------------------------------------
check_PROGRAMS += tests/unit/test-ring tests/unit/test-ring-stress
TESTS += tests/unit/test-ring tests/unit/test-ring-stress
tests_unit_test_ring_SOURCES = tests/unit/test-ring.c
tests_unit_test_ring_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_ring_LDADD = ring/libring.a $(GLIB_LIBS)
tests_unit_test_ring_stress_SOURCES = tests/unit/test-ring-stress.c
tests_unit_test_ring_stress_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_ring_stress_LDADD = ring/libring.a $(GLIB_LIBS)
# --- end ring/ tests ---------------------------------------------------------

# --- fsdrv/ tests (owner: fsdrv) -------------------------------------------
check_PROGRAMS += tests/unit/test-fsdrv
TESTS += tests/unit/test-fsdrv
tests_unit_test_fsdrv_SOURCES = \
	tests/unit/test-fsdrv.c \
	tests/unit/fsdrv-tests.h \
	tests/unit/fsdrv-fixture.h \
	tests/unit/fsdrv-fixture.c \
	tests/unit/fsdrv-test-basic.c \
	tests/unit/fsdrv-test-escape.c \
	tests/unit/fsdrv-test-blocking.c \
	tests/unit/fsdrv-test-limits.c \
	tests/unit/fsdrv-test-guest.c \
	tests/unit/fsdrv-test-quota.c \
	tests/unit/fsdrv-test-mapped.c
tests_unit_test_fsdrv_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_fsdrv_LDADD = fsdrv/libfsdrv.a $(GLIB_LIBS)
# --- end fsdrv/ tests --------------------------------------------------------

# --- server tests (owner: server-tests) --------------------------------------
check_PROGRAMS += tests/unit/test-codec
TESTS += tests/unit/test-codec
tests_unit_test_codec_SOURCES = tests/unit/test-codec.c
tests_unit_test_codec_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_codec_LDADD = $(P9PROTO_LIBS)

SERVER_HARNESS_SOURCES = tests/unit/server-harness.h tests/unit/server-harness.c
check_PROGRAMS += tests/unit/test-server
TESTS += tests/unit/test-server
tests_unit_test_server_SOURCES = tests/unit/test-server.c $(SERVER_HARNESS_SOURCES)
tests_unit_test_server_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_server_LDADD = $(P9SERVER_LIBS)
check_PROGRAMS += tests/unit/test-server-dotl
TESTS += tests/unit/test-server-dotl
tests_unit_test_server_dotl_SOURCES = tests/unit/test-server-dotl.c $(SERVER_HARNESS_SOURCES)
tests_unit_test_server_dotl_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_server_dotl_LDADD = $(P9SERVER_LIBS)
check_PROGRAMS += tests/unit/test-server-dotu
TESTS += tests/unit/test-server-dotu
tests_unit_test_server_dotu_SOURCES = tests/unit/test-server-dotu.c $(SERVER_HARNESS_SOURCES)
tests_unit_test_server_dotu_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_server_dotu_LDADD = $(P9SERVER_LIBS)
check_PROGRAMS += tests/unit/test-server-limits
TESTS += tests/unit/test-server-limits
tests_unit_test_server_limits_SOURCES = tests/unit/test-server-limits.c $(SERVER_HARNESS_SOURCES)
tests_unit_test_server_limits_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_server_limits_LDADD = $(P9SERVER_LIBS)
check_PROGRAMS += tests/unit/test-server-guest
TESTS += tests/unit/test-server-guest
tests_unit_test_server_guest_SOURCES = tests/unit/test-server-guest.c $(SERVER_HARNESS_SOURCES)
tests_unit_test_server_guest_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_server_guest_LDADD = $(P9SERVER_LIBS)
check_PROGRAMS += tests/unit/test-server-flush
TESTS += tests/unit/test-server-flush
tests_unit_test_server_flush_SOURCES = tests/unit/test-server-flush.c $(SERVER_HARNESS_SOURCES)
tests_unit_test_server_flush_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_server_flush_LDADD = $(P9SERVER_LIBS)
check_PROGRAMS += tests/unit/test-server-handover
TESTS += tests/unit/test-server-handover
tests_unit_test_server_handover_SOURCES = tests/unit/test-server-handover.c $(SERVER_HARNESS_SOURCES)
tests_unit_test_server_handover_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_server_handover_LDADD = $(P9SERVER_LIBS)
# The same programs under valgrind.
TESTS += tests/unit/test-server-valgrind.sh
EXTRA_DIST += tests/unit/test-server-valgrind.sh
# --- end server tests --------------------------------------------------------

# --- the worker's sandbox, from inside ----------------------------------------
check_PROGRAMS += tests/unit/test-sandbox
TESTS += tests/unit/test-sandbox
tests_unit_test_sandbox_SOURCES = tests/unit/test-sandbox.c
tests_unit_test_sandbox_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_unit_test_sandbox_LDADD = $(SANDBOX_LIBS) $(GLIB_LIBS)
