// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The xenbus handshake and its teardown in every order (protocol C.1, D.2):
 * clean close, re-probe, `xen9p detach`, libxl's removal, the backend
 * directory removed, the guest destroyed (connected, in InitWait, before its
 * frontend started), xen9pd started late, restarted, stopped with SIGTERM,
 * started twice, devices with opt-ins, and devices whose configuration is
 * wrong.  After each
 * teardown nothing of the guest stays mapped or bound in xen9pd and its
 * file descriptors are back to what they were.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/xenbackend/xb-env.h"

#define T XB_TIMEOUT_MS
/* A frontend's close takes well under a second; one that waits out a timeout
 * (a missed state change) fails the test. */
#define CLOSE_MS 5000
/* docs/xen-transport.md A.3: the interface page + 2^9 data pages per ring. */
#define LINUX_PAGES (2 * (1 + 512))

typedef struct {
    XbEnv *env;
    char *share;
    unsigned baseline_fds;
} Fixture;

/* The world without xen9pd. */
static void setup_late(Fixture *f, gconstpointer data)
{
    f->env = xb_env_new();
    f->share = xb_mkdir(f->env, "share");
    xb_create_domain(f->env, 1);
}

static void setup(Fixture *f, gconstpointer data)
{
    setup_late(f, data);
    xb_daemon_start(f->env, false);
    f->baseline_fds = xb_fd_count(f->env, xb_daemon_pid(f->env));
}

static void teardown(Fixture *f, gconstpointer data)
{
    xb_env_free(f->env);
    g_free(f->share);
}

static unsigned attach_share(Fixture *f)
{
    char *spec = g_strdup_printf("tag=share,path=%s", f->share);
    unsigned devid = xb_attach(f->env, 1, spec);
    g_free(spec);
    return devid;
}

static void use_share(XbAgent *g, uint64_t seed)
{
    g_free(xb_agent_ok(g, T, "write file-%" G_GUINT64_FORMAT " 300000 %" G_GUINT64_FORMAT " 8",
                       seed, seed));
    g_free(xb_agent_ok(g, T, "verify file-%" G_GUINT64_FORMAT " 300000 %" G_GUINT64_FORMAT " 8",
                       seed, seed));
    xb_agent_assert_clean(g);
}

static int backend_state(Fixture *f, unsigned devid, const char *states)
{
    char *path = g_strdup_printf("/local/domain/0/backend/xen_9pfs/1/%u/state", devid);
    int st = xb_wait_state(f->env, path, states, T);
    g_free(path);
    return st;
}

static int frontend_state(Fixture *f, unsigned devid, const char *states)
{
    char *path = g_strdup_printf("/local/domain/1/device/9pfs/%u/state", devid);
    int st = xb_wait_state(f->env, path, states, T);
    g_free(path);
    return st;
}

/* Nothing of domain 1 is mapped or bound by xen9pd and its fds are as before. */
static void assert_released(Fixture *f)
{
    GPid pid = xb_daemon_pid(f->env);
    g_assert_cmpuint(xb_mapped_pages(f->env, pid, 1), ==, 0);
    g_assert_cmpuint(xb_bound_ports(f->env, 1), ==, 0);
    XbList *l = xb_list(f->env);
    g_assert_cmpuint(l->mapped_pages, ==, 0);
    g_assert_cmpuint(l->event_channels, ==, 0);
    g_assert_cmpint(l->pid, ==, pid);
    xb_list_free(l);
}

static void assert_fds_back(Fixture *f)
{
    GPid pid = xb_daemon_pid(f->env);
    g_assert_cmpuint(xb_wait_fd_count(f->env, pid, f->baseline_fds, 5000), ==, f->baseline_fds);
}

static void assert_nodes_gone(Fixture *f, unsigned devid)
{
    char *be = xb_backend_dir(1, devid), *fe = xb_frontend_dir(1, devid);
    g_assert_true(xb_wait_gone(f->env, be, T));
    g_assert_true(xb_wait_gone(f->env, fe, T));
    g_free(be);
    g_free(fe);
}

static void assert_no_devices(Fixture *f)
{
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    for (;;) {
        XbList *l = xb_list(f->env);
        unsigned n = l->devices;
        xb_list_free(l);
        if (n == 0)
            return;
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        g_usleep(20000);
    }
}

