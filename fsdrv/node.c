// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Nodes: immutable, reference-counted paths relative to the export root.
 * Pure string work; nothing here touches the filesystem.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include "fsdrv/internal.h"

/* A node for `a` + "/" + `b` (either may be empty). */
static struct fsdrv_node *node_new(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t len = alen + blen + (alen && blen ? 1 : 0);
    struct fsdrv_node *node = g_malloc(sizeof(*node) + len + 1);
    char *p = node->path;

    atomic_init(&node->refs, 1);
    memcpy(p, a, alen);
    p += alen;
    if (alen && blen)
        *p++ = '/';
    memcpy(p, b, blen);
    p[blen] = '\0';
    node->len = len;
    const char *slash = memrchr(node->path, '/', len);
    node->name_off = slash ? (size_t)(slash - node->path) + 1 : 0;
    return node;
}

int fsdrv_name_check(const char *name, bool allow_dotdot)
{
    if (!name || !name[0])
        return -EINVAL;
    size_t len = strnlen(name, NAME_MAX + 1);
    if (len > NAME_MAX)
        return -ENAMETOOLONG;
    if (memchr(name, '/', len))
        return -EINVAL;
    if (!strcmp(name, "."))
        return -EINVAL;
    if (!strcmp(name, "..") && !allow_dotdot)
        return -EINVAL;
    return 0;
}

bool fsdrv_name_valid(const char *name, bool allow_dotdot)
{
    return fsdrv_name_check(name, allow_dotdot) == 0;
}

struct fsdrv_node *fsdrv_root(struct fsdrv_export *exp)
{
    return fsdrv_node_ref(exp->root);
}

struct fsdrv_node *fsdrv_node_ref(struct fsdrv_node *node)
{
    if (node)
        atomic_fetch_add_explicit(&node->refs, 1, memory_order_relaxed);
    return node;
}

void fsdrv_node_unref(struct fsdrv_node *node)
{
    if (node && atomic_fetch_sub_explicit(&node->refs, 1, memory_order_acq_rel) == 1)
        g_free(node);
}

bool fsdrv_node_is_root(const struct fsdrv_node *node)
{
    return node->len == 0;
}

const char *fsdrv_node_path(const struct fsdrv_node *node)
{
    return node->path;
}

const char *fsdrv_node_name(const struct fsdrv_node *node)
{
    return node->len ? node->path + node->name_off : ".";
}

struct fsdrv_node *fsdrv_node_parent(const struct fsdrv_node *node)
{
    /* "a/b/c" -> "a/b"; "a" -> ""; "" -> "" */
    size_t plen = node->name_off ? node->name_off - 1 : 0;
    return node_new(node->path, plen, "", 0);
}

struct fsdrv_node *fsdrv_child(const struct fsdrv_node *dir, const char *name)
{
    if (fsdrv_name_check(name, false))
        return NULL;
    return node_new(dir->path, dir->len, name, strlen(name));
}

struct fsdrv_node *fsdrv_node_rebase(const struct fsdrv_node *node,
                                     const struct fsdrv_node *from,
                                     const struct fsdrv_node *to)
{
    if (from->len == 0)         /* the root is never renamed */
        return NULL;
    if (node->len < from->len || memcmp(node->path, from->path, from->len))
        return NULL;
    if (node->len == from->len)
        return node_new(to->path, to->len, "", 0);
    if (node->path[from->len] != '/')   /* "ab" does not lie beneath "a" */
        return NULL;
    const char *rest = node->path + from->len + 1;
    return node_new(to->path, to->len, rest, node->len - from->len - 1);
}

struct fsdrv_node *fsdrv_node_new_root(void)
{
    return node_new("", 0, "", 0);
}
