// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tflush, exactly as docs/design.md "Tflush and cancelled requests" says (the
 * cases mirror QEMU's virtio-9p qtests): a blocked request flushed gets no
 * reply, a completed one keeps its reply and the Rflush waits until that
 * reply is delivered, even across origins (rings); unknown tags are flushed
 * at once; tags may be reused right after the Rflush.  Requests are blocked
 * on FIFOs of the export whose other end the test holds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tests/unit/server-harness.h"

#define ROOT 1
#define BLOCKED_MS 200      /* long enough to call a request blocked */
#define SILENCE_MS 400      /* how long "no reply ever" is watched */
#define PROMPT_MS 2000      /* an answer "at once" comes well within this */

/* ---- helpers ---- */

/* Makes FIFO `name` in the export and opens it on the host with `flags`. */
static int make_fifo(struct harness *h, const char *name, int flags)
{
    char *path = h_path(h, name);
    g_assert_cmpint(mkfifo(path, 0666), ==, 0);
    int fd = open(path, flags | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_free(path);
    return fd;
}

static int bytes_in_pipe(int fd)
{
    int n = -1;
    g_assert_cmpint(ioctl(fd, FIONREAD, &n), ==, 0);
    return n;
}

/* Opens FIFO `name` as `fid` for writing and fills the pipe (one page) through it. */
static int open_full_fifo(struct harness *h, const char *name, uint32_t fid)
{
    int rd = make_fifo(h, name, O_RDONLY | O_NONBLOCK);
    int cap = fcntl(rd, F_SETPIPE_SZ, 4096);
    g_assert_cmpint(cap, ==, 4096);
    g_assert_cmpint(h_walk(h, ROOT, fid, name, NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, fid, P9_DOTL_WRONLY, NULL), ==, 0);
    char *fill = g_malloc0(cap);
    g_assert_cmpint(h_write(h, fid, 0, fill, cap), ==, cap);
    g_free(fill);
    g_assert_cmpint(bytes_in_pipe(rd), ==, cap);
    return rd;
}

/* Opens FIFO `name` as `fid` for reading; returns the host's read-write end. */
static int open_empty_fifo(struct harness *h, const char *name, uint32_t fid)
{
    /* O_RDWR: a writer exists, so the server's open does not block and its
     * reads block (instead of seeing end-of-file). */
    int rw = make_fifo(h, name, O_RDWR);
    g_assert_cmpint(h_walk(h, ROOT, fid, name, NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, fid, P9_DOTL_RDONLY, NULL), ==, 0);
    return rw;
}

static void submit_write(struct harness *h, uint16_t tag, uint32_t fid, const char *data,
                         uint32_t origin)
{
    union p9_arg a[3] = { { .d = fid }, { .q = 0 } };
    a[2].D = (struct p9_data){ .count = strlen(data), .ptr = (const uint8_t *)data };
    h_submit(h, P9_TWRITE, tag, a, origin);
}

static void submit_read(struct harness *h, uint16_t tag, uint32_t fid, uint32_t count)
{
    union p9_arg a[3] = { { .d = fid }, { .q = 0 }, { .d = count } };
    h_submit(h, P9_TREAD, tag, a, 0);
}

static void submit_flush(struct harness *h, uint16_t tag, uint16_t oldtag, uint32_t origin)
{
    union p9_arg a[1] = { { .w = oldtag } };
    h_submit(h, P9_TFLUSH, tag, a, origin);
}

/* Waits (up to `ms`) for the Rflush of `tag`, on `origin`, and delivers it. */
static void expect_rflush(struct harness *h, uint16_t tag, uint32_t origin, unsigned ms)
{
    struct p9_reply *sent = h_sent_for_tag(h, tag, ms);
    if (!sent)
        g_error("no Rflush for tag %u within %u ms", tag, ms);
    g_assert_cmpuint(h_id_of(sent), ==, P9_RFLUSH);
    g_assert_cmpuint(sent->size, ==, P9_HDR_SIZE);
    g_assert_cmpuint(sent->origin, ==, origin);
    h_reply_free(h_deliver(h, sent));
}

static void expect_silence(struct harness *h, uint16_t tag, unsigned ms)
{
    struct p9_reply *sent = h_sent_for_tag(h, tag, ms);
    if (sent)
        g_error("tag %u got reply %u; expected none", tag, h_id_of(sent));
}

static bool nothing_in_flight(struct harness *h, void *unused)
{
    (void)unused;
    struct p9_session_stats st;
    p9_session_get_stats(h->session, &st);
    return st.inflight == 0;
}

/* ---- (1) a blocked write, flushed: no reply for it, ever; then Rflush ---- */

static void test_blocked_write(void)
{
    struct harness *h = h_new(NULL);
    h_start(h, "9P2000.L", ROOT);
    int rd = open_full_fifo(h, "fifo", 2);

    submit_write(h, 0x8001, 2, "more", 0);
    expect_silence(h, 0x8001, BLOCKED_MS);
    submit_flush(h, 0x8002, 0x8001, 0);
    expect_rflush(h, 0x8002, 0, PROMPT_MS);
    /* Nothing for the write, before or after the Rflush. */
    expect_silence(h, 0x8001, SILENCE_MS);
    g_assert_cmpuint(h_pending(h), ==, 0);
    /* It wrote nothing: the pipe holds the fill only. */
    g_assert_cmpint(bytes_in_pipe(rd), ==, 4096);
    g_assert_true(h_wait_until(h, nothing_in_flight, NULL, PROMPT_MS));
    /* The fid is usable: drain a little and write again. */
    char buf[4096];
    g_assert_cmpint(read(rd, buf, sizeof(buf)), ==, 4096);
    g_assert_cmpint(h_write(h, 2, 0, "ok", 2), ==, 2);
    g_assert_cmpint(read(rd, buf, sizeof(buf)), ==, 2);
    close(rd);
    h_free(h);
}

/* ---- (2) a write that completed: Rwrite, and Rflush only after its delivery ---- */

static void test_completed_write(void)
{
    struct harness *h = h_new(NULL);
    h_put_file(h, "f", "", 0);
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_WRONLY, NULL), ==, 0);

    submit_write(h, 0x8001, 2, "written", 0);
    struct p9_reply *rwrite = h_sent_for_tag(h, 0x8001, PROMPT_MS);
    g_assert_nonnull(rwrite);
    g_assert_cmpuint(h_id_of(rwrite), ==, P9_RWRITE);
    /* The flush arrives while the Rwrite is on its way (not delivered yet). */
    submit_flush(h, 0x8002, 0x8001, 0);
    expect_silence(h, 0x8002, SILENCE_MS);
    struct h_reply *r = h_deliver(h, rwrite);
    g_assert_cmpuint(r->r.body.a[0].d, ==, 7);
    h_reply_free(r);
    expect_rflush(h, 0x8002, 0, PROMPT_MS);
    size_t len;
    char *data = h_get_file(h, "f", &len);
    g_assert_cmpmem(data, len, "written", 7);
    g_free(data);
    g_assert_true(h_wait_until(h, nothing_in_flight, NULL, PROMPT_MS));
    h_free(h);
}

