// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Walk and the operations that change names: mkdir, symlink, mknod, link,
 * rename, unlink, remove; and readlink.  Each opens the directory beneath
 * the root and acts on one name in it, never following a symlink.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/quota.h"

/* A name a client may create: -EINVAL for the model's hidden names. */
static int check_new_name(struct fsdrv_export *exp, const char *name)
{
    int err = fsdrv_name_check(name, false);
    if (!err && fsdrv_name_hidden(exp, name))
        err = -EINVAL;
    return err;
}

/* A name a client may refer to: -ENOENT for the model's hidden names. */
static int check_old_name(struct fsdrv_export *exp, const char *name)
{
    int err = fsdrv_name_check(name, false);
    if (!err && fsdrv_name_hidden(exp, name))
        err = -ENOENT;
    return err;
}

int fsdrv_walk(struct fsdrv_export *exp, const struct fsdrv_node *dir,
               const char *name, struct fsdrv_node **out, struct stat *st)
{
    int err = fsdrv_name_check(name, true);
    if (err)
        return err;
    struct stat local;
    if (!st)
        st = &local;

    struct fsdrv_at at;
    err = fsdrv_at_child(exp, dir, name, &at);      /* dir must be a directory */
    if (err)
        return err;
    if (!strcmp(name, "..")) {
        /* By the client's names, not the host's "..": the root is its own parent. */
        struct stat self;
        if (FSDRV_NOINTR(fstatat(at.dirfd, "", &self, AT_EMPTY_PATH)) < 0)
            err = -errno;
        else if (!S_ISDIR(self.st_mode))
            err = -ENOTDIR;
        fsdrv_at_release(&at);
        if (err)
            return err;
        struct fsdrv_node *parent = fsdrv_node_parent(dir);
        err = fsdrv_getattr(exp, parent, NULL, st);
        if (err)
            fsdrv_node_unref(parent);
        else
            *out = parent;
        return err;
    }

    if (fsdrv_name_hidden(exp, name))
        err = -ENOENT;
    else if (FSDRV_NOINTR(fstatat(at.dirfd, name, st, AT_SYMLINK_NOFOLLOW)) < 0)
        err = -errno;
    if (!err) {
        struct fsdrv_node *node = fsdrv_store_get(exp->store, (struct fsdrv_node *)dir, name, st);
        if (!node) {
            fsdrv_at_release(&at);
            return -ENOMEM;
        }
        if (exp->model->fixup_stat) {
            struct fsdrv_obj obj = { node, -1, at.dirfd, name };
            exp->model->fixup_stat(exp, &obj, st);
        }
        *out = node;
    }
    fsdrv_at_release(&at);
    return err;
}

/* The client's view of the object just created as `name` in `at`. */
static int stat_new(struct fsdrv_export *exp, const struct fsdrv_at *at, struct stat *st)
{
    return st ? fsdrv_stat_at(exp, NULL, at, st) : 0;
}

/* Creates one name through `make`, within the file quota (every kind counts). */
typedef int (*make_fn)(struct fsdrv_export *exp, const struct fsdrv_at *at,
                       const void *arg);

static int make_counted(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                        const char *name, make_fn make, const void *arg,
                        struct stat *st)
{
    if (exp->cfg.readonly)
        return -EROFS;
    int err = check_new_name(exp, name);
    if (err)
        return err;
    err = fsdrv_quota_reserve_file(exp);
    if (err)
        return err;
    struct fsdrv_at at;
    err = fsdrv_at_child(exp, dir, name, &at);
    if (!err) {
        err = make(exp, &at, arg);
        if (!err) {
            fsdrv_quota_named(exp, dir, name, at.dirfd);
            int serr = stat_new(exp, &at, st);
            fsdrv_at_release(&at);
            return serr;
        }
        fsdrv_at_release(&at);
    }
    fsdrv_quota_release_file(exp);
    return err;
}

struct mkdir_args {
    mode_t mode;
    const struct fsdrv_cred *cred;
};

static int make_dir(struct fsdrv_export *exp, const struct fsdrv_at *at, const void *arg)
{
    const struct mkdir_args *a = arg;
    return exp->model->mkdir(exp, at->dirfd, at->name, a->mode, a->cred);
}

int fsdrv_mkdir(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                const char *name, mode_t mode, const struct fsdrv_cred *cred,
                struct stat *st)
{
    struct mkdir_args a = { fsdrv_client_perm(exp, mode), cred };
    return make_counted(exp, dir, name, make_dir, &a, st);
}

struct symlink_args {
    const char *target;
    const struct fsdrv_cred *cred;
};

