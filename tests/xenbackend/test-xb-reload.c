// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The configuration file and `xen9p reload` (docs/design.md "Configuration
 * and reload"): export-roots refuse a share outside them; a reload applies new
 * settings to what starts afterwards while the share being served keeps its
 * worker, its fids and its data; a file that does not parse changes nothing
 * and says why.
 */
#include "config.h"

#include <string.h>

#include "tests/xenbackend/xb-9p.h"
#include "tests/xenbackend/xb-env.h"

#define T XB_TIMEOUT_MS

static char *write_config(XbEnv *env, const char *text)
{
    char *path = g_build_filename(xb_dir(env), "xen9pd.conf", NULL);
    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    return path;
}

static int worker_of(XbEnv *env, unsigned dom, unsigned dev)
{
    XbList *l = xb_list(env);
    const XbDevice *d = xb_list_find(l, dom, dev);
    int pid = d ? d->worker_pid : 0;
    xb_list_free(l);
    return pid;
}

static bool log_contains(XbEnv *env, const char *needle)
{
    gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    bool found;
    do {
        char *log = xb_daemon_log(env);
        found = strstr(log, needle) != NULL;
        g_free(log);
    } while (!found && g_get_monotonic_time() < until && (g_usleep(20000), true));
    return found;
}

static void test_reload(void)
{
    XbEnv *env = xb_env_new();
    char *allowed = xb_mkdir(env, "allowed"), *other = xb_mkdir(env, "other");
    char *text = g_strdup_printf("[xen9pd]\nexport-roots=%s\n", allowed);
    char *conf = write_config(env, text);
    g_free(text);
    char *option = g_strdup_printf("--config=%s", conf);
    xb_daemon_option(env, option);
    xb_create_domain(env, 1);
    xb_daemon_start(env, false);

    /* inside the roots: served; outside: refused, saying why */
    char *spec = g_strdup_printf("tag=in,path=%s", allowed);
    unsigned dev = xb_attach(env, 1, spec);
    g_free(spec);
    XbAgent *guest = xb_agent_start(env, 1);
    xb_agent_mount(guest, dev, false);
    g_free(xb_agent_ok(guest, T, "write kept 300000 7 4"));
    char *out = NULL, *err = NULL;
    spec = g_strdup_printf("tag=out,path=%s", other);
    g_assert_cmpint(xb_xen9p(env, &out, &err, "attach", "1", spec, NULL), ==, 1);
    g_assert_nonnull(strstr(err, "outside the export-roots"));
    g_free(out);
    g_free(err);
    int worker = worker_of(env, 1, dev);
    g_assert_cmpint(worker, >, 0);

    /* the roots move, new devices start traced: the served share stays */
    text = g_strdup_printf("# moved\n[xen9pd]\nexport-roots=%s\ntrace=true\nverbose=true\n", other);
    g_free(write_config(env, text));
    g_free(text);
    g_assert_cmpint(xb_xen9p(env, &out, &err, "reload", NULL), ==, 0);
    g_test_message("reload: %s%s", out, err);
    g_assert_true(g_str_has_prefix(out, "xen9pd reloaded "));
    g_assert_nonnull(strstr(out, "trace=yes"));
    g_assert_nonnull(strstr(err, "outside the export-roots now allowed; it keeps serving"));
    g_free(out);
    g_free(err);
    g_assert_true(log_contains(env, "reloaded "));
    g_assert_cmpint(worker_of(env, 1, dev), ==, worker);
    char *sha = xb_agent_ok(guest, T, "verify kept 300000 7 4");
    char *want = xb_pattern_sha256(300000, 7);
    g_assert_cmpstr(sha, ==, want);
    g_free(sha);
    g_free(want);
    unsigned dev2 = xb_attach(env, 1, spec);
    XbAgent *second = xb_agent_start(env, 1);
    xb_agent_mount(second, dev2, false);
    g_free(xb_agent_ok(second, T, "stat"));
    char *traced = g_strdup_printf("v9fs_attach 1/%u tag=", dev2);
    g_assert_true(log_contains(env, traced));
    g_free(traced);

    /* a typo: refused, nothing changes */
    g_free(write_config(env, "[xen9pd]\nverbos=true\n"));
    g_assert_cmpint(xb_xen9p(env, &out, &err, "reload", NULL), ==, 1);
    g_assert_cmpstr(out, ==, "");
    g_assert_nonnull(strstr(err, "reload refused: "));
    g_assert_nonnull(strstr(err, "unknown key \"verbos\""));
    g_free(out);
    g_free(err);
    g_assert_cmpint(worker_of(env, 1, dev), ==, worker);
    sha = xb_agent_ok(guest, T, "verify kept 300000 7 4");
    want = xb_pattern_sha256(300000, 7);
    g_assert_cmpstr(sha, ==, want);
    g_free(sha);
    g_free(want);
    xb_assert_daemon_alive(env);

    xb_agent_close(second);
    xb_agent_close(guest);
    xb_env_free(env);
    g_free(spec);
    g_free(option);
    g_free(conf);
    g_free(allowed);
    g_free(other);
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add_func("/xenbackend/reload/keeps-shares", test_reload);
    return g_test_run();
}