/* ---- (3) a blocked read, flushed: Rflush at once, the worker comes back ---- */

static void test_blocked_read(void)
{
    /* One worker, and no more while it waits: if the flushed read kept it,
     * nothing else would be served. */
    struct h_options opt = { .max_workers = 1, .max_waiting_workers = -1 };
    struct harness *h = h_new(&opt);
    h_put_file(h, "plain", "plain data", 10);
    h_start(h, "9P2000.L", ROOT);
    int rw = open_empty_fifo(h, "fifo", 2);
    g_assert_cmpint(h_walk(h, ROOT, 3, "plain", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 3, P9_DOTL_RDONLY, NULL), ==, 0);

    submit_read(h, 0x8001, 2, 100);
    expect_silence(h, 0x8001, BLOCKED_MS);
    submit_flush(h, 0x8002, 0x8001, 0);
    /* At once: the read itself never ends. */
    expect_rflush(h, 0x8002, 0, PROMPT_MS);
    expect_silence(h, 0x8001, SILENCE_MS);

    /* Another fid is served by the (only) worker. */
    char buf[100];
    g_assert_cmpint(h_read(h, 3, 0, sizeof(buf), buf), ==, 10);
    g_assert_cmpmem(buf, 10, "plain data", 10);
    /* Data written now is not eaten by the dead read: a new read gets it. */
    g_assert_cmpint(write(rw, "abc", 3), ==, 3);
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 3);
    g_assert_cmpmem(buf, 3, "abc", 3);
    expect_silence(h, 0x8001, 50);
    close(rw);
    h_free(h);
}

