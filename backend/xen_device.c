// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A Xen 9pfs device and its xenbus handshake (docs/xen-transport.md C.1):
 * configure from the backend keys, advertise (versions, max-rings,
 * max-ring-page-order) and go InitWait, connect when the frontend is
 * Initialised, disconnect on Closing/Closed, online=0 or a toolstack
 * Closing, and start over when a frontend probes again.
 *
 * Errors: a configuration error closes the device (Closed + `error` node);
 * a guest breaking the protocol loses its own device (Closing + `error`).
 * Neither touches the daemon or another device.
 */
#include "config.h"

#include "backend/xen_device.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <xen/io/xenbus.h>

#include "backend/export_config.h"
#include "backend/fdlimit.h"
#include "backend/log.h"
#include "backend/server.h"
#include "backend/xen_ring.h"
#include "backend/xen_store.h"

/* Per-device limits: a hostile guest may not make dom0 hold more than this. */
#define DEVICE_MAX_REQUESTS 256
#define DEVICE_MAX_BUFFERED (32u << 20)
/* xl.cfg(5): "type=xen_9pfsd ... has a default of max-open-files=5" (0 or absent). */
#define DEFAULT_MAX_OPEN_FILES 5

const char *xen_device_phase_name(enum xen_device_phase phase)
{
    static const char *names[] = {
        [DEV_NEW] = "new", [DEV_INIT_WAIT] = "InitWait", [DEV_CONNECTED] = "Connected",
        [DEV_CLOSING] = "Closing", [DEV_CLOSED] = "Closed", [DEV_FAILED] = "Failed",
    };
    return names[phase];
}

static char *be_key(struct xen_device *d, const char *key)
{
    return g_strdup_printf("%s/%s", d->be_path, key);
}

static char *fe_key(struct xen_device *d, const char *key)
{
    return g_strdup_printf("%s/%s", d->fe_path, key);
}

/* Writes a backend key the frontend may read (owner: us, frontend: read). */
static bool write_be(struct xen_device *d, const char *key, const char *value)
{
    struct xs_handle *xs = d->host->xs;
    char *path = be_key(d, key);
    bool ok = false, gone = false;
    /* Only into a directory that still exists: a write would re-create one
     * the toolstack just removed (xenstore makes missing parents). */
    for (int attempt = 0; attempt < 16; attempt++) {
        xs_transaction_t t = xs_transaction_start(xs);
        unsigned int len;
        char *dir = xs_read(xs, t, d->be_path, &len);
        gone = dir == NULL;
        free(dir);
        if (gone) {
            xs_transaction_end(xs, t, true);
            break;
        }
        ok = xstore_write_owned(xs, t, path, value, d->host->self, d->domid);
        if (!ok) {
            xs_transaction_end(xs, t, true);
            break;
        }
        if (xs_transaction_end(xs, t, false))
            break;
        ok = false;
        if (errno != EAGAIN)
            break;
    }
    if (!ok && !gone)
        g_warning("device %s: cannot write %s: %s", d->label, path, g_strerror(errno));
    g_free(path);
    return ok;
}

static void write_state(struct xen_device *d, enum xenbus_state state)
{
    char v[4];
    snprintf(v, sizeof(v), "%d", state);
    if (write_be(d, "state", v))
        d->written_state = state;
}

static int read_state(struct xen_device *d, const char *path)
{
    unsigned long v;
    return xstore_read_uint(d->host->xs, path, XenbusStateReconfigured, &v) ? (int)v : -1;
}

/* Records why the device stopped: log line and `error` node. */
static void set_error(struct xen_device *d, const char *why)
{
    g_warning("device %s: %s", d->label, why);
    g_free(d->error);
    d->error = g_strdup(why);
    write_be(d, "error", why);
}

static void clear_error(struct xen_device *d)
{
    char *path = be_key(d, "error");
    xs_rm(d->host->xs, XBT_NULL, path);
    g_free(path);
    g_free(d->error);
    d->error = NULL;
}

