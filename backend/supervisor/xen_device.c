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

#include "backend/supervisor/xen_device.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <xen/io/xenbus.h>

#include "backend/common/export_config.h"
#include "backend/supervisor/fdlimit.h"
#include "backend/common/log.h"
#include "backend/worker/sandbox.h"
#include "backend/common/worker_link.h"
#include "backend/worker/worker_main.h"
#include "backend/common/xen_store.h"

/* xl.cfg(5): "type=xen_9pfsd ... has a default of max-open-files=5" (0 or absent). */
#define DEFAULT_MAX_OPEN_FILES 5

/* A message about device `d`: in the journal with its device, domain and tag fields. */
#define dev_log(d, level, ...) xen9p_log_about(&(d)->subject, G_LOG_LEVEL_##level, __VA_ARGS__)

const char *xen_device_phase_name(enum xen_device_phase phase)
{
    static const char *names[] = {
        [DEV_NEW] = "new", [DEV_INIT_WAIT] = "InitWait", [DEV_CONNECTING] = "Connecting",
        [DEV_CONNECTED] = "Connected",
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
struct write_be_job {
    struct xen_device *d;
    const char *path, *value;
    bool gone;
};

static bool write_be_body(struct xs_handle *xs, xs_transaction_t t, void *ctx)
{
    struct write_be_job *j = ctx;
    unsigned int len;
    char *dir = xs_read(xs, t, j->d->be_path, &len);
    j->gone = dir == NULL;
    free(dir);
    return !j->gone &&
           xstore_write_owned(xs, t, j->path, j->value, j->d->host->self, j->d->domid);
}

static bool write_be(struct xen_device *d, const char *key, const char *value)
{
    char *path = be_key(d, key);
    /* Only into a directory that still exists: a write would re-create one
     * the toolstack just removed (xenstore makes missing parents). */
    struct write_be_job j = { d, path, value, false };
    bool ok = xstore_transact(d->host->xs, write_be_body, &j);
    if (!ok && !j.gone)
        dev_log(d, WARNING, "device %s: cannot write %s: %s", d->label, path, g_strerror(errno));
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
    dev_log(d, WARNING, "device %s: %s", d->label, why);
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
    d->trace = host->workers->trace;
    snprintf(d->subject.device, sizeof(d->subject.device), "%u/%u", domid, devid);
    snprintf(d->subject.domid, sizeof(d->subject.domid), "%u", domid);
    return d;
}

/* ---- configuration (C.1 step 2) ---- */

/* Reads an optional numeric key (a quota, a 0/1 opt-in): absent = 0. */
static bool read_number(struct xen_device *d, const char *key, unsigned long max, uint64_t *out)
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
    d->subject.tag = d->tag ? d->tag_shown : NULL;

    key = be_key(d, "path");
    d->path = xstore_read(xs, key);
    g_free(key);
    key = be_key(d, "security_model");
    char *model = xstore_read(xs, key);
    g_free(key);

    memset(&d->cfg, 0, sizeof(d->cfg));
    uint64_t space_mib = 0, auto_delete = 0, allow_acl = 0, allow_setid = 0, allow_devices = 0;
    const char *problem;
    if (!d->path || !*d->path)
        why = g_strdup("no path configured (backend key \"path\")");
    else if ((problem = export_path_problem(d->path)))
        why = g_strdup_printf("path \"%s\" %s", d->path, problem);
    else if (!settings_export_allowed(d->host->settings, d->path))
        why = g_strdup_printf("path \"%s\" is outside the export-roots the administrator "
                              "allows (xen9pd.conf)", d->path);
    else if (model && !export_model_parse(model, &d->cfg.model))
        why = g_strdup_printf("unknown security_model \"%s\" (" EXPORT_MODEL_NAMES ")", model);
    else if (!read_number(d, "max-files", UINT32_MAX, &d->cfg.max_files) ||
             !read_number(d, "max-open-files", UINT32_MAX, &d->cfg.max_open_files) ||
             !read_number(d, "max-space", UINT32_MAX, &space_mib) ||
             !read_number(d, "auto-delete", 1, &auto_delete))
        why = g_strdup("a quota key (max-files, max-open-files, max-space, auto-delete) "
                       "is not a number");
    /* What the guest may do to the host (docs/security.md "What a guest may do
     * to the export"): off unless the administrator wrote 1. */
    else if (!read_number(d, "allow-acl", 1, &allow_acl) ||
             !read_number(d, "allow-setid", 1, &allow_setid) ||
             !read_number(d, "allow-devices", 1, &allow_devices))
        why = g_strdup("allow-acl, allow-setid or allow-devices is not 0 or 1");
    g_free(model);
    if (!why) {
        d->cfg.max_space = space_mib << 20;
        d->cfg.auto_delete = auto_delete;
        d->cfg.allow_acl = allow_acl;
        d->cfg.allow_setid = allow_setid;
        d->cfg.allow_devices = allow_devices;
        if (!d->cfg.max_open_files)
            d->cfg.max_open_files = DEFAULT_MAX_OPEN_FILES;
    }
    /* The device's files are its worker's, within the open-file limit the
     * administrator gave the daemon; the supervisor holds a few descriptors per
     * device, promised from its own budget (docs/design.md "Limits"). */
    unsigned long worker_fds = d->cfg.max_open_files + SANDBOX_FD_OVERHEAD;
    if (!why && worker_fds > fdlimit_hard())
        why = g_strdup_printf("not enough file descriptors: max-open-files=%" G_GUINT64_FORMAT
                              " needs %lu in its worker, more than xen9pd's open-file limit of "
                              "%lu (raise LimitNOFILE or lower max-open-files)",
                              d->cfg.max_open_files, worker_fds, fdlimit_hard());
    if (!why && fdlimit_take(FDLIMIT_DEVICE, "this device", &why))
        d->fd_budget = FDLIMIT_DEVICE;
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
    if (why) {
        set_error(d, why);
        g_free(why);
        return false;
    }
    char *optins = export_optins_text(&d->cfg);
    dev_log(d, MESSAGE, "device %s: tag \"%s\" serves %s (security model %s%s)", d->label,
            d->tag_shown, d->path, export_model_name(d->cfg.model), optins);
    g_free(optins);
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
        dev_log(d, WARNING, "device %s: cannot watch %s: %s", d->label, d->fe_watch,
                g_strerror(errno));
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

/* ---- connecting (C.1 step 5): a worker of its own ---- */

/* How long a worker may take to stop before it is killed. */
#define WORKER_STOP_MS 5000
/* After a worker crash, the next one waits this long, doubling per crash. */
#define CRASH_BACKOFF_MS 1000
#define CRASH_BACKOFF_MAX_MS 60000

/* Stops its worker (rings, session, mappings and channels go with it). */
static void disconnect(struct xen_device *d)
{
    if (!d->worker)
        return;
    worker_proc_stop(d->worker, WORKER_STOP_MS);
    char *how = worker_proc_describe_exit(d->worker), *cpu = worker_proc_describe_cpu(d->worker);
    dev_log(d, INFO, "device %s: worker %d %s (%s)", d->label, (int)d->worker->pid, how, cpu);
    g_free(how);
    g_free(cpu);
    worker_proc_free(d->worker);
    d->worker = NULL;
    d->nrings = 0;
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

/* A worker's assignment: the frontend's rings (read again), the export's settings,
 * and a descriptor of the export (*export_fd, to close). */
static bool assignment(struct xen_device *d, GVariantDict *a, unsigned *nrings_out,
                       int *export_fd, char **why)
{
    unsigned long version, nrings;
    if (!read_fe_number(d, "version", 1, &version, why) ||
        !read_fe_number(d, "num-rings", XEN_MAX_RINGS, &nrings, why))
        return false;
    uint32_t refs[XEN_MAX_RINGS], ports[XEN_MAX_RINGS];
    for (unsigned i = 0; i < nrings; i++) {
        unsigned long ref, port;
        char key[32];
        snprintf(key, sizeof(key), "ring-ref%u", i);
        if (!read_fe_number(d, key, UINT32_MAX, &ref, why))
            return false;
        snprintf(key, sizeof(key), "event-channel-%u", i);
        if (!read_fe_number(d, key, UINT32_MAX, &port, why))
            return false;
        refs[i] = ref;
        ports[i] = port;
    }
    *export_fd = export_tree_of(d->path);
    if (*export_fd < 0) {
        *why = g_strdup_printf("cannot open %s: %s", d->path, g_strerror(errno));
        return false;
    }
    g_variant_dict_init(a, NULL);
    g_variant_dict_insert(a, "domid", "u", d->domid);
    g_variant_dict_insert_value(a, "ring-refs", g_variant_new_fixed_array(
                                    G_VARIANT_TYPE_UINT32, refs, nrings, sizeof(uint32_t)));
    g_variant_dict_insert_value(a, "ports", g_variant_new_fixed_array(
                                    G_VARIANT_TYPE_UINT32, ports, nrings, sizeof(uint32_t)));
    g_variant_dict_insert(a, "max-order", "u", (uint32_t)XEN_MAX_RING_ORDER);
    worker_put_export_config(a, &d->cfg);
    g_variant_dict_insert(a, "trace", "b", (gboolean)d->trace);
    *nrings_out = nrings;
    return true;
}

/* Reads the frontend's rings and hands them, with the export, to a new worker. */
static bool start_worker(struct xen_device *d, char **why)
{
    GVariantDict a;
    unsigned nrings;
    int export_fd;
    if (!assignment(d, &a, &nrings, &export_fd, why))
        return false;
    d->worker = worker_proc_spawn(d->host->workers, d->label, &d->subject, why);
    if (d->worker && !link_send(d->worker->link, "serve-xen", &a, &export_fd, 1)) {
        *why = g_strdup_printf("cannot reach its worker: %s", g_strerror(errno));
        worker_proc_free(d->worker);
        d->worker = NULL;
    }
    g_variant_dict_clear(&a);
    close(export_fd);
    d->nrings = nrings;
    return d->worker != NULL;
}

bool xen_device_upgrade(struct xen_device *d, char **why)
{
    if (d->phase != DEV_CONNECTED || !d->worker) {
        *why = g_strdup_printf("not connected (%s)", xen_device_phase_name(d->phase));
        return false;
    }
    GVariantDict a;
    unsigned nrings;
    int export_fd;
    if (!assignment(d, &a, &nrings, &export_fd, why))
        return false;
    gint64 began = g_get_monotonic_time();
    struct worker_proc *w = worker_proc_upgrade(d->host->workers, d->worker, "take-over-xen", &a,
                                                export_fd, why);
    g_variant_dict_clear(&a);
    close(export_fd);
    if (!w) {
        dev_log(d, WARNING, "device %s: upgrade failed, worker %d serves on: %s", d->label,
                (int)d->worker->pid, *why);
        return false;
    }
    dev_log(d, MESSAGE, "device %s: upgraded, worker %d took over from %d in %.1f ms", d->label,
            (int)w->pid, (int)d->worker->pid, (g_get_monotonic_time() - began) / 1000.0);
    worker_proc_hand_over(d->worker);
    d->worker = w;
    return true;
}

/* The device ends: its `error` node says why, the frontend sees Closing. */
static void end_device(struct xen_device *d, const char *why)
{
    disconnect(d);
    set_error(d, why);
    write_state(d, XenbusStateClosing);
    d->phase = DEV_CLOSING;
}

static void connect_device(struct xen_device *d)
{
    char *why = NULL;
    if (g_get_monotonic_time() < d->retry_after)
        return;     /* its last worker crashed a moment ago: the main loop comes back */
    if (!start_worker(d, &why)) {
        /* The frontend handed us something unusable, or no worker: the device ends. */
        end_device(d, why);
        g_free(why);
        return;
    }
    d->phase = DEV_CONNECTING;
}

/* The worker serves: the frontend may use the device. */
static void worker_ready(struct xen_device *d)
{
    clear_error(d);
    write_state(d, XenbusStateConnected);
    d->phase = DEV_CONNECTED;
    dev_log(d, MESSAGE, "device %s: connected, %u rings (worker %d, ready in %.1f ms)", d->label,
            d->nrings, (int)d->worker->pid,
            (g_get_monotonic_time() - d->worker->started) / 1000.0);
}

/* A worker that died unasked: logged, counted, the device ends, the next waits. */
static void worker_crashed(struct xen_device *d)
{
    char *how = worker_proc_describe_exit(d->worker);
    char *why = g_strdup_printf("its worker %s", how);
    dev_log(d, WARNING, "device %s (domain %u): worker %d %s", d->label, d->domid,
            (int)d->worker->pid, how);
    d->crashes++;
    unsigned backoff = CRASH_BACKOFF_MS << MIN(d->crashes - 1, 6u);
    d->retry_after = g_get_monotonic_time() +
                     (gint64)MIN(backoff, (unsigned)CRASH_BACKOFF_MAX_MS) * 1000;
    end_device(d, why);
    g_free(why);
    g_free(how);
}

void xen_device_worker_event(struct xen_device *d)
{
    if (!d->worker)
        return;
    struct link_msg msg;
    int got;
    /* What it said first: "ready" or "failed" (a worker only speaks when asked otherwise). */
    while ((got = link_recv(d->worker->link, &msg)) > 0) {
        if (strcmp(msg.name, "ready") == 0 && d->phase == DEV_CONNECTING) {
            worker_ready(d);
        } else if (strcmp(msg.name, "failed") == 0) {
            char *why = link_get_str(&msg, "why");
            char *shown = xen9p_escape(why ? why : "its worker failed");
            link_msg_clear(&msg);
            g_free(why);
            end_device(d, shown);
            g_free(shown);
            return;
        }
        link_msg_clear(&msg);
        if (!d->worker || !link_readable(d->worker->link))
            return;
    }
    /* The link closed (or spoke nonsense): the worker is gone or going. */
    worker_proc_reap(d->worker);
    if (!d->worker->exited)
        worker_proc_stop(d->worker, WORKER_STOP_MS);
    if (d->worker->exited && (d->phase == DEV_CONNECTING || d->phase == DEV_CONNECTED))
        worker_crashed(d);
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
struct replug_job {
    struct xen_device *d;
    const char *fe_new, *be_new, *be_id;
    char **keys;
};

/* The share's nodes again under the new device id, the old ones gone. */
static bool replug_body(struct xs_handle *xs, xs_transaction_t t, void *ctx)
{
    struct replug_job *j = ctx;
    /* libxl's permissions: each side owns its directory, the other side reads. */
    unsigned fe = j->d->domid, be = j->d->host->self;
    bool w = xstore_mkdir_owned(xs, t, j->fe_new, fe, be) &&
             xstore_write_child(xs, t, j->fe_new, "backend", j->be_new, fe, be) &&
             xstore_write_child(xs, t, j->fe_new, "backend-id", j->be_id, fe, be) &&
             xstore_write_child(xs, t, j->fe_new, "state", "1", fe, be) &&
             xstore_write_child(xs, t, j->fe_new, "tag", j->d->tag ? j->d->tag : "", fe, be) &&
             xstore_mkdir_owned(xs, t, j->be_new, be, fe) &&
             xstore_write_child(xs, t, j->be_new, "frontend", j->fe_new, be, fe) &&
             xstore_write_child(xs, t, j->be_new, "state", "1", be, fe) &&
             xstore_write_child(xs, t, j->be_new, "xen9p-attached", "1", be, fe);
    for (char **k = j->keys; w && k && *k; k++) {
        if (!config_key(*k))
            continue;
        char *path = be_key(j->d, *k);
        unsigned int len;
        char *value = xs_read(xs, t, path, &len);
        w = value && xstore_write_child(xs, t, j->be_new, *k, value, be, fe);
        free(value);
        g_free(path);
    }
    if (w) {
        /* Gone already (the toolstack was quicker) is as good. */
        xs_rm(xs, t, j->d->fe_path);
        xs_rm(xs, t, j->d->be_path);
    }
    return w;
}

static void replug(struct xen_device *d)
{
    struct xs_handle *xs = d->host->xs;
    char *fe_parent = g_path_get_dirname(d->fe_path);
    char *be_parent = g_path_get_dirname(d->be_path);
    unsigned long devid = xstore_next_index(xs, fe_parent, be_parent);
    char *fe_new = g_strdup_printf("%s/%lu", fe_parent, devid);
    char *be_new = g_strdup_printf("%s/%lu", be_parent, devid);
    char **keys = xstore_directory(xs, d->be_path);
    char be_id[16];
    snprintf(be_id, sizeof(be_id), "%u", d->host->self);
    struct replug_job j = { d, fe_new, be_new, be_id, keys };
    bool ok = xstore_transact(xs, replug_body, &j);
    if (ok)
        dev_log(d, MESSAGE, "device %s: the guest's driver let go of it; tag \"%s\" offered "
                "again as device %u/%lu", d->label, d->tag_shown, d->domid, devid);
    else
        dev_log(d, WARNING, "device %s: cannot offer the share again: %s", d->label,
                g_strerror(errno));
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
        dev_log(d, MESSAGE, "device %s: disconnected", d->label);
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
                dev_log(d, MESSAGE, "device %s: frontend still connected to an earlier backend: "
                        "closing", d->label);
                write_state(d, XenbusStateClosing);
                d->phase = DEV_CLOSING;
            }
            break;
        case DEV_CONNECTING:
        case DEV_CONNECTED:
            if (!toolstack_close && fe == XenbusStateClosed && d->phase == DEV_CONNECTED) {
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

void xen_device_domain_gone(struct xen_device *d)
{
    if (d->phase == DEV_CONNECTED)
        dev_log(d, MESSAGE, "device %s: domain %u is gone", d->label, d->domid);
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

void xen_device_adopt(struct xen_device *d, struct worker_proc *w)
{
    char *key = be_key(d, "state");
    int be = read_state(d, key);
    g_free(key);
    unsigned long nrings = 0;
    char *why = NULL;
    d->worker = w;
    w->subject = &d->subject;
    if (!configure(d)) {
        disconnect(d);
        write_state(d, XenbusStateClosed);
        d->phase = DEV_FAILED;
        return;
    }
    d->written_state = be;
    watch_frontend(d);
    if (be == XenbusStateConnected && read_fe_number(d, "num-rings", XEN_MAX_RINGS, &nrings, &why)) {
        d->phase = DEV_CONNECTED;
        d->nrings = nrings;
        dev_log(d, MESSAGE, "device %s: taken back from an earlier xen9pd (worker %d serves on)",
                d->label, (int)w->pid);
    } else if (be == XenbusStateInitWait) {
        /* It was connecting: its "ready" or "failed" waits on the link. */
        d->phase = DEV_CONNECTING;
        dev_log(d, MESSAGE, "device %s: taken back while connecting (worker %d)", d->label,
                (int)w->pid);
    } else {
        dev_log(d, MESSAGE, "device %s: an earlier xen9pd left a worker in state %d: stopped",
                d->label, be);
        disconnect(d);
        d->phase = be == XenbusStateClosing ? DEV_CLOSING : DEV_CLOSED;
    }
    g_free(why);
    /* Whatever the frontend did while nobody watched. */
    xen_device_update(d);
}

void xen_device_hand_over(struct xen_device *d)
{
    worker_proc_hand_over(d->worker);
    d->worker = NULL;
}

void xen_device_shutdown(struct xen_device *d)
{
    if (d->phase == DEV_CONNECTED || d->phase == DEV_CONNECTING || d->phase == DEV_INIT_WAIT) {
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

/* Asks its worker `question` (with `fields`, may be NULL) and waits (1 s) for
 * the answer of the same name. */
static bool ask_worker(struct xen_device *d, const char *question, GVariantDict *fields,
                       struct link_msg *answer)
{
    if (!d->worker || d->phase != DEV_CONNECTED ||
        !link_send(d->worker->link, question, fields, NULL, 0))
        return false;
    gint64 deadline = g_get_monotonic_time() + G_USEC_PER_SEC;
    while (link_wait_readable(d->worker->link, deadline)) {
        if (link_recv(d->worker->link, answer) <= 0)
            return false;
        if (strcmp(answer->name, question) == 0)
            return true;
        link_msg_clear(answer);
    }
    return false;
}

void xen_device_get_stats(struct xen_device *d, struct xen_device_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->event_channels = d->phase == DEV_CONNECTED ? d->nrings : 0;
    struct link_msg a;
    if (!ask_worker(d, "stats", NULL, &a))
        return;
    uint32_t pages = 0, channels = 0;
    link_get_u64(&a, "requests", &out->requests);
    link_get_u64(&a, "inflight", &out->inflight);
    link_get_u64(&a, "bytes-in", &out->bytes_in);
    link_get_u64(&a, "bytes-out", &out->bytes_out);
    link_get_u64(&a, "open-files", &out->open_files);
    if (link_get_u32(&a, "mapped-pages", &pages))
        out->mapped_pages = pages;
    if (link_get_u32(&a, "event-channels", &channels))
        out->event_channels = channels;
    link_msg_clear(&a);
}

void xen_device_describe_rings(struct xen_device *d, GString *out)
{
    struct link_msg a;
    if (!ask_worker(d, "rings", NULL, &a))
        return;
    char *text = link_get_str(&a, "text");
    /* The worker's text, line by line, each escaped: it cannot add a device line. */
    char **lines = g_strsplit(text ? text : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned index;
        int at = 0;
        if (sscanf(*l, "ring\t%u\t%n", &index, &at) == 1 && at > 0) {
            char *rest = xen9p_escape(*l + at);
            g_string_append_printf(out, "ring\t%u\t%s\n", index, rest);
            g_free(rest);
        }
    }
    g_strfreev(lines);
    g_free(text);
    link_msg_clear(&a);
}

bool xen_device_set_trace(struct xen_device *d, bool on)
{
    d->trace = on;
    GVariantDict q;
    g_variant_dict_init(&q, NULL);
    g_variant_dict_insert(&q, "on", "b", (gboolean)on);
    struct link_msg a;
    bool switched = ask_worker(d, "trace", &q, &a);
    g_variant_dict_clear(&q);
    bool now = false;
    if (switched) {
        switched = link_get_bool(&a, "on", &now) && now == on;
        link_msg_clear(&a);
    }
    dev_log(d, MESSAGE, "device %s: tracing %s%s", d->label, on ? "on" : "off",
            switched ? "" : " (from its next connection)");
    return switched;
}
