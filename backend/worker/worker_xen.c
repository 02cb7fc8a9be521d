// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A worker serving one Xen device: maps its rings and binds their event
 * channels (before confinement: later it could not), restricts the Xen
 * handles to the guest's domain, confines itself, then runs the 9P session
 * over the rings until told to stop or the guest breaks the protocol.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <glib.h>
#include <xengnttab.h>

#include "backend/server/trace.h"
#include "backend/server/server.h"
#include "backend/worker/handover.h"
#include "backend/worker/worker_main.h"
#include "backend/xen/xen_ring.h"

/* Per-device limits: a hostile guest may not make dom0 hold more than this. */
#define DEVICE_MAX_REQUESTS 256
#define DEVICE_MAX_BUFFERED (32u << 20)
#define MAX_RINGS 8

struct device {
    const char *label;
    unsigned domid, nrings;
    struct xen_ring *rings[MAX_RINGS];
    struct p9_session *session;
    struct fsdrv_export *exp;
    int fail_fd;                    /* eventfd: a ring thread found the ring broken */
    pthread_mutex_t fail_lock;
    char *fail_reason;
    struct handover_state *taking;  /* taking the device over from another worker */
    char *take_error;               /* why its event channels could not be taken */
};

static void device_send(void *ctx, struct p9_reply *reply)
{
    struct device *d = ctx;
    xen_ring_send(d->rings[reply->origin], reply);
}

static void device_wake(void *ctx)
{
    struct device *d = ctx;
    for (unsigned i = 0; i < d->nrings; i++)
        xen_ring_kick(d->rings[i]);
}

static bool device_reply_space(void *ctx, uint32_t origin, uint32_t size, struct iovec iov[2],
                               int *n)
{
    struct device *d = ctx;
    return xen_ring_reply_space(d->rings[origin], size, iov, n);
}

static const struct p9_transport_ops device_ops = { .send = device_send, .wake = device_wake,
                                                    .reply_space = device_reply_space };