/* ---- (4) unknown and finished tags: Rflush at once ---- */

static void test_unknown_and_finished_tag(void)
{
    struct harness *h = h_new(NULL);
    h_start(h, "9P2000.L", ROOT);
    submit_flush(h, 0x8001, 0x4444, 0);
    expect_rflush(h, 0x8001, 0, PROMPT_MS);
    /* A request answered and delivered. */
    union p9_arg a[2] = { { .d = ROOT }, { .q = P9_GETATTR_BASIC } };
    h_submit(h, P9_TGETATTR, 0x8002, a, 0);
    h_reply_free(h_deliver(h, h_sent_for_tag(h, 0x8002, PROMPT_MS)));
    submit_flush(h, 0x8003, 0x8002, 0);
    expect_rflush(h, 0x8003, 0, PROMPT_MS);
    /* A flush of itself, and of P9_NOTAG. */
    submit_flush(h, 0x8004, 0x8004, 0);
    expect_rflush(h, 0x8004, 0, PROMPT_MS);
    submit_flush(h, 0x8005, P9_NOTAG, 0);
    expect_rflush(h, 0x8005, 0, PROMPT_MS);
    g_assert_cmpuint(h_pending(h), ==, 0);
    g_assert_true(h_wait_until(h, nothing_in_flight, NULL, PROMPT_MS));
    h_free(h);
}

/* ---- (5) a flushed Twalk leaves no newfid ---- */

/* The walk waits in the queue behind a blocked read (one worker thread, and
 * every request on it). */
static void test_queued_walk(void)
{
    struct h_options opt = { .max_workers = 1, .max_waiting_workers = -1, .workers_only = true };
    struct harness *h = h_new(&opt);
    h_mkdir(h, "dir");
    h_start(h, "9P2000.L", ROOT);
    int rw = open_empty_fifo(h, "fifo", 2);

    submit_read(h, 0x8001, 2, 10);
    expect_silence(h, 0x8001, BLOCKED_MS);
    union p9_arg w[3] = { { .d = ROOT }, { .d = 9 } };
    struct p9_str name = p9_str_of("dir");
    w[2].T.n = 1;
    w[2].T.v = &name;
    h_submit(h, P9_TWALK, 0x8002, w, 0);
    expect_silence(h, 0x8002, BLOCKED_MS);
    submit_flush(h, 0x8003, 0x8002, 0);
    expect_rflush(h, 0x8003, 0, PROMPT_MS);
    /* Let the read finish: the worker then meets the cancelled walk. */
    g_assert_cmpint(write(rw, "x", 1), ==, 1);
    struct h_reply *r = h_deliver(h, h_sent_for_tag(h, 0x8001, PROMPT_MS));
    g_assert_cmpuint(r->r.id, ==, P9_RREAD);
    h_reply_free(r);
    expect_silence(h, 0x8002, SILENCE_MS);
    g_assert_true(h_wait_until(h, nothing_in_flight, NULL, PROMPT_MS));
    g_assert_cmpint(h_clunk(h, 9), ==, EBADF);
    /* The fid number is free for a new walk. */
    g_assert_cmpint(h_walk(h, ROOT, 9, "dir", NULL), ==, 1);
    close(rw);
    h_free(h);
}

