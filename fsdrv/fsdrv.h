/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fsdrv: the file operations of one export, beneath its root directory.
 *
 * Knows POSIX *at() calls, security models and quotas; knows nothing of 9P,
 * of fids or of Xen.  Every function returns 0 (or a byte count) on success
 * and a negative errno on failure; none of them sets errno for the caller.
 *
 * Paths never escape the export: every name is resolved beneath the root fd,
 * or beneath the handle of a directory reached that way (docs/design.md
 * "Handles, not paths"), without following symlinks (openat2
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS, or a per-component O_NOFOLLOW walk
 * where the kernel lacks openat2).
 * Host device nodes are never opened.
 *
 * Thread safety: an export and its nodes may be used from many threads at
 * once.  A struct fsdrv_file may be used by several threads at once for
 * pread/pwrite/fsync/lock; readdir on one file is serialised internally.
 *
 * Created objects get exactly the mode asked for (the client already
 * applied its own umask): the process umask does not reduce it, but the
 * set-id bits are dropped unless the export allows them.  A NULL `cred`,
 * and the none model whatever `cred` says, leave a created object owned by
 * the daemon.
 *
 * What a guest may do to the host through its export is limited whatever
 * the model (docs/security.md "What a guest may do to the export"): only
 * user.* extended attributes (and POSIX ACLs with allow_acl), no set-id
 * bits (without allow_setid), no device nodes (without allow_devices), and
 * the export root's mode, owner and ACLs stay the administrator's.
 */
#ifndef XEN9P_FSDRV_H
#define XEN9P_FSDRV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <fcntl.h>
#include <limits.h>
#include <time.h>

struct fsdrv_export;
struct fsdrv_node;
struct fsdrv_file;

enum fsdrv_model {
    FSDRV_MODEL_NONE,           /* as passthrough, but owners stay the daemon's */
    FSDRV_MODEL_PASSTHROUGH,    /* files carry the client's uid/gid and mode */
    FSDRV_MODEL_MAPPED_XATTR,   /* QEMU's mapped-xattr: the client's view in user.virtfs.* */
    FSDRV_MODEL_MAPPED_FILE,    /* QEMU's mapped-file: the client's view in .virtfs_metadata */
};

/* The mapped models keep the client's view beside host files the server
 * owns: they need no privilege (docs/security.md "The mapped models"). */
static inline bool fsdrv_model_is_mapped(enum fsdrv_model model)
{
    return model == FSDRV_MODEL_MAPPED_XATTR || model == FSDRV_MODEL_MAPPED_FILE;
}

struct fsdrv_config {
    enum fsdrv_model model;
    bool readonly;              /* every modification fails with -EROFS */
    bool no_openat2;            /* force the per-component walk (kernels < 5.6 take it anyway) */
    /* Quotas, 0 = unlimited (the xenstore keys of xen-9pfsd). */
    uint64_t max_files;         /* files that may exist beneath the root */
    uint64_t max_open_files;    /* struct fsdrv_file open at once */
    uint64_t max_space;         /* bytes the export may occupy */
    bool auto_delete;           /* make room by deleting the oldest closed files */
    /* Opt-ins, all off by default (docs/security.md "What a guest may do to the export"). */
    bool allow_acl;             /* system.posix_acl_{access,default} besides user.* xattrs */
    bool allow_setid;           /* S_ISUID and S_ISGID reach the host */
    bool allow_devices;         /* character and block device nodes may be made */
    unsigned max_handles;       /* O_PATH handles the inode store keeps; 0: see below */
    uint64_t max_node_bytes;    /* memory of the client's nodes; 0: FSDRV_MAX_NODE_BYTES */
};

/* What the nodes a client holds may take of dom0's memory, per export:
 * past it walks and creates fail with -ENOMEM (docs/design.md "Limits"). */
#define FSDRV_MAX_NODE_BYTES (16u << 20)

/*
 * At most this many descriptors an export keeps as handles on the inodes
 * its client holds (docs/design.md "Handles, not paths"): by default half
 * of those RLIMIT_NOFILE leaves beyond max_open_files.  Past the limit,
 * nodes are found by name.
 */
#define FSDRV_MAX_HANDLES 1024

/* The requester's identity, for ownership of what it creates. */
struct fsdrv_cred {
    uid_t uid;
    gid_t gid;
};

/*
 * Cancellation of a call that can block for ever: a FIFO's open, read or
 * write (the only ones beneath an export of local file systems).  Such
 * calls run non-blocking and wait in poll() on the file and on an eventfd
 * that fsdrv_cancel_request() signals; the waiter makes the eventfd only
 * when it has to wait, so an idle request holds no descriptor.  No signals:
 * a confined worker has none to spare (docs/design.md "Tflush and cancelled
 * requests").  A cancelled call returns -EINTR.  NULL means "not
 * cancellable".
 */
