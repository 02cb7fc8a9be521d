// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The daemon's main loop in Xen mode: finds 9pfs devices in xenstore
 * (backend/xen_9pfs, as libxl writes them for type=xen_9pfsd and as
 * `xen9p attach` does), follows their state, notices vanished domains,
 * answers the control socket, and closes everything on SIGTERM.
 */
#include "config.h"

#include "backend/supervisor/xen_backend.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "backend/supervisor/control.h"
#include "backend/supervisor/daemon.h"
#include "backend/common/log.h"
#include "backend/supervisor/xen_device.h"
#include "backend/common/xen_store.h"

#define BACKEND_KIND "xen_9pfs"
#define SHUTDOWN_GRACE_MS 3000

struct backend {
    struct xen_host host;
    GHashTable *devices;        /* "domid/devid" -> struct xen_device */
    char *claim;                /* /local/domain/<self>/libxl/xen-9pfs */
    const struct xen_backend_options *opts;     /* the settings, reload updates them */
    GHashTable *adoptable;      /* "domid/devid" -> worker_proc an earlier supervisor left */
};

/* ---- the libxl claim (drop-in for type=xen_9pfsd) ---- */

static bool process_named(pid_t pid, const char *name)
{
    char path[64], comm[64] = "";
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool same = fgets(comm, sizeof(comm), f) && strncmp(comm, name, strlen(name)) == 0 &&
                (comm[strlen(name)] == '\n' || comm[strlen(name)] == '\0');
    fclose(f);
    return same;
}

static bool xen_9pfsd_running(void)
{
    GDir *proc = g_dir_open("/proc", 0, NULL);
    bool found = false;
    const char *name;
    while (proc && !found && (name = g_dir_read_name(proc))) {
        char *end;
        long pid = strtol(name, &end, 10);
        if (!*end && pid > 0)
            found = process_named(pid, "xen-9pfsd");
    }
    if (proc)
        g_dir_close(proc);
    return found;
}

/*
 * libxl starts xen-9pfsd unless <backend domain>/libxl/xen-9pfs/state
 * exists; xen-9pfsd itself refuses to run when it does.  We write it too,
 * with our pid, so a stale claim (a crashed daemon) can be told from a
 * live one.
 */
struct claim_job {
    const char *state_path, *pid_path;
    const char *refusal;        /* who serves the devices already, or NULL */
};

static bool claim_body(struct xs_handle *xs, xs_transaction_t t, void *ctx)
{
    struct claim_job *j = ctx;
    unsigned int len;
    char *state = xs_read(xs, t, j->state_path, &len);
    char *pid = xs_read(xs, t, j->pid_path, &len);
    j->refusal = NULL;
    if (state) {
        long other = pid ? strtol(pid, NULL, 10) : 0;
        if (other > 0 && other != getpid() && process_named(other, "xen9pd"))
            j->refusal = "another xen9pd";
        else if (!pid && xen_9pfsd_running())
            j->refusal = "xen-9pfsd";
    }
    free(state);
    free(pid);
    if (j->refusal)
        return false;
    char mypid[16];
    snprintf(mypid, sizeof(mypid), "%d", (int)getpid());
    return xs_write(xs, t, j->state_path, "running", strlen("running")) &&
           xs_write(xs, t, j->pid_path, mypid, strlen(mypid));
}

static bool claim_backend(struct backend *be)
{
    char *state_path = g_strdup_printf("%s/state", be->claim);
    char *pid_path = g_strdup_printf("%s/xen9pd-pid", be->claim);
    struct claim_job j = { state_path, pid_path, NULL };
    bool ok = xstore_transact(be->host.xs, claim_body, &j);
    if (!ok && j.refusal) {
        g_printerr("xen9pd: %s already serves 9pfs devices (%s exists)\n", j.refusal,
                   state_path);
        g_warning("%s already serves 9pfs devices (%s exists)", j.refusal, state_path);
    } else if (!ok) {
        g_printerr("xen9pd: cannot write %s: %s\n", state_path, g_strerror(errno));
    }
    g_free(state_path);
    g_free(pid_path);
    return ok;
}

