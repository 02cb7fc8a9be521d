// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Extended attributes, never following a symlink.  The l*xattr calls take
 * a path, so the object is named as /proc/self/fd/<parent fd>/<name>: the
 * magic link pins the parent we resolved beneath the root, and the l*
 * calls do not follow the last component.
 */
#include "config.h"

#include <string.h>
#include <sys/xattr.h>

#include "fsdrv/internal.h"

static bool reserved(const struct fsdrv_export *exp, const char *name)
{
    return exp->model->xattr_reserved && exp->model->xattr_reserved(name);
}

/* Resolves `node` and writes the path the l*xattr calls take. */
static int xattr_target(struct fsdrv_export *exp, const struct fsdrv_node *node,
                        struct fsdrv_at *at, char path[FSDRV_PROC_PATH_MAX])
{
    int err = fsdrv_at_node(exp, node, at);
    if (!err)
        fsdrv_proc_path(path, at->dirfd, at->name);
    return err;
}

ssize_t fsdrv_getxattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                       const char *name, void *buf, size_t cap)
{
    if (!name || !name[0])
        return -EINVAL;
    if (reserved(exp, name))
        return -EACCES;
    struct fsdrv_at at;
    char path[FSDRV_PROC_PATH_MAX];
    int err = xattr_target(exp, node, &at, path);
    if (err)
        return err;
    ssize_t n = FSDRV_NOINTR(lgetxattr(path, name, cap ? buf : NULL, cap));
    if (n < 0)
        n = -errno;
    fsdrv_at_release(&at);
    return n;
}

/* Drops the model's reserved names from a list of NUL-terminated names. */
static size_t filter_names(const struct fsdrv_export *exp, char *list, size_t len)
{
    size_t out = 0;
    for (size_t pos = 0; pos < len;) {
        size_t n = strnlen(list + pos, len - pos) + 1;
        if (!reserved(exp, list + pos)) {
            memmove(list + out, list + pos, n);
            out += n;
        }
        pos += n;
    }
    return out;
}

ssize_t fsdrv_listxattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                        char *buf, size_t cap)
{
    struct fsdrv_at at;
    char path[FSDRV_PROC_PATH_MAX];
    int err = xattr_target(exp, node, &at, path);
    if (err)
        return err;

    ssize_t n;
    if (!exp->model->xattr_reserved) {
        n = FSDRV_NOINTR(llistxattr(path, cap ? buf : NULL, cap));
        n = n < 0 ? -errno : n;
    } else {
        /* The whole list is needed to know the filtered size. */
        char *all = NULL;
        for (;;) {
            ssize_t size = FSDRV_NOINTR(llistxattr(path, NULL, 0));
            if (size <= 0) {
                n = size < 0 ? -errno : 0;
                break;
            }
            all = g_realloc(all, (size_t)size);
            n = FSDRV_NOINTR(llistxattr(path, all, (size_t)size));
            if (n < 0 && errno == ERANGE)
                continue;       /* grew meanwhile */
            if (n < 0) {
                n = -errno;
                break;
            }
            n = (ssize_t)filter_names(exp, all, (size_t)n);
            if (cap && (size_t)n > cap)
                n = -ERANGE;
            else if (cap)
                memcpy(buf, all, (size_t)n);
            break;
        }
        g_free(all);
    }
    fsdrv_at_release(&at);
    return n;
}

int fsdrv_setxattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                   const char *name, const void *value, size_t size, int flags)
{
    if (exp->cfg.readonly)
        return -EROFS;
    if (!name || !name[0] || (flags & ~(XATTR_CREATE | XATTR_REPLACE)) ||
        flags == (XATTR_CREATE | XATTR_REPLACE) || (size && !value))
        return -EINVAL;
    if (reserved(exp, name))
        return -EACCES;
    struct fsdrv_at at;
    char path[FSDRV_PROC_PATH_MAX];
    int err = xattr_target(exp, node, &at, path);
    if (err)
        return err;
    if (FSDRV_NOINTR(lsetxattr(path, name, value, size, flags)) < 0)
        err = -errno;
    fsdrv_at_release(&at);
    return err;
}

int fsdrv_removexattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                      const char *name)
{
    if (exp->cfg.readonly)
        return -EROFS;
    if (!name || !name[0])
        return -EINVAL;
    if (reserved(exp, name))
        return -EACCES;
    struct fsdrv_at at;
    char path[FSDRV_PROC_PATH_MAX];
    int err = xattr_target(exp, node, &at, path);
    if (err)
        return err;
    if (FSDRV_NOINTR(lremovexattr(path, name)) < 0)
        err = -errno;
    fsdrv_at_release(&at);
    return err;
}