struct fsdrv_cancel {
    atomic_bool requested;
    pthread_mutex_t lock;       /* wake_fd: the waiter's eventfd, or -1 */
    int wake_fd;
    /* Told when the call starts (true) and stops (false) waiting, so the
     * server can let another thread run meanwhile; may be NULL. */
    void (*on_wait)(void *ctx, bool waiting);
    void *wait_ctx;
};
void fsdrv_cancel_init(struct fsdrv_cancel *c);
void fsdrv_cancel_destroy(struct fsdrv_cancel *c);
/* Marks the call cancelled and wakes it if it waits. */
void fsdrv_cancel_request(struct fsdrv_cancel *c);

/* ---- export ---------------------------------------------------------- */

/* Opens `dir` (absolute, must be a directory) as an export. */
int fsdrv_export_open(const char *dir, const struct fsdrv_config *cfg,
                      struct fsdrv_export **out);
/* Every file must be closed first; nodes do not refer to the export. */
void fsdrv_export_close(struct fsdrv_export *exp);
const struct fsdrv_config *fsdrv_export_config(const struct fsdrv_export *exp);
/* Whether names are resolved with openat2 (else the per-component walk). */
bool fsdrv_export_uses_openat2(const struct fsdrv_export *exp);

/*
 * A 64-bit identity unique across every host filesystem mounted beneath the
 * export (device + inode remapped), stable for the export's lifetime.
 */
uint64_t fsdrv_file_id(struct fsdrv_export *exp, dev_t dev, ino_t ino);
/*
 * Changes whenever the file's data or size changes (mtime and size), and
 * only then: Linux compares qid.version to tell inodes apart with
 * cache=loose, so a change of ctime alone (link, chmod) must not move it.
 */
uint32_t fsdrv_file_version(const struct stat *st);

/* Counters for the administration tools. */
struct fsdrv_usage {
    uint64_t open_files;
    uint64_t handles;           /* O_PATH handles kept on the client's inodes */
    uint64_t node_bytes;        /* memory of the nodes the client holds */
    uint64_t files;             /* only tracked when a file quota is set */
    uint64_t space;             /* only tracked when a space quota is set */
    bool counting;              /* the count made when the export opened is not done yet */
};
void fsdrv_export_usage(struct fsdrv_export *exp, struct fsdrv_usage *out);

/* ---- nodes: an inode the client named, not an open file ------------- */

/*
 * Nodes are reference counted and shared: a walk or a create returns the
 * export's one node for the inode it reached (docs/design.md "Handles, not
 * paths").  A node keeps its place when the host renames the inode or a
 * directory above it; a rename by the client moves it; a removal of its
 * name leaves it unnamed (its handle, if it has one, still works for
 * getattr and open).
 */
struct fsdrv_node *fsdrv_root(struct fsdrv_export *exp);
struct fsdrv_node *fsdrv_node_ref(struct fsdrv_node *node);
void fsdrv_node_unref(struct fsdrv_node *node);
bool fsdrv_node_is_root(const struct fsdrv_node *node);

/*
 * Checks that `name` is one path component a client may use: not empty, no
 * '/', not "." and (unless allow_dotdot) not "..", no NUL, at most NAME_MAX.
 */
bool fsdrv_name_valid(const char *name, bool allow_dotdot);

/* The directory holding `node` (the root's is the root). */
struct fsdrv_node *fsdrv_node_parent(const struct fsdrv_node *node);
/* Its last component: "." for the root, "" once its name was removed. */
void fsdrv_node_name(const struct fsdrv_node *node, char buf[NAME_MAX + 1]);
/* Its path from the root ("" for the root), g_free; NULL once unnamed. */
char *fsdrv_node_path(const struct fsdrv_node *node);

/*
 * A node for `name` inside `dir` made without touching the filesystem and
 * outside the inode store: it is found by name whenever it is used.
 * `name` must satisfy fsdrv_name_valid(name, false); else NULL.
 */
struct fsdrv_node *fsdrv_child(const struct fsdrv_node *dir, const char *name);

/*
 * One step of a walk: ".." of the root is the root.  The result is
 * lstat()ed (a symlink is returned as itself, never followed) and must
 * exist.  -ENOTDIR when `dir` is not a directory.
 */
int fsdrv_walk(struct fsdrv_export *exp, const struct fsdrv_node *dir,
               const char *name, struct fsdrv_node **out, struct stat *st);

/* lstat of the node, or fstat of `file` when not NULL. */
int fsdrv_getattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                  struct fsdrv_file *file, struct stat *st);

