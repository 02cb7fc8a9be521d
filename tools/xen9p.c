// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen9p: administration of xen9pd's 9pfs devices.
 *   xen9p attach DOMID tag=T,path=P[,security_model=M][,max-files=N]
 *                [,max-open-files=N][,max-space=MiB][,auto-delete=0|1]
 *                [,allow-acl=0|1][,allow-setid=0|1][,allow-devices=0|1]
 *   xen9p detach DOMID DEVID|TAG
 *   xen9p list
 *   xen9p rings
 * attach/detach write and remove the frontend and backend xenstore nodes as
 * libxl does for p9 = [ 'type=xen_9pfsd,...' ] (docs/xen-transport.md D.1,
 * D.2), so a running guest gains or loses a share without a toolstack.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>
#include <xen/io/xenbus.h>
#include <xenstore.h>

#include "backend/common/control_socket.h"
#include "backend/common/export_config.h"
#include "backend/common/xen_store.h"

#define EXIT_USAGE 2

static char *opt_control;
static int opt_timeout = 10;
static int opt_backend = 0;
static gboolean opt_verbose;
static gboolean opt_dry_run;
static gboolean opt_json;

static const GOptionEntry entries[] = {
    { "control", 'c', 0, G_OPTION_ARG_FILENAME, &opt_control,
      "xen9pd's control socket (default " XEN9P_CONTROL_DEFAULT ")", "PATH" },
    { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout,
      "Seconds to wait for the device to change state (default 10)", "SECONDS" },
    { "backend-domain", 'b', 0, G_OPTION_ARG_INT, &opt_backend,
      "Domain running xen9pd (default 0)", "DOMID" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
      "list: also each device's worker (pid, uid, capabilities, seccomp, crashes)", NULL },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &opt_dry_run,
      "attach: print the xenstore nodes it would write, write nothing", NULL },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &opt_json,
      "list: one JSON object (devices with their workers, the daemon's counters)", NULL },
    { NULL }
};

static G_GNUC_PRINTF(1, 2) int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_printerr("xen9p: %s\n", msg);
    g_free(msg);
    return 1;
}

static struct xs_handle *open_store(void)
{
    struct xs_handle *xs = xs_open(0);
    if (!xs)
        g_printerr("xen9p: cannot connect to xenstore: %s (is xenstored running?)\n",
                   g_strerror(errno));
    return xs;
}

static bool parse_domid(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v >= 0x7ff0)     /* DOMID_FIRST_RESERVED */
        return false;
    *out = v;
    return true;
}

/* A domain by id or, as xl takes it, by name (its /local/domain/N/name). */
static bool resolve_domain(struct xs_handle *xs, const char *s, unsigned *out)
{
    if (parse_domid(s, out))
        return true;
    char **doms = xstore_directory(xs, "/local/domain");
    bool found = false;
    for (char **d = doms; d && *d && !found; d++) {
        char *path = g_strdup_printf("/local/domain/%s/name", *d);
        char *name = xstore_read(xs, path);
        found = name && strcmp(name, s) == 0 && parse_domid(*d, out);
        g_free(name);
        g_free(path);
    }
    g_strfreev(doms);
    if (!found)
        g_printerr("xen9p: no domain \"%s\" (a domain id or name)\n", s);
    return found;
}

/* A domain named on the command line: 0, or the command's exit code. */
static int domain_argument(const char *s, unsigned *out)
{
    if (parse_domid(s, out))
        return 0;
    struct xs_handle *xs = open_store();
    if (!xs)
        return 1;
    bool found = resolve_domain(xs, s, out);
    xs_close(xs);
    return found ? 0 : EXIT_USAGE;
}

static char *backend_dir(unsigned fe, unsigned devid)
{
    return g_strdup_printf("/local/domain/%d/backend/xen_9pfs/%u/%u", opt_backend, fe, devid);
}

static char *frontend_dir(unsigned fe, unsigned devid)
{
    return g_strdup_printf("/local/domain/%u/device/9pfs/%u", fe, devid);
}

/* Waits until `path` reads one of the wanted states; returns the state or -1. */
static int wait_state(struct xs_handle *xs, const char *path, const int *wanted, int n)
{
    const char *token = "xen9p-wait";
    xs_watch(xs, path, token);
    gint64 deadline = g_get_monotonic_time() + (gint64)opt_timeout * G_USEC_PER_SEC;
    int found = -1;
    for (;;) {
        unsigned long v;
        if (xstore_read_uint(xs, path, XenbusStateReconfigured, &v)) {
            for (int i = 0; i < n; i++) {
                if ((int)v == wanted[i])
                    found = v;
            }
        }
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (found >= 0 || left <= 0)
            break;
        struct pollfd p = { .fd = xs_fileno(xs), .events = POLLIN };
        if (poll(&p, 1, left) > 0) {
            char **ev;
            while ((ev = xs_check_watch(xs)))
                free(ev);
        }
    }
    xs_unwatch(xs, path, token);
    return found;
}

