# SPDX-License-Identifier: GPL-2.0-or-later
# backend/: the daemon, one layer per directory (docs/design.md "Layers"):
#   proto/      the 9P protocol: codec, message table, client
#   server/     the 9P server: sessions, fids, Tflush, operations (over fsdrv/)
#   xen/        the Xen device glue of a worker: grant maps, event channels, ring threads
#   worker/     a device's or connection's process and its sandbox
#   supervisor/ xenstore, device states, control socket, the workers
#   common/     the log, the supervisor-worker link, settings, xenstore helpers
include backend/proto/local.mk
include backend/common/local.mk
include backend/server/local.mk
include backend/xen/local.mk
include backend/worker/local.mk
include backend/supervisor/local.mk

# One binary: the supervisor, or with --worker (started by the supervisor) a worker.
sbin_PROGRAMS += xen9pd
xen9pd_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS)
xen9pd_SOURCES = backend/xen9pd.c
xen9pd_LDADD = backend/supervisor/libsupervisor.a backend/worker/libworker.a \
	backend/xen/libxenring.a $(P9SERVER_LIBS) ring/libring.a $(XENSTORE_UTIL_LIBS) \
	$(XENGNTTAB_LIBS) $(XENEVTCHN_LIBS) $(XENTOOLCORE_LIBS) $(SECCOMP_LIBS) $(GLIB_LIBS)

# The systemd unit, with the installed path of the daemon (a placeholder of
# our own: configure would rewrite an @...@ one in this rule too).
systemdunit_DATA = backend/xen9pd.service
backend/xen9pd.service: $(srcdir)/backend/xen9pd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) backend && sed -e 's|%SBINDIR%|$(sbindir)|g' $< > $@
CLEANFILES += backend/xen9pd.service
EXTRA_DIST += backend/xen9pd.service.in

# The configuration file, every setting shown at its default (a conffile in
# the Debian package); `xen9p reload` reads it again.
xen9pconfdir = $(sysconfdir)/xen9p
dist_xen9pconf_DATA = backend/xen9pd.conf

dist_man_MANS += docs/man/xen9pd.8 docs/man/xen9p.8 docs/man/xen9p-bench.1

# libxl starts "xen-9pfsd" for type=xen_9pfsd unless a backend already claims the
# devices; to make libxl start xen9pd itself: make install-libxl-alias
# LIBXL_BINDIR=/usr/lib/xen-4.20/bin (Debian's path for Xen 4.20).
install-libxl-alias:
	@test -n "$(LIBXL_BINDIR)" || { echo "set LIBXL_BINDIR (e.g. /usr/lib/xen-4.20/bin)" >&2; exit 1; }
	$(MKDIR_P) $(DESTDIR)$(LIBXL_BINDIR)
	ln -sf $(sbindir)/xen9pd $(DESTDIR)$(LIBXL_BINDIR)/xen-9pfsd
.PHONY: install-libxl-alias
