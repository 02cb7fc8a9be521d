# SPDX-License-Identifier: GPL-2.0-or-later
# backend/worker/: one device's or one connection's process: its assignment,
# its confinement (the sandbox), the Xen device or socket it serves.
noinst_LIBRARIES += backend/worker/libworker.a
backend_worker_libworker_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENGNTTAB_CFLAGS) \
	$(XENEVTCHN_CFLAGS) $(XENTOOLCORE_CFLAGS) $(SECCOMP_CFLAGS)
backend_worker_libworker_a_SOURCES = \
	backend/worker/worker_main.h backend/worker/worker_main.c \
	backend/worker/handover.h backend/worker/handover.c \
	backend/worker/worker_xen.c \
	backend/worker/worker_socket.c \
	backend/worker/socket_conn.h backend/worker/socket_conn.c \
	backend/worker/sandbox.h backend/worker/sandbox.c
SANDBOX_LIBS = backend/worker/libworker.a $(XENTOOLCORE_LIBS) $(SECCOMP_LIBS)
