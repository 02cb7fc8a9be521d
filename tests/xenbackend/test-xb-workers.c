// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Each device's worker, checked from outside as an administrator would
 * (docs/security.md "Checking a running system"): its own process, a child
 * of xen9pd; /proc/PID/status NoNewPrivs 1, Seccomp 2, CapEff the security
 * model's capabilities, Uid 0; its own mount, pid, net, ipc and uts
 * namespaces; a root holding only the export and its /proc; its limits
 * (open files, memory, no core); no xenstore connection; `xen9p list
 * --verbose` saying the same.  With --no-sandbox the same checks see an
 * unconfined process (the checks can fail).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backend/worker/sandbox.h"
#include "tests/xenbackend/xb-env.h"

#define T XB_TIMEOUT_MS

typedef struct {
    XbEnv *env;
} Fixture;

/* The owner a mapped model's export is given: its worker runs as it. */
#define MAPPED_OWNER 4321u

static void setup(Fixture *f, gconstpointer data)
{
    f->env = xb_env_new();
    xb_create_domain(f->env, 1);
    xb_create_domain(f->env, 2);
}

static void teardown(Fixture *f, gconstpointer data)
{
    xb_env_free(f->env);
}

/* A line of /proc/PID/FILE that starts with `key`, the rest trimmed (g_free). */
static char *proc_field(int pid, const char *file, const char *key)
{
    char *path = g_strdup_printf("/proc/%d/%s", pid, file), *text = NULL, *value = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l && !value; l++) {
        if (g_str_has_prefix(*l, key))
            value = g_strstrip(g_strdup(*l + strlen(key)));
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    g_assert_nonnull(value);
    return value;
}

static char *ns_of(int pid, const char *ns)
{
    char *path = g_strdup_printf("/proc/%d/ns/%s", pid, ns);
    char *target = g_file_read_link(path, NULL);
    g_assert_nonnull(target);
    g_free(path);
    return target;
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of the worker's root directory, sorted, space-separated. */
static char *root_entries(int pid)
{
    char *path = g_strdup_printf("/proc/%d/root", pid);
    GDir *d = g_dir_open(path, 0, NULL);
    g_assert_nonnull(d);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, by_name);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(out, "%s%s", i ? " " : "", (char *)names->pdata[i]);
    g_ptr_array_free(names, TRUE);
    g_free(path);
    return g_string_free(out, FALSE);
}

/*
 * Whether a descriptor of the process is connected to xenstored: `ss -xpn`
 * lists xenstored's accepted sockets (their local name is its socket path)
 * with the inode of the client end, which /proc/PID/fd shows as
 * socket:[inode].  The server ends are in xenstored's network namespace,
 * so a client in another one is found as well.
 */
static bool talks_to_xenstore(int pid)
{
    char *out = NULL;
    int status;
    g_assert_true(g_spawn_command_line_sync("ss -xpn", &out, NULL, &status, NULL));
    g_assert_cmpint(status, ==, 0);
    GHashTable *clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        char **w = g_strsplit_set(*l, " \t", -1);
        GPtrArray *f = g_ptr_array_new();
        for (char **x = w; *x; x++)
            if (**x)
                g_ptr_array_add(f, *x);
        /* Netid State Recv-Q Send-Q Local Port Peer Port [Process] */
        if (f->len >= 8 && strstr(f->pdata[4], "xenstore"))
            g_hash_table_add(clients, g_strdup_printf("socket:[%s]", (char *)f->pdata[7]));
        g_ptr_array_free(f, TRUE);
        g_strfreev(w);
    }
    g_strfreev(lines);
    g_free(out);
    g_assert_cmpuint(g_hash_table_size(clients), >, 0);     /* at least xen9pd's */
    char *dir = g_strdup_printf("/proc/%d/fd", pid);
    GDir *d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    bool found = false;
    const char *n;
    while ((n = g_dir_read_name(d)) && !found) {
        char *link = g_strdup_printf("%s/%s", dir, n);
        char *target = g_file_read_link(link, NULL);
        found = target && g_hash_table_contains(clients, target);
        g_free(target);
        g_free(link);
    }
    g_dir_close(d);
    g_free(dir);
    g_hash_table_destroy(clients);
    return found;
}

/* Attaches a share for domain 1 under `model`, connects a guest; its worker's pid. */
static int connected_worker(Fixture *f, const char *model, XbAgent **guest, unsigned *devid)
{
    char *dir = xb_mkdir(f->env, model);
    if (g_str_has_prefix(model, "mapped"))    /* served by its owner, who must not be root */
        g_assert_cmpint(chown(dir, MAPPED_OWNER, MAPPED_OWNER), ==, 0);
    char *spec = g_strdup_printf("tag=%s,path=%s,security_model=%s,max-open-files=40", model,
                                 dir, model);
    *devid = xb_attach(f->env, 1, spec);
    *guest = xb_agent_start(f->env, 1);
    xb_agent_mount(*guest, *devid, false);
    g_free(xb_agent_ok(*guest, T, "write seen-inside 1000 1 1"));
    XbList *l = xb_list(f->env);
    const XbDevice *d = xb_list_find(l, 1, *devid);
    g_assert_nonnull(d);
    int pid = d->worker_pid;
    g_assert_cmpint(pid, >, 0);
    g_assert_cmpint(pid, !=, xb_daemon_pid(f->env));
    g_free(spec);
    g_free(dir);
    xb_list_free(l);
    return pid;
}

