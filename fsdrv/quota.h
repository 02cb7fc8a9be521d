/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Quotas of one export (the xen-9pfsd keys): open files, files, space,
 * auto-delete.  Every function is a no-op returning 0 when its quota is
 * not configured, so the ops call them unconditionally.
 */
#ifndef XEN9P_FSDRV_QUOTA_H
#define XEN9P_FSDRV_QUOTA_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct fsdrv_export;

/* Counts what exists beneath the root when max_files or max_space is set. */
int fsdrv_quota_init(struct fsdrv_export *exp);
void fsdrv_quota_fini(struct fsdrv_export *exp);
/* True when files or space are tracked (the ops then stat before removing). */
bool fsdrv_quota_tracking(const struct fsdrv_export *exp);
bool fsdrv_quota_tracks_space(const struct fsdrv_export *exp);

/* One more struct fsdrv_file: -EMFILE beyond max_open_files. */
int fsdrv_quota_open_slot(struct fsdrv_export *exp);
void fsdrv_quota_close_slot(struct fsdrv_export *exp);

/* A regular file is open / closed: auto-delete spares open files. */
void fsdrv_quota_file_opened(struct fsdrv_export *exp, dev_t dev, ino_t ino);
void fsdrv_quota_file_closed(struct fsdrv_export *exp, dev_t dev, ino_t ino);

/* One more non-directory name: -EDQUOT when full (after auto-delete). */
int fsdrv_quota_reserve_file(struct fsdrv_export *exp);
/* Undoes a reservation whose creation failed. */
void fsdrv_quota_release_file(struct fsdrv_export *exp);

/*
 * `bytes` more space: -EDQUOT when it does not fit (after auto-delete).
 * The writer then reports the real change with fsdrv_quota_space_changed
 * (real delta - reserved bytes).
 */
int fsdrv_quota_reserve_space(struct fsdrv_export *exp, uint64_t bytes);
uint64_t fsdrv_quota_space_avail(struct fsdrv_export *exp);
void fsdrv_quota_space_changed(struct fsdrv_export *exp, int64_t delta);

/* The name whose lstat was `st` is gone (unlinked or replaced by a rename). */
void fsdrv_quota_removed(struct fsdrv_export *exp, const struct stat *st);

/* Worst-case allocation of writing `count` bytes at `offset` into `st`. */
uint64_t fsdrv_quota_write_growth(const struct stat *st, off_t offset, size_t count);

void fsdrv_quota_usage(struct fsdrv_export *exp, uint64_t *files, uint64_t *space);

#endif
