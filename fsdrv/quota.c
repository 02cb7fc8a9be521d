// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Quotas of an export, the xen-9pfsd xenstore keys:
 *   max_open_files  struct fsdrv_file open at once (-EMFILE beyond);
 *   max_files       non-directory names beneath the root (-EDQUOT);
 *   max_space       bytes of regular files, st_blocks * 512 (-EDQUOT);
 *   auto_delete     make room by deleting the oldest (mtime) regular files
 *                   that are not open.
 * Files and space are counted by a scan when the export opens and then
 * kept up to date by our own operations (changes made on the host behind
 * our back are not seen until the next export open).  Nothing is scanned,
 * locked or stat'ed when these quotas are not set.  Counters are atomics:
 * writers reserve before they allocate, so concurrent writers to different
 * files never overshoot together.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/quota.h"
#include "fsdrv/scan.h"

struct fsdrv_quota {
    uint64_t max_files;
    uint64_t max_space;
    bool auto_delete;
    _Atomic int64_t files;      /* may dip below 0 transiently: read with used() */
    _Atomic int64_t space;
    GMutex lock;                /* open_set; one auto-delete at a time */
    GHashTable *open_set;       /* struct fsdrv_inode_key -> count of open files */
};

static uint64_t used(_Atomic int64_t *counter)
{
    int64_t v = atomic_load(counter);
    return v > 0 ? (uint64_t)v : 0;
}

static uint64_t file_bytes(const struct stat *st)
{
    return S_ISREG(st->st_mode) ? (uint64_t)st->st_blocks * 512 : 0;
}

/* ---- the initial count ------------------------------------------------ */

struct count_state {
    int64_t files;
    int64_t space;
    GHashTable *seen;           /* hard-linked inodes, counted once for space */
};

static void count_entry(const char *dir, const char *name, const struct stat *st,
                        void *opaque)
{
    struct count_state *cs = opaque;
    if (S_ISDIR(st->st_mode))
        return;
    cs->files++;
    if (!S_ISREG(st->st_mode))
        return;
    if (st->st_nlink > 1 && !fsdrv_inode_set_add(cs->seen, st->st_dev, st->st_ino))
        return;
    cs->space += (int64_t)file_bytes(st);
}

int fsdrv_quota_init(struct fsdrv_export *exp)
{
    const struct fsdrv_config *cfg = &exp->cfg;
    if (!cfg->max_files && !cfg->max_space)
        return 0;

    struct count_state cs = { .seen = fsdrv_inode_set_new() };
    int err = fsdrv_scan(exp, count_entry, &cs);
    g_hash_table_destroy(cs.seen);
    if (err)
        return err;

    struct fsdrv_quota *q = g_new0(struct fsdrv_quota, 1);
    q->max_files = cfg->max_files;
    q->max_space = cfg->max_space;
    q->auto_delete = cfg->auto_delete;
    atomic_init(&q->files, cs.files);
    atomic_init(&q->space, cs.space);
    g_mutex_init(&q->lock);
    q->open_set = fsdrv_inode_set_new();
    exp->quota = q;
    return 0;
}

void fsdrv_quota_fini(struct fsdrv_export *exp)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q)
        return;
    g_hash_table_destroy(q->open_set);
    g_mutex_clear(&q->lock);
    g_free(q);
    exp->quota = NULL;
}

bool fsdrv_quota_tracking(const struct fsdrv_export *exp)
{
    return exp->quota != NULL;
}

bool fsdrv_quota_tracks_space(const struct fsdrv_export *exp)
{
    return exp->quota && exp->quota->max_space;
}

void fsdrv_quota_usage(struct fsdrv_export *exp, uint64_t *files, uint64_t *space)
{
    struct fsdrv_quota *q = exp->quota;
    *files = q && q->max_files ? used(&q->files) : 0;
    *space = q && q->max_space ? used(&q->space) : 0;
}

/* ---- open files ------------------------------------------------------- */

