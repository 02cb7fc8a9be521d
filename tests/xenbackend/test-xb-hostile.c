// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Hostile guests (docs/design.md "Safety: the guest is hostile"), each while a
 * well-behaved domain keeps writing and verifying files on its own device:
 * corrupt ring indices, ring orders 0 and 10, a grant ref that does not
 * exist, 9P size fields 0 and 0xffffffff, an event storm, a guest destroyed
 * in the middle of a large write.  Each time the bad device ends (Closing,
 * then Closed, with an `error` node naming the fault), xen9pd lives on, the
 * good domain's traffic never fails, nothing of the bad domain stays mapped
 * or bound (the emulator's view of xen9pd and `xen9p list`'s totals) and
 * xen9pd holds as many file descriptors as before.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tests/xenbackend/xb-env.h"

#define T XB_TIMEOUT_MS
#define GOOD 1
#define BAD 2
#define LINUX_PAGES (2 * (1 + 512))

typedef struct {
    XbEnv *env;
    XbAgent *good, *bad;
    unsigned bad_dev;
    unsigned baseline_fds;
    gint64 traffic_start;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    f->env = xb_env_new();
    xb_create_domain(f->env, GOOD);
    xb_create_domain(f->env, BAD);
    xb_daemon_start(f->env, false);
    char *good_dir = xb_mkdir(f->env, "good"), *bad_dir = xb_mkdir(f->env, "bad");
    char *spec = g_strdup_printf("tag=good,path=%s", good_dir);
    unsigned good_dev = xb_attach(f->env, GOOD, spec);
    f->good = xb_agent_start(f->env, GOOD);
    xb_agent_mount(f->good, good_dev, false);
    /* Warm up (the traffic's files exist), then count the daemon's fds. */
    xb_agent_send(f->good, "traffic");
    g_usleep(300000);
    xb_agent_send(f->good, "stop");
    char *answer = xb_agent_recv(f->good, T);
    g_assert_true(g_str_has_prefix(answer, "ok "));
    g_free(answer);
    f->baseline_fds = xb_fd_count(f->env, xb_daemon_pid(f->env));
    xb_agent_send(f->good, "traffic");
    f->traffic_start = g_get_monotonic_time();
    g_free(spec);
    spec = g_strdup_printf("tag=bad,path=%s", bad_dir);
    f->bad_dev = xb_attach(f->env, BAD, spec);
    f->bad = xb_agent_start(f->env, BAD);
    g_free(spec);
    g_free(good_dir);
    g_free(bad_dir);
}

/* The good domain never noticed; the daemon holds only what it holds for it. */
static void teardown(Fixture *f, gconstpointer data)
{
    xb_agent_send(f->good, "stop");
    char *answer = xb_agent_recv(f->good, T);
    guint64 rounds = 0, worst_ms = 0;
    if (!answer || sscanf(answer, "ok %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, &rounds,
                          &worst_ms) != 2)
        g_error("the good domain's traffic failed: %s", answer ? answer : "(no answer)");
    g_test_message("good domain: %" G_GUINT64_FORMAT " rounds in %.1f s, slowest %"
                   G_GUINT64_FORMAT " ms", rounds,
                   (g_get_monotonic_time() - f->traffic_start) / 1e6, worst_ms);
    g_assert_cmpuint(rounds, >, 0);
    g_free(answer);
    xb_agent_assert_clean(f->good);
    GPid pid = xb_daemon_pid(f->env);
    g_assert_cmpuint(xb_wait_fd_count(f->env, pid, f->baseline_fds, 5000), ==, f->baseline_fds);
    XbList *l = xb_list(f->env);
    g_assert_cmpuint(l->mapped_pages, ==, LINUX_PAGES);
    g_assert_cmpuint(l->event_channels, ==, 2);
    xb_list_free(l);
    xb_agent_close(f->good);
    xb_env_free(f->env);
}

/* Nothing of the bad domain in xen9pd: no page, no channel, list totals = the good device. */
static void assert_bad_released(Fixture *f)
{
    xb_assert_daemon_alive(f->env);
    GPid pid = xb_daemon_pid(f->env);
    g_assert_cmpuint(xb_mapped_pages(f->env, pid, BAD), ==, 0);
    g_assert_cmpuint(xb_bound_ports(f->env, BAD), ==, 0);
    g_assert_cmpuint(xb_mapped_pages(f->env, pid, GOOD), ==, LINUX_PAGES);
    g_assert_cmpuint(xb_bound_ports(f->env, GOOD), ==, 2);
    XbList *l = xb_list(f->env);
    g_assert_cmpuint(l->mapped_pages, ==, LINUX_PAGES);
    g_assert_cmpuint(l->event_channels, ==, 2);
    xb_list_free(l);
}

static char *bad_path(Fixture *f, const char *key)
{
    return g_strdup_printf("/local/domain/0/backend/xen_9pfs/%u/%u/%s", BAD, f->bad_dev, key);
}

/*
 * The bad device ended with `fault` in its error node: Closing (or Closed
 * once the frontend answered), everything released; then the guest closes
 * as Linux would and the admin detaches it.
 */
