// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads, writes, fsync, fallocate and locks on open files: the hot path.
 * No allocation and no lock shared between files; with a space quota a
 * write also takes its own file's lock and two fstat calls.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/quota.h"

/*
 * A read or write of a stream: a FIFO, or a file without offsets (pread
 * says ESPIPE: /proc/kmsg, a tracing pipe).  Its descriptor is non-blocking
 * (ops_open.c, become_stream()): a call the guest made blocking waits in
 * fsdrv_wait(), which a flush ends.  A write goes on until all is written,
 * as a blocking one would; what it wrote before a flush or an error is still
 * reported.
 */
static ssize_t stream_io(struct fsdrv_file *file, void *buf, size_t count, bool writing,
                         struct fsdrv_cancel *cancel)
{
    size_t done = 0;
    int stash = writing || !count ? -1 : atomic_exchange(&file->fifo_stash, -1);
    if (stash >= 0) {
        /* The byte the open took first, then what else is there now. */
        *(unsigned char *)buf = (unsigned char)stash;
        ssize_t n = count > 1 ? FSDRV_NOINTR(read(file->fd, (char *)buf + 1, count - 1)) : 0;
        return 1 + (n > 0 ? n : 0);
    }
    for (;;) {
        ssize_t n = writing ? write(file->fd, (char *)buf + done, count - done)
                            : read(file->fd, buf, count);
        if (n >= 0 && (!writing || (done += (size_t)n) == count))
            return writing ? (ssize_t)done : n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno != EAGAIN || file->flags & O_NONBLOCK))
            return done ? (ssize_t)done : -errno;
        int err = fsdrv_wait(cancel, file->fd, writing ? POLLOUT : POLLIN, -1);
        if (err)
            return done ? (ssize_t)done : err;
    }
}

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
 * the write to what fits), write, then settle with the real st_blocks.  An
 * unlinked file counts as any other: its space is ours until we close it.
 */
static ssize_t pwrite_counted(struct fsdrv_file *file, const void *buf, size_t count,
                              off_t offset)
{
    struct fsdrv_export *exp = file->exp;
    ssize_t ret;

    g_mutex_lock(&file->lock);
    struct stat before;
    if (FSDRV_NOINTR(fstat(file->fd, &before)) < 0) {
        ret = -errno;
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
    ret = FSDRV_NOINTR(pwrite(file->fd, buf, count, offset));
    if (ret < 0)
        ret = -errno;
    fsdrv_quota_settle(exp, file->fd, &before, reserved);
out:
    g_mutex_unlock(&file->lock);
    return ret;
}

static bool is_stream(struct fsdrv_file *file)
{
    return S_ISFIFO(file->type) || atomic_load_explicit(&file->stream, memory_order_acquire);
}

/* The file turned out to have no offsets: from now on a stream (stream_io). */
static int become_stream(struct fsdrv_file *file)
{
    int flags = fcntl(file->fd, F_GETFL);
    if (flags < 0 || fcntl(file->fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    atomic_store_explicit(&file->stream, true, memory_order_release);
    return 0;
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
    if (is_stream(file))
        return stream_io(file, buf, count, false, cancel);
    ssize_t n = FSDRV_NOINTR(pread(file->fd, buf, count, offset));
    if (n < 0 && errno == ESPIPE) {
        int err = become_stream(file);
        return err ? err : stream_io(file, buf, count, false, cancel);
    }
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
    if (is_stream(file))
        return stream_io(file, (void *)buf, count, true, cancel);
    if (count && S_ISREG(file->type) && fsdrv_quota_tracks_space(file->exp))
        return pwrite_counted(file, buf, count, offset);
    ssize_t n = FSDRV_NOINTR(pwrite(file->fd, buf, count, offset));
    if (n < 0 && errno == ESPIPE) {
        int err = become_stream(file);
        return err ? err : stream_io(file, (void *)buf, count, true, cancel);
    }
    return n < 0 ? -errno : n;
}

/* One call without waiting: bytes, or -errno (-EAGAIN: it would wait). */
static ssize_t nowait_io(struct fsdrv_file *file, const struct iovec *iov, int n, off_t offset,
                         bool writing)
{
    if (file->in_memory) {
        ssize_t r = writing ? FSDRV_NOINTR(pwritev(file->fd, iov, n, offset))
                            : FSDRV_NOINTR(preadv(file->fd, iov, n, offset));
        return r < 0 ? -errno : r;
    }
    if (atomic_load_explicit(&file->no_nowait, memory_order_relaxed))
        return -EAGAIN;
    ssize_t r = writing ? FSDRV_NOINTR(pwritev2(file->fd, iov, n, offset, RWF_NOWAIT))
                        : FSDRV_NOINTR(preadv2(file->fd, iov, n, offset, RWF_NOWAIT));
    if (r >= 0)
        return r;
    if (errno == EOPNOTSUPP) {
        /* Asked once per open file: the answer is the file system's. */
        atomic_store_explicit(&file->no_nowait, true, memory_order_relaxed);
        return -EAGAIN;
    }
    return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/* iov with its first `skip` bytes left out, into out[] (at most n pieces). */
static int iov_skip(const struct iovec *iov, int n, size_t skip, struct iovec *out)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len <= skip) {
            skip -= iov[i].iov_len;
            continue;
        }
        out[k++] = (struct iovec){ (uint8_t *)iov[i].iov_base + skip, iov[i].iov_len - skip };
        skip = 0;
    }
    return k;
}

static size_t iov_total(const struct iovec *iov, int n)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += iov[i].iov_len;
    return total;
}

