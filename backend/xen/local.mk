# SPDX-License-Identifier: GPL-2.0-or-later
# backend/xen/: the Xen device glue a worker runs: a ring's grant mapping, its
# event channel and its thread between the shared pages and a session.
noinst_LIBRARIES += backend/xen/libxenring.a
backend_xen_libxenring_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENGNTTAB_CFLAGS) \
	$(XENEVTCHN_CFLAGS)
backend_xen_libxenring_a_SOURCES = backend/xen/xen_ring.h backend/xen/xen_ring.c
