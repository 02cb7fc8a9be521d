// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads, writes, fsync and locks on open files: the hot path.  No
 * allocation and no lock shared between files; with a space quota a
 * write also takes its own file's lock and two fstat calls.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/quota.h"

/* The longest prefix of the write whose worst-case growth fits in `avail`. */
static size_t largest_fit(const struct stat *st, off_t offset, size_t count, uint64_t avail)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (fsdrv_quota_write_growth(st, offset, mid) <= avail)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/*
 * A write under a space quota: reserve the worst-case growth (shortening
 * the write to what fits), write, then settle with the real st_blocks.
 */
static ssize_t pwrite_counted(struct fsdrv_file *file, const void *buf, size_t count,
                              off_t offset, struct fsdrv_cancel *cancel)
{
    struct fsdrv_export *exp = file->exp;
    ssize_t ret;

    g_mutex_lock(&file->lock);
    struct stat before;
    if (FSDRV_NOINTR(fstat(file->fd, &before)) < 0) {
        ret = -errno;
        goto out;
    }
    if (before.st_nlink == 0) {
        /* Unlinked: no longer beneath the root, no longer counted. */
        ret = FSDRV_RETRY(cancel, pwrite(file->fd, buf, count, offset));
        ret = ret < 0 ? -errno : ret;
        goto out;
    }
    off_t at = file->flags & O_APPEND ? before.st_size : offset;
    uint64_t reserved = fsdrv_quota_write_growth(&before, at, count);
    if (fsdrv_quota_reserve_space(exp, reserved) < 0) {
        count = largest_fit(&before, at, count, fsdrv_quota_space_avail(exp));
        reserved = fsdrv_quota_write_growth(&before, at, count);
        if (count == 0 || fsdrv_quota_reserve_space(exp, reserved) < 0) {
            ret = -EDQUOT;
            goto out;
        }
    }
    ret = FSDRV_RETRY(cancel, pwrite(file->fd, buf, count, offset));
    if (ret < 0)
        ret = -errno;
    struct stat after;
    int64_t grown = FSDRV_NOINTR(fstat(file->fd, &after)) == 0
        ? ((int64_t)after.st_blocks - before.st_blocks) * 512 : (int64_t)reserved;
    fsdrv_quota_space_changed(exp, grown - (int64_t)reserved);
out:
    g_mutex_unlock(&file->lock);
    return ret;
}

ssize_t fsdrv_pread(struct fsdrv_file *file, void *buf, size_t count, off_t offset,
                    struct fsdrv_cancel *cancel)
{
    if (offset < 0)
        return -EINVAL;
    if (count > SSIZE_MAX)
        count = SSIZE_MAX;
    if (fsdrv_cancelled(cancel))
        return -EINTR;
    /* A FIFO has no offsets: pread would fail with ESPIPE. */
    ssize_t n = S_ISFIFO(file->type) ? FSDRV_RETRY(cancel, read(file->fd, buf, count))
                                     : FSDRV_RETRY(cancel, pread(file->fd, buf, count, offset));
    return n < 0 ? -errno : n;
}

ssize_t fsdrv_pwrite(struct fsdrv_file *file, const void *buf, size_t count,
                     off_t offset, struct fsdrv_cancel *cancel)
{
    if (file->exp->cfg.readonly)
        return -EROFS;
    if (offset < 0)
        return -EINVAL;
    if (count > SSIZE_MAX)
        count = SSIZE_MAX;
    if (fsdrv_cancelled(cancel))
        return -EINTR;
    if (S_ISFIFO(file->type)) {
        ssize_t n = FSDRV_RETRY(cancel, write(file->fd, buf, count));
        return n < 0 ? -errno : n;
    }
    if (count && S_ISREG(file->type) && fsdrv_quota_tracks_space(file->exp))
        return pwrite_counted(file, buf, count, offset, cancel);
    ssize_t n = FSDRV_RETRY(cancel, pwrite(file->fd, buf, count, offset));
    return n < 0 ? -errno : n;
}

int fsdrv_fsync(struct fsdrv_file *file, bool datasync)
{
    int r = datasync ? FSDRV_NOINTR(fdatasync(file->fd)) : FSDRV_NOINTR(fsync(file->fd));
    return r < 0 ? -errno : 0;
}

int fsdrv_lock(struct fsdrv_file *file, int cmd, struct flock *fl)
{
    int ofd_cmd;
    if (cmd == F_SETLK)
        ofd_cmd = F_OFD_SETLK;
    else if (cmd == F_GETLK)
        ofd_cmd = F_OFD_GETLK;
    else
        return -EINVAL;
    if (!fl)
        return -EINVAL;
    fl->l_pid = 0;              /* required for open file description locks */
    if (FSDRV_NOINTR(fcntl(file->fd, ofd_cmd, fl)) < 0)
        return errno == EACCES ? -EAGAIN : -errno;
    return 0;
}
