// SPDX-License-Identifier: GPL-2.0-or-later
/* A guest's file operations over p9front (see xb-9p.h). */
#include "config.h"

#include "tests/xenbackend/xb-9p.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* ---- the pattern ---- */

/* splitmix64: every 8-byte block of a file is a function of (seed, block). */
static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void xb_pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint64_t seed)
{
    size_t i = 0;
    while (i < len) {
        uint64_t at = offset + i;
        uint64_t v = mix(seed * 0x100000001b3ull ^ (at / 8));
        for (unsigned b = at % 8; b < 8 && i < len; b++, i++)
            buf[i] = (uint8_t)(v >> (8 * b));
    }
}

char *xb_pattern_sha256(uint64_t size, uint64_t seed)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t *buf = g_malloc(1 << 20);
    for (uint64_t off = 0; off < size;) {
        size_t n = MIN(size - off, (uint64_t)1 << 20);
        xb_pattern_fill(buf, n, off, seed);
        g_checksum_update(sum, buf, n);
        off += n;
    }
    char *hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    g_free(buf);
    return hex;
}

gboolean xb_pattern_write_file(const char *path, uint64_t size, uint64_t seed, GError **error)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    uint8_t *buf = g_malloc(1 << 20);
    gboolean ok = TRUE;
    for (uint64_t off = 0; ok && off < size;) {
        size_t n = MIN(size - off, (uint64_t)1 << 20);
        xb_pattern_fill(buf, n, off, seed);
        ok = fwrite(buf, 1, n, f) == n;
        off += n;
    }
    ok = fclose(f) == 0 && ok;
    g_free(buf);
    if (!ok)
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: write failed", path);
    return ok;
}

/* ---- single requests ---- */

int xb9_call(struct p9front *fs, uint8_t id, const union p9_arg *a, struct p9front_reply *reply)
{
    struct p9front_reply r;
    int err = p9front_rpc(fs, id, a, &r);
    if (err)
        return err;
    if (r.r.error) {
        g_free(r.buf);
        return -r.r.error;
    }
    if (r.r.id != id + 1) {
        g_free(r.buf);
        return -EPROTO;
    }
    if (reply)
        *reply = r;
    else
        g_free(r.buf);
    return 0;
}

static bool dotl(struct p9front *fs)
{
    return p9front_dialect(fs) == P9_2000_L;
}

int xb9_walk(struct p9front *fs, const char *path, uint32_t newfid)
{
    char **parts = g_strsplit(path, "/", -1);
    struct p9_str names[P9_MAXWELEM];
    uint16_t n = 0;
    for (char **p = parts; *p && n < P9_MAXWELEM; p++) {
        if (**p)
            names[n++] = p9_str_of(*p);
    }
    union p9_arg a[3];
    a[0].d = 0;
    a[1].d = newfid;
    a[2].T.n = n;
    a[2].T.v = names;
    struct p9front_reply r;
    int err = xb9_call(fs, P9_TWALK, a, &r);
    if (!err) {
        /* A partial walk leaves newfid unused: the rest of the path is missing. */
        if (r.r.body.a[0].R.n != n)
            err = -ENOENT;
        g_free(r.buf);
    }
    g_strfreev(parts);
    return err;
}

int xb9_clunk(struct p9front *fs, uint32_t fid)
{
    union p9_arg a[1] = { { .d = fid } };
    return xb9_call(fs, P9_TCLUNK, a, NULL);
}

int xb9_open(struct p9front *fs, const char *path, uint32_t fid, gboolean writable)
{
    int err = xb9_walk(fs, path, fid);
    if (err)
        return err;
    union p9_arg a[2];
    a[0].d = fid;
    if (dotl(fs)) {
        a[1].d = writable ? P9_DOTL_RDWR : P9_DOTL_RDONLY;
        err = xb9_call(fs, P9_TLOPEN, a, NULL);
    } else {
        a[1].b = writable ? P9_ORDWR : P9_OREAD;
        err = xb9_call(fs, P9_TOPEN, a, NULL);
    }
    if (err)
        xb9_clunk(fs, fid);
    return err;
}

