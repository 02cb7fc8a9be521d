// SPDX-License-Identifier: GPL-2.0-or-later
/* The in-process transport and request helpers of the server tests (see server-harness.h). */
#include "config.h"

#include "tests/unit/server-harness.h"

#include "backend/proto/p9_table.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RPC_TIMEOUT_MS 5000

/* ---- the transport: called by the session, with its lock held ---- */

static void h_send(void *ctx, struct p9_reply *reply)
{
    struct harness *h = ctx;
    g_mutex_lock(&h->lock);
    g_queue_push_tail(&h->sent, reply);
    if (g_thread_self() != h->transport_thread)
        h->sent_by_workers++;
    g_cond_broadcast(&h->cond);
    g_mutex_unlock(&h->lock);
}

static void h_wake(void *ctx)
{
    struct harness *h = ctx;
    g_mutex_lock(&h->lock);
    h->wakes++;
    g_cond_broadcast(&h->cond);
    g_mutex_unlock(&h->lock);
}

static const struct p9_transport_ops h_ops = { .send = h_send, .wake = h_wake };

/* ---- setup ---- */

static void open_session(struct harness *h);

void h_init(int *argc, char ***argv)
{
    g_test_init(argc, argv, NULL);
    /* As the daemon: modes arrive final from the client. */
    umask(0);
}