/*
 * A walk flushed while it runs or just after: whatever the timing, either
 * the client got Rwalk (and then the Rflush) and newfid exists, or it got
 * only the Rflush and newfid does not exist.  Same for Txattrwalk.
 */
static void flush_race_iteration(struct harness *h, uint8_t id, uint32_t newfid, bool *saw_reply,
                                 bool *saw_none)
{
    union p9_arg a[3] = { { .d = ROOT }, { .d = newfid } };
    struct p9_str name = p9_str_of("dir");
    if (id == P9_TWALK) {
        a[2].T.n = 1;
        a[2].T.v = &name;
    } else {
        a[2].s = p9_str_of("");
    }
    h_submit(h, id, 0x8001, a, 0);
    submit_flush(h, 0x8002, 0x8001, 1);
    bool replied = false;
    for (;;) {
        struct p9_reply *sent = h_next_sent(h, PROMPT_MS);
        g_assert_nonnull(sent);
        uint16_t tag = h_tag_of(sent);
        struct h_reply *r = h_deliver(h, sent);
        if (tag == 0x8001) {
            g_assert_false(replied);
            g_assert_cmpuint(r->r.id, ==, id + 1);
            replied = true;
            h_reply_free(r);
            continue;
        }
        g_assert_cmpuint(tag, ==, 0x8002);
        g_assert_cmpuint(r->r.id, ==, P9_RFLUSH);
        h_reply_free(r);
        break;
    }
    expect_silence(h, 0x8001, 0);
    g_assert_true(h_wait_until(h, nothing_in_flight, NULL, PROMPT_MS));
    int clunk = h_clunk(h, newfid);
    if (replied) {
        g_assert_cmpint(clunk, ==, 0);
        *saw_reply = true;
    } else {
        if (clunk != EBADF)
            g_error("message %u flushed without a reply, yet its newfid %u exists", id, newfid);
        *saw_none = true;
    }
}

static void test_walk_flush_race(void)
{
    /* On worker threads, so that the flush can meet the walk running. */
    struct h_options opt = { .workers_only = true };
    struct harness *h = h_new(&opt);
    h_mkdir(h, "dir");
    h_start(h, "9P2000.L", ROOT);
    bool saw_reply = false, saw_none = false;
    for (int i = 0; i < 3000; i++) {
        flush_race_iteration(h, P9_TWALK, 5, &saw_reply, &saw_none);
        flush_race_iteration(h, P9_TXATTRWALK, 6, &saw_reply, &saw_none);
    }
    g_test_message("walks flushed: replied ones seen %d, unreplied ones seen %d", saw_reply,
                   saw_none);
    /* Flushes that raced the end of a call must not leave the interrupter
     * confused: blocked writes (which only an interrupt ends) still end. */
    int rd = open_full_fifo(h, "fifo", 7);
    for (int i = 0; i < 200; i++) {
        submit_write(h, 0x8003, 7, "x", 0);
        submit_flush(h, 0x8004, 0x8003, 0);
        expect_rflush(h, 0x8004, 0, PROMPT_MS);
        expect_silence(h, 0x8003, 0);
    }
    close(rd);
    h_free(h);
}

/* ---- (6) the Rflush waits for a reply on another origin (ring) ---- */

static void test_other_origin(void)
{
    struct harness *h = h_new(NULL);
    h_put_file(h, "f", "", 0);
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_WRONLY, NULL), ==, 0);

    /* Completed request on origin 0, its flush on origin 1. */
    submit_write(h, 0x8001, 2, "abc", 0);
    struct p9_reply *rwrite = h_sent_for_tag(h, 0x8001, PROMPT_MS);
    g_assert_nonnull(rwrite);
    g_assert_cmpuint(rwrite->origin, ==, 0);
    submit_flush(h, 0x8002, 0x8001, 1);
    expect_silence(h, 0x8002, SILENCE_MS);
    h_reply_free(h_deliver(h, rwrite));
    expect_rflush(h, 0x8002, 1, PROMPT_MS);

    /* Blocked request on origin 1, flushed from origin 0: no reply, Rflush on 0. */
    int rd = open_full_fifo(h, "fifo", 3);
    submit_write(h, 0x8003, 3, "zzz", 1);
    expect_silence(h, 0x8003, BLOCKED_MS);
    submit_flush(h, 0x8004, 0x8003, 0);
    expect_rflush(h, 0x8004, 0, PROMPT_MS);
    expect_silence(h, 0x8003, SILENCE_MS);
    close(rd);
    h_free(h);
}

