# SPDX-License-Identifier: GPL-2.0-or-later
# fsdrv: file operations beneath an export root (see fsdrv/fsdrv.h).
noinst_LIBRARIES += fsdrv/libfsdrv.a
fsdrv_libfsdrv_a_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS)
fsdrv_libfsdrv_a_SOURCES = \
	fsdrv/fsdrv.h \
	fsdrv/internal.h \
	fsdrv/retry.h \
	fsdrv/cancel.c \
	fsdrv/resolve.h \
	fsdrv/resolve.c \
	fsdrv/node.c \
	fsdrv/handover.c \
	fsdrv/store.c \
	fsdrv/local.c \
	fsdrv/export.c \
	fsdrv/fileid.h \
	fsdrv/fileid.c \
	fsdrv/model.h \
	fsdrv/model-passthrough.c \
	fsdrv/model-none.c \
	fsdrv/model-mapped.c \
	fsdrv/model-mapped-xattr.c \
	fsdrv/model-mapped-file.c \
	fsdrv/quota.h \
	fsdrv/quota.c \
	fsdrv/victims.h \
	fsdrv/victims.c \
	fsdrv/scan.h \
	fsdrv/scan.c \
	fsdrv/ops_attr.c \
	fsdrv/ops_open.c \
	fsdrv/ops_io.c \
	fsdrv/ops_dir.c \
	fsdrv/ops_namespace.c \
	fsdrv/ops_xattr.c