int fsdrv_quota_open_slot(struct fsdrv_export *exp)
{
    uint64_t max = exp->cfg.max_open_files;
    uint_fast64_t cur = atomic_load(&exp->open_files);
    do {
        if (max && cur >= max)
            return -EMFILE;
    } while (!atomic_compare_exchange_weak(&exp->open_files, &cur, cur + 1));
    return 0;
}

void fsdrv_quota_close_slot(struct fsdrv_export *exp)
{
    atomic_fetch_sub(&exp->open_files, 1);
}

void fsdrv_quota_file_opened(struct fsdrv_export *exp, dev_t dev, ino_t ino)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q || !q->auto_delete)
        return;
    struct fsdrv_inode_key key = { dev, ino };
    g_mutex_lock(&q->lock);
    unsigned count = GPOINTER_TO_UINT(g_hash_table_lookup(q->open_set, &key));
    g_hash_table_replace(q->open_set, fsdrv_inode_key_new(dev, ino),
                         GUINT_TO_POINTER(count + 1));
    g_mutex_unlock(&q->lock);
}

void fsdrv_quota_file_closed(struct fsdrv_export *exp, dev_t dev, ino_t ino)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q || !q->auto_delete)
        return;
    struct fsdrv_inode_key key = { dev, ino };
    g_mutex_lock(&q->lock);
    unsigned count = GPOINTER_TO_UINT(g_hash_table_lookup(q->open_set, &key));
    if (count > 1)
        g_hash_table_replace(q->open_set, fsdrv_inode_key_new(dev, ino),
                             GUINT_TO_POINTER(count - 1));
    else
        g_hash_table_remove(q->open_set, &key);
    g_mutex_unlock(&q->lock);
}

/* ---- auto-delete ------------------------------------------------------ */

struct victim {
    char *dir;
    char *name;
    struct timespec mtime;
    dev_t dev;
    ino_t ino;
};

struct victim_scan {
    struct fsdrv_quota *q;
    GArray *victims;
};

static void collect_victim(const char *dir, const char *name, const struct stat *st,
                           void *opaque)
{
    struct victim_scan *vs = opaque;
    if (!S_ISREG(st->st_mode))
        return;
    if (fsdrv_inode_set_contains(vs->q->open_set, st->st_dev, st->st_ino))
        return;
    struct victim v = {
        .dir = g_strdup(dir), .name = g_strdup(name), .mtime = st->st_mtim,
        .dev = st->st_dev, .ino = st->st_ino,
    };
    g_array_append_val(vs->victims, v);
}

static gint victim_older(gconstpointer a, gconstpointer b)
{
    const struct victim *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec)
        return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec)
        return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
    return 0;
}

static void victim_clear(gpointer p)
{
    struct victim *v = p;
    g_free(v->dir);
    g_free(v->name);
}

static bool room_for(struct fsdrv_quota *q, uint64_t files, uint64_t bytes)
{
    if (q->max_files && used(&q->files) + files > q->max_files)
        return false;
    if (q->max_space && used(&q->space) + bytes > q->max_space)
        return false;
    return true;
}

/* Deletes `v` if it is still the same closed regular file. */
static void delete_victim(struct fsdrv_export *exp, const struct victim *v)
{
    int dirfd;
    bool owned;
    if (fsdrv_resolve_dir(exp, v->dir, strlen(v->dir), &dirfd, &owned))
        return;
    struct stat st;
    if (FSDRV_NOINTR(fstatat(dirfd, v->name, &st, AT_SYMLINK_NOFOLLOW)) == 0 &&
        S_ISREG(st.st_mode) && st.st_dev == v->dev && st.st_ino == v->ino &&
        !fsdrv_inode_set_contains(exp->quota->open_set, v->dev, v->ino) &&
        exp->model->unlink(exp, dirfd, v->name, 0) == 0) {
        g_info("fsdrv: auto-delete removed %s%s%s", v->dir, v->dir[0] ? "/" : "",
               v->name);
        fsdrv_quota_removed(exp, &st);
    }
    if (owned)
        close(dirfd);
}

