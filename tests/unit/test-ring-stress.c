// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Threaded stress test of ring/: a frontend thread and a backend thread share
 * one interface page and data area, as a guest and dom0 would. Requests flow
 * out, replies flow in, both at once; every message is framed and checked for
 * count, order, size and content. Waiting for data or space goes through an
 * emulated event channel (an event count on a futex), so a lost notification
 * shows up as a stall (the test aborts after STALL_SECONDS). The "-split" cases
 * publish every message in two index updates to drive the readers' partial-
 * arrival path.
 *
 * RING_STRESS_MESSAGES sets the requests per case (default below),
 * RING_STRESS_SEED the seed of sizes, split points and payloads.
 */
#include "config.h"

#include "ring/ring.h"

#include <errno.h>
#include <glib.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MESSAGES 250000u
/* enough split messages that readers certainly meet half-published ones */
#define PARTIAL_CHECK_MESSAGES 100000u
#define DEFAULT_SEED 0x9e3779b9u
#define POOL_BYTES (1u << 20)
#define SPIN_CHECKS 100
#define YIELD_CHECKS 1
#define STALL_SECONDS 30

enum direction { REQUESTS = 0, REPLIES = 1 };

/*
 * One event channel direction: notify bumps a counter and wakes sleepers.
 * A waiter takes a snapshot of the counter before it looks at the ring and
 * sleeps only while the counter still equals it, so an event sent between
 * "ring empty" and "sleep" is never lost (the unmask-then-recheck rule, A.9).
 */
struct event {
    atomic_uint count;
    atomic_uint sleepers;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

static unsigned event_snapshot(struct event *e)
{
    return atomic_load(&e->count);
}

static void event_notify(struct event *e)
{
    atomic_fetch_add(&e->count, 1);
    if (atomic_load(&e->sleepers))
        syscall(SYS_futex, (uint32_t *)&e->count, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL,
                NULL, 0);
}

/* Returns once the count moved past snapshot; aborts after STALL_SECONDS of silence. */
static void event_wait(struct event *e, unsigned snapshot, const char *what)
{
    const struct timespec timeout = { .tv_sec = STALL_SECONDS };

    for (int i = 0; i < SPIN_CHECKS; i++) {
        if (atomic_load(&e->count) != snapshot)
            return;
        cpu_relax();
    }
    for (int i = 0; i < YIELD_CHECKS; i++) {
        if (atomic_load(&e->count) != snapshot)
            return;
        sched_yield();
    }
    atomic_fetch_add(&e->sleepers, 1);
    while (atomic_load(&e->count) == snapshot) {
        long rc = syscall(SYS_futex, (uint32_t *)&e->count, FUTEX_WAIT_PRIVATE, snapshot,
                          &timeout, NULL, 0);

        if (rc < 0 && errno == ETIMEDOUT && atomic_load(&e->count) == snapshot)
            g_error("stalled %d s waiting for %s: a notification was lost", STALL_SECONDS,
                    what);
    }
    atomic_fetch_sub(&e->sleepers, 1);
}

struct stress_case {
    const char *name;
    unsigned order;
    uint32_t limit;  /* largest message, as msize */
    bool split;      /* publish each message in two index updates */
};

struct side_stats {
    uint64_t bytes;
    uint64_t waits;
    uint64_t full;    /* RING_FULL seen */
    uint64_t partial; /* RING_EMPTY with part of a message queued */
};

struct stress {
    const struct stress_case *cfg;
    uint64_t messages;
    uint64_t seed;
    const unsigned char *pool;
    struct xen_9pfs_data_intf *intf;
    unsigned char *data;
    RING_IDX out_start, in_start;
    struct ring_writer fe_out;
    struct ring_reader be_out;
    struct ring_writer be_in;
    struct ring_reader fe_in;
    struct event to_backend;
    struct event to_frontend;
    struct side_stats sender, backend_rx, backend_tx, receiver;
};

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static uint64_t message_hash(const struct stress *st, enum direction dir, uint64_t seq,
                             unsigned salt)
{
    return mix64(st->seed ^ mix64(seq << 8 | (uint64_t)dir << 4 | salt));
}

/*
 * What message seq of a direction looks like: 9P header (size, id, tag), up to 8
 * bytes of the sequence number, then a slice of the random pool chosen by seq.
 * Sizes are log-uniform in 7..limit (many small, some large), 1 in 256 exactly
 * the limit.
 */
struct message_plan {
    uint32_t size;
    unsigned char head[RING_MSG_HEADER_BYTES + 8];
    uint32_t head_len;
    const unsigned char *payload;
    uint32_t payload_len;
};

static void plan_message(const struct stress *st, enum direction dir, uint64_t seq,
                         struct message_plan *p)
{
    uint64_t h = message_hash(st, dir, seq, 0);
    uint32_t limit = st->cfg->limit;
    unsigned top = g_bit_storage(limit) - 1;
    unsigned bits = 3 + (unsigned)((h >> 8) % (top - 2));
    uint64_t size = 7 + (h >> 16) % (1u << bits);

