// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The inode store: one node per inode a client holds, so every fid naming
 * the inode shares its handle, and a rename updates one place
 * (docs/design.md "Handles, not paths").  Sharded by inode so walks on
 * different inodes never share a lock; a handle count bounds the
 * descriptors the nodes keep.
 */
#include "config.h"

#include <unistd.h>

#include "fsdrv/internal.h"

#define STORE_SHARDS 16

struct fsdrv_store {
    atomic_uint refs;           /* the export's, and one per stored node */
    atomic_uint handles;        /* handles kept by stored nodes */
    unsigned max_handles;
    struct {
        pthread_mutex_t lock;
        GHashTable *nodes;      /* node -> node, hashed by inode */
    } shard[STORE_SHARDS];
};

static guint inode_hash(gconstpointer key)
{
    const struct fsdrv_node *n = key;
    uint64_t h = (uint64_t)n->ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)n->dev;
    return (guint)(h ^ (h >> 32));
}

static gboolean inode_equal(gconstpointer a, gconstpointer b)
{
    const struct fsdrv_node *x = a, *y = b;
    return x->ino == y->ino && x->dev == y->dev;
}

static unsigned shard_of(const struct fsdrv_node *probe)
{
    return inode_hash(probe) % STORE_SHARDS;
}

struct fsdrv_store *fsdrv_store_new(unsigned max_handles)
{
    struct fsdrv_store *store = g_new0(struct fsdrv_store, 1);
    atomic_init(&store->refs, 1);
    atomic_init(&store->handles, 0);
    store->max_handles = max_handles;
    for (int i = 0; i < STORE_SHARDS; i++) {
        pthread_mutex_init(&store->shard[i].lock, NULL);
        store->shard[i].nodes = g_hash_table_new(inode_hash, inode_equal);
    }
    return store;
}

void fsdrv_store_release(struct fsdrv_store *store)
{
    if (!store || atomic_fetch_sub(&store->refs, 1) != 1)
        return;
    for (int i = 0; i < STORE_SHARDS; i++) {
        g_hash_table_destroy(store->shard[i].nodes);
        pthread_mutex_destroy(&store->shard[i].lock);
    }
    g_free(store);
}

/* A reference, unless the node is already on its way out. */
static bool ref_unless_dying(struct fsdrv_node *node)
{
    unsigned refs = atomic_load(&node->refs);
    while (refs)
        if (atomic_compare_exchange_weak(&node->refs, &refs, refs + 1))
            return true;
    return false;
}

struct fsdrv_node *fsdrv_store_get(struct fsdrv_store *store, struct fsdrv_node *parent,
                                   const char *name, const struct stat *st)
{
    struct fsdrv_node probe = { .dev = st->st_dev, .ino = st->st_ino };
    unsigned i = shard_of(&probe);
    pthread_mutex_lock(&store->shard[i].lock);
    struct fsdrv_node *node = g_hash_table_lookup(store->shard[i].nodes, &probe);
    if (node && ref_unless_dying(node)) {
        pthread_mutex_unlock(&store->shard[i].lock);
        /* A directory has one name; another file's latest name is the one
         * its next Tremove or rename means. */
        if (!S_ISDIR(st->st_mode) && !fsdrv_node_named(node, parent, name))
            fsdrv_node_move(node, parent, name);
        return node;
    }
    atomic_fetch_add(&store->refs, 1);
    node = fsdrv_node_new_stored(store, parent, name, st);
    g_hash_table_replace(store->shard[i].nodes, node, node);
    pthread_mutex_unlock(&store->shard[i].lock);
    return node;
}

struct fsdrv_node *fsdrv_store_find(struct fsdrv_store *store, dev_t dev, ino_t ino)
{
    struct fsdrv_node probe = { .dev = dev, .ino = ino };
    unsigned i = shard_of(&probe);
    pthread_mutex_lock(&store->shard[i].lock);
    struct fsdrv_node *node = g_hash_table_lookup(store->shard[i].nodes, &probe);
    if (node && !ref_unless_dying(node))
        node = NULL;
    pthread_mutex_unlock(&store->shard[i].lock);
    return node;
}

void fsdrv_store_forget(struct fsdrv_node *node)
{
    struct fsdrv_store *store = node->store;
    unsigned i = shard_of(node);
    pthread_mutex_lock(&store->shard[i].lock);
    /* A walk may already have put a new node for the inode in its place. */
    if (g_hash_table_lookup(store->shard[i].nodes, node) == node)
        g_hash_table_remove(store->shard[i].nodes, node);
    pthread_mutex_unlock(&store->shard[i].lock);
    if (atomic_load(&node->fd) >= 0)
        atomic_fetch_sub(&store->handles, 1);
    fsdrv_store_release(store);
}

bool fsdrv_node_keep_handle(struct fsdrv_node *node, int fd)
{
    struct fsdrv_store *store = node->store;
    if (!store)
        return false;
    if (atomic_fetch_add(&store->handles, 1) >= store->max_handles) {
        atomic_fetch_sub(&store->handles, 1);
        return false;
    }
    int none = -1;
    if (!atomic_compare_exchange_strong(&node->fd, &none, fd)) {
        atomic_fetch_sub(&store->handles, 1);
        return false;
    }
    return true;
}

unsigned fsdrv_store_handles(const struct fsdrv_store *store)
{
    return atomic_load(&((struct fsdrv_store *)store)->handles);
}