/* ---- the cases ---- */

static void test_connect_close(Fixture *f, gconstpointer data)
{
    unsigned devid = attach_share(f);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, devid, false);
    XbList *l = xb_list(f->env);
    const XbDevice *d = xb_list_find(l, 1, devid);
    g_assert_nonnull(d);
    g_assert_cmpstr(d->state, ==, "Connected");
    g_assert_cmpstr(d->tag, ==, "share");
    g_assert_cmpuint(d->rings, ==, 2);
    g_assert_cmpuint(l->mapped_pages, ==, LINUX_PAGES);
    g_assert_cmpuint(l->event_channels, ==, 2);
    xb_list_free(l);
    g_assert_cmpuint(xb_mapped_pages(f->env, xb_daemon_pid(f->env), 1), ==, LINUX_PAGES);
    g_assert_cmpuint(xb_bound_ports(f->env, 1), ==, 2);
    use_share(g, 1);
    xb_agent_close(g);
    g_assert_cmpint(backend_state(f, devid, "6"), ==, 6);
    g_assert_cmpint(frontend_state(f, devid, "6"), ==, 6);
    assert_released(f);
    xb_agent_kill(g);
    xb_detach(f->env, 1, "share");
    assert_nodes_gone(f, devid);
    assert_no_devices(f);
    assert_fds_back(f);
}

/* The backend keys allow-setid and allow-devices reach the worker as the
 * capabilities they need, and only then (docs/security.md "Per security model"). */
static void test_opt_ins(Fixture *f, gconstpointer data)
{
    char *spec = g_strdup_printf("tag=plain,path=%s", f->share);
    unsigned plain = xb_attach(f->env, 1, spec);
    g_free(spec);
    spec = g_strdup_printf("tag=opted,path=%s,allow-acl=1,allow-setid=1,allow-devices=1",
                           f->share);
    unsigned opted = xb_attach(f->env, 1, spec);
    g_free(spec);
    char *be = g_strdup_printf("/local/domain/0/backend/xen_9pfs/1/%u/allow-devices", opted);
    char *v = xb_read(f->env, "%s", be);
    g_assert_cmpstr(v, ==, "1");
    g_free(v);
    g_free(be);
    XbAgent *g1 = xb_agent_start(f->env, 1), *g2 = xb_agent_start(f->env, 1);
    xb_agent_mount(g1, plain, false);
    xb_agent_mount(g2, opted, false);
    XbList *l = xb_list(f->env);
    const XbDevice *p = xb_list_find(l, 1, plain), *o = xb_list_find(l, 1, opted);
    g_assert_nonnull(p);
    g_assert_nonnull(o);
    g_assert_cmpstr(p->caps, ==, "dac_override,dac_read_search,fowner");
    g_assert_cmpstr(o->caps, ==, "dac_override,dac_read_search,fowner,fsetid,mknod");
    xb_list_free(l);
    char *log = xb_daemon_log(f->env);
    g_assert_nonnull(strstr(log, "allow-acl, allow-setid, allow-devices)"));
    g_free(log);
    xb_agent_close(g2);
    xb_agent_close(g1);
}

/* A frontend that probes again after closing finds the backend ready (C.1 step 8). */
static void test_reprobe(Fixture *f, gconstpointer data)
{
    unsigned devid = attach_share(f);
    XbAgent *g = xb_agent_start(f->env, 1);
    for (int round = 0; round < 3; round++) {
        xb_agent_mount(g, devid, round == 2);
        use_share(g, 10 + round);
        xb_agent_close(g);
        g_assert_cmpint(backend_state(f, devid, "6"), ==, 6);
        assert_released(f);
    }
    xb_agent_kill(g);
    xb_detach(f->env, 1, "share");
    assert_fds_back(f);
}

/*
 * The guest's driver is unbound (rmmod 9pnet_xen: Connected -> Closed with no
 * Closing).  Linux cannot bind that device again, so the share comes back as
 * a new device with the same tag; the old nodes go, nothing stays mapped.
 */
