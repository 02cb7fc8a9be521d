// SPDX-License-Identifier: GPL-2.0-or-later
/* Opening, creating and closing files. */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/quota.h"

static bool writes(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || flags & O_TRUNC;
}

static struct fsdrv_file *file_new(struct fsdrv_export *exp, int fd, int flags,
                                   const struct stat *st, bool is_root)
{
    struct fsdrv_file *file = g_new0(struct fsdrv_file, 1);
    file->exp = exp;
    file->fd = fd;
    file->flags = flags;
    file->type = st->st_mode & S_IFMT;
    file->dev = st->st_dev;
    file->ino = st->st_ino;
    file->is_root = is_root;
    g_mutex_init(&file->lock);
    atomic_init(&file->fifo_stash, -1);
    atomic_init(&file->stream, false);
    if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
        enum fsdrv_fs_kind kind = fsdrv_fd_fs_kind(fd);
        file->local = kind != FSDRV_FS_REMOTE;
        file->in_memory = kind == FSDRV_FS_MEMORY;
    }
    atomic_init(&file->no_nowait, false);
    /* Auto-delete spares open files; an unlinked one keeps its space until closed. */
    if (S_ISREG(st->st_mode)) {
        fsdrv_quota_file_opened(file);
        file->counted = true;
    }
    return file;
}

/* The longest pause between two tries to open a FIFO for writing. */
#define FIFO_RETRY_MAX_MS 100

/*
 * A FIFO is opened non-blocking (struct fsdrv_cancel: a flush must be able
 * to end the wait), and waits here as a blocking open waits for its peer,
 * unless the guest asked for O_NONBLOCK: for writing until a reader is
 * there (ENXIO meanwhile), for reading until a writer is.  The kernel tells
 * a reader whether a writer is there only through a read (EAGAIN: yes, 0:
 * no), so a byte that read takes is kept for the file's first read
 * (`*stash`, else -1).  Neither wait can be woken by the peer's open: it
 * tries again, 1 ms after the first try and at most every 100 ms.
 */
static int open_fifo(const char *proc, int flags, struct fsdrv_cancel *cancel, int *stash)
{
    int mode = flags & O_ACCMODE, delay_ms = 1;
    bool wait = !(flags & O_NONBLOCK) && mode != O_RDWR;
    *stash = -1;
    for (;;) {
        int fd = FSDRV_NOINTR(open(proc, flags | O_NONBLOCK | O_CLOEXEC));
        bool peer = true;
        if (fd < 0 && errno == ENXIO && mode == O_WRONLY && wait) {
            peer = false;
        } else if (fd < 0) {
            return -errno;
        } else if (wait && mode == O_RDONLY) {
            unsigned char byte;
            ssize_t n = FSDRV_NOINTR(read(fd, &byte, 1));
            if (n == 1)
                *stash = byte;
            else if (n < 0 && errno != EAGAIN) {
                int err = -errno;
                close(fd);
                return err;
            }
            peer = n != 0;
            if (!peer)
                close(fd);      /* a fresh open on the next try */
        }
        if (peer)
            return fd;
        int err = fsdrv_wait(cancel, -1, 0, delay_ms);
        if (err)
            return err;
        delay_ms = MIN(delay_ms * 2, FIFO_RETRY_MAX_MS);
    }
}

/*
 * Reopens the inode `pfd` (O_PATH) holds with the client's flags.  The
 * magic link cannot be swapped for something else, unlike the name.
 */
static int reopen(int pfd, mode_t type, int flags, struct fsdrv_cancel *cancel, int *stash)
{
    char proc[FSDRV_PROC_PATH_MAX];
    fsdrv_proc_path(proc, pfd, NULL);
    if (S_ISFIFO(type))
        return open_fifo(proc, flags, cancel, stash);
    int fd = FSDRV_NOINTR(open(proc, flags | O_CLOEXEC));
    /* O_NOATIME is a hint, refused for files the daemon does not own. */
    if (fd < 0 && errno == EPERM && flags & O_NOATIME)
        fd = FSDRV_NOINTR(open(proc, (flags & ~O_NOATIME) | O_CLOEXEC));
    return fd < 0 ? -errno : fd;
}

int fsdrv_open(struct fsdrv_export *exp, const struct fsdrv_node *node, int flags,
               struct fsdrv_cancel *cancel, struct fsdrv_file **out)
{
    flags &= FSDRV_OPEN_FLAGS_ALLOWED;
    if (exp->cfg.readonly && writes(flags))
        return -EROFS;
    if (fsdrv_cancelled(cancel))
        return -EINTR;

    /* The node's handle, else its name: the descriptor opened then stays
     * with the node as its handle when it still names the node's inode. */
    struct fsdrv_node *n = (struct fsdrv_node *)node;
    int pfd = atomic_load(&n->fd);
    bool owned = false;
    int err = 0;
    if (pfd < 0) {
        struct fsdrv_at at;
        err = fsdrv_at_node(exp, node, &at);
        if (!err) {
            err = fsdrv_at_object(&at, &pfd, &owned);
            fsdrv_at_release(&at);
        }
        if (err)
            return err;
    }

