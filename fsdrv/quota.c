// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Quotas of an export, the xen-9pfsd xenstore keys (docs/design.md "Limits"):
 *   max_open_files  struct fsdrv_file open at once (-EMFILE beyond);
 *   max_files       names beneath the root, of every kind (-EDQUOT);
 *   max_space       bytes of regular files, st_blocks * 512 (-EDQUOT); an
 *                   unlinked file's stay counted until we close it last;
 *   auto_delete     make room by deleting the oldest (mtime) regular files
 *                   that are not open.
 *
 * Files and space are counted once per export open, on a thread of its own
 * so that the device serves meanwhile.  During that count, requests that
 * only read (walks, reads, attributes, directory listings, opens) go on;
 * every change the count would see (a name made, renamed or removed, a
 * file written, truncated or allocated) waits until it is done, so no
 * request is judged against half a count and the count is exact when it
 * ends.  Our own operations then keep it up to date (changes made on the
 * host behind our back are seen at the next export open).  Nothing is
 * scanned, locked or stat'ed when these quotas are not set.  Counters are
 * atomics: writers reserve before they allocate, so concurrent writers to
 * different files never overshoot together.
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/quota.h"
#include "fsdrv/scan.h"
#include "fsdrv/victims.h"

/* Auto-delete's index of the oldest files (victims.h): part of what a device
 * may hold of dom0's memory (docs/design.md "Limits"). */
#define VICTIMS_MAX_BYTES (4u << 20)

/* A regular file we hold open; the key first, as the inode sets want it. */
struct open_inode {
    struct fsdrv_inode_key key;
    unsigned opens;
    bool unlinked;              /* its last name went: its last close frees its space */
};

struct fsdrv_quota {
    uint64_t max_files;
    uint64_t max_space;
    bool auto_delete;
    _Atomic int64_t files;      /* may dip below 0 transiently: read with used() */
    _Atomic int64_t space;
    /* The count made when the export opens. */
    GThread *counter;
    atomic_bool stop;
    atomic_bool counted;
    GMutex count_lock;
    GCond count_done;
    /* Regular files open: auto-delete spares them, unlinked ones keep their space. */
    GMutex open_lock;
    GHashTable *open_set;       /* struct open_inode */
    GMutex delete_lock;         /* one auto-delete at a time */
    struct fsdrv_victims *victims;      /* auto_delete only */
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

/* "dir/name" relative to the root (`dirlen` bytes of `dir`). */
static char *join_len(const char *dir, size_t dirlen, const char *name)
{
    return dirlen ? g_strdup_printf("%.*s/%s", (int)dirlen, dir, name) : g_strdup(name);
}

static char *join(const char *dir, const char *name)
{
    return join_len(dir, strlen(dir), name);
}

/* ---- the count -------------------------------------------------------- */

struct count_state {
    struct fsdrv_quota *q;
    GHashTable *seen;           /* hard-linked inodes, counted once for space */
};

static bool count_entry(const char *dir, const char *name, const struct stat *st,
                        void *opaque)
{
    struct count_state *cs = opaque;
    struct fsdrv_quota *q = cs->q;
    atomic_fetch_add(&q->files, 1);
    if (S_ISREG(st->st_mode) &&
        (st->st_nlink <= 1 || fsdrv_inode_set_add(cs->seen, st->st_dev, st->st_ino)))
        atomic_fetch_add(&q->space, (int64_t)file_bytes(st));
    if (q->victims && S_ISREG(st->st_mode)) {
        char *path = join(dir, name);
        fsdrv_victims_add(q->victims, path, st);
        g_free(path);
    }
    return !atomic_load(&q->stop);
}

static void count(struct fsdrv_export *exp)
{
    struct fsdrv_quota *q = exp->quota;
    struct count_state cs = { q, fsdrv_inode_set_new() };
    int err = fsdrv_scan(exp, count_entry, &cs);
    g_hash_table_destroy(cs.seen);
    if (err && err != -ECANCELED)
        g_warning("fsdrv: the quota's count of the export failed: %s", g_strerror(-err));
    if (q->victims)
        fsdrv_victims_filled(q->victims);
    g_mutex_lock(&q->count_lock);
    atomic_store(&q->counted, true);
    g_cond_broadcast(&q->count_done);
    g_mutex_unlock(&q->count_lock);
}

static gpointer count_thread(gpointer exp)
{
    count(exp);
    return NULL;
}

void fsdrv_quota_init(struct fsdrv_export *exp)
{
    const struct fsdrv_config *cfg = &exp->cfg;
    if (!cfg->max_files && !cfg->max_space)
        return;

    struct fsdrv_quota *q = g_new0(struct fsdrv_quota, 1);
    q->max_files = cfg->max_files;
    q->max_space = cfg->max_space;
    q->auto_delete = cfg->auto_delete;
    atomic_init(&q->files, 0);
    atomic_init(&q->space, 0);
    atomic_init(&q->stop, false);
    atomic_init(&q->counted, false);
    g_mutex_init(&q->count_lock);
    g_cond_init(&q->count_done);
    g_mutex_init(&q->open_lock);
    q->open_set = fsdrv_inode_set_new();
    g_mutex_init(&q->delete_lock);
    if (q->auto_delete)
        q->victims = fsdrv_victims_new(VICTIMS_MAX_BYTES);
    exp->quota = q;
    q->counter = g_thread_try_new("fsdrv-count", count_thread, exp, NULL);
    if (!q->counter)
        count(exp);             /* no thread to be had: before serving, then */
}

void fsdrv_quota_fini(struct fsdrv_export *exp)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q)
        return;
    atomic_store(&q->stop, true);
    if (q->counter)
        g_thread_join(q->counter);
    fsdrv_victims_free(q->victims);
    g_mutex_clear(&q->delete_lock);
    g_hash_table_destroy(q->open_set);
    g_mutex_clear(&q->open_lock);
    g_cond_clear(&q->count_done);
    g_mutex_clear(&q->count_lock);
    g_free(q);
    exp->quota = NULL;
}