struct xen_device *xen_device_new(struct xen_host *host, unsigned domid, unsigned devid)
{
    struct xen_device *d = g_new0(struct xen_device, 1);
    d->host = host;
    d->domid = domid;
    d->devid = devid;
    d->label = g_strdup_printf("%u/%u", domid, devid);
    d->be_path = g_strdup_printf("%s/%u/%u", host->root, domid, devid);
    d->phase = DEV_NEW;
    d->written_state = -1;
    d->tag_shown = g_strdup("");
    pthread_mutex_init(&d->fail_lock, NULL);
    return d;
}

/* ---- configuration (C.1 step 2) ---- */

static bool path_acceptable(const char *path)
{
    if (path[0] != '/')
        return false;
    char **parts = g_strsplit(path, "/", -1);
    bool ok = true;
    for (char **p = parts; *p; p++) {
        if (strcmp(*p, "..") == 0)
            ok = false;
    }
    g_strfreev(parts);
    return ok;
}

/* Reads an optional quota key: absent = 0 = unlimited. */
static bool read_quota(struct xen_device *d, const char *key, unsigned long max, uint64_t *out)
{
    char *path = be_key(d, key);
    char *raw = xstore_read(d->host->xs, path);
    unsigned long v = 0;
    bool ok = !raw || xstore_read_uint(d->host->xs, path, max, &v);
    g_free(raw);
    g_free(path);
    *out = v;
    return ok;
}

static bool configure(struct xen_device *d)
{
    struct xs_handle *xs = d->host->xs;
    char *key, *why = NULL;

    key = be_key(d, "frontend");
    d->fe_path = xstore_read(xs, key);
    g_free(key);
    unsigned long fe_id;
    key = be_key(d, "frontend-id");
    bool id_ok = xstore_read_uint(xs, key, UINT16_MAX, &fe_id) && fe_id == d->domid;
    g_free(key);
    if (!d->fe_path || !id_ok) {
        set_error(d, "frontend or frontend-id missing or not this domain's");
        return false;
    }
    /* The tag names the device in logs and in `xen9p list`: the toolstack's
     * copy in our own directory when there is one (`xen9p attach` writes it),
     * else the frontend's, which the guest may rewrite: shown escaped. */
    key = be_key(d, "tag");
    d->tag = xstore_read(xs, key);
    g_free(key);
    if (!d->tag) {
        key = fe_key(d, "tag");
        d->tag = xstore_read(xs, key);
        g_free(key);
    }
    g_free(d->tag_shown);
    d->tag_shown = xen9p_escape(d->tag ? d->tag : "");

    key = be_key(d, "path");
    d->path = xstore_read(xs, key);
    g_free(key);
    key = be_key(d, "security_model");
    char *model = xstore_read(xs, key);
    g_free(key);

    memset(&d->cfg, 0, sizeof(d->cfg));
    uint64_t space_mib = 0, auto_delete = 0;
    if (!d->path || !*d->path)
        why = g_strdup("no path configured (backend key \"path\")");
    else if (!path_acceptable(d->path))
        why = g_strdup_printf("path \"%s\" is not absolute or contains \"..\"", d->path);
    else if (model && !export_model_parse(model, &d->cfg.model))
        why = g_strdup_printf("unknown security_model \"%s\" (none, passthrough)", model);
    else if (!read_quota(d, "max-files", UINT32_MAX, &d->cfg.max_files) ||
             !read_quota(d, "max-open-files", UINT32_MAX, &d->cfg.max_open_files) ||
             !read_quota(d, "max-space", UINT32_MAX, &space_mib) ||
             !read_quota(d, "auto-delete", 1, &auto_delete))
        why = g_strdup("a quota key (max-files, max-open-files, max-space, auto-delete) "
                       "is not a number");
    g_free(model);
    if (!why) {
        d->cfg.max_space = space_mib << 20;
        d->cfg.auto_delete = auto_delete;
        if (!d->cfg.max_open_files)
            d->cfg.max_open_files = DEFAULT_MAX_OPEN_FILES;
    }
    /* Every descriptor the device may open is promised before it opens any:
     * devices cannot add up to more than the daemon has (docs/design.md "Limits"). */
    if (!why && fdlimit_take(d->cfg.max_open_files + FDLIMIT_DEVICE, "this device", &why))
        d->fd_budget = d->cfg.max_open_files + FDLIMIT_DEVICE;
    if (!why) {
        struct stat st;
        /* Like xen-9pfsd, the directory is created if missing (libxl's default
         * path for type=xen_9pfsd is a per-guest directory), for root only:
         * what the guest puts there is not for every host account. */
        if (g_mkdir_with_parents(d->path, 0700) < 0 || stat(d->path, &st) < 0)
            why = g_strdup_printf("cannot create %s: %s", d->path, g_strerror(errno));
        else if (!S_ISDIR(st.st_mode))
            why = g_strdup_printf("%s is not a directory", d->path);
    }
    if (!why) {
        int err = fsdrv_export_open(d->path, &d->cfg, &d->export);
        if (err)
            why = g_strdup_printf("cannot export %s: %s", d->path, g_strerror(-err));
    }
    if (why) {
        set_error(d, why);
        g_free(why);
        return false;
    }
    g_message("device %s: tag \"%s\" serves %s (security model %s)", d->label,
              d->tag_shown, d->path, export_model_name(d->cfg.model));
    return true;
}