/* Deletes the oldest closed files until `files` and `bytes` more fit. */
static int make_room(struct fsdrv_export *exp, uint64_t files, uint64_t bytes)
{
    struct fsdrv_quota *q = exp->quota;
    int err = 0;

    g_mutex_lock(&q->lock);
    if (!room_for(q, files, bytes)) {
        struct victim_scan vs = { q, g_array_new(FALSE, FALSE, sizeof(struct victim)) };
        g_array_set_clear_func(vs.victims, victim_clear);
        fsdrv_scan(exp, collect_victim, &vs);
        g_array_sort(vs.victims, victim_older);
        for (guint i = 0; i < vs.victims->len && !room_for(q, files, bytes); i++)
            delete_victim(exp, &g_array_index(vs.victims, struct victim, i));
        g_array_free(vs.victims, TRUE);
        if (!room_for(q, files, bytes))
            err = -EDQUOT;
    }
    g_mutex_unlock(&q->lock);
    return err;
}

/* ---- files and space -------------------------------------------------- */

/* Adds n to the counter unless that goes beyond max. */
static bool try_reserve(_Atomic int64_t *counter, uint64_t max, uint64_t n)
{
    int64_t cur = atomic_load(counter);
    do {
        uint64_t u = cur > 0 ? (uint64_t)cur : 0;
        if (u > max || n > max - u)
            return false;
    } while (!atomic_compare_exchange_weak(counter, &cur, cur + (int64_t)n));
    return true;
}

int fsdrv_quota_reserve_file(struct fsdrv_export *exp)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q || !q->max_files)
        return 0;
    if (try_reserve(&q->files, q->max_files, 1))
        return 0;
    if (q->auto_delete && make_room(exp, 1, 0) == 0 &&
        try_reserve(&q->files, q->max_files, 1))
        return 0;
    return -EDQUOT;
}

void fsdrv_quota_release_file(struct fsdrv_export *exp)
{
    struct fsdrv_quota *q = exp->quota;
    if (q && q->max_files)
        atomic_fetch_sub(&q->files, 1);
}

int fsdrv_quota_reserve_space(struct fsdrv_export *exp, uint64_t bytes)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q || !q->max_space || bytes == 0)
        return 0;
    if (try_reserve(&q->space, q->max_space, bytes))
        return 0;
    if (q->auto_delete && make_room(exp, 0, bytes) == 0 &&
        try_reserve(&q->space, q->max_space, bytes))
        return 0;
    return -EDQUOT;
}

uint64_t fsdrv_quota_space_avail(struct fsdrv_export *exp)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q || !q->max_space)
        return UINT64_MAX;
    uint64_t u = used(&q->space);
    return u < q->max_space ? q->max_space - u : 0;
}

void fsdrv_quota_space_changed(struct fsdrv_export *exp, int64_t delta)
{
    struct fsdrv_quota *q = exp->quota;
    if (q && q->max_space && delta)
        atomic_fetch_add(&q->space, delta);
}

void fsdrv_quota_removed(struct fsdrv_export *exp, const struct stat *st)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q)
        return;
    if (q->max_files && !S_ISDIR(st->st_mode))
        atomic_fetch_sub(&q->files, 1);
    /* The space of a hard-linked inode goes with its last name. */
    if (q->max_space && st->st_nlink <= 1)
        atomic_fetch_sub(&q->space, (int64_t)file_bytes(st));
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

uint64_t fsdrv_quota_write_growth(const struct stat *st, off_t offset, size_t count)
{
    if (count == 0)
        return 0;
    uint64_t blk = st->st_blksize > 0 ? (uint64_t)st->st_blksize : 4096;
    uint64_t allocated = (uint64_t)st->st_blocks * 512;
    uint64_t end = round_up((uint64_t)offset + count, blk);
    /* No more than what lies past the allocated bytes (appends, overwrites) ... */
    uint64_t beyond = end > allocated ? end - allocated : 0;
    /* ... nor more than the data's own blocks (writes into holes). */
    uint64_t data = round_up(count, blk) + blk;
    return MIN(beyond, data);
}