void fsdrv_quota_wait_count(struct fsdrv_export *exp)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q || atomic_load(&q->counted))
        return;
    g_mutex_lock(&q->count_lock);
    while (!atomic_load(&q->counted))
        g_cond_wait(&q->count_done, &q->count_lock);
    g_mutex_unlock(&q->count_lock);
}

bool fsdrv_quota_tracking(const struct fsdrv_export *exp)
{
    return exp->quota != NULL;
}

bool fsdrv_quota_tracks_space(const struct fsdrv_export *exp)
{
    return exp->quota && exp->quota->max_space;
}

void fsdrv_quota_usage(struct fsdrv_export *exp, uint64_t *files, uint64_t *space,
                       bool *counting)
{
    struct fsdrv_quota *q = exp->quota;
    *files = q && q->max_files ? used(&q->files) : 0;
    *space = q && q->max_space ? used(&q->space) : 0;
    *counting = q && !atomic_load(&q->counted);
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

void fsdrv_quota_file_opened(struct fsdrv_file *file)
{
    struct fsdrv_quota *q = file->exp->quota;
    if (!q)
        return;
    struct fsdrv_inode_key key = { file->dev, file->ino };
    g_mutex_lock(&q->open_lock);
    struct open_inode *o = g_hash_table_lookup(q->open_set, &key);
    if (!o) {
        o = g_new0(struct open_inode, 1);
        o->key = key;
        g_hash_table_add(q->open_set, o);
    }
    o->opens++;
    g_mutex_unlock(&q->open_lock);
}

void fsdrv_quota_file_closed(struct fsdrv_file *file)
{
    struct fsdrv_quota *q = file->exp->quota;
    if (!q)
        return;
    struct fsdrv_inode_key key = { file->dev, file->ino };
    g_mutex_lock(&q->open_lock);
    struct open_inode *o = g_hash_table_lookup(q->open_set, &key);
    if (o && --o->opens == 0) {
        struct stat st;
        /* Our close frees what an unlinked file still held. */
        if (o->unlinked && q->max_space && FSDRV_NOINTR(fstat(file->fd, &st)) == 0)
            atomic_fetch_sub(&q->space, (int64_t)file_bytes(&st));
        g_hash_table_remove(q->open_set, &key);
    }
    g_mutex_unlock(&q->open_lock);
}

static bool is_open(struct fsdrv_quota *q, dev_t dev, ino_t ino)
{
    g_mutex_lock(&q->open_lock);
    bool open = fsdrv_inode_set_contains(q->open_set, dev, ino);
    g_mutex_unlock(&q->open_lock);
    return open;
}

/* ---- names ------------------------------------------------------------- */

void fsdrv_quota_before_remove(struct fsdrv_export *exp, int dirfd, const char *name,
                               struct fsdrv_quota_victim *v)
{
    v->fd = -1;
    if (!exp->quota)
        return;
    fsdrv_quota_wait_count(exp);
    /* Held across the removal: afterwards it tells whether the last name went. */
    v->fd = FSDRV_NOINTR(openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (v->fd >= 0 && FSDRV_NOINTR(fstat(v->fd, &v->st)) < 0) {
        close(v->fd);
        v->fd = -1;
    }
}

/* As fsdrv_quota_after_remove, for the victim `path` (root-relative). */
static void after_remove(struct fsdrv_export *exp, struct fsdrv_quota_victim *v, bool gone,
                         const char *path)
{
    struct fsdrv_quota *q = exp->quota;
    if (v->fd < 0)
        return;
    struct stat now;
    if (gone && q->max_files)
        atomic_fetch_sub(&q->files, 1);
    if (gone && q->max_space && S_ISREG(v->st.st_mode) &&
        FSDRV_NOINTR(fstat(v->fd, &now)) == 0 && now.st_nlink == 0) {
        g_mutex_lock(&q->open_lock);
        struct fsdrv_inode_key key = { now.st_dev, now.st_ino };
        struct open_inode *o = g_hash_table_lookup(q->open_set, &key);
        if (o)
            o->unlinked = true;
        else
            atomic_fetch_sub(&q->space, (int64_t)file_bytes(&now));
        g_mutex_unlock(&q->open_lock);
    }
    if (gone && q->victims && path)
        fsdrv_victims_remove(q->victims, path);
    close(v->fd);
    v->fd = -1;
}

/* `name` in `dir` as a root-relative path (g_free), NULL if `dir` lost its name. */
static char *node_join(const struct fsdrv_node *dir, const char *name)
{
    g_autofree char *dirpath = fsdrv_node_path(dir);
    return dirpath ? join(dirpath, name) : NULL;
}

void fsdrv_quota_after_remove(struct fsdrv_export *exp, struct fsdrv_quota_victim *v,
                              bool gone, const struct fsdrv_node *dir, const char *name)
{
    if (v->fd < 0)
        return;
    g_autofree char *path = gone && exp->quota->victims ? node_join(dir, name) : NULL;
    after_remove(exp, v, gone, path);
}

void fsdrv_quota_named(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                       const char *name, int dirfd)
{
    struct fsdrv_quota *q = exp->quota;
    struct stat st;
    if (!q || !q->victims ||
        FSDRV_NOINTR(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) < 0 || !S_ISREG(st.st_mode))
        return;
    g_autofree char *path = node_join(dir, name);
    if (path)
        fsdrv_victims_add(q->victims, path, &st);
}

void fsdrv_quota_renamed(struct fsdrv_export *exp, const struct fsdrv_node *olddir,
                         const char *oldname, const struct fsdrv_node *newdir,
                         const char *newname, int newdirfd)
{
    struct fsdrv_quota *q = exp->quota;
    struct stat st;
    if (!q || !q->victims ||
        FSDRV_NOINTR(fstatat(newdirfd, newname, &st, AT_SYMLINK_NOFOLLOW)) < 0)
        return;
    g_autofree char *from = node_join(olddir, oldname);
    g_autofree char *to = node_join(newdir, newname);
    if (from && to)
        fsdrv_victims_move(q->victims, from, to, S_ISDIR(st.st_mode));
}

/* ---- auto-delete ------------------------------------------------------ */

static bool room_for(struct fsdrv_quota *q, uint64_t files, uint64_t bytes)
{
    if (q->max_files && used(&q->files) + files > q->max_files)
        return false;
    if (q->max_space && used(&q->space) + bytes > q->max_space)
        return false;
    return true;
}

enum verdict { DELETED, GONE, SPARED, YOUNGER };

/* Deletes the index's entry `v` if it is still that closed regular file, as old. */
static enum verdict try_delete(struct fsdrv_export *exp, const struct fsdrv_victim *v)
{
    struct fsdrv_quota *q = exp->quota;
    const char *slash = strrchr(v->path, '/');
    const char *name = slash ? slash + 1 : v->path;
    size_t dirlen = slash ? (size_t)(slash - v->path) : 0;
    int dirfd;
    bool owned;
    if (fsdrv_resolve_dir(exp, v->path, dirlen, &dirfd, &owned))
        return GONE;
    enum verdict verdict = GONE;
    struct stat st;
    if (FSDRV_NOINTR(fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW)) < 0 ||
        !S_ISREG(st.st_mode) || st.st_dev != v->dev || st.st_ino != v->ino) {
        verdict = GONE;
    } else if (is_open(q, v->dev, v->ino)) {
        verdict = SPARED;
    } else if (st.st_mtim.tv_sec != v->mtime.tv_sec || st.st_mtim.tv_nsec != v->mtime.tv_nsec) {
        /* Written since: back in at its new age. */
        fsdrv_victims_add(q->victims, v->path, &st);
        verdict = YOUNGER;
    } else {
        struct fsdrv_quota_victim pin;
        fsdrv_quota_before_remove(exp, dirfd, name, &pin);
        bool done = exp->model->unlink(exp, dirfd, name, 0) == 0;
        after_remove(exp, &pin, done, v->path);
        if (done)
            g_info("fsdrv: auto-delete removed %s", v->path);
        verdict = done ? DELETED : GONE;
    }
    if (owned)
        close(dirfd);
    return verdict;
}

/* Fills the index again from a walk (victims.h: only once it has emptied). */
static bool refill_entry(const char *dir, const char *name, const struct stat *st,
                         void *opaque)
{
    struct fsdrv_export *exp = opaque;
    if (S_ISREG(st->st_mode)) {
        char *path = join(dir, name);
        fsdrv_victims_add(exp->quota->victims, path, st);
        g_free(path);
    }
    return true;
}

/* Deletes the oldest closed files until `files` and `bytes` more fit. */
static int make_room(struct fsdrv_export *exp, uint64_t files, uint64_t bytes)
{
    struct fsdrv_quota *q = exp->quota;
    GArray *spared = g_array_new(FALSE, FALSE, sizeof(struct fsdrv_victim));
    bool refilled = false;

    g_mutex_lock(&q->delete_lock);
    while (!room_for(q, files, bytes)) {
        struct fsdrv_victim v;
        if (!fsdrv_victims_take(q->victims, &v)) {
            if (refilled || !fsdrv_victims_refill_due(q->victims))
                break;
            fsdrv_victims_clear(q->victims);
            fsdrv_scan(exp, refill_entry, exp);
            fsdrv_victims_filled(q->victims);
            refilled = true;
            continue;
        }
        switch (try_delete(exp, &v)) {
        case SPARED:
            g_array_append_val(spared, v);
            continue;
        case DELETED:
        case GONE:
            fsdrv_victims_gone(q->victims);
            break;
        case YOUNGER:
            break;
        }
        g_free(v.path);
    }
    /* Open files stay candidates for a later call. */
    for (guint i = 0; i < spared->len; i++)
        fsdrv_victims_put_back(q->victims, &g_array_index(spared, struct fsdrv_victim, i));
    g_array_free(spared, TRUE);
    int err = room_for(q, files, bytes) ? 0 : -EDQUOT;
    g_mutex_unlock(&q->delete_lock);
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
    if (!q)
        return 0;
    fsdrv_quota_wait_count(exp);
    if (!q->max_files || try_reserve(&q->files, q->max_files, 1))
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
    if (!q || !q->max_space)
        return 0;
    fsdrv_quota_wait_count(exp);
    if (try_reserve(&q->space, q->max_space, bytes))
        return 0;
    if (q->auto_delete && make_room(exp, 0, bytes) == 0 &&
        try_reserve(&q->space, q->max_space, bytes))
        return 0;
    return -EDQUOT;
}

void fsdrv_quota_release_space(struct fsdrv_export *exp, uint64_t bytes)
{
    struct fsdrv_quota *q = exp->quota;
    if (q && q->max_space)
        atomic_fetch_sub(&q->space, (int64_t)bytes);
}

uint64_t fsdrv_quota_space_avail(struct fsdrv_export *exp)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q || !q->max_space)
        return UINT64_MAX;
    uint64_t u = used(&q->space);
    return u < q->max_space ? q->max_space - u : 0;
}