/* ---- attach ---- */

struct attach_spec {
    char *tag, *path, *model;
    char *backend;              /* xl's backend=DOMAIN: must be where xen9pd runs */
    char *max_files, *max_open_files, *max_space, *auto_delete;
    /* docs/security.md "What a guest may do to the export" */
    char *allow_acl, *allow_setid, *allow_devices;
};

static bool is_number(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
    }
    return true;
}

/*
 * The xl p9= syntax: KEY=VALUE pairs separated by commas.  Returns 0, or
 * the exit status: EXIT_USAGE when it is not that syntax, 1 when a value
 * makes a device xen9pd would refuse (the daemon checks them again).
 */
static int parse_spec(const char *text, struct attach_spec *spec)
{
    char **items = g_strsplit(text, ",", -1);
    bool ok = true;
    int rc = 0;
    const char *problem;
    for (char **it = items; ok && *it; it++) {
        char *eq = strchr(*it, '=');
        if (!eq) {
            g_printerr("xen9p: \"%s\" is not KEY=VALUE\n", g_strstrip(*it));
            ok = false;
            rc = EXIT_USAGE;
            break;
        }
        *eq = '\0';
        /* xl allows blanks around keys and values: "tag = share, path = /srv" */
        const char *key = g_strstrip(*it), *value = g_strstrip(eq + 1);
        char **slot = NULL;
        bool numeric = false, flag = false;
        if (strcmp(key, "tag") == 0) slot = &spec->tag;
        else if (strcmp(key, "path") == 0) slot = &spec->path;
        else if (strcmp(key, "security_model") == 0) slot = &spec->model;
        else if (strcmp(key, "max-files") == 0) { slot = &spec->max_files; numeric = true; }
        else if (strcmp(key, "max-open-files") == 0) { slot = &spec->max_open_files; numeric = true; }
        else if (strcmp(key, "max-space") == 0) { slot = &spec->max_space; numeric = true; }
        else if (strcmp(key, "auto-delete") == 0) { slot = &spec->auto_delete; flag = true; }
        else if (strcmp(key, "allow-acl") == 0) { slot = &spec->allow_acl; flag = true; }
        else if (strcmp(key, "allow-setid") == 0) { slot = &spec->allow_setid; flag = true; }
        else if (strcmp(key, "allow-devices") == 0) { slot = &spec->allow_devices; flag = true; }
        else if (strcmp(key, "backend") == 0) slot = &spec->backend;
        else if (strcmp(key, "type") == 0) {
            /* xl's other type is QEMU's backend, which is not us */
            if (strcmp(value, "xen_9pfsd") == 0)
                continue;
            g_printerr("xen9p: type \"%s\": xen9pd serves type=xen_9pfsd devices\n", value);
            ok = false;
            rc = EXIT_USAGE;
            break;
        }
        if (!slot) {
            g_printerr("xen9p: unknown key \"%s\" (tag, path, security_model, type, backend, "
                       "max-files, max-open-files, max-space, auto-delete, allow-acl, "
                       "allow-setid, allow-devices)\n", key);
            ok = false;
            rc = EXIT_USAGE;
        } else if (numeric && !is_number(value)) {
            g_printerr("xen9p: %s must be a number, not \"%s\"\n", key, value);
            ok = false;
        } else if (flag && strcmp(value, "0") && strcmp(value, "1")) {
            g_printerr("xen9p: %s must be 0 or 1, not \"%s\"\n", key, value);
            ok = false;
        } else {
            g_free(*slot);
            *slot = g_strdup(value);
        }
    }
    g_strfreev(items);
    if (!ok)
        return rc ? rc : 1;
    if (!spec->tag || !*spec->tag) {
        g_printerr("xen9p: no tag: tag=NAME is required\n");
        ok = false;
    } else if (!spec->path || !*spec->path) {
        g_printerr("xen9p: no path: path=/ABSOLUTE/DIR is required\n");
        ok = false;
    } else if ((problem = export_path_problem(spec->path))) {
        g_printerr("xen9p: path \"%s\" %s\n", spec->path, problem);
        ok = false;
    }
    if (ok && strlen(spec->tag) > 31) {
        g_printerr("xen9p: tag \"%s\" is longer than 31 characters\n", spec->tag);
        ok = false;
    }
    enum fsdrv_model model;
    if (ok && spec->model && !export_model_parse(spec->model, &model)) {
        g_printerr("xen9p: security_model must be one of " EXPORT_MODEL_NAMES "\n");
        ok = false;
    }
    return ok ? 0 : 1;
}