    if ((h & 0xff) == 0 || size > limit)
        size = limit;
    p->size = (uint32_t)size;
    for (int i = 0; i < 4; i++)
        p->head[i] = (unsigned char)(p->size >> (8 * i));
    p->head[4] = (unsigned char)(seq * 2 + dir);
    p->head[5] = (unsigned char)seq;
    p->head[6] = (unsigned char)(seq >> 8);
    p->head_len = MIN(p->size, (uint32_t)sizeof(p->head));
    for (uint32_t i = RING_MSG_HEADER_BYTES; i < p->head_len; i++)
        p->head[i] = (unsigned char)(seq >> (8 * (i - RING_MSG_HEADER_BYTES)));
    p->payload_len = p->size - p->head_len;
    p->payload = st->pool + message_hash(st, dir, seq, 1) % POOL_BYTES;
}

static void check_message(const struct stress *st, enum direction dir, uint64_t seq,
                          const unsigned char *buf, uint32_t size)
{
    struct message_plan p;

    plan_message(st, dir, seq, &p);
    if (size != p.size || memcmp(buf, p.head, p.head_len) != 0 ||
        memcmp(buf + p.head_len, p.payload, p.payload_len) != 0)
        g_error("%s: %s %" G_GUINT64_FORMAT ": got %u bytes, expected %u, or content differs",
                st->cfg->name, dir == REQUESTS ? "request" : "reply", seq, size, p.size);
}

/* The bytes [from, to) of the message described by iov, as a new iovec list. */
static int slice_iov(const struct iovec *iov, int n, size_t from, size_t to,
                     struct iovec *out)
{
    size_t at = 0;
    int count = 0;

    for (int i = 0; i < n; at += iov[i].iov_len, i++) {
        size_t start = MAX(from, at), end = MIN(to, at + iov[i].iov_len);

        if (start < end)
            out[count++] = (struct iovec){ (char *)iov[i].iov_base + (start - at),
                                           end - start };
    }
    return count;
}

/* A direction's producer: which message it is publishing and how much of it is out. */
struct outgoing {
    enum direction dir;
    uint64_t seq;
    size_t published; /* bytes of message seq already in the ring */
};

/*
 * Publish the next piece of the current message if it fits: the whole message,
 * or in split mode first a prefix of random length and later the rest, each
 * with its own index update. Returns false (nothing written) when it does not fit.
 */
static bool publish_step(struct stress *st, struct outgoing *o, struct ring_writer *w,
                         struct event *peer, struct side_stats *stats)
{
    struct message_plan p;
    struct iovec whole[2], piece[2];
    const char *why = NULL;
    enum ring_status status;
    size_t end;
    int n;

