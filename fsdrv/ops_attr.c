// SPDX-License-Identifier: GPL-2.0-or-later
/* getattr, setattr, statfs. */
#include "config.h"

#include <fcntl.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/quota.h"

int fsdrv_stat_at(struct fsdrv_export *exp, const struct fsdrv_node *node,
                  const struct fsdrv_at *at, struct stat *st)
{
    if (FSDRV_NOINTR(fstatat(at->dirfd, at->name, st, AT_SYMLINK_NOFOLLOW)) < 0)
        return -errno;
    if (exp->model->fixup_stat) {
        struct fsdrv_obj obj = { node, -1, at->dirfd, at->name };
        exp->model->fixup_stat(exp, &obj, st);
    }
    return 0;
}

int fsdrv_getattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                  struct fsdrv_file *file, struct stat *st)
{
    if (file) {
        if (FSDRV_NOINTR(fstat(file->fd, st)) < 0)
            return -errno;
        if (exp->model->fixup_stat) {
            struct fsdrv_obj obj = { node, file->fd, -1, NULL };
            exp->model->fixup_stat(exp, &obj, st);
        }
        return 0;
    }
    /* By the node's handle; the mapped models read their metadata by name. */
    int handle = atomic_load(&((struct fsdrv_node *)node)->fd);
    if (handle >= 0 && !exp->model->fixup_stat)
        return FSDRV_NOINTR(fstatat(handle, "", st, AT_EMPTY_PATH)) < 0 ? -errno : 0;
    struct fsdrv_at at;
    int err = fsdrv_at_node(exp, node, &at);
    if (err)
        return err;
    err = fsdrv_stat_at(exp, node, &at, st);
    fsdrv_at_release(&at);
    return err;
}

/*
 * ftruncate on `fd` (whose inode was `before`) within the space quota: the
 * growth is reserved as if the filesystem had no holes, then the real
 * allocation is counted.  An unlinked file counts as any other.
 */
static int truncate_counted(struct fsdrv_export *exp, int fd, const struct stat *before,
                            off_t size)
{
    uint64_t reserved = fsdrv_quota_truncate_growth(before, size);
    int err = fsdrv_quota_reserve_space(exp, reserved);
    if (err)
        return err;
    err = FSDRV_NOINTR(ftruncate(fd, size)) < 0 ? -errno : 0;
    fsdrv_quota_settle(exp, fd, before, reserved);
    return err;
}

/* Reopens the inode behind `fd` for writing (its own access mode may not allow it). */
static int reopen_for_write(int fd)
{
    char proc[FSDRV_PROC_PATH_MAX];
    fsdrv_proc_path(proc, fd, NULL);
    int wfd = FSDRV_NOINTR(open(proc, O_WRONLY | O_CLOEXEC));
    return wfd < 0 ? -errno : wfd;
}

static int truncate_file(struct fsdrv_export *exp, struct fsdrv_file *file, off_t size)
{
    if (!S_ISREG(file->type))
        return -EINVAL;
    int fd = file->fd, wfd = -1;
    if ((file->flags & O_ACCMODE) == O_RDONLY) {
        wfd = reopen_for_write(file->fd);
        if (wfd < 0)
            return wfd;
        fd = wfd;
    }
    /* Serialised with this file's writes so their space accounting stays exact. */
    g_mutex_lock(&file->lock);
    struct stat before;
    int err = FSDRV_NOINTR(fstat(fd, &before)) < 0 ? -errno
                                                   : truncate_counted(exp, fd, &before, size);
    g_mutex_unlock(&file->lock);
    if (wfd >= 0)
        close(wfd);
    return err;
}

/* By handle or name: only a regular file is ever opened (never a device or a FIFO). */
static int truncate_at(struct fsdrv_export *exp, const struct fsdrv_at *at, off_t size)
{
    int pfd;
    bool owned;
    int err = fsdrv_at_object(at, &pfd, &owned);
    if (err)
        return err;
    struct stat before;
    if (FSDRV_NOINTR(fstat(pfd, &before)) < 0)
        err = -errno;
    else if (!S_ISREG(before.st_mode))
        err = -EINVAL;
    else {
        int wfd = reopen_for_write(pfd);
        if (wfd < 0)
            err = wfd;
        else {
            err = truncate_counted(exp, wfd, &before, size);
            close(wfd);
        }
    }
    if (owned)
        close(pfd);
    return err;
}

static bool nsec_valid(long nsec)
{
    return nsec >= 0 && nsec < 1000000000L;
}