/* The device id for a new device, or -1 if the tag is already used. */
static long free_devid(struct xs_handle *xs, unsigned fe, const char *tag)
{
    char *dir = g_strdup_printf("/local/domain/%u/device/9pfs", fe);
    char *bedir = g_strdup_printf("/local/domain/%d/backend/xen_9pfs/%u", opt_backend, fe);
    char **devs = xstore_directory(xs, dir);
    bool clash = false;
    for (char **d = devs; d && *d; d++) {
        char *tagpath = g_strdup_printf("%s/%s/tag", dir, *d);
        char *other = xstore_read(xs, tagpath);
        clash |= other && strcmp(other, tag) == 0;
        g_free(other);
        g_free(tagpath);
    }
    /* A backend directory left behind may hold a number too. */
    long devid = xstore_next_index(xs, dir, bedir);
    g_strfreev(devs);
    g_free(bedir);
    g_free(dir);
    return clash ? -1 : devid;
}

/* One xenstore node of a new device: its path, value and owner (the other side reads). */
struct device_node {
    char *dir;                  /* NULL: `key` is the directory itself, made afresh */
    const char *key;
    const char *value;
    unsigned owner, reader;
};

/* Every node of a device, in libxl's order and with its permissions. */
static GArray *device_nodes(unsigned fe, unsigned be, unsigned devid, const struct attach_spec *spec,
                            char **fedir, char **bedir, char *feid, char *beid)
{
    *fedir = frontend_dir(fe, devid);
    *bedir = backend_dir(fe, devid);
    const struct { const char *key, *value; } fe_nodes[] = {
        { "backend", *bedir }, { "backend-id", beid }, { "state", "1" }, { "tag", spec->tag },
    }, be_nodes[] = {
        { "frontend", *fedir }, { "frontend-id", feid }, { "online", "1" }, { "state", "1" },
        { "path", spec->path },
        { "tag", spec->tag },   /* our copy, which the guest cannot rewrite */
        { "security_model", spec->model ? spec->model : "none" },
        { "max-files", spec->max_files ? spec->max_files : "0" },
        { "max-open-files", spec->max_open_files ? spec->max_open_files : "0" },
        { "max-space", spec->max_space ? spec->max_space : "0" },
        { "auto-delete", spec->auto_delete ? spec->auto_delete : "0" },
        { "allow-acl", spec->allow_acl ? spec->allow_acl : "0" },
        { "allow-setid", spec->allow_setid ? spec->allow_setid : "0" },
        { "allow-devices", spec->allow_devices ? spec->allow_devices : "0" },
        /* no toolstack will remove these nodes: xen9pd does when the domain dies */
        { "xen9p-attached", "1" },
    };
    GArray *nodes = g_array_new(FALSE, FALSE, sizeof(struct device_node));
    struct device_node n = { NULL, *fedir, NULL, fe, be };
    g_array_append_val(nodes, n);
    for (size_t i = 0; i < G_N_ELEMENTS(fe_nodes); i++) {
        n = (struct device_node){ *fedir, fe_nodes[i].key, fe_nodes[i].value, fe, be };
        g_array_append_val(nodes, n);
    }
    n = (struct device_node){ NULL, *bedir, NULL, be, fe };
    g_array_append_val(nodes, n);
    for (size_t i = 0; i < G_N_ELEMENTS(be_nodes); i++) {
        n = (struct device_node){ *bedir, be_nodes[i].key, be_nodes[i].value, be, fe };
        g_array_append_val(nodes, n);
    }
    return nodes;
}

static bool write_device_body(struct xs_handle *xs, xs_transaction_t t, void *ctx)
{
    GArray *nodes = ctx;
    for (guint i = 0; i < nodes->len; i++) {
        const struct device_node *n = &g_array_index(nodes, struct device_node, i);
        /* a fresh directory: whatever an earlier device left there goes */
        if (!n->dir && (xs_rm(xs, t, n->key), !xstore_mkdir_owned(xs, t, n->key, n->owner,
                                                                  n->reader)))
            return false;
        if (n->dir && !xstore_write_child(xs, t, n->dir, n->key, n->value, n->owner, n->reader))
            return false;
    }
    return true;
}

/* Writes the device's nodes (or, with --dry-run, prints them as `path = value`). */
static bool write_device(struct xs_handle *xs, unsigned fe, unsigned devid,
                         const struct attach_spec *spec)
{
    char *fedir, *bedir, feid[16], beid[16];
    snprintf(feid, sizeof(feid), "%u", fe);
    snprintf(beid, sizeof(beid), "%d", opt_backend);
    GArray *nodes = device_nodes(fe, (unsigned)opt_backend, devid, spec, &fedir, &bedir, feid, beid);
    bool ok = true;
    if (opt_dry_run) {
        for (guint i = 0; i < nodes->len; i++) {
            const struct device_node *n = &g_array_index(nodes, struct device_node, i);
            if (n->dir)
                printf("%s/%s = \"%s\"\n", n->dir, n->key, n->value);
            else
                printf("%s  (owner %u, read by %u)\n", n->key, n->owner, n->reader);
        }
    } else if (!(ok = xstore_transact(xs, write_device_body, nodes))) {
        g_printerr("xen9p: cannot write the device's xenstore nodes: %s\n", g_strerror(errno));
    }
    g_array_free(nodes, TRUE);
    g_free(fedir);
    g_free(bedir);
    return ok;
}