/* ---- (7) the tag is reused right after the Rflush, the old request still running ---- */

static void test_tag_reuse(void)
{
    struct h_options opt = { .max_workers = 4 };
    struct harness *h = h_new(&opt);
    h_start(h, "9P2000.L", ROOT);
    int rw = open_empty_fifo(h, "fifo", 2);
    for (int round = 0; round < 20; round++) {
        submit_read(h, 0x8001, 2, 10);
        expect_silence(h, 0x8001, 20);
        submit_flush(h, 0x8002, 0x8001, 0);
        expect_rflush(h, 0x8002, 0, PROMPT_MS);
        /* Same tag at once: a getattr, answered as itself. */
        union p9_arg a[2] = { { .d = ROOT }, { .q = P9_GETATTR_BASIC } };
        h_submit(h, P9_TGETATTR, 0x8001, a, 0);
        struct h_reply *r = h_deliver(h, h_sent_for_tag(h, 0x8001, PROMPT_MS));
        g_assert_cmpuint(r->r.id, ==, P9_RGETATTR);
        h_reply_free(r);
        /* And again as a read that blocks; flushing the tag now flushes it. */
        submit_read(h, 0x8001, 2, 10);
        expect_silence(h, 0x8001, 20);
        submit_flush(h, 0x8003, 0x8001, 0);
        expect_rflush(h, 0x8003, 0, PROMPT_MS);
    }
    expect_silence(h, 0x8001, SILENCE_MS);
    /* None of the flushed reads took the data. */
    g_assert_cmpint(write(rw, "data", 4), ==, 4);
    char buf[10];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 4);
    g_assert_true(h_wait_until(h, nothing_in_flight, NULL, PROMPT_MS));
    close(rw);
    h_free(h);
}

/* ---- a blocked open (a FIFO without a peer), flushed ---- */

static void test_blocked_open(void)
{
    struct harness *h = h_new(NULL);
    h_start(h, "9P2000.L", ROOT);
    char *path = h_path(h, "fifo");
    g_assert_cmpint(mkfifo(path, 0666), ==, 0);
    g_assert_cmpint(h_walk(h, ROOT, 2, "fifo", NULL), ==, 1);
    union p9_arg a[2] = { { .d = 2 }, { .d = P9_DOTL_RDONLY } };
    h_submit(h, P9_TLOPEN, 0x8001, a, 0);
    expect_silence(h, 0x8001, BLOCKED_MS);
    submit_flush(h, 0x8002, 0x8001, 0);
    expect_rflush(h, 0x8002, 0, PROMPT_MS);
    expect_silence(h, 0x8001, SILENCE_MS);
    g_assert_true(h_wait_until(h, nothing_in_flight, NULL, PROMPT_MS));
    /* Nothing stayed open, and the fid can still be opened. */
    struct fsdrv_usage u;
    fsdrv_export_usage(h->exp, &u);
    g_assert_cmpuint(u.open_files, ==, 0);
    int rw = open(path, O_RDWR | O_CLOEXEC);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    close(rw);
    g_free(path);
    h_free(h);
}

/* ---- more: two flushes of one request; blocked requests and the pool ---- */

static void test_two_flushes(void)
{
    struct harness *h = h_new(NULL);
    h_start(h, "9P2000.L", ROOT);
    int rd = open_full_fifo(h, "fifo", 2);
    submit_write(h, 0x8001, 2, "x", 0);
    expect_silence(h, 0x8001, BLOCKED_MS);
    submit_flush(h, 0x8002, 0x8001, 0);
    submit_flush(h, 0x8003, 0x8001, 1);
    expect_rflush(h, 0x8002, 0, PROMPT_MS);
    expect_rflush(h, 0x8003, 1, PROMPT_MS);
    expect_silence(h, 0x8001, SILENCE_MS);
    g_assert_true(h_wait_until(h, nothing_in_flight, NULL, PROMPT_MS));
    close(rd);
    h_free(h);
}