/* Regular files only: streams, and a file that is neither, wait on a worker. */
static bool may_try(struct fsdrv_file *file, int n, off_t offset)
{
    return n >= 0 && n <= IOV_MAX && offset >= 0 && file->local && S_ISREG(file->type) &&
           !is_stream(file);
}

/*
 * nowait_io until the whole count: RWF_NOWAIT may do what needs no wait and
 * stop.  A read goes on to the end of the file or drops its cached prefix at
 * a would-wait (the worker reads it all); a write's prefix stays written.
 */
static ssize_t nowait_all(struct fsdrv_file *file, const struct iovec *iov, int n, off_t offset,
                          bool writing)
{
    size_t want = iov_total(iov, n), done = 0;
    struct iovec rest[n ? n : 1];
    while (done < want) {
        int k = iov_skip(iov, n, done, rest);
        ssize_t r = nowait_io(file, rest, k, offset + (off_t)done, writing);
        if (r == 0 && !writing)
            break;
        if (r <= 0)
            return writing && done ? (ssize_t)done : (r < 0 ? r : -EAGAIN);
        done += (size_t)r;
    }
    return (ssize_t)done;
}

ssize_t fsdrv_try_preadv(struct fsdrv_file *file, const struct iovec *iov, int n, off_t offset)
{
    return may_try(file, n, offset) ? nowait_all(file, iov, n, offset, false) : -EAGAIN;
}

ssize_t fsdrv_try_pwritev(struct fsdrv_file *file, const struct iovec *iov, int n, off_t offset)
{
    if (file->exp->cfg.readonly)
        return -EROFS;
    /* A counted write takes the file's lock, which a worker's write may hold;
     * a synchronous one waits for the disk after RWF_NOWAIT's part. */
    if (!may_try(file, n, offset) || fsdrv_quota_tracks_space(file->exp) ||
        file->flags & (O_SYNC | O_DSYNC))
        return -EAGAIN;
    return nowait_all(file, iov, n, offset, true);
}

int fsdrv_fsync(struct fsdrv_file *file, bool datasync)
{
    int r = datasync ? FSDRV_NOINTR(fdatasync(file->fd)) : FSDRV_NOINTR(fsync(file->fd));
    return r < 0 ? -errno : 0;
}

int fsdrv_fallocate(struct fsdrv_file *file, int mode, off_t offset, off_t len)
{
    struct fsdrv_export *exp = file->exp;
    if (exp->cfg.readonly)
        return -EROFS;
    if (offset < 0 || len <= 0)
        return -EINVAL;
    if (!S_ISREG(file->type))
        return S_ISDIR(file->type) ? -EISDIR : -ENODEV;
    const int keep = FALLOC_FL_KEEP_SIZE;
    if (mode != 0 && mode != keep && mode != FALLOC_FL_ZERO_RANGE &&
        mode != (FALLOC_FL_ZERO_RANGE | keep) && mode != (FALLOC_FL_PUNCH_HOLE | keep))
        return -EOPNOTSUPP;

    /* As a write of the range: reserved first, settled with the real blocks. */
    g_mutex_lock(&file->lock);
    struct stat before;
    int err = FSDRV_NOINTR(fstat(file->fd, &before)) < 0 ? -errno : 0;
    uint64_t reserved = 0;
    if (!err && !(mode & FALLOC_FL_PUNCH_HOLE))
        reserved = fsdrv_quota_write_growth(&before, offset, (size_t)len);
    if (!err)
        err = fsdrv_quota_reserve_space(exp, reserved);
    if (!err) {
        err = FSDRV_NOINTR(fallocate(file->fd, mode, offset, len)) < 0 ? -errno : 0;
        fsdrv_quota_settle(exp, file->fd, &before, reserved);
    }
    g_mutex_unlock(&file->lock);
    return err;
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