    struct stat st;
    int fd = -1;
    if (FSDRV_NOINTR(fstat(pfd, &st)) < 0)
        err = -errno;
    else if (S_ISLNK(st.st_mode))
        err = -ELOOP;
    else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode))
        err = -ENXIO;           /* host devices are never opened */
    else if (flags & O_DIRECTORY && !S_ISDIR(st.st_mode))
        err = -ENOTDIR;
    else
        err = fsdrv_quota_open_slot(exp);
    if (!err && owned && n->has_id && st.st_dev == n->dev && st.st_ino == n->ino &&
        fsdrv_node_keep_handle(n, pfd))
        owned = false;
    if (err) {
        if (owned)
            close(pfd);
        return err;
    }

    int stash = -1;
    bool truncates = flags & O_TRUNC && S_ISREG(st.st_mode);
    if (truncates)
        fsdrv_quota_wait_count(exp);
    fd = reopen(pfd, st.st_mode & S_IFMT, flags, cancel, &stash);
    if (owned)
        close(pfd);
    if (fd < 0) {
        fsdrv_quota_close_slot(exp);
        return fd;
    }
    if (truncates)
        fsdrv_quota_settle(exp, fd, &st, 0);
    *out = file_new(exp, fd, flags, &st, fsdrv_node_is_root(node));
    atomic_store(&(*out)->fifo_stash, stash);
    return 0;
}

int fsdrv_create(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                 const char *name, int flags, mode_t mode,
                 const struct fsdrv_cred *cred, struct fsdrv_node **node_out,
                 struct fsdrv_file **file_out, struct stat *st)
{
    if (exp->cfg.readonly)
        return -EROFS;
    int err = fsdrv_name_check(name, false);
    if (err)
        return err;
    if (fsdrv_name_hidden(exp, name))
        return -EINVAL;
    flags = (flags & FSDRV_OPEN_FLAGS_ALLOWED & ~O_DIRECTORY) |
            O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

    err = fsdrv_quota_open_slot(exp);
    if (err)
        return err;
    err = fsdrv_quota_reserve_file(exp);
    if (err) {
        fsdrv_quota_close_slot(exp);
        return err;
    }

    struct fsdrv_node *node = NULL;
    struct fsdrv_at at = { .dirfd = -1 };
    struct stat host;
    int fd = -1;
    err = fsdrv_at_child(exp, dir, name, &at);
    if (!err) {
        fd = exp->model->create(exp, at.dirfd, name, flags, fsdrv_client_perm(exp, mode),
                                cred);
        if (fd < 0)
            err = fd;
        else if (FSDRV_NOINTR(fstat(fd, &host)) < 0) {
            err = -errno;
            close(fd);
            unlinkat(at.dirfd, name, 0);
        }
    }
    if (!err && !(node = fsdrv_store_get(exp->store, (struct fsdrv_node *)dir, name, &host))) {
        err = -ENOMEM;          /* the client holds too many nodes: nothing made */
        close(fd);
        unlinkat(at.dirfd, name, 0);
    }
    if (!err)
        fsdrv_quota_named(exp, dir, name, at.dirfd);
    if (!err && st) {
        *st = host;
        if (exp->model->fixup_stat) {
            struct fsdrv_obj obj = { node, fd, at.dirfd, name };
            exp->model->fixup_stat(exp, &obj, st);
        }
    }
    fsdrv_at_release(&at);
    if (err) {
        fsdrv_node_unref(node);
        fsdrv_quota_release_file(exp);
        fsdrv_quota_close_slot(exp);
        return err;
    }

    struct fsdrv_file *file = file_new(exp, fd, flags & ~(O_CREAT | O_EXCL), &host, false);
    if (file_out)
        *file_out = file;
    else
        fsdrv_close(file);
    if (node_out)
        *node_out = node;
    else
        fsdrv_node_unref(node);
    return 0;
}

void fsdrv_close(struct fsdrv_file *file)
{
    if (!file)
        return;
    if (file->counted)
        fsdrv_quota_file_closed(file);
    close(file->fd);
    fsdrv_quota_close_slot(file->exp);
    g_mutex_clear(&file->lock);
    g_free(file);
}

int fsdrv_file_restore(struct fsdrv_export *exp, const struct fsdrv_file_state *state,
                       struct fsdrv_file **out)
{
    struct stat st;
    int err = FSDRV_NOINTR(fstat(state->fd, &st)) < 0 ? -errno : 0;
    /* Only what fsdrv_open and fsdrv_create make. */
    if (!err && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISFIFO(st.st_mode))
        err = -EINVAL;
    if (!err)
        err = fsdrv_quota_open_slot(exp);
    if (err) {
        close(state->fd);
        return err;
    }
    bool is_root = st.st_dev == exp->root_dev && st.st_ino == exp->root_ino;
    *out = file_new(exp, state->fd, state->flags & FSDRV_OPEN_FLAGS_ALLOWED, &st, is_root);
    atomic_store(&(*out)->fifo_stash, state->fifo_stash >= 0 ? state->fifo_stash & 0xff : -1);
    atomic_store(&(*out)->stream, state->stream);
    return 0;
}

bool fsdrv_file_is_dir(const struct fsdrv_file *file)
{
    return S_ISDIR(file->type);
}