/*
 * docs/design.md: "a blocking call holds only its own request".  Two requests
 * submitted back to back while exactly one worker is idle (and the pool may
 * grow) must not both wait for that worker when the first one blocks.
 */
static uint8_t *build(uint8_t id, uint16_t tag, const union p9_arg *a, uint32_t *size)
{
    *size = p9c_size(id, P9_2000_L, a);
    uint8_t *msg = g_malloc(*size);
    g_assert_cmpuint(p9c_build(msg, *size, id, tag, P9_2000_L, a), ==, *size);
    return msg;
}

static void test_blocked_holds_only_itself(void)
{
    for (int round = 0; round < 20; round++) {
        struct h_options opt = { .max_workers = 2, .max_waiting_workers = -1 };
        struct harness *h = h_new(&opt);
        h_start(h, "9P2000.L", ROOT);
        /* Every request so far ran on one worker, now idle. */
        int rw = open_empty_fifo(h, "fifo", 2);
        union p9_arg r[3] = { { .d = 2 }, { .q = 0 }, { .d = 10 } };
        union p9_arg g[2] = { { .d = ROOT }, { .q = P9_GETATTR_BASIC } };
        uint32_t rsize, getattr_size;
        uint8_t *read_msg = build(P9_TREAD, 0x8001, r, &rsize);
        uint8_t *getattr_msg = build(P9_TGETATTR, 0x8002, g, &getattr_size);
        p9_session_submit(h->session, read_msg, rsize, 0);
        p9_session_submit(h->session, getattr_msg, getattr_size, 0);
        struct p9_reply *sent = h_sent_for_tag(h, 0x8002, PROMPT_MS);
        if (!sent)
            g_error("round %d: a getattr waited behind a blocked read", round);
        h_reply_free(h_deliver(h, sent));
        submit_flush(h, 0x8003, 0x8001, 0);
        expect_rflush(h, 0x8003, 0, PROMPT_MS);
        close(rw);
        h_free(h);
    }
}

/* Readers waiting for FIFOs do not count against max_workers: with one
 * worker, 8 blocked reads and then a getattr, the getattr is answered. */
static void test_waiting_readers_leave_threads(void)
{
    struct h_options opt = { .max_workers = 1 };
    struct harness *h = h_new(&opt);
    h_start(h, "9P2000.L", ROOT);
    int rw = open_empty_fifo(h, "fifo", 2);
    for (uint16_t i = 0; i < 8; i++)
        submit_read(h, 0x8001 + i, 2, 10);
    expect_silence(h, 0x8001, BLOCKED_MS);
    union p9_arg g[2] = { { .d = ROOT }, { .q = P9_GETATTR_BASIC } };
    h_submit(h, P9_TGETATTR, 0x8100, g, 0);
    h_reply_free(h_deliver(h, h_sent_for_tag(h, 0x8100, PROMPT_MS)));
    for (uint16_t i = 0; i < 8; i++) {
        submit_flush(h, 0x8200 + i, 0x8001 + i, 0);
        expect_rflush(h, 0x8200 + i, 0, PROMPT_MS);
    }
    close(rw);
    h_free(h);
}

static bool was_woken(struct harness *h, void *unused)
{
    (void)unused;
    g_mutex_lock(&h->lock);
    bool woken = h->wakes > 0;
    g_mutex_unlock(&h->lock);
    return woken;
}

