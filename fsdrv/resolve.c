// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Beneath-resolution.  Where the kernel has openat2 (5.6+), one call with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS opens a
 * directory of the export; elsewhere (or with cfg.no_openat2) a walk opens
 * one component at a time with O_PATH|O_NOFOLLOW|O_DIRECTORY, so a symlink
 * anywhere in the path fails with ENOTDIR instead of being followed.
 * Node paths never contain "." or ".." (nodes are built from checked
 * names), so neither form can climb out of the root.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#if HAVE_LINUX_OPENAT2_H && HAVE_DECL_SYS_OPENAT2
#include <linux/openat2.h>
#define FSDRV_HAVE_OPENAT2 1
#else
#define FSDRV_HAVE_OPENAT2 0
#endif

#include "fsdrv/internal.h"

#define DIR_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

#if FSDRV_HAVE_OPENAT2
static int openat2_beneath(int rootfd, const char *path)
{
    struct open_how how = {
        .flags = DIR_FLAGS,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    return FSDRV_NOINTR((int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how)));
}

/* 1: the kernel has openat2; -1: it has not; 0: not probed yet. */
static atomic_int openat2_state;

static bool openat2_works(int rootfd)
{
    int state = atomic_load(&openat2_state);
    if (state == 0) {
        int fd = openat2_beneath(rootfd, ".");
        state = (fd < 0 && (errno == ENOSYS || errno == E2BIG)) ? -1 : 1;
        if (fd >= 0)
            close(fd);
        atomic_store(&openat2_state, state);
    }
    return state > 0;
}
#endif

void fsdrv_resolve_init(struct fsdrv_export *exp)
{
#if FSDRV_HAVE_OPENAT2
    exp->use_openat2 = !exp->cfg.no_openat2 && openat2_works(exp->root_fd);
#else
    exp->use_openat2 = false;
#endif
}

/* One O_NOFOLLOW directory open per component, from `base`. */
static int walk_beneath(int base, const char *path, size_t len)
{
    const char *p = path, *end = path + len;
    int cur = base;

    while (p < end) {
        const char *slash = memchr(p, '/', (size_t)(end - p));
        size_t n = (size_t)((slash ? slash : end) - p);
        char comp[NAME_MAX + 1];
        int err = 0;

        if (n == 0 || n > NAME_MAX)
            err = n ? -ENAMETOOLONG : -EINVAL;
        else {
            memcpy(comp, p, n);
            comp[n] = '\0';
            if (!strcmp(comp, ".") || !strcmp(comp, ".."))
                err = -EINVAL;
        }
        int next = -1;
        if (!err) {
            next = FSDRV_NOINTR(openat(cur, comp, DIR_FLAGS));
            if (next < 0)
                err = -errno;
        }
        if (cur != base)
            close(cur);
        if (err)
            return err;
        cur = next;
        p = slash ? slash + 1 : end;
    }
    return cur;
}

/* Opens the directory `path` (not empty) beneath `base`: a new fd or -errno. */
static int open_dir_beneath(struct fsdrv_export *exp, int base, const char *path, size_t len)
{
#if FSDRV_HAVE_OPENAT2
    if (exp->use_openat2 && len < PATH_MAX) {
        char buf[PATH_MAX];
        memcpy(buf, path, len);
        buf[len] = '\0';
        /* EAGAIN: a concurrent rename made the kernel unsure; try again. */
        for (int tries = 0; tries < 8; tries++) {
            int r = openat2_beneath(base, buf);
            if (r >= 0)
                return r;
            if (errno != EAGAIN)
                return -errno;
        }
        /* Still unsure: the walk below gives a definite answer. */
    }
#else
    (void)exp;
#endif
    int r = walk_beneath(base, path, len);
    if (r == base)              /* cannot happen: len > 0 */
        return -EINVAL;
    return r;
}

int fsdrv_resolve_dir(struct fsdrv_export *exp, const char *path, size_t len,
                      int *fd, bool *owned)
{
    if (len == 0) {
        *fd = exp->root_fd;
        *owned = false;
        return 0;
    }
    int r = open_dir_beneath(exp, exp->root_fd, path, len);
    if (r < 0)
        return r;
    *fd = r;
    *owned = true;
    return 0;
}

/*
 * An O_PATH descriptor of the directory `dir`: its handle, else one opened
 * by name beneath its nearest ancestor with a handle (the root always has
 * one), which the node keeps when the store has room and the name still
 * leads to the node's inode.
 */
