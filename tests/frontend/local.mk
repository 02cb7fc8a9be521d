# SPDX-License-Identifier: GPL-2.0-or-later
# A guest in a process (tools/p9front.h) for demos and scripts.
noinst_PROGRAMS += tests/frontend/frontsim
tests_frontend_frontsim_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(XENSTORE_CFLAGS)
tests_frontend_frontsim_SOURCES = tests/frontend/frontsim.c
tests_frontend_frontsim_LDADD = $(P9FRONT_LIBS)
