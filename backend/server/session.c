// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A 9P session: requests in, whole replies out, in completion order, and
 * Tflush exactly as docs/design.md "Tflush and cancelled requests" says:
 *  - flushed while queued: no reply, Rflush at once;
 *  - flushed while running: a call waiting for a FIFO is woken; a pure call is
 *    abandoned (Rflush at once, result dropped) unless it already made its
 *    fid (Twalk, Txattrwalk: then it is treated as completed), any other call's outcome
 *    decides: interrupted -> no reply, then Rflush; completed -> its reply,
 *    and the Rflush once the transport delivered that reply;
 *  - flushed while its reply is on the way: Rflush after delivery;
 *  - unknown or finished tag: Rflush at once.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend/server/ops.h"
#include "backend/server/session.h"
#include "backend/server/trace.h"

#define DEFAULT_MAX_WORKERS 16
/* As many as requests may be in flight: a guest's blocked readers never
 * leave its other requests without a thread. */
#define DEFAULT_MAX_WAITING_WORKERS 256
#define DEFAULT_MAX_REQUESTS 512
#define DEFAULT_MAX_BUFFERED (32u << 20)
#define DEFAULT_MAX_FIDS 65536
#define DEFAULT_MAX_HELD (16u << 20)
#define LIMIT_LOG_INTERVAL_US (60 * G_USEC_PER_SEC)
#define FLUSH_HEADROOM 64

/* Sessions alive, so the daemon can let workers finish before it exits. */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t live_cond = PTHREAD_COND_INITIALIZER;
static unsigned live_sessions;

static void link_request(struct p9_session *s, struct p9_request *req)
{
    req->all_next = s->all;
    if (s->all)
        s->all->all_prev = req;
    s->all = req;
}

static void unlink_request(struct p9_session *s, struct p9_request *req)
{
    if (req->all_prev)
        req->all_prev->all_next = req->all_next;
    else
        s->all = req->all_next;
    if (req->all_next)
        req->all_next->all_prev = req->all_prev;
    req->all_prev = req->all_next = NULL;
}

/* Stops tracking a tag, if it still names this request (a client may
 * reuse a tag once the Rflush is out, while the old request finishes). */
static void forget_tag(struct p9_session *s, struct p9_request *req)
{
    gpointer key = GUINT_TO_POINTER(req->tag);
    if (g_hash_table_lookup(s->tags, key) == req)
        g_hash_table_remove(s->tags, key);
}

void p9_request_free(struct p9_request *req)
{
    fsdrv_cancel_destroy(&req->cancel);
    g_free(req->msg);
    g_free(req->data);
    g_free(req->scratch);
    if (req->reply.buf != req->data)
        g_free(req->reply.buf);
    g_free(req);
}

/* Drops a request that will send nothing more; session lock held. */
void p9_request_retire_locked(struct p9_session *s, struct p9_request *req)
{
    forget_tag(s, req);
    unlink_request(s, req);
    s->inflight--;
    s->buffered -= req->buffered;
    if (s->refused && !s->closed && s->inflight < s->cfg.max_requests &&
        s->buffered < s->cfg.max_buffered) {
        s->refused = false;
        s->ops->wake(s->ctx);
    }
    p9_request_free(req);
}

uint8_t *p9_reply_payload(struct p9_request *req, uint32_t cap)
{
    struct p9_session *s = req->session;
    pthread_mutex_lock(&s->lock);
    s->buffered += cap;
    req->buffered += cap;
    pthread_mutex_unlock(&s->lock);
    g_free(req->data);
    /* header[7] count[4] payload */
    req->data = g_malloc(P9_HDR_SIZE + 4 + cap);
    return req->data + P9_HDR_SIZE + 4;
}

bool p9_reply_payload_in_place(struct p9_request *req, uint32_t cap, struct iovec payload[2],
                               int *n)
{
    struct p9_session *s = req->session;
    *n = 0;
    if (!s->ops->reply_space ||
        !s->ops->reply_space(s->ctx, req->reply.origin, P9_HDR_SIZE + 4 + cap, req->place,
                             &req->place_n))
        return false;
    /* The payload starts behind the header and the count. */
    size_t skip = P9_HDR_SIZE + 4;
    for (int i = 0; i < req->place_n; i++) {
        struct iovec piece = req->place[i];
        if (piece.iov_len <= skip) {
            skip -= piece.iov_len;
            continue;
        }
        payload[(*n)++] = (struct iovec){ (uint8_t *)piece.iov_base + skip,
                                          piece.iov_len - skip };
        skip = 0;
    }
    return true;
}