static bool daemon_claims(struct xs_handle *xs)
{
    char *claim = g_strdup_printf("/local/domain/%d/libxl/xen-9pfs/state", opt_backend);
    char *v = xstore_read(xs, claim);
    g_free(claim);
    g_free(v);
    return v != NULL;
}

struct remove_job {
    const char *fedir, *bedir;
};

static bool remove_body(struct xs_handle *xs, xs_transaction_t t, void *ctx)
{
    const struct remove_job *j = ctx;
    xstore_rm_tidy(xs, t, j->fedir);
    xstore_rm_tidy(xs, t, j->bedir);
    return true;
}

static void remove_device(struct xs_handle *xs, unsigned fe, unsigned devid)
{
    char *fedir = frontend_dir(fe, devid), *bedir = backend_dir(fe, devid);
    struct remove_job j = { fedir, bedir };
    xstore_transact(xs, remove_body, &j);
    g_free(fedir);
    g_free(bedir);
}


static int cmd_attach(int argc, char **argv)
{
    unsigned fe, be;
    struct attach_spec spec = { 0 };
    if (argc != 3) {
        g_printerr("usage: xen9p attach DOMAIN tag=T,path=P[,security_model=M][,max-files=N]"
                   "[,max-open-files=N][,max-space=MiB][,auto-delete=0|1]"
                   "[,allow-acl=0|1][,allow-setid=0|1][,allow-devices=0|1]\n");
        return EXIT_USAGE;
    }
    int bad = parse_spec(argv[2], &spec);
    if (bad)
        return bad;
    struct xs_handle *xs = open_store();
    if (!xs)
        return 1;
    int rc = 1;
    long devid;
    if (!resolve_domain(xs, argv[1], &fe) ||
        (spec.backend && !resolve_domain(xs, spec.backend, &be))) {
        rc = EXIT_USAGE;
    } else if (spec.backend && be != (unsigned)opt_backend) {
        rc = fail("backend=%s is domain %u; xen9pd serves from domain %d (--backend-domain)",
                  spec.backend, be, opt_backend);
    } else if (!xs_is_domain_introduced(xs, fe)) {
        rc = fail("domain %u does not exist", fe);
    } else if (!daemon_claims(xs)) {
        rc = fail("xen9pd is not running in domain %d (no libxl/xen-9pfs/state)", opt_backend);
    } else if ((devid = free_devid(xs, fe, spec.tag)) < 0) {
        rc = fail("domain %u already has a 9pfs device with tag \"%s\"", fe, spec.tag);
    } else if (opt_dry_run) {
        rc = write_device(xs, fe, devid, &spec) ? 0 : 1;
    } else if (write_device(xs, fe, devid, &spec)) {
        char *bedir = backend_dir(fe, devid);
        char *be_state = g_strdup_printf("%s/state", bedir);
        static const int ready[] = { XenbusStateInitWait, XenbusStateConnected, XenbusStateClosed };
        int st = wait_state(xs, be_state, ready, 3);
        char *errpath = g_strdup_printf("%s/error", bedir);
        char *why = xstore_read(xs, errpath);
        g_free(bedir);
        if (st == XenbusStateInitWait || st == XenbusStateConnected) {
            printf("%ld\n", devid);
            rc = 0;
        } else if (st == XenbusStateClosed) {
            rc = fail("xen9pd refused device %u/%ld: %s", fe, devid, why ? why : "(no reason given)");
            remove_device(xs, fe, devid);
        } else {
            rc = fail("device %u/%ld did not reach InitWait within %d s (is xen9pd serving?)",
                      fe, devid, opt_timeout);
            remove_device(xs, fe, devid);
        }
        g_free(why);
        g_free(errpath);
        g_free(be_state);
    }
    xs_close(xs);
    return rc;
}

/* ---- detach ---- */

/*
 * A device by id or tag.  The tag is the toolstack's copy in the backend
 * directory where there is one (`xen9p attach` writes it); devices libxl made
 * have only the frontend's, which their guest may rewrite.
 */