static void test_driver_unbind(Fixture *f, gconstpointer data)
{
    unsigned devid = attach_share(f);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, devid, false);
    use_share(g, 3);
    g_free(xb_agent_ok(g, T, "unbind"));
    assert_nodes_gone(f, devid);
    unsigned again = devid + 1;
    char *be = xb_backend_dir(1, again), *fe = xb_frontend_dir(1, again);
    char *be_state = g_strdup_printf("%s/state", be);
    g_assert_cmpint(xb_wait_state(f->env, be_state, "2", T), ==, 2);
    char *tag = xb_read(f->env, "%s/tag", fe);
    g_assert_cmpstr(tag, ==, "share");
    g_free(tag);
    g_free(be);
    g_free(fe);
    assert_released(f);
    xb_agent_mount(g, again, false);
    use_share(g, 4);
    xb_agent_close(g);
    xb_agent_kill(g);
    xb_detach(f->env, 1, "share");
    assert_nodes_gone(f, again);
    assert_no_devices(f);
    assert_fds_back(f);
    g_free(be_state);
}

/* `xen9p detach` of a connected device: the frontend sees Closing, the nodes go. */
static void test_detach_connected(Fixture *f, gconstpointer data)
{
    unsigned devid = attach_share(f);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, devid, false);
    use_share(g, 2);
    xb_agent_send(g, "await-close %d", T);
    gint64 start = g_get_monotonic_time();
    xb_detach(f->env, 1, "share");
    /* Detach waited for the frontend's Closed, well within its timeout. */
    g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
    char *answer = xb_agent_recv(g, CLOSE_MS);
    g_assert_cmpstr(answer, ==, "ok 5");
    g_free(answer);
    assert_nodes_gone(f, devid);
    assert_no_devices(f);
    assert_released(f);
    assert_fds_back(f);
    xb_agent_kill(g);
}

/* libxl's removal: online=0 and state Closing, wait for Closed, remove the nodes. */
static void test_toolstack_removal(Fixture *f, gconstpointer data)
{
    const char *keys[] = { NULL, "security_model=none", NULL };
    keys[0] = g_strdup_printf("path=%s", f->share);
    xb_toolstack_add(f->env, 1, 0, "share", keys);
    g_assert_cmpint(backend_state(f, 0, "2"), ==, 2);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, 0, false);
    use_share(g, 3);
    xb_agent_send(g, "await-close %d", T);
    g_assert_cmpint(xb_toolstack_remove(f->env, 1, 0, T), ==, 6);
    char *answer = xb_agent_recv(g, CLOSE_MS);
    g_assert_cmpstr(answer, ==, "ok 5");
    g_free(answer);
    assert_no_devices(f);
    assert_released(f);
    assert_fds_back(f);
    xb_agent_kill(g);
    g_free((char *)keys[0]);
}

/* The backend directory removed outright while connected. */
static void test_backend_dir_removed(Fixture *f, gconstpointer data)
{
    unsigned devid = attach_share(f);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, devid, false);
    use_share(g, 4);
    char *be = xb_backend_dir(1, devid);
    xb_rm(f->env, be);
    assert_no_devices(f);
    assert_released(f);
    assert_fds_back(f);
    g_free(xb_agent_ok(g, T, "abandon"));
    xb_agent_kill(g);
    /* Still serving: a new device works. */
    g = xb_agent_start(f->env, 1);
    xb_rm(f->env, "/local/domain/1/device/9pfs");
    devid = attach_share(f);
    xb_agent_mount(g, devid, false);
    use_share(g, 5);
    xb_agent_close(g);
    xb_agent_kill(g);
    g_free(be);
}

/* @releaseDomain: the device lets go of everything, xen9p's nodes are removed. */
static void test_destroy_connected(Fixture *f, gconstpointer data)
{
    unsigned devid = attach_share(f);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, devid, false);
    use_share(g, 6);
    xb_destroy_domain(f->env, 1);
    xb_agent_kill(g);
    assert_nodes_gone(f, devid);
    assert_no_devices(f);
    assert_released(f);
    assert_fds_back(f);
}

/* A toolstack's device outlives its domain in xenstore until the toolstack
 * removes it: the daemon must let go of the rings without that. */
