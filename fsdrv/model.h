/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Security models: where the client's view of a file (owner, mode, type)
 * lives on the host.
 *
 * passthrough and none keep it in the host inode itself.  QEMU's
 * mapped-xattr (user.virtfs.{uid,gid,mode,rdev} xattrs) and mapped-file
 * (.virtfs_metadata/<name> files, .virtfs_metadata_root for the root) keep
 * it beside host files owned by the daemon, and store symlinks and device
 * nodes as regular files.  Each of them plugs in here as one file: the ops
 * resolve names beneath the root, check names, readonly and quotas, and
 * then hand the model a directory fd and a single name.  A model never
 * resolves a path and never follows a symlink.
 *
 * Every hook returns 0 (or an fd, or a byte count) on success and -errno
 * on failure.  `cred` may be NULL: the object keeps the daemon's owner.
 */
#ifndef XEN9P_FSDRV_MODEL_H
#define XEN9P_FSDRV_MODEL_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "fsdrv/fsdrv.h"

/*
 * One existing object.  `fd` is an open fd of it (any access mode) or -1;
 * `dirfd`+`name` its place, or dirfd -1 when only the fd is known (an open
 * file, maybe unlinked).  `node` is always set, for models that need to
 * find metadata of an open file by its path.
 */
struct fsdrv_obj {
    const struct fsdrv_node *node;
    int fd;
    int dirfd;
    const char *name;
};

struct fsdrv_model_ops {
    const char *name;

    /* Host names the client never sees (readdir, walk) nor creates.  NULL: none. */
    bool (*name_hidden)(const char *name);
    /* xattr names the model keeps for itself: never listed, get/set/remove -EACCES. */
    bool (*xattr_reserved)(const char *name);
    /* readdir passes the host's d_type on; false reports DT_UNKNOWN. */
    bool host_dirent_type;

    /* Creates and opens a regular file (O_CREAT|O_EXCL|O_NOFOLLOW are in flags): an fd. */
    int (*create)(struct fsdrv_export *exp, int dirfd, const char *name,
                  int flags, mode_t mode, const struct fsdrv_cred *cred);
    int (*mkdir)(struct fsdrv_export *exp, int dirfd, const char *name,
                 mode_t mode, const struct fsdrv_cred *cred);
    int (*symlink)(struct fsdrv_export *exp, int dirfd, const char *name,
                   const char *target, const struct fsdrv_cred *cred);
    /* `mode` carries the type, already checked to be REG, FIFO, SOCK, CHR or BLK. */
    int (*mknod)(struct fsdrv_export *exp, int dirfd, const char *name,
                 mode_t mode, dev_t rdev, const struct fsdrv_cred *cred);
    /* Namespace changes: a model with side metadata moves it along. */
    int (*link)(struct fsdrv_export *exp, int olddirfd, const char *oldname,
                int newdirfd, const char *newname);
    int (*rename)(struct fsdrv_export *exp, int olddirfd, const char *oldname,
                  int newdirfd, const char *newname);
    int (*unlink)(struct fsdrv_export *exp, int dirfd, const char *name, int flags);
    ssize_t (*readlink)(struct fsdrv_export *exp, int dirfd, const char *name,
                        char *buf, size_t cap);

    /* setattr: permission bits (07777) and owner ((uid_t)-1: unchanged). */
    int (*chmod)(struct fsdrv_export *exp, const struct fsdrv_obj *obj, mode_t mode);
    int (*chown)(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                 uid_t uid, gid_t gid);
    /* Turns the host's lstat/fstat into the client's view.  NULL: as is. */
    void (*fixup_stat)(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                       struct stat *st);
};

extern const struct fsdrv_model_ops fsdrv_model_passthrough;
extern const struct fsdrv_model_ops fsdrv_model_none;

/* NULL for an unknown model. */
const struct fsdrv_model_ops *fsdrv_model_lookup(enum fsdrv_model model);

/*
 * The native calls (model-passthrough.c), shared by the models that keep
 * the client's view in the host inode.  With a `cred`, a failure to give
 * the object the requester's uid/gid fails the call (and removes what was
 * created); without, the object stays the daemon's.
 */
int fsdrv_native_create(int dirfd, const char *name, int flags, mode_t mode,
                        const struct fsdrv_cred *cred);
int fsdrv_native_mkdir(int dirfd, const char *name, mode_t mode,
                       const struct fsdrv_cred *cred);
int fsdrv_native_symlink(int dirfd, const char *name, const char *target,
                         const struct fsdrv_cred *cred);
int fsdrv_native_mknod(int dirfd, const char *name, mode_t mode, dev_t rdev,
                       const struct fsdrv_cred *cred);
int fsdrv_native_chown(const struct fsdrv_obj *obj, uid_t uid, gid_t gid);
int fsdrv_native_chmod(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                       mode_t mode);
int fsdrv_native_link(struct fsdrv_export *exp, int olddirfd, const char *oldname,
                      int newdirfd, const char *newname);
int fsdrv_native_rename(struct fsdrv_export *exp, int olddirfd, const char *oldname,
                        int newdirfd, const char *newname);
int fsdrv_native_unlink(struct fsdrv_export *exp, int dirfd, const char *name,
                        int flags);
ssize_t fsdrv_native_readlink(struct fsdrv_export *exp, int dirfd, const char *name,
                              char *buf, size_t cap);

#endif
