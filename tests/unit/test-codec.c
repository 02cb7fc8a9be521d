// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the 9P codec and message table (backend/proto/p9_codec.h,
 * p9_table.h, p9_client.h): every message of the table both ways in every
 * dialect it exists in, every truncated prefix, hostile counts and lengths,
 * trailing bytes, embedded NULs.  Each decode works on a buffer of exactly
 * the message's size, so ASan (fuzz build) and valgrind catch any read past it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "backend/proto/p9_client.h"
#include "backend/proto/p9_codec.h"
#include "backend/proto/p9_table.h"

static const unsigned dialects[] = { P9_2000, P9_2000_U, P9_2000_L };

static const char *dialect_name(unsigned dialect)
{
    return dialect == P9_2000 ? "9P2000" : dialect == P9_2000_U ? "9P2000.u" : "9P2000.L";
}

/* ---- values for a format ------------------------------------------------ */

#define STR_MAX 48
#define DATA_MAX 200

/* Every value one message needs, and the storage its pointers point into. */
struct vals {
    union p9_arg a[P9_MAXARGS];
    char strs[P9_MAXARGS][STR_MAX];
    char names[P9_MAXWELEM + 1][STR_MAX];
    struct p9_str name_args[P9_MAXWELEM + 1];
    struct p9_qid qids[P9_MAXWELEM + 1];
    struct p9_stat stat;
    char stat_strs[5][STR_MAX];
    uint8_t data[DATA_MAX];
};

static struct p9_str random_str(GRand *r, char *buf)
{
    unsigned len = g_rand_int_range(r, 0, STR_MAX);
    for (unsigned i = 0; i < len; i++)
        buf[i] = (char)g_rand_int_range(r, 'a', 'z' + 1);
    buf[len] = '\0';
    return (struct p9_str){ .len = len, .s = buf };
}

static struct p9_qid random_qid(GRand *r)
{
    return (struct p9_qid){ .type = g_rand_int(r) & 0xff, .version = g_rand_int(r),
                            .path = (uint64_t)g_rand_int(r) << 32 | g_rand_int(r) };
}

static uint64_t random_u64(GRand *r)
{
    return (uint64_t)g_rand_int(r) << 32 | g_rand_int(r);
}

/* Fills every field of `fmt` (the '?' part too); arrays get `n_elems` entries. */
static void fill_vals(struct vals *v, const char *fmt, GRand *r, unsigned n_elems)
{
    memset(v, 0, sizeof(*v));
    union p9_arg *a = v->a;
    for (const char *f = fmt; *f; f++) {
        unsigned i = a - v->a;
        switch (*f) {
        case '?': continue;
        case 'b': a->b = g_rand_int(r) & 0xff; break;
        case 'w': a->w = g_rand_int(r) & 0xffff; break;
        case 'd': a->d = g_rand_int(r); break;
        case 'q': a->q = random_u64(r); break;
        case 's': a->s = random_str(r, v->strs[i]); break;
        case 'Q': a->Q = random_qid(r); break;
        case 'D': {
            unsigned count = g_rand_int_range(r, 0, DATA_MAX);
            for (unsigned k = 0; k < count; k++)
                v->data[k] = g_rand_int(r) & 0xff;
            a->D = (struct p9_data){ .count = count, .ptr = v->data };
            break;
        }
        case 'T':
            for (unsigned k = 0; k < n_elems; k++)
                v->name_args[k] = random_str(r, v->names[k]);
            a->T.n = n_elems;
            a->T.v = v->name_args;
            break;
        case 'R':
            for (unsigned k = 0; k < n_elems; k++)
                v->qids[k] = random_qid(r);
            a->R.n = n_elems;
            a->R.v = v->qids;
            break;
        case 'S': {
            struct p9_stat *st = &v->stat;
            st->type = g_rand_int(r) & 0xffff;
            st->dev = g_rand_int(r);
            st->qid = random_qid(r);
            st->mode = g_rand_int(r);
            st->atime = g_rand_int(r);
            st->mtime = g_rand_int(r);
            st->length = random_u64(r);
            st->name = random_str(r, v->stat_strs[0]);
            st->uid = random_str(r, v->stat_strs[1]);
            st->gid = random_str(r, v->stat_strs[2]);
            st->muid = random_str(r, v->stat_strs[3]);
            st->extension = random_str(r, v->stat_strs[4]);
            st->n_uid = g_rand_int(r);
            st->n_gid = g_rand_int(r);
            st->n_muid = g_rand_int(r);
            a->S = st;
            break;
        }
        default:
            g_assert_not_reached();
        }
        a++;
    }
}

static void assert_str_eq(const struct p9_str *want, const struct p9_str *got)
{
    g_assert_cmpuint(got->len, ==, want->len);
    g_assert_true(got->len == 0 || memcmp(got->s, want->s, got->len) == 0);
    g_assert_cmpint(got->s[got->len], ==, '\0');     /* decoded strings are C strings */
}

