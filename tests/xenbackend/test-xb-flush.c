// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tflush across rings (docs/design.md "Tflush and cancelled requests"): Linux
 * sends a request on ring tag % 2 and its Tflush, with the next tag, on the
 * other ring.  A request blocked in the backend (a Tread of a FIFO whose
 * writer never writes, a Tlopen of a FIFO with no writer) is flushed: the
 * Rflush comes, nothing ever comes for the old tag, the trace shows the
 * cancel.  A request that completed while its reply sits unconsumed on one
 * ring gets its Rflush on the other ring only after the guest consumed it.
 * The trace itself: `xen9p trace` switches it per device while the device
 * serves, and the events carry QEMU's names.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/proto/p9_table.h"
#include "tests/xenbackend/xb-env.h"

#define T XB_TIMEOUT_MS

typedef struct {
    XbEnv *env;
    char *share;
    XbAgent *guest;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    bool minios = data != NULL;
    f->env = xb_env_new();
    f->share = xb_mkdir(f->env, "share");
    xb_create_domain(f->env, 1);
    xb_daemon_start(f->env, true);
    char *spec = g_strdup_printf("tag=flush,path=%s", f->share);
    unsigned devid = xb_attach(f->env, 1, spec);
    g_free(spec);
    f->guest = xb_agent_start(f->env, 1);
    xb_agent_mount(f->guest, devid, minios);
}

static void teardown(Fixture *f, gconstpointer data)
{
    xb_agent_close(f->guest);
    xb_env_free(f->env);
    g_free(f->share);
}

static char *make_fifo(Fixture *f, const char *name)
{
    char *path = g_build_filename(f->share, name, NULL);
    g_assert_cmpint(mkfifo(path, 0644), ==, 0);
    return path;
}

static bool log_contains(Fixture *f, const char *needle)
{
    char *log = xb_daemon_log(f->env);
    bool found = strstr(log, needle) != NULL;
    g_free(log);
    return found;
}