static void test_destroy_connected_toolstack(Fixture *f, gconstpointer data)
{
    const char *keys[] = { NULL, NULL };
    keys[0] = g_strdup_printf("path=%s", f->share);
    xb_toolstack_add(f->env, 1, 0, "share", keys);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, 0, false);
    use_share(g, 13);
    xb_destroy_domain(f->env, 1);
    xb_agent_kill(g);
    g_assert_cmpint(backend_state(f, 0, "6"), ==, 6);
    g_assert_true(xb_exists(f->env, "/local/domain/0/backend/xen_9pfs/1/0"));
    assert_released(f);
    xb_rm(f->env, "/local/domain/0/backend/xen_9pfs/1/0");
    assert_no_devices(f);
    assert_fds_back(f);
    g_free((char *)keys[0]);
}

/* Destroyed while the backend waits in InitWait for a frontend that set its
 * rings up (pages granted, channels allocated, keys written) but never
 * switched to Initialised. */
static void test_destroy_initwait(Fixture *f, gconstpointer data)
{
    unsigned devid = attach_share(f);
    XbAgent *g = xb_agent_start(f->env, 1);
    g_free(xb_agent_ok(g, T, "connect device/9pfs/%u linux initialising", devid));
    g_assert_cmpint(backend_state(f, devid, "2"), ==, 2);
    g_assert_true(xb_exists(f->env, "/local/domain/1/device/9pfs/%u/ring-ref0", devid));
    xb_destroy_domain(f->env, 1);
    xb_agent_kill(g);
    assert_nodes_gone(f, devid);
    assert_no_devices(f);
    assert_released(f);
    assert_fds_back(f);
}

/* Destroyed before its frontend ever started: by xen9p (the daemon removes
 * the nodes) and by a toolstack (which removes them itself). */
static void test_destroy_before_frontend(Fixture *f, gconstpointer data)
{
    unsigned devid = attach_share(f);
    const char *keys[] = { NULL, NULL };
    keys[0] = g_strdup_printf("path=%s", f->share);
    xb_toolstack_add(f->env, 1, 7, "other", keys);
    g_assert_cmpint(backend_state(f, devid, "2"), ==, 2);
    g_assert_cmpint(backend_state(f, 7, "2"), ==, 2);
    g_assert_cmpint(frontend_state(f, devid, "1"), ==, 1);
    xb_destroy_domain(f->env, 1);
    assert_nodes_gone(f, devid);
    /* libxl's device: the daemon closes it and leaves the nodes to the toolstack. */
    g_assert_cmpint(backend_state(f, 7, "6"), ==, 6);
    g_assert_true(xb_exists(f->env, "/local/domain/0/backend/xen_9pfs/1/7"));
    xb_rm(f->env, "/local/domain/0/backend/xen_9pfs/1/7");
    assert_no_devices(f);
    assert_released(f);
    assert_fds_back(f);
    g_free((char *)keys[0]);
}

/* xen9pd started after libxl wrote the device nodes. */
static void test_daemon_after_nodes(Fixture *f, gconstpointer data)
{
    const char *keys[] = { NULL, "security_model=none", NULL };
    keys[0] = g_strdup_printf("path=%s", f->share);
    xb_toolstack_add(f->env, 1, 0, "share", keys);
    XbAgent *g = xb_agent_start(f->env, 1);
    /* The frontend starts first and waits for InitWait, as Linux does. */
    xb_agent_send(g, "connect device/9pfs/0 linux");
    g_usleep(200000);
    xb_daemon_start(f->env, false);
    char *answer = xb_agent_recv(g, T);
    g_assert_cmpstr(answer, ==, "ok");
    g_free(answer);
    g_free(xb_agent_ok(g, T, "mount 9P2000.L 524288"));
    use_share(g, 7);
    xb_agent_close(g);
    g_assert_cmpint(xb_toolstack_remove(f->env, 1, 0, T), ==, 6);
    xb_agent_kill(g);
    g_free((char *)keys[0]);
}

/* A new xen9pd finds a frontend connected to its dead predecessor: a 9pfs
 * connection cannot resume (B.4), so it makes the frontend close, then
 * serves the frontend's next probe. */
static void test_restart_connected(Fixture *f, gconstpointer data)
{
    unsigned devid = attach_share(f);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, devid, false);
    use_share(g, 8);
    int status = xb_daemon_stop(f->env, SIGKILL, T);
    g_assert_true(WIFSIGNALED(status));
    xb_agent_send(g, "await-close %d", T);
    GPid pid = xb_daemon_start(f->env, false);
    char *answer = xb_agent_recv(g, CLOSE_MS);
    g_assert_cmpstr(answer, ==, "ok 5");
    g_free(answer);
    g_assert_cmpint(backend_state(f, devid, "6"), ==, 6);
    /* The new daemon never mapped the old connection's rings. */
    g_assert_cmpuint(xb_mapped_pages(f->env, pid, -1), ==, 0);
    xb_agent_mount(g, devid, false);
    use_share(g, 9);
    xb_agent_close(g);
    xb_agent_kill(g);
    xb_detach(f->env, 1, "share");
}