static int make_symlink(struct fsdrv_export *exp, const struct fsdrv_at *at,
                        const void *arg)
{
    const struct symlink_args *a = arg;
    if (!exp->model->symlink_data)
        return exp->model->symlink(exp, at->dirfd, at->name, a->target, a->cred);
    /* The target is file data: within the space quota, as a write. */
    const struct stat empty = { .st_mode = S_IFREG };
    uint64_t reserved = fsdrv_quota_write_growth(&empty, 0, strlen(a->target));
    int err = fsdrv_quota_reserve_space(exp, reserved);
    if (err)
        return err;
    err = exp->model->symlink(exp, at->dirfd, at->name, a->target, a->cred);
    int fd = -1;
    bool owned = false;
    if (!err && fsdrv_at_object(at, &fd, &owned) == 0) {
        fsdrv_quota_settle(exp, fd, &empty, reserved);
        if (owned)
            close(fd);
    } else if (err) {
        fsdrv_quota_release_space(exp, reserved);
    }
    return err;
}

int fsdrv_symlink(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                  const char *name, const char *target,
                  const struct fsdrv_cred *cred, struct stat *st)
{
    if (exp->cfg.readonly)
        return -EROFS;
    /* The target is the client's text, stored and never followed by us. */
    if (!target || !target[0])
        return -ENOENT;
    struct symlink_args a = { target, cred };
    return make_counted(exp, dir, name, make_symlink, &a, st);
}

struct mknod_args {
    mode_t mode;
    dev_t rdev;
    const struct fsdrv_cred *cred;
};

static int make_node(struct fsdrv_export *exp, const struct fsdrv_at *at, const void *arg)
{
    const struct mknod_args *a = arg;
    return exp->model->mknod(exp, at->dirfd, at->name, a->mode, a->rdev, a->cred);
}

int fsdrv_mknod(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                const char *name, mode_t mode, dev_t rdev,
                const struct fsdrv_cred *cred, struct stat *st)
{
    if (exp->cfg.readonly)
        return -EROFS;
    mode_t type = mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;         /* as mknod(2) */
    if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK &&
        type != S_IFCHR && type != S_IFBLK)
        return -EINVAL;
    /* A node of the host's disk or memory, for any host process that opens
     * it: only where the administrator asked (docs/security.md "What a guest
     * may do to the export").  fsdrv never opens one either way.  The mapped
     * models make no node: the type is metadata of a regular file. */
    if ((type == S_IFCHR || type == S_IFBLK) && !exp->cfg.allow_devices &&
        !fsdrv_model_is_mapped(exp->cfg.model))
        return -EPERM;
    struct mknod_args a = { type | fsdrv_client_perm(exp, mode), rdev, cred };
    return make_counted(exp, dir, name, make_node, &a, st);
}

struct link_args {
    const struct fsdrv_at *target;
};

static int make_link(struct fsdrv_export *exp, const struct fsdrv_at *at, const void *arg)
{
    const struct link_args *a = arg;
    return exp->model->link(exp, a->target->dirfd, a->target->name, at->dirfd, at->name);
}

int fsdrv_link(struct fsdrv_export *exp, const struct fsdrv_node *target,
               const struct fsdrv_node *dir, const char *name)
{
    if (exp->cfg.readonly)
        return -EROFS;
    if (fsdrv_node_is_root(target))
        return -EPERM;          /* a directory */
    struct fsdrv_at tat;
    int err = fsdrv_at_node(exp, target, &tat);
    if (err)
        return err;
    struct link_args a = { &tat };
    err = make_counted(exp, dir, name, make_link, &a, NULL);
    fsdrv_at_release(&tat);
    return err;
}

ssize_t fsdrv_readlink(struct fsdrv_export *exp, const struct fsdrv_node *node,
                       char *buf, size_t cap)
{
    if (cap == 0)
        return -EINVAL;
    struct fsdrv_at at;
    int err = fsdrv_at_node(exp, node, &at);
    if (err)
        return err;
    ssize_t n = exp->model->readlink(exp, at.dirfd, at.name, buf, cap);
    fsdrv_at_release(&at);
    return n;
}

/* The stored node of the inode (st_dev, st_ino), if any, when it is `name` in `dir`. */
static struct fsdrv_node *node_named(struct fsdrv_export *exp, const struct stat *st,
                                     const struct fsdrv_node *dir, const char *name)
{
    struct fsdrv_node *node = fsdrv_store_find(exp->store, st->st_dev, st->st_ino);
    if (node && !fsdrv_node_named(node, dir, name)) {
        fsdrv_node_unref(node);
        node = NULL;
    }
    return node;
}

