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
#include <stdint.h>
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

struct fsdrv_meta_ops;

struct fsdrv_model_ops {
    const char *name;

    /* Host names the client never sees (readdir, walk) nor creates.  NULL: none. */
    bool (*name_hidden)(const char *name);
    /* xattr names the model keeps for itself: never listed, get/set/remove -EACCES. */
    bool (*xattr_reserved)(const char *name);
    /* readdir passes the host's d_type on; false reports DT_UNKNOWN. */
    bool host_dirent_type;
    /* The client's mode never reaches a host inode: set-id bits are kept as asked. */
    bool mode_in_metadata;
    /* A symlink's target is a host file's data: it takes space (quotas). */
    bool symlink_data;

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

    /* Where the mapped models keep the client's view (model-mapped.c); else NULL. */
    const struct fsdrv_meta_ops *meta;
};

extern const struct fsdrv_model_ops fsdrv_model_passthrough;
extern const struct fsdrv_model_ops fsdrv_model_none;
extern const struct fsdrv_model_ops fsdrv_model_mapped_xattr;
extern const struct fsdrv_model_ops fsdrv_model_mapped_file;

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

/*
 * The client's view of one object under a mapped model, as QEMU keeps it
 * (docs/security.md "The mapped models").  A field not in `has` is not
 * stored: the host's value shows through.  `mode` carries the type.
 */
enum {
    FSDRV_META_UID = 1 << 0,
    FSDRV_META_GID = 1 << 1,
    FSDRV_META_MODE = 1 << 2,
    FSDRV_META_RDEV = 1 << 3,
};
struct fsdrv_meta {
    unsigned has;
    uint32_t uid, gid, mode;
    uint64_t rdev;
};

/* One field (FSDRV_META_*) of `m`, widened; set marks it stored. */
uint64_t fsdrv_meta_get(const struct fsdrv_meta *m, unsigned bit);
void fsdrv_meta_set(struct fsdrv_meta *m, unsigned bit, uint64_t v);

struct fsdrv_meta_ops {
    /* What is stored for `obj` (nothing: has 0).  0 or -errno. */
    int (*load)(struct fsdrv_export *exp, const struct fsdrv_obj *obj, struct fsdrv_meta *m);
    /*
     * Stores the fields `m` has, keeping the others; `fresh`: `obj` was
     * just made, so whatever was stored under its name is stale.
     */
    int (*store)(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                 const struct fsdrv_meta *m, bool fresh);
};

/*
 * The hooks both mapped models share (model-mapped.c): host objects are
 * regular files and directories owned by the daemon, with QEMU's host
 * modes; the client's owner, mode, type and rdev go through exp->model->meta.
 */
int fsdrv_mapped_create(struct fsdrv_export *exp, int dirfd, const char *name,
                        int flags, mode_t mode, const struct fsdrv_cred *cred);
int fsdrv_mapped_mkdir(struct fsdrv_export *exp, int dirfd, const char *name,
                       mode_t mode, const struct fsdrv_cred *cred);
int fsdrv_mapped_symlink(struct fsdrv_export *exp, int dirfd, const char *name,
                         const char *target, const struct fsdrv_cred *cred);
int fsdrv_mapped_mknod(struct fsdrv_export *exp, int dirfd, const char *name,
                       mode_t mode, dev_t rdev, const struct fsdrv_cred *cred);
ssize_t fsdrv_mapped_readlink(struct fsdrv_export *exp, int dirfd, const char *name,
                              char *buf, size_t cap);
int fsdrv_mapped_chmod(struct fsdrv_export *exp, const struct fsdrv_obj *obj, mode_t mode);
int fsdrv_mapped_chown(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                       uid_t uid, gid_t gid);
void fsdrv_mapped_fixup_stat(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                             struct stat *st);
/* QEMU's mapped models reserve this prefix for themselves (and mapped ACLs). */
bool fsdrv_mapped_xattr_reserved(const char *name);

/* The hooks of a mapped model's struct fsdrv_model_ops that both share. */
#define FSDRV_MAPPED_HOOKS                                \
    .xattr_reserved = fsdrv_mapped_xattr_reserved,        \
    .mode_in_metadata = true,                             \
    .symlink_data = true,                                 \
    .create = fsdrv_mapped_create,                        \
    .mkdir = fsdrv_mapped_mkdir,                          \
    .symlink = fsdrv_mapped_symlink,                      \
    .mknod = fsdrv_mapped_mknod,                          \
    .readlink = fsdrv_mapped_readlink,                    \
    .chmod = fsdrv_mapped_chmod,                          \
    .chown = fsdrv_mapped_chown,                          \
    .fixup_stat = fsdrv_mapped_fixup_stat

#endif
