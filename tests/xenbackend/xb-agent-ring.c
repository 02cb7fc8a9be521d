// SPDX-License-Identifier: GPL-2.0-or-later
/* The scripted guest's transport scenarios (see xb-agent.h): flushes across
 * rings, requests published in pieces, raw and corrupt ring contents, event
 * storms, a stream to vanish in, and the good neighbour's traffic. */
#include "config.h"

#include "tests/xenbackend/xb-agent-private.h"

#include <errno.h>
#include <string.h>

#include "tests/xenbackend/xb-9p.h"

/* How long a blocked request is given to (wrongly) answer before the flush. */
#define BLOCKED_GRACE_MS 300

/* ---- flushes ---- */

/*
 * Sends `id` on ring 0, checks that it stays unanswered (it is blocked in
 * the backend), then flushes it with a Tflush on ring 1.
 */
static void flush_blocked(struct agent *a, uint8_t id, const union p9_arg *args, uint32_t fid)
{
    uint16_t tag, ftag;
    int err = p9front_send_on_ring(a->fs, 0, id, args, &tag);
    if (err) {
        xb_answer_errno(a, err, "send");
        return;
    }
    g_usleep(BLOCKED_GRACE_MS * 1000);
    if (p9front_ready(a->fs, tag)) {
        xb_answer(a, "err the request was answered: it did not block");
        return;
    }
    err = p9front_flush_on_ring(a->fs, tag, 1 % p9front_nrings(a->fs), &ftag);
    if (err)
        xb_answer_errno(a, err, "flush");
    else
        xb_answer(a, "ok %u %u %u", tag, ftag, fid);
}

void xb_cmd_flush_read(struct agent *a, char **argv)
{
    uint32_t fid = a->next_fid++;
    /* The test holds the FIFO's write end open: the open returns at once. */
    int err = xb9_open(a->fs, argv[1], fid, FALSE);
    if (err) {
        xb_answer_errno(a, err, "open");
        return;
    }
    union p9_arg r[3];
    r[0].d = fid;
    r[1].q = 0;
    r[2].d = 64;
    flush_blocked(a, P9_TREAD, r, fid);
}

void xb_cmd_flush_open(struct agent *a, char **argv)
{
    uint32_t fid = a->next_fid++;
    int err = xb9_walk(a->fs, argv[1], fid);
    if (err) {
        xb_answer_errno(a, err, "walk");
        return;
    }
    /* No writer: the backend's open(2) of the FIFO blocks. */
    union p9_arg o[2];
    o[0].d = fid;
    if (p9front_dialect(a->fs) == P9_2000_L)
        o[1].d = P9_DOTL_RDONLY;
    else
        o[1].b = P9_OREAD;
    flush_blocked(a, p9front_dialect(a->fs) == P9_2000_L ? P9_TLOPEN : P9_TOPEN, o, fid);
}

static bool wait_ready(struct p9front *fs, uint16_t tag, unsigned ms)
{
    for (unsigned waited = 0; waited < ms; waited++) {
        if (p9front_ready(fs, tag))
            return true;
        g_usleep(1000);
    }
    return p9front_ready(fs, tag);
}

static uint32_t in_queued(struct xen_9pfs_data_intf *intf)
{
    return __atomic_load_n(&intf->in_prod, __ATOMIC_ACQUIRE) -
           __atomic_load_n(&intf->in_cons, __ATOMIC_ACQUIRE);
}

/*
 * docs/design.md: Rflush only after the flushed request's reply was consumed,
 * even when the two travel on different rings.  A request completes and
 * its reply sits unconsumed in ring 0; a Tflush for it goes on ring 1.
 */
void xb_cmd_flush_order(struct agent *a, char **argv)
{
    if (p9front_nrings(a->fs) < 2) {
        xb_answer(a, "err needs two rings");
        return;
    }
    union p9_arg g[2] = { { .d = 0 }, { .q = P9_GETATTR_BASIC } };
    uint8_t id = p9front_dialect(a->fs) == P9_2000_L ? P9_TGETATTR : P9_TSTAT;
    uint16_t tag, ftag;
    p9front_pause_receiver(a->fs, 0, true);
    int err = p9front_send_on_ring(a->fs, 0, id, g, &tag);
    if (err) {
        p9front_pause_receiver(a->fs, 0, false);
        xb_answer_errno(a, err, "send");
        return;
    }
    struct xen_9pfs_data_intf *ring0 = p9front_intf(a->fs, 0);
    for (int waited = 0; waited < 5000 && in_queued(ring0) < 7; waited++)
        g_usleep(1000);
    if (in_queued(ring0) < 7) {
        p9front_pause_receiver(a->fs, 0, false);
        xb_answer(a, "err no reply was published on ring 0");
        return;
    }
    union p9_arg f[1] = { { .w = tag } };
    err = p9front_send_on_ring(a->fs, 1, P9_TFLUSH, f, &ftag);
    if (err) {
        p9front_pause_receiver(a->fs, 0, false);
        xb_answer_errno(a, err, "send Tflush");
        return;
    }
    bool early = wait_ready(a->fs, ftag, 500);
    bool old_unconsumed = !p9front_ready(a->fs, tag);
    p9front_pause_receiver(a->fs, 0, false);
    if (early) {
        xb_answer(a, "err Rflush %u arrived while the reply of %u was unconsumed on ring 0",
               ftag, tag);
        return;
    }
    if (!old_unconsumed) {
        xb_answer(a, "err ring 0 was consumed while paused");
        return;
    }
    if (!wait_ready(a->fs, ftag, 5000)) {
        xb_answer(a, "err no Rflush after ring 0 was consumed");
        return;
    }
    bool in_order = p9front_ready(a->fs, tag);
    struct p9front_reply r1, r2;
    int e1 = p9front_wait(a->fs, tag, &r1), e2 = p9front_wait(a->fs, ftag, &r2);
    bool replied = !e1 && r1.r.id == id + 1 && !e2 && r2.r.id == P9_RFLUSH;
    if (!e1)
        g_free(r1.buf);
    if (!e2)
        g_free(r2.buf);
    if (!in_order)
        xb_answer(a, "err Rflush %u arrived before the reply of %u", ftag, tag);
    else if (!replied)
        xb_answer(a, "err bad replies (%d %d)", e1, e2);
    else
        xb_answer(a, "ok %u %u", tag, ftag);
}

