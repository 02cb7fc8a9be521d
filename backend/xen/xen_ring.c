// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A device ring (see xen_ring.h).  The thread's loop follows
 * docs/xen-transport.md C.2: unmask the channel, deliver replies the guest
 * has consumed (so waiting Rflushes may go), publish queued replies whole
 * (one in_prod move each, one notification per batch), then copy out every
 * whole request and hand it to the session (notifying after out_cons moves).
 */
#include "config.h"

#include "backend/xen/xen_ring.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <glib.h>

#include "backend/server/server.h"
#include "backend/common/wakeup.h"
#include "ring/ring.h"

/* A reply in the "in" ring that the guest has not consumed yet. */
struct published {
    struct p9_reply *reply;
    RING_IDX end;               /* producer index just after it */
};

struct xen_ring {
    unsigned domid, index, order;
    xengnttab_handle *xgt;
    struct xen_9pfs_data_intf *intf;
    void *data;
    struct ring_reader requests;
    struct ring_writer replies;
    xenevtchn_handle *xce;
    evtchn_port_t local_port;
    struct wakeup wake;         /* replies queued, room in the session, or stop */
    atomic_bool stop;
    atomic_bool paused;         /* takes no requests (a hand-over) */
    pthread_t thread;
    bool running;
    struct p9_session *session;
    void (*fail)(void *ctx, const char *why);
    void *fail_ctx;
    /* replies queued by any thread */
    pthread_mutex_t lock;
    struct p9_reply *queue_head, *queue_tail;
    /* ring thread only: replies waiting for room, replies awaiting consumption */
    struct p9_reply *backlog_head, *backlog_tail;
    GQueue unconsumed;          /* struct published, in publication order */
    /* stats */
    atomic_uint_fast64_t requests_in, replies_out, bytes_in, bytes_out;
    atomic_uint_fast64_t reply_waits;   /* replies that waited for room in "in" */
    atomic_uint_fast64_t in_place;      /* replies written straight into "in" */
    atomic_uint out_peak;               /* most request bytes seen queued in "out" */
    atomic_uint unconsumed_count;       /* length of `unconsumed`, for other threads */
    atomic_uint unpublished_count;      /* replies sent to us, not in the ring yet */
    bool waiting;                       /* ring thread: the backlog head found no room */
    bool queued_here;                   /* ring thread: it queued a reply itself (no wake) */
    bool published_here;                /* ring thread: it published a reply in place */
};

struct xen_ring *xen_ring_map_pages(xengnttab_handle *xgt, unsigned domid, unsigned index,
                                    grant_ref_t ref, unsigned max_order, char **error)
{
    struct xen_ring *r = g_new0(struct xen_ring, 1);
    r->domid = domid;
    r->index = index;
    r->xgt = xgt;
    r->wake.fd = -1;
    pthread_mutex_init(&r->lock, NULL);
    g_queue_init(&r->unconsumed);

    r->intf = xengnttab_map_grant_ref(xgt, domid, ref, PROT_READ | PROT_WRITE);
    if (!r->intf) {
        *error = g_strdup_printf("ring %u: cannot map interface page (grant ref %u): %s",
                                 index, ref, g_strerror(errno));
        goto fail;
    }
    /* Snapshot what the guest wrote (it may change it under us), then check. */
    uint32_t order = atomic_load_explicit((_Atomic uint32_t *)&r->intf->ring_order,
                                          memory_order_relaxed);
    if (!ring_order_valid(order, max_order)) {
        *error = g_strdup_printf("ring %u: ring_order %u outside 1..%u", index, order, max_order);
        goto fail;
    }
    r->order = order;
    unsigned npages = 1u << order;
    grant_ref_t *refs = g_new(grant_ref_t, npages);
    for (unsigned i = 0; i < npages; i++)
        refs[i] = atomic_load_explicit((_Atomic uint32_t *)&r->intf->ref[i], memory_order_relaxed);
    r->data = xengnttab_map_domain_grant_refs(xgt, npages, domid, refs, PROT_READ | PROT_WRITE);
    int saved = errno;
    g_free(refs);
    if (!r->data) {
        *error = g_strdup_printf("ring %u: cannot map %u data pages: %s", index, npages,
                                 g_strerror(saved));
        goto fail;
    }
    ring_backend_init(r->intf, r->data, order, &r->requests, &r->replies);
    if (wakeup_init(&r->wake) < 0) {
        *error = g_strdup_printf("ring %u: eventfd: %s", index, g_strerror(errno));
        goto fail;
    }
    return r;
fail:
    xen_ring_unmap(r);
    return NULL;
}