/* ---- devices ---- */

static char *device_key(unsigned domid, unsigned devid)
{
    return g_strdup_printf("%u/%u", domid, devid);
}

static bool parse_id(const char *s, unsigned long max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > max)
        return false;
    *out = v;
    return true;
}

static void drop_device(struct backend *be, struct xen_device *d)
{
    char *key = device_key(d->domid, d->devid);
    d->gone = true;
    xen9p_log_about(&d->subject, G_LOG_LEVEL_MESSAGE, "device %s: removed", d->label);
    g_hash_table_remove(be->devices, key);      /* frees it */
    g_free(key);
}

static bool node_exists(struct backend *be, const char *path)
{
    char *v = xstore_read(be->host.xs, path);
    g_free(v);
    return v != NULL;
}

/* One device's directory changed (or appeared, or vanished). */
static void device_changed(struct backend *be, unsigned domid, unsigned devid)
{
    char *key = device_key(domid, devid);
    struct xen_device *d = g_hash_table_lookup(be->devices, key);
    char *path = g_strdup_printf("%s/%s", be->host.root, key);
    bool exists = node_exists(be, path);
    g_free(path);
    if (!exists) {
        if (d)
            drop_device(be, d);
    } else {
        struct worker_proc *w = NULL;
        if (!d) {
            d = xen_device_new(&be->host, domid, devid);
            g_hash_table_insert(be->devices, g_strdup(key), d);
            xen9p_log_about(&d->subject, G_LOG_LEVEL_MESSAGE, "device %s: found", d->label);
            g_hash_table_steal_extended(be->adoptable, key, NULL, (gpointer *)&w);
        }
        if (w)
            xen_device_adopt(d, w);
        else
            xen_device_update(d);
    }
    g_free(key);
}

/* Lists backend/xen_9pfs/<domid>/<devid> and reconciles every device. */
static void rescan(struct backend *be)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char **domains = xstore_directory(be->host.xs, be->host.root);
    for (char **dom = domains; dom && *dom; dom++) {
        unsigned domid, devid;
        if (!parse_id(*dom, UINT16_MAX, &domid))
            continue;
        char *dompath = g_strdup_printf("%s/%s", be->host.root, *dom);
        char **devs = xstore_directory(be->host.xs, dompath);
        for (char **dev = devs; dev && *dev; dev++) {
            if (!parse_id(*dev, UINT32_MAX, &devid))
                continue;
            g_hash_table_add(seen, device_key(domid, devid));
            device_changed(be, domid, devid);
        }
        g_strfreev(devs);
        g_free(dompath);
    }
    g_strfreev(domains);
    GHashTableIter it;
    gpointer key, value;
    GPtrArray *vanished = g_ptr_array_new();
    g_hash_table_iter_init(&it, be->devices);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        if (!g_hash_table_contains(seen, key))
            g_ptr_array_add(vanished, value);
    }
    for (guint i = 0; i < vanished->len; i++)
        drop_device(be, vanished->pdata[i]);
    g_ptr_array_free(vanished, TRUE);
    g_hash_table_destroy(seen);
}

static void backend_event(struct backend *be, const char *path)
{
    size_t rootlen = strlen(be->host.root);
    if (strncmp(path, be->host.root, rootlen) != 0 || (path[rootlen] && path[rootlen] != '/'))
        return;
    const char *rest = path[rootlen] ? path + rootlen + 1 : "";
    char **parts = g_strsplit(rest, "/", 3);
    unsigned domid, devid;
    if (parts[0] && parts[1] && parse_id(parts[0], UINT16_MAX, &domid) &&
        parse_id(parts[1], UINT32_MAX, &devid))
        device_changed(be, domid, devid);
    else
        rescan(be);
    g_strfreev(parts);
}

