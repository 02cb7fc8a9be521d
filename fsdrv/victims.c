// SPDX-License-Identifier: GPL-2.0-or-later
/* Auto-delete's index of the oldest files (see victims.h). */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "fsdrv/victims.h"

struct entry {
    struct fsdrv_victim v;      /* v.path is also the key of by_path */
    GSequenceIter *it;
};

struct fsdrv_victims {
    GMutex lock;
    GSequence *order;           /* struct entry *, oldest first */
    GHashTable *by_path;        /* path -> struct entry * */
    size_t bytes, max_bytes;
    bool cut;                   /* entries were left out: only files older than `cut_at` come in */
    struct timespec cut_at;
    size_t filled;              /* entries when the index was last filled */
    size_t left;                /* entries gone since */
};

/* What an entry costs, with the hash table's and the sequence's nodes. */
static size_t cost(const char *path)
{
    return sizeof(struct entry) + strlen(path) + 1 + 64;
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
    if (a->tv_sec != b->tv_sec)
        return a->tv_sec < b->tv_sec ? -1 : 1;
    if (a->tv_nsec != b->tv_nsec)
        return a->tv_nsec < b->tv_nsec ? -1 : 1;
    return 0;
}

static gint older(gconstpointer a, gconstpointer b, gpointer unused)
{
    const struct entry *x = a, *y = b;
    int c = ts_cmp(&x->v.mtime, &y->v.mtime);
    return c ? c : strcmp(x->v.path, y->v.path);
}

struct fsdrv_victims *fsdrv_victims_new(size_t max_bytes)
{
    struct fsdrv_victims *v = g_new0(struct fsdrv_victims, 1);
    g_mutex_init(&v->lock);
    v->order = g_sequence_new(NULL);
    v->by_path = g_hash_table_new(g_str_hash, g_str_equal);
    v->max_bytes = max_bytes;
    return v;
}

/* Unlinks `e` from both structures and frees it. */
static void drop(struct fsdrv_victims *v, struct entry *e)
{
    g_hash_table_remove(v->by_path, e->v.path);
    g_sequence_remove(e->it);
    v->bytes -= cost(e->v.path);
    g_free(e->v.path);
    g_free(e);
}

static void drop_all(struct fsdrv_victims *v)
{
    while (!g_sequence_is_empty(v->order))
        drop(v, g_sequence_get(g_sequence_get_begin_iter(v->order)));
}

void fsdrv_victims_free(struct fsdrv_victims *v)
{
    if (!v)
        return;
    drop_all(v);
    g_sequence_free(v->order);
    g_hash_table_destroy(v->by_path);
    g_mutex_clear(&v->lock);
    g_free(v);
}

/* Takes `path` (owned) in; with the lock held. */
static void insert(struct fsdrv_victims *v, char *path, dev_t dev, ino_t ino,
                   const struct timespec *mtime)
{
    struct entry *old = g_hash_table_lookup(v->by_path, path);
    if (old)
        drop(v, old);
    if (v->cut && ts_cmp(mtime, &v->cut_at) >= 0) {
        /* Left out as well: counts toward the next fill. */
        v->left++;
        g_free(path);
        return;
    }
    struct entry *e = g_new0(struct entry, 1);
    e->v = (struct fsdrv_victim){ .path = path, .dev = dev, .ino = ino, .mtime = *mtime };
    e->it = g_sequence_insert_sorted(v->order, e, older, NULL);
    g_hash_table_insert(v->by_path, e->v.path, e);
    v->bytes += cost(path);
    /* Full: the youngest make way, and nothing as young comes in again. */
    while (v->bytes > v->max_bytes) {
        GSequenceIter *last = g_sequence_iter_prev(g_sequence_get_end_iter(v->order));
        struct entry *young = g_sequence_get(last);
        if (!v->cut || ts_cmp(&young->v.mtime, &v->cut_at) < 0)
            v->cut_at = young->v.mtime;
        v->cut = true;
        drop(v, young);
    }
}