static int set_times(const struct fsdrv_setattr *sa, const struct fsdrv_obj *obj)
{
    const struct timespec now = { 0, UTIME_NOW }, omit = { 0, UTIME_OMIT };
    struct timespec ts[2];
    unsigned v = sa->valid;

    if ((v & FSDRV_SET_ATIME_SET && !nsec_valid(sa->atime.tv_nsec)) ||
        (v & FSDRV_SET_MTIME_SET && !nsec_valid(sa->mtime.tv_nsec)))
        return -EINVAL;
    ts[0] = v & FSDRV_SET_ATIME_SET ? sa->atime : v & FSDRV_SET_ATIME ? now : omit;
    ts[1] = v & FSDRV_SET_MTIME_SET ? sa->mtime : v & FSDRV_SET_MTIME ? now : omit;
    int r = obj->fd >= 0 ? FSDRV_NOINTR(futimens(obj->fd, ts))
                         : FSDRV_NOINTR(utimensat(obj->dirfd, obj->name, ts,
                                                  AT_SYMLINK_NOFOLLOW));
    return r < 0 ? -errno : 0;
}

/* chown(-1, -1) changes nothing but ctime. */
static int touch_ctime(const struct fsdrv_obj *obj)
{
    int r = obj->fd >= 0 ? FSDRV_NOINTR(fchown(obj->fd, (uid_t)-1, (gid_t)-1))
                         : FSDRV_NOINTR(fchownat(obj->dirfd, obj->name, (uid_t)-1,
                                                 (gid_t)-1, AT_SYMLINK_NOFOLLOW));
    return r < 0 ? -errno : 0;
}

/*
 * The root's mode and owner are the administrator's (docs/security.md "What
 * a guest may do to the export"): a guest that made it 01777 or its own
 * would open the host's directory to others.  Asking for what they already
 * are is no change.
 */
static int check_root_change(struct fsdrv_export *exp, const struct fsdrv_setattr *sa)
{
    /* In the client's view: a mapped model may store one for the root. */
    struct stat st;
    struct fsdrv_at at;
    int err = fsdrv_at_node(exp, exp->root, &at);
    if (!err)
        err = fsdrv_stat_at(exp, exp->root, &at, &st);
    if (err)
        return err;
    if ((sa->valid & FSDRV_SET_MODE &&
         fsdrv_client_perm(exp, sa->mode) != (st.st_mode & 07777)) ||
        (sa->valid & FSDRV_SET_UID && sa->uid != (uid_t)-1 && sa->uid != st.st_uid) ||
        (sa->valid & FSDRV_SET_GID && sa->gid != (gid_t)-1 && sa->gid != st.st_gid))
        return -EPERM;
    return 0;
}

int fsdrv_setattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                  struct fsdrv_file *file, const struct fsdrv_setattr *sa)
{
    if (!sa)
        return -EINVAL;
    const unsigned v = sa->valid;
    const unsigned times = FSDRV_SET_ATIME | FSDRV_SET_MTIME |
                           FSDRV_SET_ATIME_SET | FSDRV_SET_MTIME_SET;
    if (!v)
        return 0;
    if (exp->cfg.readonly)
        return -EROFS;
    if (v & FSDRV_SET_SIZE && sa->size < 0)
        return -EINVAL;
    int err = 0;
    if (v & (FSDRV_SET_MODE | FSDRV_SET_UID | FSDRV_SET_GID) &&
        (fsdrv_node_is_root(node) || (file && file->is_root)) &&
        (err = check_root_change(exp, sa)))
        return err;

    struct fsdrv_at at = { .dirfd = -1 };
    struct fsdrv_obj obj = { .node = node, .fd = -1, .dirfd = -1 };
    if (file)
        obj.fd = file->fd;
    else {
        err = fsdrv_at_node(exp, node, &at);
        if (err)
            return err;
        obj.dirfd = at.dirfd;
        obj.name = at.name;
    }

    /*
     * Size first (it moves mtime), owner before mode (a chown clears the
     * set-id bits the mode may ask for), explicit times last.
     */
    if (v & FSDRV_SET_SIZE)
        err = file ? truncate_file(exp, file, sa->size) : truncate_at(exp, &at, sa->size);
    if (!err && v & (FSDRV_SET_UID | FSDRV_SET_GID))
        err = exp->model->chown(exp, &obj, v & FSDRV_SET_UID ? sa->uid : (uid_t)-1,
                                v & FSDRV_SET_GID ? sa->gid : (gid_t)-1);
    if (!err && v & FSDRV_SET_MODE)
        err = exp->model->chmod(exp, &obj, fsdrv_client_perm(exp, sa->mode));
    if (!err && v & times)
        err = set_times(sa, &obj);
    if (!err && v == FSDRV_SET_CTIME)
        err = touch_ctime(&obj);

    fsdrv_at_release(&at);
    return err;
}

int fsdrv_statfs(struct fsdrv_export *exp, const struct fsdrv_node *node,
                 struct statfs *st)
{
    struct fsdrv_at at;
    int err = fsdrv_at_node(exp, node, &at);
    if (err)
        return err;
    int fd;
    bool owned;
    err = fsdrv_at_object(&at, &fd, &owned);
    if (!err) {
        err = FSDRV_NOINTR(fstatfs(fd, st)) < 0 ? -errno : 0;
        if (owned)
            close(fd);
    }
    fsdrv_at_release(&at);
    return err;
}