int fsdrv_rename(struct fsdrv_export *exp, const struct fsdrv_node *olddir,
                 const char *oldname, const struct fsdrv_node *newdir,
                 const char *newname)
{
    if (exp->cfg.readonly)
        return -EROFS;
    int err = check_old_name(exp, oldname);
    if (!err)
        err = check_new_name(exp, newname);
    if (err)
        return err;

    struct fsdrv_at from, to;
    err = fsdrv_at_child(exp, olddir, oldname, &from);
    if (err)
        return err;
    err = fsdrv_at_child(exp, newdir, newname, &to);
    if (err) {
        fsdrv_at_release(&from);
        return err;
    }
    /* The nodes of the moved inode and of the one it replaces follow the names. */
    struct stat src, dst;
    struct fsdrv_node *moved = NULL, *replaced = NULL;
    bool src_known = FSDRV_NOINTR(fstatat(from.dirfd, oldname, &src, AT_SYMLINK_NOFOLLOW)) == 0;
    if (src_known) {
        moved = node_named(exp, &src, olddir, oldname);
        if (FSDRV_NOINTR(fstatat(to.dirfd, newname, &dst, AT_SYMLINK_NOFOLLOW)) == 0 &&
            (dst.st_dev != src.st_dev || dst.st_ino != src.st_ino))
            replaced = node_named(exp, &dst, newdir, newname);
    }
    /* What the rename replaces leaves the quota, unless it is the same file. */
    struct fsdrv_quota_victim old;
    fsdrv_quota_before_remove(exp, to.dirfd, newname, &old);
    bool replaces = old.fd >= 0 && src_known &&
        (src.st_dev != old.st.st_dev || src.st_ino != old.st.st_ino);
    err = exp->model->rename(exp, from.dirfd, oldname, to.dirfd, newname);
    fsdrv_quota_after_remove(exp, &old, !err && replaces, newdir, newname);
    if (!err) {
        fsdrv_quota_renamed(exp, olddir, oldname, newdir, newname, to.dirfd);
        /* Only what the rename really moved: the names may have changed
         * between the look and the rename. */
        struct stat now;
        bool as_seen = src_known &&
                       FSDRV_NOINTR(fstatat(to.dirfd, newname, &now, AT_SYMLINK_NOFOLLOW)) == 0 &&
                       now.st_dev == src.st_dev && now.st_ino == src.st_ino;
        if (replaced && as_seen)
            fsdrv_node_move(replaced, NULL, NULL);
        if (moved && as_seen)
            fsdrv_node_move(moved, (struct fsdrv_node *)newdir, newname);
    }
    fsdrv_node_unref(replaced);
    fsdrv_node_unref(moved);
    fsdrv_at_release(&to);
    fsdrv_at_release(&from);
    return err;
}

/* unlinkat of `name` in `dir` (at `at`), keeping the quota and the node's name. */
static int unlink_at(struct fsdrv_export *exp, const struct fsdrv_at *at, int flags,
                     const struct fsdrv_node *dir)
{
    struct stat st;
    struct fsdrv_node *node = NULL;
    if (FSDRV_NOINTR(fstatat(at->dirfd, at->name, &st, AT_SYMLINK_NOFOLLOW)) == 0)
        node = node_named(exp, &st, dir, at->name);
    struct fsdrv_quota_victim v;
    fsdrv_quota_before_remove(exp, at->dirfd, at->name, &v);
    int err = exp->model->unlink(exp, at->dirfd, at->name, flags);
    fsdrv_quota_after_remove(exp, &v, !err, dir, at->name);
    if (!err && node)
        fsdrv_node_move(node, NULL, NULL);
    fsdrv_node_unref(node);
    return err;
}

int fsdrv_unlink(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                 const char *name, int flags)
{
    if (exp->cfg.readonly)
        return -EROFS;
    if (flags & ~AT_REMOVEDIR)
        return -EINVAL;
    int err = check_old_name(exp, name);
    if (err)
        return err;
    struct fsdrv_at at;
    err = fsdrv_at_child(exp, dir, name, &at);
    if (err)
        return err;
    err = unlink_at(exp, &at, flags, dir);
    fsdrv_at_release(&at);
    return err;
}

int fsdrv_remove(struct fsdrv_export *exp, const struct fsdrv_node *node)
{
    if (exp->cfg.readonly)
        return -EROFS;
    if (fsdrv_node_is_root(node))
        return -EBUSY;
    struct fsdrv_at at;
    int err = fsdrv_at_node(exp, node, &at);
    if (err)
        return err;
    struct stat st;
    if (FSDRV_NOINTR(fstatat(at.dirfd, at.name, &st, AT_SYMLINK_NOFOLLOW)) < 0)
        err = -errno;
    else
        err = unlink_at(exp, &at, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0, at.hold);
    fsdrv_at_release(&at);
    return err;
}
