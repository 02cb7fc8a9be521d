# SPDX-License-Identifier: GPL-2.0-or-later
# backend/server/: the 9P server, transport-agnostic: sessions, fids, tags,
# Tflush, its threads, the operations (on fsdrv/), the trace.
noinst_LIBRARIES += backend/server/libp9server.a
backend_server_libp9server_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
backend_server_libp9server_a_SOURCES = \
	backend/server/server.h backend/server/session.h backend/server/session.c \
	backend/server/workers.c \
	backend/server/dispatch.c \
	backend/server/fid.c \
	backend/server/handover.c \
	backend/server/ops.h backend/server/ops_util.h backend/server/ops_util.c \
	backend/server/ops_common.c \
	backend/server/ops_dotl.c \
	backend/server/ops_dir.h backend/server/ops_dir.c \
	backend/server/ops_dotu.c \
	backend/server/ops_xattr.h backend/server/ops_xattr.c \
	backend/server/trace.h backend/server/trace.c

P9SERVER_LIBS = backend/server/libp9server.a backend/proto/libp9proto.a \
	backend/common/libcommon.a fsdrv/libfsdrv.a $(GLIB_LIBS)