static long find_device(struct xs_handle *xs, unsigned fe, const char *which)
{
    if (is_number(which))
        return strtol(which, NULL, 10);
    char *dir = g_strdup_printf("/local/domain/%d/backend/xen_9pfs/%u", opt_backend, fe);
    char **devs = xstore_directory(xs, dir);
    long found = -1;
    for (char **d = devs; d && *d && found < 0; d++) {
        char *be_tag = g_strdup_printf("%s/%s/tag", dir, *d);
        char *fe_tag = g_strdup_printf("/local/domain/%u/device/9pfs/%s/tag", fe, *d);
        char *tag = xstore_read(xs, be_tag);
        if (!tag)
            tag = xstore_read(xs, fe_tag);
        if (tag && strcmp(tag, which) == 0)
            found = strtol(*d, NULL, 10);
        g_free(tag);
        g_free(be_tag);
        g_free(fe_tag);
    }
    g_strfreev(devs);
    g_free(dir);
    return found;
}

static int cmd_detach(int argc, char **argv)
{
    unsigned fe;
    if (argc != 3) {
        g_printerr("usage: xen9p detach DOMAIN DEVID|TAG\n");
        return EXIT_USAGE;
    }
    struct xs_handle *xs = open_store();
    if (!xs)
        return 1;
    if (!resolve_domain(xs, argv[1], &fe)) {
        xs_close(xs);
        return EXIT_USAGE;
    }
    long devid = find_device(xs, fe, argv[2]);
    char *bedir = devid >= 0 ? backend_dir(fe, devid) : NULL;
    char *probe = bedir ? xstore_read(xs, bedir) : NULL;
    if (!probe) {
        g_free(bedir);
        xs_close(xs);
        return fail("domain %u has no xen9p device \"%s\"", fe, argv[2]);
    }
    g_free(probe);
    /* As libxl removes a device: online=0 and Closing, wait for Closed, remove. */
    char *state = g_strdup_printf("%s/state", bedir);
    xstore_close_device(xs, bedir);
    static const int closed[] = { XenbusStateClosed };
    int rc = 0;
    if (wait_state(xs, state, closed, 1) < 0)
        g_printerr("xen9p: warning: device %u/%ld did not close within %d s; removing it anyway\n",
                   fe, devid, opt_timeout);
    remove_device(xs, fe, devid);
    g_free(state);
    g_free(bedir);
    xs_close(xs);
    return rc;
}

/* ---- list ---- */

static char *ask_daemon(const char *command)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *path = opt_control ? opt_control : XEN9P_CONTROL_DEFAULT;
    if (strlen(path) >= sizeof(sa.sun_path))
        return NULL;
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    GString *out = g_string_new(NULL);
    if (send(fd, command, strlen(command), MSG_NOSIGNAL) > 0) {
        char buf[4096];
        ssize_t n;
        while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
            g_string_append_len(out, buf, n);
    }
    close(fd);
    return g_string_free(out, FALSE);
}

/* The daemon's answer to the command `fmt` makes, one field vector per line
 * (free_answer); NULL if it cannot be reached. */
static char ***ask_daemon_fields(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static char ***ask_daemon_fields(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *command = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *answer = ask_daemon(command);
    g_free(command);
    if (!answer)
        return NULL;
    char **lines = g_strsplit(answer, "\n", -1);
    guint n = g_strv_length(lines);
    char ***fields = g_new0(char **, n + 1);
    for (guint i = 0; i < n; i++)
        fields[i] = g_strsplit(lines[i], "\t", -1);
    g_strfreev(lines);
    g_free(answer);
    return fields;
}

static void free_answer(char ***fields)
{
    for (char ***f = fields; *f; f++)
        g_strfreev(*f);
    g_free(fields);
}

/* The exit of a command whose ask_daemon() failed. */
static int unreachable(void)
{
    return fail("cannot reach xen9pd at %s: %s (is it running?)",
                opt_control ? opt_control : XEN9P_CONTROL_DEFAULT, g_strerror(errno));
}

static void print_size(uint64_t bytes)
{
    char *s = g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
    printf("%-10s ", s);
    g_free(s);
}

/* Capability names (capabilities(7)), by number. */
static const char *const cap_names[] = {
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
    "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin",
    "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace",
    "sys_pacct", "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
    "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
    "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read",
    "perfmon", "bpf", "checkpoint_restore",
};

/* "dac_override,fowner", "none", or the raw mask for bits we have no name for. */
static char *caps_text(const char *hex)
{
    uint64_t mask = g_ascii_strtoull(hex, NULL, 16);
    if (mask == 0)
        return g_strdup("none");
    GString *t = g_string_new(NULL);
    for (unsigned i = 0; i < 64; i++) {
        if (!(mask & 1ull << i))
            continue;
        if (t->len)
            g_string_append_c(t, ',');
        if (i < G_N_ELEMENTS(cap_names))
            g_string_append(t, cap_names[i]);
        else
            g_string_append_printf(t, "cap_%u", i);
    }
    return g_string_free(t, FALSE);
}

static const char *seccomp_text(const char *mode)
{
    return strcmp(mode, "2") == 0 ? "filter" : strcmp(mode, "1") == 0 ? "strict"
                                  : strcmp(mode, "0") == 0 ? "off" : mode;
}

/* --verbose: each device's worker, as /proc shows it (docs/security.md). */
static void print_worker(char **f)
{
    if (strcmp(f[12], "-") == 0) {
        printf("      worker: none  crashes: %s\n", f[13]);
        return;
    }
    char *caps = caps_text(f[15]);
    printf("      worker: pid %s  uid %s  capabilities %s  seccomp %s  no_new_privs %s  "
           "crashes %s\n", f[12], f[14], caps, seccomp_text(f[16]), f[17], f[13]);
    g_free(caps);
}

/* `s` as a JSON string. */
static void json_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_printf(out, "\\%c", *c);
        else if (*c < 0x20)
            g_string_append_printf(out, "\\u%04x", *c);
        else
            g_string_append_c(out, (char)*c);
    }
    g_string_append_c(out, '"');
}