/* The daemon's log has the line now. */
static bool log_has(Fixture *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool log_has(Fixture *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *needle = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    bool found = log_contains(f, needle);
    g_free(needle);
    return found;
}

/* The line reaches the log within 5 s: a worker's trace goes through the
 * supervisor, which relays it a moment later. */
static bool log_shows(Fixture *f, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool log_shows(Fixture *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *needle = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    gint64 until = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    bool found;
    while (!(found = log_contains(f, needle)) && g_get_monotonic_time() < until)
        g_usleep(20000);
    g_free(needle);
    return found;
}

/* "OLDTAG FLUSHTAG [FID]" from the agent. */
static void parse_tags(const char *answer, unsigned *old, unsigned *flush, unsigned *fid)
{
    int n = sscanf(answer, "%u %u %u", old, flush, fid);
    g_assert_cmpint(n, >=, 2);
}

/* After the Rflush: no reply for the old tag, ever; the session still works. */
static void assert_nothing_late(Fixture *f, unsigned old, unsigned id)
{
    g_usleep(300000);
    xb_agent_assert_clean(f->guest);
    g_free(xb_agent_ok(f->guest, T, "stat"));
    g_assert_true(log_shows(f, "v9fs_rcancel 1/0 tag=%u id=%u ", old, id));
    g_assert_false(log_has(f, "%s_return 1/0 tag=%u id=%u ",
                           p9_op_find(id, P9_DIALECT_NONE)->trace, old, id));
    g_assert_false(log_has(f, "v9fs_rerror 1/0 tag=%u id=%u ", old, id));
}

static void flush_read(Fixture *f, unsigned rings)
{
    char *fifo = make_fifo(f, "fifo");
    /* Holding both ends: the guest's open returns, its read blocks. */
    int fd = open(fifo, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    char *answer = xb_agent_ok(f->guest, T, "flush-read fifo");
    unsigned old, flush, fid;
    parse_tags(answer, &old, &flush, &fid);
    g_assert_cmpuint(old % rings, ==, 0);
    g_assert_cmpuint(flush % rings, ==, 1 % rings);
    g_assert_true(log_shows(f, "v9fs_flush 1/0 tag=%u id=108 oldtag=%u", flush, old));
    /* The abandoned read now returns in the backend: its result must go nowhere. */
    g_assert_cmpint(write(fd, "late", 4), ==, 4);
    assert_nothing_late(f, old, 116);
    g_free(xb_agent_ok(f->guest, T, "clunk %u", fid));
    close(fd);
    g_free(answer);
    g_free(fifo);
}

static void test_flush_read(Fixture *f, gconstpointer data)
{
    flush_read(f, 2);
}

static void test_flush_read_one_ring(Fixture *f, gconstpointer data)
{
    flush_read(f, 1);
}

static void test_flush_open(Fixture *f, gconstpointer data)
{
    char *fifo = make_fifo(f, "lonely");
    char *answer = xb_agent_ok(f->guest, T, "flush-open lonely");
    unsigned old, flush, fid;
    parse_tags(answer, &old, &flush, &fid);
    g_assert_cmpuint(old % 2, ==, 0);
    g_assert_cmpuint(flush % 2, ==, 1);
    /* The backend's open(2) was interrupted: no reader is left on the FIFO. */
    int fd = -1, err = 0;
    for (int i = 0; i < 200; i++) {
        fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        err = errno;
        if (fd < 0 && err == ENXIO)
            break;
        if (fd >= 0)
            close(fd);
        g_usleep(10000);
    }
    g_assert_cmpint(fd, <, 0);
    g_assert_cmpint(err, ==, ENXIO);
    assert_nothing_late(f, old, 12);
    g_free(xb_agent_ok(f->guest, T, "clunk %u", fid));
    g_free(answer);
    g_free(fifo);
}

static void test_flush_order(Fixture *f, gconstpointer data)
{
    for (int round = 0; round < 3; round++) {
        char *answer = xb_agent_ok(f->guest, T, "flush-order");
        unsigned old, flush, fid = 0;
        parse_tags(answer, &old, &flush, &fid);
        g_assert_cmpuint(old % 2, ==, 0);
        g_assert_cmpuint(flush % 2, ==, 1);
        g_assert_true(log_shows(f, "v9fs_getattr_return 1/0 tag=%u id=24 valid=", old));
        g_assert_true(log_shows(f, "v9fs_flush_return 1/0 tag=%u id=108", flush));
        g_free(answer);
    }
    xb_agent_assert_clean(f->guest);
}

/* Runs `xen9p trace ARGS...`: its exit code, its output in *out (g_free). */
static int xen9p_trace(Fixture *f, char **out, const char *dom, const char *dev, const char *state)
{
    char *err = NULL;
    int rc = dev ? xb_xen9p(f->env, out, &err, "trace", dom, dev, state, NULL)
                 : xb_xen9p(f->env, out, &err, "trace", dom, state, NULL);
    if (rc)
        g_test_message("xen9p trace %s: exit %d: %s", dom, rc, err);
    g_free(err);
    return rc;
}

/* Two guests, one device each, the daemon started without --trace: only the
 * device switched on traces, from its next request, and `all off` ends it. */
static void test_trace_switch(void)
{
    if (g_getenv("XB_TRACE")) {
        g_test_skip("XB_TRACE traces every device from the start");
        return;
    }
    Fixture f = { .env = xb_env_new() };
    f.share = xb_mkdir(f.env, "share");
    xb_create_domain(f.env, 1);
    xb_create_domain(f.env, 2);
    xb_daemon_start(f.env, false);
    char *spec = g_strdup_printf("tag=one,path=%s", f.share);
    unsigned dev1 = xb_attach(f.env, 1, spec);
    g_free(spec);
    spec = g_strdup_printf("tag=two,path=%s", f.share);
    unsigned dev2 = xb_attach(f.env, 2, spec);
    g_free(spec);
    XbAgent *b = xb_agent_start(f.env, 2);
    f.guest = xb_agent_start(f.env, 1);
    xb_agent_mount(f.guest, dev1, false);
    xb_agent_mount(b, dev2, false);
    g_free(xb_agent_ok(f.guest, T, "stat"));
    g_assert_false(log_has(&f, "v9fs_"));

    char *out = NULL, *expected = g_strdup_printf("1/%u: tracing on\n", dev1);
    g_assert_cmpint(xen9p_trace(&f, &out, "1", "one", "on"), ==, 0);
    g_assert_cmpstr(out, ==, expected);
    g_free(out);
    g_free(expected);
    g_free(xb_agent_ok(f.guest, T, "stat"));
    g_free(xb_agent_ok(b, T, "stat"));
    g_assert_true(log_shows(&f, "v9fs_getattr 1/%u tag=", dev1));
    g_assert_true(log_shows(&f, "v9fs_getattr_return 1/%u tag=", dev1));
    g_free(xb_agent_ok(b, T, "stat"));
    g_assert_false(log_has(&f, " 2/%u tag=", dev2));

    g_assert_cmpint(xen9p_trace(&f, &out, "all", NULL, "off"), ==, 0);
    expected = g_strdup_printf("1/%u: tracing off\n2/%u: tracing off\n", dev1, dev2);
    g_assert_cmpstr(out, ==, expected);
    g_free(out);
    g_free(expected);
    char *before = xb_daemon_log(f.env);
    g_free(xb_agent_ok(f.guest, T, "stat"));
    g_usleep(300000);
    char *after = xb_daemon_log(f.env);
    g_assert_null(strstr(after + strlen(before), "v9fs_"));
    g_free(before);
    g_free(after);

    /* what names nothing is refused */
    g_assert_cmpint(xen9p_trace(&f, NULL, "1", "nosuch", "on"), ==, 1);
    g_assert_cmpint(xen9p_trace(&f, NULL, "7", NULL, "on"), !=, 0);
    g_assert_cmpint(xen9p_trace(&f, NULL, "1", NULL, "maybe"), !=, 0);
    xb_assert_daemon_alive(f.env);
    xb_agent_close(b);
    teardown(&f, NULL);
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    static const int minios = 1;
    g_test_add("/xenbackend/flush/blocked-read", Fixture, NULL, setup, test_flush_read,
               teardown);
    g_test_add("/xenbackend/flush/blocked-open", Fixture, NULL, setup, test_flush_open,
               teardown);
    g_test_add("/xenbackend/flush/unconsumed-reply", Fixture, NULL, setup, test_flush_order,
               teardown);
    g_test_add("/xenbackend/flush/blocked-read-one-ring", Fixture, &minios, setup,
               test_flush_read_one_ring, teardown);
    g_test_add_func("/xenbackend/trace/switch-per-device", test_trace_switch);
    return g_test_run();
}