static int node_dirfd(struct fsdrv_export *exp, struct fsdrv_node *dir, int *fd, bool *owned)
{
    int handle = atomic_load(&dir->fd);
    if (handle >= 0) {
        *fd = handle;
        *owned = false;
        return 0;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct fsdrv_node *base = fsdrv_node_ref(dir);
    int err = 0;
    for (unsigned depth = 0; atomic_load(&base->fd) < 0; depth++) {
        if (depth == FSDRV_MAX_DEPTH) {
            err = -ELOOP;
            break;
        }
        pthread_mutex_lock(&base->lock);
        char *name = g_strdup(base->name);
        struct fsdrv_node *up = fsdrv_node_ref(base->parent);
        pthread_mutex_unlock(&base->lock);
        fsdrv_node_unref(base);
        base = up;
        if (!name) {
            err = -ENOENT;      /* an ancestor's name was removed */
            break;
        }
        g_ptr_array_add(names, name);
    }
    int opened = -1;
    if (!err) {
        GString *path = g_string_new(NULL);
        for (guint i = names->len; i-- > 0;)
            g_string_append_printf(path, "%s%s", path->len ? "/" : "", (char *)names->pdata[i]);
        opened = open_dir_beneath(exp, atomic_load(&base->fd), path->str, path->len);
        g_string_free(path, TRUE);
        if (opened < 0)
            err = opened;
    }
    fsdrv_node_unref(base);
    g_ptr_array_free(names, TRUE);
    if (err)
        return err;

    struct stat st;
    if (dir->has_id && FSDRV_NOINTR(fstat(opened, &st)) == 0 &&
        st.st_dev == dir->dev && st.st_ino == dir->ino &&
        fsdrv_node_keep_handle(dir, opened)) {
        *fd = opened;
        *owned = false;
        return 0;
    }
    *fd = opened;
    *owned = true;
    return 0;
}

static void at_init(struct fsdrv_at *at)
{
    at->dirfd = -1;
    at->owned = false;
    at->name = NULL;
    at->objfd = -1;
    at->hold = NULL;
}

int fsdrv_at_node(struct fsdrv_export *exp, const struct fsdrv_node *node,
                  struct fsdrv_at *at)
{
    struct fsdrv_node *n = (struct fsdrv_node *)node;
    at_init(at);
    at->objfd = atomic_load(&n->fd);
    if (n->is_root) {
        at->dirfd = exp->root_fd;
        at->name = ".";
        return 0;
    }
    pthread_mutex_lock(&n->lock);
    bool named = n->name != NULL;
    if (named) {
        g_strlcpy(at->namebuf, n->name, sizeof(at->namebuf));
        /* The parent, held: a concurrent rename may drop the node's reference. */
        at->hold = fsdrv_node_ref(n->parent);
    }
    pthread_mutex_unlock(&n->lock);
    if (!named)
        return -ENOENT;
    at->name = at->namebuf;
    int err = node_dirfd(exp, at->hold, &at->dirfd, &at->owned);
    if (err)
        fsdrv_at_release(at);
    return err;
}

int fsdrv_at_child(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                   const char *name, struct fsdrv_at *at)
{
    at_init(at);
    int err = node_dirfd(exp, (struct fsdrv_node *)dir, &at->dirfd, &at->owned);
    if (!err)
        at->name = name;
    return err;
}

void fsdrv_at_release(struct fsdrv_at *at)
{
    if (at->owned && at->dirfd >= 0)
        close(at->dirfd);
    at->dirfd = -1;
    at->owned = false;
    fsdrv_node_unref(at->hold);
    at->hold = NULL;
}

int fsdrv_at_object(const struct fsdrv_at *at, int *fd, bool *owned)
{
    if (at->objfd >= 0) {
        *fd = at->objfd;
        *owned = false;
        return 0;
    }
    int r = FSDRV_NOINTR(openat(at->dirfd, at->name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (r < 0)
        return -errno;
    *fd = r;
    *owned = true;
    return 0;
}

void fsdrv_proc_path(char buf[FSDRV_PROC_PATH_MAX], int fd, const char *name)
{
    if (name)
        snprintf(buf, FSDRV_PROC_PATH_MAX, "/proc/self/fd/%d/%s", fd, name);
    else
        snprintf(buf, FSDRV_PROC_PATH_MAX, "/proc/self/fd/%d", fd);
}
