// SPDX-License-Identifier: GPL-2.0-or-later
/* A user-space 9pfs frontend (see p9front.h). */
#include "config.h"

#include "tools/p9front.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "backend/common/xen_store.h"

#define MAX_RINGS 4

enum slot_state { SLOT_FREE, SLOT_SENT, SLOT_DONE, SLOT_FLUSHED };

struct slot {
    enum slot_state state;
    uint8_t *buf;
    uint32_t size;
};

struct fring {
    struct p9front *fs;
    unsigned index;
    struct xen_9pfs_data_intf *intf;
    void *data;
    grant_ref_t intf_ref;
    struct ring_writer requests;
    struct ring_reader replies;
    xenevtchn_handle *xce;
    evtchn_port_t port;
    pthread_t thread;
    bool running;
    pthread_mutex_t send_lock;  /* one writer per ring */
    atomic_bool paused;         /* test hook: leave replies unconsumed */
    int kick_fd;                /* wakes the receiver when it is resumed */
};

struct p9front {
    struct p9front_options opt;
    struct xs_handle *xs;
    xengntshr_handle *xgs;
    char *devdir, *be_path;
    unsigned be_id, order, nrings;
    struct fring rings[MAX_RINGS];
    int stop_fd;
    atomic_bool stopping;
    pthread_mutex_t lock;       /* slots, tags, stats */
    pthread_cond_t changed;     /* a reply arrived or ring space freed */
    struct slot *slots;         /* indexed by tag */
    uint32_t msize;
    unsigned dialect;
    struct p9front_stats stats;
};

void p9front_linux_options(struct p9front_options *o)
{
    *o = (struct p9front_options){ .nrings = 2, .max_order = 9, .timeout_ms = 10000,
                                   .force_ring_order = -1 };
}