/* A number field as JSON: the digits, or null when the daemon gave none. */
static void json_number(GString *out, const char *s)
{
    g_string_append(out, is_number(s) ? s : "null");
}

/* One device row of the daemon's answer (see print_worker for its worker fields). */
static void json_device(GString *out, char **f, guint n)
{
    /* the row's fields 1 to 11, in order */
    static const struct { const char *key; bool text; } fields[] = {
        { "domain", false }, { "devid", false }, { "tag", true }, { "state", true },
        { "rings", false }, { "in_flight", false }, { "requests", false },
        { "bytes_in", false }, { "bytes_out", false }, { "path", true }, { "error", true },
    };
    g_string_append_c(out, '{');
    for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
        g_string_append_printf(out, "%s\"%s\": ", i ? ", " : "", fields[i].key);
        if (fields[i].text)
            json_string(out, f[i + 1]);
        else
            json_number(out, f[i + 1]);
    }
    if (n >= 18 && strcmp(f[12], "-") != 0) {
        g_string_append(out, ", \"worker\": {\"pid\": ");
        json_number(out, f[12]);
        g_string_append(out, ", \"uid\": ");
        json_number(out, f[14]);
        char *caps = caps_text(f[15]);
        g_string_append(out, ", \"capabilities\": ");
        json_string(out, caps);
        g_free(caps);
        g_string_append(out, ", \"seccomp\": ");
        json_string(out, seccomp_text(f[16]));
        g_string_append(out, ", \"no_new_privs\": ");
        json_number(out, f[17]);
        g_string_append(out, "}");
    }
    if (n >= 14) {
        g_string_append(out, ", \"crashes\": ");
        json_number(out, f[13]);
    }
    g_string_append_c(out, '}');
}

/* The daemon's "daemon\tKEY=VALUE..." row as a JSON object. */
static void json_daemon(GString *out, char **f)
{
    g_string_append(out, "{");
    for (char **kv = f + 1; *kv; kv++) {
        char *eq = strchr(*kv, '=');
        if (!eq)
            continue;
        char *key = g_strndup(*kv, (gsize)(eq - *kv));
        g_string_append(out, kv == f + 1 ? "" : ", ");
        json_string(out, key);
        g_string_append(out, ": ");
        if (is_number(eq + 1))
            g_string_append(out, eq + 1);
        else
            json_string(out, eq + 1);
        g_free(key);
    }
    g_string_append(out, "}");
}

