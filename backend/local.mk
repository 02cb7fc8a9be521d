# SPDX-License-Identifier: GPL-2.0-or-later
# backend/: the 9P server (transport-agnostic) and the daemon around it.

# The server: codec, message table, sessions, fids, Tflush, workers, handlers.
noinst_LIBRARIES += backend/libp9server.a
backend_libp9server_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
backend_libp9server_a_SOURCES = \
	backend/p9_proto.h \
	backend/p9_codec.h backend/p9_codec.c \
	backend/p9_table.h backend/p9_table.c \
	backend/p9_client.h backend/p9_client.c \
	backend/server.h backend/session.h backend/session.c \
	backend/workers.c \
	backend/fid.c \
	backend/ops.h backend/ops_util.h backend/ops_util.c \
	backend/ops_common.c \
	backend/ops_dotl.c \
	backend/ops_dir.h backend/ops_dir.c \
	backend/ops_dotu.c \
	backend/ops_xattr.h backend/ops_xattr.c \
	backend/trace.h backend/trace.c \
	backend/log.h backend/log.c \
	backend/export_config.h backend/export_config.c

P9SERVER_LIBS = backend/libp9server.a fsdrv/libfsdrv.a $(GLIB_LIBS)

# xenstore conveniences shared by the daemon, the CLI and the frontend library.
noinst_LIBRARIES += backend/libxenstore-util.a
backend_libxenstore_util_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS)
backend_libxenstore_util_a_SOURCES = backend/xen_store.h backend/xen_store.c

sbin_PROGRAMS += xen9pd
xen9pd_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS) $(XENGNTTAB_CFLAGS) \
	$(XENEVTCHN_CFLAGS) $(XENTOOLCORE_CFLAGS) $(SECCOMP_CFLAGS)
xen9pd_SOURCES = \
	backend/xen9pd.c \
	backend/daemon.h backend/daemon.c \
	backend/fdlimit.h backend/fdlimit.c \
	backend/control.h backend/control.c \
	backend/socket_server.h backend/socket_server.c \
	backend/xen_backend.h backend/xen_backend.c \
	backend/xen_device.h backend/xen_device.c \
	backend/worker_link.h backend/worker_link.c \
	backend/worker_proc.h backend/worker_proc.c \
	backend/worker_main.h backend/worker_main.c \
	backend/worker_xen.c \
	backend/worker_socket.c \
	backend/sandbox.h backend/sandbox.c \
	backend/socket_conn.h backend/socket_conn.c \
	backend/wakeup.h backend/wakeup.c \
	backend/xen_ring.h backend/xen_ring.c
xen9pd_LDADD = $(P9SERVER_LIBS) ring/libring.a backend/libxenstore-util.a \
	$(XENSTORE_LIBS) $(XENGNTTAB_LIBS) $(XENEVTCHN_LIBS) $(XENTOOLCORE_LIBS) $(SECCOMP_LIBS) \
	$(GLIB_LIBS)

# The systemd unit, with the installed path of the daemon.
systemdunit_DATA = backend/xen9pd.service
backend/xen9pd.service: $(srcdir)/backend/xen9pd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) backend && sed -e 's|@sbindir@|$(sbindir)|g' $< > $@
CLEANFILES += backend/xen9pd.service
EXTRA_DIST += backend/xen9pd.service.in

dist_man_MANS += docs/man/xen9pd.8 docs/man/xen9p.8 docs/man/xen9p-bench.1

# libxl starts "xen-9pfsd" for type=xen_9pfsd unless a backend already claims the
# devices; to make libxl start xen9pd itself: make install-libxl-alias
# LIBXL_BINDIR=/usr/lib/xen-4.20/bin (Debian's path for Xen 4.20).
install-libxl-alias:
	@test -n "$(LIBXL_BINDIR)" || { echo "set LIBXL_BINDIR (e.g. /usr/lib/xen-4.20/bin)" >&2; exit 1; }
	$(MKDIR_P) $(DESTDIR)$(LIBXL_BINDIR)
	ln -sf $(sbindir)/xen9pd $(DESTDIR)$(LIBXL_BINDIR)/xen-9pfsd
.PHONY: install-libxl-alias
