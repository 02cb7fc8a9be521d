/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Quotas of one export (the xen-9pfsd keys): open files, files, space,
 * auto-delete.  Every function is a no-op returning 0 when its quota is
 * not configured, so the ops call them unconditionally.
 */
#ifndef XEN9P_FSDRV_QUOTA_H
#define XEN9P_FSDRV_QUOTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct fsdrv_export;
struct fsdrv_file;
struct fsdrv_node;

/* Starts counting what exists beneath the root (a thread of its own) when
 * max_files or max_space is set. */
void fsdrv_quota_init(struct fsdrv_export *exp);
/* Stops the count if it still runs. */
void fsdrv_quota_fini(struct fsdrv_export *exp);
/* True when files or space are tracked. */
bool fsdrv_quota_tracking(const struct fsdrv_export *exp);
bool fsdrv_quota_tracks_space(const struct fsdrv_export *exp);
/* Before a change the count would see: waits until the first count is done. */
void fsdrv_quota_wait_count(struct fsdrv_export *exp);

/* One more struct fsdrv_file: -EMFILE beyond max_open_files. */
int fsdrv_quota_open_slot(struct fsdrv_export *exp);
void fsdrv_quota_close_slot(struct fsdrv_export *exp);

/* A regular file is opened / closed (its last close frees an unlinked one's space). */
void fsdrv_quota_file_opened(struct fsdrv_file *file);
void fsdrv_quota_file_closed(struct fsdrv_file *file);

/* One more name of any kind: -EDQUOT when full (after auto-delete). */
int fsdrv_quota_reserve_file(struct fsdrv_export *exp);
/* Undoes a reservation whose creation failed. */
void fsdrv_quota_release_file(struct fsdrv_export *exp);
/* `name` in `dir` (open as `dirfd`) was made, or renamed to: auto-delete's index. */
void fsdrv_quota_named(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                       const char *name, int dirfd);
void fsdrv_quota_renamed(struct fsdrv_export *exp, const struct fsdrv_node *olddir,
                         const char *oldname, const struct fsdrv_node *newdir,
                         const char *newname, int newdirfd);

/*
 * A name about to go (unlink, rmdir, a rename's target): before, pins the
 * object (fd -1 when not tracked or not there); after, counts it out if
 * `gone`.  An unlinked regular file's space stays counted while we hold it
 * open: its last close frees it.
 */
struct fsdrv_quota_victim {
    int fd;                     /* O_PATH of the object */
    struct stat st;             /* as it was */
};
void fsdrv_quota_before_remove(struct fsdrv_export *exp, int dirfd, const char *name,
                               struct fsdrv_quota_victim *v);
/* `name` was in `dir`. */
void fsdrv_quota_after_remove(struct fsdrv_export *exp, struct fsdrv_quota_victim *v,
                              bool gone, const struct fsdrv_node *dir, const char *name);

/*
 * `bytes` more space: -EDQUOT when it does not fit (after auto-delete).
 * The caller then changes the file and settles: fsdrv_quota_settle counts
 * the real change of `fd` since `before`, less what was reserved.
 */
int fsdrv_quota_reserve_space(struct fsdrv_export *exp, uint64_t bytes);
/* Undoes a reservation whose change failed. */
void fsdrv_quota_release_space(struct fsdrv_export *exp, uint64_t bytes);
uint64_t fsdrv_quota_space_avail(struct fsdrv_export *exp);
void fsdrv_quota_settle(struct fsdrv_export *exp, int fd, const struct stat *before,
                        uint64_t reserved);

/* Worst-case allocation of writing `count` bytes at `offset` into `st`. */
uint64_t fsdrv_quota_write_growth(const struct stat *st, off_t offset, size_t count);
/* Worst-case allocation of truncating `st` to `size`. */
uint64_t fsdrv_quota_truncate_growth(const struct stat *st, off_t size);

void fsdrv_quota_usage(struct fsdrv_export *exp, uint64_t *files, uint64_t *space,
                       bool *counting);

#endif