static void frontend_event(struct backend *be, const char *token)
{
    unsigned domid, devid;
    if (sscanf(token, "fe:%u:%u", &domid, &devid) != 2)
        return;
    char *key = device_key(domid, devid);
    struct xen_device *d = g_hash_table_lookup(be->devices, key);
    g_free(key);
    if (d)
        xen_device_update(d);
}

static void domains_released(struct backend *be)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, be->devices);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        struct xen_device *d = value;
        if (!xs_is_domain_introduced(be->host.xs, d->domid))
            xen_device_domain_gone(d);
    }
}

static void handle_watches(struct backend *be)
{
    char **event;
    while ((event = xs_check_watch(be->host.xs))) {
        const char *path = event[XS_WATCH_PATH], *token = event[XS_WATCH_TOKEN];
        if (strcmp(token, "backend") == 0)
            backend_event(be, path);
        else if (strcmp(token, "release") == 0)
            domains_released(be);
        else if (g_str_has_prefix(token, "fe:"))
            frontend_event(be, token);
        free(event);
    }
}

/* ---- control: `xen9p list` ---- */

static gint by_id(gconstpointer a, gconstpointer b)
{
    const struct xen_device *x = *(struct xen_device *const *)a, *y = *(struct xen_device *const *)b;
    return x->domid != y->domid ? (x->domid > y->domid) - (x->domid < y->domid)
                                : (x->devid > y->devid) - (x->devid < y->devid);
}

/* Every device, by domain and device id (g_ptr_array_free). */
static GPtrArray *devices_sorted(struct backend *be)
{
    GPtrArray *sorted = g_ptr_array_new();
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, be->devices);
    while (g_hash_table_iter_next(&it, NULL, &value))
        g_ptr_array_add(sorted, value);
    g_ptr_array_sort(sorted, by_id);
    return sorted;
}

/* "list" and "rings": a line per device (and its rings), then the daemon's. */
static void control_list(struct backend *be, bool rings, GString *out)
{
    GPtrArray *sorted = devices_sorted(be);
    unsigned pages = 0, channels = 0;
    uint64_t open_files = 0;
    for (guint i = 0; i < sorted->len; i++) {
        struct xen_device *d = sorted->pdata[i];
        struct xen_device_stats st;
        xen_device_get_stats(d, &st);
        pages += st.mapped_pages;
        channels += st.event_channels;
        open_files += st.open_files;
        /* One line per device, tab-separated: every text field escaped, so
         * no value (the tag is the guest's) can add a field or a line. */
        char *path = xen9p_escape(d->path ? d->path : "");
        char *error = xen9p_escape(d->error ? d->error : "");
        g_string_append_printf(out, "device\t%u\t%u\t%s\t%s\t%u\t%" G_GUINT64_FORMAT "\t%"
                               G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT
                               "\t%s\t%s",
                               d->domid, d->devid, d->tag_shown,
                               xen_device_phase_name(d->phase), d->nrings, st.inflight,
                               st.requests, st.bytes_in, st.bytes_out, path, error);
        /* Its worker as /proc shows it (docs/security.md "Checking a running
         * system"): pid, crashes so far, uid, CapEff, Seccomp, NoNewPrivs. */
        struct worker_confinement c;
        pid_t pid = d->worker ? d->worker->pid : 0;
        if (pid > 0 && worker_proc_confinement(pid, &c))
            g_string_append_printf(out, "\t%d\t%u\t%ld\t%016" G_GINT64_MODIFIER "x\t%d\t%d\n",
                                   (int)pid, d->crashes, c.uid, (guint64)c.cap_eff, c.seccomp,
                                   c.no_new_privs);
        else
            g_string_append_printf(out, "\t-\t%u\t-\t-\t-\t-\n", d->crashes);
        g_free(path);
        g_free(error);
        if (rings)
            xen_device_describe_rings(d, out);
    }
    g_string_append_printf(out, "daemon\tpid=%d\tdevices=%u\tmapped_pages=%u\tevent_channels=%u"
                           "\topen_files=%" G_GUINT64_FORMAT "\n",
                           (int)getpid(), sorted->len, pages, channels, open_files);
    g_ptr_array_free(sorted, TRUE);
}

