# SPDX-License-Identifier: GPL-2.0-or-later
# tools/: command-line programs built on the layers below.

sbin_PROGRAMS += xen9p
xen9p_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS)
xen9p_SOURCES = tools/xen9p.c
xen9p_LDADD = $(XENSTORE_UTIL_LIBS) backend/common/libcommon.a $(GLIB_LIBS)

# A user-space 9pfs frontend (Linux trans_xen.c behaviour), for the benchmark and tests.
noinst_LIBRARIES += tools/libp9front.a
tools_libp9front_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS) \
	$(XENGNTTAB_CFLAGS) $(XENEVTCHN_CFLAGS)
tools_libp9front_a_SOURCES = tools/p9front.h tools/p9front.c
# The client side links the protocol only, not the server.
P9FRONT_LIBS = tools/libp9front.a backend/proto/libp9proto.a ring/libring.a \
	backend/common/libxenstore-util.a \
	$(XENSTORE_LIBS) $(XENGNTTAB_LIBS) $(XENEVTCHN_LIBS) $(GLIB_LIBS)

bin_PROGRAMS += xen9p-bench
xen9p_bench_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS) $(XENGNTTAB_CFLAGS) $(XENEVTCHN_CFLAGS)
xen9p_bench_SOURCES = tools/xen9p-bench.c tools/p9sock.h tools/p9sock.c
xen9p_bench_LDADD = $(P9FRONT_LIBS)

# The ceiling scripts/bench-vs measures 9P servers against: one syscall per request.
noinst_PROGRAMS += tools/p9ceiling
tools_p9ceiling_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
tools_p9ceiling_SOURCES = tools/p9ceiling.c tools/p9sock.h tools/p9sock.c
tools_p9ceiling_LDADD = $(P9PROTO_LIBS)