static void assert_confined(Fixture *f, enum fsdrv_model model, const char *model_name)
{
    const struct fsdrv_config cfg = { .model = model };     /* no opt-ins */
    xb_daemon_start(f->env, false);
    XbAgent *g;
    unsigned devid;
    int pid = connected_worker(f, model_name, &g, &devid);
    GPid daemon = xb_daemon_pid(f->env);

    char *v = proc_field(pid, "status", "NoNewPrivs:");
    g_assert_cmpstr(v, ==, "1");
    g_free(v);
    v = proc_field(pid, "status", "Seccomp:");
    g_assert_cmpstr(v, ==, "2");
    g_free(v);
    v = proc_field(pid, "status", "CapEff:");
    char *want = g_strdup_printf("%016" G_GINT64_MODIFIER "x",
                                 (guint64)sandbox_capabilities(&cfg));
    g_assert_cmpstr(v, ==, want);
    g_free(want);
    g_free(v);
    v = proc_field(pid, "status", "CapBnd:");
    want = g_strdup_printf("%016" G_GINT64_MODIFIER "x", (guint64)sandbox_capabilities(&cfg));
    g_assert_cmpstr(v, ==, want);
    g_free(want);
    g_free(v);
    v = proc_field(pid, "status", "Uid:");
    want = fsdrv_model_is_mapped(model) ? g_strdup_printf("%u\t%u\t%u\t%u", MAPPED_OWNER,
                                                          MAPPED_OWNER, MAPPED_OWNER, MAPPED_OWNER)
                                        : g_strdup("0\t0\t0\t0");
    g_assert_cmpstr(v, ==, want);
    g_free(want);
    g_free(v);

    static const char *const namespaces[] = { "mnt", "pid", "net", "ipc", "uts" };
    for (size_t i = 0; i < G_N_ELEMENTS(namespaces); i++) {
        char *mine = ns_of(pid, namespaces[i]), *its = ns_of((int)daemon, namespaces[i]);
        if (strcmp(mine, its) == 0)
            g_error("worker %d shares xen9pd's %s namespace (%s)", pid, namespaces[i], mine);
        g_free(mine);
        g_free(its);
    }
    char *root = root_entries(pid);
    g_assert_cmpstr(root, ==, "export proc");
    g_free(root);
    /* The export is what the guest wrote, seen through the worker's root. */
    char *inside = g_strdup_printf("/proc/%d/root/export/seen-inside", pid);
    g_assert_true(g_file_test(inside, G_FILE_TEST_IS_REGULAR));
    g_free(inside);
    v = proc_field(pid, "limits", "Max open files");
    g_assert_true(g_str_has_prefix(v, "104 "));     /* max-open-files 40 + 64 */
    g_free(v);
    v = proc_field(pid, "limits", "Max data size");
    g_assert_true(g_str_has_prefix(v, "536870912 "));
    g_free(v);
    v = proc_field(pid, "limits", "Max core file size");
    g_assert_true(g_str_has_prefix(v, "0 "));
    g_free(v);
    g_assert_false(talks_to_xenstore(pid));
    /* The supervisor does: the check finds such a connection where there is one. */
    g_assert_true(talks_to_xenstore((int)daemon));

    /* What `xen9p list --verbose` shows an administrator. */
    XbList *l = xb_list(f->env);
    const XbDevice *d = xb_list_find(l, 1, devid);
    g_assert_cmpint(d->no_new_privs, ==, 1);
    g_assert_cmpstr(d->seccomp, ==, "filter");
    if (fsdrv_model_is_mapped(model)) {
        g_assert_cmpint(d->worker_uid, ==, MAPPED_OWNER);
        g_test_message("mapped worker's capabilities: '%s'", d->caps);
        g_assert_null(strstr(d->caps, "dac_override"));
        g_assert_null(strstr(d->caps, "fowner"));
    } else {
        g_assert_cmpint(d->worker_uid, ==, 0);
        g_assert_nonnull(strstr(d->caps, "dac_override"));
        g_assert_nonnull(strstr(d->caps, "fowner"));
    }
    g_assert_true((strstr(d->caps, "chown") != NULL) == (model == FSDRV_MODEL_PASSTHROUGH));
    g_assert_null(strstr(d->caps, "sys_admin"));
    xb_list_free(l);
    /* the same as JSON */
    char *json = NULL, *want_worker = g_strdup_printf(
        "\"worker\": {\"pid\": %d, \"uid\": %u, ", pid,
        fsdrv_model_is_mapped(model) ? MAPPED_OWNER : 0u);
    g_assert_cmpint(xb_xen9p(f->env, &json, NULL, "list", "1", "--json", NULL), ==, 0);
    g_assert_nonnull(strstr(json, want_worker));
    g_assert_nonnull(strstr(json, "\"seccomp\": \"filter\", \"no_new_privs\": 1}"));
    g_free(want_worker);
    g_free(json);
    xb_agent_close(g);
}

