# SPDX-License-Identifier: GPL-2.0-or-later
# backend/supervisor/: xen9pd's root process: xenstore and each device's state,
# the control socket, the socket listener, starting and reaping workers.
noinst_LIBRARIES += backend/supervisor/libsupervisor.a
backend_supervisor_libsupervisor_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS)
backend_supervisor_libsupervisor_a_SOURCES = \
	backend/supervisor/daemon.h backend/supervisor/daemon.c \
	backend/supervisor/fdlimit.h backend/supervisor/fdlimit.c \
	backend/supervisor/control.h backend/supervisor/control.c \
	backend/supervisor/socket_server.h backend/supervisor/socket_server.c \
	backend/supervisor/xen_backend.h backend/supervisor/xen_backend.c \
	backend/supervisor/xen_device.h backend/supervisor/xen_device.c \
	backend/supervisor/worker_proc.h backend/supervisor/worker_proc.c \
	backend/supervisor/settings.h backend/supervisor/settings.c