static void expect_fault(Fixture *f, const char *fault, bool guest_closes)
{
    char *state = bad_path(f, "state"), *error_node = bad_path(f, "error");
    int st = xb_wait_state(f->env, state, "5,6", T);
    g_assert_true(st == 5 || st == 6);
    char *error = xb_read(f->env, "%s", error_node);
    if (!error || !strstr(error, fault))
        g_error("bad device: error node \"%s\", expected \"%s\"", error ? error : "(none)", fault);
    g_test_message("bad device: %s", error);
    XbList *l = xb_list(f->env);
    const XbDevice *d = xb_list_find(l, BAD, f->bad_dev);
    g_assert_nonnull(d);
    g_assert_true(strcmp(d->state, "Closing") == 0 || strcmp(d->state, "Closed") == 0);
    g_assert_cmpstr(d->error, ==, error);
    xb_list_free(l);
    assert_bad_released(f);
    if (guest_closes)
        xb_agent_close(f->bad);
    g_assert_cmpint(xb_wait_state(f->env, state, "6", T), ==, 6);
    xb_detach(f->env, BAD, "bad");
    g_assert_true(xb_wait_gone(f->env, state, T));
    g_free(state);
    g_free(error_node);
    g_free(error);
}

static void mount_bad(Fixture *f)
{
    xb_agent_mount(f->bad, f->bad_dev, false);
}

static void test_out_prod_ahead(Fixture *f, gconstpointer data)
{
    mount_bad(f);
    g_free(xb_agent_ok(f->bad, T, "out-prod-ahead"));
    expect_fault(f, "producer index more than the ring size ahead", true);
}

static void test_in_cons_past(Fixture *f, gconstpointer data)
{
    mount_bad(f);
    g_free(xb_agent_ok(f->bad, T, "in-cons-past"));
    expect_fault(f, "consumer index", true);
}

static void test_size_zero(Fixture *f, gconstpointer data)
{
    mount_bad(f);
    g_free(xb_agent_ok(f->bad, T, "raw-size 0"));
    expect_fault(f, "message size below the 9P header size", true);
}

static void test_size_max(Fixture *f, gconstpointer data)
{
    mount_bad(f);
    g_free(xb_agent_ok(f->bad, T, "raw-size 0xffffffff"));
    expect_fault(f, "message size over the limit", true);
}

/* The handshake itself refuses: the frontend's connect fails with the reason. */
static void refused_connect(Fixture *f, const char *option, const char *fault)
{
    char *answer = xb_agent_call(f->bad, T, "connect device/9pfs/%u linux %s", f->bad_dev,
                                 option);
    if (!g_str_has_prefix(answer, "err ") || !strstr(answer, fault))
        g_error("connect with %s answered \"%s\"", option, answer);
    g_free(answer);
    expect_fault(f, fault, false);
}

static void test_ring_order_0(Fixture *f, gconstpointer data)
{
    refused_connect(f, "order=0", "ring_order 0 outside 1..9");
}

static void test_ring_order_10(Fixture *f, gconstpointer data)
{
    refused_connect(f, "order=10", "ring_order 10 outside 1..9");
}

static void test_bad_grant_ref(Fixture *f, gconstpointer data)
{
    refused_connect(f, "badref", "cannot map interface page");
}

/* Notifications as fast as the guest can send them: not a protocol violation,
 * the device stays up and the daemon stays responsive. */
static void test_event_storm(Fixture *f, gconstpointer data)
{
    mount_bad(f);
    xb_agent_send(f->bad, "storm 3000");
    gint64 end = g_get_monotonic_time() + 2500 * 1000, worst = 0;
    unsigned lists = 0;
    while (g_get_monotonic_time() < end) {
        gint64 start = g_get_monotonic_time();
        XbList *l = xb_list(f->env);
        worst = MAX(worst, g_get_monotonic_time() - start);
        g_assert_cmpuint(l->devices, ==, 2);
        xb_list_free(l);
        lists++;
        g_usleep(50000);
    }
    char *answer = xb_agent_recv(f->bad, T);
    g_assert_nonnull(answer);
    g_assert_true(g_str_has_prefix(answer, "ok "));
    g_test_message("storm: %s notifications; %u xen9p list, slowest %" G_GINT64_FORMAT " ms",
                   answer + 3, lists, worst / 1000);
    g_assert_cmpint(worst, <, G_USEC_PER_SEC);
    g_free(answer);
    xb_assert_daemon_alive(f->env);
    /* The stormer's own device still works. */
    g_free(xb_agent_ok(f->bad, T, "write after-storm 100000 3 4"));
    g_free(xb_agent_ok(f->bad, T, "verify after-storm 100000 3 4"));
    xb_agent_assert_clean(f->bad);
    xb_agent_close(f->bad);
    xb_detach(f->env, BAD, "bad");
    assert_bad_released(f);
}