int xb9_create(struct p9front *fs, const char *path, uint32_t fid)
{
    char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path);
    int err = xb9_walk(fs, strcmp(dir, ".") ? dir : "", fid);
    if (!err) {
        union p9_arg a[5];
        a[0].d = fid;
        a[1].s = p9_str_of(base);
        if (dotl(fs)) {
            a[2].d = P9_DOTL_RDWR | P9_DOTL_TRUNC;
            a[3].d = 0644;
            a[4].d = 0;
            err = xb9_call(fs, P9_TLCREATE, a, NULL);
        } else {
            a[2].d = 0644;
            a[3].b = P9_ORDWR | P9_OTRUNC;
            a[4].s = p9_str_of("");
            err = xb9_call(fs, P9_TCREATE, a, NULL);
        }
        if (err)
            xb9_clunk(fs, fid);
    }
    if (err == -EEXIST) {
        /* It exists already: open it and cut it to nothing. */
        err = xb9_walk(fs, path, fid);
        if (!err) {
            union p9_arg a[2];
            a[0].d = fid;
            if (dotl(fs)) {
                a[1].d = P9_DOTL_RDWR | P9_DOTL_TRUNC;
                err = xb9_call(fs, P9_TLOPEN, a, NULL);
            } else {
                a[1].b = P9_ORDWR | P9_OTRUNC;
                err = xb9_call(fs, P9_TOPEN, a, NULL);
            }
            if (err)
                xb9_clunk(fs, fid);
        }
    }
    g_free(dir);
    g_free(base);
    return err;
}

int xb9_remove(struct p9front *fs, const char *path)
{
    const uint32_t fid = 0x7fff0001;
    int err = xb9_walk(fs, path, fid);
    if (err)
        return err;
    union p9_arg a[1] = { { .d = fid } };
    return xb9_call(fs, P9_TREMOVE, a, NULL);     /* the fid goes either way */
}

int xb9_stat_root(struct p9front *fs)
{
    union p9_arg a[2];
    a[0].d = 0;
    if (dotl(fs)) {
        a[1].q = P9_GETATTR_BASIC;
        return xb9_call(fs, P9_TGETATTR, a, NULL);
    }
    return xb9_call(fs, P9_TSTAT, a, NULL);
}

/* ---- pipelined transfers ---- */

struct xfer_op {
    uint16_t tag;
    unsigned file;
    uint64_t offset;
    uint32_t len;
};

struct xfer {
    struct p9front *fs;
    const struct xb9_file *files;
    unsigned n, inflight;
    GRand *rand;
    bool reading;
    uint64_t *next;             /* per file: first offset not requested yet */
    GQueue ops;                 /* struct xfer_op *, oldest first */
    uint32_t iounit;
    char *why;
    /* in-order checksum of a single file's reads */
    GChecksum *sum;
    uint64_t summed;
    GHashTable *early;          /* offset -> GBytes read ahead of `summed` */
};

static G_GNUC_PRINTF(3, 4) int xfer_fail(struct xfer *x, int err, const char *fmt, ...)
{
    if (!x->why) {
        va_list ap;
        va_start(ap, fmt);
        x->why = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    }
    return err;
}

/* A random request size: often small, usually anything up to the iounit. */
static uint32_t pick_len(struct xfer *x, uint64_t left)
{
    uint32_t max = g_rand_int_range(x->rand, 0, 4) == 0 ? MIN(4096u, x->iounit) : x->iounit;
    uint32_t len = (uint32_t)g_rand_int_range(x->rand, 1, (gint32)max + 1);
    return left < len ? (uint32_t)left : len;
}

/* A file with bytes left to request, at random; -1 when all are done. */
static int pick_file(struct xfer *x)
{
    unsigned open[64], k = 0;
    for (unsigned i = 0; i < x->n && k < G_N_ELEMENTS(open); i++) {
        if (x->next[i] < x->files[i].size)
            open[k++] = i;
    }
    return k ? (int)open[g_rand_int_range(x->rand, 0, (gint32)k)] : -1;
}

static int issue(struct xfer *x, unsigned f)
{
    const struct xb9_file *file = &x->files[f];
    struct xfer_op *op = g_new0(struct xfer_op, 1);
    op->file = f;
    op->offset = x->next[f];
    op->len = pick_len(x, file->size - op->offset);
    union p9_arg a[3];
    a[0].d = file->fid;
    a[1].q = op->offset;
    int err;
    if (x->reading) {
        a[2].d = op->len;
        err = p9front_send(x->fs, P9_TREAD, a, &op->tag);
    } else {
        uint8_t *buf = g_malloc(op->len);
        xb_pattern_fill(buf, op->len, op->offset, file->seed);
        a[2].D = (struct p9_data){ .count = op->len, .ptr = buf };
        err = p9front_send(x->fs, P9_TWRITE, a, &op->tag);
        g_free(buf);
    }
    if (err) {
        g_free(op);
        return xfer_fail(x, err, "sending a %s at %" G_GUINT64_FORMAT ": %s",
                         x->reading ? "Tread" : "Twrite", x->next[f], g_strerror(-err));
    }
    x->next[f] += op->len;
    g_queue_push_tail(&x->ops, op);
    return 0;
}