static void ring_failed(void *ctx, const char *why)
{
    struct device *d = ctx;
    pthread_mutex_lock(&d->fail_lock);
    if (!d->fail_reason)
        d->fail_reason = g_strdup(why);
    pthread_mutex_unlock(&d->fail_lock);
    uint64_t one = 1;
    while (write(d->fail_fd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
}

/* Maps every ring; false with *why on the first failure (nothing left mapped). */
static bool map_rings(struct device *d, struct link_msg *msg, xengnttab_handle *xgt, char **why)
{
    gsize nrefs = 0, nports = 0;
    uint32_t max_order = 0;
    g_autofree uint32_t *refs = link_get_u32s(msg, "ring-refs", &nrefs);
    g_autofree uint32_t *ports = link_get_u32s(msg, "ports", &nports);
    if (!refs || !ports || nrefs != nports || nrefs == 0 || nrefs > MAX_RINGS ||
        !link_get_u32(msg, "max-order", &max_order)) {
        *why = g_strdup("the supervisor sent no usable rings");
        return false;
    }
    for (unsigned i = 0; i < nrefs; i++) {
        /* Taken over, the channel comes later (take_channels): only the pages now. */
        struct xen_ring *r = d->taking
            ? xen_ring_map_pages(xgt, d->domid, i, refs[i], max_order, why)
            : xen_ring_map(xgt, d->domid, i, refs[i], ports[i], max_order, why);
        if (!r)
            return false;
        d->rings[d->nrings++] = r;
    }
    return true;
}

/* Where ring `i` stood in the old worker, from its "ring" message. */
static bool handed_position(struct link_msg *m, unsigned i, struct xen_ring_position *at)
{
    uint32_t index, order;
    if (!link_get_u32(m, "index", &index) || index != i || !link_get_u32(m, "order", &order) ||
        !link_get_u32(m, "request-cons", &at->request_cons) ||
        !link_get_u32(m, "reply-prod", &at->reply_prod))
        return false;
    at->order = order;
    return true;
}

/* The sandbox's hook: the old worker's event channels, restricted already. */
static void take_channels(void *ctx)
{
    struct device *d = ctx;
    if (d->taking->channels->len != d->nrings) {
        d->take_error = g_strdup_printf("%u rings handed over, %u in xenstore",
                                        d->taking->channels->len, d->nrings);
        return;
    }
    for (unsigned i = 0; i < d->nrings && !d->take_error; i++) {
        struct link_msg *m = d->taking->channels->pdata[i];
        uint32_t index, port;
        if (!link_get_u32(m, "index", &index) || index != i || !link_get_u32(m, "port", &port) ||
            m->nfds != 1) {
            d->take_error = g_strdup_printf("ring %u: its handed-over channel is incomplete", i);
            return;
        }
        int fd = m->fds[0];
        m->fds[0] = -1;     /* the ring's now, closed with it */
        if (!xen_ring_take_channel(d->rings[i], fd, port, &d->take_error))
            return;
    }
}

/* Carries on where the old worker stopped: its indices, its fids. */
static bool resume_taken(struct device *d, char **why)
{
    if (d->taking->rings->len != d->nrings) {
        *why = g_strdup_printf("%u ring positions handed over for %u rings",
                               d->taking->rings->len, d->nrings);
        return false;
    }
    for (unsigned i = 0; i < d->nrings; i++) {
        struct xen_ring_position at;
        if (!handed_position(d->taking->rings->pdata[i], i, &at)) {
            *why = g_strdup_printf("ring %u: its handed-over position is incomplete", i);
            return false;
        }
        if (!xen_ring_resume_at(d->rings[i], &at, why))
            return false;
    }
    return handover_restore_session(d->taking, d->session, why);
}

static void start_rings(struct device *d)
{
    for (unsigned i = 0; i < d->nrings; i++)
        xen_ring_start(d->rings[i], d->session, ring_failed, d);
}

static void stop_rings(struct device *d)
{
    for (unsigned i = 0; i < d->nrings; i++)
        xen_ring_stop(d->rings[i]);
}

/* Nothing in flight and every reply consumed. */
static bool settled(struct device *d)
{
    bool all = p9_session_idle(d->session);
    for (unsigned i = 0; i < d->nrings && all; i++)
        all = xen_ring_settled(d->rings[i]);
    return all;
}

/* Stops taking requests and waits for those in flight; false (serving on) on timeout. */
static bool quiesce(struct device *d, char **why)
{
    for (unsigned i = 0; i < d->nrings; i++)
        xen_ring_pause(d->rings[i], true);
    gint64 deadline = g_get_monotonic_time() + HANDOVER_QUIESCE_MS * 1000;
    while (g_get_monotonic_time() < deadline) {
        if (settled(d)) {
            /* A ring thread may have been taking a request as we looked. */
            stop_rings(d);
            if (settled(d))
                return true;
            start_rings(d);
        }
        g_usleep(1000);
    }
    for (unsigned i = 0; i < d->nrings; i++)
        xen_ring_pause(d->rings[i], false);
    struct p9_session_stats ss;
    p9_session_get_stats(d->session, &ss);
    unsigned unsettled = 0;
    for (unsigned i = 0; i < d->nrings; i++)
        unsettled += !xen_ring_settled(d->rings[i]);
    *why = g_strdup_printf("requests still in flight after %u ms (%" PRIu64 " running, %u rings "
                           "with replies the guest has not consumed)", HANDOVER_QUIESCE_MS,
                           ss.inflight, unsettled);
    return false;
}

/*
 * One message per ring: "channel" (its event channel handle, for the new
 * worker to confine itself with) or, once stopped, "ring" (where it stands).
 */
static bool send_rings(struct device *d, int sock, bool positions)
{
    for (unsigned i = 0; i < d->nrings; i++) {
        struct xen_ring_position at;
        xen_ring_positions(d->rings[i], &at);
        GVariantDict f;
        g_variant_dict_init(&f, NULL);
        g_variant_dict_insert(&f, "index", "u", i);
        if (positions) {
            g_variant_dict_insert(&f, "order", "u", at.order);
            g_variant_dict_insert(&f, "request-cons", "u", at.request_cons);
            g_variant_dict_insert(&f, "reply-prod", "u", at.reply_prod);
        } else {
            g_variant_dict_insert(&f, "port", "u", (uint32_t)at.local_port);
        }
        if (!link_send(sock, positions ? "ring" : "channel", &f, &at.channel_fd,
                       positions ? 0 : 1))
            return false;
    }
    return true;
}

/* Hands the device to the worker at the other end of `sock`: true once it serves. */
static bool hand_over(struct device *d, int sock, char **why)
{
    /* The new worker confines itself while we serve: not part of the pause. */
    if (!send_rings(d, sock, false) || !handover_prepare(sock, why)) {
        if (!*why)
            *why = g_strdup(LINK_HANDOVER_NOT_TAKEN);
        return false;
    }
    gint64 began = g_get_monotonic_time();
    if (!quiesce(d, why))
        return false;
    if (!send_rings(d, sock, true) || !handover_send_session(sock, d->session, why) ||
        !handover_finish(sock)) {
        if (!*why)
            *why = g_strdup(LINK_HANDOVER_NOT_TAKEN);
        for (unsigned i = 0; i < d->nrings; i++)
            xen_ring_pause(d->rings[i], false);
        start_rings(d);
        return false;
    }
    g_message("handed over to a new worker (paused %.1f ms)",
              (g_get_monotonic_time() - began) / 1000.0);
    return true;
}

/* Answers the supervisor's questions; false when it says stop (or is gone)
 * or the device went to a new worker (*handed_over). */
static bool answer(struct device *d, int link, bool *handed_over)
{
    struct link_msg q;
    int got = link_recv(link, &q);
    if (got <= 0)
        return false;
    bool go_on = true;
    if (strcmp(q.name, "stats") == 0) {
        struct p9_session_stats ss;
        p9_session_get_stats(d->session, &ss);
        struct xen_ring_stats total = { 0 };
        for (unsigned i = 0; i < d->nrings; i++) {
            struct xen_ring_stats rs;
            xen_ring_get_stats(d->rings[i], &rs);
            total.requests += rs.requests;
            total.bytes_in += rs.bytes_in;
            total.bytes_out += rs.bytes_out;
            total.mapped_pages += rs.mapped_pages;
        }
        struct fsdrv_usage u;
        fsdrv_export_usage(d->exp, &u);
        GVariantDict a;
        g_variant_dict_init(&a, NULL);
        g_variant_dict_insert(&a, "requests", "t", (guint64)total.requests);
        g_variant_dict_insert(&a, "inflight", "t", (guint64)ss.inflight);
        g_variant_dict_insert(&a, "bytes-in", "t", (guint64)total.bytes_in);
        g_variant_dict_insert(&a, "bytes-out", "t", (guint64)total.bytes_out);
        g_variant_dict_insert(&a, "mapped-pages", "u", total.mapped_pages);
        g_variant_dict_insert(&a, "event-channels", "u", d->nrings);
        g_variant_dict_insert(&a, "open-files", "t", (guint64)u.open_files);
        link_send(link, "stats", &a, NULL, 0);
    } else if (strcmp(q.name, "rings") == 0) {
        GString *text = g_string_new(NULL);
        for (unsigned i = 0; i < d->nrings; i++)
            xen_ring_describe(d->rings[i], text);
        GVariantDict a;
        g_variant_dict_init(&a, NULL);
        g_variant_dict_insert(&a, "text", "s", text->str);
        link_send(link, "rings", &a, NULL, 0);
        g_string_free(text, TRUE);
    } else if (strcmp(q.name, "trace") == 0) {
        bool on = false;
        if (link_get_bool(&q, "on", &on))
            atomic_store_explicit(&p9_trace_enabled, on, memory_order_relaxed);
        GVariantDict a;
        g_variant_dict_init(&a, NULL);
        g_variant_dict_insert(&a, "on", "b", (gboolean)atomic_load(&p9_trace_enabled));
        link_send(link, "trace", &a, NULL, 0);
    } else if (strcmp(q.name, "hand-over") == 0 && q.nfds == 1) {
        char *why = NULL;
        *handed_over = hand_over(d, q.fds[0], &why);
        handover_report(link, *handed_over, why);
        go_on = !*handed_over;
    } else if (strcmp(q.name, "stop") == 0) {
        go_on = false;
    }
    link_msg_clear(&q);
    return go_on;
}

int worker_serve_xen(const struct worker_args *a, int link, struct link_msg *msg)
{
    struct device d = { .label = a->label, .fail_fd = -1 };
    pthread_mutex_init(&d.fail_lock, NULL);
    struct fsdrv_config cfg;
    uint32_t domid, max_msize = UINT32_MAX;
    bool taking = strcmp(msg->name, "take-over-xen") == 0;
    int export_fd = msg->nfds == 1u + taking ? msg->fds[0] : -1;
    struct handover_state taken = { 0 };
    bool handed_over = false;
    char *why = NULL;
    handover_state_init(&taken);
    xengnttab_handle *xgt = NULL;
    struct fsdrv_export *exp = NULL;
    int rc = 1;
    /* Confinement makes the grant handle /dev/null (xentoolcore_restrict_all
     * does so for gnttab) and forbids the requests an unmap makes: from then
     * on the rings and event channels are released by the process's exit. */
    bool release_rings = true;

    if (export_fd < 0 || !link_get_u32(msg, "domid", &domid) ||
        !worker_export_config(msg, &cfg)) {
        why = g_strdup("the supervisor's assignment is incomplete");
        goto out;
    }
    d.domid = domid;
    d.fail_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    /* Mapped first, while the old worker still serves: less of a pause. */
    if (taking)
        d.taking = &taken;
    xgt = xengnttab_open(NULL, 0);
    if (!xgt) {
        why = g_strdup_printf("cannot open the grant table device: %s", g_strerror(errno));
        goto out;
    }
    if (!map_rings(&d, msg, xgt, &why))
        goto out;
    release_rings = !a->sandbox;
    if (taking && !handover_receive(msg->fds[1], "prepare", &taken, &why))
        goto out;
    if (worker_confine_and_open(a, export_fd, (int)domid, &cfg, taking ? take_channels : NULL,
                                &d, &exp, &why))
        goto out;
    for (unsigned i = 0; i < d.nrings; i++)
        max_msize = MIN(max_msize, xen_ring_capacity(d.rings[i]));
    /* A reply must fit in a ring whole (docs/xen-transport.md A.8). */
    struct p9_session_config scfg = {
        .export = exp, .max_msize = max_msize, .label = a->label,
        .max_requests = DEVICE_MAX_REQUESTS, .max_buffered = DEVICE_MAX_BUFFERED,
    };
    d.exp = exp;
    d.session = p9_session_new(&scfg, &device_ops, &d);
    if (taking) {
        if (d.take_error) {
            why = g_steal_pointer(&d.take_error);
            goto out_session;
        }
        /* Ready: the old worker now pauses and sends the rest. */
        if (!link_send_empty(msg->fds[1], "prepared") ||
            !handover_receive(msg->fds[1], "end", &taken, &why) || !resume_taken(&d, &why))
            goto out_session;
        /* From here the device is ours: the old worker exits on "taken". */
        link_send_empty(msg->fds[1], "taken");
        handover_state_clear(&taken);
        struct p9_session_stats ss;
        p9_session_get_stats(d.session, &ss);
        g_message("took the device over: %" PRIu64 " fids", ss.fids);
    }
    start_rings(&d);
    link_send_empty(link, "ready");

    for (;;) {
        struct pollfd p[2] = { { .fd = link, .events = POLLIN },
                               { .fd = d.fail_fd, .events = POLLIN } };
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents) {
            pthread_mutex_lock(&d.fail_lock);
            why = g_steal_pointer(&d.fail_reason);
            pthread_mutex_unlock(&d.fail_lock);
            break;
        }
        if (p[0].revents && !answer(&d, link, &handed_over)) {
            rc = 0;
            break;
        }
    }
    stop_rings(&d);
    /* Handed over, the rings and channels are the new worker's too: the
     * process's exit lets go of our mappings and descriptors, nothing more. */
    if (handed_over)
        release_rings = false;
out_session:
    if (d.session)
        p9_session_close(d.session);
    if (!p9_server_wait_idle(5))
        g_warning("some requests were still running after 5 s");
out:
    handover_state_clear(&taken);
    g_free(d.take_error);
    if (why) {
        worker_send_failed(link, why);
        g_free(why);
    }
    for (unsigned i = 0; i < d.nrings && release_rings; i++)
        xen_ring_unmap(d.rings[i]);
    if (exp)
        fsdrv_export_close(exp);
    if (xgt && release_rings)
        xengnttab_close(xgt);
    if (d.fail_fd >= 0)
        close(d.fail_fd);
    pthread_mutex_destroy(&d.fail_lock);
    return rc;
}