/* SIGTERM: every frontend sees Closing, xen9pd exits 0 and drops libxl's claim. */
static void test_sigterm(Fixture *f, gconstpointer data)
{
    xb_create_domain(f->env, 2);
    char *stub = xb_mkdir(f->env, "stub");
    unsigned devid = attach_share(f);
    char *spec = g_strdup_printf("tag=stub,path=%s", stub);
    unsigned stubdev = xb_attach(f->env, 2, spec);
    XbAgent *g1 = xb_agent_start(f->env, 1), *g2 = xb_agent_start(f->env, 2);
    xb_agent_mount(g1, devid, false);
    xb_agent_mount(g2, stubdev, true);
    use_share(g1, 10);
    use_share(g2, 11);
    g_assert_true(xb_exists(f->env, "/local/domain/0/libxl/xen-9pfs/state"));
    xb_agent_send(g1, "await-close %d", T);
    xb_agent_send(g2, "await-close %d", T);
    gint64 start = g_get_monotonic_time();
    int status = xb_daemon_stop(f->env, SIGTERM, T);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    /* The frontends answered: no wait for the 3 s grace period. */
    g_assert_cmpint(g_get_monotonic_time() - start, <, 2 * G_USEC_PER_SEC);
    for (int i = 0; i < 2; i++) {
        char *answer = xb_agent_recv(i ? g2 : g1, CLOSE_MS);
        g_assert_cmpstr(answer, ==, "ok 5");
        g_free(answer);
    }
    g_assert_false(xb_exists(f->env, "/local/domain/0/libxl/xen-9pfs"));
    g_assert_cmpint(frontend_state(f, devid, "6"), ==, 6);
    char *log = xb_daemon_log(f->env);
    g_assert_nonnull(strstr(log, "stopping: closing every device"));
    g_free(log);
    g_free(stub);
    g_free(spec);
}

/* One xen9pd at a time: the second refuses, the first is unharmed. */
static void test_second_daemon(Fixture *f, gconstpointer data)
{
    char *claim = xb_read(f->env, "/local/domain/0/libxl/xen-9pfs/xen9pd-pid");
    g_assert_cmpint(atoi(claim), ==, xb_daemon_pid(f->env));
    char *output = NULL;
    int status = xb_daemon_run_second(f->env, &output);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(output, "another xen9pd already serves 9pfs devices"));
    char *still = xb_read(f->env, "/local/domain/0/libxl/xen-9pfs/xen9pd-pid");
    g_assert_cmpstr(still, ==, claim);
    xb_assert_daemon_alive(f->env);
    unsigned devid = attach_share(f);
    XbAgent *g = xb_agent_start(f->env, 1);
    xb_agent_mount(g, devid, false);
    use_share(g, 12);
    xb_agent_close(g);
    xb_agent_kill(g);
    g_free(output);
    g_free(claim);
    g_free(still);
}

/* ---- configuration errors ---- */

struct bad_config {
    const char *name;
    const char *keys[4];        /* the backend keys a toolstack writes ("@": the share) */
    const char *spec;           /* what an admin types for xen9p attach ("@": the share) */
    const char *reason;         /* in the error node / xen9p's message */
};

static const struct bad_config bad_configs[] = {
    { "no-path", { "security_model=none" }, "tag=bad,security_model=none",
      "path" },
    { "relative-path", { "path=relative/dir" }, "tag=bad,path=relative/dir",
      "path" },
    { "dotdot", { "path=@/../escape" }, "tag=bad,path=@/../escape",
      ".." },
    { "security-model", { "path=@", "security_model=bogus" },
      "tag=bad,path=@,security_model=bogus", "security_model" },
    { "quota", { "path=@", "max-files=lots" }, "tag=bad,path=@,max-files=lots",
      "max-files" },
    { "opt-in", { "path=@", "allow-setid=2" }, "tag=bad,path=@,allow-setid=2",
      "allow-setid" },
    { "host-root", { "path=//./" }, "tag=bad,path=/", "dom0's whole file system" },
};

