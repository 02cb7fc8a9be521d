// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of ring/: framing, wrap-around, full ring, partial arrival and
 * every hostile index or size a guest can write (docs/xen-transport.md A.5-A.10).
 * One thread; the two sides of each direction are driven by hand. The threaded
 * stress test is test-ring-stress.c.
 */
#include "config.h"

#include "ring/ring.h"

#include <glib.h>

/* Guard bytes around the data area: any copy outside the arrays changes them. */
#define GUARD_BYTES 256
#define FILL_BYTE 0xa5

/* One interface page + data area seen from both sides. */
struct rig {
    struct xen_9pfs_data_intf *intf;
    unsigned char *alloc;
    unsigned char *data;
    unsigned order;
    RING_IDX size;
    struct ring_writer fe_out; /* frontend sends requests */
    struct ring_reader be_out; /* backend frames them */
    struct ring_writer be_in;  /* backend sends replies */
    struct ring_reader fe_in;  /* frontend frames them */
};

static void rig_init(struct rig *rig, unsigned order, RING_IDX out_start, RING_IDX in_start)
{
    size_t data_bytes = ring_data_bytes(order);

    rig->order = order;
    rig->size = (RING_IDX)ring_direction_bytes(order);
    rig->intf = g_malloc0(RING_PAGE_BYTES);
    rig->alloc = g_malloc(data_bytes + 2 * GUARD_BYTES);
    memset(rig->alloc, FILL_BYTE, data_bytes + 2 * GUARD_BYTES);
    rig->data = rig->alloc + GUARD_BYTES;
    rig->intf->out_prod = rig->intf->out_cons = out_start;
    rig->intf->in_prod = rig->intf->in_cons = in_start;
    ring_frontend_init(rig->intf, rig->data, order, &rig->fe_out, &rig->fe_in);
    ring_backend_init(rig->intf, rig->data, order, &rig->be_out, &rig->be_in);
}

static void rig_clear(struct rig *rig)
{
    size_t data_bytes = ring_data_bytes(rig->order);

    for (size_t i = 0; i < GUARD_BYTES; i++) {
        g_assert_cmpuint(rig->alloc[i], ==, FILL_BYTE);
        g_assert_cmpuint(rig->alloc[GUARD_BYTES + data_bytes + i], ==, FILL_BYTE);
    }
    g_free(rig->alloc);
    g_free(rig->intf);
}

static unsigned char *out_array(const struct rig *rig)
{
    return rig->data + rig->size;
}

