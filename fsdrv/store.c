// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The inode store: one node per inode a client holds, so every fid naming
 * the inode shares its handle, and a rename updates one place
 * (docs/design.md "Handles, not paths").  Sharded by inode so walks on
 * different inodes never share a lock; a handle count bounds the
 * descriptors the nodes keep.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"

#define STORE_SHARDS 16

struct fsdrv_store {
    atomic_uint refs;           /* the export's, and one per stored node */
    atomic_uint handles;        /* handles kept by stored nodes */
    unsigned max_handles;
    atomic_uint_fast64_t bytes; /* memory of the stored nodes and their names */
    uint64_t max_bytes;
    _Atomic int64_t full_logged;    /* when the store last said it was full (µs) */
    /* Every change of a stored node's parent: the check that it does not
     * become its own ancestor and the change are one step. */
    pthread_mutex_t move_lock;
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

struct fsdrv_store *fsdrv_store_new(unsigned max_handles, uint64_t max_bytes)
{
    struct fsdrv_store *store = g_new0(struct fsdrv_store, 1);
    atomic_init(&store->refs, 1);
    atomic_init(&store->handles, 0);
    store->max_handles = max_handles;
    atomic_init(&store->bytes, 0);
    store->max_bytes = max_bytes;
    atomic_init(&store->full_logged, INT64_MIN / 2);
    pthread_mutex_init(&store->move_lock, NULL);
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
    pthread_mutex_destroy(&store->move_lock);
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

/* What a stored node named `name` costs. */
static uint64_t node_bytes(const char *name)
{
    return sizeof(struct fsdrv_node) + (name ? strlen(name) + 1 : 0);
}

/* Room for `n` more bytes of nodes; says so in the log (once a minute) when there is none. */
static bool take_bytes(struct fsdrv_store *store, uint64_t n)
{
    uint_fast64_t bytes = atomic_load(&store->bytes);
    do {
        if (bytes + n > store->max_bytes) {
            int64_t now = g_get_monotonic_time(), last = atomic_load(&store->full_logged);
            if (now - last >= 60 * G_USEC_PER_SEC &&
                atomic_compare_exchange_strong(&store->full_logged, &last, now))
                g_warning("fsdrv: the nodes the client holds reached %" G_GUINT64_FORMAT
                          " bytes: walks fail with ENOMEM (logged at most once a minute)",
                          (guint64)store->max_bytes);
            return false;
        }
    } while (!atomic_compare_exchange_weak(&store->bytes, &bytes, bytes + n));
    return true;
}

struct fsdrv_node *fsdrv_store_get(struct fsdrv_store *store, struct fsdrv_node *parent,
                                   const char *name, const struct stat *st)
{
    struct fsdrv_node probe = { .dev = st->st_dev, .ino = st->st_ino };
    unsigned i = shard_of(&probe);
    struct fsdrv_node *stale = NULL;
    pthread_mutex_lock(&store->shard[i].lock);
    struct fsdrv_node *node = g_hash_table_lookup(store->shard[i].nodes, &probe);
    if (node && ref_unless_dying(node)) {
        /* A handle pins its inode: the node is this inode, wherever it was
         * reached from.  Without one, the number may have been freed and
         * given to another file since: only the same name is the same node. */
        if (atomic_load(&node->fd) >= 0 || fsdrv_node_named(node, parent, name)) {
            pthread_mutex_unlock(&store->shard[i].lock);
            if (!fsdrv_node_named(node, parent, name))
                fsdrv_node_move(node, parent, name);
            return node;
        }
        stale = node;
    }
    node = NULL;
    if (take_bytes(store, node_bytes(name))) {
        atomic_fetch_add(&store->refs, 1);
        node = fsdrv_node_new_stored(store, parent, name, st);
        g_hash_table_replace(store->shard[i].nodes, node, node);
    }
    pthread_mutex_unlock(&store->shard[i].lock);
    fsdrv_node_unref(stale);
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
    atomic_fetch_sub(&store->bytes, node_bytes(node->name));
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

uint64_t fsdrv_store_bytes(const struct fsdrv_store *store)
{
    return atomic_load(&((struct fsdrv_store *)store)->bytes);
}

/* Whether `node` is `ancestor` or lies beneath it (within FSDRV_MAX_DEPTH steps). */
static bool lies_beneath(struct fsdrv_node *node, const struct fsdrv_node *ancestor)
{
    struct fsdrv_node *n = fsdrv_node_ref(node);
    bool found = false;
    for (unsigned depth = 0; n && !found && depth < FSDRV_MAX_DEPTH; depth++) {
        found = n == ancestor;
        struct fsdrv_node *up = n->is_root ? NULL : fsdrv_node_parent(n);
        fsdrv_node_unref(n);
        n = up;
    }
    fsdrv_node_unref(n);
    return found || n != NULL;
}

void fsdrv_node_move(struct fsdrv_node *node, struct fsdrv_node *newparent, const char *newname)
{
    struct fsdrv_store *store = node->store;
    if (node->is_root || !store)
        return;
    pthread_mutex_lock(&store->move_lock);
    /* A stale picture of the tree (the host moved things) must not make a
     * node its own ancestor: such a node keeps its place, unnamed. */
    if (newname && lies_beneath(newparent, node))
        newname = NULL;
    char *name = g_strdup(newname);
    pthread_mutex_lock(&node->lock);
    struct fsdrv_node *oldparent = NULL;
    char *oldname = node->name;
    if (newname) {
        oldparent = node->parent;
        node->parent = fsdrv_node_ref(newparent);
    }                           /* unnamed: ".." still leads where it led */
    node->name = name;
    pthread_mutex_unlock(&node->lock);
    pthread_mutex_unlock(&store->move_lock);
    /* The name's bytes follow it (a longer name may pass the limit: the
     * node exists already). */
    atomic_fetch_add(&store->bytes, node_bytes(name));
    atomic_fetch_sub(&store->bytes, node_bytes(oldname));
    fsdrv_node_unref(oldparent);
    g_free(oldname);
}
