# SPDX-License-Identifier: GPL-2.0-or-later
# backend/proto/: the 9P protocol alone: message layouts, the one table-driven
# codec, a client.  The server, the fuzzers and the frontend side build on it;
# it builds without them.
noinst_LIBRARIES += backend/proto/libp9proto.a
backend_proto_libp9proto_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
backend_proto_libp9proto_a_SOURCES = \
	backend/proto/p9_proto.h \
	backend/proto/p9_codec.h backend/proto/p9_codec.c \
	backend/proto/p9_table.h backend/proto/p9_table.c \
	backend/proto/p9_client.h backend/proto/p9_client.c

P9PROTO_LIBS = backend/proto/libp9proto.a $(GLIB_LIBS)