/* ---- the transport, raw ---- */

void xb_cmd_split(struct agent *a, char **argv)
{
    union p9_arg g[2] = { { .d = 0 }, { .q = P9_GETATTR_BASIC } };
    uint8_t id = p9front_dialect(a->fs) == P9_2000_L ? P9_TGETATTR : P9_TSTAT;
    /* Cut inside the header, then just after it. */
    static const uint32_t cuts[] = { 3, P9_HDR_SIZE + 2 };
    for (unsigned i = 0; i < G_N_ELEMENTS(cuts); i++) {
        uint16_t tag;
        struct p9front_reply r;
        int err = p9front_send_in_two(a->fs, id, g, cuts[i], 300, &tag);
        if (!err)
            err = p9front_wait(a->fs, tag, &r);
        if (err) {
            xb_answer_errno(a, err, "split request");
            return;
        }
        bool ok = r.r.id == id + 1 && !r.r.error;
        g_free(r.buf);
        if (!ok) {
            xb_answer(a, "err reply %u to a split request", r.r.id);
            return;
        }
    }
    xb_answer(a, "ok");
}

void xb_cmd_raw_size(struct agent *a, char **argv)
{
    uint8_t hdr[P9_HDR_SIZE];
    p9_put_header(hdr, (uint32_t)xb_num(argv[1]), P9_TGETATTR, 0x1234);
    enum ring_status st = ring_put(p9front_request_writer(a->fs, 0), hdr, sizeof(hdr), NULL);
    p9front_notify(a->fs, 0);
    xb_answer(a, st == RING_OK ? "ok" : "err ring_put");
}

void xb_cmd_out_prod_ahead(struct agent *a, char **argv)
{
    struct ring_writer *w = p9front_request_writer(a->fs, 0);
    __atomic_store_n(w->shared_prod, w->prod + 0x40000000u, __ATOMIC_RELEASE);
    p9front_notify(a->fs, 0);
    xb_answer(a, "ok");
}

void xb_cmd_in_cons_past(struct agent *a, char **argv)
{
    for (unsigned i = 0; i < p9front_nrings(a->fs); i++) {
        p9front_pause_receiver(a->fs, i, true);
        struct xen_9pfs_data_intf *intf = p9front_intf(a->fs, i);
        __atomic_store_n(&intf->in_cons, __atomic_load_n(&intf->in_prod, __ATOMIC_ACQUIRE) + 64,
                         __ATOMIC_RELEASE);
    }
    /* The backend sees it when it publishes the reply. */
    union p9_arg g[2] = { { .d = 0 }, { .q = P9_GETATTR_BASIC } };
    uint16_t tag;
    int err = p9front_send(a->fs, p9front_dialect(a->fs) == P9_2000_L ? P9_TGETATTR : P9_TSTAT,
                           g, &tag);
    if (err)
        xb_answer_errno(a, err, "send");
    else
        xb_answer(a, "ok %u", tag);
}

void xb_cmd_storm(struct agent *a, char **argv)
{
    gint64 end = g_get_monotonic_time() + (gint64)xb_num(argv[1]) * 1000;
    uint64_t count = 0;
    while (g_get_monotonic_time() < end) {
        for (int burst = 0; burst < 64; burst++) {
            for (unsigned i = 0; i < p9front_nrings(a->fs); i++)
                p9front_notify(a->fs, i);
            count++;
        }
    }
    xb_answer(a, "ok %" G_GUINT64_FORMAT, count);
}

