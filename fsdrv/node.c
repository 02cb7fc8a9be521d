// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Nodes: the inodes a client named, each with its place (parent and name)
 * and, once needed, an O_PATH handle (docs/design.md "Handles, not paths").
 * The inode store that shares them lives in store.c.
 */
#include "config.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"

static struct fsdrv_node *node_alloc(struct fsdrv_node *parent, const char *name)
{
    struct fsdrv_node *node = g_new0(struct fsdrv_node, 1);
    atomic_init(&node->refs, 1);
    atomic_init(&node->fd, -1);
    pthread_mutex_init(&node->lock, NULL);
    node->parent = fsdrv_node_ref(parent);
    node->name = g_strdup(name);
    return node;
}

struct fsdrv_node *fsdrv_node_new_stored(struct fsdrv_store *store, struct fsdrv_node *parent,
                                         const char *name, const struct stat *st)
{
    struct fsdrv_node *node = node_alloc(parent, name);
    node->store = store;
    node->has_id = true;
    node->dev = st->st_dev;
    node->ino = st->st_ino;
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
    /* A loop, not recursion: the last reference to a deep leaf frees the
     * whole chain of ancestors nothing else holds. */
    while (node && atomic_fetch_sub_explicit(&node->refs, 1, memory_order_acq_rel) == 1) {
        if (node->store)
            fsdrv_store_forget(node);
        int fd = atomic_load(&node->fd);
        if (fd >= 0 && !node->is_root)
            close(fd);
        struct fsdrv_node *parent = node->parent;
        pthread_mutex_destroy(&node->lock);
        g_free(node->name);
        g_free(node);
        node = parent;
    }
}

bool fsdrv_node_is_root(const struct fsdrv_node *node)
{
    return node->is_root;
}

void fsdrv_node_name(const struct fsdrv_node *node, char buf[NAME_MAX + 1])
{
    struct fsdrv_node *n = (struct fsdrv_node *)node;
    if (node->is_root) {
        strcpy(buf, ".");
        return;
    }
    pthread_mutex_lock(&n->lock);
    g_strlcpy(buf, n->name ? n->name : "", NAME_MAX + 1);
    pthread_mutex_unlock(&n->lock);
}

struct fsdrv_node *fsdrv_node_parent(const struct fsdrv_node *node)
{
    struct fsdrv_node *n = (struct fsdrv_node *)node;
    if (node->is_root)
        return fsdrv_node_ref(n);
    pthread_mutex_lock(&n->lock);
    struct fsdrv_node *parent = fsdrv_node_ref(n->parent);
    pthread_mutex_unlock(&n->lock);
    return parent;
}

struct fsdrv_node *fsdrv_child(const struct fsdrv_node *dir, const char *name)
{
    if (fsdrv_name_check(name, false))
        return NULL;
    return node_alloc((struct fsdrv_node *)dir, name);
}

bool fsdrv_node_named(struct fsdrv_node *node, const struct fsdrv_node *dir, const char *name)
{
    pthread_mutex_lock(&node->lock);
    bool named = node->parent == dir && node->name && !strcmp(node->name, name);
    pthread_mutex_unlock(&node->lock);
    return named;
}

char *fsdrv_node_path(const struct fsdrv_node *node)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct fsdrv_node *n = fsdrv_node_ref((struct fsdrv_node *)node);
    bool named = true;
    for (unsigned depth = 0; !n->is_root; depth++) {
        if (depth == FSDRV_MAX_DEPTH) {
            named = false;
            break;
        }
        pthread_mutex_lock(&n->lock);
        named = n->name != NULL;
        if (named)
            g_ptr_array_add(names, g_strdup(n->name));
        struct fsdrv_node *up = fsdrv_node_ref(n->parent);
        pthread_mutex_unlock(&n->lock);
        fsdrv_node_unref(n);
        n = up;
        if (!named || !n)
            break;
    }
    fsdrv_node_unref(n);
    char *path = NULL;
    if (named) {
        GString *s = g_string_new(NULL);
        for (guint i = names->len; i-- > 0;)
            g_string_append_printf(s, "%s%s", s->len ? "/" : "", (char *)names->pdata[i]);
        path = g_string_free(s, FALSE);
    }
    g_ptr_array_free(names, TRUE);
    return path;
}

struct fsdrv_node *fsdrv_node_new_root(int root_fd)
{
    struct fsdrv_node *node = node_alloc(NULL, NULL);
    node->is_root = true;
    atomic_store(&node->fd, root_fd);
    return node;
}