/* ---- advertising (C.1 step 3) ---- */

static void watch_frontend(struct xen_device *d)
{
    if (d->fe_watch)
        return;
    d->fe_watch = fe_key(d, "state");
    char *token = g_strdup_printf("fe:%u:%u", d->domid, d->devid);
    if (!xs_watch(d->host->xs, d->fe_watch, token))
        g_warning("device %s: cannot watch %s: %s", d->label, d->fe_watch, g_strerror(errno));
    g_free(token);
}

static void advertise(struct xen_device *d)
{
    char v[16];
    write_be(d, "versions", "1");
    snprintf(v, sizeof(v), "%d", XEN_MAX_RINGS);
    write_be(d, "max-rings", v);
    snprintf(v, sizeof(v), "%d", XEN_MAX_RING_ORDER);
    write_be(d, "max-ring-page-order", v);
    watch_frontend(d);
    write_state(d, XenbusStateInitWait);
    d->phase = DEV_INIT_WAIT;
}

/* ---- connecting (C.1 step 5) ---- */

static void device_send(void *ctx, struct p9_reply *reply)
{
    struct xen_device *d = ctx;
    xen_ring_send(d->rings[reply->origin], reply);
}

static void device_wake(void *ctx)
{
    struct xen_device *d = ctx;
    for (unsigned i = 0; i < d->nrings; i++)
        xen_ring_kick(d->rings[i]);
}

static const struct p9_transport_ops device_ops = { .send = device_send, .wake = device_wake };

static void ring_failed(void *ctx, const char *why)
{
    struct xen_device *d = ctx;
    pthread_mutex_lock(&d->fail_lock);
    if (!d->fail_reason)
        d->fail_reason = g_strdup(why);
    pthread_mutex_unlock(&d->fail_lock);
    uint64_t one = 1;
    while (write(d->host->fail_fd, &one, sizeof(one)) < 0 && errno == EINTR)
        ;
}

/* Stops the rings, ends the session, unmaps and unbinds everything. */
static void disconnect(struct xen_device *d)
{
    for (unsigned i = 0; i < d->nrings; i++)
        xen_ring_stop(d->rings[i]);
    if (d->session) {
        p9_session_close(d->session);
        d->session = NULL;
    }
    for (unsigned i = 0; i < d->nrings; i++)
        xen_ring_unmap(d->rings[i]);
    d->nrings = 0;
    pthread_mutex_lock(&d->fail_lock);
    g_free(d->fail_reason);
    d->fail_reason = NULL;
    pthread_mutex_unlock(&d->fail_lock);
}

/* Reads a frontend key that must be a decimal number in 1..max. */
static bool read_fe_number(struct xen_device *d, const char *key, unsigned long max,
                           unsigned long *out, char **why)
{
    char *path = fe_key(d, key);
    bool ok = xstore_read_uint(d->host->xs, path, max, out) && *out >= 1;
    if (!ok)
        *why = g_strdup_printf("frontend key %s missing or outside 1..%lu", key, max);
    g_free(path);
    return ok;
}