/* The devices `domain` (DOMID or *) and `device` (DEVID, TAG or *) name, in
 * order; NULL if `domain` is neither. */
static GPtrArray *devices_named(struct backend *be, const char *domain, const char *device)
{
    guint64 domid = 0;
    bool any_domain = strcmp(domain, "*") == 0;
    if (!any_domain && !g_ascii_string_to_unsigned(domain, 10, 0, UINT32_MAX, &domid, NULL))
        return NULL;
    GPtrArray *sorted = devices_sorted(be);
    GPtrArray *named = g_ptr_array_new();
    for (guint i = 0; i < sorted->len; i++) {
        struct xen_device *d = sorted->pdata[i];
        char devid[16];
        snprintf(devid, sizeof(devid), "%u", d->devid);
        if ((any_domain || d->domid == domid) &&
            (strcmp(device, "*") == 0 || strcmp(device, devid) == 0 ||
             g_strcmp0(device, d->tag) == 0))
            g_ptr_array_add(named, d);
    }
    g_ptr_array_free(sorted, TRUE);
    return named;
}

/*
 * "trace DOMID|* DEVID|TAG|* on|off" (tab-separated): switches the tracing of
 * the devices named; a line "trace DOMID DEVID on|off now|next" for each
 * ("next": no worker serves it now, its next one starts so).
 */
static void control_trace(struct backend *be, char **args, GString *out)
{
    GPtrArray *named = g_strv_length(args) == 3 ? devices_named(be, args[0], args[1]) : NULL;
    if (!named || (strcmp(args[2], "on") != 0 && strcmp(args[2], "off") != 0)) {
        g_string_append(out, "error\tusage: trace DOMID|* DEVID|TAG|* on|off\n");
        if (named)
            g_ptr_array_free(named, TRUE);
        return;
    }
    bool on = strcmp(args[2], "on") == 0;
    for (guint i = 0; i < named->len; i++) {
        struct xen_device *d = named->pdata[i];
        bool now = xen_device_set_trace(d, on);
        g_string_append_printf(out, "trace\t%u\t%u\t%s\t%s\n", d->domid, d->devid,
                               on ? "on" : "off", now ? "now" : "next");
    }
    if (!named->len)
        g_string_append(out, "error\tno such device\n");
    g_ptr_array_free(named, TRUE);
}

/* "upgrade DOMID|* DEVID|TAG|*": each connected device's worker replaced. */
static void control_upgrade(struct backend *be, char **args, GString *out)
{
    GPtrArray *named = g_strv_length(args) == 2 ? devices_named(be, args[0], args[1]) : NULL;
    if (!named) {
        g_string_append(out, "error\tusage: upgrade DOMID|* DEVID|TAG|*\n");
        return;
    }
    unsigned tried = 0;
    for (guint i = 0; i < named->len; i++) {
        struct xen_device *d = named->pdata[i];
        if (d->phase != DEV_CONNECTED)
            continue;   /* no worker: the next one starts from the new binary anyway */
        pid_t old = d->worker->pid;
        gint64 began = g_get_monotonic_time();
        char *why = NULL;
        tried++;
        if (xen_device_upgrade(d, &why))
            g_string_append_printf(out, "upgraded\t%s\t%d\t%d\t%.1f\n", d->label, (int)old,
                                   (int)d->worker->pid,
                                   (g_get_monotonic_time() - began) / 1000.0);
        else
            g_string_append_printf(out, "failed\t%s\t%s\n", d->label, why);
        g_free(why);
    }
    /* "all" with nothing connected has nothing to do (a package upgrade asks so). */
    if (!tried && (strcmp(args[0], "*") != 0 || strcmp(args[1], "*") != 0))
        g_string_append(out, "error\tno connected device\n");
    g_ptr_array_free(named, TRUE);
}

