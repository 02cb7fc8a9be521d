// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A worker serving one Xen device: maps its rings and binds their event
 * channels (before confinement: later it could not), restricts the Xen
 * handles to the guest's domain, confines itself, then runs the 9P session
 * over the rings until told to stop or the guest breaks the protocol.
 */
#include "config.h"

#include <errno.h>
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

static void send_failed(int link, const char *why)
{
    GVariantDict dict;
    g_variant_dict_init(&dict, NULL);
    g_variant_dict_insert(&dict, "why", "s", why);
    link_send(link, "failed", &dict, NULL, 0);
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
        struct xen_ring *r = xen_ring_map(xgt, d->domid, i, refs[i], ports[i], max_order, why);
        if (!r)
            return false;
        d->rings[d->nrings++] = r;
    }
    return true;
}

/* Answers the supervisor's questions; false when it says stop (or is gone). */
static bool answer(struct device *d, int link)
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
    int export_fd = msg->nfds == 1 ? msg->fds[0] : -1;
    char *why = NULL;
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
    xgt = xengnttab_open(NULL, 0);
    if (!xgt) {
        why = g_strdup_printf("cannot open the grant table device: %s", g_strerror(errno));
        goto out;
    }
    if (!map_rings(&d, msg, xgt, &why))
        goto out;
    release_rings = !a->sandbox;
    if (worker_confine_and_open(a, export_fd, (int)domid, &cfg, &exp, &why))
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
    for (unsigned i = 0; i < d.nrings; i++)
        xen_ring_start(d.rings[i], d.session, ring_failed, &d);
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
        if (p[0].revents && !answer(&d, link)) {
            rc = 0;
            break;
        }
    }
    for (unsigned i = 0; i < d.nrings; i++)
        xen_ring_stop(d.rings[i]);
    if (d.session)
        p9_session_close(d.session);
    if (!p9_server_wait_idle(5))
        g_warning("some requests were still running after 5 s");
out:
    if (why) {
        send_failed(link, why);
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