static void test_confined_mapped_xattr(Fixture *f, gconstpointer data)
{
    assert_confined(f, FSDRV_MODEL_MAPPED_XATTR, "mapped-xattr");
}

static void test_confined_mapped_file(Fixture *f, gconstpointer data)
{
    assert_confined(f, FSDRV_MODEL_MAPPED_FILE, "mapped-file");
}

static void test_confined_none(Fixture *f, gconstpointer data)
{
    assert_confined(f, FSDRV_MODEL_NONE, "none");
}

static void test_confined_passthrough(Fixture *f, gconstpointer data)
{
    assert_confined(f, FSDRV_MODEL_PASSTHROUGH, "passthrough");
}

/* Two devices, two workers: neither sees the other's files or process. */
static void test_one_worker_each(Fixture *f, gconstpointer data)
{
    xb_daemon_start(f->env, false);
    char *a = xb_mkdir(f->env, "a"), *b = xb_mkdir(f->env, "b");
    char *spec_a = g_strdup_printf("tag=a,path=%s", a), *spec_b = g_strdup_printf("tag=b,path=%s", b);
    unsigned dev_a = xb_attach(f->env, 1, spec_a), dev_b = xb_attach(f->env, 2, spec_b);
    XbAgent *ga = xb_agent_start(f->env, 1), *gb = xb_agent_start(f->env, 2);
    xb_agent_mount(ga, dev_a, false);
    xb_agent_mount(gb, dev_b, false);
    g_free(xb_agent_ok(ga, T, "write only-a 100 1 1"));
    XbList *l = xb_list(f->env);
    int wa = xb_list_find(l, 1, dev_a)->worker_pid, wb = xb_list_find(l, 2, dev_b)->worker_pid;
    xb_list_free(l);
    g_assert_cmpint(wa, >, 0);
    g_assert_cmpint(wb, >, 0);
    g_assert_cmpint(wa, !=, wb);
    char *in_a = g_strdup_printf("/proc/%d/root/export/only-a", wa);
    char *in_b = g_strdup_printf("/proc/%d/root/export/only-a", wb);
    g_assert_true(g_file_test(in_a, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(in_b, G_FILE_TEST_EXISTS));
    /* Each sees only itself in its /proc (its threads' ids are not listed). */
    char *procdir = g_strdup_printf("/proc/%d/root/proc", wa);
    GDir *d = g_dir_open(procdir, 0, NULL);
    g_assert_nonnull(d);
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (g_ascii_isdigit(name[0]))
            g_assert_cmpstr(name, ==, "1");
    }
    g_dir_close(d);
    g_free(procdir);
    g_free(in_a);
    g_free(in_b);
    g_free(spec_a);
    g_free(spec_b);
    g_free(a);
    g_free(b);
    xb_agent_close(ga);
    xb_agent_close(gb);
}

/* --no-sandbox: the checks above see an unconfined worker. */
static void test_no_sandbox(Fixture *f, gconstpointer data)
{
    xb_daemon_option(f->env, "--no-sandbox");
    xb_daemon_start(f->env, false);
    XbAgent *g;
    unsigned devid;
    int pid = connected_worker(f, "none", &g, &devid);
    char *v = proc_field(pid, "status", "Seccomp:");
    g_assert_cmpstr(v, ==, "0");
    g_free(v);
    char *mine = ns_of(pid, "mnt"), *its = ns_of((int)xb_daemon_pid(f->env), "mnt");
    g_assert_cmpstr(mine, ==, its);
    g_free(mine);
    g_free(its);
    XbList *l = xb_list(f->env);
    const XbDevice *d = xb_list_find(l, 1, devid);
    g_assert_cmpstr(d->seccomp, ==, "off");
    g_assert_nonnull(strstr(d->caps, "sys_admin"));
    xb_list_free(l);
    char *log = xb_daemon_log(f->env);
    g_assert_nonnull(strstr(log, "NOT confined"));
    g_free(log);
    xb_agent_close(g);
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add("/xenbackend/workers/confined-none", Fixture, NULL, setup, test_confined_none,
               teardown);
    g_test_add("/xenbackend/workers/confined-passthrough", Fixture, NULL, setup,
               test_confined_passthrough, teardown);
    g_test_add("/xenbackend/workers/confined-mapped-xattr", Fixture, NULL, setup,
               test_confined_mapped_xattr, teardown);
    g_test_add("/xenbackend/workers/confined-mapped-file", Fixture, NULL, setup,
               test_confined_mapped_file, teardown);
    g_test_add("/xenbackend/workers/one-worker-each", Fixture, NULL, setup,
               test_one_worker_each, teardown);
    g_test_add("/xenbackend/workers/no-sandbox", Fixture, NULL, setup, test_no_sandbox,
               teardown);
    return g_test_run();
}