struct harness *h_new(const struct h_options *opt)
{
    static const struct h_options defaults = { 0 };
    if (!opt)
        opt = &defaults;
    struct harness *h = g_new0(struct harness, 1);
    h->transport_thread = g_thread_self();
    h->top = g_strdup("/tmp/server-tests-unit-XXXXXX");
    g_assert_nonnull(mkdtemp(h->top));
    h->root = g_build_filename(h->top, "export", NULL);
    g_assert_cmpint(mkdir(h->root, 0755), ==, 0);
    h->rootfd = open(h->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(h->rootfd, >=, 0);
    h->opt = *opt;
    g_mutex_init(&h->lock);
    g_cond_init(&h->cond);
    g_queue_init(&h->sent);
    open_session(h);
    h->dialect = P9_DIALECT_NONE;
    h->next_tag = 1;
    return h;
}

/* The export and a session on it, as a worker opens them (h->opt). */
static void open_session(struct harness *h)
{
    const struct h_options *opt = &h->opt;
    struct fsdrv_config cfg = {
        .model = opt->model, .readonly = opt->readonly, .allow_acl = opt->allow_acl,
        .allow_setid = opt->allow_setid, .allow_devices = opt->allow_devices,
        .max_files = opt->max_files, .max_space = opt->max_space,
        .auto_delete = opt->auto_delete, .max_node_bytes = opt->max_node_bytes,
    };
    g_assert_cmpint(fsdrv_export_open(h->root, &cfg, &h->exp), ==, 0);
    struct p9_session_config scfg = {
        .export = h->exp,
        .max_msize = opt->max_msize ? opt->max_msize : 65536,
        .label = "test",
        .max_workers = opt->max_workers,
        .max_waiting_workers = opt->max_waiting_workers,
        .workers_only = opt->workers_only,
        .max_requests = opt->max_requests,
        .max_fids = opt->max_fids,
        .max_held = opt->max_held,
    };
    h->session = p9_session_new(&scfg, &h_ops, h);
}

/* Ends the session and the export, replies not taken included. */
static void close_session(struct harness *h)
{
    p9_session_close(h->session);
    /* Replies not delivered belong to the session now, which freed them. */
    g_mutex_lock(&h->lock);
    g_queue_clear(&h->sent);
    g_mutex_unlock(&h->lock);
    g_assert_true(p9_server_wait_idle(10));
    fsdrv_export_close(h->exp);
}

void h_reopen(struct harness *h)
{
    close_session(h);
    open_session(h);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void h_free(struct harness *h)
{
    close_session(h);
    close(h->rootfd);
    nftw(h->top, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    g_mutex_clear(&h->lock);
    g_cond_clear(&h->cond);
    g_free(h->root);
    g_free(h->top);
    g_free(h);
}

/* ---- raw traffic ---- */

void h_submit_bytes(struct harness *h, const void *msg, uint32_t len, uint32_t origin)
{
    p9_session_submit(h->session, g_memdup2(msg, len), len, origin);
}

void h_submit(struct harness *h, uint8_t id, uint16_t tag, const union p9_arg *a,
              uint32_t origin)
{
    /* A message of another dialect (to test its refusal) is built without '?' fields. */
    unsigned dialect = p9_op_find(id, h->dialect) ? h->dialect : P9_DIALECT_NONE;
    size_t size = p9c_size(id, dialect, a);
    g_assert_cmpuint(size, >=, P9_HDR_SIZE);
    uint8_t *msg = g_malloc(size);
    g_assert_cmpuint(p9c_build(msg, size, id, tag, dialect, a), ==, size);
    p9_session_submit(h->session, msg, size, origin);
}

uint16_t h_tag_of(const struct p9_reply *sent)
{
    return sent->buf[5] | sent->buf[6] << 8;
}

uint8_t h_id_of(const struct p9_reply *sent)
{
    return sent->buf[4];
}

/* Removes and returns the first queued reply that matches; h->lock held. */
static struct p9_reply *take_sent_locked(struct harness *h, bool any, uint16_t tag)
{
    for (GList *l = h->sent.head; l; l = l->next) {
        struct p9_reply *r = l->data;
        if (any || h_tag_of(r) == tag) {
            g_queue_delete_link(&h->sent, l);
            return r;
        }
    }
    return NULL;
}

static struct p9_reply *wait_sent(struct harness *h, bool any, uint16_t tag, unsigned ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    struct p9_reply *found;
    g_mutex_lock(&h->lock);
    while (!(found = take_sent_locked(h, any, tag))) {
        if (!g_cond_wait_until(&h->cond, &h->lock, deadline)) {
            /* One last look after the timeout. */
            found = take_sent_locked(h, any, tag);
            break;
        }
    }
    g_mutex_unlock(&h->lock);
    return found;
}

struct p9_reply *h_next_sent(struct harness *h, unsigned ms)
{
    return wait_sent(h, true, 0, ms);
}

struct p9_reply *h_sent_for_tag(struct harness *h, uint16_t tag, unsigned ms)
{
    return wait_sent(h, false, tag, ms);
}

unsigned h_pending(struct harness *h)
{
    g_mutex_lock(&h->lock);
    unsigned n = h->sent.length;
    g_mutex_unlock(&h->lock);
    return n;
}

struct h_reply *h_copy(struct harness *h, const struct p9_reply *sent)
{
    struct h_reply *r = g_new0(struct h_reply, 1);
    g_assert_cmpuint(sent->size, >=, P9_HDR_SIZE);
    uint32_t size = sent->buf[0] | sent->buf[1] << 8 | sent->buf[2] << 16 |
                    (uint32_t)sent->buf[3] << 24;
    g_assert_cmpuint(size, ==, sent->size);
    r->msg = g_memdup2(sent->buf, sent->size);
    r->size = sent->size;
    r->origin = sent->origin;
    r->parse_error = p9c_parse(r->msg, r->size, h->dialect, &r->r);
    return r;
}

struct h_reply *h_deliver(struct harness *h, struct p9_reply *sent)
{
    struct h_reply *r = h_copy(h, sent);
    p9_session_reply_done(h->session, sent);
    return r;
}

void h_reply_free(struct h_reply *r)
{
    if (r) {
        g_free(r->msg);
        g_free(r);
    }
}

/* ---- request / reply ---- */

uint16_t h_tag(struct harness *h)
{
    uint16_t tag = h->next_tag;
    h->next_tag = h->next_tag >= 0x7fff ? 1 : h->next_tag + 1;
    return tag;
}

struct h_reply *h_rpc(struct harness *h, uint8_t id, const union p9_arg *a)
{
    uint16_t tag = h_tag(h);
    h_submit(h, id, tag, a, 0);
    struct p9_reply *sent = h_sent_for_tag(h, tag, RPC_TIMEOUT_MS);
    if (!sent)
        g_error("no reply to message %u (tag %u) within %u ms", id, tag, RPC_TIMEOUT_MS);
    struct h_reply *r = h_deliver(h, sent);
    g_assert_cmpint(r->parse_error, ==, 0);
    return r;
}

struct h_reply *h_ok(struct harness *h, uint8_t id, const union p9_arg *a)
{
    struct h_reply *r = h_rpc(h, id, a);
    if (r->r.id != id + 1)
        g_error("message %u: reply %u, error %d (%s)", id, r->r.id, r->r.error,
                g_strerror(r->r.error));
    return r;
}

int h_err(struct harness *h, uint8_t id, const union p9_arg *a)
{
    struct h_reply *r = h_rpc(h, id, a);
    if (r->r.id != P9_RLERROR && r->r.id != P9_RERROR)
        g_error("message %u: expected an error, got reply %u", id, r->r.id);
    int err = r->r.error;
    g_assert_cmpint(err, >, 0);
    h_reply_free(r);
    return err;
}

/* 0 for success, else the errno; the reply is freed unless kept in *out. */
static int rpc_result(struct harness *h, uint8_t id, const union p9_arg *a, struct h_reply **out)
{
    struct h_reply *r = h_rpc(h, id, a);
    int err = 0;
    if (r->r.id == P9_RLERROR || r->r.id == P9_RERROR)
        err = r->r.error;
    else
        g_assert_cmpuint(r->r.id, ==, id + 1);
    if (out && !err)
        *out = r;
    else
        h_reply_free(r);
    return err;
}

/* ---- common requests ---- */

struct h_reply *h_version(struct harness *h, uint32_t msize, const char *version)
{
    union p9_arg a[2] = { { .d = msize }, { .s = p9_str_of(version) } };
    h_submit(h, P9_TVERSION, P9_NOTAG, a, 0);
    struct p9_reply *sent = h_sent_for_tag(h, P9_NOTAG, RPC_TIMEOUT_MS);
    g_assert_nonnull(sent);
    struct h_reply *r = h_deliver(h, sent);
    if (r->r.id == P9_RVERSION) {
        const char *v = r->r.body.a[1].s.s;
        h->dialect = !strcmp(v, "9P2000.L") ? P9_2000_L
                   : !strcmp(v, "9P2000.u") ? P9_2000_U
                   : !strcmp(v, "9P2000") ? P9_2000 : P9_DIALECT_NONE;
    }
    return r;
}

void h_start(struct harness *h, const char *version, uint32_t fid)
{
    struct h_reply *r = h_version(h, 65536, version);
    g_assert_cmpuint(r->r.id, ==, P9_RVERSION);
    g_assert_cmpstr(r->r.body.a[1].s.s, ==, version);
    h_reply_free(r);
    g_assert_cmpint(h_attach(h, fid, "", "", 0, NULL), ==, 0);
}

int h_attach(struct harness *h, uint32_t fid, const char *uname, const char *aname,
             uint32_t n_uname, struct p9_qid *qid)
{
    union p9_arg a[5] = { { .d = fid }, { .d = P9_NOFID }, { .s = p9_str_of(uname) },
                          { .s = p9_str_of(aname) }, { .d = n_uname } };
    struct h_reply *r = NULL;
    int err = rpc_result(h, P9_TATTACH, a, &r);
    if (!err) {
        if (qid)
            *qid = r->r.body.a[0].Q;
        h_reply_free(r);
    }
    return err;
}

int h_walk(struct harness *h, uint32_t fid, uint32_t newfid, const char *path,
           struct p9_qid *qids)
{
    gchar **parts = *path ? g_strsplit(path, "/", -1) : g_new0(gchar *, 1);
    struct p9_str names[P9_MAXWELEM + 1];
    unsigned n = 0;
    for (; parts[n]; n++) {
        g_assert_cmpuint(n, <=, P9_MAXWELEM);
        names[n] = p9_str_of(parts[n]);
    }
    union p9_arg a[3] = { { .d = fid }, { .d = newfid } };
    a[2].T.n = n;
    a[2].T.v = names;
    struct h_reply *r = NULL;
    int err = rpc_result(h, P9_TWALK, a, &r);
    g_strfreev(parts);
    if (err)
        return -err;
    int nq = r->r.body.a[0].R.n;
    if (qids)
        memcpy(qids, r->r.body.a[0].R.v, nq * sizeof(*qids));
    h_reply_free(r);
    return nq;
}

int h_clunk(struct harness *h, uint32_t fid)
{
    union p9_arg a[1] = { { .d = fid } };
    return rpc_result(h, P9_TCLUNK, a, NULL);
}

int h_lopen(struct harness *h, uint32_t fid, uint32_t flags, struct p9_qid *qid)
{
    union p9_arg a[2] = { { .d = fid }, { .d = flags } };
    struct h_reply *r = NULL;
    int err = rpc_result(h, P9_TLOPEN, a, &r);
    if (!err) {
        if (qid)
            *qid = r->r.body.a[0].Q;
        g_assert_cmpuint(r->r.body.a[1].d, >, 0);     /* iounit */
        h_reply_free(r);
    }
    return err;
}

struct h_reply *h_getattr(struct harness *h, uint32_t fid)
{
    union p9_arg a[2] = { { .d = fid }, { .q = P9_GETATTR_BASIC } };
    return h_ok(h, P9_TGETATTR, a);
}

long h_read(struct harness *h, uint32_t fid, uint64_t offset, uint32_t count, void *buf)
{
    union p9_arg a[3] = { { .d = fid }, { .q = offset }, { .d = count } };
    struct h_reply *r = NULL;
    int err = rpc_result(h, P9_TREAD, a, &r);
    if (err)
        return -err;
    long n = r->r.body.a[0].D.count;
    g_assert_cmpint(n, <=, count);
    memcpy(buf, r->r.body.a[0].D.ptr, n);
    h_reply_free(r);
    return n;
}

long h_write(struct harness *h, uint32_t fid, uint64_t offset, const void *buf, uint32_t count)
{
    union p9_arg a[3] = { { .d = fid }, { .q = offset } };
    a[2].D = (struct p9_data){ .count = count, .ptr = buf };
    struct h_reply *r = NULL;
    int err = rpc_result(h, P9_TWRITE, a, &r);
    if (err)
        return -err;
    long n = r->r.body.a[0].d;
    h_reply_free(r);
    return n;
}

/* ---- the export ---- */

char *h_path(struct harness *h, const char *rel)
{
    return g_build_filename(h->root, rel, NULL);
}

void h_put_file(struct harness *h, const char *rel, const void *data, size_t len)
{
    char *path = h_path(h, rel);
    GError *error = NULL;
    g_assert_true(g_file_set_contents(path, data, len, &error));
    chmod(path, 0644);
    g_free(path);
}

void h_mkdir(struct harness *h, const char *rel)
{
    char *path = h_path(h, rel);
    g_assert_cmpint(mkdir(path, 0755), ==, 0);
    g_free(path);
}

char *h_get_file(struct harness *h, const char *rel, size_t *len)
{
    char *path = h_path(h, rel);
    char *data = NULL;
    gsize n = 0;
    g_assert_true(g_file_get_contents(path, &data, &n, NULL));
    g_free(path);
    if (len)
        *len = n;
    return data;
}

int h_lstat(struct harness *h, const char *rel, struct stat *st)
{
    return fstatat(h->rootfd, rel, st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

bool h_exists(struct harness *h, const char *rel)
{
    struct stat st;
    return h_lstat(h, rel, &st) == 0;
}

bool h_wait_until(struct harness *h, bool (*cond)(struct harness *h, void *arg), void *arg,
                  unsigned ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    while (!cond(h, arg)) {
        if (g_get_monotonic_time() > deadline)
            return false;
        g_usleep(200);
    }
    return true;
}