static void assert_qid_eq(const struct p9_qid *want, const struct p9_qid *got)
{
    g_assert_cmpuint(got->type, ==, want->type);
    g_assert_cmpuint(got->version, ==, want->version);
    g_assert_cmpuint(got->path, ==, want->path);
}

static void assert_stat_eq(const struct p9_stat *want, const struct p9_stat *got,
                           unsigned dialect)
{
    g_assert_cmpuint(got->type, ==, want->type);
    g_assert_cmpuint(got->dev, ==, want->dev);
    assert_qid_eq(&want->qid, &got->qid);
    g_assert_cmpuint(got->mode, ==, want->mode);
    g_assert_cmpuint(got->atime, ==, want->atime);
    g_assert_cmpuint(got->mtime, ==, want->mtime);
    g_assert_cmpuint(got->length, ==, want->length);
    assert_str_eq(&want->name, &got->name);
    assert_str_eq(&want->uid, &got->uid);
    assert_str_eq(&want->gid, &got->gid);
    assert_str_eq(&want->muid, &got->muid);
    if (dialect & P9_2000_U) {
        assert_str_eq(&want->extension, &got->extension);
        g_assert_cmpuint(got->n_uid, ==, want->n_uid);
        g_assert_cmpuint(got->n_gid, ==, want->n_gid);
        g_assert_cmpuint(got->n_muid, ==, want->n_muid);
    } else {
        /* 9P2000 and .L stats carry no .u fields: the decoder leaves them empty. */
        g_assert_cmpuint(got->extension.len, ==, 0);
        g_assert_cmpuint(got->n_uid, ==, 0);
    }
}

/* Compares the fields of `fmt` that exist in `dialect`. */
static void assert_vals_eq(const char *fmt, unsigned dialect, const union p9_arg *want,
                           const union p9_arg *got)
{
    for (const char *f = fmt; *f; f++) {
        if (*f == '?') {
            if (dialect == P9_2000)
                return;
            continue;
        }
        switch (*f) {
        case 'b': g_assert_cmpuint(got->b, ==, want->b); break;
        case 'w': g_assert_cmpuint(got->w, ==, want->w); break;
        case 'd': g_assert_cmpuint(got->d, ==, want->d); break;
        case 'q': g_assert_cmpuint(got->q, ==, want->q); break;
        case 's': assert_str_eq(&want->s, &got->s); break;
        case 'Q': assert_qid_eq(&want->Q, &got->Q); break;
        case 'D':
            g_assert_cmpuint(got->D.count, ==, want->D.count);
            g_assert_true(got->D.count == 0 || memcmp(got->D.ptr, want->D.ptr, got->D.count) == 0);
            break;
        case 'T':
            g_assert_cmpuint(got->T.n, ==, want->T.n);
            for (unsigned i = 0; i < want->T.n; i++)
                assert_str_eq(&want->T.v[i], &got->T.v[i]);
            break;
        case 'R':
            g_assert_cmpuint(got->R.n, ==, want->R.n);
            for (unsigned i = 0; i < want->R.n; i++)
                assert_qid_eq(&want->R.v[i], &got->R.v[i]);
            break;
        case 'S': assert_stat_eq(want->S, got->S, dialect); break;
        default: g_assert_not_reached();
        }
        want++;
        got++;
    }
}

/*
 * Decodes a private copy of exactly `len` bytes (ASan/valgrind see any
 * overread).  The decoded strings point into the copy, which lives until
 * the next call.
 */
static int decode_copy(const uint8_t *body, size_t len, const char *fmt, unsigned dialect,
                       struct p9_args *out)
{
    static uint8_t *copy;
    g_free(copy);
    copy = g_malloc(len ? len : 1);
    memcpy(copy, body, len);
    return p9_decode(copy, len, fmt, dialect, out);
}

/* Every strict prefix of a body fails to decode; one extra byte is TRAILING. */
static void check_prefixes_and_trailing(const uint8_t *body, size_t len, const char *fmt,
                                        unsigned dialect)
{
    struct p9_args *out = g_new(struct p9_args, 1);
    for (size_t cut = 0; cut < len; cut++) {
        int err = decode_copy(body, cut, fmt, dialect, out);
        if (err == P9_CODEC_OK)
            g_error("format \"%s\" (%s): prefix of %zu/%zu bytes decoded", fmt,
                    dialect_name(dialect), cut, len);
        g_assert_true(err == P9_CODEC_SHORT || err == P9_CODEC_TOOMANY);
    }
    uint8_t *longer = g_malloc(len + 1);
    memcpy(longer, body, len);
    longer[len] = 0x5a;
    g_assert_cmpint(decode_copy(longer, len + 1, fmt, dialect, out), ==, P9_CODEC_TRAILING);
    g_free(longer);
    g_free(out);
}