/*
 * "reload": reads the configuration file again and applies it to what starts
 * from now on (log verbosity at once; workers and devices that connect
 * later); shares being served are left alone, even one whose path the new
 * export-roots no longer allow (a warning says so).  A file that does not
 * parse changes nothing.  Answers "reloaded PATH SETTINGS", "warning ..."
 * lines, or "error WHY".
 */
static void control_reload(struct backend *be, GString *out)
{
    const struct xen_backend_options *o = be->opts;
    struct settings file, merged;
    GError *error = NULL;
    if (!settings_load(o->config_path, o->config_required, &file, &error)) {
        g_warning("reload: %s (the settings in effect are kept)", error->message);
        char *why = xen9p_escape(error->message);
        g_string_append_printf(out, "error\t%s\n", why);
        g_free(why);
        g_error_free(error);
        return;
    }
    daemon_reloading(true);
    settings_merge(o->cmdline, &file, &merged);
    settings_clear(&file);
    settings_clear(o->settings);
    *o->settings = merged;
    xen9p_log_set_verbose(merged.verbose);
    settings_to_workers(&merged, o->workers);
    char *text = settings_describe(&merged), *path = xen9p_escape(o->config_path);
    g_message("reloaded %s: %s", o->config_path, text);
    g_string_append_printf(out, "reloaded\t%s\t%s\n", path, text);
    g_free(text);
    g_free(path);
    GPtrArray *sorted = devices_sorted(be);
    for (guint i = 0; i < sorted->len; i++) {
        struct xen_device *d = sorted->pdata[i];
        if (d->worker && d->path && !settings_export_allowed(o->settings, d->path)) {
            xen9p_log_about(&d->subject, G_LOG_LEVEL_WARNING, "device %s: serves %s, outside "
                            "the export-roots now allowed; it keeps serving until it "
                            "disconnects", d->label, d->path);
            char *shown = xen9p_escape(d->path);
            g_string_append_printf(out, "warning\t%s serves %s, outside the export-roots now "
                                   "allowed; it keeps serving until it disconnects\n",
                                   d->label, shown);
            g_free(shown);
        }
    }
    g_ptr_array_free(sorted, TRUE);
    daemon_reloading(false);
}

static void control_command(const char *command, GString *out, void *ctx)
{
    struct backend *be = ctx;
    char **words = g_strsplit(command, "\t", 6);
    if (g_strv_length(words) == 1 && strcmp(words[0], "list") == 0)
        control_list(be, false, out);
    else if (g_strv_length(words) == 1 && strcmp(words[0], "rings") == 0)
        control_list(be, true, out);
    else if (words[0] && strcmp(words[0], "trace") == 0)
        control_trace(be, words + 1, out);
    else if (words[0] && strcmp(words[0], "upgrade") == 0)
        control_upgrade(be, words + 1, out);
    else if (g_strv_length(words) == 1 && strcmp(words[0], "reload") == 0)
        control_reload(be, out);
    else
        g_string_append_printf(out, "error\tunknown command \"%s\" (list, rings, trace, "
                               "reload, upgrade)\n",
                               words[0] ? words[0] : "");
    g_strfreev(words);
}

/* ---- the loop ---- */

/*
 * Adds every worker's link, log pipe and pidfd to `fds` (the device of each
 * in `polled`, three entries per device); returns the poll timeout: -1, or
 * the milliseconds until a device whose last worker crashed may get a new one.
 */
static int collect_worker_fds(struct backend *be, GArray *fds, GPtrArray *polled)
{
    gint64 now = g_get_monotonic_time(), soonest = G_MAXINT64;
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, be->devices);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        struct xen_device *d = value;
        if (d->worker) {
            struct pollfd three[3] = {
                { .fd = d->worker->link, .events = POLLIN },
                { .fd = d->worker->log, .events = POLLIN },
                { .fd = d->worker->pidfd, .events = POLLIN },
            };
            g_array_append_vals(fds, three, 3);
            g_ptr_array_add(polled, d);
        } else if (d->phase == DEV_INIT_WAIT && d->retry_after > now) {
            soonest = MIN(soonest, d->retry_after);
        }
    }
    return soonest == G_MAXINT64 ? -1 : (int)((soonest - now) / 1000 + 1);
}

