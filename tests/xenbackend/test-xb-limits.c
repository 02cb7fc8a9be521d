// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What one guest can take from the others through xen9pd (issue 10's audit),
 * and the limits that stop it (docs/design.md "Limits"):
 *  - file descriptors: each device's open files are its worker's, within a
 *    limit of its own, so one guest cannot use up another's; the supervisor's
 *    few per device come from its budget, and a device that does not fit is
 *    refused with a reason, the others keep theirs;
 *  - open files per device: max-open-files (default 5, as xl.cfg(5) says for
 *    type=xen_9pfsd), EMFILE beyond, one log line that names the setting;
 *  - the guest-written tag: a guest rewriting its frontend `tag` with tabs
 *    and newlines cannot forge a line of `xen9p list` or steer `xen9p detach`.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "backend/supervisor/fdlimit.h"
#include "backend/worker/sandbox.h"
#include "tests/xenbackend/xb-env.h"

#define T XB_TIMEOUT_MS

typedef struct {
    XbEnv *env;
} Fixture;

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

/* Opens files "f0".."f{n-1}" (created first) one fid each, until one fails. */
static unsigned open_until_refused(XbAgent *g, unsigned n, int *err)
{
    for (unsigned i = 0; i < n; i++)
        g_free(xb_agent_ok(g, T, "create f%u", i));
    *err = 0;
    for (unsigned i = 0; i < n; i++) {
        char *answer = xb_agent_call(g, T, "open f%u", i);
        if (!g_str_has_prefix(answer, "ok ")) {
            g_assert_cmpint(sscanf(answer, "err %d", err), ==, 1);
            g_free(answer);
            return i;
        }
        g_free(answer);
    }
    return n;
}

static char *share_spec(Fixture *f, const char *tag, const char *extra)
{
    char *dir = xb_mkdir(f->env, tag);
    char *spec = g_strdup_printf("tag=%s,path=%s%s%s", tag, dir, *extra ? "," : "", extra);
    g_free(dir);
    return spec;
}

/* Each device's open files are its worker's own: they cannot exceed the
 * limit a worker may have, and one guest filling its budget leaves the
 * other's whole.  The supervisor's few descriptors per device come from its
 * budget, and a device that does not fit there is refused with the reason. */
static void test_fd_budget(Fixture *f, gconstpointer data)
{
    /* Room in the supervisor for exactly two devices. */
    const unsigned long limit = FDLIMIT_DAEMON + 2 * FDLIMIT_DEVICE + FDLIMIT_DEVICE / 2;
    const unsigned per_device = (unsigned)(limit - SANDBOX_FD_OVERHEAD);
    xb_daemon_limit_fds(f->env, limit);
    xb_daemon_start(f->env, false);
    /* More than a worker may open: refused, with the reason. */
    char *spec = share_spec(f, "huge", "max-open-files=1000");
    char *out = NULL, *err = NULL;
    g_assert_cmpint(xb_xen9p(f->env, &out, &err, "attach", "1", spec, NULL), ==, 1);
    g_assert_nonnull(strstr(err, "not enough file descriptors"));
    g_free(out);
    g_free(err);
    g_free(spec);
    /* Two devices, each with all a worker may hold... */
    char *opt = g_strdup_printf("max-open-files=%u", per_device);
    spec = share_spec(f, "first", opt);
    unsigned dev1 = xb_attach(f->env, 1, spec);
    g_free(spec);
    spec = share_spec(f, "second", opt);
    unsigned dev2 = xb_attach(f->env, 2, spec);
    g_free(spec);
    /* ...and a third the supervisor has no room for. */
    spec = share_spec(f, "third", "max-open-files=1");
    err = NULL;
    g_assert_cmpint(xb_xen9p(f->env, NULL, &err, "attach", "2", spec, NULL), ==, 1);
    g_assert_nonnull(strstr(err, "not enough file descriptors"));
    g_free(err);
    /* The first guest fills its budget; the second still opens all of its. */
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, dev1, false);
    int e;
    g_assert_cmpuint(open_until_refused(g, per_device + 5, &e), ==, per_device);
    g_assert_cmpint(e, ==, EMFILE);
    XbAgent *g2 = xb_agent_start(f->env, 2);
    xb_agent_mount(g2, dev2, false);
    g_assert_cmpuint(open_until_refused(g2, per_device, &e), ==, per_device);
    xb_agent_close(g);
    xb_agent_close(g2);
    /* A device gone gives its descriptors back: now the third fits. */
    xb_detach(f->env, 1, "first");
    xb_attach(f->env, 2, spec);
    g_free(opt);
    g_free(spec);
    xb_assert_daemon_alive(f->env);
}