void fsdrv_quota_settle(struct fsdrv_export *exp, int fd, const struct stat *before,
                        uint64_t reserved)
{
    struct fsdrv_quota *q = exp->quota;
    if (!q || !q->max_space)
        return;
    struct stat after;
    /* Without a second look the reservation stands: the count errs high. */
    int64_t change = FSDRV_NOINTR(fstat(fd, &after)) == 0
        ? ((int64_t)after.st_blocks - before->st_blocks) * 512 : (int64_t)reserved;
    if (change != (int64_t)reserved)
        atomic_fetch_add(&q->space, change - (int64_t)reserved);
}

static uint64_t round_up(uint64_t v, uint64_t to)
{
    return (v + to - 1) / to * to;
}

static uint64_t block_size(const struct stat *st)
{
    return st->st_blksize > 0 ? (uint64_t)st->st_blksize : 4096;
}

uint64_t fsdrv_quota_write_growth(const struct stat *st, off_t offset, size_t count)
{
    if (count == 0)
        return 0;
    uint64_t blk = block_size(st);
    uint64_t allocated = (uint64_t)st->st_blocks * 512;
    uint64_t end = round_up((uint64_t)offset + count, blk);
    /* No more than what lies past the allocated bytes (appends, overwrites) ... */
    uint64_t beyond = end > allocated ? end - allocated : 0;
    /* ... nor more than the data's own blocks (writes into holes). */
    uint64_t data = round_up(count, blk) + blk;
    return MIN(beyond, data);
}

uint64_t fsdrv_quota_truncate_growth(const struct stat *st, off_t size)
{
    /* A filesystem without holes allocates what lies between the old end and the new. */
    if (size <= st->st_size)
        return 0;
    return fsdrv_quota_write_growth(st, st->st_size, (size_t)(size - st->st_size));
}