bool xen_ring_bind(struct xen_ring *r, evtchn_port_t port, char **error)
{
    r->xce = xenevtchn_open(NULL, 0);
    if (!r->xce) {
        *error = g_strdup_printf("ring %u: cannot open event channels: %s", r->index,
                                 g_strerror(errno));
        return false;
    }
    xenevtchn_port_or_error_t local = xenevtchn_bind_interdomain(r->xce, r->domid, port);
    if (local < 0) {
        *error = g_strdup_printf("ring %u: cannot bind event channel %u: %s", r->index, port,
                                 g_strerror(errno));
        return false;
    }
    r->local_port = local;
    return true;
}

bool xen_ring_take_channel(struct xen_ring *r, int fd, evtchn_port_t local_port, char **error)
{
    r->xce = xenevtchn_fdopen(NULL, fd, 0);
    if (!r->xce) {
        *error = g_strdup_printf("ring %u: cannot use the event channel handed over: %s",
                                 r->index, g_strerror(errno));
        close(fd);
        return false;
    }
    r->local_port = local_port;
    return true;
}

struct xen_ring *xen_ring_map(xengnttab_handle *xgt, unsigned domid, unsigned index,
                              grant_ref_t ref, evtchn_port_t port, unsigned max_order,
                              char **error)
{
    struct xen_ring *r = xen_ring_map_pages(xgt, domid, index, ref, max_order, error);
    if (r && !xen_ring_bind(r, port, error)) {
        xen_ring_unmap(r);
        r = NULL;
    }
    return r;
}

uint32_t xen_ring_capacity(const struct xen_ring *r)
{
    return ring_direction_bytes(r->order);
}

/* ---- the ring thread ---- */

/* The ring whose thread this is, if any (xen_ring_send). */
static _Thread_local struct xen_ring *this_ring;

static void take_queue(struct xen_ring *r)
{
    pthread_mutex_lock(&r->lock);
    struct p9_reply *head = r->queue_head, *tail = r->queue_tail;
    r->queue_head = r->queue_tail = NULL;
    pthread_mutex_unlock(&r->lock);
    if (!head)
        return;
    if (r->backlog_tail)
        r->backlog_tail->next = head;
    else
        r->backlog_head = head;
    r->backlog_tail = tail;
}

static bool broken(struct xen_ring *r, const char *what, const struct ring_fault *f)
{
    char *why = f && f->why ? g_strdup_printf("ring %u: %s: %s (%u, limit %u)", r->index, what,
                                              f->why, f->value, f->bound)
                            : g_strdup_printf("ring %u: %s", r->index, what);
    r->fail(r->fail_ctx, why);
    g_free(why);
    return false;
}

/* Replies whose bytes the guest has consumed are delivered: Rflushes
 * waiting on them may go out (docs/design.md: Rflush only after that). */
static bool deliver_consumed(struct xen_ring *r)
{
    if (g_queue_is_empty(&r->unconsumed))
        return true;
    RING_IDX cons = atomic_load_explicit((_Atomic RING_IDX *)r->replies.shared_cons,
                                         memory_order_acquire);
    if ((RING_IDX)(r->replies.prod - cons) > r->replies.size) {
        struct ring_fault f = { "in_cons out of range", cons, r->replies.prod };
        return broken(r, "consumer index", &f);
    }
    struct published *p;
    while ((p = g_queue_peek_head(&r->unconsumed)) && (int32_t)(cons - p->end) >= 0) {
        g_queue_pop_head(&r->unconsumed);
        p9_session_reply_done(r->session, p->reply);
        g_free(p);
        atomic_fetch_sub_explicit(&r->unconsumed_count, 1, memory_order_relaxed);
    }
    return true;
}