/* The guest's domain is destroyed while a large write is in flight. */
static void test_vanish_mid_write(Fixture *f, gconstpointer data)
{
    mount_bad(f);
    xb_agent_send(f->bad, "stream big %u", 1u << 30);
    char *answer = xb_agent_recv(f->bad, T);
    g_assert_cmpstr(answer, ==, "started");
    g_free(answer);
    g_usleep(100000);
    xb_destroy_domain(f->env, BAD);
    xb_agent_kill(f->bad);
    f->bad = NULL;
    /* xen9p's nodes are removed by the daemon: nobody else will. */
    char *dir = g_strdup_printf("/local/domain/0/backend/xen_9pfs/%u/%u", BAD, f->bad_dev);
    g_assert_true(xb_wait_gone(f->env, dir, T));
    g_free(dir);
    for (int i = 0; i < 500; i++) {
        XbList *l = xb_list(f->env);
        unsigned n = l->devices;
        xb_list_free(l);
        if (n == 1)
            break;
        g_usleep(10000);
    }
    assert_bad_released(f);
}

/*
 * The bad domain's worker dies (SIGSEGV, as a memory-safety bug would end
 * it) in the middle of its guest's traffic: only that device ends (Closing,
 * then Closed, an `error` node naming the signal, a log line naming device,
 * domain and cause, the crash counted), the good domain's traffic never
 * fails, and the frontend's next connect is served by a fresh worker.
 */
static void test_worker_crash(Fixture *f, gconstpointer data)
{
    mount_bad(f);
    XbList *l = xb_list(f->env);
    const XbDevice *d = xb_list_find(l, BAD, f->bad_dev);
    g_assert_nonnull(d);
    int pid = d->worker_pid;
    g_assert_cmpint(pid, >, 0);
    g_assert_cmpint(xb_list_find(l, GOOD, 0)->worker_pid, !=, pid);
    xb_list_free(l);
    xb_agent_send(f->bad, "traffic");
    g_usleep(300000);
    g_assert_cmpint(kill(pid, SIGSEGV), ==, 0);
    char *state = bad_path(f, "state");
    g_assert_cmpint(xb_wait_state(f->env, state, "5,6", T), >=, 5);
    char *error_node = bad_path(f, "error");
    char *error = xb_read(f->env, "%s", error_node);
    g_free(error_node);
    g_assert_nonnull(error);
    g_assert_nonnull(strstr(error, "killed by signal 11"));
    g_free(error);
    /* The guest's traffic fails (its device is gone); the good domain's does not. */
    char *answer = xb_agent_recv(f->bad, T);
    g_assert_nonnull(answer);
    g_assert_true(g_str_has_prefix(answer, "err "));
    g_free(answer);
    char *expected = g_strdup_printf("device 2/%u (domain 2): worker %d killed by signal 11",
                                     f->bad_dev, pid);
    char *log = xb_daemon_log(f->env);
    if (!strstr(log, expected))
        g_error("no \"%s\" in the daemon's log:\n%s", expected, log);
    g_free(log);
    g_free(expected);
    assert_bad_released(f);
    /* The frontend closes as Linux does, connects again, and is served. */
    xb_agent_close(f->bad);
    g_assert_cmpint(xb_wait_state(f->env, state, "6", T), ==, 6);
    mount_bad(f);
    g_free(xb_agent_ok(f->bad, T, "write after-crash 100000 3 4"));
    g_free(xb_agent_ok(f->bad, T, "verify after-crash 100000 3 4"));
    l = xb_list(f->env);
    d = xb_list_find(l, BAD, f->bad_dev);
    g_assert_cmpstr(d->state, ==, "Connected");
    g_assert_cmpuint(d->crashes, ==, 1);
    g_assert_cmpint(d->worker_pid, >, 0);
    g_assert_cmpint(d->worker_pid, !=, pid);
    g_assert_cmpuint(xb_list_find(l, GOOD, 0)->crashes, ==, 0);
    xb_list_free(l);
    xb_agent_close(f->bad);
    xb_detach(f->env, BAD, "bad");
    assert_bad_released(f);
    g_free(state);
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add("/xenbackend/hostile/out-prod-ahead", Fixture, NULL, setup, test_out_prod_ahead,
               teardown);
    g_test_add("/xenbackend/hostile/in-cons-past-in-prod", Fixture, NULL, setup,
               test_in_cons_past, teardown);
    g_test_add("/xenbackend/hostile/ring-order-0", Fixture, NULL, setup, test_ring_order_0,
               teardown);
    g_test_add("/xenbackend/hostile/ring-order-10", Fixture, NULL, setup, test_ring_order_10,
               teardown);
    g_test_add("/xenbackend/hostile/bad-grant-ref", Fixture, NULL, setup, test_bad_grant_ref,
               teardown);
    g_test_add("/xenbackend/hostile/size-0", Fixture, NULL, setup, test_size_zero, teardown);
    g_test_add("/xenbackend/hostile/size-0xffffffff", Fixture, NULL, setup, test_size_max,
               teardown);
    g_test_add("/xenbackend/hostile/event-storm", Fixture, NULL, setup, test_event_storm,
               teardown);
    g_test_add("/xenbackend/hostile/vanish-mid-write", Fixture, NULL, setup,
               test_vanish_mid_write, teardown);
    g_test_add("/xenbackend/hostile/worker-crash", Fixture, NULL, setup, test_worker_crash,
               teardown);
    return g_test_run();
}
