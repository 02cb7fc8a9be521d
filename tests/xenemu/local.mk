# SPDX-License-Identifier: GPL-2.0-or-later
# tests/xenemu/: an emulated Xen (xenstored, grant tables, event channels) that
# runs the unmodified xen9pd. See tests/xenemu/README.md.

# Shared-memory state used by xenstored and both stand-in libraries (PIC: it
# is linked into shared objects).
noinst_LIBRARIES += tests/xenemu/libxenemu-shm.a
tests_xenemu_libxenemu_shm_a_SOURCES = \
	tests/xenemu/shm/emu-shm.h \
	tests/xenemu/shm/emu-paths.c \
	tests/xenemu/shm/emu-grant-table.c \
	tests/xenemu/shm/emu-evtchn-table.c
tests_xenemu_libxenemu_shm_a_CFLAGS = $(AM_CFLAGS) -fPIC

# Stand-in libxengnttab.so.1 / libxenevtchn.so.1: same sonames and symbol
# versions as Debian's, picked up with LD_LIBRARY_PATH=tests/xenemu/lib.
XENEMU_SHARED_OBJECT_FLAGS = -shared -Wl,-z,defs -Wl,-z,now
noinst_PROGRAMS += tests/xenemu/lib/libxengnttab.so.1 tests/xenemu/lib/libxenevtchn.so.1
tests_xenemu_lib_libxengnttab_so_1_SOURCES = \
	tests/xenemu/standin/gnttab-handle.h \
	tests/xenemu/standin/gnttab-handle.c \
	tests/xenemu/standin/gnttab-map.c \
	tests/xenemu/standin/gntshr.c \
	tests/xenemu/standin/gnttab-unsupported.c
tests_xenemu_lib_libxengnttab_so_1_CFLAGS = $(AM_CFLAGS) -fPIC $(XENGNTTAB_CFLAGS)
tests_xenemu_lib_libxengnttab_so_1_LDFLAGS = $(XENEMU_SHARED_OBJECT_FLAGS) \
	-Wl,-soname,libxengnttab.so.1 \
	-Wl,--version-script=$(srcdir)/tests/xenemu/standin/libxengnttab.map
tests_xenemu_lib_libxengnttab_so_1_LDADD = tests/xenemu/libxenemu-shm.a
EXTRA_tests_xenemu_lib_libxengnttab_so_1_DEPENDENCIES = \
	tests/xenemu/standin/libxengnttab.map
tests_xenemu_lib_libxenevtchn_so_1_SOURCES = tests/xenemu/standin/evtchn.c
tests_xenemu_lib_libxenevtchn_so_1_CFLAGS = $(AM_CFLAGS) -fPIC $(XENEVTCHN_CFLAGS)
tests_xenemu_lib_libxenevtchn_so_1_LDFLAGS = $(XENEMU_SHARED_OBJECT_FLAGS) \
	-Wl,-soname,libxenevtchn.so.1 \
	-Wl,--version-script=$(srcdir)/tests/xenemu/standin/libxenevtchn.map
tests_xenemu_lib_libxenevtchn_so_1_LDADD = tests/xenemu/libxenemu-shm.a
EXTRA_tests_xenemu_lib_libxenevtchn_so_1_DEPENDENCIES = \
	tests/xenemu/standin/libxenevtchn.map
EXTRA_DIST += tests/xenemu/standin/libxengnttab.map tests/xenemu/standin/libxenevtchn.map

# The emulated xenstored.
noinst_PROGRAMS += tests/xenemu/xenemu-xenstored
tests_xenemu_xenemu_xenstored_SOURCES = \
	tests/xenemu/xenstored/xs-tree.h \
	tests/xenemu/xenstored/xs-tree.c \
	tests/xenemu/xenstored/xs-perms.c \
	tests/xenemu/xenstored/xs-server.h \
	tests/xenemu/xenstored/xs-conn.c \
	tests/xenemu/xenstored/xs-store.c \
	tests/xenemu/xenstored/xs-transaction.c \
	tests/xenemu/xenstored/xs-watch.c \
	tests/xenemu/xenstored/xs-domain.c \
	tests/xenemu/xenstored/xs-ops.c \
	tests/xenemu/xenstored/xs-trace.c \
	tests/xenemu/xenstored/xenstored-main.c
