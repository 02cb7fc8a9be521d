/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Auto-delete's index: the export's regular files, oldest (mtime) first, so
 * making room never walks the export on a guest's request.  Filled by the
 * count when the export opens (quota.c), kept by our own operations; what
 * changes behind our back (an mtime, a file the host removed) is found when
 * the entry comes up.  Its memory is bounded: when full, the youngest
 * entries are left out, and no file younger than one left out is taken in,
 * so the index stays the oldest files; once as many have left it as it held,
 * a scan fills it again.  Thread-safe.
 */
#ifndef XEN9P_FSDRV_VICTIMS_H
#define XEN9P_FSDRV_VICTIMS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

struct fsdrv_victims;

struct fsdrv_victim {
    char *path;                 /* relative to the root; g_free */
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
};

struct fsdrv_victims *fsdrv_victims_new(size_t max_bytes);
void fsdrv_victims_free(struct fsdrv_victims *v);

/* The regular file at `path` is as `st` shows (a new entry or a newer mtime). */
void fsdrv_victims_add(struct fsdrv_victims *v, const char *path, const struct stat *st);
/* `path` is gone. */
void fsdrv_victims_remove(struct fsdrv_victims *v, const char *path);
/* `from` is now `to`; a directory takes what lies beneath it along. */
void fsdrv_victims_move(struct fsdrv_victims *v, const char *from, const char *to, bool dir);

/* Takes the oldest entry out: false when there is none. */
bool fsdrv_victims_take(struct fsdrv_victims *v, struct fsdrv_victim *out);
/* An entry taken goes back in (its file is open): takes out->path. */
void fsdrv_victims_put_back(struct fsdrv_victims *v, struct fsdrv_victim *taken);
/* The entry taken is gone for good (deleted, or no longer that file). */
void fsdrv_victims_gone(struct fsdrv_victims *v);

/* Whether files were left out and the index has emptied since it was filled. */
bool fsdrv_victims_refill_due(struct fsdrv_victims *v);
/* A fill: empty the index, add() what a scan finds, then fsdrv_victims_filled(). */
void fsdrv_victims_clear(struct fsdrv_victims *v);
void fsdrv_victims_filled(struct fsdrv_victims *v);

#endif
