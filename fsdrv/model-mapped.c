// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What QEMU's two mapped models share (docs/security.md "The mapped
 * models"): the host holds only regular files and directories, owned by
 * the daemon with QEMU's host modes (0600 and 0700: SM_LOCAL_MODE_BITS and
 * SM_LOCAL_DIR_MODE_BITS), whatever the client asked for; a symlink is a
 * file holding its target, a device node, FIFO or socket an empty file.
 * The client's owner, mode (with the type) and rdev live in the model's
 * metadata (exp->model->meta), so no call here needs a capability.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"

#define MAPPED_FILE_MODE 0600
#define MAPPED_DIR_MODE 0700

bool fsdrv_mapped_xattr_reserved(const char *name)
{
    return strncmp(name, "user.virtfs.", 12) == 0;
}

uint64_t fsdrv_meta_get(const struct fsdrv_meta *m, unsigned bit)
{
    switch (bit) {
    case FSDRV_META_UID:
        return m->uid;
    case FSDRV_META_GID:
        return m->gid;
    case FSDRV_META_MODE:
        return m->mode;
    default:
        return m->rdev;
    }
}

void fsdrv_meta_set(struct fsdrv_meta *m, unsigned bit, uint64_t v)
{
    switch (bit) {
    case FSDRV_META_UID:
        m->uid = (uint32_t)v;
        break;
    case FSDRV_META_GID:
        m->gid = (uint32_t)v;
        break;
    case FSDRV_META_MODE:
        m->mode = (uint32_t)v;
        break;
    default:
        m->rdev = v;
    }
    m->has |= bit;
}

static int host_stat(const struct fsdrv_obj *obj, struct stat *st)
{
    int r = obj->fd >= 0 ? FSDRV_NOINTR(fstat(obj->fd, st))
                         : FSDRV_NOINTR(fstatat(obj->dirfd, obj->name, st,
                                                AT_SYMLINK_NOFOLLOW));
    return r < 0 ? -errno : 0;
}

/* The stored fields over the host's; a stored mode without a type keeps the host's. */
static void apply_meta(const struct fsdrv_meta *m, struct stat *st)
{
    if (m->has & FSDRV_META_UID)
        st->st_uid = m->uid;
    if (m->has & FSDRV_META_GID)
        st->st_gid = m->gid;
    if (m->has & FSDRV_META_MODE)
        st->st_mode = m->mode & S_IFMT ? m->mode : (st->st_mode & S_IFMT) | m->mode;
    if (m->has & FSDRV_META_RDEV)
        st->st_rdev = m->rdev;
}

/* The client's view of `obj`: host values where nothing is stored (as QEMU). */
static int view_stat(struct fsdrv_export *exp, const struct fsdrv_obj *obj, struct stat *st)
{
    int err = host_stat(obj, st);
    if (err)
        return err;
    struct fsdrv_meta m = { 0 };
    if (exp->model->meta->load(exp, obj, &m) == 0)
        apply_meta(&m, st);
    return 0;
}

void fsdrv_mapped_fixup_stat(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                             struct stat *st)
{
    struct fsdrv_meta m = { 0 };
    /* Unreadable metadata shows the host's values, as missing metadata does. */
    if (exp->model->meta->load(exp, obj, &m) == 0)
        apply_meta(&m, st);
}

/*
 * Records what the client asked for on the object just made as `name`
 * (QEMU writes uid, gid, mode, and rdev for mknod); removes the object and
 * its metadata when that fails.
 */
static int record_new(struct fsdrv_export *exp, int dirfd, const char *name,
                      struct fsdrv_meta *m, const struct fsdrv_cred *cred, int unlink_flags)
{
    m->has |= FSDRV_META_MODE;
    if (cred) {
        m->has |= FSDRV_META_UID | FSDRV_META_GID;
        m->uid = cred->uid;
        m->gid = cred->gid;
    }
    struct fsdrv_obj obj = { NULL, -1, dirfd, name };
    int err = exp->model->meta->store(exp, &obj, m, true);
    if (err)
        exp->model->unlink(exp, dirfd, name, unlink_flags);
    return err;
}

/* A new regular file `name` holding `len` bytes of `data`. */
static int make_file(int dirfd, const char *name, const char *data, size_t len)
{
    int fd = FSDRV_NOINTR(openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                 O_CLOEXEC, MAPPED_FILE_MODE));
    if (fd < 0)
        return -errno;
    int err = 0;
    for (size_t off = 0; off < len && !err;) {
        ssize_t n = FSDRV_NOINTR(write(fd, data + off, len - off));
        if (n < 0)
            err = -errno;
        else
            off += (size_t)n;
    }
    close(fd);
    if (err)
        unlinkat(dirfd, name, 0);
    return err;
}

