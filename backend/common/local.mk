# SPDX-License-Identifier: GPL-2.0-or-later
# backend/common/: what the supervisor, the workers and the server share: the
# log, an eventfd wake-up, the supervisor-worker link, export settings; and the
# xenstore conveniences of the supervisor, the CLI and the frontend library.
noinst_LIBRARIES += backend/common/libcommon.a
backend_common_libcommon_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
backend_common_libcommon_a_SOURCES = \
	backend/common/control_socket.h \
	backend/common/log.h backend/common/log.c \
	backend/common/wakeup.h backend/common/wakeup.c \
	backend/common/worker_link.h backend/common/worker_link.c \
	backend/common/export_config.h backend/common/export_config.c

noinst_LIBRARIES += backend/common/libxenstore-util.a
backend_common_libxenstore_util_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS)
backend_common_libxenstore_util_a_SOURCES = \
	backend/common/xen_store.h backend/common/xen_store.c
XENSTORE_UTIL_LIBS = backend/common/libxenstore-util.a $(XENSTORE_LIBS)