/* ---- requests: p9c_build -> p9_decode ------------------------------------ */

static void roundtrip_request(const struct p9_op *op, unsigned dialect, GRand *r,
                              unsigned n_elems)
{
    struct vals *v = g_new(struct vals, 1);
    fill_vals(v, op->tfmt, r, n_elems);
    uint16_t tag = g_rand_int(r) & 0xffff;
    size_t size = p9c_size(op->id, dialect, v->a);
    g_assert_cmpuint(size, >=, P9_HDR_SIZE);
    uint8_t *msg = g_malloc(size);
    /* One byte too small does not fit. */
    g_assert_cmpuint(p9c_build(msg, size - 1, op->id, tag, dialect, v->a), ==, 0);
    g_assert_cmpuint(p9c_build(msg, size, op->id, tag, dialect, v->a), ==, size);

    uint32_t hsize;
    uint8_t id;
    uint16_t htag;
    p9_get_header(msg, &hsize, &id, &htag);
    g_assert_cmpuint(hsize, ==, size);
    g_assert_cmpuint(id, ==, op->id);
    g_assert_cmpuint(htag, ==, tag);
    g_assert_cmpuint(p9_encoded_size(op->tfmt, v->a, dialect), ==, size - P9_HDR_SIZE);

    struct p9_args *out = g_new(struct p9_args, 1);
    uint8_t *body = g_memdup2(msg + P9_HDR_SIZE, size - P9_HDR_SIZE);
    g_assert_cmpint(p9_decode(body, size - P9_HDR_SIZE, op->tfmt, dialect, out), ==, P9_CODEC_OK);
    assert_vals_eq(op->tfmt, dialect, v->a, out->a);
    g_free(body);

    check_prefixes_and_trailing(msg + P9_HDR_SIZE, size - P9_HDR_SIZE, op->tfmt, dialect);
    g_free(out);
    g_free(msg);
    g_free(v);
}

/* ---- replies: p9_encode -> p9c_parse -------------------------------------- */

/* Builds the whole reply `id` with body `fmt`; returns its size. */
static uint8_t *build_reply(uint8_t id, uint16_t tag, const char *fmt, const union p9_arg *a,
                            unsigned dialect, size_t *size)
{
    *size = P9_HDR_SIZE + p9_encoded_size(fmt, a, dialect);
    uint8_t *msg = g_malloc(*size);
    g_assert_cmpuint(p9_encode(msg + P9_HDR_SIZE, fmt, a, dialect), ==, *size - P9_HDR_SIZE);
    p9_put_header(msg, *size, id, tag);
    return msg;
}

/* p9c_parse of every truncated reply (header size agreeing) fails. */
static void check_reply_prefixes(const uint8_t *msg, size_t size, unsigned dialect)
{
    struct p9c_reply *out = g_new(struct p9c_reply, 1);
    for (size_t cut = P9_HDR_SIZE; cut < size; cut++) {
        uint8_t *copy = g_memdup2(msg, cut);
        p9_put_header(copy, cut, msg[4], msg[5] | msg[6] << 8);
        int err = p9c_parse(copy, cut, dialect, out);
        g_assert_true(err == P9_CODEC_SHORT || err == P9_CODEC_TOOMANY);
        g_free(copy);
    }
    /* A header size that disagrees with the bytes is refused. */
    uint8_t *copy = g_memdup2(msg, size);
    p9_put_header(copy, size + 1, msg[4], msg[5] | msg[6] << 8);
    g_assert_cmpint(p9c_parse(copy, size, dialect, out), ==, P9_CODEC_SHORT);
    g_free(copy);
    for (uint32_t tiny = 0; tiny < P9_HDR_SIZE; tiny++) {
        copy = g_memdup2(msg, tiny ? tiny : 1);
        g_assert_cmpint(p9c_parse(copy, tiny, dialect, out), ==, P9_CODEC_SHORT);
        g_free(copy);
    }
    g_free(out);
}

static void roundtrip_reply(const struct p9_op *op, unsigned dialect, GRand *r,
                            unsigned n_elems)
{
    struct vals *v = g_new(struct vals, 1);
    fill_vals(v, op->rfmt, r, n_elems);
    uint16_t tag = g_rand_int(r) & 0xffff;
    size_t size;
    uint8_t *msg = build_reply(op->id + 1, tag, op->rfmt, v->a, dialect, &size);
    uint8_t *copy = g_memdup2(msg, size);
    struct p9c_reply *out = g_new(struct p9c_reply, 1);
    g_assert_cmpint(p9c_parse(copy, size, dialect, out), ==, 0);
    g_assert_cmpuint(out->id, ==, op->id + 1);
    g_assert_cmpuint(out->tag, ==, tag);
    g_assert_cmpint(out->error, ==, 0);
    assert_vals_eq(op->rfmt, dialect, v->a, out->body.a);
    g_free(copy);

    check_prefixes_and_trailing(msg + P9_HDR_SIZE, size - P9_HDR_SIZE, op->rfmt, dialect);
    check_reply_prefixes(msg, size, dialect);
    g_free(out);
    g_free(msg);
    g_free(v);
}

