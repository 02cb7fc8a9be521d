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

/*
 * A node stands for one inode the client named (docs/design.md "Handles,
 * not paths").  Nodes the client reached by a walk or a create live in the
 * export's inode store, one per inode; fsdrv_child() makes nodes by name
 * alone, outside it.  `fd`, an O_PATH handle on the inode, is opened when
 * first needed and kept while the node lives, within the store's limit:
 * without one the node is found again by name beneath its nearest ancestor
 * that has one.  `parent` and `name` change when the client renames the
 * inode; `name` is NULL once the client removed that name.
 */
struct fsdrv_node {
    atomic_uint refs;
    struct fsdrv_store *store;  /* NULL: not in a store */
    atomic_int fd;              /* -1: none yet */
    bool is_root;               /* fd is the export's root_fd, never closed */
    bool has_id;                /* dev and ino are known (stored nodes) */
    dev_t dev;
    ino_t ino;
    pthread_mutex_t lock;       /* parent and name */
    struct fsdrv_node *parent;  /* a reference; NULL for the root */
    char *name;
};

/* The inode store (store.c): the nodes of one export by inode. */
struct fsdrv_store *fsdrv_store_new(unsigned max_handles, uint64_t max_bytes);
/* Drops the export's reference; the store goes with its last node. */
void fsdrv_store_release(struct fsdrv_store *store);
/*
 * The node for inode (st_dev, st_ino) of `st`, named `name` in `parent`:
 * the stored one if it holds a handle on the inode (then moved to this
 * name if the client reached it by another) or already has this name,
 * else a new one.  Returns a new reference, or NULL when the store's
 * memory limit is reached.
 */
struct fsdrv_node *fsdrv_store_get(struct fsdrv_store *store, struct fsdrv_node *parent,
                                   const char *name, const struct stat *st);
/* node.c: a new node for the store; store.c: takes a dying one out of it. */
struct fsdrv_node *fsdrv_node_new_stored(struct fsdrv_store *store, struct fsdrv_node *parent,
                                         const char *name, const struct stat *st);
void fsdrv_store_forget(struct fsdrv_node *node);
/* The stored node of an inode, a new reference, or NULL. */
struct fsdrv_node *fsdrv_store_find(struct fsdrv_store *store, dev_t dev, ino_t ino);
/*
 * Gives `node` the handle `fd` if it has none and the store has room: true
 * when the node took it (the caller must not close it).
 */
bool fsdrv_node_keep_handle(struct fsdrv_node *node, int fd);
/* Handles the store's nodes keep now, and the memory of its nodes. */
unsigned fsdrv_store_handles(const struct fsdrv_store *store);
uint64_t fsdrv_store_bytes(const struct fsdrv_store *store);
/* A node's ancestors are never more than this many: a bound on every walk up. */
#define FSDRV_MAX_DEPTH 65536
/* Renames a stored node (newname NULL: its name was removed); others stay. */
void fsdrv_node_move(struct fsdrv_node *node, struct fsdrv_node *newparent,
                     const char *newname);
/* Whether the node is `name` in `dir`. */
bool fsdrv_node_named(struct fsdrv_node *node, const struct fsdrv_node *dir,
                      const char *name);

struct fsdrv_export {
    int root_fd;                /* O_PATH|O_DIRECTORY */
    dev_t root_dev;
    ino_t root_ino;
    struct fsdrv_config cfg;
    const struct fsdrv_model_ops *model;
    bool use_openat2;
    struct fsdrv_node *root;
    struct fsdrv_store *store;
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
    bool in_memory;             /* ... on tmpfs or ramfs: no call waits for a disk */
    atomic_bool no_nowait;      /* RWF_NOWAIT said EOPNOTSUPP (ext4's buffered writes) */
    GMutex lock;                /* readdir position; space accounting of writes */
};

/* What `fd`'s file system may wait for (local.c): a peer, a disk, nothing. */
enum fsdrv_fs_kind { FSDRV_FS_REMOTE, FSDRV_FS_DISK, FSDRV_FS_MEMORY };
enum fsdrv_fs_kind fsdrv_fd_fs_kind(int fd);

/* The node of an export's root (export.c keeps one): its handle is `root_fd`. */
struct fsdrv_node *fsdrv_node_new_root(int root_fd);

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