    plan_message(st, o->dir, o->seq, &p);
    whole[0] = (struct iovec){ p.head, p.head_len };
    whole[1] = (struct iovec){ (void *)p.payload, p.payload_len };
    end = p.size;
    if (st->cfg->split && o->published == 0)
        end = 1 + message_hash(st, o->dir, o->seq, 2) % (p.size - 1);
    n = slice_iov(whole, 2, o->published, end, piece);
    status = ring_putv(w, piece, n, &why);
    if (status == RING_FULL) {
        stats->full++;
        return false;
    }
    if (status != RING_OK)
        g_error("%s: ring_putv: %d (%s)", st->cfg->name, status, why ? why : "?");
    event_notify(peer);
    o->published = end;
    if (end == p.size) {
        stats->bytes += p.size;
        o->seq++;
        o->published = 0;
    } else if (o->seq % 16 == 0) {
        /* hold half a message in the ring for a moment so the reader meets it */
        for (int i = 0; i < SPIN_CHECKS / 4; i++)
            cpu_relax();
        sched_yield();
    }
    return true;
}

/* Frame and take one message if a whole one is queued; its size, or 0. */
static uint32_t receive_step(struct stress *st, struct ring_reader *r, struct event *peer,
                             unsigned char *buf, struct side_stats *stats)
{
    const char *why = NULL;
    uint32_t size = 0;
    enum ring_status status = ring_peek(r, st->cfg->limit, &size, &why);

    if (status == RING_MSG) {
        ring_take(r, buf, size);
        event_notify(peer);
        stats->bytes += size;
        return size;
    }
    if (status != RING_EMPTY)
        g_error("%s: ring_peek: %d (%s)", st->cfg->name, status, why ? why : "?");
    if (r->validated > 0)
        stats->partial++;
    return 0;
}

/*
 * The frontend, like Linux's, sends requests while it collects replies: it
 * publishes whatever fits, drains the replies, and sleeps on its event only
 * when neither made progress.
 */
static gpointer frontend_thread(gpointer opaque)
{
    struct stress *st = opaque;
    struct outgoing requests = { .dir = REQUESTS };
    unsigned char *buf = g_malloc(st->cfg->limit);
    uint64_t replies = 0;

    while (replies < st->messages) {
        unsigned snapshot = event_snapshot(&st->to_frontend);
        bool progress = false;
        uint32_t size;

        while (requests.seq < st->messages &&
               publish_step(st, &requests, &st->fe_out, &st->to_backend, &st->sender)) {
            progress = true;
            if (requests.published)
                break; /* half a message out: the rest after the replies */
        }
        while ((size = receive_step(st, &st->fe_in, &st->to_backend, buf, &st->receiver))) {
            check_message(st, REPLIES, replies++, buf, size);
            progress = true;
        }
        if (!progress) {
            st->receiver.waits++;
            event_wait(&st->to_frontend, snapshot, "a reply or request space");
        }
    }
    g_free(buf);
    return NULL;
}

/* The backend answers each request, in order, with a reply of its own size. */
static gpointer backend_thread(gpointer opaque)
{
    struct stress *st = opaque;
    struct outgoing replies = { .dir = REPLIES };
    unsigned char *buf = g_malloc(st->cfg->limit);

    for (uint64_t seq = 0; seq < st->messages; seq++) {
        uint32_t size;

        for (;;) {
            unsigned snapshot = event_snapshot(&st->to_backend);

            if ((size = receive_step(st, &st->be_out, &st->to_frontend, buf, &st->backend_rx)))
                break;
            st->backend_rx.waits++;
            event_wait(&st->to_backend, snapshot, "a request");
        }
        check_message(st, REQUESTS, seq, buf, size);
        while (replies.seq <= seq) {
            unsigned snapshot = event_snapshot(&st->to_backend);

            if (!publish_step(st, &replies, &st->be_in, &st->to_frontend, &st->backend_tx)) {
                st->backend_tx.waits++;
                event_wait(&st->to_backend, snapshot, "reply space");
            }
        }
    }
    g_free(buf);
    return NULL;
}

static uint64_t env_number(const char *name, uint64_t fallback)
{
    const char *text = g_getenv(name);
    guint64 value;

    if (!text)
        return fallback;
    if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT64, &value, NULL))
        g_error("%s=%s is not a positive number", name, text);
    return value;
}

static unsigned char *make_pool(uint64_t seed, uint32_t limit)
{
    size_t bytes = POOL_BYTES + limit;
    unsigned char *pool = g_malloc(bytes);
    uint64_t state = seed;

    for (size_t i = 0; i < bytes; i += 8) {
        uint64_t word = mix64(state++);

        memcpy(pool + i, &word, MIN(8, bytes - i));
    }
    return pool;
}

