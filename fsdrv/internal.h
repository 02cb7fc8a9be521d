/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The structures behind the opaque types of fsdrv.h, private to fsdrv/. */
#ifndef XEN9P_FSDRV_INTERNAL_H
#define XEN9P_FSDRV_INTERNAL_H

#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fsdrv/fsdrv.h"
#include "fsdrv/fileid.h"
#include "fsdrv/model.h"
#include "fsdrv/resolve.h"
#include "fsdrv/retry.h"

struct fsdrv_quota;

struct fsdrv_node {
    atomic_uint refs;
    size_t len;                 /* strlen(path) */
    size_t name_off;            /* start of the last component */
    char path[];                /* "" for the root, else "a/b/c" */
};

struct fsdrv_export {
    int root_fd;                /* O_PATH|O_DIRECTORY */
    dev_t root_dev;
    ino_t root_ino;
    struct fsdrv_config cfg;
    const struct fsdrv_model_ops *model;
    bool use_openat2;
    struct fsdrv_node *root;
    atomic_uint_fast64_t open_files;
    struct fsdrv_ids ids;
    struct fsdrv_quota *quota;  /* NULL: neither max_files nor max_space */
    bool local;                 /* the root's file system is a local one (local.c) */
};

struct fsdrv_file {
    struct fsdrv_export *exp;
    int fd;
    int flags;                  /* as opened */
    mode_t type;                /* S_IFMT bits */
    dev_t dev;
    ino_t ino;
    bool is_root;
    bool counted;               /* in the quota's set of open files */
    atomic_int fifo_stash;      /* a FIFO's byte read at open (ops_open.c), or -1 */
    atomic_bool stream;         /* no offsets (pread said ESPIPE): read and written as a FIFO */
    bool local;                 /* a regular file or directory on a local file system */
    GMutex lock;                /* readdir position; space accounting of writes */
};

/* Whether `fd` lies on a file system that only waits for its disk (local.c). */
bool fsdrv_fd_on_local_fs(int fd);

/* The node of an export's root (export.c keeps one). */
struct fsdrv_node *fsdrv_node_new_root(void);

/*
 * 0, -EINVAL (empty, '/', ".", ".." unless allowed) or -ENAMETOOLONG.
 * The errno a client gets for a bad name.
 */
int fsdrv_name_check(const char *name, bool allow_dotdot);

/* A model hides this name from the client. */
static inline bool fsdrv_name_hidden(const struct fsdrv_export *exp, const char *name)
{
    return exp->model->name_hidden && exp->model->name_hidden(name);
}

/*
 * The permission bits of a client's mode that reach the host: set-id bits
 * only when the export allows them (docs/security.md "What a guest may do
 * to the export"), so a guest cannot plant a setuid-root program.  Under
 * the mapped models the mode is only metadata: the bits stay as asked.
 */
static inline mode_t fsdrv_client_perm(const struct fsdrv_export *exp, mode_t mode)
{
    return mode & (exp->cfg.allow_setid || exp->model->mode_in_metadata ? 07777 : 01777);
}

/* lstat of the object at `at`, in the client's view. */
int fsdrv_stat_at(struct fsdrv_export *exp, const struct fsdrv_node *node,
                  const struct fsdrv_at *at, struct stat *st);

/*
 * Open flags a client may pass on; the rest are dropped.  O_DIRECT is
 * dropped too (as QEMU does): it would make every read and write into the
 * server's unaligned buffers fail with EINVAL.
 */
#define FSDRV_OPEN_FLAGS_ALLOWED (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | \
                                  O_SYNC | O_LARGEFILE | O_DIRECTORY | O_NOATIME | \
                                  O_TRUNC)

#endif
