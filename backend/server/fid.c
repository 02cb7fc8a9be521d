// SPDX-License-Identifier: GPL-2.0-or-later
/* Fids: the client's handles, per session (docs/design.md: fid tables are per device). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "backend/server/session.h"

struct p9_fid *p9_fid_new(uint32_t num, uid_t uid, struct fsdrv_node *node)
{
    struct p9_fid *fid = g_new0(struct p9_fid, 1);
    atomic_init(&fid->refs, 1);
    fid->num = num;
    fid->uid = uid;
    fid->node = node;
    fid->kind = FID_FILE;
    pthread_mutex_init(&fid->lock, NULL);
    return fid;
}

struct p9_fid *p9_fid_ref(struct p9_fid *fid)
{
    atomic_fetch_add_explicit(&fid->refs, 1, memory_order_relaxed);
    return fid;
}

void p9_fid_unref(struct p9_fid *fid)
{
    if (!fid || atomic_fetch_sub_explicit(&fid->refs, 1, memory_order_acq_rel) != 1)
        return;
    if (fid->charged)
        atomic_fetch_sub_explicit(&fid->session->held, fid->charged, memory_order_relaxed);
    if (fid->file)
        fsdrv_close(fid->file);
    fsdrv_node_unref(fid->node);
    g_free(fid->xattr_name);
    g_free(fid->xattr_buf);
    pthread_mutex_destroy(&fid->lock);
    g_free(fid);
}

struct fsdrv_node *p9_fid_node(struct p9_fid *fid)
{
    pthread_mutex_lock(&fid->lock);
    struct fsdrv_node *node = fsdrv_node_ref(fid->node);
    pthread_mutex_unlock(&fid->lock);
    return node;
}

static unsigned shard_of(uint32_t num)
{
    return num % P9_FID_SHARDS;
}

void p9_fid_table_init(struct p9_fid_table *t)
{
    for (unsigned i = 0; i < P9_FID_SHARDS; i++) {
        pthread_mutex_init(&t->shard[i].lock, NULL);
        t->shard[i].fids = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                                 (GDestroyNotify)p9_fid_unref);
    }
    atomic_init(&t->count, 0);
}

void p9_fid_table_destroy(struct p9_fid_table *t)
{
    for (unsigned i = 0; i < P9_FID_SHARDS; i++) {
        g_hash_table_destroy(t->shard[i].fids);
        pthread_mutex_destroy(&t->shard[i].lock);
    }
}

struct p9_fid *p9_session_fid(struct p9_session *s, uint32_t num)
{
    unsigned i = shard_of(num);
    pthread_mutex_lock(&s->fids.shard[i].lock);
    struct p9_fid *fid = g_hash_table_lookup(s->fids.shard[i].fids, GUINT_TO_POINTER(num));
    if (fid)
        p9_fid_ref(fid);
    pthread_mutex_unlock(&s->fids.shard[i].lock);
    return fid;
}

bool p9_session_fid_holds_nothing(struct p9_session *s, uint32_t num)
{
    struct p9_fid *fid = p9_session_fid(s, num);
    bool nothing = false;
    /* The session's lock comes before a fid's; a busy fid is not waited for. */
    if (fid && pthread_mutex_trylock(&fid->lock) == 0) {
        nothing = fid->kind == FID_FILE && !fid->file && !fid->remove_on_clunk;
        pthread_mutex_unlock(&fid->lock);
    }
    if (fid)
        p9_fid_unref(fid);
    return nothing;
}

bool p9_session_fid_is_local(struct p9_session *s, uint32_t num)
{
    unsigned i = shard_of(num);
    pthread_mutex_lock(&s->fids.shard[i].lock);
    struct p9_fid *fid = g_hash_table_lookup(s->fids.shard[i].fids, GUINT_TO_POINTER(num));
    /* No fid lock: the caller holds the session's, which comes before it. */
    bool local = fid && atomic_load(&fid->local_file);
    pthread_mutex_unlock(&s->fids.shard[i].lock);
    return local;
}

