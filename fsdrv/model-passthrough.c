// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The passthrough model: a created object gets the requester's uid/gid and
 * the mode asked for (set-id bits and device nodes only as the export
 * allows, checked by the ops); setattr changes the host inode.  The native
 * calls here are shared with the none model (model-none.c).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsdrv/internal.h"

/* chmod without following a symlink (Linux has no lchmod: a symlink is left alone). */
static int chmod_at(int dirfd, const char *name, mode_t mode)
{
    int fd = FSDRV_NOINTR(openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (fd < 0)
        return -errno;
    struct stat st;
    int err = 0;
    if (FSDRV_NOINTR(fstat(fd, &st)) < 0)
        err = -errno;
    else if (!S_ISLNK(st.st_mode)) {
        /* The magic link names exactly the inode fd holds: no second lookup. */
        char proc[FSDRV_PROC_PATH_MAX];
        fsdrv_proc_path(proc, fd, NULL);
        if (FSDRV_NOINTR(fchmodat(AT_FDCWD, proc, mode, 0)) < 0)
            err = -errno;
    }
    close(fd);
    return err;
}

/*
 * Gives a new object the requester's owner, then the exact mode (the owner
 * change clears set-id bits, and the mode must not depend on the umask).
 * `fd` is an fd of the object or -1.
 */
static int set_creds(int dirfd, const char *name, int fd, mode_t mode,
                     const struct fsdrv_cred *cred, bool is_symlink)
{
    if (cred) {
        int r = fd >= 0 ? FSDRV_NOINTR(fchown(fd, cred->uid, cred->gid))
                        : FSDRV_NOINTR(fchownat(dirfd, name, cred->uid, cred->gid,
                                                AT_SYMLINK_NOFOLLOW));
        if (r < 0)
            return -errno;
    }
    if (is_symlink)
        return 0;
    if (fd >= 0)
        return FSDRV_NOINTR(fchmod(fd, mode & 07777)) < 0 ? -errno : 0;
    return chmod_at(dirfd, name, mode & 07777);
}

int fsdrv_native_create(int dirfd, const char *name, int flags, mode_t mode,
                        const struct fsdrv_cred *cred)
{
    int fd = FSDRV_NOINTR(openat(dirfd, name, flags, mode & 07777));
    if (fd < 0)
        return -errno;
    int err = set_creds(dirfd, name, fd, mode, cred, false);
    if (err) {
        close(fd);
        unlinkat(dirfd, name, 0);
        return err;
    }
    return fd;
}

int fsdrv_native_mkdir(int dirfd, const char *name, mode_t mode,
                       const struct fsdrv_cred *cred)
{
    if (FSDRV_NOINTR(mkdirat(dirfd, name, mode & 07777)) < 0)
        return -errno;
    int err = set_creds(dirfd, name, -1, mode, cred, false);
    if (err)
        unlinkat(dirfd, name, AT_REMOVEDIR);
    return err;
}

int fsdrv_native_symlink(int dirfd, const char *name, const char *target,
                         const struct fsdrv_cred *cred)
{
    if (FSDRV_NOINTR(symlinkat(target, dirfd, name)) < 0)
        return -errno;
    int err = set_creds(dirfd, name, -1, 0, cred, true);
    if (err)
        unlinkat(dirfd, name, 0);
    return err;
}

int fsdrv_native_mknod(int dirfd, const char *name, mode_t mode, dev_t rdev,
                       const struct fsdrv_cred *cred)
{
    if (FSDRV_NOINTR(mknodat(dirfd, name, mode, rdev)) < 0)
        return -errno;
    /* chmod_at never opens the node itself for I/O: O_PATH only. */
    int err = set_creds(dirfd, name, -1, mode, cred, false);
    if (err)
        unlinkat(dirfd, name, 0);
    return err;
}

int fsdrv_native_chown(const struct fsdrv_obj *obj, uid_t uid, gid_t gid)
{
    int r = obj->fd >= 0 ? FSDRV_NOINTR(fchown(obj->fd, uid, gid))
                         : FSDRV_NOINTR(fchownat(obj->dirfd, obj->name, uid, gid,
                                                 AT_SYMLINK_NOFOLLOW));
    return r < 0 ? -errno : 0;
}

int fsdrv_native_chmod(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                       mode_t mode)
{
    if (obj->fd >= 0)
        return FSDRV_NOINTR(fchmod(obj->fd, mode & 07777)) < 0 ? -errno : 0;
    return chmod_at(obj->dirfd, obj->name, mode & 07777);
}

int fsdrv_native_link(struct fsdrv_export *exp, int olddirfd, const char *oldname,
                      int newdirfd, const char *newname)
{
    /* No AT_SYMLINK_FOLLOW: a symlink is linked as itself. */
    return FSDRV_NOINTR(linkat(olddirfd, oldname, newdirfd, newname, 0)) < 0 ? -errno : 0;
}

int fsdrv_native_rename(struct fsdrv_export *exp, int olddirfd, const char *oldname,
                        int newdirfd, const char *newname)
{
    return FSDRV_NOINTR(renameat(olddirfd, oldname, newdirfd, newname)) < 0 ? -errno : 0;
}

int fsdrv_native_unlink(struct fsdrv_export *exp, int dirfd, const char *name, int flags)
{
    return FSDRV_NOINTR(unlinkat(dirfd, name, flags)) < 0 ? -errno : 0;
}

ssize_t fsdrv_native_readlink(struct fsdrv_export *exp, int dirfd, const char *name,
                              char *buf, size_t cap)
{
    ssize_t n = FSDRV_NOINTR(readlinkat(dirfd, name, buf, cap));
    return n < 0 ? -errno : n;
}

static int passthrough_create(struct fsdrv_export *exp, int dirfd, const char *name,
                              int flags, mode_t mode, const struct fsdrv_cred *cred)
{
    return fsdrv_native_create(dirfd, name, flags, mode, cred);
}

static int passthrough_mkdir(struct fsdrv_export *exp, int dirfd, const char *name,
                             mode_t mode, const struct fsdrv_cred *cred)
{
    return fsdrv_native_mkdir(dirfd, name, mode, cred);
}

static int passthrough_symlink(struct fsdrv_export *exp, int dirfd, const char *name,
                               const char *target, const struct fsdrv_cred *cred)
{
    return fsdrv_native_symlink(dirfd, name, target, cred);
}

static int passthrough_mknod(struct fsdrv_export *exp, int dirfd, const char *name,
                             mode_t mode, dev_t rdev, const struct fsdrv_cred *cred)
{
    return fsdrv_native_mknod(dirfd, name, mode, rdev, cred);
}

static int passthrough_chown(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                             uid_t uid, gid_t gid)
{
    return fsdrv_native_chown(obj, uid, gid);
}

const struct fsdrv_model_ops fsdrv_model_passthrough = {
    .name = "passthrough",
    .host_dirent_type = true,
    .create = passthrough_create,
    .mkdir = passthrough_mkdir,
    .symlink = passthrough_symlink,
    .mknod = passthrough_mknod,
    .link = fsdrv_native_link,
    .rename = fsdrv_native_rename,
    .unlink = fsdrv_native_unlink,
    .readlink = fsdrv_native_readlink,
    .chmod = fsdrv_native_chmod,
    .chown = passthrough_chown,
};

const struct fsdrv_model_ops *fsdrv_model_lookup(enum fsdrv_model model)
{
    switch (model) {
    case FSDRV_MODEL_PASSTHROUGH:
        return &fsdrv_model_passthrough;
    case FSDRV_MODEL_NONE:
        return &fsdrv_model_none;
    case FSDRV_MODEL_MAPPED_XATTR:
        return &fsdrv_model_mapped_xattr;
    case FSDRV_MODEL_MAPPED_FILE:
        return &fsdrv_model_mapped_file;
    }
    return NULL;
}