void p9front_minios_options(struct p9front_options *o)
{
    *o = (struct p9front_options){ .nrings = 1, .max_order = 4, .timeout_ms = 10000,
                                   .force_ring_order = -1 };
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* ---- receiving replies (one thread per ring) ---- */

static void deliver(struct p9front *fs, unsigned ring, uint8_t *msg, uint32_t size)
{
    uint32_t hsize;
    uint8_t id;
    uint16_t tag;
    p9_get_header(msg, &hsize, &id, &tag);
    pthread_mutex_lock(&fs->lock);
    struct slot *s = &fs->slots[tag];
    /* Tversion's NOTAG goes on ring NOTAG % nrings like any other tag. */
    if (tag % fs->nrings != ring)
        fs->stats.wrong_ring++;
    if (s->state == SLOT_SENT) {
        s->buf = msg;
        s->size = size;
        s->state = SLOT_DONE;
        msg = NULL;
    } else if (s->state == SLOT_FLUSHED) {
        fs->stats.after_flush++;
    } else {
        fs->stats.wrong_tag++;      /* Linux: "Wrong req tag" */
    }
    pthread_cond_broadcast(&fs->changed);
    pthread_mutex_unlock(&fs->lock);
    g_free(msg);
}

static void mark_broken(struct p9front *fs)
{
    pthread_mutex_lock(&fs->lock);
    fs->stats.broken = true;
    pthread_cond_broadcast(&fs->changed);
    pthread_mutex_unlock(&fs->lock);
}

static void *receiver_main(void *arg)
{
    struct fring *r = arg;
    struct p9front *fs = r->fs;
    struct pollfd p[3] = {
        { .fd = xenevtchn_fd(r->xce), .events = POLLIN },
        { .fd = fs->stop_fd, .events = POLLIN },
        { .fd = r->kick_fd, .events = POLLIN },
    };
    for (;;) {
        if (poll(p, 3, -1) < 0 && errno != EINTR)
            break;
        if (atomic_load(&fs->stopping))
            break;
        if (p[0].revents & POLLIN) {
            xenevtchn_port_or_error_t port = xenevtchn_pending(r->xce);
            if (port >= 0)
                xenevtchn_unmask(r->xce, port);
        }
        if (p[2].revents & POLLIN) {
            uint64_t v;
            if (read(r->kick_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                break;
        }
        bool took = false;
        while (!atomic_load(&r->paused)) {
            uint32_t size;
            /* Sampled before the peek: in_prod only grows, so a header seen
             * here and an incomplete message at the peek is a split reply.
             * (Sampled after it, a whole reply published in between would
             * look split.) */
            uint32_t pending = ring_pending_bytes(&r->replies);
            enum ring_status st = ring_peek(&r->replies, UINT32_MAX, &size, NULL);
            if (st == RING_BROKEN) {
                mark_broken(fs);
                return NULL;
            }
            if (st != RING_MSG) {
                /* Linux copies `size` bytes as soon as the header is there. */
                if (pending >= RING_MSG_HEADER_BYTES && pending <= r->replies.size) {
                    pthread_mutex_lock(&fs->lock);
                    fs->stats.split_replies++;
                    pthread_mutex_unlock(&fs->lock);
                }
                break;
            }
            uint8_t *msg = g_malloc(size);
            ring_take(&r->replies, msg, size);
            took = true;
            deliver(fs, r->index, msg, size);
        }
        /* Tell the backend we consumed (it may wait for room), and wake our
         * writers: the event may also have freed request space. */
        if (took)
            xenevtchn_notify(r->xce, r->port);
        pthread_mutex_lock(&fs->lock);
        pthread_cond_broadcast(&fs->changed);
        pthread_mutex_unlock(&fs->lock);
    }
    return NULL;
}

/* ---- connecting ---- */

static char *dev_key(struct p9front *fs, const char *key)
{
    return g_strdup_printf("%s/%s", fs->devdir, key);
}

static char *be_key(struct p9front *fs, const char *key)
{
    return g_strdup_printf("%s/%s", fs->be_path, key);
}

static bool write_dev(struct p9front *fs, xs_transaction_t t, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *value = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *path = dev_key(fs, key);
    bool ok = xs_write(fs->xs, t, path, value, strlen(value));
    g_free(path);
    g_free(value);
    return ok;
}

/*
 * Waits until the backend's state is one of [lo, hi]; returns it or -1.
 * With gone_is_closed, a backend whose state node is gone counts as Closed
 * (a toolstack removes the nodes once it has seen Closed).
 */
static int wait_backend(struct p9front *fs, int lo, int hi, bool gone_is_closed)
{
    char *path = be_key(fs, "state");
    xs_watch(fs->xs, path, "p9front");
    gint64 deadline = g_get_monotonic_time() + (gint64)fs->opt.timeout_ms * 1000;
    int state = -1;
    for (;;) {
        unsigned long v;
        if (xstore_read_uint(fs->xs, path, XenbusStateReconfigured, &v) && (int)v >= lo && (int)v <= hi) {
            state = v;
            break;
        }
        /* Gone: ENOENT, or EACCES once the parents we could read went too. */
        char *raw = gone_is_closed ? xstore_read(fs->xs, path) : NULL;
        bool gone = gone_is_closed && !raw && (errno == ENOENT || errno == EACCES);
        g_free(raw);
        if (gone) {
            state = XenbusStateClosed;
            break;
        }
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            break;
        struct pollfd p = { .fd = xs_fileno(fs->xs), .events = POLLIN };
        if (poll(&p, 1, left) > 0) {
            char **ev;
            while ((ev = xs_check_watch(fs->xs)))
                free(ev);
        }
    }
    xs_unwatch(fs->xs, path, "p9front");
    g_free(path);
    return state;
}

static bool versions_has_1(const char *versions)
{
    char **list = g_strsplit(versions, ",", -1);
    bool found = false;
    for (char **v = list; *v; v++)
        found |= strcmp(g_strstrip(*v), "1") == 0;
    g_strfreev(list);
    return found;
}

static bool setup_ring(struct p9front *fs, struct fring *r, char **error)
{
    unsigned npages = 1u << fs->order;
    grant_ref_t *refs = g_new(grant_ref_t, npages);
    r->fs = fs;
    pthread_mutex_init(&r->send_lock, NULL);
    r->intf = xengntshr_share_pages(fs->xgs, fs->be_id, 1, &r->intf_ref, 1);
    r->data = r->intf ? xengntshr_share_pages(fs->xgs, fs->be_id, npages, refs, 1) : NULL;
    if (!r->intf || !r->data) {
        *error = g_strdup_printf("ring %u: cannot share pages: %s", r->index, g_strerror(errno));
        g_free(refs);
        return false;
    }
    memset(r->intf, 0, RING_PAGE_BYTES);
    memset(r->data, 0, (size_t)npages * RING_PAGE_BYTES);
    ring_frontend_init(r->intf, r->data, fs->order, &r->requests, &r->replies);
    for (unsigned i = 0; i < npages; i++)
        r->intf->ref[i] = refs[i];
    if (fs->opt.force_ring_order >= 0)
        r->intf->ring_order = fs->opt.force_ring_order;
    g_free(refs);
    r->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    r->xce = xenevtchn_open(NULL, 0);
    xenevtchn_port_or_error_t port = r->xce ? xenevtchn_bind_unbound_port(r->xce, fs->be_id) : -1;
    if (port < 0) {
        *error = g_strdup_printf("ring %u: cannot allocate an event channel: %s", r->index,
                                 g_strerror(errno));
        return false;
    }
    r->port = port;
    return true;
}

static void teardown_rings(struct p9front *fs)
{
    atomic_store(&fs->stopping, true);
    uint64_t one = 1;
    if (fs->stop_fd >= 0 && write(fs->stop_fd, &one, sizeof(one)) < 0)
        g_warning("p9front: cannot stop receivers: %s", g_strerror(errno));
    for (unsigned i = 0; i < fs->nrings; i++) {
        struct fring *r = &fs->rings[i];
        if (r->running)
            pthread_join(r->thread, NULL);
        if (r->xce) {
            if (r->port)
                xenevtchn_unbind(r->xce, r->port);
            xenevtchn_close(r->xce);
        }
        if (r->data)
            xengntshr_unshare(fs->xgs, r->data, 1u << fs->order);
        if (r->intf)
            xengntshr_unshare(fs->xgs, r->intf, 1);
        if (r->kick_fd >= 0)
            close(r->kick_fd);
        pthread_mutex_destroy(&r->send_lock);
    }
}

static void free_front(struct p9front *fs)
{
    teardown_rings(fs);
    for (unsigned t = 0; fs->slots && t < 65536; t++)
        g_free(fs->slots[t].buf);
    g_free(fs->slots);
    if (fs->xgs)
        xengntshr_close(fs->xgs);
    if (fs->xs)
        xs_close(fs->xs);
    if (fs->stop_fd >= 0)
        close(fs->stop_fd);
    pthread_cond_destroy(&fs->changed);
    pthread_mutex_destroy(&fs->lock);
    g_free(fs->devdir);
    g_free(fs->be_path);
    g_free(fs);
}

struct ring_keys_job {
    struct p9front *fs;
    const struct p9front_options *o;
};

/* What Linux's frontend writes before Initialised: the version, the rings. */
static bool write_ring_keys(struct xs_handle *xs, xs_transaction_t t, void *ctx)
{
    struct ring_keys_job *j = ctx;
    struct p9front *fs = j->fs;
    (void)xs;
    bool ok = write_dev(fs, t, "version", "1") && write_dev(fs, t, "num-rings", "%u", fs->nrings);
    for (unsigned i = 0; ok && i < fs->nrings; i++) {
        char key[32];
        snprintf(key, sizeof(key), "ring-ref%u", i);
        ok = write_dev(fs, t, key, "%u", j->o->bad_ring_ref ? 0x7ffffff0u : fs->rings[i].intf_ref);
        snprintf(key, sizeof(key), "event-channel-%u", i);
        ok = ok && write_dev(fs, t, key, "%u", fs->rings[i].port);
    }
    return ok;
}

int p9front_connect(const char *devdir, const struct p9front_options *o,
                    struct p9front **out, char **error)
{
    struct p9front *fs = g_new0(struct p9front, 1);
    fs->opt = *o;
    fs->devdir = g_strdup(devdir);
    fs->nrings = MIN(o->nrings, MAX_RINGS);
    for (unsigned i = 0; i < MAX_RINGS; i++)
        fs->rings[i].kick_fd = -1;
    fs->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    fs->slots = g_new0(struct slot, 65536);
    pthread_mutex_init(&fs->lock, NULL);
    pthread_cond_init(&fs->changed, NULL);
    *error = NULL;

    fs->xs = xs_open(0);
    fs->xgs = xengntshr_open(NULL, 0);
    if (!fs->xs || !fs->xgs) {
        *error = g_strdup_printf("cannot open xenstore or the grant sharing device: %s",
                                 g_strerror(errno));
        goto fail;
    }
    char *k = dev_key(fs, "backend");
    fs->be_path = xstore_read(fs->xs, k);
    g_free(k);
    unsigned long be_id;
    k = dev_key(fs, "backend-id");
    bool have_id = xstore_read_uint(fs->xs, k, UINT16_MAX, &be_id);
    g_free(k);
    if (!fs->be_path || !have_id) {
        *error = g_strdup_printf("%s has no backend", devdir);
        goto fail;
    }
    fs->be_id = be_id;
    /* A frontend (re)probing starts Initialising (C.1 step 8 on the backend side). */
    write_dev(fs, XBT_NULL, "state", "%d", XenbusStateInitialising);
    /* B.2: initialise only once the backend is in InitWait. */
    if (wait_backend(fs, XenbusStateInitWait, XenbusStateInitWait, false) < 0) {
        *error = g_strdup_printf("backend %s did not reach InitWait", fs->be_path);
        goto fail;
    }
    k = be_key(fs, "versions");
    char *versions = xstore_read(fs->xs, k);
    g_free(k);
    bool v1 = versions && versions_has_1(versions);
    g_free(versions);
    unsigned long max_rings = 0, max_order = 0;
    k = be_key(fs, "max-rings");
    xstore_read_uint(fs->xs, k, UINT32_MAX, &max_rings);
    g_free(k);
    k = be_key(fs, "max-ring-page-order");
    xstore_read_uint(fs->xs, k, UINT32_MAX, &max_order);
    g_free(k);
    if (!v1 || max_rings < fs->nrings || max_order < 1) {
        *error = g_strdup_printf("backend offers versions without 1, max-rings %lu or "
                                 "max-ring-page-order %lu", max_rings, max_order);
        goto fail;
    }
    fs->order = MIN(max_order, (unsigned long)o->max_order);
    for (unsigned i = 0; i < fs->nrings; i++) {
        fs->rings[i].index = i;
        if (!setup_ring(fs, &fs->rings[i], error))
            goto fail;
    }
    struct ring_keys_job j = { fs, o };
    if (!xstore_transact(fs->xs, write_ring_keys, &j)) {
        *error = g_strdup_printf("cannot write the ring keys: %s", g_strerror(errno));
        goto fail;
    }
    for (unsigned i = 0; i < fs->nrings; i++) {
        if (pthread_create(&fs->rings[i].thread, NULL, receiver_main, &fs->rings[i]) == 0)
            fs->rings[i].running = true;
    }
    if (o->stay_initialising) {
        *out = fs;
        return 0;
    }
    write_dev(fs, XBT_NULL, "state", "%d", XenbusStateInitialised);
    int st = wait_backend(fs, XenbusStateConnected, XenbusStateClosed, false);
    if (st != XenbusStateConnected) {
        k = be_key(fs, "error");
        char *why = xstore_read(fs->xs, k);
        g_free(k);
        *error = g_strdup_printf("backend did not connect (state %d)%s%s", st, why ? ": " : "",
                                 why ? why : "");
        g_free(why);
        /* Linux answers a backend's Closing with Closed (B.4). */
        if (st == XenbusStateClosing || st == XenbusStateClosed)
            write_dev(fs, XBT_NULL, "state", "%d", XenbusStateClosed);
        goto fail;
    }
    write_dev(fs, XBT_NULL, "state", "%d", XenbusStateConnected);
    *out = fs;
    return 0;
fail:
    free_front(fs);
    return -EIO;
}

void p9front_close(struct p9front *fs)
{
    write_dev(fs, XBT_NULL, "state", "%d", XenbusStateClosing);
    wait_backend(fs, XenbusStateClosing, XenbusStateClosed, true);
    teardown_rings(fs);
    fs->nrings = 0;
    write_dev(fs, XBT_NULL, "state", "%d", XenbusStateClosed);
    wait_backend(fs, XenbusStateClosed, XenbusStateClosed, true);
    free_front(fs);
}

void p9front_unbind(struct p9front *fs)
{
    teardown_rings(fs);
    fs->nrings = 0;
    write_dev(fs, XBT_NULL, "state", "%d", XenbusStateClosed);
    free_front(fs);
}

void p9front_abandon(struct p9front *fs)
{
    free_front(fs);
}

/* ---- requests ---- */

/*
 * The lowest free tag, as Linux's client allocates them (an idr): a tag comes
 * back as soon as its reply is in, often before the backend has seen the guest
 * consume that reply, and the same few tags, hence the same ring, carry most
 * of the traffic.  `ring` < nrings restricts it to tags of that ring.
 */
static int alloc_tag_on(struct p9front *fs, unsigned ring, uint16_t *tag)
{
    for (unsigned t = 0; t < P9_NOTAG; t++) {
        if (fs->slots[t].state == SLOT_FREE && (ring >= fs->nrings || t % fs->nrings == ring)) {
            *tag = (uint16_t)t;
            return 0;
        }
    }
    return -EBUSY;
}

static int alloc_tag(struct p9front *fs, uint16_t *tag)
{
    return alloc_tag_on(fs, UINT_MAX, tag);
}

static int alloc_tag_on_ring(struct p9front *fs, unsigned ring, uint16_t *tag)
{
    return alloc_tag_on(fs, ring, tag);
}

/* Publishes a whole request on ring tag % nrings, waiting for room. */
static int publish(struct p9front *fs, uint16_t tag, const uint8_t *msg, uint32_t size)
{
    struct fring *r = &fs->rings[tag % fs->nrings];
    struct timespec deadline;
    deadline_in(&deadline, fs->opt.timeout_ms);
    int err = 0;
    pthread_mutex_lock(&r->send_lock);
    for (;;) {
        enum ring_status st = ring_put(&r->requests, msg, size, NULL);
        if (st == RING_OK)
            break;
        if (st == RING_BROKEN) {
            err = -EPIPE;
            break;
        }
        pthread_mutex_lock(&fs->lock);
        int w = fs->stats.broken ? EPIPE : pthread_cond_timedwait(&fs->changed, &fs->lock, &deadline);
        pthread_mutex_unlock(&fs->lock);
        if (w) {
            err = w == EPIPE ? -EPIPE : -ETIMEDOUT;
            break;
        }
    }
    pthread_mutex_unlock(&r->send_lock);
    if (!err)
        xenevtchn_notify(r->xce, r->port);
    return err;
}

static int send_with_tag(struct p9front *fs, uint16_t tag, uint8_t id, const union p9_arg *args)
{
    unsigned dialect = fs->dialect ? fs->dialect : P9_2000_L;
    size_t size = p9c_size(id, dialect, args);
    if (!size)
        return -EINVAL;
    uint8_t *msg = g_malloc(size);
    p9c_build(msg, size, id, tag, dialect, args);
    int err = publish(fs, tag, msg, size);
    g_free(msg);
    return err;
}

int p9front_send(struct p9front *fs, uint8_t id, const union p9_arg *args, uint16_t *tag)
{
    pthread_mutex_lock(&fs->lock);
    int err = id == P9_TVERSION ? (*tag = P9_NOTAG, 0) : alloc_tag(fs, tag);
    if (!err)
        fs->slots[*tag].state = SLOT_SENT;
    pthread_mutex_unlock(&fs->lock);
    if (err)
        return err;
    err = send_with_tag(fs, *tag, id, args);
    if (err) {
        pthread_mutex_lock(&fs->lock);
        fs->slots[*tag].state = SLOT_FREE;
        pthread_mutex_unlock(&fs->lock);
    }
    return err;
}

int p9front_send_on_ring(struct p9front *fs, unsigned ring, uint8_t id,
                         const union p9_arg *args, uint16_t *tag)
{
    if (ring >= fs->nrings)
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    int err = alloc_tag_on_ring(fs, ring, tag);
    if (!err)
        fs->slots[*tag].state = SLOT_SENT;
    pthread_mutex_unlock(&fs->lock);
    if (err)
        return err;
    err = send_with_tag(fs, *tag, id, args);
    if (err) {
        pthread_mutex_lock(&fs->lock);
        fs->slots[*tag].state = SLOT_FREE;
        pthread_mutex_unlock(&fs->lock);
    }
    return err;
}

/* Writes msg at the producer index, then publishes it in two moves. */
static int publish_in_two(struct p9front *fs, struct fring *r, const uint8_t *msg,
                          uint32_t size, uint32_t first_bytes, unsigned pause_ms)
{
    struct ring_writer *w = &r->requests;
    if (first_bytes >= size || size > w->size || ring_free_bytes(w) < size)
        return -ENOSPC;
    for (uint32_t i = 0; i < size; i++)
        w->data[(w->prod + i) & (w->size - 1)] = msg[i];
    __atomic_store_n(w->shared_prod, w->prod + first_bytes, __ATOMIC_RELEASE);
    xenevtchn_notify(r->xce, r->port);
    g_usleep((gulong)pause_ms * 1000);
    w->prod += size;
    __atomic_store_n(w->shared_prod, w->prod, __ATOMIC_RELEASE);
    xenevtchn_notify(r->xce, r->port);
    return 0;
}

int p9front_send_in_two(struct p9front *fs, uint8_t id, const union p9_arg *args,
                        uint32_t first_bytes, unsigned pause_ms, uint16_t *tag)
{
    unsigned dialect = fs->dialect ? fs->dialect : P9_2000_L;
    size_t size = p9c_size(id, dialect, args);
    if (!size)
        return -EINVAL;
    pthread_mutex_lock(&fs->lock);
    int err = alloc_tag(fs, tag);
    if (!err)
        fs->slots[*tag].state = SLOT_SENT;
    pthread_mutex_unlock(&fs->lock);
    if (err)
        return err;
    uint8_t *msg = g_malloc(size);
    p9c_build(msg, size, id, *tag, dialect, args);
    struct fring *r = &fs->rings[*tag % fs->nrings];
    pthread_mutex_lock(&r->send_lock);
    err = publish_in_two(fs, r, msg, size, first_bytes, pause_ms);
    pthread_mutex_unlock(&r->send_lock);
    g_free(msg);
    if (err) {
        pthread_mutex_lock(&fs->lock);
        fs->slots[*tag].state = SLOT_FREE;
        pthread_mutex_unlock(&fs->lock);
    }
    return err;
}

void p9front_pause_receiver(struct p9front *fs, unsigned ring, bool paused)
{
    if (ring >= fs->nrings)
        return;
    atomic_store(&fs->rings[ring].paused, paused);
    uint64_t one = 1;
    if (!paused && write(fs->rings[ring].kick_fd, &one, sizeof(one)) < 0)
        g_warning("p9front: cannot resume ring %u: %s", ring, g_strerror(errno));
}

bool p9front_ready(struct p9front *fs, uint16_t tag)
{
    pthread_mutex_lock(&fs->lock);
    bool done = fs->slots[tag].state == SLOT_DONE;
    pthread_mutex_unlock(&fs->lock);
    return done;
}

int p9front_wait(struct p9front *fs, uint16_t tag, struct p9front_reply *reply)
{
    struct timespec deadline;
    deadline_in(&deadline, fs->opt.timeout_ms);
    int err = 0;
    pthread_mutex_lock(&fs->lock);
    struct slot *s = &fs->slots[tag];
    while (s->state == SLOT_SENT && !err) {
        if (fs->stats.broken) {
            err = -EPIPE;
        } else if (pthread_cond_timedwait(&fs->changed, &fs->lock, &deadline) == ETIMEDOUT) {
            /* A reply that never came: the backend is gone; the other
             * requests in flight fail at once instead of one timeout each. */
            err = -ETIMEDOUT;
            fs->stats.broken = true;
            pthread_cond_broadcast(&fs->changed);
        }
    }
    if (!err && s->state != SLOT_DONE)
        err = -EINVAL;
    if (!err) {
        reply->buf = s->buf;
        reply->size = s->size;
        s->buf = NULL;
        s->state = SLOT_FREE;
    }
    pthread_mutex_unlock(&fs->lock);
    if (err)
        return err;
    unsigned dialect = fs->dialect ? fs->dialect : P9_2000_L;
    if (p9c_parse(reply->buf, reply->size, dialect, &reply->r) != 0) {
        g_free(reply->buf);
        reply->buf = NULL;
        return -EPROTO;
    }
    return 0;
}

int p9front_rpc(struct p9front *fs, uint8_t id, const union p9_arg *args,
                struct p9front_reply *reply)
{
    uint16_t tag;
    int err = p9front_send(fs, id, args, &tag);
    return err ? err : p9front_wait(fs, tag, reply);
}

static int finish_flush(struct p9front *fs, uint16_t oldtag, uint16_t tag);

int p9front_flush(struct p9front *fs, uint16_t oldtag)
{
    union p9_arg a[1] = { { .w = oldtag } };
    uint16_t tag;
    int err = p9front_send(fs, P9_TFLUSH, a, &tag);
    return err ? err : finish_flush(fs, oldtag, tag);
}

int p9front_flush_on_ring(struct p9front *fs, uint16_t oldtag, unsigned ring,
                          uint16_t *flush_tag)
{
    union p9_arg a[1] = { { .w = oldtag } };
    int err = p9front_send_on_ring(fs, ring, P9_TFLUSH, a, flush_tag);
    return err ? err : finish_flush(fs, oldtag, *flush_tag);
}

/* Waits for the Rflush of `tag`; the old tag is ours again afterwards. */
static int finish_flush(struct p9front *fs, uint16_t oldtag, uint16_t tag)
{
    struct p9front_reply reply;
    int err = p9front_wait(fs, tag, &reply);
    if (err)
        return err;
    bool ok = reply.r.id == P9_RFLUSH;
    g_free(reply.buf);
    /* After Rflush the old tag is ours again; anything arriving for it now
     * is a server bug (Linux would hand it to whoever reuses the tag). */
    pthread_mutex_lock(&fs->lock);
    if (fs->slots[oldtag].state == SLOT_SENT)
        fs->slots[oldtag].state = SLOT_FLUSHED;
    else if (fs->slots[oldtag].state == SLOT_DONE) {
        g_free(fs->slots[oldtag].buf);
        fs->slots[oldtag].buf = NULL;
        fs->slots[oldtag].state = SLOT_FREE;
    }
    pthread_mutex_unlock(&fs->lock);
    return ok ? 0 : -EPROTO;
}

int p9front_mount(struct p9front *fs, const char *version, uint32_t msize)
{
    union p9_arg a[5];
    struct p9front_reply reply;
    a[0].d = msize;
    a[1].s = p9_str_of(version);
    fs->dialect = P9_2000;          /* Tversion/Rversion have no dialect fields */
    int err = p9front_rpc(fs, P9_TVERSION, a, &reply);
    if (err)
        return err;
    if (reply.r.id != P9_RVERSION) {
        g_free(reply.buf);
        return -EPROTO;
    }
    fs->msize = reply.r.body.a[0].d;
    const char *v = reply.r.body.a[1].s.s;
    fs->dialect = strcmp(v, "9P2000.L") == 0 ? P9_2000_L
                : strcmp(v, "9P2000.u") == 0 ? P9_2000_U
                : strcmp(v, "9P2000") == 0 ? P9_2000 : P9_DIALECT_NONE;
    g_free(reply.buf);
    if (fs->dialect == P9_DIALECT_NONE)
        return -EPROTONOSUPPORT;
    a[0].d = 0;
    a[1].d = P9_NOFID;
    a[2].s = p9_str_of("root");
    a[3].s = p9_str_of("");
    a[4].d = 0;
    err = p9front_rpc(fs, P9_TATTACH, a, &reply);
    if (err)
        return err;
    err = reply.r.error ? -reply.r.error : 0;
    g_free(reply.buf);
    return err ? err : (int)fs->msize;
}

uint32_t p9front_msize(const struct p9front *fs)
{
    return fs->msize;
}

unsigned p9front_dialect(const struct p9front *fs)
{
    return fs->dialect;
}

void p9front_get_stats(struct p9front *fs, struct p9front_stats *out)
{
    pthread_mutex_lock(&fs->lock);
    *out = fs->stats;
    pthread_mutex_unlock(&fs->lock);
}

struct xen_9pfs_data_intf *p9front_intf(struct p9front *fs, unsigned ring)
{
    return fs->rings[ring].intf;
}

struct ring_writer *p9front_request_writer(struct p9front *fs, unsigned ring)
{
    return &fs->rings[ring].requests;
}

void p9front_notify(struct p9front *fs, unsigned ring)
{
    xenevtchn_notify(fs->rings[ring].xce, fs->rings[ring].port);
}

unsigned p9front_nrings(const struct p9front *fs)
{
    return fs->nrings;
}