static unsigned char *in_array(const struct rig *rig)
{
    return rig->data;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A 9P-framed message whose body is a pattern derived from salt. */
static unsigned char *make_msg(uint32_t size, uint32_t salt)
{
    unsigned char *msg = g_malloc(size);

    g_assert_cmpuint(size, >=, RING_MSG_HEADER_BYTES);
    put_le32(msg, size);
    msg[4] = (unsigned char)salt;
    msg[5] = (unsigned char)(salt >> 8);
    msg[6] = (unsigned char)(salt >> 16);
    for (uint32_t i = RING_MSG_HEADER_BYTES; i < size; i++)
        msg[i] = (unsigned char)(salt * 31u + i * 7u + (i >> 8));
    return msg;
}

static void expect_put(struct ring_writer *w, const unsigned char *msg, uint32_t size,
                       enum ring_status expected)
{
    const char *why = NULL;

    g_assert_cmpint(ring_put(w, msg, size, &why), ==, expected);
    if (expected != RING_BROKEN)
        g_assert_null(why);
}

/* Peek must announce exactly msg, and take must copy it out exactly. */
static void expect_msg(struct ring_reader *r, uint32_t limit, const unsigned char *msg,
                       uint32_t size)
{
    uint32_t got_size = 0;
    const char *why = NULL;
    unsigned char *copy;

    g_assert_cmpint(ring_peek(r, limit, &got_size, &why), ==, RING_MSG);
    g_assert_null(why);
    g_assert_cmpuint(got_size, ==, size);
    copy = g_malloc(size);
    ring_take(r, copy, size);
    g_assert_cmpmem(copy, size, msg, size);
    g_free(copy);
}

static void expect_peek(struct ring_reader *r, uint32_t limit, enum ring_status expected)
{
    uint32_t size = 0;
    const char *why = NULL;

    g_assert_cmpint(ring_peek(r, limit, &size, &why), ==, expected);
    if (expected == RING_BROKEN)
        g_assert_true(why == r->fault.why && why != NULL);
    else
        g_assert_null(why);
}

static void test_order_valid(void)
{
    g_assert_false(ring_order_valid(0, 9));
    g_assert_true(ring_order_valid(1, 9));
    g_assert_true(ring_order_valid(9, 9));
    g_assert_false(ring_order_valid(10, 9));
    g_assert_false(ring_order_valid(6, 5));
    g_assert_true(ring_order_valid(5, 5));
    g_assert_false(ring_order_valid(10, 12)); /* beyond the protocol maximum */
    g_assert_false(ring_order_valid(UINT32_MAX, UINT32_MAX));
}

static void test_layout(void)
{
    struct rig rig;

    g_assert_cmpuint(ring_direction_bytes(1), ==, 4096);
    g_assert_cmpuint(ring_direction_bytes(4), ==, 32768);
    g_assert_cmpuint(ring_direction_bytes(9), ==, 1u << 20);
    g_assert_cmpuint(ring_data_bytes(9), ==, 512u * 4096u);

    rig_init(&rig, 4, 0, 0);
    g_assert_cmpuint(rig.intf->ring_order, ==, 4);
    /* in = first half, out = second half (A.4) */
    g_assert_true(rig.be_in.data == rig.data);
    g_assert_true(rig.fe_in.data == rig.data);
    g_assert_true(rig.be_out.data == rig.data + 32768);
    g_assert_true(rig.fe_out.data == rig.data + 32768);
    g_assert_true(rig.be_out.shared_prod == &rig.intf->out_prod);
    g_assert_true(rig.be_out.shared_cons == &rig.intf->out_cons);
    g_assert_true(rig.be_in.shared_prod == &rig.intf->in_prod);
    g_assert_true(rig.be_in.shared_cons == &rig.intf->in_cons);
    rig_clear(&rig);
}

/* The bytes of msg sit at (start + i) & mask and nothing else in either array changed. */
static void check_layout(const struct rig *rig, const unsigned char *array, RING_IDX start,
                         const unsigned char *msg, uint32_t size)
{
    const unsigned char *other = array == in_array(rig) ? out_array(rig) : in_array(rig);
    RING_IDX mask = rig->size - 1;

    for (RING_IDX pos = 0; pos < rig->size; pos++) {
        RING_IDX rel = (pos - start) & mask;

        if (rel < size)
            g_assert_cmpuint(array[pos], ==, msg[rel]);
        else
            g_assert_cmpuint(array[pos], ==, FILL_BYTE);
        g_assert_cmpuint(other[pos], ==, FILL_BYTE);
    }
}

/* A message at every start offset near the end of the array, header and body wrapping. */
static void test_wrap_every_offset(void)
{
    static const uint32_t lengths[] = { 7, 8, 9, 10, 11, 12, 13, 16, 33, 100 };
    const RING_IDX size = (RING_IDX)ring_direction_bytes(1);

    for (RING_IDX offset = size - 110; offset < size + 8; offset++) {
        for (size_t l = 0; l < G_N_ELEMENTS(lengths); l++) {
            uint32_t len = lengths[l];
            RING_IDX start = 3 * size + offset;
            unsigned char *msg = make_msg(len, offset * 16 + (uint32_t)l);
            struct rig rig;

            /* requests: frontend -> backend on out */
            rig_init(&rig, 1, start, start);
            expect_put(&rig.fe_out, msg, len, RING_OK);
            g_assert_cmpuint(rig.intf->out_prod, ==, start + len);
            check_layout(&rig, out_array(&rig), start, msg, len);
            g_assert_cmpuint(ring_pending_bytes(&rig.be_out), ==, len);
            expect_msg(&rig.be_out, size, msg, len);
            g_assert_cmpuint(rig.intf->out_cons, ==, start + len);
            g_assert_cmpuint(ring_pending_bytes(&rig.be_out), ==, 0);
            expect_peek(&rig.be_out, size, RING_EMPTY);
            rig_clear(&rig);

            /* replies: backend -> frontend on in */
            rig_init(&rig, 1, start, start);
            expect_put(&rig.be_in, msg, len, RING_OK);
            g_assert_cmpuint(rig.intf->in_prod, ==, start + len);
            check_layout(&rig, in_array(&rig), start, msg, len);
            expect_msg(&rig.fe_in, size, msg, len);
            g_assert_cmpuint(rig.intf->in_cons, ==, start + len);
            rig_clear(&rig);
            g_free(msg);
        }
    }
}

/* queued == ring size is legal; then nothing more fits until the reader frees space. */
static void test_full_ring(void)
{
    static const uint32_t sizes[] = { 1000, 1000, 1000, 1096 };
    unsigned char *msgs[G_N_ELEMENTS(sizes)];
    unsigned char *small = make_msg(7, 99);
    struct rig rig;

    rig_init(&rig, 1, 12345, 0);
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        msgs[i] = make_msg(sizes[i], (uint32_t)i);
        expect_put(&rig.fe_out, msgs[i], sizes[i], RING_OK);
    }
    /* masked prod == masked cons with raw indices a ring apart: full, not empty */
    g_assert_cmpuint(rig.intf->out_prod - rig.intf->out_cons, ==, rig.size);
    g_assert_cmpuint(ring_free_bytes(&rig.fe_out), ==, 0);
    g_assert_cmpuint(ring_pending_bytes(&rig.be_out), ==, rig.size);
    expect_put(&rig.fe_out, small, 7, RING_FULL);
    g_assert_cmpuint(rig.intf->out_prod, ==, 12345 + rig.size);
    expect_put(&rig.fe_out, NULL, 0, RING_OK);
    g_assert_cmpuint(rig.intf->out_prod, ==, 12345 + rig.size);

    expect_msg(&rig.be_out, rig.size, msgs[0], sizes[0]);
    g_assert_cmpuint(ring_free_bytes(&rig.fe_out), ==, 1000);
    {
        unsigned char *one_more = make_msg(1001, 98);

        expect_put(&rig.fe_out, one_more, 1001, RING_FULL);
        g_free(one_more);
    }
    expect_put(&rig.fe_out, msgs[0], sizes[0], RING_OK);
    g_assert_cmpuint(ring_free_bytes(&rig.fe_out), ==, 0);
    for (size_t i = 1; i < G_N_ELEMENTS(sizes); i++)
        expect_msg(&rig.be_out, rig.size, msgs[i], sizes[i]);
    expect_msg(&rig.be_out, rig.size, msgs[0], sizes[0]);
    expect_peek(&rig.be_out, rig.size, RING_EMPTY);
    g_assert_cmpuint(ring_free_bytes(&rig.fe_out), ==, rig.size);
    rig_clear(&rig);
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++)
        g_free(msgs[i]);
    g_free(small);
}