int fsdrv_mapped_create(struct fsdrv_export *exp, int dirfd, const char *name,
                        int flags, mode_t mode, const struct fsdrv_cred *cred)
{
    int fd = FSDRV_NOINTR(openat(dirfd, name, flags, MAPPED_FILE_MODE));
    if (fd < 0)
        return -errno;
    struct fsdrv_meta m = { .mode = S_IFREG | (mode & 07777) };
    int err = record_new(exp, dirfd, name, &m, cred, 0);
    if (err) {
        close(fd);
        return err;
    }
    return fd;
}

int fsdrv_mapped_mkdir(struct fsdrv_export *exp, int dirfd, const char *name,
                       mode_t mode, const struct fsdrv_cred *cred)
{
    if (FSDRV_NOINTR(mkdirat(dirfd, name, MAPPED_DIR_MODE)) < 0)
        return -errno;
    struct fsdrv_meta m = { .mode = S_IFDIR | (mode & 07777) };
    return record_new(exp, dirfd, name, &m, cred, AT_REMOVEDIR);
}

int fsdrv_mapped_symlink(struct fsdrv_export *exp, int dirfd, const char *name,
                         const char *target, const struct fsdrv_cred *cred)
{
    int err = make_file(dirfd, name, target, strlen(target));
    if (err)
        return err;
    struct fsdrv_meta m = { .mode = S_IFLNK | 0777 };
    return record_new(exp, dirfd, name, &m, cred, 0);
}

int fsdrv_mapped_mknod(struct fsdrv_export *exp, int dirfd, const char *name,
                       mode_t mode, dev_t rdev, const struct fsdrv_cred *cred)
{
    int err = make_file(dirfd, name, NULL, 0);
    if (err)
        return err;
    struct fsdrv_meta m = { .has = FSDRV_META_RDEV, .mode = mode, .rdev = rdev };
    return record_new(exp, dirfd, name, &m, cred, 0);
}

ssize_t fsdrv_mapped_readlink(struct fsdrv_export *exp, int dirfd, const char *name,
                              char *buf, size_t cap)
{
    struct fsdrv_obj obj = { NULL, -1, dirfd, name };
    struct stat view;
    int err = view_stat(exp, &obj, &view);
    if (err)
        return err;
    if (!S_ISLNK(view.st_mode))
        return -EINVAL;
    /* A real symlink the host put there (it can carry no metadata). */
    struct stat host;
    if (FSDRV_NOINTR(fstatat(dirfd, name, &host, AT_SYMLINK_NOFOLLOW)) < 0)
        return -errno;
    if (S_ISLNK(host.st_mode))
        return fsdrv_native_readlink(exp, dirfd, name, buf, cap);

    /* O_NONBLOCK: should a FIFO have taken the file's place, the open does not wait. */
    int fd = FSDRV_NOINTR(openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd < 0)
        return -errno;
    ssize_t got = 0;
    if (FSDRV_NOINTR(fstat(fd, &host)) < 0)
        got = -errno;
    else if (!S_ISREG(host.st_mode))
        got = -EINVAL;
    while (got >= 0 && (size_t)got < cap) {
        ssize_t n = FSDRV_NOINTR(pread(fd, buf + got, cap - (size_t)got, got));
        if (n < 0)
            got = -errno;
        else if (n == 0)
            break;
        else
            got += n;
    }
    close(fd);
    return got;
}

/* Only the metadata changes: the host inode keeps the daemon's mode and owner. */
int fsdrv_mapped_chmod(struct fsdrv_export *exp, const struct fsdrv_obj *obj, mode_t mode)
{
    struct stat view;
    int err = view_stat(exp, obj, &view);
    if (err)
        return err;
    struct fsdrv_meta m = { .has = FSDRV_META_MODE,
                            .mode = (view.st_mode & S_IFMT) | (mode & 07777) };
    return exp->model->meta->store(exp, obj, &m, false);
}

int fsdrv_mapped_chown(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                       uid_t uid, gid_t gid)
{
    struct fsdrv_meta m = { .uid = uid, .gid = gid };
    if (uid != (uid_t)-1)
        m.has |= FSDRV_META_UID;
    if (gid != (gid_t)-1)
        m.has |= FSDRV_META_GID;
    return m.has ? exp->model->meta->store(exp, obj, &m, false) : 0;
}