static void test_every_message(void)
{
    GRand *r = g_rand_new_with_seed(9);
    unsigned checked = 0;
    for (unsigned i = 0; p9_op_at(i); i++) {
        const struct p9_op *op = p9_op_at(i);
        for (size_t d = 0; d < G_N_ELEMENTS(dialects); d++) {
            if (!(op->dialects & dialects[d]))
                continue;
            /* Array messages: empty, a few, and the maximum of 16 elements. */
            static const unsigned sizes[] = { 0, 3, P9_MAXWELEM };
            for (size_t k = 0; k < G_N_ELEMENTS(sizes); k++) {
                for (int rep = 0; rep < 4; rep++) {
                    roundtrip_request(op, dialects[d], r, sizes[k]);
                    roundtrip_reply(op, dialects[d], r, sizes[k]);
                }
                if (!strchr(op->tfmt, 'T') && !strchr(op->rfmt, 'R'))
                    break;
            }
            checked++;
        }
    }
    /* 9 messages in every dialect, 4 in 9P2000(.u) only, 19 in .L only. */
    g_assert_cmpuint(checked, ==, 9 * 3 + 4 * 2 + 19);
    g_rand_free(r);
}

/* ---- the table ------------------------------------------------------------ */

static unsigned field_count(const char *fmt)
{
    unsigned n = 0;
    for (const char *f = fmt; *f; f++)
        n += *f != '?';
    return n;
}

static unsigned name_count(const char *names)
{
    unsigned n = 0;
    gchar **v = g_strsplit(names, " ", -1);
    for (gchar **p = v; *p; p++)
        n += **p != '\0';
    g_strfreev(v);
    return n;
}

static void test_table(void)
{
    unsigned n = 0;
    for (unsigned i = 0; p9_op_at(i); i++, n++) {
        const struct p9_op *op = p9_op_at(i);
        g_assert_true((op->id & 1) == 0);
        g_assert_true(op->name[0] == 'T' && op->rname[0] == 'R');
        g_assert_cmpstr(op->name + 1, ==, op->rname + 1);
        g_assert_cmpuint(field_count(op->tfmt), ==, name_count(op->targs));
        g_assert_cmpuint(field_count(op->rfmt), ==, name_count(op->rargs));
        g_assert_cmpuint(field_count(op->tfmt), <=, P9_MAXARGS);
        g_assert_cmpuint(field_count(op->rfmt), <=, P9_MAXARGS);
        g_assert_true(p9_op_find(op->id, P9_DIALECT_NONE) == op);
        for (size_t d = 0; d < G_N_ELEMENTS(dialects); d++) {
            const struct p9_op *found = p9_op_find(op->id, dialects[d]);
            g_assert_true(found == ((op->dialects & dialects[d]) ? op : NULL));
            g_assert_true(p9_op_for_reply(op->id + 1, dialects[d]) == found);
        }
        /* A T-id is never a reply id. */
        g_assert_null(p9_op_for_reply(op->id, P9_DIALECT_NONE));
    }
    g_assert_cmpuint(n, ==, 32);
    g_assert_null(p9_op_find(P9_TERROR, P9_DIALECT_NONE));
    g_assert_null(p9_op_find(P9_TLERROR, P9_DIALECT_NONE));
    g_assert_null(p9_op_find(0, P9_DIALECT_NONE));
    g_assert_null(p9_op_find(255, P9_DIALECT_NONE));
    g_assert_null(p9_op_find(P9_TLOPEN, P9_2000_U));
    g_assert_null(p9_op_find(P9_TOPEN, P9_2000_L));
}

/* ---- '?' fields, stats per dialect, error replies ---------------------------- */