/* One message as big as the ring, at a start offset where it wraps. */
static void test_message_of_ring_size(void)
{
    const RING_IDX size = (RING_IDX)ring_direction_bytes(1);
    unsigned char *whole = make_msg(size, 7);
    unsigned char *over = make_msg(size + 1, 8);
    struct rig rig;

    rig_init(&rig, 1, 3 * size + 1234, 5 * size + 4000);
    expect_put(&rig.be_in, whole, size, RING_OK);
    check_layout(&rig, in_array(&rig), 5 * size + 4000, whole, size);
    expect_msg(&rig.fe_in, size, whole, size);
    expect_put(&rig.fe_out, whole, size, RING_OK);
    expect_msg(&rig.be_out, UINT32_MAX, whole, size); /* limit clamps to the ring */
    rig_clear(&rig);

    /* a header announcing more than the ring could ever hold, under a huge limit */
    rig_init(&rig, 1, 0, 0);
    expect_put(&rig.fe_out, over, RING_MSG_HEADER_BYTES, RING_OK);
    expect_peek(&rig.be_out, UINT32_MAX, RING_BROKEN);
    g_assert_cmpuint(rig.be_out.fault.value, ==, size + 1);
    g_assert_cmpuint(rig.be_out.fault.bound, ==, size);
    rig_clear(&rig);

    /* a limit one below: broken as soon as the header is readable */
    rig_init(&rig, 1, 77, 0);
    expect_put(&rig.fe_out, whole, size, RING_OK);
    expect_peek(&rig.be_out, size - 1, RING_BROKEN);
    g_assert_cmpuint(rig.be_out.fault.value, ==, size);
    g_assert_cmpuint(rig.be_out.fault.bound, ==, size - 1);
    rig_clear(&rig);

    /* larger than the ring: the writer refuses it, writes nothing, and stays broken */
    rig_init(&rig, 1, 0, 0);
    expect_put(&rig.be_in, over, size + 1, RING_BROKEN);
    g_assert_cmpuint(rig.be_in.fault.value, ==, size + 1);
    g_assert_cmpuint(rig.be_in.fault.bound, ==, size);
    g_assert_cmpuint(rig.intf->in_prod, ==, 0);
    check_layout(&rig, in_array(&rig), 0, NULL, 0);
    expect_put(&rig.be_in, whole, 7, RING_BROKEN);
    g_assert_cmpuint(rig.intf->in_prod, ==, 0);
    rig_clear(&rig);
    g_free(whole);
    g_free(over);
}