/* Writes `len` bytes into the transport's space (req->place) from its start. */
static void put_in_place(struct p9_request *req, const uint8_t *bytes, size_t len)
{
    for (int i = 0; i < req->place_n && len; i++) {
        size_t n = MIN(len, req->place[i].iov_len);
        memcpy(req->place[i].iov_base, bytes, n);
        bytes += n;
        len -= n;
    }
}

static int errno_of(int err)
{
    return err < 0 ? -err : EIO;
}

/* Builds req->reply from the handler's result; returns the result sent.
 * Session lock held. */
static int encode_reply(struct p9_request *req, int result)
{
    uint8_t *buf;
    size_t size;
    /* msize bounds every message, replies included: an Rstat of a long
     * symlink or an Rreadlink can outgrow a small msize. */
    if (result >= 0 &&
        P9_HDR_SIZE + p9_encoded_size(req->op->rfmt, req->out.a, req->dialect) > req->session->msize)
        result = -EMSGSIZE;
    if (result < 0) {
        union p9_arg a[2];
        uint8_t id;
        const char *fmt;
        if (req->dialect == P9_2000_L) {
            id = P9_RLERROR;
            fmt = P9_RLERROR_FMT;
            a[0].d = errno_of(result);
        } else {
            id = P9_RERROR;
            fmt = P9_RERROR_FMT;
            a[0].s = p9_str_of(g_strerror(errno_of(result)));
            a[1].d = errno_of(result);
        }
        size = P9_HDR_SIZE + p9_encoded_size(fmt, a, req->dialect);
        buf = g_malloc(size);
        p9_encode(buf + P9_HDR_SIZE, fmt, a, req->dialect);
        p9_put_header(buf, size, id, req->tag);
    } else if (req->place_n) {
        /* The payload is in the transport's space: the header and count go before it. */
        uint8_t head[P9_HDR_SIZE + 4];
        size = P9_HDR_SIZE + p9_encode(head + P9_HDR_SIZE, req->op->rfmt, req->out.a,
                                       req->dialect);
        p9_put_header(head, size, req->op->id + 1, req->tag);
        put_in_place(req, head, sizeof(head));
        buf = NULL;
        req->reply.in_place = true;
    } else if (req->data) {
        /* The payload is in place behind room for the header and count. */
        buf = req->data;
        size = P9_HDR_SIZE + p9_encode(buf + P9_HDR_SIZE, req->op->rfmt, req->out.a, req->dialect);
        p9_put_header(buf, size, req->op->id + 1, req->tag);
    } else {
        size = P9_HDR_SIZE + p9_encoded_size(req->op->rfmt, req->out.a, req->dialect);
        buf = g_malloc(size);
        p9_encode(buf + P9_HDR_SIZE, req->op->rfmt, req->out.a, req->dialect);
        p9_put_header(buf, size, req->op->id + 1, req->tag);
    }
    if (result < 0 && req->data) {
        g_free(req->data);
        req->data = NULL;
    }
    req->reply.buf = buf;
    req->reply.size = size;
    return result;
}

/* Hands the encoded reply to the transport; session lock held. */
static void send_locked(struct p9_session *s, struct p9_request *req)
{
    req->state = REQ_REPLYING;
    s->ops->send(s->ctx, &req->reply);
}

static void send_rflushes_locked(struct p9_session *s, struct p9_request *flush)
{
    while (flush) {
        struct p9_request *next = flush->next;
        flush->next = NULL;
        encode_reply(flush, 0);
        P9_TRACE(reply, flush, 0);
        send_locked(s, flush);
        flush = next;
    }
}