static bool connect_rings(struct xen_device *d, char **why)
{
    unsigned long version, nrings;
    if (!read_fe_number(d, "version", 1, &version, why) ||
        !read_fe_number(d, "num-rings", XEN_MAX_RINGS, &nrings, why))
        return false;
    uint32_t max_msize = UINT32_MAX;
    for (unsigned i = 0; i < nrings; i++) {
        unsigned long ref, port;
        char key[32];
        snprintf(key, sizeof(key), "ring-ref%u", i);
        if (!read_fe_number(d, key, UINT32_MAX, &ref, why))
            return false;
        snprintf(key, sizeof(key), "event-channel-%u", i);
        if (!read_fe_number(d, key, UINT32_MAX, &port, why))
            return false;
        struct xen_ring *r = xen_ring_map(d->host->xgt, d->domid, i, ref, port,
                                          XEN_MAX_RING_ORDER, why);
        if (!r)
            return false;
        d->rings[d->nrings++] = r;
        if (xen_ring_capacity(r) < max_msize)
            max_msize = xen_ring_capacity(r);
    }
    /* A reply must fit in a ring whole (A.8): msize is capped at the smallest. */
    struct p9_session_config cfg = {
        .export = d->export, .max_msize = max_msize, .label = d->label,
        .max_requests = DEVICE_MAX_REQUESTS, .max_buffered = DEVICE_MAX_BUFFERED,
    };
    d->session = p9_session_new(&cfg, &device_ops, d);
    for (unsigned i = 0; i < d->nrings; i++)
        xen_ring_start(d->rings[i], d->session, ring_failed, d);
    return true;
}

static void connect_device(struct xen_device *d)
{
    char *why = NULL;
    if (!connect_rings(d, &why)) {
        disconnect(d);
        /* The frontend handed us something unusable: its device ends. */
        set_error(d, why);
        g_free(why);
        write_state(d, XenbusStateClosing);
        d->phase = DEV_CLOSING;
        return;
    }
    clear_error(d);
    write_state(d, XenbusStateConnected);
    d->phase = DEV_CONNECTED;
    g_message("device %s: connected, %u rings", d->label, d->nrings);
}

/* ---- replugging a device whose driver let go ---- */

/* Backend keys that are the device's configuration (the rest are ours). */
static bool config_key(const char *key)
{
    static const char *ours[] = { "state", "frontend", "versions", "max-rings",
                                  "max-ring-page-order", "error", "hotplug-status" };
    for (size_t i = 0; i < G_N_ELEMENTS(ours); i++) {
        if (strcmp(key, ours[i]) == 0)
            return false;
    }
    return true;
}

/*
 * Linux's frontend cannot reconnect a device it once closed: after its
 * driver is unbound (rmmod 9pnet_xen, Connected -> Closed without Closing)
 * a new driver finds the device Closed and leaves it.  So the same share
 * is offered again as a new device (same tag and settings, next id), which
 * the guest's driver binds afresh; the old nodes go.  The new backend
 * directory is marked as ours, so it is removed when the domain dies.
 */