int p9_fid_charge(struct p9_session *s, struct p9_fid *fid, uint64_t bytes)
{
    uint_fast64_t held = atomic_load_explicit(&s->held, memory_order_relaxed);
    do {
        if (held + bytes > s->cfg.max_held) {
            p9_session_limit_hit(s, "the memory its fids may hold (names, xattr values)");
            return -ENOMEM;
        }
    } while (!atomic_compare_exchange_weak_explicit(&s->held, &held, held + bytes,
                                                    memory_order_relaxed, memory_order_relaxed));
    fid->session = s;
    fid->charged += bytes;
    return 0;
}

/* Under the shard's lock: the table takes a reference, or -EBADF (in use). */
static int insert_locked(struct p9_fid_table *t, unsigned shard, struct p9_fid *fid)
{
    if (g_hash_table_contains(t->shard[shard].fids, GUINT_TO_POINTER(fid->num)))
        return -EBADF;
    g_hash_table_insert(t->shard[shard].fids, GUINT_TO_POINTER(fid->num), p9_fid_ref(fid));
    atomic_fetch_add(&t->count, 1);
    return 0;
}

int p9_session_put_fid(struct p9_session *s, struct p9_fid *fid)
{
    unsigned i = shard_of(fid->num);
    pthread_mutex_lock(&s->fids.shard[i].lock);
    int err = insert_locked(&s->fids, i, fid);
    pthread_mutex_unlock(&s->fids.shard[i].lock);
    return err;
}

int p9_session_add_fid(struct p9_request *req, struct p9_fid *fid)
{
    struct p9_session *s = req->session;
    /* What a fid costs dom0, so a guest cannot pin memory with fids
     * (docs/design.md "Limits"): the fid and a value it holds.  Its node is
     * shared, and counted by the export's inode store. */
    int err = p9_fid_charge(s, fid, sizeof(*fid) + fid->xattr_size);
    if (err)
        return err;
    unsigned i = shard_of(fid->num);
    pthread_mutex_lock(&s->lock);
    pthread_mutex_lock(&s->fids.shard[i].lock);
    /* A flushed request must leave no trace (docs/design.md: a cancelled Twalk's
     * newfid does not appear), so the check and the insert share the lock
     * the flush takes. */
    if (atomic_load(&req->cancel.requested))
        err = -EINTR;
    else if (g_hash_table_contains(s->fids.shard[i].fids, GUINT_TO_POINTER(fid->num)))
        err = -EBADF;
    else if (atomic_load(&s->fids.count) >= s->cfg.max_fids) {
        p9_session_limit_hit(s, "max fids");
        err = -EMFILE;
    } else {
        err = insert_locked(&s->fids, i, fid);
        req->committed = !err;
    }
    pthread_mutex_unlock(&s->fids.shard[i].lock);
    pthread_mutex_unlock(&s->lock);
    return err;
}

struct p9_fid *p9_session_take_fid(struct p9_session *s, uint32_t num)
{
    struct p9_fid *fid = NULL;
    unsigned i = shard_of(num);
    pthread_mutex_lock(&s->fids.shard[i].lock);
    if (g_hash_table_steal_extended(s->fids.shard[i].fids, GUINT_TO_POINTER(num), NULL,
                                    (gpointer *)&fid))
        atomic_fetch_sub(&s->fids.count, 1);
    pthread_mutex_unlock(&s->fids.shard[i].lock);
    return fid;
}

void p9_session_clear_fids(struct p9_session *s)
{
    for (unsigned i = 0; i < P9_FID_SHARDS; i++) {
        pthread_mutex_lock(&s->fids.shard[i].lock);
        GHashTable *old = s->fids.shard[i].fids;
        s->fids.shard[i].fids = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                                      (GDestroyNotify)p9_fid_unref);
        atomic_fetch_sub(&s->fids.count, g_hash_table_size(old));
        pthread_mutex_unlock(&s->fids.shard[i].lock);
        /* Closing files may take time: outside the lock. */
        g_hash_table_destroy(old);
    }
}