/* The end of a request's run: its reply, or nothing if it was flushed. */
static void complete(struct p9_request *req, int result)
{
    struct p9_session *s = req->session;

    pthread_mutex_lock(&s->lock);
    if (s->closed || req->state == REQ_ABANDONED) {
        p9_request_retire_locked(s, req);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    if (result == -EINTR && atomic_load(&req->cancel.requested)) {
        /* Interrupted by a flush: the zero-sized reply, then the Rflushes. */
        P9_TRACE(cancel, req);
        struct p9_request *flushes = req->flushes;
        p9_request_retire_locked(s, req);
        send_rflushes_locked(s, flushes);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    result = encode_reply(req, result);
    P9_TRACE(reply, req, result);
    send_locked(s, req);
    pthread_mutex_unlock(&s->lock);
}

/*
 * A request the transport's thread began that would have to wait for a disk
 * (P9_TO_WORKER) goes on a worker thread; a flush that came meanwhile is
 * honoured there (the worker's call sees it cancelled) or, when the session
 * ended, the request ends here.
 */
static void to_worker(struct p9_request *req)
{
    struct p9_session *s = req->session;
    req->on_transport = false;
    /* Its data leaves the transport now; copied outside the lock. */
    if (req->write_pieces)
        p9_request_take_data(req);
    pthread_mutex_lock(&s->lock);
    if (!s->closed && req->state == REQ_RUNNING) {
        req->state = REQ_QUEUED;
        p9_workers_enqueue(s, req);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    pthread_mutex_unlock(&s->lock);
    complete(req, -EINTR);
}

void p9_session_run(struct p9_request *req)
{
    int result = p9_handler_of(req->op->id)(req);
    if (result == P9_TO_WORKER)
        to_worker(req);
    else
        complete(req, result);
}

/* Tflush, in arrival order on the transport's thread; session lock held. */
static void flush_locked(struct p9_session *s, struct p9_request *flush)
{
    uint16_t oldtag = flush->in.tflush.oldtag.w;
    struct p9_request *old = NULL;
    if (oldtag != flush->tag)
        old = g_hash_table_lookup(s->tags, GUINT_TO_POINTER(oldtag));
    if (old && old->op && old->op->id == P9_TFLUSH)
        old = NULL;
    if (!old) {
        send_rflushes_locked(s, flush);
        return;
    }
    switch (old->state) {
    case REQ_QUEUED:
        /* The worker that dequeues it drops it. */
        atomic_store(&old->cancel.requested, true);
        old->state = REQ_CANCELLED;
        forget_tag(s, old);
        P9_TRACE(cancel, old);
        send_rflushes_locked(s, flush);
        return;
    case REQ_RUNNING:
        fsdrv_cancel_request(&old->cancel);
        /* A pure call that already made its fid cannot be undone silently:
         * its reply goes out, then the Rflush. */
        if ((old->op->flags & P9_OP_PURE) && !old->committed) {
            old->state = REQ_ABANDONED;
            forget_tag(s, old);
            P9_TRACE(cancel, old);
            send_rflushes_locked(s, flush);
            return;
        }
        break;
    case REQ_REPLYING:
        break;
    default:
        /* Not reachable: only the states above are in the tag table. */
        send_rflushes_locked(s, flush);
        return;
    }
    flush->state = REQ_FLUSH_WAIT;
    flush->next = old->flushes;
    old->flushes = flush;
}

/*
 * Whether `req` runs here, on the transport's thread, rather than on a
 * worker thread: nothing is queued before it, and it cannot wait for
 * anything but a lookup on a local disk: a read-only name call (walk,
 * getattr, statfs, readlink, ...; P9_OP_PURE and P9_OP_LOCAL) on a local
 * export, the clunk of a fid that holds nothing, or a read or write of a local
 * regular file, which the handler makes without waiting (fsdrv_try_preadv,
 * P9_TO_WORKER when it would wait).  A call that changes names or attributes
 * may wait for the file system's journal, and a Xen ring's thread that waits
 * strands the guest's senders (docs/design.md "A full request ring").  No
 * hand-off, no wake-up: the reply is queued before the transport looks for
 * more (docs/design.md "Concurrency").  Session lock held.
 */
static bool queue_empty_locked(struct p9_session *s)
{
    return !s->queue_head && !s->cfg.workers_only;
}

static bool runs_here_locked(struct p9_session *s, struct p9_request *req)
{
    if (!queue_empty_locked(s))
        return false;
    if ((req->op->flags & (P9_OP_LOCAL | P9_OP_PURE)) == (P9_OP_LOCAL | P9_OP_PURE))
        return fsdrv_export_is_local(s->cfg.export);
    switch (req->id) {
    case P9_TREAD: return p9_session_fid_is_local(s, req->in.tread.fid.d);
    case P9_TWRITE: return p9_session_fid_is_local(s, req->in.twrite.fid.d);
    case P9_TCLUNK: return p9_session_fid_holds_nothing(s, req->in.tclunk.fid.d);
    default: return false;
    }
}

/* Bytes of a Twrite before its data: header, fid[4] offset[8] count[4]. */
#define TWRITE_HEAD (P9_HDR_SIZE + 16)

/*
 * Decodes the head of a Twrite whose data is still in the transport
 * (p9_session_submit_split): the fields as p9_decode would, the data
 * pointer NULL.
 */
static int decode_twrite_head(struct p9_request *req, uint32_t size)
{
    /* Decoded into req->in itself: fid and offset land where Twrite's view
     * has them; the count, read as a plain number, becomes the data's. */
    int err = p9_decode(req->msg + P9_HDR_SIZE, TWRITE_HEAD - P9_HDR_SIZE, "dqd", req->dialect,
                        &req->in);
    if (err)
        return err;
    uint32_t count = req->in.a[2].d;
    if (size < TWRITE_HEAD || count != size - TWRITE_HEAD)
        return P9_CODEC_SHORT;
    req->in.twrite.data.D = (struct p9_data){ .count = count, .ptr = NULL };
    return 0;
}

/* A request going to a worker thread takes its Twrite data along. */
void p9_request_take_data(struct p9_request *req)
{
    uint32_t count = req->in.twrite.data.D.count;
    req->msg = g_realloc(req->msg, TWRITE_HEAD + count);
    uint8_t *p = req->msg + TWRITE_HEAD;
    for (int i = 0; i < req->write_pieces; i++) {
        memcpy(p, req->write_data[i].iov_base, req->write_data[i].iov_len);
        p += req->write_data[i].iov_len;
    }
    req->in.twrite.data.D.ptr = req->msg + TWRITE_HEAD;
    req->write_pieces = 0;
}

static void submit(struct p9_session *s, uint8_t *msg, uint32_t size, uint32_t origin,
                   const struct iovec *data, int pieces)
{
    struct p9_request *req = g_new0(struct p9_request, 1);
    uint32_t header_size;
    p9_get_header(msg, &header_size, &req->id, &req->tag);
    req->session = s;
    req->msg = msg;
    req->msg_size = size;
    req->reply.origin = origin;
    fsdrv_cancel_init(&req->cancel);
    req->cancel.on_wait = p9_workers_waiting;
    req->cancel.wait_ctx = s;

    pthread_mutex_lock(&s->lock);
    if (s->closed) {
        pthread_mutex_unlock(&s->lock);
        p9_request_free(req);
        return;
    }
    req->dialect = s->dialect;
    s->inflight++;
    s->handled++;
    req->buffered = size;
    s->buffered += size;
    link_request(s, req);
    if (req->dialect != P9_DIALECT_NONE || req->id == P9_TVERSION)
        req->op = p9_op_find(req->id, req->dialect);
    if (req->op && data && req->id == P9_TWRITE) {
        req->decode_error = decode_twrite_head(req, size);
        for (int i = 0; i < pieces; i++)
            req->write_data[i] = data[i];
        req->write_pieces = pieces;
    } else if (req->op && data) {
        req->decode_error = P9_CODEC_SHORT;    /* only a Twrite comes in two parts */
    } else if (req->op) {
        req->decode_error = p9_decode(msg + P9_HDR_SIZE, size - P9_HDR_SIZE, req->op->tfmt,
                                      req->dialect ? req->dialect : P9_2000, &req->in);
    }
    P9_TRACE(request, req);
    if (!req->op || req->decode_error) {
        encode_reply(req, req->op ? -EINVAL : -EOPNOTSUPP);
        P9_TRACE(reply, req, req->op ? -EINVAL : -EOPNOTSUPP);
        send_locked(s, req);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    if (req->id != P9_TFLUSH)
        g_hash_table_insert(s->tags, GUINT_TO_POINTER(req->tag), req);
    if (req->id == P9_TFLUSH) {
        flush_locked(s, req);
        pthread_mutex_unlock(&s->lock);
    } else if ((req->op->flags & P9_OP_INLINE) || runs_here_locked(s, req)) {
        req->state = REQ_RUNNING;
        req->on_transport = true;
        pthread_mutex_unlock(&s->lock);
        p9_session_run(req);
    } else {
        if (req->write_pieces)
            p9_request_take_data(req);
        req->state = REQ_QUEUED;
        p9_workers_enqueue(s, req);
        pthread_mutex_unlock(&s->lock);
    }
}

void p9_session_submit(struct p9_session *s, uint8_t *msg, uint32_t size, uint32_t origin)
{
    submit(s, msg, size, origin, NULL, 0);
}

uint32_t p9_session_split_size(uint8_t id, uint32_t size)
{
    /* Below a few KiB the copy costs less than the bookkeeping. */
    return id == P9_TWRITE && size >= TWRITE_HEAD + 1024 ? TWRITE_HEAD : 0;
}

void p9_session_submit_split(struct p9_session *s, uint8_t *head, uint32_t size,
                             uint32_t origin, const struct iovec rest[2], int pieces)
{
    /* A write that will go to a worker thread is copied out whole now,
     * outside the session's lock; the decision is made again under it
     * (another ring may queue a request meanwhile: then submit copies). */
    uint32_t fid = head[P9_HDR_SIZE] | head[P9_HDR_SIZE + 1] << 8 |
                   (uint32_t)head[P9_HDR_SIZE + 2] << 16 | (uint32_t)head[P9_HDR_SIZE + 3] << 24;
    pthread_mutex_lock(&s->lock);
    bool here = queue_empty_locked(s) && p9_session_fid_is_local(s, fid);
    pthread_mutex_unlock(&s->lock);
    if (here) {
        submit(s, head, size, origin, rest, pieces);
        return;
    }
    uint32_t split = p9_session_split_size(P9_TWRITE, size);
    uint8_t *msg = g_realloc(head, size), *p = msg + split;
    for (int i = 0; i < pieces; i++) {
        memcpy(p, rest[i].iov_base, rest[i].iov_len);
        p += rest[i].iov_len;
    }
    submit(s, msg, size, origin, NULL, 0);
}

struct p9_session *p9_session_new(const struct p9_session_config *cfg,
                                  const struct p9_transport_ops *ops, void *ctx)
{
    struct p9_session *s = g_new0(struct p9_session, 1);
    pthread_mutex_lock(&live_lock);
    live_sessions++;
    pthread_mutex_unlock(&live_lock);
    atomic_init(&s->refs, 1);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->work_ready, NULL);
    s->cfg = *cfg;
    if (!s->cfg.max_workers)
        s->cfg.max_workers = DEFAULT_MAX_WORKERS;
    if (!s->cfg.max_waiting_workers)
        s->cfg.max_waiting_workers = DEFAULT_MAX_WAITING_WORKERS;
    else if (s->cfg.max_waiting_workers < 0)
        s->cfg.max_waiting_workers = 0;
    if (!s->cfg.max_requests)
        s->cfg.max_requests = DEFAULT_MAX_REQUESTS;
    if (!s->cfg.max_buffered)
        s->cfg.max_buffered = DEFAULT_MAX_BUFFERED;
    if (!s->cfg.max_fids)
        s->cfg.max_fids = DEFAULT_MAX_FIDS;
    if (!s->cfg.max_held)
        s->cfg.max_held = DEFAULT_MAX_HELD;
    atomic_init(&s->held, 0);
    atomic_init(&s->limit_logged, INT64_MIN / 2);
    s->label = g_strdup(cfg->label ? cfg->label : "session");
    s->cfg.label = s->label;
    s->ops = ops;
    s->ctx = ctx;
    s->dialect = P9_DIALECT_NONE;
    s->msize = cfg->max_msize;
    s->tags = g_hash_table_new(g_direct_hash, g_direct_equal);
    p9_fid_table_init(&s->fids);
    return s;
}

uint32_t p9_session_msize(struct p9_session *s)
{
    pthread_mutex_lock(&s->lock);
    uint32_t msize = s->msize;
    pthread_mutex_unlock(&s->lock);
    return msize;
}

bool p9_session_can_accept(struct p9_session *s, uint8_t id)
{
    pthread_mutex_lock(&s->lock);
    bool ok = s->inflight < s->cfg.max_requests && s->buffered < s->cfg.max_buffered;
    /* A Tflush is small and is what unblocks the others. */
    if (!ok && id == P9_TFLUSH)
        ok = s->inflight < s->cfg.max_requests + FLUSH_HEADROOM;
    if (!ok)
        s->refused = true;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

void p9_session_reply_done(struct p9_session *s, struct p9_reply *reply)
{
    struct p9_request *req = (struct p9_request *)((char *)reply - offsetof(struct p9_request, reply));
    pthread_mutex_lock(&s->lock);
    if (!s->closed) {
        struct p9_request *flushes = req->flushes;
        p9_request_retire_locked(s, req);
        send_rflushes_locked(s, flushes);
    }
    pthread_mutex_unlock(&s->lock);
}

void p9_session_limit_hit(struct p9_session *s, const char *what)
{
    int64_t now = g_get_monotonic_time(), last = atomic_load(&s->limit_logged);
    if (now - last < LIMIT_LOG_INTERVAL_US ||
        !atomic_compare_exchange_strong(&s->limit_logged, &last, now))
        return;
    g_warning("%s: the guest reached %s; its call failed (logged at most once a minute)",
              s->label, what);
}

void p9_session_get_stats(struct p9_session *s, struct p9_session_stats *out)
{
    pthread_mutex_lock(&s->lock);
    out->requests = s->handled;
    out->inflight = s->inflight;
    out->buffered = s->buffered;
    out->fids = atomic_load(&s->fids.count);
    out->held = atomic_load(&s->held);
    out->msize = s->msize;
    pthread_mutex_unlock(&s->lock);
}

void p9_session_unref(struct p9_session *s)
{
    if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    p9_fid_table_destroy(&s->fids);
    g_hash_table_destroy(s->tags);
    pthread_cond_destroy(&s->work_ready);
    pthread_mutex_destroy(&s->lock);
    g_free(s->label);
    g_free(s);
    pthread_mutex_lock(&live_lock);
    if (--live_sessions == 0)
        pthread_cond_broadcast(&live_cond);
    pthread_mutex_unlock(&live_lock);
}

bool p9_server_wait_idle(unsigned seconds)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += seconds;
    pthread_mutex_lock(&live_lock);
    while (live_sessions &&
           pthread_cond_timedwait(&live_cond, &live_lock, &deadline) != ETIMEDOUT)
        ;
    bool idle = live_sessions == 0;
    pthread_mutex_unlock(&live_lock);
    return idle;
}

void p9_session_close(struct p9_session *s)
{
    pthread_mutex_lock(&s->lock);
    s->closed = true;
    /* Everything not on a worker goes now; running requests are
     * cancelled and retire when their worker returns. */
    struct p9_request *req = s->all, *next;
    for (; req; req = next) {
        next = req->all_next;
        if (req->state == REQ_RUNNING || req->state == REQ_ABANDONED) {
            fsdrv_cancel_request(&req->cancel);
        } else if (req->state != REQ_QUEUED && req->state != REQ_CANCELLED) {
            unlink_request(s, req);
            p9_request_free(req);
        }
    }
    /* Queued requests: the workers drop them (they are on the queue). */
    for (req = s->queue_head; req; req = req->next)
        req->state = REQ_CANCELLED;
    g_hash_table_remove_all(s->tags);
    pthread_cond_broadcast(&s->work_ready);
    pthread_mutex_unlock(&s->lock);
    p9_session_clear_fids(s);
    p9_session_unref(s);
}
