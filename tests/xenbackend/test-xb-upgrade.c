// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Upgrades under a live guest (docs/operations.md): `xen9p upgrade` replaces
 * a device's worker twenty times while the guest writes and verifies files,
 * and xen9pd itself is restarted (SIGTERM and SIGKILL) under a service
 * manager with a descriptor store.  The guest sees no error and no wrong
 * tag; its open fids (one on a file whose name is gone) still work after;
 * the daemon maps exactly the guest's ring pages and binds its channels
 * once each, whatever happened; the longest pause is reported.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tests/xenbackend/xb-env.h"

#define T XB_TIMEOUT_MS
#define DOM 1
#define UPGRADES 20
#define RESTARTS 5

typedef struct {
    XbEnv *env;
    char *share;
    XbAgent *guest;
    unsigned devid;
    char *kept_fid, *unlinked_fid;
    GPid root;                  /* whose process tree maps the pages */
    unsigned pages, ports;
} Fixture;

static int worker_pid(Fixture *f)
{
    XbList *l = xb_list(f->env);
    const XbDevice *d = xb_list_find(l, DOM, f->devid);
    g_assert_nonnull(d);
    g_assert_cmpstr(d->state, ==, "Connected");
    int pid = d->worker_pid;
    xb_list_free(l);
    return pid;
}

/* A device serving, a file written, two fids held, the guest's traffic running. */
static void begin(Fixture *f, bool managed)
{
    f->env = xb_env_new();
    f->share = xb_mkdir(f->env, "share");
    xb_create_domain(f->env, DOM);
    GPid daemon = managed ? xb_daemon_start_managed(f->env) : xb_daemon_start(f->env, false);
    f->root = managed ? xb_daemon_manager(f->env) : daemon;
    char *spec = g_strdup_printf("tag=live,path=%s", f->share);
    f->devid = xb_attach(f->env, DOM, spec);
    g_free(spec);
    f->guest = xb_agent_start(f->env, DOM);
    xb_agent_mount(f->guest, f->devid, false);
    g_free(xb_agent_ok(f->guest, T, "write kept 1048576 7 8"));
    f->kept_fid = xb_agent_ok(f->guest, T, "open kept");
    char *unlinked = xb_agent_ok(f->guest, T, "fill-unlinked gone 65536");
    f->unlinked_fid = g_strdup(strrchr(unlinked, ' ') + 1);
    g_free(unlinked);
    f->pages = xb_mapped_pages(f->env, f->root, DOM);
    f->ports = xb_bound_ports(f->env, DOM);
    g_assert_cmpuint(f->pages, >, 0);
    g_assert_cmpuint(f->ports, ==, 2);
    xb_agent_send(f->guest, "traffic");
    g_usleep(200000);
}

/* What the guest and the daemon hold is what they held before. */
static void assert_same_resources(Fixture *f)
{
    g_assert_cmpuint(xb_mapped_pages(f->env, f->root, DOM), ==, f->pages);
    g_assert_cmpuint(xb_bound_ports(f->env, DOM), ==, f->ports);
}

/* The traffic ran without an error; the held fids still work; the worst pause. */
static void end(Fixture *f, const char *what)
{
    xb_agent_send(f->guest, "stop");
    char *answer = xb_agent_recv(f->guest, T);
    guint64 rounds = 0, worst_ms = 0;
    g_assert_nonnull(answer);
    g_assert_cmpint(sscanf(answer, "ok %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &rounds,
                           &worst_ms), ==, 2);
    g_assert_cmpuint(rounds, >, 0);
    g_test_message("%s: %" G_GUINT64_FORMAT " rounds of traffic, longest wait %" G_GUINT64_FORMAT
                   " ms", what, rounds, worst_ms);
    g_free(answer);
    g_free(xb_agent_ok(f->guest, T, "verify kept 1048576 7 8"));
    g_free(xb_agent_ok(f->guest, T, "truncate %s 4096", f->unlinked_fid));
    g_free(xb_agent_ok(f->guest, T, "clunk %s", f->unlinked_fid));
    g_free(xb_agent_ok(f->guest, T, "clunk %s", f->kept_fid));
    xb_agent_assert_clean(f->guest);
    assert_same_resources(f);
    xb_agent_close(f->guest);
    xb_env_free(f->env);
    g_free(f->share);
    g_free(f->kept_fid);
    g_free(f->unlinked_fid);
}

static void upgrade_once(Fixture *f)
{
    int before = worker_pid(f);
    char *out = NULL, *err = NULL;
    int rc = xb_xen9p(f->env, &out, &err, "upgrade", "all", NULL);
    if (rc != 0) {
        char *rings = NULL;
        xb_xen9p(f->env, &rings, NULL, "rings", NULL);
        g_printerr("%s%s%s", out, err, rings);
        g_free(rings);
    }
    g_assert_cmpint(rc, ==, 0);
    g_assert_nonnull(strstr(out, "upgraded"));
    g_free(out);
    g_free(err);
    g_assert_cmpint(worker_pid(f), !=, before);
    assert_same_resources(f);
}

static void test_worker_upgrades(void)
{
    Fixture f = { 0 };
    begin(&f, false);
    for (int i = 0; i < UPGRADES; i++)
        upgrade_once(&f);
    char *log = xb_daemon_log(f.env);
    g_assert_nonnull(strstr(log, "took over from"));
    g_free(log);
    end(&f, "20 worker upgrades");
}

static void test_supervisor_restarts(void)
{
    Fixture f = { 0 };
    begin(&f, true);
    int worker = worker_pid(&f);
    for (int i = 0; i < RESTARTS; i++) {
        GPid old = xb_daemon_pid(f.env);
        GPid now = xb_daemon_restart(f.env, i % 2 == 0);
        g_assert_cmpint(now, !=, old);
        /* The same worker, taken back by the new supervisor. */
        g_assert_cmpint(worker_pid(&f), ==, worker);
        assert_same_resources(&f);
    }
    char *log = xb_daemon_log(f.env);
    g_assert_nonnull(strstr(log, "taken back from an earlier xen9pd"));
    g_free(log);
    /* A worker taken back can be upgraded like any other. */
    upgrade_once(&f);
    end(&f, "5 supervisor restarts");
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add_func("/xenbackend/upgrade/worker-twenty-times", test_worker_upgrades);
    g_test_add_func("/xenbackend/upgrade/supervisor-restarts", test_supervisor_restarts);
    return g_test_run();
}