static void feed_sum(struct xfer *x, uint64_t offset, const uint8_t *data, uint32_t len)
{
    if (!x->sum)
        return;
    if (offset != x->summed) {
        g_hash_table_insert(x->early, g_memdup2(&offset, sizeof(offset)),
                            g_bytes_new(data, len));
        return;
    }
    g_checksum_update(x->sum, data, len);
    x->summed += len;
    GBytes *b;
    while ((b = g_hash_table_lookup(x->early, &x->summed))) {
        gsize n;
        const uint8_t *p = g_bytes_get_data(b, &n);
        g_checksum_update(x->sum, p, n);
        uint64_t at = x->summed;
        x->summed += n;
        g_hash_table_remove(x->early, &at);
    }
}

static int check_read(struct xfer *x, const struct xfer_op *op, const struct p9_data *d)
{
    if (d->count != op->len)
        return xfer_fail(x, -EIO, "file %u: read of %u at %" G_GUINT64_FORMAT " returned %u",
                         op->file, op->len, op->offset, d->count);
    uint8_t *want = g_malloc(op->len);
    xb_pattern_fill(want, op->len, op->offset, x->files[op->file].seed);
    int err = 0;
    if (memcmp(want, d->ptr, op->len) != 0) {
        uint32_t i = 0;
        while (want[i] == d->ptr[i])
            i++;
        err = xfer_fail(x, -EIO, "file %u: byte %" G_GUINT64_FORMAT " is %#x, not %#x",
                        op->file, op->offset + i, d->ptr[i], want[i]);
    } else {
        feed_sum(x, op->offset, d->ptr, d->count);
    }
    g_free(want);
    return err;
}

static int complete_oldest(struct xfer *x)
{
    struct xfer_op *op = g_queue_pop_head(&x->ops);
    struct p9front_reply r;
    int err = p9front_wait(x->fs, op->tag, &r);
    if (err) {
        err = xfer_fail(x, err, "waiting for tag %u: %s", op->tag, g_strerror(-err));
    } else {
        if (r.r.error)
            err = xfer_fail(x, -r.r.error, "file %u: %s at %" G_GUINT64_FORMAT ": %s", op->file,
                            x->reading ? "read" : "write", op->offset, g_strerror(r.r.error));
        else if (x->reading)
            err = check_read(x, op, &r.r.body.a[0].D);
        else if (r.r.body.a[0].d != op->len)
            err = xfer_fail(x, -EIO, "file %u: write of %u at %" G_GUINT64_FORMAT " wrote %u",
                            op->file, op->len, op->offset, r.r.body.a[0].d);
        g_free(r.buf);
    }
    g_free(op);
    return err;
}

static int run_xfer(struct xfer *x)
{
    int err = 0;
    for (;;) {
        while (!err && g_queue_get_length(&x->ops) < x->inflight) {
            int f = pick_file(x);
            if (f < 0)
                break;
            err = issue(x, (unsigned)f);
        }
        if (g_queue_is_empty(&x->ops))
            break;
        /* After an error, still collect what is in flight. */
        int e = complete_oldest(x);
        if (!err)
            err = e;
    }
    return err;
}

static void xfer_init(struct xfer *x, struct p9front *fs, const struct xb9_file *files,
                      unsigned n, unsigned inflight, GRand *rand, bool reading)
{
    memset(x, 0, sizeof(*x));
    x->fs = fs;
    x->files = files;
    x->n = n;
    x->inflight = MAX(inflight, 1u);
    x->rand = rand;
    x->reading = reading;
    x->next = g_new0(uint64_t, n);
    x->iounit = p9front_msize(fs) - P9_IOHDR_SIZE;
    g_queue_init(&x->ops);
}

static int xfer_finish(struct xfer *x, int err, char **why)
{
    if (err && why)
        *why = x->why ? x->why : g_strdup(g_strerror(-err));
    else
        g_free(x->why);
    g_free(x->next);
    if (x->sum)
        g_checksum_free(x->sum);
    if (x->early)
        g_hash_table_destroy(x->early);
    return err;
}

int xb9_write_files(struct p9front *fs, const struct xb9_file *files, unsigned n,
                    unsigned inflight, GRand *rand, char **why)
{
    struct xfer x;
    xfer_init(&x, fs, files, n, inflight, rand, false);
    return xfer_finish(&x, run_xfer(&x), why);
}

/* A read at the end of the file returns nothing. */
static int check_eof(struct xfer *x, const struct xb9_file *file)
{
    union p9_arg a[3];
    a[0].d = file->fid;
    a[1].q = file->size;
    a[2].d = x->iounit;
    struct p9front_reply r;
    int err = xb9_call(x->fs, P9_TREAD, a, &r);
    if (err)
        return xfer_fail(x, err, "read at the end: %s", g_strerror(-err));
    uint32_t count = r.r.body.a[0].D.count;
    g_free(r.buf);
    if (count)
        return xfer_fail(x, -EIO, "read at the end (%" G_GUINT64_FORMAT ") returned %u bytes",
                         file->size, count);
    return 0;
}

