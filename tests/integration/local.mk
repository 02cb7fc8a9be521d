# SPDX-License-Identifier: GPL-2.0-or-later
# tests/integration/: real 9P clients against xen9pd's socket listener.

# A minimal 9P2000.L client for the unix listener (diod's tools speak TCP only).
check_PROGRAMS += tests/integration/p9probe
tests_integration_p9probe_SOURCES = tests/integration/p9probe.c
tests_integration_p9probe_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_integration_p9probe_LDADD = $(P9PROTO_LIBS)

# systemd's service manager as far as xen9pd's descriptor store needs it, for
# tests that restart or kill the daemon (not a test itself).
check_PROGRAMS += tests/integration/svc-standin
tests_integration_svc_standin_SOURCES = tests/integration/svc-standin.c
tests_integration_svc_standin_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_integration_svc_standin_LDADD = $(GLIB_LIBS)

TESTS += tests/integration/test-diod.sh tests/integration/test-fd-limit.sh \
	tests/integration/test-workers.sh tests/integration/test-bench-vs.sh \
	tests/integration/test-upgrade.sh
EXTRA_DIST += tests/integration/test-diod.sh tests/integration/test-fd-limit.sh \
	tests/integration/test-workers.sh tests/integration/test-bench-vs.sh \
	tests/integration/test-upgrade.sh
# test-bench-vs.sh runs the benchmark script itself
EXTRA_DIST += scripts/bench-vs scripts/bench-lib.sh

# xen9pd as systemd runs it: the unit file, Type=notify.
check_PROGRAMS += tests/integration/test-service
TESTS += tests/integration/test-service
tests_integration_test_service_SOURCES = tests/integration/test-service.c
tests_integration_test_service_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tests_integration_test_service_LDADD = $(GLIB_LIBS)