static void replug(struct xen_device *d)
{
    struct xs_handle *xs = d->host->xs;
    char *fe_parent = g_path_get_dirname(d->fe_path);
    char *be_parent = g_path_get_dirname(d->be_path);
    unsigned long devid = xstore_next_index(xs, fe_parent, be_parent);
    char *fe_new = g_strdup_printf("%s/%lu", fe_parent, devid);
    char *be_new = g_strdup_printf("%s/%lu", be_parent, devid);
    char **keys = xstore_directory(xs, d->be_path);
    /* libxl's permissions: each side owns its directory, the other side reads. */
    unsigned fe = d->domid, be = d->host->self;
    char be_id[16];
    snprintf(be_id, sizeof(be_id), "%u", be);
    bool ok = false;
    for (int attempt = 0; attempt < 16 && !ok; attempt++) {
        xs_transaction_t t = xs_transaction_start(xs);
        bool w = xstore_mkdir_owned(xs, t, fe_new, fe, be) &&
                 xstore_write_child(xs, t, fe_new, "backend", be_new, fe, be) &&
                 xstore_write_child(xs, t, fe_new, "backend-id", be_id, fe, be) &&
                 xstore_write_child(xs, t, fe_new, "state", "1", fe, be) &&
                 xstore_write_child(xs, t, fe_new, "tag", d->tag ? d->tag : "", fe, be) &&
                 xstore_mkdir_owned(xs, t, be_new, be, fe) &&
                 xstore_write_child(xs, t, be_new, "frontend", fe_new, be, fe) &&
                 xstore_write_child(xs, t, be_new, "state", "1", be, fe) &&
                 xstore_write_child(xs, t, be_new, "xen9p-attached", "1", be, fe);
        for (char **k = keys; w && k && *k; k++) {
            if (!config_key(*k))
                continue;
            char *path = be_key(d, *k);
            unsigned int len;
            char *value = xs_read(xs, t, path, &len);
            w = value && xstore_write_child(xs, t, be_new, *k, value, be, fe);
            free(value);
            g_free(path);
        }
        if (w) {
            xs_rm(xs, t, d->fe_path);
            xs_rm(xs, t, d->be_path);
        }
        ok = w && xs_transaction_end(xs, t, false);
        if (!w)
            xs_transaction_end(xs, t, true);
        if (!ok && (!w || errno != EAGAIN))
            break;
    }
    if (ok)
        g_message("device %s: the guest's driver let go of it; tag \"%s\" offered again as "
                  "device %u/%lu", d->label, d->tag_shown, d->domid, devid);
    else
        g_warning("device %s: cannot offer the share again: %s", d->label, g_strerror(errno));
    g_strfreev(keys);
    g_free(fe_new);
    g_free(be_new);
    g_free(fe_parent);
    g_free(be_parent);
}

/* ---- the state machine ---- */

static void close_device(struct xen_device *d, int fe_state)
{
    bool was_connected = d->phase == DEV_CONNECTED;
    disconnect(d);
    if (fe_state == XenbusStateClosed || fe_state < 0) {
        write_state(d, XenbusStateClosed);
        d->phase = DEV_CLOSED;
    } else {
        write_state(d, XenbusStateClosing);
        d->phase = DEV_CLOSING;
    }
    if (was_connected)
        g_message("device %s: disconnected", d->label);
}

void xen_device_update(struct xen_device *d)
{
    if (d->gone || d->phase == DEV_FAILED)
        return;
    if (d->phase == DEV_NEW) {
        if (!configure(d)) {
            write_state(d, XenbusStateClosed);
            d->phase = DEV_FAILED;
            return;
        }
        advertise(d);
    }
    char *key = be_key(d, "online");
    unsigned long online = 1;
    char *raw = xstore_read(d->host->xs, key);
    if (raw && !xstore_read_uint(d->host->xs, key, 1, &online))
        online = 0;
    g_free(raw);
    g_free(key);
    key = be_key(d, "state");
    int be = read_state(d, key);
    g_free(key);
    /* libxl removes a device with online=0 and backend state Closing. */
    bool toolstack_close = !online || (be == XenbusStateClosing && d->written_state != be);

    for (int pass = 0; pass < 4; pass++) {
        enum xen_device_phase before = d->phase;
        int fe = read_state(d, d->fe_watch);
        switch (d->phase) {
        case DEV_INIT_WAIT:
            if (toolstack_close || fe == XenbusStateClosing || fe == XenbusStateClosed) {
                write_state(d, XenbusStateClosed);
                d->phase = DEV_CLOSED;
            } else if (fe == XenbusStateInitialised) {
                connect_device(d);
            } else if (fe == XenbusStateConnected) {
                /* Connected to an earlier backend: a 9pfs connection cannot be
                 * resumed (protocol B.4), so the frontend has to close. */
                g_message("device %s: frontend still connected to an earlier backend: closing",
                          d->label);
                write_state(d, XenbusStateClosing);
                d->phase = DEV_CLOSING;
            }
            break;
        case DEV_CONNECTED:
            if (!toolstack_close && fe == XenbusStateClosed) {
                /* Closed without Closing: the driver was unbound, not shut down
                 * (which waits for our Closing before it goes Closed). */
                disconnect(d);
                write_state(d, XenbusStateClosed);
                d->phase = DEV_CLOSED;
                replug(d);
            } else if (toolstack_close || fe == XenbusStateClosing || fe == XenbusStateClosed ||
                       fe < 0) {
                close_device(d, toolstack_close && fe == XenbusStateConnected ? XenbusStateClosing : fe);
            }
            break;
        case DEV_CLOSING:
            if (fe == XenbusStateClosed || fe == XenbusStateInitialising || fe < 0) {
                write_state(d, XenbusStateClosed);
                d->phase = DEV_CLOSED;
            }
            break;
        case DEV_CLOSED:
            /* A frontend probing again (C.1 step 8) finds us ready. */
            if (!toolstack_close && fe == XenbusStateInitialising) {
                clear_error(d);
                advertise(d);
            }
            break;
        default:
            break;
        }
        if (d->phase == before)
            break;
    }
}