void fsdrv_victims_add(struct fsdrv_victims *v, const char *path, const struct stat *st)
{
    g_mutex_lock(&v->lock);
    insert(v, g_strdup(path), st->st_dev, st->st_ino, &st->st_mtim);
    g_mutex_unlock(&v->lock);
}

void fsdrv_victims_remove(struct fsdrv_victims *v, const char *path)
{
    g_mutex_lock(&v->lock);
    struct entry *e = g_hash_table_lookup(v->by_path, path);
    if (e) {
        drop(v, e);
        v->left++;
    }
    g_mutex_unlock(&v->lock);
}

void fsdrv_victims_move(struct fsdrv_victims *v, const char *from, const char *to, bool dir)
{
    g_mutex_lock(&v->lock);
    /* Taken out first, then in again under their new names: an insertion
     * may make others leave, which must not be one still to move. */
    size_t flen = strlen(from);
    GArray *moved = g_array_new(FALSE, FALSE, sizeof(struct fsdrv_victim));
    GPtrArray *old = g_ptr_array_new();
    struct entry *e = g_hash_table_lookup(v->by_path, from);
    if (e)
        g_ptr_array_add(old, e);
    if (dir) {
        /* Everything beneath: one pass over the index (it is bounded). */
        GHashTableIter it;
        gpointer key, value;
        g_hash_table_iter_init(&it, v->by_path);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            const char *p = key;
            if (!strncmp(p, from, flen) && p[flen] == '/')
                g_ptr_array_add(old, value);
        }
    }
    for (guint i = 0; i < old->len; i++) {
        struct entry *o = g_ptr_array_index(old, i);
        struct fsdrv_victim m = o->v;
        m.path = g_strconcat(to, o->v.path + flen, NULL);
        g_array_append_val(moved, m);
        drop(v, o);
    }
    for (guint i = 0; i < moved->len; i++) {
        struct fsdrv_victim *m = &g_array_index(moved, struct fsdrv_victim, i);
        insert(v, m->path, m->dev, m->ino, &m->mtime);
    }
    g_ptr_array_free(old, TRUE);
    g_array_free(moved, TRUE);
    g_mutex_unlock(&v->lock);
}

bool fsdrv_victims_take(struct fsdrv_victims *v, struct fsdrv_victim *out)
{
    g_mutex_lock(&v->lock);
    bool found = !g_sequence_is_empty(v->order);
    if (found) {
        struct entry *e = g_sequence_get(g_sequence_get_begin_iter(v->order));
        *out = e->v;
        out->path = g_strdup(e->v.path);
        drop(v, e);
    }
    g_mutex_unlock(&v->lock);
    return found;
}

void fsdrv_victims_put_back(struct fsdrv_victims *v, struct fsdrv_victim *taken)
{
    g_mutex_lock(&v->lock);
    insert(v, taken->path, taken->dev, taken->ino, &taken->mtime);
    taken->path = NULL;
    g_mutex_unlock(&v->lock);
}

void fsdrv_victims_gone(struct fsdrv_victims *v)
{
    g_mutex_lock(&v->lock);
    v->left++;
    g_mutex_unlock(&v->lock);
}

bool fsdrv_victims_refill_due(struct fsdrv_victims *v)
{
    g_mutex_lock(&v->lock);
    bool due = v->cut && v->left >= MAX(v->filled, (size_t)1);
    g_mutex_unlock(&v->lock);
    return due;
}

void fsdrv_victims_clear(struct fsdrv_victims *v)
{
    g_mutex_lock(&v->lock);
    drop_all(v);
    v->cut = false;
    g_mutex_unlock(&v->lock);
}

void fsdrv_victims_filled(struct fsdrv_victims *v)
{
    g_mutex_lock(&v->lock);
    v->filled = (size_t)g_sequence_get_length(v->order);
    v->left = 0;
    g_mutex_unlock(&v->lock);
}