enum {
    FSDRV_SET_MODE      = 1 << 0,
    FSDRV_SET_UID       = 1 << 1,
    FSDRV_SET_GID       = 1 << 2,
    FSDRV_SET_SIZE      = 1 << 3,
    FSDRV_SET_ATIME     = 1 << 4,  /* to the current time ... */
    FSDRV_SET_MTIME     = 1 << 5,
    FSDRV_SET_ATIME_SET = 1 << 6,  /* ... or to the given time */
    FSDRV_SET_MTIME_SET = 1 << 7,
    FSDRV_SET_CTIME     = 1 << 8,  /* touch ctime only */
};
struct fsdrv_setattr {
    unsigned valid;
    mode_t mode;                /* permission bits (07777) only */
    uid_t uid;
    gid_t gid;
    off_t size;
    struct timespec atime, mtime;
};
/*
 * Uses `file` (ftruncate, fchmod...) when not NULL: works after unlink.
 * The root's mode and owner are the administrator's: a change of them is
 * -EPERM (asking for what they already are succeeds).  Under the none
 * model an owner change is ignored.
 */
int fsdrv_setattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                  struct fsdrv_file *file, const struct fsdrv_setattr *sa);

/* ---- open files ------------------------------------------------------ */

/*
 * Opens an existing node.  `flags` are host O_* flags; O_CREAT, O_EXCL,
 * O_NOCTTY and O_ASYNC are ignored, O_NOFOLLOW|O_CLOEXEC are added.
 * Device nodes: -ENXIO (never opened).  Sockets: -ENXIO.  A FIFO open may
 * block until a peer opens it: cancellable.
 */
int fsdrv_open(struct fsdrv_export *exp, const struct fsdrv_node *node, int flags,
               struct fsdrv_cancel *cancel, struct fsdrv_file **out);
/* Creates `name` in `dir` (O_CREAT|O_EXCL implied) and opens it. */
int fsdrv_create(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                 const char *name, int flags, mode_t mode,
                 const struct fsdrv_cred *cred, struct fsdrv_node **node_out,
                 struct fsdrv_file **file_out, struct stat *st);
void fsdrv_close(struct fsdrv_file *file);
bool fsdrv_file_is_dir(const struct fsdrv_file *file);

/* ---- handing the state to another process (a worker upgrade) --------- */

/* The node's handle (O_PATH) duplicated, or -1 when it has none. */
int fsdrv_node_dup_handle(const struct fsdrv_node *node);
/*
 * The node another process had: `path` (its fsdrv_node_path, NULL once
 * unnamed) walked from the root; when that fails or names another inode
 * than `handle` (its dup_handle, may be -1; without one, a handle on what
 * `file` is open on, if given), the handle's inode with no name, as a node
 * whose name was removed.  Takes `handle`.  -ENOENT: neither.
 */
int fsdrv_node_restore(struct fsdrv_export *exp, const char *path, int handle,
                       const struct fsdrv_file *file, struct fsdrv_node **out);
/* What another process needs of an open file (fd is the file's own). */
struct fsdrv_file_state {
    int fd;
    int flags;
    int fifo_stash;             /* a FIFO's byte read at open, or -1 */
    bool stream;
};
void fsdrv_file_save(const struct fsdrv_file *file, struct fsdrv_file_state *out);
/* The open file again from its descriptor (taken, closed on failure). */
int fsdrv_file_restore(struct fsdrv_export *exp, const struct fsdrv_file_state *state,
                       struct fsdrv_file **out);

/*
 * Whether calls only wait for a local disk, never for a peer (a FIFO's other
 * end, a network or FUSE server): a read or write of this file (a regular
 * file or directory on a local file system), or a call on the export's names
 * (walk, getattr, mkdir, ...).  Such calls may run on a transport's own thread
 * (docs/design.md "Concurrency").  A file system mounted inside the export
 * is judged by the export's root for name calls.
 */
bool fsdrv_file_is_local(const struct fsdrv_file *file);
bool fsdrv_export_is_local(const struct fsdrv_export *exp);

ssize_t fsdrv_pread(struct fsdrv_file *file, void *buf, size_t count, off_t offset,
                    struct fsdrv_cancel *cancel);
ssize_t fsdrv_pwrite(struct fsdrv_file *file, const void *buf, size_t count,
                     off_t offset, struct fsdrv_cancel *cancel);
/*
 * fsdrv_pread and fsdrv_pwrite, into or from pieces, for a transport's own
 * thread, which must never wait for a disk (docs/design.md "A full request
 * ring"): the call is made with RWF_NOWAIT (a file on tmpfs or ramfs, with no
 * disk, plainly).  -EAGAIN when it would have waited (data not cached,
 * writeback throttled, a lock taken, a file opened for synchronous writes) or
 * the file system cannot say (ext4's buffered writes): the caller then hands
 * the request to a worker thread, which calls fsdrv_pread or fsdrv_pwrite.
 * A read returns the whole count or stops at the end of the file, never a
 * cached prefix; a write may return a prefix, the rest is the caller's.
 */
