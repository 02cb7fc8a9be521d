# SPDX-License-Identifier: GPL-2.0-or-later
# tests/xenbackend/: the production xen9pd in Xen mode, driven through the
# emulated Xen (tests/xenemu) by scripted guests built on tools/p9front.
# Every test case starts its own emulator, xen9pd and export directories.

XB_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS) $(XENGNTTAB_CFLAGS) \
	$(XENEVTCHN_CFLAGS)
XB_CPPFLAGS = $(AM_CPPFLAGS) -DXB_BUILDDIR='"$(abs_top_builddir)"'

# The test harness: dom0's side (xb-env.h: the world, the CLI, xenstore and
# a toolstack, what xen9pd holds, guests seen from dom0), the scripted guest
# (xb-agent.h) and the guest's file operations (xb-9p.h).
noinst_LIBRARIES += tests/xenbackend/libxbtest.a
tests_xenbackend_libxbtest_a_SOURCES = \
	tests/xenbackend/xb-env.h tests/xenbackend/xb-env-private.h \
	tests/xenbackend/xb-env.c tests/xenbackend/xb-cli.c tests/xenbackend/xb-store.c \
	tests/xenbackend/xb-inspect.c tests/xenbackend/xb-guest.c \
	tests/xenbackend/xb-agent.h tests/xenbackend/xb-agent-private.h \
	tests/xenbackend/xb-agent.c tests/xenbackend/xb-agent-ring.c \
	tests/xenbackend/xb-9p.h tests/xenbackend/xb-9p.c
tests_xenbackend_libxbtest_a_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_libxbtest_a_CPPFLAGS = $(XB_CPPFLAGS)

XB_LIBS = tests/xenbackend/libxbtest.a $(P9FRONT_LIBS) $(XENEMU_LIBS) \
	$(XENGNTTAB_LIBS) $(XENEVTCHN_LIBS)

XB_TESTS = \
	tests/xenbackend/test-xb-lifecycle \
	tests/xenbackend/test-xb-data \
	tests/xenbackend/test-xb-flush \
	tests/xenbackend/test-xb-quota \
	tests/xenbackend/test-xb-domains \
	tests/xenbackend/test-xb-hostile \
	tests/xenbackend/test-xb-limits \
	tests/xenbackend/test-xb-workers \
	tests/xenbackend/test-xb-upgrade \
	tests/xenbackend/test-xb-reload \
	tests/xenbackend/test-xb-journal
check_PROGRAMS += $(XB_TESTS)
TESTS += $(XB_TESTS) tests/xenbackend/test-xb-demo.sh
EXTRA_DIST += tests/xenbackend/test-xb-demo.sh tests/xenbackend/README.md

tests_xenbackend_test_xb_lifecycle_SOURCES = tests/xenbackend/test-xb-lifecycle.c
tests_xenbackend_test_xb_lifecycle_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_lifecycle_LDADD = $(XB_LIBS)
tests_xenbackend_test_xb_data_SOURCES = tests/xenbackend/test-xb-data.c
tests_xenbackend_test_xb_data_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_data_LDADD = $(XB_LIBS)
tests_xenbackend_test_xb_flush_SOURCES = tests/xenbackend/test-xb-flush.c
tests_xenbackend_test_xb_flush_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_flush_LDADD = $(XB_LIBS)
tests_xenbackend_test_xb_quota_SOURCES = tests/xenbackend/test-xb-quota.c
tests_xenbackend_test_xb_quota_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_quota_LDADD = $(XB_LIBS)
tests_xenbackend_test_xb_domains_SOURCES = tests/xenbackend/test-xb-domains.c
tests_xenbackend_test_xb_domains_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_domains_LDADD = $(XB_LIBS)
tests_xenbackend_test_xb_limits_SOURCES = tests/xenbackend/test-xb-limits.c
tests_xenbackend_test_xb_limits_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_limits_LDADD = $(XB_LIBS)
tests_xenbackend_test_xb_hostile_SOURCES = tests/xenbackend/test-xb-hostile.c
tests_xenbackend_test_xb_hostile_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_hostile_LDADD = $(XB_LIBS)
tests_xenbackend_test_xb_reload_SOURCES = tests/xenbackend/test-xb-reload.c
tests_xenbackend_test_xb_reload_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_reload_LDADD = $(XB_LIBS)
tests_xenbackend_test_xb_journal_SOURCES = tests/xenbackend/test-xb-journal.c
tests_xenbackend_test_xb_journal_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_journal_LDADD = $(XB_LIBS)
# The capabilities a worker must have come from the sandbox's own table.
tests_xenbackend_test_xb_workers_SOURCES = tests/xenbackend/test-xb-workers.c
tests_xenbackend_test_xb_workers_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_workers_LDADD = $(SANDBOX_LIBS) $(XB_LIBS)

# They run the daemon, the CLI and the emulator's programs and libraries.
$(XB_TESTS): xen9pd xen9p tests/xenemu/xenemu-xenstored \
	tests/xenemu/lib/libxengnttab.so.1 tests/xenemu/lib/libxenevtchn.so.1

tests_xenbackend_test_xb_upgrade_CFLAGS = $(XB_CFLAGS)
tests_xenbackend_test_xb_upgrade_LDADD = $(XB_LIBS)