/* xen9p attach takes an xl p9 line: blanks, type=, backend=, a domain name;
 * --dry-run prints the nodes and writes none. */
static void test_cli_xl_line(Fixture *f, gconstpointer data)
{
    char *out = NULL, *err = NULL;
    char *line = g_strdup_printf(" tag = xl , path = %s , type=xen_9pfsd, backend=0 ,"
                                 "security_model=mapped", f->share);
    g_assert_cmpint(xb_xen9p(f->env, &out, &err, "attach", "--dry-run", "guest1", line, NULL),
                    ==, 0);
    char *want = g_strdup_printf("/local/domain/0/backend/xen_9pfs/1/0/path = \"%s\"", f->share);
    g_assert_nonnull(strstr(out, want));
    g_assert_nonnull(strstr(out, "/local/domain/1/device/9pfs/0/tag = \"xl\""));
    g_assert_nonnull(strstr(out, "/local/domain/0/backend/xen_9pfs/1/0/security_model = \"mapped\""));
    g_free(want);
    g_free(out);
    g_free(err);
    char *nothing = xb_read(f->env, "/local/domain/1/device/9pfs/0/tag");
    g_assert_null(nothing);
    /* for real, by name; then detached by name */
    g_assert_cmpint(xb_xen9p(f->env, &out, &err, "attach", "guest1", line, NULL), ==, 0);
    g_assert_cmpstr(out, ==, "0\n");
    g_free(out);
    g_free(err);
    /* list, one domain's, by name, as JSON */
    g_assert_cmpint(xb_xen9p(f->env, &out, NULL, "list", "guest1", "--json", NULL), ==, 0);
    g_test_message("%s", out);
    g_assert_true(g_str_has_prefix(out, "{\"devices\": [\n  {\"domain\": 1, \"devid\": 0, "
                                        "\"tag\": \"xl\""));
    g_assert_nonnull(strstr(out, "\"daemon\": {\"pid\": "));
    g_assert_true(g_str_has_suffix(out, "}}\n"));
    g_free(out);
    g_assert_cmpint(xb_xen9p(f->env, &out, NULL, "list", "7", "--json", NULL), ==, 0);
    g_assert_true(g_str_has_prefix(out, "{\"devices\": [\n],\n\"daemon\": {"));
    g_free(out);
    g_assert_cmpint(xb_xen9p(f->env, NULL, NULL, "list", "noguest", NULL), ==, 2);
    g_assert_cmpint(xb_xen9p(f->env, NULL, NULL, "detach", "guest1", "xl", NULL), ==, 0);
    g_free(line);
    /* what xl refuses, refused */
    static const char *const bad[] = { "type=qemu", "backend=nosuchdomain", "nokey" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        line = g_strdup_printf("tag=xl,path=%s,%s", f->share, bad[i]);
        g_assert_cmpint(xb_xen9p(f->env, NULL, &err, "attach", "guest1", line, NULL), ==, 2);
        g_test_message("%s: %s", bad[i], err);
        g_free(err);
        g_free(line);
    }
    line = g_strdup_printf("tag=xl,path=%s,backend=guest1", f->share);
    g_assert_cmpint(xb_xen9p(f->env, NULL, &err, "attach", "guest1", line, NULL), ==, 1);
    g_assert_nonnull(strstr(err, "xen9pd serves from domain 0"));
    g_free(err);
    g_free(line);
    g_assert_cmpint(xb_xen9p(f->env, NULL, &err, "attach", "noguest", "tag=x,path=/x", NULL), ==, 2);
    g_assert_nonnull(strstr(err, "no domain \"noguest\""));
    g_free(err);
}

/* `template` with every "@" replaced by `share`. */
static char *with_share(const char *template, const char *share)
{
    char **parts = g_strsplit(template, "@", -1);
    char *s = g_strjoinv(share, parts);
    g_strfreev(parts);
    return s;
}

