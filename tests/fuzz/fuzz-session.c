// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: arbitrary bytes as a stream of 9P requests into a
 * session (the in-process transport of tests/unit/server-harness.h) over a
 * fresh, empty export.  The first byte chooses the export (export_of):
 * model, opt-ins, quotas, so the xattr rules and the quota paths are
 * fuzzed too (docs/security.md "What a guest may do to the export",
 * docs/design.md "Limits").  Messages go in one at a time; each one's replies
 * are awaited (briefly: a request may block, e.g. on a FIFO the input made)
 * and delivered before the next, which keeps runs close to deterministic.
 * Checked besides the sanitizers: every reply is a well-formed message of
 * the dialect its request was sent in, no larger than msize, and the
 * session ends cleanly with every worker back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/proto/p9_table.h"
#include "tests/unit/server-harness.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MESSAGES 64
#define SETTLE_MS 30        /* wait for replies after each message */

/* The dialects a tag's requests were sent in (a bit set): its replies must parse in one. */
static uint8_t tag_dialects[65536];

static unsigned dialect_of(const char *version)
{
    static const struct { const char *prefix; unsigned dialect; } known[] = {
        { "9P2000.L", P9_2000_L }, { "9P2000.u", P9_2000_U }, { "9P2000", P9_2000 },
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        size_t n = strlen(known[i].prefix);
        if (strncmp(version, known[i].prefix, n) == 0 && (version[n] == '\0' || version[n] == '.'))
            return known[i].dialect;
    }
    return P9_DIALECT_NONE;
}

/* The dialect the server answers `msg` in, the session being in `current`. */
static unsigned reply_dialect(const uint8_t *msg, uint32_t len, unsigned current)
{
    if (msg[4] != P9_TVERSION)
        return current;
    static struct p9_args args;
    uint8_t *body = malloc(len - P9_HDR_SIZE + 1);
    memcpy(body, msg + P9_HDR_SIZE, len - P9_HDR_SIZE);
    unsigned d = current;
    if (p9_decode(body, len - P9_HDR_SIZE, "ds", P9_2000, &args) == 0)
        d = dialect_of(args.a[1].s.s);
    free(body);
    return d;
}

/* Bit of a dialect in tag_dialects (P9_DIALECT_NONE included). */
static uint8_t dialect_bit(unsigned d)
{
    return d == P9_DIALECT_NONE ? 1u << 3 : (uint8_t)d;
}

static bool parses_in(struct harness *h, const struct p9_reply *sent, uint8_t bits)
{
    static const unsigned all[] = { P9_DIALECT_NONE, P9_2000, P9_2000_U, P9_2000_L };
    bool ok = false;
    unsigned saved = h->dialect;
    for (size_t i = 0; i < 4 && !ok; i++) {
        if (!(bits & dialect_bit(all[i])))
            continue;
        h->dialect = all[i];
        struct h_reply *r = h_copy(h, sent);
        ok = r->parse_error == 0;
        h_reply_free(r);
    }
    h->dialect = saved;
    return ok;
}

/* Takes every reply sent (waiting up to `ms` while requests are in flight). */
static void drain(struct harness *h, unsigned ms, unsigned *dialect)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    for (;;) {
        /* In flight counts replies sent and not yet delivered: none left means done. */
        struct p9_session_stats st;
        p9_session_get_stats(h->session, &st);
        if (st.inflight == 0 || g_get_monotonic_time() > deadline)
            return;
        struct p9_reply *sent = h_next_sent(h, 1);
        if (!sent)
            continue;
        uint16_t tag = h_tag_of(sent);
        if (sent->size > p9_session_msize(h->session) && h_id_of(sent) != P9_RVERSION)
            abort();
        if (!parses_in(h, sent, tag_dialects[tag]))
            abort();
        if (h_id_of(sent) == P9_RVERSION) {
            h->dialect = P9_2000_L;     /* Rversion's format is the same in all */
            struct h_reply *r = h_copy(h, sent);
            *dialect = dialect_of(r->r.body.a[1].s.s);
            h_reply_free(r);
        }
        h_reply_free(h_deliver(h, sent));
    }
}

/*
 * The export of an input, a bit each: passthrough, allow-acl, allow-setid,
 * quotas (8 names, 8 KiB: within reach of a short input), auto-delete.
 * Not allow-devices: the fuzzer would make nodes of the host's devices in
 * /tmp (fsdrv never opens them, but other host processes could).
 */
static struct h_options export_of(uint8_t bits)
{
    struct h_options opt = { .max_msize = 8192, .max_workers = 4, .max_requests = 32 };
    opt.model = bits & 1 ? FSDRV_MODEL_PASSTHROUGH : FSDRV_MODEL_NONE;
    opt.allow_acl = bits & 2;
    opt.allow_setid = bits & 4;
    if (bits & 8) {
        opt.max_files = 8;
        opt.max_space = 8 << 10;
    }
    opt.auto_delete = bits & 16;
    return opt;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* GSlice keeps per-thread magazines that a worker thread frees while it
     * exits, after the session (and so the input) is done: LeakSanitizer
     * may catch them in between.  Plain malloc has no such state. */
    setenv("G_SLICE", "always-malloc", 0);
    umask(0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    struct h_options opt = export_of(data[0]);
    data++;
    size--;
    struct harness *h = h_new(&opt);
    memset(tag_dialects, 0, sizeof(tag_dialects));
    unsigned dialect = P9_DIALECT_NONE;
    size_t pos = 0;
    for (unsigned count = 0; count < MAX_MESSAGES && size - pos >= P9_HDR_SIZE; count++) {
        /* The transport's framing: 7 <= size <= msize, and all of it there. */
        uint32_t len = data[pos] | data[pos + 1] << 8 | data[pos + 2] << 16 |
                       (uint32_t)data[pos + 3] << 24;
        uint32_t limit = p9_session_msize(h->session);
        if (len < P9_HDR_SIZE)
            len = P9_HDR_SIZE;
        if (len > size - pos)
            len = size - pos;
        if (len > limit)
            len = limit;
        uint8_t *msg = malloc(len);
        memcpy(msg, data + pos, len);
        pos += len;
        p9_put_header(msg, len, msg[4], msg[5] | msg[6] << 8);
        uint16_t tag = msg[5] | msg[6] << 8;
        tag_dialects[tag] |= dialect_bit(reply_dialect(msg, len, dialect));
        if (!p9_session_can_accept(h->session, msg[4])) {
            free(msg);
            break;
        }
        p9_session_submit(h->session, msg, len, count & 1);
        drain(h, SETTLE_MS, &dialect);
    }
    h_free(h);      /* closes the session, asserts every worker returned */
    return 0;
}
