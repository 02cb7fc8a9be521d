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

/* One O_NOFOLLOW directory open per component, from the root fd. */
static int walk_beneath(struct fsdrv_export *exp, const char *path, size_t len)
{
    const char *p = path, *end = path + len;
    int cur = exp->root_fd;

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
        if (cur != exp->root_fd)
            close(cur);
        if (err)
            return err;
        cur = next;
        p = slash ? slash + 1 : end;
    }
    return cur;
}

int fsdrv_resolve_dir(struct fsdrv_export *exp, const char *path, size_t len,
                      int *fd, bool *owned)
{
    if (len == 0) {
        *fd = exp->root_fd;
        *owned = false;
        return 0;
    }
#if FSDRV_HAVE_OPENAT2
    if (exp->use_openat2 && len < PATH_MAX) {
        char buf[PATH_MAX];
        memcpy(buf, path, len);
        buf[len] = '\0';
        /* EAGAIN: a concurrent rename made the kernel unsure; try again. */
        for (int tries = 0; tries < 8; tries++) {
            int r = openat2_beneath(exp->root_fd, buf);
            if (r >= 0) {
                *fd = r;
                *owned = true;
                return 0;
            }
            if (errno != EAGAIN)
                return -errno;
        }
        /* Still unsure: the walk below gives a definite answer. */
    }
#endif
    int r = walk_beneath(exp, path, len);
    if (r < 0)
        return r;
    *fd = r;
    *owned = r != exp->root_fd;
    return 0;
}

int fsdrv_at_node(struct fsdrv_export *exp, const struct fsdrv_node *node,
                  struct fsdrv_at *at)
{
    if (node->len == 0) {
        at->dirfd = exp->root_fd;
        at->owned = false;
        at->name = ".";
        return 0;
    }
    size_t plen = node->name_off ? node->name_off - 1 : 0;
    int err = fsdrv_resolve_dir(exp, node->path, plen, &at->dirfd, &at->owned);
    if (err)
        return err;
    at->name = node->path + node->name_off;
    return 0;
}

int fsdrv_at_child(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                   const char *name, struct fsdrv_at *at)
{
    int err = fsdrv_resolve_dir(exp, dir->path, dir->len, &at->dirfd, &at->owned);
    if (err)
        return err;
    at->name = name;
    return 0;
}

void fsdrv_at_release(struct fsdrv_at *at)
{
    if (at->owned && at->dirfd >= 0)
        close(at->dirfd);
    at->dirfd = -1;
    at->owned = false;
}

int fsdrv_at_open_path(const struct fsdrv_at *at)
{
    int fd = FSDRV_NOINTR(openat(at->dirfd, at->name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    return fd < 0 ? -errno : fd;
}

void fsdrv_proc_path(char buf[FSDRV_PROC_PATH_MAX], int fd, const char *name)
{
    if (name)
        snprintf(buf, FSDRV_PROC_PATH_MAX, "/proc/self/fd/%d/%s", fd, name);
    else
        snprintf(buf, FSDRV_PROC_PATH_MAX, "/proc/self/fd/%d", fd);
}