static void test_optional_fields(void)
{
    union p9_arg a[5] = {
        { .d = 1 }, { .d = P9_NOFID }, { .s = p9_str_of("me") }, { .s = p9_str_of("") },
        { .d = 1000 },
    };
    size_t plain = p9c_size(P9_TATTACH, P9_2000, a);
    size_t u = p9c_size(P9_TATTACH, P9_2000_U, a);
    size_t l = p9c_size(P9_TATTACH, P9_2000_L, a);
    g_assert_cmpuint(u, ==, plain + 4);     /* n_uname */
    g_assert_cmpuint(l, ==, u);
    uint8_t buf[64];
    g_assert_cmpuint(p9c_build(buf, sizeof(buf), P9_TATTACH, 1, P9_2000_U, a), ==, u);
    struct p9_args out;
    uint8_t *body = buf + P9_HDR_SIZE;
    /* A .u attach is 4 bytes too long for 9P2000, a 9P2000 one 4 short for .u. */
    g_assert_cmpint(decode_copy(body, u - P9_HDR_SIZE, "ddss?d", P9_2000, &out), ==,
                    P9_CODEC_TRAILING);
    g_assert_cmpint(decode_copy(body, plain - P9_HDR_SIZE, "ddss?d", P9_2000_U, &out), ==,
                    P9_CODEC_SHORT);
    g_assert_cmpint(decode_copy(body, u - P9_HDR_SIZE, "ddss?d", P9_2000_U, &out), ==, 0);
    g_assert_cmpuint(out.a[4].d, ==, 1000);

    /* Tcreate's extension only in .u. */
    union p9_arg c[5] = { { .d = 1 }, { .s = p9_str_of("f") }, { .d = 0644 }, { .b = 0 },
                          { .s = p9_str_of("b 1 2") } };
    g_assert_cmpuint(p9c_size(P9_TCREATE, P9_2000_U, c), ==,
                     p9c_size(P9_TCREATE, P9_2000, c) + 2 + 5);
}

static void test_stat_dialects(void)
{
    struct p9_stat st = {
        .type = 1, .dev = 2, .qid = { P9_QTDIR, 3, 4 }, .mode = P9_DMDIR | 0755,
        .atime = 5, .mtime = 6, .length = 7, .name = p9_str_of("n"), .uid = p9_str_of("u"),
        .gid = p9_str_of("g"), .muid = p9_str_of("m"), .extension = p9_str_of("ext"),
        .n_uid = 8, .n_gid = 9, .n_muid = 10,
    };
    size_t plain = p9_stat_size(&st, P9_2000), u = p9_stat_size(&st, P9_2000_U);
    /* size[2] type[2] dev[4] qid[13] mode[4] atime[4] mtime[4] length[8] 4 strings */
    g_assert_cmpuint(plain, ==, 2 + 2 + 4 + 13 + 4 + 4 + 4 + 8 + 4 * (2 + 1));
    g_assert_cmpuint(u, ==, plain + 2 + 3 + 3 * 4);

    union p9_arg a[3] = { { .d = 1 }, { .w = 0 }, { .S = &st } };
    for (size_t d = 0; d < 2; d++) {
        unsigned dialect = dialects[d];
        a[1].w = p9_stat_size(&st, dialect);
        uint8_t buf[256];
        size_t size = p9c_build(buf, sizeof(buf), P9_TWSTAT, 7, dialect, a);
        g_assert_cmpuint(size, ==, P9_HDR_SIZE + 4 + 2 + p9_stat_size(&st, dialect));
        /* The stat's own size field counts the bytes after it. */
        g_assert_cmpuint(buf[P9_HDR_SIZE + 6] | buf[P9_HDR_SIZE + 7] << 8, ==,
                         p9_stat_size(&st, dialect) - 2);
        struct p9_args out;
        g_assert_cmpint(decode_copy(buf + P9_HDR_SIZE, size - P9_HDR_SIZE, "dwS", dialect, &out),
                        ==, 0);
        assert_stat_eq(&st, out.a[2].S, dialect);
        /* Read in the other dialect, the stat's own length no longer fits its fields. */
        unsigned other = dialect == P9_2000 ? P9_2000_U : P9_2000;
        int err = decode_copy(buf + P9_HDR_SIZE, size - P9_HDR_SIZE, "dwS", other, &out);
        g_assert_cmpint(err, ==, dialect == P9_2000 ? P9_CODEC_SHORT : P9_CODEC_TRAILING);
    }
}