/* Writes `size` bytes with 16 requests in flight; "started" once they are. */
void xb_cmd_stream(struct agent *a, char **argv)
{
    uint32_t fid = a->next_fid++;
    uint64_t size = xb_num(argv[2]), sent = 0;
    int err = xb9_create(a->fs, argv[1], fid);
    if (err) {
        xb_answer_errno(a, err, "create");
        return;
    }
    uint32_t chunk = p9front_msize(a->fs) - P9_IOHDR_SIZE;
    uint8_t *buf = g_malloc(chunk);
    GQueue tags = G_QUEUE_INIT;
    bool started = false;
    while (!err && (sent < size || !g_queue_is_empty(&tags))) {
        if (sent < size && g_queue_get_length(&tags) < 16) {
            uint32_t len = (uint32_t)MIN((uint64_t)chunk, size - sent);
            xb_pattern_fill(buf, len, sent, 7);
            union p9_arg w[3];
            w[0].d = fid;
            w[1].q = sent;
            w[2].D = (struct p9_data){ .count = len, .ptr = buf };
            uint16_t tag;
            if (!(err = p9front_send(a->fs, P9_TWRITE, w, &tag))) {
                g_queue_push_tail(&tags, GUINT_TO_POINTER(tag));
                sent += len;
            }
            continue;
        }
        if (!started) {
            xb_answer(a, "started");
            started = true;
        }
        struct p9front_reply r;
        if (!(err = p9front_wait(a->fs, (uint16_t)GPOINTER_TO_UINT(g_queue_pop_head(&tags)), &r)))
            g_free(r.buf);
    }
    g_queue_clear(&tags);
    g_free(buf);
    if (!started)
        xb_answer(a, "started");
    if (err)
        xb_answer_errno(a, err, "stream");
    else
        xb_answer(a, "ok");
}

/*
 * Rounds of a burst of requests at once, then one request alone.  Replies
 * of a burst complete on several workers at the same moment; the lone
 * request's reply is then the only thing that can wake the ring's thread:
 * a lost wake-up shows as a timeout (connect with a short timeout=).
 */
void xb_cmd_bursts(struct agent *a, char **argv)
{
    unsigned rounds = (unsigned)xb_num(argv[1]), burst = MIN((unsigned)xb_num(argv[2]), 64u);
    union p9_arg g[2] = { { .d = 0 }, { .q = P9_GETATTR_BASIC } };
    uint8_t id = p9front_dialect(a->fs) == P9_2000_L ? P9_TGETATTR : P9_TSTAT;
    gint64 worst = 0;
    for (unsigned round = 0; round < rounds; round++) {
        uint16_t tags[64];
        int err = 0;
        for (unsigned i = 0; i < burst && !err; i++)
            err = p9front_send(a->fs, id, g, &tags[i]);
        for (unsigned i = 0; i < burst && !err; i++) {
            struct p9front_reply r;
            if (!(err = p9front_wait(a->fs, tags[i], &r)))
                g_free(r.buf);
        }
        gint64 start = g_get_monotonic_time();
        if (!err)
            err = xb9_stat_root(a->fs);
        worst = MAX(worst, g_get_monotonic_time() - start);
        if (err) {
            xb_answer(a, "err %d round %u: %s", -err, round, g_strerror(-err));
            return;
        }
    }
    xb_answer(a, "ok %" G_GINT64_FORMAT, worst / 1000);
}

/* Rounds of write + verify until "stop": the well-behaved guest of the hostile tests. */
void xb_cmd_traffic(struct agent *a, char **argv)
{
    uint64_t rounds = 0;
    gint64 worst = 0;
    for (;;) {
        char *line = xenemu_peer_recv(a->self, 1);
        bool stop = line && strcmp(line, "stop") == 0;
        g_free(line);
        if (stop)
            break;
        gint64 start = g_get_monotonic_time();
        struct xb9_file f = { a->next_fid++, (uint64_t)g_rand_int_range(a->rand, 1, 256 << 10),
                              rounds };
        char *path = g_strdup_printf("traffic-%u", (unsigned)(rounds % 4));
        char *why = NULL;
        int err = xb9_create(a->fs, path, f.fid);
        if (!err)
            err = xb9_write_files(a->fs, &f, 1, 8, a->rand, &why);
        if (!err)
            err = xb9_clunk(a->fs, f.fid);
        if (!err && !(err = xb9_open(a->fs, path, f.fid, FALSE))) {
            err = xb9_verify_files(a->fs, &f, 1, 8, a->rand, NULL, &why);
            xb9_clunk(a->fs, f.fid);
        }
        if (err) {
            xb_answer(a, "err round %" G_GUINT64_FORMAT " (%s): %s", rounds, path,
                   why ? why : g_strerror(-err));
            g_free(why);
            g_free(path);
            return;
        }
        g_free(path);
        rounds++;
        worst = MAX(worst, g_get_monotonic_time() - start);
    }
    struct p9front_stats st;
    p9front_get_stats(a->fs, &st);
    if (st.wrong_tag || st.split_replies || st.after_flush || st.wrong_ring || st.broken)
        xb_answer(a, "err transport: wrong_tag=%" G_GUINT64_FORMAT " split=%" G_GUINT64_FORMAT
               " after_flush=%" G_GUINT64_FORMAT " wrong_ring=%" G_GUINT64_FORMAT " broken=%d",
               st.wrong_tag, st.split_replies, st.after_flush, st.wrong_ring, st.broken);
    else
        xb_answer(a, "ok %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT, rounds, worst / 1000);
}