ssize_t fsdrv_try_preadv(struct fsdrv_file *file, const struct iovec *iov, int n, off_t offset);
ssize_t fsdrv_try_pwritev(struct fsdrv_file *file, const struct iovec *iov, int n, off_t offset);
int fsdrv_fsync(struct fsdrv_file *file, bool datasync);
/*
 * fallocate(2) of a regular file, within the space quota: `mode` 0,
 * FALLOC_FL_KEEP_SIZE, FALLOC_FL_ZERO_RANGE (with or without KEEP_SIZE) or
 * FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE; others -EOPNOTSUPP.
 */
int fsdrv_fallocate(struct fsdrv_file *file, int mode, off_t offset, off_t len);

/*
 * POSIX record locks owned by the open file (F_OFD_SETLK / F_OFD_GETLK):
 * `cmd` is F_SETLK or F_GETLK, never blocking.  -EAGAIN on conflict.
 */
int fsdrv_lock(struct fsdrv_file *file, int cmd, struct flock *fl);

/*
 * Reads directory entries starting at `offset` (0, or a `next` value
 * returned earlier).  For each entry calls emit(); when emit() returns
 * false the entry was not taken and reading stops: the next call with the
 * last accepted entry's `next` returns it again.  Returns the number of
 * entries accepted, or -errno.  "." and ".." are included; ".." of the
 * root reports the root's own inode.
 */
struct fsdrv_dirent {
    const char *name;
    uint64_t ino;               /* host inode (use fsdrv_file_id with dir_dev) */
    dev_t dir_dev;
    unsigned char type;         /* DT_* */
    uint64_t next;              /* offset of the entry after this one */
};
typedef bool (*fsdrv_dirent_fn)(const struct fsdrv_dirent *ent, void *opaque);
int fsdrv_readdir(struct fsdrv_export *exp, struct fsdrv_file *dir, uint64_t offset,
                  fsdrv_dirent_fn emit, void *opaque);

/* ---- namespace operations -------------------------------------------- */

int fsdrv_mkdir(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                const char *name, mode_t mode, const struct fsdrv_cred *cred,
                struct stat *st);
int fsdrv_symlink(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                  const char *name, const char *target,
                  const struct fsdrv_cred *cred, struct stat *st);
/*
 * `mode` carries the type (S_IFIFO, S_IFSOCK, S_IFREG, S_IFCHR, S_IFBLK);
 * S_IFCHR and S_IFBLK only with allow_devices (or under a mapped model,
 * where they are metadata), else -EPERM.
 */
int fsdrv_mknod(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                const char *name, mode_t mode, dev_t rdev,
                const struct fsdrv_cred *cred, struct stat *st);
/* Hard link: `target` gets the new name `name` in `dir`. */
int fsdrv_link(struct fsdrv_export *exp, const struct fsdrv_node *target,
               const struct fsdrv_node *dir, const char *name);
/* Copies at most `cap` bytes of the target (not NUL terminated). */
ssize_t fsdrv_readlink(struct fsdrv_export *exp, const struct fsdrv_node *node,
                       char *buf, size_t cap);
int fsdrv_rename(struct fsdrv_export *exp, const struct fsdrv_node *olddir,
                 const char *oldname, const struct fsdrv_node *newdir,
                 const char *newname);
/* `flags`: 0 or AT_REMOVEDIR. */
int fsdrv_unlink(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                 const char *name, int flags);
/* Unlinks the node itself (rmdir for a directory); the root: -EBUSY. */
int fsdrv_remove(struct fsdrv_export *exp, const struct fsdrv_node *node);
int fsdrv_statfs(struct fsdrv_export *exp, const struct fsdrv_node *node,
                 struct statfs *st);

/* ---- extended attributes (never following a symlink) ----------------- */

/*
 * Whether a client may read (`change` false) or set and remove an
 * attribute: 0, -EOPNOTSUPP for a name outside user.* (and the POSIX ACLs
 * with allow_acl), -EPERM for an ACL change on the root, -EACCES for a name
 * the model keeps, -EINVAL for an empty one.  Every call below applies it;
 * a server may ask first to refuse early.  Names a client may not read are
 * left out of fsdrv_listxattr's list.
 */
int fsdrv_xattr_check(const struct fsdrv_export *exp, const struct fsdrv_node *node,
                      const char *name, bool change);

/* cap 0: returns the size only.  -ERANGE when cap is too small. */
ssize_t fsdrv_getxattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                       const char *name, void *buf, size_t cap);
ssize_t fsdrv_listxattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                        char *buf, size_t cap);
/* `flags`: 0, XATTR_CREATE or XATTR_REPLACE. */
int fsdrv_setxattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                   const char *name, const void *value, size_t size, int flags);
int fsdrv_removexattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                      const char *name);

#endif