/* max_requests: can_accept() says no at the limit, and wake() when below it again. */
static void test_request_limit(void)
{
    struct h_options opt = { .max_requests = 3 };
    struct harness *h = h_new(&opt);
    h_start(h, "9P2000.L", ROOT);
    int rw = open_empty_fifo(h, "fifo", 2);
    g_assert_true(p9_session_can_accept(h->session, P9_TREAD));
    submit_read(h, 0x8001, 2, 10);
    submit_read(h, 0x8002, 2, 10);
    g_assert_true(p9_session_can_accept(h->session, P9_TREAD));
    submit_read(h, 0x8003, 2, 10);
    g_assert_false(p9_session_can_accept(h->session, P9_TREAD));
    /* A Tflush has headroom: what is blocked can still be flushed. */
    g_assert_true(p9_session_can_accept(h->session, P9_TFLUSH));
    g_assert_false(was_woken(h, NULL));
    /* One read gets data and its reply is delivered: room again. */
    g_assert_cmpint(write(rw, "a", 1), ==, 1);
    struct p9_reply *sent = h_next_sent(h, PROMPT_MS);
    g_assert_nonnull(sent);
    uint16_t done = h_tag_of(sent);
    g_assert_false(p9_session_can_accept(h->session, P9_TREAD));     /* not delivered yet */
    h_reply_free(h_deliver(h, sent));
    g_assert_true(was_woken(h, NULL));
    g_assert_true(p9_session_can_accept(h->session, P9_TREAD));
    for (uint16_t tag = 0x8001; tag <= 0x8003; tag++) {
        if (tag == done)
            continue;
        submit_flush(h, 0x8010 + tag - 0x8001, tag, 0);
        expect_rflush(h, 0x8010 + tag - 0x8001, 0, PROMPT_MS);
    }
    g_assert_true(h_wait_until(h, nothing_in_flight, NULL, PROMPT_MS));
    close(rw);
    h_free(h);
}

/* Closing a session with requests blocked, queued and undelivered ends them all. */
static void test_close_while_blocked(void)
{
    struct h_options opt = { .max_workers = 2, .max_waiting_workers = -1 };
    struct harness *h = h_new(&opt);
    h_put_file(h, "f", "", 0);
    h_start(h, "9P2000.L", ROOT);
    int rw = open_empty_fifo(h, "fifo", 2);
    int rd = open_full_fifo(h, "wfifo", 3);
    submit_read(h, 0x8001, 2, 10);
    submit_write(h, 0x8002, 3, "x", 0);
    /* Queued behind them (two workers, both blocked). */
    submit_read(h, 0x8003, 2, 10);
    union p9_arg a[2] = { { .d = ROOT }, { .q = P9_GETATTR_BASIC } };
    h_submit(h, P9_TGETATTR, 0x8004, a, 0);
    expect_silence(h, 0x8004, BLOCKED_MS);
    /* A flush waiting for a blocked write. */
    submit_flush(h, 0x8005, 0x8002, 0);
    gint64 start = g_get_monotonic_time();
    h_free(h);      /* asserts every worker returned */
    g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * 1000 * 1000);
    close(rw);
    close(rd);
}

int main(int argc, char **argv)
{
    h_init(&argc, &argv);
    g_test_add_func("/flush/blocked-write", test_blocked_write);
    g_test_add_func("/flush/completed-write", test_completed_write);
    g_test_add_func("/flush/blocked-read", test_blocked_read);
    g_test_add_func("/flush/unknown-and-finished-tag", test_unknown_and_finished_tag);
    g_test_add_func("/flush/queued-walk", test_queued_walk);
    g_test_add_func("/flush/walk-race", test_walk_flush_race);
    g_test_add_func("/flush/other-origin", test_other_origin);
    g_test_add_func("/flush/tag-reuse", test_tag_reuse);
    g_test_add_func("/flush/blocked-open", test_blocked_open);
    g_test_add_func("/flush/two-flushes", test_two_flushes);
    g_test_add_func("/flush/blocked-holds-only-itself", test_blocked_holds_only_itself);
    g_test_add_func("/flush/waiting-readers-leave-threads", test_waiting_readers_leave_threads);
    g_test_add_func("/flush/request-limit", test_request_limit);
    g_test_add_func("/flush/close-while-blocked", test_close_while_blocked);
    return g_test_run();
}