/* `reply` is in the ring, up to the producer index: it is delivered once consumed. */
static void record_published(struct xen_ring *r, struct p9_reply *reply)
{
    atomic_fetch_sub_explicit(&r->unpublished_count, 1, memory_order_relaxed);
    struct published *p = g_new(struct published, 1);
    p->reply = reply;
    p->end = r->replies.prod;
    g_queue_push_tail(&r->unconsumed, p);
    atomic_fetch_add_explicit(&r->unconsumed_count, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->replies_out, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->bytes_out, reply->size, memory_order_relaxed);
}

static bool publish_replies(struct xen_ring *r, bool *notify)
{
    take_queue(r);
    struct p9_reply *reply;
    while ((reply = r->backlog_head)) {
        const char *why;
        enum ring_status st = ring_put(&r->replies, reply->buf, reply->size, &why);
        if (st == RING_FULL) {
            if (!r->waiting)
                atomic_fetch_add_explicit(&r->reply_waits, 1, memory_order_relaxed);
            r->waiting = true;
            break;      /* the guest notifies when it has consumed */
        }
        r->waiting = false;
        if (st == RING_BROKEN)
            return broken(r, "publishing a reply", &r->replies.fault);
        r->backlog_head = reply->next;
        if (!r->backlog_head)
            r->backlog_tail = NULL;
        record_published(r, reply);
        *notify = true;
    }
    return true;
}

static bool take_requests(struct xen_ring *r, bool *notify)
{
    /* Paused for a hand-over: what is in "out" stays there for the next worker. */
    if (atomic_load_explicit(&r->paused, memory_order_acquire))
        return true;
    for (;;) {
        uint32_t size;
        const char *why;
        enum ring_status st = ring_peek(&r->requests, p9_session_msize(r->session), &size, &why);
        if (st == RING_EMPTY)
            return true;
        if (st == RING_BROKEN)
            return broken(r, "framing a request", &r->requests.fault);
        if (r->requests.validated > atomic_load_explicit(&r->out_peak, memory_order_relaxed))
            atomic_store_explicit(&r->out_peak, r->requests.validated, memory_order_relaxed);
        if (!p9_session_can_accept(r->session, ring_peek_type(&r->requests)))
            return true;        /* left in the ring: the session wakes us */
        atomic_fetch_add_explicit(&r->requests_in, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->bytes_in, size, memory_order_relaxed);
        uint32_t split = p9_session_split_size(ring_peek_type(&r->requests), size);
        if (split) {
            /* The tail (a write's data) stays in the ring while the session
             * runs the request here, or copies it along; then the space goes back. */
            struct iovec rest[2];
            int pieces;
            uint8_t *head = g_malloc(split);
            ring_take_head(&r->requests, head, split, size, rest, &pieces);
            p9_session_submit_split(r->session, head, size, r->index, rest, pieces);
            ring_release(&r->requests, size);
        } else {
            uint8_t *msg = g_malloc(size);
            ring_take(&r->requests, msg, size);
            p9_session_submit(r->session, msg, size, r->index);
        }
        *notify = true;     /* space freed: a frontend may wait for it (A.9) */
    }
    return true;
}