/* xl.cfg(5): max-open-files defaults to 5; EMFILE beyond, and the log says which limit. */
static void test_default_open_files(Fixture *f, gconstpointer data)
{
    xb_daemon_start(f->env, false);
    char *spec = share_spec(f, "plain", "");
    unsigned dev = xb_attach(f->env, 1, spec);
    g_free(spec);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, dev, false);
    int e;
    g_assert_cmpuint(open_until_refused(g, 8, &e), ==, 5);
    g_assert_cmpint(e, ==, EMFILE);
    char *log = xb_daemon_log(f->env);
    g_assert_nonnull(strstr(log, "the guest reached max-open-files"));
    g_free(log);
    xb_agent_close(g);
}

static unsigned device_lines(const char *list)
{
    unsigned n = 0;
    for (const char *p = list; (p = strstr(p, "\n")); p++)
        n++;
    return n;
}

/* The audit's forged row: a tag with tabs and newlines in the guest's own directory. */
static void test_hostile_tag(Fixture *f, gconstpointer data)
{
    xb_daemon_start(f->env, false);
    const char *forged = "x\t1\t7\tforged\tConnected\n1\t8\tmore";
    /* A device as libxl makes it: the tag only in the guest-writable frontend. */
    char *dir = xb_mkdir(f->env, "libxl");
    char *path_kv = g_strdup_printf("path=%s", dir);
    const char *keys[] = { path_kv, "security_model=none", NULL };
    xb_toolstack_add(f->env, 1, 0, forged, keys);
    char *be = xb_backend_dir(1, 0);
    char *state = g_strdup_printf("%s/state", be);
    g_assert_cmpint(xb_wait_state(f->env, state, "2", T), ==, 2);
    /* A device `xen9p attach` made: the guest then rewrites its frontend tag. */
    char *spec = share_spec(f, "mine", "");
    unsigned dev = xb_attach(f->env, 1, spec);
    char *fe = xb_frontend_dir(1, dev);
    char *fe_tag = g_strdup_printf("%s/tag", fe);
    xb_write(f->env, fe_tag, "first");
    char *out = NULL;
    g_assert_cmpint(xb_xen9p(f->env, &out, NULL, "list", NULL), ==, 0);
    /* A header, two devices, the daemon's line: no forged row. */
    g_assert_cmpuint(device_lines(out), ==, 4);
    g_assert_null(strstr(out, "forged\tConnected"));
    g_assert_nonnull(strstr(out, "x\\t1\\t7\\tforged"));
    g_free(out);
    XbList *l = xb_list(f->env);
    g_assert_cmpuint(l->devices, ==, 2);
    g_assert_cmpstr(xb_list_find(l, 1, dev)->tag, ==, "mine");
    xb_list_free(l);
    /* detach follows the toolstack's tag, not the guest's. */
    g_assert_cmpint(xb_xen9p(f->env, NULL, NULL, "detach", "1", "first", NULL), ==, 1);
    xb_detach(f->env, 1, "mine");
    g_free(fe);
    g_free(fe_tag);
    g_free(spec);
    g_free(state);
    g_free(be);
    g_free(path_kv);
    g_free(dir);
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add("/xenbackend/limits/fd-budget", Fixture, NULL, setup, test_fd_budget, teardown);
    g_test_add("/xenbackend/limits/default-open-files", Fixture, NULL, setup,
               test_default_open_files, teardown);
    g_test_add("/xenbackend/limits/hostile-tag", Fixture, NULL, setup, test_hostile_tag,
               teardown);
    return g_test_run();
}