/* Relays workers' logs, and hands their messages and exits to their devices. */
static void serve_workers(struct backend *be, struct pollfd *p, GPtrArray *polled)
{
    for (guint i = 0; i < polled->len; i++, p += 3) {
        struct xen_device *d = polled->pdata[i];
        /* A device the steps above dropped is gone from the table: skip it. */
        char *key = g_strdup_printf("%u/%u", d->domid, d->devid);
        bool alive = g_hash_table_lookup(be->devices, key) == d && d->worker;
        g_free(key);
        if (!alive)
            continue;
        if (p[1].revents)
            worker_proc_relay_log(d->worker);
        if (p[0].revents || p[2].revents)
            xen_device_worker_event(d);
    }
}

/* Devices waiting out a crash backoff try again. */
static void retry_devices(struct backend *be)
{
    gint64 now = g_get_monotonic_time();
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, be->devices);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        struct xen_device *d = value;
        if (d->phase == DEV_INIT_WAIT && !d->worker && d->retry_after && d->retry_after <= now)
            xen_device_update(d);
    }
}

static void device_destroy(gpointer p)
{
    xen_device_free(p);
}

static unsigned own_domid(struct xs_handle *xs)
{
    /* A driver domain serves from its own xenstore home; dom0 has no "domid" key. */
    unsigned long id = 0;
    xstore_read_uint(xs, "domid", UINT16_MAX, &id);
    return id;
}

/* Workers an earlier supervisor left in the service manager's keeping. */
static void collect_adoptable(struct backend *be)
{
    char **names = daemon_stored_names(WORKER_STORE_PREFIX);
    for (char **name = names; *name; name++) {
        const char *label = *name + strlen(WORKER_STORE_PREFIX);
        unsigned domid, devid;
        char *why = NULL;
        struct worker_proc *w = NULL;
        if (sscanf(label, "%u/%u", &domid, &devid) == 2) {
            char *key = device_key(domid, devid);
            if (strcmp(key, label) == 0)
                w = worker_proc_adopt(label, NULL, daemon_take_stored(*name), &why);
            g_free(key);
        }
        if (w) {
            g_hash_table_insert(be->adoptable, g_strdup(label), w);
        } else if (why) {
            g_warning("device %s: cannot take its worker back: %s", label, why);
            daemon_unstore_fds(*name);
            g_free(why);
        }
    }
    g_strfreev(names);
}

/* Kept workers whose device is no longer in xenstore stop. */
static void stop_unadopted(struct backend *be)
{
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, be->adoptable);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        struct worker_proc *w = value;
        g_message("device %s: gone from xenstore while xen9pd restarted: its worker %d stops",
                  (const char *)key, (int)w->pid);
        worker_proc_stop(w, 5000);
        worker_proc_free(w);
        g_hash_table_iter_remove(&it);
    }
}

/* A restart: the devices' workers serve on, xenstore and the claim stay. */
static void hand_over(struct backend *be)
{
    GHashTableIter it;
    gpointer value;
    unsigned n = 0;
    g_hash_table_iter_init(&it, be->devices);
    while (g_hash_table_iter_next(&it, NULL, &value)) {
        struct xen_device *d = value;
        n += d->worker != NULL;
        xen_device_hand_over(d);
    }
    g_message("stopping: %u workers serve on; the service manager keeps them for the next "
              "xen9pd", n);
}

