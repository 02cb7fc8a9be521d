// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Extended attributes, never following a symlink.  The l*xattr calls take
 * a path, so the object is named as /proc/self/fd/<parent fd>/<name>: the
 * magic link pins the parent we resolved beneath the root, and the l*
 * calls do not follow the last component.
 *
 * Only user.* names, and the POSIX ACLs when the export allows them, are
 * the client's (docs/security.md "What a guest may do to the export"):
 * security.* holds file capabilities and LSM labels, trusted.* overlayfs
 * and other root-only metadata, the rest of system.* whatever the host's
 * filesystem puts there; all of them act on the host.  Others are refused
 * as QEMU refuses a namespace it does not serve (EOPNOTSUPP) and left out
 * of lists.
 */
#include "config.h"

#include <string.h>
#include <sys/xattr.h>

#include "fsdrv/internal.h"

static bool reserved(const struct fsdrv_export *exp, const char *name)
{
    return exp->model->xattr_reserved && exp->model->xattr_reserved(name);
}

static bool is_acl(const char *name)
{
    return !strcmp(name, "system.posix_acl_access") ||
           !strcmp(name, "system.posix_acl_default");
}

int fsdrv_xattr_check(const struct fsdrv_export *exp, const struct fsdrv_node *node,
                      const char *name, bool change)
{
    if (!name || !name[0])
        return -EINVAL;
    if (is_acl(name)) {
        /* The root's access is the administrator's (as its mode). */
        if (change && fsdrv_node_is_root(node))
            return -EPERM;
        if (!exp->cfg.allow_acl)
            return -EOPNOTSUPP;
    } else if (strncmp(name, "user.", 5) != 0) {
        return -EOPNOTSUPP;
    }
    return reserved(exp, name) ? -EACCES : 0;
}

/* A name fsdrv_listxattr shows: one the client may read (no node needed for that). */
static bool listed(const struct fsdrv_export *exp, const char *name)
{
    return fsdrv_xattr_check(exp, NULL, name, false) == 0;
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
    int err = fsdrv_xattr_check(exp, node, name, false);
    if (err)
        return err;
    struct fsdrv_at at;
    char path[FSDRV_PROC_PATH_MAX];
    err = xattr_target(exp, node, &at, path);
    if (err)
        return err;
    ssize_t n = FSDRV_NOINTR(lgetxattr(path, name, cap ? buf : NULL, cap));
    if (n < 0)
        n = -errno;
    fsdrv_at_release(&at);
    return n;
}

/* Keeps only the names a client may see in a list of NUL-terminated names. */
static size_t filter_names(const struct fsdrv_export *exp, char *list, size_t len)
{
    size_t out = 0;
    for (size_t pos = 0; pos < len;) {
        size_t n = strnlen(list + pos, len - pos) + 1;
        if (listed(exp, list + pos)) {
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

    /* The whole list is needed to know the filtered size. */
    ssize_t n;
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
            continue;           /* grew meanwhile */
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
    fsdrv_at_release(&at);
    return n;
}

int fsdrv_setxattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                   const char *name, const void *value, size_t size, int flags)
{
    if (exp->cfg.readonly)
        return -EROFS;
    if ((flags & ~(XATTR_CREATE | XATTR_REPLACE)) ||
        flags == (XATTR_CREATE | XATTR_REPLACE) || (size && !value))
        return -EINVAL;
    int err = fsdrv_xattr_check(exp, node, name, true);
    if (err)
        return err;
    struct fsdrv_at at;
    char path[FSDRV_PROC_PATH_MAX];
    err = xattr_target(exp, node, &at, path);
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
    int err = fsdrv_xattr_check(exp, node, name, true);
    if (err)
        return err;
    struct fsdrv_at at;
    char path[FSDRV_PROC_PATH_MAX];
    err = xattr_target(exp, node, &at, path);
    if (err)
        return err;
    if (FSDRV_NOINTR(lremovexattr(path, name)) < 0)
        err = -errno;
    fsdrv_at_release(&at);
    return err;
}