static int cmd_list(int argc, char **argv)
{
    if (argc > 2) {
        g_printerr("usage: xen9p list [DOMAIN] [--verbose] [--json]\n");
        return EXIT_USAGE;
    }
    /* one domain's devices only, by id or name */
    long only = -1;
    unsigned dom;
    int rc = argc == 2 ? domain_argument(argv[1], &dom) : 0;
    if (rc)
        return rc;
    if (argc == 2)
        only = dom;
    char *answer = ask_daemon("list\n");
    if (!answer)
        return unreachable();
    /* --json: {"devices": [...], "daemon": {...}} */
    GString *json = opt_json ? g_string_new(NULL) : NULL, *json_totals = NULL;
    if (!json)
        printf("%-5s %-4s %-16s %-10s %-5s %-8s %-10s %-10s %-10s %s\n", "DOM", "DEV", "TAG",
               "STATE", "RINGS", "INFLIGHT", "REQUESTS", "IN", "OUT", "PATH");
    char **lines = g_strsplit(answer, "\n", -1);
    for (char **line = lines; *line; line++) {
        char **f = g_strsplit(*line, "\t", -1);
        guint n = g_strv_length(f);
        if (n >= 12 && strcmp(f[0], "device") == 0 && only >= 0 &&
            g_ascii_strtoll(f[1], NULL, 10) != only) {
            /* another domain's */
        } else if (json && n >= 12 && strcmp(f[0], "device") == 0) {
            g_string_append(json, json->len ? ",\n  " : "\n  ");
            json_device(json, f, n);
        } else if (json && n >= 1 && strcmp(f[0], "daemon") == 0) {
            if (!json_totals)
                json_totals = g_string_new(NULL);
            json_daemon(json_totals, f);
        } else if (n >= 12 && strcmp(f[0], "device") == 0) {
            printf("%-5s %-4s %-16s %-10s %-5s %-8s %-10s ", f[1], f[2], f[3], f[4], f[5], f[6], f[7]);
            print_size(g_ascii_strtoull(f[8], NULL, 10));
            print_size(g_ascii_strtoull(f[9], NULL, 10));
            printf("%s%s%s\n", f[10], *f[11] ? "  error: " : "", f[11]);
            if (opt_verbose && n >= 18)
                print_worker(f);
        } else if (!json && n == 3 && strcmp(f[0], "connection") == 0) {
            /* a --listen daemon's connections */
            printf("connection %s worker %s\n", f[1], f[2]);
        } else if (n >= 1 && strcmp(f[0], "daemon") == 0) {
            char *rest = g_strjoinv(" ", f + 1);
            printf("daemon: %s\n", rest);
            g_free(rest);
        } else if (n >= 2 && strcmp(f[0], "error") == 0) {
            rc = fail("%s", f[1]);
        }
        g_strfreev(f);
    }
    if (json) {
        if (rc == 0)
            printf("{\"devices\": [%s\n],\n\"daemon\": %s}\n", json->str,
                   json_totals ? json_totals->str : "null");
        g_string_free(json, TRUE);
        if (json_totals)
            g_string_free(json_totals, TRUE);
    }
    g_strfreev(lines);
    g_free(answer);
    return rc;
}

/* xen9p rings: the daemon's ring diagnostics, as it prints them */
static int cmd_rings(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        g_printerr("usage: xen9p rings\n");
        return EXIT_USAGE;
    }
    char *answer = ask_daemon("rings\n");
    if (!answer)
        return unreachable();
    fputs(answer, stdout);
    g_free(answer);
    return 0;
}

/* xen9p trace DOMAIN|all [DEVID|TAG] on|off */
static int cmd_trace(int argc, char **argv)
{
    if ((argc != 3 && argc != 4) ||
        (strcmp(argv[argc - 1], "on") != 0 && strcmp(argv[argc - 1], "off") != 0)) {
        g_printerr("usage: xen9p trace DOMAIN|all [DEVID|TAG] on|off\n");
        return EXIT_USAGE;
    }
    char domain[16] = "*";
    unsigned dom;
    if (strcmp(argv[1], "all") != 0) {
        int rc = domain_argument(argv[1], &dom);
        if (rc)
            return rc;
        snprintf(domain, sizeof(domain), "%u", dom);
    }
    const char *device = argc == 4 ? argv[2] : "*";
    if (strchr(device, '\t') || strchr(device, '\n'))
        return fail("no device \"%s\"", device);
    char ***answer = ask_daemon_fields("trace\t%s\t%s\t%s\n", domain, device, argv[argc - 1]);
    if (!answer)
        return unreachable();
    /* "trace DOMID DEVID on|off now|next" per device, or "error WHY" */
    int rc = 0;
    for (char ***l = answer; *l; l++) {
        char **f = *l;
        if (g_strv_length(f) == 5 && strcmp(f[0], "trace") == 0)
            printf("%s/%s: tracing %s%s\n", f[1], f[2], f[3],
                   strcmp(f[4], "now") == 0 ? "" : " (from its next connection)");
        else if (g_strv_length(f) == 2 && strcmp(f[0], "error") == 0)
            rc = fail("trace %s%s%s: %s", argv[1], argc == 4 ? " " : "", argc == 4 ? argv[2] : "",
                      f[1]);
    }
    free_answer(answer);
    return rc;
}

static int cmd_upgrade(int argc, char **argv)
{
    if (argc > 3) {
        g_printerr("usage: xen9p upgrade [DOMAIN|all [DEVID|TAG]]  (--listen: [CONNECTION])\n");
        return EXIT_USAGE;
    }
    /* A --listen daemon names its connections "connN": those go as they are. */
    char domain[64] = "*";
    const char *device = argc == 3 ? argv[2] : "*";
    if (argc >= 2 && strcmp(argv[1], "all") != 0) {
        unsigned dom;
        if (g_str_has_prefix(argv[1], "conn")) {
            g_strlcpy(domain, argv[1], sizeof(domain));
        } else {
            int rc = domain_argument(argv[1], &dom);
            if (rc)
                return rc;
            snprintf(domain, sizeof(domain), "%u", dom);
        }
    }
    if (strpbrk(domain, "\t\n") || strpbrk(device, "\t\n"))
        return fail("no device \"%s\"", device);
    char ***answer = ask_daemon_fields("upgrade\t%s\t%s\n", domain, device);
    if (!answer)
        return unreachable();
    /* "upgraded LABEL OLD NEW MS" or "failed LABEL WHY" per worker, or "error WHY" */
    int rc = 0;
    for (char ***l = answer; *l; l++) {
        char **f = *l;
        guint n = g_strv_length(f);
        if (n == 5 && strcmp(f[0], "upgraded") == 0)
            printf("%s: upgraded, worker %s took over from %s in %s ms\n", f[1], f[3], f[2], f[4]);
        else if (n == 3 && strcmp(f[0], "failed") == 0)
            rc = fail("%s: upgrade failed, its worker serves on: %s", f[1], f[2]);
        else if (n == 2 && strcmp(f[0], "error") == 0)
            rc = fail("upgrade: %s", f[1]);
    }
    free_answer(answer);
    return rc;
}

