/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A walk over everything beneath the root (quota counting, auto-delete). */
#ifndef XEN9P_FSDRV_SCAN_H
#define XEN9P_FSDRV_SCAN_H

#include <stdbool.h>
#include <sys/stat.h>

struct fsdrv_export;

/*
 * `dir` is the entry's directory relative to the root ("" = the root).
 * Returning false ends the walk.
 */
typedef bool (*fsdrv_scan_fn)(const char *dir, const char *name,
                              const struct stat *st, void *opaque);

/*
 * Calls fn for every entry beneath the root (lstat, never following a
 * symlink), breadth first, skipping names the model hides.  Entries that
 * vanish meanwhile are skipped.  0, -ECANCELED when fn ended it, or -errno
 * (only for the root itself).
 */
int fsdrv_scan(struct fsdrv_export *exp, fsdrv_scan_fn fn, void *opaque);

#endif