/* A message arriving in pieces: EMPTY until the last byte, then MSG. */
static void test_partial_arrival(void)
{
    static const uint32_t cuts[] = { 0, 3, 6, 7, 8, 500, 999, 1000 };
    unsigned char *msg = make_msg(1000, 5);
    struct rig rig;

    rig_init(&rig, 1, 4096 - 5, 0); /* header wraps */
    for (size_t i = 1; i < G_N_ELEMENTS(cuts); i++) {
        expect_peek(&rig.be_out, 4096, RING_EMPTY);
        g_assert_cmpuint(ring_pending_bytes(&rig.be_out), ==, cuts[i - 1]);
        expect_put(&rig.fe_out, msg + cuts[i - 1], cuts[i] - cuts[i - 1], RING_OK);
    }
    g_assert_cmpuint(ring_pending_bytes(&rig.be_out), ==, 1000);
    expect_msg(&rig.be_out, 4096, msg, 1000);
    rig_clear(&rig);

    /* a header announcing too much is refused before the body arrives */
    rig_init(&rig, 1, 0, 0);
    expect_put(&rig.fe_out, msg, 7, RING_OK);
    expect_peek(&rig.be_out, 999, RING_BROKEN);
    rig_clear(&rig);
    g_free(msg);
}

/* The producer index the guest writes: never more than a ring ahead. */
static void test_hostile_prod(void)
{
    static const RING_IDX distances[] = { 4097, 8192, 0x80000000u, 0xffffffffu };
    unsigned char *msg = make_msg(64, 1);

    for (size_t i = 0; i < G_N_ELEMENTS(distances); i++) {
        struct rig rig;

        rig_init(&rig, 1, 100, 0);
        rig.intf->out_prod = 100 + distances[i];
        expect_peek(&rig.be_out, 4096, RING_BROKEN);
        g_assert_cmpuint(rig.be_out.fault.value, ==, distances[i]);
        g_assert_cmpuint(rig.be_out.fault.bound, ==, 4096);
        g_assert_cmpuint(rig.intf->out_cons, ==, 100);
        /* once broken, always broken: a repaired index is not trusted again */
        rig.intf->out_prod = 100;
        expect_put(&rig.fe_out, msg, 64, RING_OK);
        expect_peek(&rig.be_out, 4096, RING_BROKEN);
        rig_clear(&rig);
    }

    /* exactly a ring ahead is a full ring, not corruption */
    {
        struct rig rig;

        rig_init(&rig, 1, 100, 0);
        put_le32(out_array(&rig) + 100, 64);
        rig.intf->out_prod = 100 + 4096;
        expect_peek(&rig.be_out, 4096, RING_MSG);
        rig_clear(&rig);
    }
    g_free(msg);
}