/* Lets frontends see Closing and answer Closed before we go. */
static void drain_shutdown(struct backend *be)
{
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, be->devices);
    while (g_hash_table_iter_next(&it, NULL, &value))
        xen_device_shutdown(value);
    gint64 deadline = g_get_monotonic_time() + SHUTDOWN_GRACE_MS * 1000;
    for (;;) {
        bool waiting = false;
        g_hash_table_iter_init(&it, be->devices);
        while (g_hash_table_iter_next(&it, NULL, &value))
            waiting |= ((struct xen_device *)value)->phase == DEV_CLOSING;
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (!waiting || left <= 0)
            break;
        struct pollfd p = { .fd = xs_fileno(be->host.xs), .events = POLLIN };
        if (poll(&p, 1, left) > 0)
            handle_watches(be);
    }
}

int xen_backend_run(const struct xen_backend_options *opts, int stop_fd)
{
    struct backend be = { 0 };
    int rc = 1;
    struct control *control = NULL;
    GError *error = NULL;

    be.host.xs = xs_open(0);
    if (!be.host.xs) {
        g_printerr("xen9pd: cannot connect to xenstore: %s (is xenstored running?)\n",
                   g_strerror(errno));
        return 1;
    }
    be.host.self = own_domid(be.host.xs);
    be.host.root = g_strdup_printf("/local/domain/%u/backend/" BACKEND_KIND, be.host.self);
    be.claim = g_strdup_printf("/local/domain/%u/libxl/xen-9pfs", be.host.self);
    be.host.workers = opts->workers;
    be.host.settings = opts->settings;
    be.opts = opts;
    be.devices = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, device_destroy);
    be.adoptable = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!claim_backend(&be))
        goto out;
    control = control_open(opts->control_path, control_command, &be, &error);
    if (!control) {
        g_printerr("xen9pd: %s\n", error->message);
        g_error_free(error);
        goto out_claim;
    }
    if (!xs_watch(be.host.xs, be.host.root, "backend") ||
        !xs_watch(be.host.xs, "@releaseDomain", "release")) {
        g_printerr("xen9pd: cannot watch xenstore: %s\n", g_strerror(errno));
        goto out_claim;
    }
    g_message("serving 9pfs devices under %s%s", be.host.root,
              opts->workers->sandbox ? "" : " (workers NOT confined: --no-sandbox)");
    if (daemon_ready(opts->foreground, opts->pid_file) < 0)
        goto out_claim;
    collect_adoptable(&be);
    rescan(&be);
    stop_unadopted(&be);
    daemon_drop_unclaimed_stored();

    GArray *fds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    GPtrArray *polled = g_ptr_array_new();      /* the device of each worker's fds */
    for (;;) {
        g_array_set_size(fds, 3);
        g_ptr_array_set_size(polled, 0);
        struct pollfd fixed[3] = {
            { .fd = stop_fd, .events = POLLIN },
            { .fd = xs_fileno(be.host.xs), .events = POLLIN },
            { .fd = control_fd(control), .events = POLLIN },
        };
        memcpy(fds->data, fixed, sizeof(fixed));
        int timeout = collect_worker_fds(&be, fds, polled);
        struct pollfd *p = (struct pollfd *)fds->data;
        if (poll(p, fds->len, timeout) < 0) {
            if (errno == EINTR)
                continue;
            g_warning("poll: %s", g_strerror(errno));
            break;
        }
        if (p[0].revents)
            break;
        serve_workers(&be, p + 3, polled);
        if (p[1].revents)
            handle_watches(&be);
        if (p[2].revents)
            control_serve(control);
        if (timeout >= 0)
            retry_devices(&be);
    }
    g_array_free(fds, TRUE);
    g_ptr_array_free(polled, TRUE);
    rc = 0;
    if (daemon_stop_hands_over(stop_fd)) {
        hand_over(&be);
        goto out;       /* the claim stays ours */
    }
    g_message("stopping: closing every device");
    drain_shutdown(&be);
out_claim:
    xs_rm(be.host.xs, XBT_NULL, be.claim);
out:
    control_close(control);
    if (be.devices)
        g_hash_table_destroy(be.devices);
    if (be.adoptable)
        g_hash_table_destroy(be.adoptable);
    xs_close(be.host.xs);
    g_free(be.host.root);
    g_free(be.claim);
    return rc;
}