static void test_error_replies(void)
{
    struct p9c_reply out;
    size_t size;
    union p9_arg a[2] = { { .d = ENOENT } };
    uint8_t *msg = build_reply(P9_RLERROR, 3, P9_RLERROR_FMT, a, P9_2000_L, &size);
    g_assert_cmpuint(size, ==, P9_HDR_SIZE + 4);
    g_assert_cmpint(p9c_parse(msg, size, P9_2000_L, &out), ==, 0);
    g_assert_cmpuint(out.id, ==, P9_RLERROR);
    g_assert_cmpint(out.error, ==, ENOENT);
    g_free(msg);

    a[0].s = p9_str_of("No such file or directory");
    a[1].d = ENOENT;
    msg = build_reply(P9_RERROR, 4, P9_RERROR_FMT, a, P9_2000_U, &size);
    g_assert_cmpint(p9c_parse(msg, size, P9_2000_U, &out), ==, 0);
    g_assert_cmpint(out.error, ==, ENOENT);
    g_assert_cmpstr(out.body.a[0].s.s, ==, "No such file or directory");
    g_free(msg);

    /* 9P2000 has no errno: the client sees EIO and the string. */
    msg = build_reply(P9_RERROR, 4, P9_RERROR_FMT, a, P9_2000, &size);
    g_assert_cmpuint(size, ==, P9_HDR_SIZE + 2 + a[0].s.len);
    g_assert_cmpint(p9c_parse(msg, size, P9_2000, &out), ==, 0);
    g_assert_cmpint(out.error, ==, EIO);
    g_free(msg);

    /* Unknown reply ids and T-ids are not replies. */
    uint8_t hdr[P9_HDR_SIZE];
    p9_put_header(hdr, sizeof(hdr), 200, 1);
    g_assert_cmpint(p9c_parse(hdr, sizeof(hdr), P9_2000_L, &out), ==, -1);
    p9_put_header(hdr, sizeof(hdr), P9_TCLUNK, 1);
    g_assert_cmpint(p9c_parse(hdr, sizeof(hdr), P9_2000_L, &out), ==, -1);
    /* A .L reply in a .u session does not exist. */
    p9_put_header(hdr, sizeof(hdr), P9_RFSYNC, 1);
    g_assert_cmpint(p9c_parse(hdr, sizeof(hdr), P9_2000_U, &out), ==, -1);
    g_assert_cmpint(p9c_parse(hdr, sizeof(hdr), P9_2000_L, &out), ==, 0);
}

/* ---- hostile counts and lengths -------------------------------------------- */

/* A little writer for hand-made bodies. */
struct raw {
    uint8_t b[512];
    size_t n;
};

static void raw_u8(struct raw *r, uint8_t v) { r->b[r->n++] = v; }
static void raw_u16(struct raw *r, uint16_t v) { raw_u8(r, v); raw_u8(r, v >> 8); }
static void raw_u32(struct raw *r, uint32_t v) { raw_u16(r, v); raw_u16(r, v >> 16); }
static void raw_u64(struct raw *r, uint64_t v) { raw_u32(r, v); raw_u32(r, v >> 32); }
static void raw_bytes(struct raw *r, const void *p, size_t n) { memcpy(r->b + r->n, p, n); r->n += n; }
static void raw_str(struct raw *r, const char *s) { raw_u16(r, strlen(s)); raw_bytes(r, s, strlen(s)); }
static void raw_qid(struct raw *r) { raw_u8(r, 0); raw_u32(r, 0); raw_u64(r, 1); }

static int raw_decode(const struct raw *r, const char *fmt, unsigned dialect, struct p9_args *out)
{
    return decode_copy(r->b, r->n, fmt, dialect, out);
}

static void test_string_too_long(void)
{
    struct p9_args out;
    struct raw r = { .n = 0 };
    raw_u32(&r, 1);
    raw_u32(&r, P9_NOFID);
    raw_u16(&r, 1000);          /* uname claims 1000 bytes, 5 follow */
    raw_bytes(&r, "abcde", 5);
    g_assert_cmpint(raw_decode(&r, "ddss?d", P9_2000_L, &out), ==, P9_CODEC_SHORT);

    /* The largest length a string can claim, with nothing behind it. */
    r.n = 0;
    raw_u16(&r, 0xffff);
    g_assert_cmpint(raw_decode(&r, "s", P9_2000_L, &out), ==, P9_CODEC_SHORT);

    /* A string of 65535 bytes that is there decodes. */
    size_t big = 2 + 0xffff;
    uint8_t *buf = g_malloc(big);
    buf[0] = buf[1] = 0xff;
    memset(buf + 2, 'x', 0xffff);
    g_assert_cmpint(p9_decode(buf, big, "s", P9_2000_L, &out), ==, 0);
    g_assert_cmpuint(out.a[0].s.len, ==, 0xffff);
    g_assert_cmpuint(strlen(out.a[0].s.s), ==, 0xffff);
    g_free(buf);
}