/* The consumer index the guest writes, as the backend's reply writer sees it. */
static void test_hostile_cons(void)
{
    static const RING_IDX used[] = { 4097, 0xffffffffu /* cons one ahead of prod */,
                                     0x80000000u };
    unsigned char *msg = make_msg(64, 2);

    for (size_t i = 0; i < G_N_ELEMENTS(used); i++) {
        struct rig rig;

        rig_init(&rig, 1, 0, 500);
        rig.intf->in_cons = 500 - used[i];
        expect_put(&rig.be_in, msg, 64, RING_BROKEN);
        g_assert_cmpuint(rig.be_in.fault.value, ==, used[i]);
        g_assert_cmpuint(rig.intf->in_prod, ==, 500);
        check_layout(&rig, in_array(&rig), 0, NULL, 0);
        g_assert_cmpuint(ring_free_bytes(&rig.be_in), ==, 0);
        rig.intf->in_cons = 500;
        expect_put(&rig.be_in, msg, 64, RING_BROKEN);
        rig_clear(&rig);
    }

    /* cons exactly a ring behind: full, so FULL and not broken */
    {
        struct rig rig;

        rig_init(&rig, 1, 0, 500);
        rig.intf->in_cons = 500 - 4096;
        expect_put(&rig.be_in, msg, 7, RING_FULL);
        rig.intf->in_cons = 500 - 4096 + 64;
        expect_put(&rig.be_in, msg, 64, RING_OK);
        rig_clear(&rig);
    }
    g_free(msg);
}

/* The 9P size field: below the header, over the limit, all ones. */
static void test_hostile_size(void)
{
    static const struct {
        uint32_t size;
        enum ring_status expected;
    } cases[] = {
        { 0, RING_BROKEN },    { 6, RING_BROKEN },    { 7, RING_MSG },
        { 1024, RING_MSG },    { 1025, RING_BROKEN }, { 4096, RING_BROKEN },
        { 4097, RING_BROKEN }, { 0xffffffffu, RING_BROKEN },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        unsigned char header[RING_MSG_HEADER_BYTES] = { 0 };
        struct rig rig;

        rig_init(&rig, 1, 4094, 0); /* the size field itself wraps */
        put_le32(header, cases[i].size);
        expect_put(&rig.fe_out, header, sizeof(header), RING_OK);
        /* pad the ring so a small legal size is whole */
        for (uint32_t queued = sizeof(header); queued < 1024; queued++)
            expect_put(&rig.fe_out, header, 1, RING_OK);
        expect_peek(&rig.be_out, 1024, cases[i].expected);
        if (cases[i].expected == RING_BROKEN) {
            g_assert_cmpuint(rig.be_out.fault.value, ==, cases[i].size);
            g_assert_cmpuint(rig.be_out.fault.bound, ==, cases[i].size < 7 ? 7 : 1024);
            g_assert_cmpuint(rig.intf->out_cons, ==, 4094);
        }
        rig_clear(&rig);
    }
}

/* The peer must never move the index we own (A.6 step 3). */
static void test_hostile_own_index(void)
{
    unsigned char *msg = make_msg(32, 3);
    struct rig rig;

    rig_init(&rig, 1, 0, 0);
    expect_put(&rig.fe_out, msg, 32, RING_OK);
    rig.intf->out_cons = 16;
    expect_peek(&rig.be_out, 4096, RING_BROKEN);
    g_assert_cmpuint(rig.be_out.fault.value, ==, 16);
    g_assert_cmpuint(rig.be_out.fault.bound, ==, 0);

    rig.intf->in_prod = 8;
    expect_put(&rig.be_in, msg, 32, RING_BROKEN);
    g_assert_cmpuint(rig.intf->in_prod, ==, 8);
    rig_clear(&rig);
    g_free(msg);
}

/*
 * A guest rewriting the header between peek and take (the header wraps here)
 * cannot change the copy: not its size, not its type (which the backend's flow
 * control decided on, ring_peek_type), not its tag.
 */