tests_xenemu_xenemu_xenstored_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS)
tests_xenemu_xenemu_xenstored_LDADD = tests/xenemu/libxenemu-shm.a $(GLIB_LIBS)

# Helpers for tests and simulators (tests/xenemu/xenemu.h).
noinst_LIBRARIES += tests/xenemu/libxenemu.a
tests_xenemu_libxenemu_a_SOURCES = \
	tests/xenemu/xenemu.h \
	tests/xenemu/harness/xenemu-standin.c \
	tests/xenemu/harness/xenemu-instance.c \
	tests/xenemu/harness/xenemu-toolstack.c \
	tests/xenemu/harness/xenemu-inspect.c \
	tests/xenemu/harness/xenemu-peer.c
tests_xenemu_libxenemu_a_CPPFLAGS = $(AM_CPPFLAGS) \
	-DXENEMU_BUILDDIR='"$(abs_top_builddir)/tests/xenemu"'
tests_xenemu_libxenemu_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS)
# What a program using libxenemu.a links with.
XENEMU_LIBS = tests/xenemu/libxenemu.a tests/xenemu/libxenemu-shm.a \
	$(XENSTORE_LIBS) $(GLIB_LIBS)

# The control tool.
noinst_PROGRAMS += tests/xenemu/xenemu-ctl
tests_xenemu_xenemu_ctl_SOURCES = tests/xenemu/ctl/xenemu-ctl.c
tests_xenemu_xenemu_ctl_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS)
tests_xenemu_xenemu_ctl_LDADD = $(XENEMU_LIBS)

# Tests. The C tests link Debian's real Xen libraries and re-exec themselves
# with the stand-ins first in LD_LIBRARY_PATH (xenemu_reexec_with_standin_libs).
XENEMU_TEST_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS) \
	$(XENGNTTAB_CFLAGS) $(XENEVTCHN_CFLAGS)
XENEMU_TEST_LIBS = $(XENEMU_LIBS) $(XENGNTTAB_LIBS) $(XENEVTCHN_LIBS)
XENEMU_TESTS = \
	tests/xenemu/test-xenemu-xenstore \
	tests/xenemu/test-xenemu-gnttab \
	tests/xenemu/test-xenemu-evtchn
check_PROGRAMS += $(XENEMU_TESTS)
TESTS += $(XENEMU_TESTS)
tests_xenemu_test_xenemu_xenstore_SOURCES = tests/xenemu/test-xenemu-xenstore.c
tests_xenemu_test_xenemu_xenstore_CFLAGS = $(XENEMU_TEST_CFLAGS)
tests_xenemu_test_xenemu_xenstore_LDADD = $(XENEMU_LIBS)
tests_xenemu_test_xenemu_gnttab_SOURCES = tests/xenemu/test-xenemu-gnttab.c \
	tests/xenemu/test-agent.c tests/xenemu/test-agent.h
tests_xenemu_test_xenemu_gnttab_CFLAGS = $(XENEMU_TEST_CFLAGS)
tests_xenemu_test_xenemu_gnttab_LDADD = $(XENEMU_TEST_LIBS)
tests_xenemu_test_xenemu_evtchn_SOURCES = tests/xenemu/test-xenemu-evtchn.c \
	tests/xenemu/test-agent.c tests/xenemu/test-agent.h
tests_xenemu_test_xenemu_evtchn_CFLAGS = $(XENEMU_TEST_CFLAGS)
tests_xenemu_test_xenemu_evtchn_LDADD = $(XENEMU_TEST_LIBS)
# The tests run the emulator's programs and libraries.
$(XENEMU_TESTS): tests/xenemu/xenemu-xenstored tests/xenemu/xenemu-ctl \
	tests/xenemu/lib/libxengnttab.so.1 tests/xenemu/lib/libxenevtchn.so.1
# xenstore-utils + xenemu-ctl + daemon mode; the stand-ins' sonames, symbol
# versions and bindings (uses test-xenemu-gnttab as the probe binary).
TESTS += tests/xenemu/test-xenemu-tools.sh tests/xenemu/test-xenemu-standin.sh
EXTRA_DIST += tests/xenemu/test-xenemu-tools.sh tests/xenemu/test-xenemu-standin.sh \
	tests/xenemu/README.md