static void test_walk_too_many(void)
{
    struct p9_args out;
    struct raw r = { .n = 0 };
    raw_u32(&r, 1);
    raw_u32(&r, 2);
    raw_u16(&r, P9_MAXWELEM + 1);
    for (int i = 0; i <= P9_MAXWELEM; i++)
        raw_str(&r, "a");
    g_assert_cmpint(raw_decode(&r, "ddT", P9_2000_L, &out), ==, P9_CODEC_TOOMANY);
    /* The count alone is enough to refuse: no names behind it. */
    r.n = 8;
    raw_u16(&r, 0xffff);
    g_assert_cmpint(raw_decode(&r, "ddT", P9_2000_L, &out), ==, P9_CODEC_TOOMANY);

    r.n = 0;
    raw_u16(&r, P9_MAXWELEM + 1);
    for (int i = 0; i <= P9_MAXWELEM; i++)
        raw_qid(&r);
    g_assert_cmpint(raw_decode(&r, "R", P9_2000_L, &out), ==, P9_CODEC_TOOMANY);

    /* Exactly 16 is fine; 16 announced with 15 present is short. */
    r.n = 0;
    raw_u16(&r, P9_MAXWELEM);
    for (int i = 0; i < P9_MAXWELEM; i++)
        raw_qid(&r);
    g_assert_cmpint(raw_decode(&r, "R", P9_2000_L, &out), ==, 0);
    g_assert_cmpuint(out.a[0].R.n, ==, P9_MAXWELEM);
    r.n -= P9_QID_SIZE;
    g_assert_cmpint(raw_decode(&r, "R", P9_2000_L, &out), ==, P9_CODEC_SHORT);
}

static void test_data_count(void)
{
    struct p9_args out;
    struct raw r = { .n = 0 };
    raw_u32(&r, 1);
    raw_u64(&r, 0);
    raw_u32(&r, 0xffffffffu);   /* Twrite count far beyond the message */
    raw_bytes(&r, "abc", 3);
    g_assert_cmpint(raw_decode(&r, "dqD", P9_2000_L, &out), ==, P9_CODEC_SHORT);
    r.n = 12;
    raw_u32(&r, 4);             /* one more than there is */
    raw_bytes(&r, "abc", 3);
    g_assert_cmpint(raw_decode(&r, "dqD", P9_2000_L, &out), ==, P9_CODEC_SHORT);
    r.n = 12;
    raw_u32(&r, 0x80000000u);   /* would be negative as an int */
    g_assert_cmpint(raw_decode(&r, "dqD", P9_2000_L, &out), ==, P9_CODEC_SHORT);
    r.n = 12;
    raw_u32(&r, 3);
    raw_bytes(&r, "abc", 3);
    g_assert_cmpint(raw_decode(&r, "dqD", P9_2000_L, &out), ==, 0);
    g_assert_cmpmem(out.a[2].D.ptr, 3, "abc", 3);
    /* Tread's count is a plain number: any value decodes (the server caps it). */
    r.n = 12;
    raw_u32(&r, 0xffffffffu);
    g_assert_cmpint(raw_decode(&r, "dqd", P9_2000_L, &out), ==, 0);
    g_assert_cmpuint(out.a[2].d, ==, 0xffffffffu);
}

static void test_stat_sizes(void)
{
    struct p9_args out;
    struct raw r = { .n = 0 };
    /* A stat claiming more bytes than the message has. */
    raw_u16(&r, 0xffff);
    raw_bytes(&r, "0123456789", 10);
    g_assert_cmpint(raw_decode(&r, "S", P9_2000_U, &out), ==, P9_CODEC_SHORT);

    /* A stat whose size is too small for its own fields: the fields must not
     * be read past the stat's span, even though the message goes on. */
    r.n = 0;
    raw_u16(&r, 10);
    raw_u16(&r, 0);
    raw_u32(&r, 0);
    raw_qid(&r);
    raw_u32(&r, 0);
    raw_u32(&r, 0);
    raw_u32(&r, 0);
    raw_u64(&r, 0);
    for (int i = 0; i < 4; i++)
        raw_str(&r, "");
    g_assert_cmpint(raw_decode(&r, "S", P9_2000, &out), ==, P9_CODEC_SHORT);
    /* The same stat with its true size decodes; with a larger one (the
     * message padded to match) the padding inside the stat is TRAILING. */
    r.b[0] = r.n - 2;
    g_assert_cmpint(raw_decode(&r, "S", P9_2000, &out), ==, 0);
    r.b[0] = r.n - 2 + 3;
    raw_bytes(&r, "pad", 3);
    g_assert_cmpint(raw_decode(&r, "S", P9_2000, &out), ==, P9_CODEC_TRAILING);
    /* A string inside the stat longer than the stat. */
    r.n = 0;
    raw_u16(&r, 41);
    raw_u16(&r, 0);
    raw_u32(&r, 0);
    raw_qid(&r);
    raw_u32(&r, 0);
    raw_u32(&r, 0);
    raw_u32(&r, 0);
    raw_u64(&r, 0);
    raw_u16(&r, 30);           /* name: 30 bytes claimed, the stat ends first */
    raw_bytes(&r, "abcdefghijklmnopqrstuvwxyz0123456789", 36);
    g_assert_cmpint(raw_decode(&r, "S", P9_2000, &out), ==, P9_CODEC_SHORT);
}