int xb9_verify_files(struct p9front *fs, const struct xb9_file *files, unsigned n,
                     unsigned inflight, GRand *rand, char **sha256, char **why)
{
    struct xfer x;
    xfer_init(&x, fs, files, n, inflight, rand, true);
    if (sha256 && n == 1) {
        x.sum = g_checksum_new(G_CHECKSUM_SHA256);
        x.early = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free,
                                        (GDestroyNotify)g_bytes_unref);
    }
    int err = run_xfer(&x);
    for (unsigned i = 0; !err && i < n; i++)
        err = check_eof(&x, &files[i]);
    if (!err && x.sum) {
        if (x.summed != files[0].size)
            err = xfer_fail(&x, -EIO, "checksummed %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                            " bytes", x.summed, files[0].size);
        else
            *sha256 = g_strdup(g_checksum_get_string(x.sum));
    }
    return xfer_finish(&x, err, why);
}

/* ---- processes, as Linux's client sees them: one request at a time each ---- */

struct proc_job {
    struct p9front *fs;
    const char *path;
    uint64_t size, seed;
    uint32_t count, fid;
    bool writing;
    int err;
    char *why;
};

static int proc_fail(struct proc_job *j, int err, const char *what, uint64_t offset)
{
    if (!j->err) {
        j->err = err;
        j->why = g_strdup_printf("%s %s at %" G_GUINT64_FORMAT ": %s", what, j->path, offset,
                                 g_strerror(-err));
    }
    return err;
}

/* One Tread or Twrite of the job's file at `offset`; checks what came back. */
static int proc_step(struct proc_job *j, uint64_t offset, uint32_t len, uint8_t *buf,
                     uint8_t *want)
{
    union p9_arg a[3];
    a[0].d = j->fid;
    a[1].q = offset;
    if (j->writing) {
        xb_pattern_fill(buf, len, offset, j->seed);
        a[2].D = (struct p9_data){ .count = len, .ptr = buf };
    } else {
        a[2].d = len;
    }
    struct p9front_reply r;
    int err = xb9_call(j->fs, j->writing ? P9_TWRITE : P9_TREAD, a, &r);
    if (err)
        return proc_fail(j, err, j->writing ? "write" : "read", offset);
    if (j->writing) {
        if (r.r.body.a[0].d != len)
            err = proc_fail(j, -EIO, "short write of", offset);
    } else {
        const struct p9_data *d = &r.r.body.a[0].D;
        xb_pattern_fill(want, len, offset, j->seed);
        if (d->count != len || memcmp(d->ptr, want, len) != 0)
            err = proc_fail(j, -EIO, "wrong bytes read from", offset);
    }
    g_free(r.buf);
    return err;
}

static gpointer proc_main(gpointer data)
{
    struct proc_job *j = data;
    int err = j->writing ? xb9_create(j->fs, j->path, j->fid)
                         : xb9_open(j->fs, j->path, j->fid, FALSE);
    if (err) {
        proc_fail(j, err, j->writing ? "create" : "open", 0);
        return NULL;
    }
    uint8_t *buf = g_malloc(j->count), *want = g_malloc(j->count);
    for (uint64_t off = 0; off < j->size && !err; off += j->count)
        err = proc_step(j, off, (uint32_t)MIN((uint64_t)j->count, j->size - off), buf, want);
    g_free(buf);
    g_free(want);
    xb9_clunk(j->fs, j->fid);
    return NULL;
}

int xb9_processes(struct p9front *fs, const struct xb9_proc *procs, unsigned n, char **why)
{
    struct proc_job *jobs = g_new0(struct proc_job, n);
    GThread **threads = g_new0(GThread *, n);
    for (unsigned i = 0; i < n; i++) {
        jobs[i] = (struct proc_job){ .fs = fs, .path = procs[i].path, .size = procs[i].size,
                                     .seed = procs[i].seed, .count = procs[i].count,
                                     .fid = procs[i].fid, .writing = procs[i].writing };
        threads[i] = g_thread_new("xb9-proc", proc_main, &jobs[i]);
    }
    int err = 0;
    for (unsigned i = 0; i < n; i++) {
        g_thread_join(threads[i]);
        if (jobs[i].err && !err) {
            err = jobs[i].err;
            if (why)
                *why = g_steal_pointer(&jobs[i].why);
        }
        g_free(jobs[i].why);
    }
    g_free(threads);
    g_free(jobs);
    return err;
}