void xen_device_check_failure(struct xen_device *d)
{
    pthread_mutex_lock(&d->fail_lock);
    char *why = d->fail_reason;
    d->fail_reason = NULL;
    pthread_mutex_unlock(&d->fail_lock);
    if (!why)
        return;
    if (d->phase == DEV_CONNECTED) {
        disconnect(d);
        set_error(d, why);
        write_state(d, XenbusStateClosing);
        d->phase = DEV_CLOSING;
    }
    g_free(why);
}

void xen_device_domain_gone(struct xen_device *d)
{
    if (d->phase == DEV_CONNECTED)
        g_message("device %s: domain %u is gone", d->label, d->domid);
    disconnect(d);
    if (d->phase != DEV_FAILED) {
        /* Say so in xenstore too: a toolstack removing the device waits for
         * Closed, and nobody is left to move the state on. */
        if (!d->gone && d->written_state != XenbusStateClosed)
            write_state(d, XenbusStateClosed);
        d->phase = DEV_CLOSED;
    }
    /* Nodes made by `xen9p attach` have no toolstack to remove them. */
    char *marker = be_key(d, "xen9p-attached");
    char *v = xstore_read(d->host->xs, marker);
    if (v) {
        xstore_rm_tidy(d->host->xs, XBT_NULL, d->be_path);
        if (d->fe_path)
            xstore_rm_tidy(d->host->xs, XBT_NULL, d->fe_path);
    }
    g_free(v);
    g_free(marker);
}

void xen_device_shutdown(struct xen_device *d)
{
    if (d->phase == DEV_CONNECTED || d->phase == DEV_INIT_WAIT) {
        disconnect(d);
        if (!d->gone)
            write_state(d, XenbusStateClosing);
        d->phase = DEV_CLOSING;
    }
}

void xen_device_free(struct xen_device *d)
{
    disconnect(d);
    fdlimit_give(d->fd_budget);
    if (d->fe_watch) {
        char *token = g_strdup_printf("fe:%u:%u", d->domid, d->devid);
        xs_unwatch(d->host->xs, d->fe_watch, token);
        g_free(token);
    }
    if (d->export)
        fsdrv_export_close(d->export);
    pthread_mutex_destroy(&d->fail_lock);
    g_free(d->fail_reason);
    g_free(d->error);
    g_free(d->fe_watch);
    g_free(d->tag);
    g_free(d->tag_shown);
    g_free(d->path);
    g_free(d->fe_path);
    g_free(d->be_path);
    g_free(d->label);
    g_free(d);
}

void xen_device_get_stats(struct xen_device *d, struct xen_device_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (unsigned i = 0; i < d->nrings; i++) {
        struct xen_ring_stats rs;
        xen_ring_get_stats(d->rings[i], &rs);
        out->requests += rs.requests;
        out->replies += rs.replies;
        out->bytes_in += rs.bytes_in;
        out->bytes_out += rs.bytes_out;
        out->mapped_pages += rs.mapped_pages;
        out->event_channels++;
    }
    if (d->session) {
        struct p9_session_stats ss;
        p9_session_get_stats(d->session, &ss);
        out->inflight = ss.inflight;
    }
    if (d->export) {
        struct fsdrv_usage u;
        fsdrv_export_usage(d->export, &u);
        out->open_files = u.open_files;
    }
}