static void *ring_main(void *arg)
{
    struct xen_ring *r = arg;
    this_ring = r;
    struct pollfd p[2] = {
        { .fd = xenevtchn_fd(r->xce), .events = POLLIN },
        { .fd = r->wake.fd, .events = POLLIN },
    };
    /* The first pass runs at once: Linux may queue requests before we bind (A.9). */
    for (bool first = true; ; first = false) {
        /* A reply the ring thread queued itself (a request it ran) is
         * published in the next pass at once, without a wake-up round. */
        bool again = r->queued_here;
        r->queued_here = false;
        if (!first && !again && poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (again)
            p[0].revents = p[1].revents = 0;
        if (p[0].revents & POLLIN) {
            xenevtchn_port_or_error_t port = xenevtchn_pending(r->xce);
            /* Unmask before looking at the ring, or an event between the
             * check and the next poll is lost (A.9). */
            if (port >= 0)
                xenevtchn_unmask(r->xce, port);
        }
        if (p[1].revents & POLLIN)
            wakeup_drain(&r->wake);
        /* After the drain: a stop signalled before it is seen here, one
         * signalled after it wakes the next poll. */
        if (atomic_load(&r->stop))
            break;
        /* Requests are taken first and again after the replies: a Linux
         * sender that finds too little room in "out" sleeps where the
         * frontend's event handler never wakes it (docs/design.md, "A full
         * request ring"), so "out" is never left waiting behind a batch of
         * reply copies. */
        bool notify = false;
        bool ok = take_requests(r, &notify) && deliver_consumed(r) &&
                  publish_replies(r, &notify) && take_requests(r, &notify);
        notify |= r->published_here;
        r->published_here = false;
        if (notify)
            xenevtchn_notify(r->xce, r->local_port);
        if (!ok)
            break;      /* the device is being torn down; wait for stop */
    }
    return NULL;
}

void xen_ring_start(struct xen_ring *r, struct p9_session *session,
                    void (*fail)(void *ctx, const char *why), void *ctx)
{
    r->session = session;
    r->fail = fail;
    r->fail_ctx = ctx;
    atomic_store(&r->stop, false);
    if (pthread_create(&r->thread, NULL, ring_main, r) == 0) {
        r->running = true;
    } else {
        char *why = g_strdup_printf("ring %u: cannot start its thread: %s", r->index,
                                    g_strerror(errno));
        fail(ctx, why);
        g_free(why);
    }
}

void xen_ring_kick(struct xen_ring *r)
{
    wakeup_signal(&r->wake);
}

bool xen_ring_reply_space(struct xen_ring *r, uint32_t size, struct iovec iov[2], int *n)
{
    /* Only the ring thread writes the ring, and a backlog keeps its order. */
    if (this_ring != r || r->backlog_head)
        return false;
    pthread_mutex_lock(&r->lock);
    bool queued = r->queue_head != NULL;
    pthread_mutex_unlock(&r->lock);
    return !queued && ring_space(&r->replies, size, iov, n, NULL) == RING_OK;
}

void xen_ring_send(struct xen_ring *r, struct p9_reply *reply)
{
    atomic_fetch_add_explicit(&r->unpublished_count, 1, memory_order_relaxed);
    if (reply->in_place) {
        /* Written where xen_ring_reply_space said, on this thread, which has
         * put nothing in the ring since: publish it now. */
        g_assert(this_ring == r);
        ring_commit(&r->replies, reply->size);
        record_published(r, reply);
        atomic_fetch_add_explicit(&r->in_place, 1, memory_order_relaxed);
        r->published_here = true;
        return;
    }
    reply->next = NULL;
    pthread_mutex_lock(&r->lock);
    if (r->queue_tail)
        r->queue_tail->next = reply;
    else
        r->queue_head = reply;
    r->queue_tail = reply;
    pthread_mutex_unlock(&r->lock);
    /* The ring thread itself (a request it ran): it looks again before it polls. */
    if (this_ring == r)
        r->queued_here = true;
    else
        xen_ring_kick(r);
}

void xen_ring_stop(struct xen_ring *r)
{
    if (!r->running)
        return;
    atomic_store(&r->stop, true);
    wakeup_signal(&r->wake);
    pthread_join(r->thread, NULL);
    r->running = false;
}

void xen_ring_pause(struct xen_ring *r, bool paused)
{
    atomic_store_explicit(&r->paused, paused, memory_order_release);
    xen_ring_kick(r);
}

bool xen_ring_settled(struct xen_ring *r)
{
    return atomic_load(&r->unpublished_count) == 0 && atomic_load(&r->unconsumed_count) == 0;
}

void xen_ring_positions(const struct xen_ring *r, struct xen_ring_position *out)
{
    out->order = r->order;
    out->request_cons = r->requests.cons;
    out->reply_prod = r->replies.prod;
    out->channel_fd = xenevtchn_fd(r->xce);
    out->local_port = r->local_port;
}

bool xen_ring_resume_at(struct xen_ring *r, const struct xen_ring_position *at, char **error)
{
    if (at->order != r->order) {
        *error = g_strdup_printf("ring %u: order %u now, %u when handed over", r->index, r->order,
                                 at->order);
        return false;
    }
    /* Ours, not the guest's: the indices as the last worker left them. */
    r->requests.cons = at->request_cons;
    r->replies.prod = at->reply_prod;
    atomic_store_explicit((_Atomic RING_IDX *)r->requests.shared_cons, at->request_cons,
                          memory_order_release);
    atomic_store_explicit((_Atomic RING_IDX *)r->replies.shared_prod, at->reply_prod,
                          memory_order_release);
    return true;
}

void xen_ring_unmap(struct xen_ring *r)
{
    if (!r)
        return;
    /* Replies still queued belong to the session, which frees them when it closes. */
    struct published *p;
    while ((p = g_queue_pop_head(&r->unconsumed)))
        g_free(p);
    /* No unbind: closing the handle's last descriptor unbinds the channel,
     * and a worker that handed the channel over shares it with the next. */
    if (r->xce)
        xenevtchn_close(r->xce);
    if (r->data)
        xengnttab_unmap(r->xgt, r->data, 1u << r->order);
    if (r->intf)
        xengnttab_unmap(r->xgt, r->intf, 1);
    wakeup_close(&r->wake);
    pthread_mutex_destroy(&r->lock);
    g_free(r);
}

void xen_ring_get_stats(const struct xen_ring *r, struct xen_ring_stats *out)
{
    out->requests = atomic_load(&((struct xen_ring *)r)->requests_in);
    out->replies = atomic_load(&((struct xen_ring *)r)->replies_out);
    out->bytes_in = atomic_load(&((struct xen_ring *)r)->bytes_in);
    out->bytes_out = atomic_load(&((struct xen_ring *)r)->bytes_out);
    out->mapped_pages = (r->intf ? 1 : 0) + (r->data ? 1u << r->order : 0);
    out->order = r->order;
}

/* Peeks the 7-byte header at index idx of a direction (read only). */
static void describe_header(GString *out, const char *what, const unsigned char *data,
                            RING_IDX size, RING_IDX idx)
{
    unsigned char h[7];
    for (unsigned i = 0; i < sizeof(h); i++)
        h[i] = data[xen_9pfs_mask(idx + i, size)];
    g_string_append_printf(out, " %s_head=size:%u,id:%u,tag:%u", what,
                           (unsigned)h[0] | (unsigned)h[1] << 8 | (unsigned)h[2] << 16 |
                               (unsigned)h[3] << 24,
                           h[4], (unsigned)h[5] | (unsigned)h[6] << 8);
}

void xen_ring_describe(struct xen_ring *r, GString *out)
{
    RING_IDX in_prod = atomic_load((_Atomic RING_IDX *)&r->intf->in_prod);
    RING_IDX in_cons = atomic_load((_Atomic RING_IDX *)&r->intf->in_cons);
    RING_IDX out_prod = atomic_load((_Atomic RING_IDX *)&r->intf->out_prod);
    RING_IDX out_cons = atomic_load((_Atomic RING_IDX *)&r->intf->out_cons);
    g_string_append_printf(out, "ring\t%u\torder=%u size=%u in_prod=%u in_cons=%u in_pending=%u "
                           "out_prod=%u out_cons=%u out_pending=%u unpublished=%u unconsumed=%u "
                           "reply_waits=%" PRIu64 " in_place=%" PRIu64 " out_peak=%u",
                           r->index, r->order, r->replies.size, in_prod, in_cons,
                           in_prod - in_cons, out_prod, out_cons, out_prod - out_cons,
                           atomic_load(&r->unpublished_count),
                           atomic_load(&r->unconsumed_count),
                           (uint64_t)atomic_load(&r->reply_waits),
                           (uint64_t)atomic_load(&r->in_place), atomic_load(&r->out_peak));
    if (in_prod != in_cons)
        describe_header(out, "in", r->replies.data, r->replies.size, in_cons);
    if (out_prod != out_cons)
        describe_header(out, "out", r->requests.data, r->requests.size, out_cons);
    g_string_append_c(out, '\n');
}