static void test_hostile_header_rewrite(void)
{
    unsigned char *msg = make_msg(40, 4);
    unsigned char copy[40];
    uint32_t size = 0;
    struct rig rig;

    rig_init(&rig, 1, 4090, 0);
    expect_put(&rig.fe_out, msg, 40, RING_OK);
    g_assert_cmpint(ring_peek(&rig.be_out, 4096, &size, NULL), ==, RING_MSG);
    g_assert_cmpuint(size, ==, 40);
    uint8_t type = ring_peek_type(&rig.be_out);
    g_assert_cmpuint(type, ==, msg[4]);
    for (RING_IDX i = 0; i < RING_MSG_HEADER_BYTES; i++)
        out_array(&rig)[(4090 + i) & 4095] = 0xff;
    g_assert_cmpuint(ring_peek_type(&rig.be_out), ==, type);
    ring_take(&rig.be_out, copy, size);
    g_assert_cmpmem(copy, sizeof(copy), msg, 40);
    rig_clear(&rig);
    g_free(msg);
}

/* Free-running indices crossing UINT32_MAX -> 0 in both directions. */
static void test_index_wrap(void)
{
    static const RING_IDX starts[] = { UINT32_MAX - 20, UINT32_MAX - 2048, UINT32_MAX };

    for (size_t s = 0; s < G_N_ELEMENTS(starts); s++) {
        struct rig rig;
        RING_IDX expected = starts[s];

        rig_init(&rig, 1, starts[s], starts[s]);
        for (uint32_t i = 0; i < 40; i++) {
            uint32_t len = 7 + (i * 397) % 1500;
            unsigned char *msg = make_msg(len, i);

            expect_put(&rig.fe_out, msg, len, RING_OK);
            expect_put(&rig.be_in, msg, len, RING_OK);
            expect_msg(&rig.be_out, 4096, msg, len);
            expect_msg(&rig.fe_in, 4096, msg, len);
            expected += len;
            g_free(msg);
        }
        g_assert_cmpuint(rig.intf->out_prod, ==, expected);
        g_assert_cmpuint(rig.intf->out_cons, ==, expected);
        g_assert_cmpuint(rig.intf->in_prod, ==, expected);
        g_assert_cmpuint(rig.intf->in_cons, ==, expected);
        g_assert_cmpuint(expected, <, starts[s]); /* it did wrap */
        rig_clear(&rig);
    }
}

/* A message gathered from pieces is one message; a FULL putv writes nothing. */
static void test_putv(void)
{
    unsigned char *msg = make_msg(300, 6);
    unsigned char *filler = make_msg(3900, 7);
    struct iovec pieces[] = {
        { msg, 7 }, { NULL, 0 }, { msg + 7, 100 }, { msg + 107, 193 },
    };
    unsigned char before[8192];
    struct rig rig;

    rig_init(&rig, 1, 4000, 4000);
    g_assert_cmpint(ring_putv(&rig.be_in, pieces, G_N_ELEMENTS(pieces), NULL), ==, RING_OK);
    g_assert_cmpuint(rig.intf->in_prod, ==, 4300);
    check_layout(&rig, in_array(&rig), 4000, msg, 300);
    expect_msg(&rig.fe_in, 4096, msg, 300);

    expect_put(&rig.be_in, filler, 3900, RING_OK);
    memcpy(before, rig.data, sizeof(before));
    g_assert_cmpint(ring_putv(&rig.be_in, pieces, G_N_ELEMENTS(pieces), NULL), ==, RING_FULL);
    g_assert_cmpuint(rig.intf->in_prod, ==, 8200);
    g_assert_cmpmem(rig.data, sizeof(before), before, sizeof(before));
    g_assert_cmpint(ring_putv(&rig.be_in, pieces, 0, NULL), ==, RING_OK);
    g_assert_cmpuint(rig.intf->in_prod, ==, 8200);
    rig_clear(&rig);
    g_free(msg);
    g_free(filler);
}