static int cmd_reload(int argc, char **argv)
{
    (void)argv;
    if (argc != 1) {
        g_printerr("usage: xen9p reload\n");
        return EXIT_USAGE;
    }
    char ***answer = ask_daemon_fields("%s", "reload\n");
    if (!answer)
        return unreachable();
    /* "reloaded PATH SETTINGS", then "warning TEXT" lines; or "error WHY" */
    int rc = 1;
    for (char ***l = answer; *l; l++) {
        char **f = *l;
        guint n = g_strv_length(f);
        if (n == 3 && strcmp(f[0], "reloaded") == 0) {
            printf("xen9pd reloaded %s: %s\n", f[1], f[2]);
            rc = 0;
        } else if (n == 2 && strcmp(f[0], "warning") == 0) {
            g_printerr("xen9p: warning: %s\n", f[1]);
        } else if (n == 2 && strcmp(f[0], "error") == 0) {
            fail("reload refused: %s", f[1]);
        }
    }
    free_answer(answer);
    return rc;
}

int main(int argc, char **argv)
{
    /* the administrator's locale: GLib prints UTF-8 messages and --help in it */
    setlocale(LC_ALL, "");
    GError *error = NULL;
    GOptionContext *ctx = g_option_context_new("attach|detach|list|rings|trace|reload ...");
    g_option_context_set_summary(ctx,
        "Administration of xen9pd's 9pfs devices.\n\n"
        "  attach DOMAIN tag=T,path=P[,security_model=M][,max-files=N]\n"
        "         [,max-open-files=N][,max-space=MiB][,auto-delete=0|1]\n"
        "         [,allow-acl=0|1][,allow-setid=0|1][,allow-devices=0|1]\n"
        "         [,type=xen_9pfsd][,backend=DOMAIN]\n"
        "                           hot-attach a share to a running guest (an xl p9 line;\n"
        "                           DOMAIN: id or name); prints its id (--dry-run: the\n"
        "                           xenstore nodes it would write)\n"
        "  detach DOMAIN DEVID|TAG  remove a device\n"
        "  list [DOMAIN]            every device xen9pd serves (--verbose: their workers;\n"
        "                           --json: as one JSON object)\n"
        "  rings                    each device's rings: indices, pending bytes, headers\n"
        "  trace DOMAIN|all [DEVID|TAG] on|off\n"
        "                           log every 9P message of these devices (v9fs_* events)\n"
        "  reload                   xen9pd reads its configuration file again; shares\n"
        "                           keep serving\n"
        "  upgrade [DOMAIN|all [DEVID|TAG]]\n"
        "                           replace these devices' workers (all: every one) by the\n"
        "                           xen9pd installed now; guests keep their mounts, open\n"
        "                           files and fids (--listen daemon: upgrade [CONNECTION])");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("xen9p: %s\n", error->message);
        return EXIT_USAGE;
    }
    g_option_context_free(ctx);
    if (argc < 2) {
        g_printerr("usage: xen9p attach|detach|list|rings|trace|reload|upgrade ... "
                   "(xen9p --help)\n");
        return EXIT_USAGE;
    }
    if (opt_timeout <= 0)
        opt_timeout = 1;
    if (strcmp(argv[1], "attach") == 0)
        return cmd_attach(argc - 1, argv + 1);
    if (strcmp(argv[1], "detach") == 0)
        return cmd_detach(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return cmd_list(argc - 1, argv + 1);
    if (strcmp(argv[1], "rings") == 0)
        return cmd_rings(argc - 1, argv + 1);
    if (strcmp(argv[1], "trace") == 0)
        return cmd_trace(argc - 1, argv + 1);
    if (strcmp(argv[1], "reload") == 0)
        return cmd_reload(argc - 1, argv + 1);
    if (strcmp(argv[1], "upgrade") == 0)
        return cmd_upgrade(argc - 1, argv + 1);
    g_printerr("xen9p: unknown command \"%s\" (attach, detach, list, rings, trace, reload, "
               "upgrade)\n",
               argv[1]);
    return EXIT_USAGE;
}