static void run_case(gconstpointer data)
{
    const struct stress_case *cfg = data;
    struct stress *st = g_new0(struct stress, 1);
    size_t ring_size = ring_direction_bytes(cfg->order);
    GThread *threads[2];
    gint64 started;
    double seconds;

    st->cfg = cfg;
    st->messages = env_number("RING_STRESS_MESSAGES", DEFAULT_MESSAGES);
    st->seed = env_number("RING_STRESS_SEED", DEFAULT_SEED);
    st->pool = make_pool(st->seed, cfg->limit);
    st->intf = g_malloc0(RING_PAGE_BYTES);
    st->data = g_malloc0(ring_data_bytes(cfg->order));
    /* start just below the 32-bit wrap so free-running indices cross it early */
    st->out_start = (RING_IDX)(0u - 3 * ring_size / 2 + 13);
    st->in_start = (RING_IDX)(0u - ring_size - 5);
    st->intf->out_prod = st->intf->out_cons = st->out_start;
    st->intf->in_prod = st->intf->in_cons = st->in_start;
    ring_frontend_init(st->intf, st->data, cfg->order, &st->fe_out, &st->fe_in);
    ring_backend_init(st->intf, st->data, cfg->order, &st->be_out, &st->be_in);

    g_test_message("%s: %" G_GUINT64_FORMAT " requests + replies, ring %zu bytes, "
                   "limit %u, seed %" G_GUINT64_FORMAT,
                   cfg->name, st->messages, ring_size, cfg->limit, st->seed);
    started = g_get_monotonic_time();
    threads[0] = g_thread_new("backend", backend_thread, st);
    threads[1] = g_thread_new("frontend", frontend_thread, st);
    for (size_t i = 0; i < G_N_ELEMENTS(threads); i++)
        g_thread_join(threads[i]);
    seconds = (double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC;

    /* every byte sent was framed and consumed, and the indices agree */
    g_assert_cmpuint(st->sender.bytes, ==, st->backend_rx.bytes);
    g_assert_cmpuint(st->backend_tx.bytes, ==, st->receiver.bytes);
    g_assert_cmpuint(st->intf->out_prod, ==, (RING_IDX)(st->out_start + st->sender.bytes));
    g_assert_cmpuint(st->intf->out_cons, ==, st->intf->out_prod);
    g_assert_cmpuint(st->intf->in_prod, ==, (RING_IDX)(st->in_start + st->backend_tx.bytes));
    g_assert_cmpuint(st->intf->in_cons, ==, st->intf->in_prod);
    if (cfg->split && st->messages >= PARTIAL_CHECK_MESSAGES) {
        /* the reader's partial-arrival path actually ran, in both directions */
        g_assert_cmpuint(st->backend_rx.partial, >, 0);
        g_assert_cmpuint(st->receiver.partial, >, 0);
    }
    g_test_message("%s: %.2f s, %.0f msg/s, %.1f MB/s each way; full: sender %" G_GUINT64_FORMAT
                   " backend %" G_GUINT64_FORMAT "; partial seen: backend %" G_GUINT64_FORMAT
                   " receiver %" G_GUINT64_FORMAT "; waits %" G_GUINT64_FORMAT,
                   cfg->name, seconds, (double)st->messages / seconds,
                   (double)st->sender.bytes / seconds / 1e6, st->sender.full,
                   st->backend_tx.full, st->backend_rx.partial, st->receiver.partial,
                   st->sender.waits + st->backend_rx.waits + st->backend_tx.waits +
                       st->receiver.waits);

    g_free((void *)st->pool);
    g_free(st->data);
    g_free(st->intf);
    g_free(st);
}

int main(int argc, char **argv)
{
    static const struct stress_case cases[] = {
        { "order1", 1, 4096, false },          /* messages up to the whole ring */
        { "order1-split", 1, 4096, true },
        { "order4", 4, 32768, false },
        { "order4-split", 4, 32768, true },
        { "order9", 9, 65536, false },         /* Linux-sized ring, 64 KiB msize */
        { "order9-split", 9, 65536, true },
    };

    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *path = g_strdup_printf("/ring/stress/%s", cases[i].name);

        g_test_add_data_func(path, &cases[i], run_case);
        g_free(path);
    }
    return g_test_run();
}