/* A backend attaching after the frontend queued requests finds them (A.9). */
static void test_late_attach(void)
{
    unsigned char *first = make_msg(50, 8);
    unsigned char *second = make_msg(60, 9);
    struct ring_reader be_out;
    struct ring_writer be_in;
    struct rig rig;

    rig_init(&rig, 1, 777, 888);
    expect_put(&rig.fe_out, first, 50, RING_OK);
    expect_put(&rig.fe_out, second, 60, RING_OK);
    ring_backend_init(rig.intf, rig.data, 1, &be_out, &be_in);
    g_assert_cmpuint(be_out.cons, ==, 777);
    g_assert_cmpuint(be_in.prod, ==, 888);
    expect_msg(&be_out, 4096, first, 50);
    expect_msg(&be_out, 4096, second, 60);
    rig_clear(&rig);
    g_free(first);
    g_free(second);
}

/* Taking more than the last peek validated is a caller bug and aborts. */
static void test_take_beyond_peek(void)
{
    if (g_test_subprocess()) {
        unsigned char *msg = make_msg(20, 10);
        unsigned char copy[64];
        uint32_t size;
        struct rig rig;

        rig_init(&rig, 1, 0, 0);
        expect_put(&rig.fe_out, msg, 20, RING_OK);
        g_assert_cmpint(ring_peek(&rig.be_out, 4096, &size, NULL), ==, RING_MSG);
        ring_take(&rig.be_out, copy, 21);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*size <= r->validated*");
}

/* Random puts and takes against a model queue: FULL/EMPTY decisions are exact. */
static void test_against_model(void)
{
    GRand *rand = g_rand_new_with_seed(20240601);
    GQueue model = G_QUEUE_INIT;
    uint32_t model_used = 0, salt = 0;
    struct rig rig;

    rig_init(&rig, 1, UINT32_MAX - 100000, 0);
    for (int step = 0; step < 200000; step++) {
        g_assert_cmpuint(ring_free_bytes(&rig.fe_out), ==, rig.size - model_used);
        g_assert_cmpuint(ring_pending_bytes(&rig.be_out), ==, model_used);
        if (g_rand_boolean(rand)) {
            /* mostly small messages, sometimes up to the whole ring */
            uint32_t max = g_rand_int_range(rand, 0, 8) == 0 ? rig.size : 300;
            uint32_t len = (uint32_t)g_rand_int_range(rand, 7, (gint32)max + 1);
            unsigned char *msg = make_msg(len, salt++);

            if (model_used + len <= rig.size) {
                expect_put(&rig.fe_out, msg, len, RING_OK);
                g_queue_push_tail(&model, msg);
                model_used += len;
            } else {
                expect_put(&rig.fe_out, msg, len, RING_FULL);
                g_free(msg);
            }
        } else if (g_queue_is_empty(&model)) {
            expect_peek(&rig.be_out, rig.size, RING_EMPTY);
        } else {
            unsigned char *msg = g_queue_pop_head(&model);
            uint32_t len = msg[0] | msg[1] << 8 | msg[2] << 16 | (uint32_t)msg[3] << 24;

            expect_msg(&rig.be_out, rig.size, msg, len);
            model_used -= len;
            g_free(msg);
        }
    }
    g_queue_clear_full(&model, g_free);
    rig_clear(&rig);
    g_rand_free(rand);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/ring/order-valid", test_order_valid);
    g_test_add_func("/ring/layout", test_layout);
    g_test_add_func("/ring/wrap-every-offset", test_wrap_every_offset);
    g_test_add_func("/ring/full-ring", test_full_ring);
    g_test_add_func("/ring/message-of-ring-size", test_message_of_ring_size);
    g_test_add_func("/ring/partial-arrival", test_partial_arrival);
    g_test_add_func("/ring/index-wrap", test_index_wrap);
    g_test_add_func("/ring/putv", test_putv);
    g_test_add_func("/ring/late-attach", test_late_attach);
    g_test_add_func("/ring/against-model", test_against_model);
    g_test_add_func("/ring/hostile/prod", test_hostile_prod);
    g_test_add_func("/ring/hostile/cons", test_hostile_cons);
    g_test_add_func("/ring/hostile/size", test_hostile_size);
    g_test_add_func("/ring/hostile/own-index", test_hostile_own_index);
    g_test_add_func("/ring/hostile/header-rewrite", test_hostile_header_rewrite);
    g_test_add_func("/ring/caller-bug/take-beyond-peek", test_take_beyond_peek);
    return g_test_run();
}
