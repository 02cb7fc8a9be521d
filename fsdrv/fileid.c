// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * File identity remap.  9P has one 64-bit qid path per file, but the host
 * names a file by (device, inode), and an export may span several
 * filesystems (bind mounts, tmpfs) whose inode numbers collide.
 */
#include "config.h"

#include "fsdrv/internal.h"

static guint inode_key_hash(gconstpointer p)
{
    const struct fsdrv_inode_key *k = p;
    uint64_t h = (uint64_t)k->ino * UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t)k->dev;
    return (guint)(h ^ (h >> 32));
}

static gboolean inode_key_equal(gconstpointer a, gconstpointer b)
{
    const struct fsdrv_inode_key *x = a, *y = b;
    return x->dev == y->dev && x->ino == y->ino;
}

GHashTable *fsdrv_inode_set_new(void)
{
    return g_hash_table_new_full(inode_key_hash, inode_key_equal, g_free, NULL);
}

struct fsdrv_inode_key *fsdrv_inode_key_new(dev_t dev, ino_t ino)
{
    struct fsdrv_inode_key *k = g_new(struct fsdrv_inode_key, 1);
    k->dev = dev;
    k->ino = ino;
    return k;
}

bool fsdrv_inode_set_add(GHashTable *set, dev_t dev, ino_t ino)
{
    if (fsdrv_inode_set_contains(set, dev, ino))
        return false;
    g_hash_table_add(set, fsdrv_inode_key_new(dev, ino));
    return true;
}

bool fsdrv_inode_set_contains(GHashTable *set, dev_t dev, ino_t ino)
{
    struct fsdrv_inode_key key = { dev, ino };
    return g_hash_table_contains(set, &key);
}

/* The map's entries: the key first, so the key's hash and equality apply. */
struct fsdrv_id_entry {
    struct fsdrv_inode_key key;
    uint64_t id;
};

void fsdrv_ids_init(struct fsdrv_ids *ids, dev_t first_dev)
{
    g_mutex_init(&ids->lock);
    ids->map = fsdrv_inode_set_new();
    ids->next_mapped = 1;
    ids->devs[0] = first_dev;           /* the root's device: index 0 */
    atomic_init(&ids->ndevs, 1);
}

void fsdrv_ids_fini(struct fsdrv_ids *ids)
{
    g_hash_table_destroy(ids->map);
    g_mutex_clear(&ids->lock);
}

/* Index of `dev` in devs[], or -1. */
static int dev_index(struct fsdrv_ids *ids, unsigned n, dev_t dev)
{
    for (unsigned i = 0; i < n; i++)
        if (ids->devs[i] == dev)
            return (int)i;
    return -1;
}

uint64_t fsdrv_ids_lookup(struct fsdrv_ids *ids, dev_t dev, ino_t ino)
{
    const bool small_ino = (uint64_t)ino < (UINT64_C(1) << FSDRV_ID_INO_BITS);

    if (small_ino) {
        /* Slots are written before ndevs is published: no lock to read. */
        unsigned n = atomic_load_explicit(&ids->ndevs, memory_order_acquire);
        int idx = dev_index(ids, n, dev);
        if (idx >= 0)
            return (uint64_t)idx << FSDRV_ID_INO_BITS | (uint64_t)ino;
    }

    g_mutex_lock(&ids->lock);
    uint64_t id;
    if (small_ino) {
        unsigned n = atomic_load_explicit(&ids->ndevs, memory_order_relaxed);
        int idx = dev_index(ids, n, dev);
        if (idx < 0 && n < FSDRV_ID_DEV_SLOTS) {
            ids->devs[n] = dev;
            atomic_store_explicit(&ids->ndevs, n + 1, memory_order_release);
            idx = (int)n;
        }
        if (idx >= 0) {
            id = (uint64_t)idx << FSDRV_ID_INO_BITS | (uint64_t)ino;
            goto out;
        }
    }
    struct fsdrv_inode_key key = { dev, ino };
    struct fsdrv_id_entry *e = g_hash_table_lookup(ids->map, &key);
    if (!e) {
        e = g_new(struct fsdrv_id_entry, 1);
        e->key = key;
        e->id = FSDRV_ID_MAPPED | ids->next_mapped++;
        g_hash_table_add(ids->map, e);
    }
    id = e->id;
out:
    g_mutex_unlock(&ids->lock);
    return id;
}

uint64_t fsdrv_file_id(struct fsdrv_export *exp, dev_t dev, ino_t ino)
{
    return fsdrv_ids_lookup(&exp->ids, dev, ino);
}

static uint64_t mix64(uint64_t h, uint64_t v)
{
    /* splitmix64's finaliser over a running value */
    h ^= v + UINT64_C(0x9e3779b97f4a7c15) + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h *= UINT64_C(0x94d049bb133111eb);
    h ^= h >> 31;
    return h;
}

uint32_t fsdrv_file_version(const struct stat *st)
{
    uint64_t h = 0;
    h = mix64(h, (uint64_t)st->st_mtim.tv_sec);
    h = mix64(h, (uint64_t)st->st_mtim.tv_nsec);
    h = mix64(h, (uint64_t)st->st_size);
    return (uint32_t)(h ^ (h >> 32));
}