static void test_trailing_and_empty(void)
{
    struct p9_args out;
    uint8_t one = 0;
    g_assert_cmpint(decode_copy(&one, 0, "", P9_2000_L, &out), ==, 0);
    g_assert_cmpint(decode_copy(&one, 1, "", P9_2000_L, &out), ==, P9_CODEC_TRAILING);
    /* In 9P2000 the fields after '?' are not read: their bytes are trailing. */
    struct raw r = { .n = 0 };
    raw_str(&r, "err");
    raw_u32(&r, ENOENT);
    g_assert_cmpint(raw_decode(&r, P9_RERROR_FMT, P9_2000, &out), ==, P9_CODEC_TRAILING);
    g_assert_cmpint(raw_decode(&r, P9_RERROR_FMT, P9_2000_U, &out), ==, 0);
    /* A format the codec does not know is a bug, reported as such. */
    g_assert_cmpint(decode_copy((const uint8_t *)"abcd", 4, "dZ", P9_2000_L, &out), ==,
                    P9_CODEC_BADFMT);
    union p9_arg a[1] = { { .d = 0 } };
    g_assert_cmpuint(p9_encoded_size("Z", a, P9_2000_L), ==, 0);
}

static void test_embedded_nul(void)
{
    struct p9_args out;
    struct raw r = { .n = 0 };
    raw_u32(&r, 1);
    raw_u32(&r, 2);
    raw_u16(&r, 2);
    raw_u16(&r, 3);
    raw_bytes(&r, "a\0b", 3);
    raw_str(&r, "c");
    g_assert_cmpint(raw_decode(&r, "ddT", P9_2000_L, &out), ==, 0);
    g_assert_cmpuint(out.a[2].T.n, ==, 2);
    /* The length keeps the whole name: the server sees len != strlen and refuses it. */
    g_assert_cmpuint(out.a[2].T.v[0].len, ==, 3);
    g_assert_cmpmem(out.a[2].T.v[0].s, 3, "a\0b", 3);
    g_assert_cmpuint(strlen(out.a[2].T.v[0].s), ==, 1);
    g_assert_cmpstr(out.a[2].T.v[1].s, ==, "c");

    /* Encoding a string with a NUL inside writes all of its bytes. */
    union p9_arg a[1] = { { .s = { .len = 3, .s = "x\0y" } } };
    uint8_t buf[8];
    g_assert_cmpuint(p9_encode(buf, "s", a, P9_2000_L), ==, 5);
    g_assert_cmpmem(buf, 5, "\3\0x\0y", 5);
}

static void test_header(void)
{
    uint8_t hdr[P9_HDR_SIZE];
    uint32_t size;
    uint8_t id;
    uint16_t tag;
    p9_put_header(hdr, 0xfedcba98u, 0xab, 0xcdef);
    g_assert_cmpmem(hdr, 7, "\x98\xba\xdc\xfe\xab\xef\xcd", 7);
    p9_get_header(hdr, &size, &id, &tag);
    g_assert_cmpuint(size, ==, 0xfedcba98u);
    g_assert_cmpuint(id, ==, 0xab);
    g_assert_cmpuint(tag, ==, 0xcdef);
}

static void test_build_refusals(void)
{
    union p9_arg a[2] = { { .d = 8192 }, { .s = p9_str_of("9P2000.L") } };
    uint8_t buf[64];
    /* Unknown ids and ids of another dialect are not built. */
    g_assert_cmpuint(p9c_build(buf, sizeof(buf), 200, 1, P9_2000_L, a), ==, 0);
    g_assert_cmpuint(p9c_build(buf, sizeof(buf), P9_TLOPEN, 1, P9_2000_U, a), ==, 0);
    g_assert_cmpuint(p9c_size(P9_TOPEN, P9_2000_L, a), ==, 0);
    /* Tversion is built before any dialect is known. */
    g_assert_cmpuint(p9c_build(buf, sizeof(buf), P9_TVERSION, P9_NOTAG, P9_DIALECT_NONE, a), ==,
                     P9_HDR_SIZE + 4 + 2 + 8);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/codec/table", test_table);
    g_test_add_func("/codec/every-message", test_every_message);
    g_test_add_func("/codec/optional-fields", test_optional_fields);
    g_test_add_func("/codec/stat-dialects", test_stat_dialects);
    g_test_add_func("/codec/error-replies", test_error_replies);
    g_test_add_func("/codec/string-too-long", test_string_too_long);
    g_test_add_func("/codec/walk-too-many", test_walk_too_many);
    g_test_add_func("/codec/data-count", test_data_count);
    g_test_add_func("/codec/stat-sizes", test_stat_sizes);
    g_test_add_func("/codec/trailing-and-empty", test_trailing_and_empty);
    g_test_add_func("/codec/embedded-nul", test_embedded_nul);
    g_test_add_func("/codec/header", test_header);
    g_test_add_func("/codec/build-refusals", test_build_refusals);
    return g_test_run();
}