static void test_bad_config(Fixture *f, gconstpointer data)
{
    const struct bad_config *c = data;
    char *keys[4] = { NULL };
    for (int i = 0; i < 3 && c->keys[i]; i++)
        keys[i] = with_share(c->keys[i], f->share);
    /* As libxl writes it: the device is Closed with an error node. */
    xb_toolstack_add(f->env, 1, 0, "bad", (const char *const *)keys);
    g_assert_cmpint(backend_state(f, 0, "6"), ==, 6);
    char *error = xb_read(f->env, "/local/domain/0/backend/xen_9pfs/1/0/error");
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error, c->reason));
    XbList *l = xb_list(f->env);
    const XbDevice *d = xb_list_find(l, 1, 0);
    g_assert_nonnull(d);
    g_assert_cmpstr(d->state, ==, "Failed");
    g_assert_cmpstr(d->error, ==, error);
    xb_list_free(l);
    g_assert_cmpint(xb_toolstack_remove(f->env, 1, 0, T), ==, 6);
    assert_no_devices(f);
    /* As an admin types it: xen9p attach exits 1 and says why. */
    char *spec = with_share(c->spec, f->share), *out = NULL, *err = NULL;
    g_assert_cmpint(xb_xen9p(f->env, &out, &err, "attach", "1", spec, NULL), ==, 1);
    g_assert_cmpstr(out, ==, "");
    g_assert_nonnull(strstr(err, c->reason));
    /* Nothing is left behind. */
    g_assert_false(xb_exists(f->env, "/local/domain/0/backend/xen_9pfs/1/0"));
    g_assert_false(xb_exists(f->env, "/local/domain/1/device/9pfs/0"));
    assert_no_devices(f);
    assert_fds_back(f);
    xb_assert_daemon_alive(f->env);
    for (int i = 0; i < 4; i++)
        g_free(keys[i]);
    g_free(spec);
    g_free(out);
    g_free(err);
    g_free(error);
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add("/xenbackend/lifecycle/connect-close", Fixture, NULL, setup, test_connect_close,
               teardown);
    g_test_add("/xenbackend/lifecycle/reprobe", Fixture, NULL, setup, test_reprobe, teardown);
    g_test_add("/xenbackend/lifecycle/opt-ins", Fixture, NULL, setup, test_opt_ins, teardown);
    g_test_add("/xenbackend/lifecycle/driver-unbind", Fixture, NULL, setup, test_driver_unbind,
               teardown);
    g_test_add("/xenbackend/lifecycle/detach-connected", Fixture, NULL, setup,
               test_detach_connected, teardown);
    g_test_add("/xenbackend/lifecycle/toolstack-removal", Fixture, NULL, setup,
               test_toolstack_removal, teardown);
    g_test_add("/xenbackend/lifecycle/backend-dir-removed", Fixture, NULL, setup,
               test_backend_dir_removed, teardown);
    g_test_add("/xenbackend/lifecycle/destroy-connected", Fixture, NULL, setup,
               test_destroy_connected, teardown);
    g_test_add("/xenbackend/lifecycle/destroy-connected-toolstack", Fixture, NULL, setup,
               test_destroy_connected_toolstack, teardown);
    g_test_add("/xenbackend/lifecycle/destroy-initwait", Fixture, NULL, setup,
               test_destroy_initwait, teardown);
    g_test_add("/xenbackend/lifecycle/destroy-before-frontend", Fixture, NULL, setup,
               test_destroy_before_frontend, teardown);
    g_test_add("/xenbackend/lifecycle/daemon-after-nodes", Fixture, NULL, setup_late,
               test_daemon_after_nodes, teardown);
    g_test_add("/xenbackend/lifecycle/restart-connected", Fixture, NULL, setup,
               test_restart_connected, teardown);
    g_test_add("/xenbackend/lifecycle/sigterm", Fixture, NULL, setup, test_sigterm, teardown);
    g_test_add("/xenbackend/lifecycle/cli-xl-line", Fixture, NULL, setup, test_cli_xl_line,
               teardown);
    g_test_add("/xenbackend/lifecycle/second-daemon", Fixture, NULL, setup, test_second_daemon,
               teardown);
    for (size_t i = 0; i < G_N_ELEMENTS(bad_configs); i++) {
        char *name = g_strdup_printf("/xenbackend/lifecycle/bad-config/%s", bad_configs[i].name);
        g_test_add(name, Fixture, &bad_configs[i], setup, test_bad_config, teardown);
        g_free(name);
    }
    return g_test_run();
}
