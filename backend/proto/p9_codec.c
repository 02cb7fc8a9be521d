// SPDX-License-Identifier: GPL-2.0-or-later
/* The format-driven 9P encoder and decoder (see p9_codec.h). */
#include "config.h"

#include "backend/proto/p9_codec.h"

#include <string.h>

/* ---- little-endian primitives ---------------------------------------- */

static inline void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static inline void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }
static inline uint16_t get16(const uint8_t *p) { return p[0] | (uint16_t)p[1] << 8; }
static inline uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static inline uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

void p9_put_header(uint8_t *buf, uint32_t size, uint8_t id, uint16_t tag)
{
    put32(buf, size);
    buf[4] = id;
    put16(buf + 5, tag);
}

void p9_get_header(const uint8_t *buf, uint32_t *size, uint8_t *id, uint16_t *tag)
{
    *size = get32(buf);
    *id = buf[4];
    *tag = get16(buf + 5);
}

static bool has_extensions(unsigned dialect)
{
    return dialect & (P9_2000_U | P9_2000_L);
}

/* ---- decoding ---------------------------------------------------------- */

struct cursor {
    uint8_t *p;
    size_t left;
};

static bool take(struct cursor *c, size_t n, uint8_t **at)
{
    if (n > c->left)
        return false;
    *at = c->p;
    c->p += n;
    c->left -= n;
    return true;
}

static bool get_u8(struct cursor *c, uint8_t *v)
{
    uint8_t *p;
    if (!take(c, 1, &p))
        return false;
    *v = *p;
    return true;
}

static bool get_u16(struct cursor *c, uint16_t *v)
{
    uint8_t *p;
    if (!take(c, 2, &p))
        return false;
    *v = get16(p);
    return true;
}

static bool get_u32(struct cursor *c, uint32_t *v)
{
    uint8_t *p;
    if (!take(c, 4, &p))
        return false;
    *v = get32(p);
    return true;
}

static bool get_u64(struct cursor *c, uint64_t *v)
{
    uint8_t *p;
    if (!take(c, 8, &p))
        return false;
    *v = get64(p);
    return true;
}

/* The string's bytes move two bytes back, over its length field, which
 * leaves room for the terminating NUL inside the string's own span. */
static bool get_str(struct cursor *c, struct p9_str *s)
{
    uint8_t *start = c->p, *bytes;
    uint16_t len;
    if (!get_u16(c, &len) || !take(c, len, &bytes))
        return false;
    memmove(start, bytes, len);
    start[len] = '\0';
    s->len = len;
    s->s = (const char *)start;
    return true;
}

static bool get_qid(struct cursor *c, struct p9_qid *q)
{
    return get_u8(c, &q->type) && get_u32(c, &q->version) && get_u64(c, &q->path);
}

static int get_stat(struct cursor *c, struct p9_stat *st, unsigned dialect)
{
    uint16_t size;
    uint8_t *body;
    if (!get_u16(c, &size) || !take(c, size, &body))
        return P9_CODEC_SHORT;
    struct cursor in = { body, size };
    memset(st, 0, sizeof(*st));
    st->extension.s = "";
    if (!get_u16(&in, &st->type) || !get_u32(&in, &st->dev) || !get_qid(&in, &st->qid) ||
        !get_u32(&in, &st->mode) || !get_u32(&in, &st->atime) || !get_u32(&in, &st->mtime) ||
        !get_u64(&in, &st->length) || !get_str(&in, &st->name) || !get_str(&in, &st->uid) ||
        !get_str(&in, &st->gid) || !get_str(&in, &st->muid))
        return P9_CODEC_SHORT;
    if (dialect & P9_2000_U) {
        if (!get_str(&in, &st->extension) || !get_u32(&in, &st->n_uid) ||
            !get_u32(&in, &st->n_gid) || !get_u32(&in, &st->n_muid))
            return P9_CODEC_SHORT;
    }
    return in.left ? P9_CODEC_TRAILING : P9_CODEC_OK;
}

int p9_decode(uint8_t *buf, size_t len, const char *fmt, unsigned dialect,
              struct p9_args *out)
{
    struct cursor c = { buf, len };
    union p9_arg *a = out->a;

    for (const char *f = fmt; *f; f++) {
        if (*f == '?') {
            if (!has_extensions(dialect))
                break;
            continue;
        }
        if (a == out->a + P9_MAXARGS)
            return P9_CODEC_BADFMT;
        bool ok = true;
        switch (*f) {
        case 'b': ok = get_u8(&c, &a->b); break;
        case 'w': ok = get_u16(&c, &a->w); break;
        case 'd': ok = get_u32(&c, &a->d); break;
        case 'q': ok = get_u64(&c, &a->q); break;
        case 's': ok = get_str(&c, &a->s); break;
        case 'Q': ok = get_qid(&c, &a->Q); break;
        case 'D': {
            uint8_t *bytes;
            ok = get_u32(&c, &a->D.count) && take(&c, a->D.count, &bytes);
            if (ok)
                a->D.ptr = bytes;
            break;
        }
        case 'T':
            if (!get_u16(&c, &a->T.n))
                return P9_CODEC_SHORT;
            if (a->T.n > P9_MAXWELEM)
                return P9_CODEC_TOOMANY;
            a->T.v = out->names;
            for (unsigned i = 0; ok && i < a->T.n; i++)
                ok = get_str(&c, &out->names[i]);
            break;
        case 'R':
            if (!get_u16(&c, &a->R.n))
                return P9_CODEC_SHORT;
            if (a->R.n > P9_MAXWELEM)
                return P9_CODEC_TOOMANY;
            a->R.v = out->qids;
            for (unsigned i = 0; ok && i < a->R.n; i++)
                ok = get_qid(&c, &out->qids[i]);
            break;
        case 'S': {
            int err = get_stat(&c, &out->stat, dialect);
            if (err)
                return err;
            a->S = &out->stat;
            break;
        }
        default:
            return P9_CODEC_BADFMT;
        }
        if (!ok)
            return P9_CODEC_SHORT;
        a++;
    }
    return c.left ? P9_CODEC_TRAILING : P9_CODEC_OK;
}

/* ---- encoding ------------------------------------------------------------ */

static size_t stat_body_size(const struct p9_stat *st, unsigned dialect)
{
    size_t n = 2 + 4 + P9_QID_SIZE + 4 + 4 + 4 + 8 +
               4 * 2 + st->name.len + st->uid.len + st->gid.len + st->muid.len;
    if (dialect & P9_2000_U)
        n += 2 + st->extension.len + 3 * 4;
    return n;
}

size_t p9_stat_size(const struct p9_stat *st, unsigned dialect)
{
    return 2 + stat_body_size(st, dialect);
}

size_t p9_encoded_size(const char *fmt, const union p9_arg *a, unsigned dialect)
{
    size_t n = 0;
    for (const char *f = fmt; *f; f++) {
        switch (*f) {
        case '?':
            if (!has_extensions(dialect))
                return n;
            continue;
        case 'b': n += 1; break;
        case 'w': n += 2; break;
        case 'd': n += 4; break;
        case 'q': n += 8; break;
        case 's': n += 2 + a->s.len; break;
        case 'Q': n += P9_QID_SIZE; break;
        case 'D': n += 4 + a->D.count; break;
        case 'T':
            n += 2;
            for (unsigned i = 0; i < a->T.n; i++)
                n += 2 + a->T.v[i].len;
            break;
        case 'R': n += 2 + (size_t)a->R.n * P9_QID_SIZE; break;
        case 'S': n += p9_stat_size(a->S, dialect); break;
        default: return 0;
        }
        a++;
    }
    return n;
}

static uint8_t *put_str(uint8_t *p, const struct p9_str *s)
{
    put16(p, s->len);
    if (s->len)
        memcpy(p + 2, s->s, s->len);
    return p + 2 + s->len;
}

static uint8_t *put_qid(uint8_t *p, const struct p9_qid *q)
{
    p[0] = q->type;
    put32(p + 1, q->version);
    put64(p + 5, q->path);
    return p + P9_QID_SIZE;
}

static uint8_t *put_stat(uint8_t *p, const struct p9_stat *st, unsigned dialect)
{
    put16(p, stat_body_size(st, dialect));
    put16(p + 2, st->type);
    put32(p + 4, st->dev);
    p = put_qid(p + 8, &st->qid);
    put32(p, st->mode);
    put32(p + 4, st->atime);
    put32(p + 8, st->mtime);
    put64(p + 12, st->length);
    p = put_str(p + 20, &st->name);
    p = put_str(p, &st->uid);
    p = put_str(p, &st->gid);
    p = put_str(p, &st->muid);
    if (dialect & P9_2000_U) {
        p = put_str(p, &st->extension);
        put32(p, st->n_uid);
        put32(p + 4, st->n_gid);
        put32(p + 8, st->n_muid);
        p += 12;
    }
    return p;
}

size_t p9_encode(uint8_t *buf, const char *fmt, const union p9_arg *a, unsigned dialect)
{
    uint8_t *p = buf;
    for (const char *f = fmt; *f; f++) {
        switch (*f) {
        case '?':
            if (!has_extensions(dialect))
                return p - buf;
            continue;
        case 'b': *p++ = a->b; break;
        case 'w': put16(p, a->w); p += 2; break;
        case 'd': put32(p, a->d); p += 4; break;
        case 'q': put64(p, a->q); p += 8; break;
        case 's': p = put_str(p, &a->s); break;
        case 'Q': p = put_qid(p, &a->Q); break;
        case 'D':
            put32(p, a->D.count);
            if (a->D.ptr && a->D.count)
                memcpy(p + 4, a->D.ptr, a->D.count);
            p += 4 + a->D.count;
            break;
        case 'T':
            put16(p, a->T.n);
            p += 2;
            for (unsigned i = 0; i < a->T.n; i++)
                p = put_str(p, &a->T.v[i]);
            break;
        case 'R':
            put16(p, a->R.n);
            p += 2;
            for (unsigned i = 0; i < a->R.n; i++)
                p = put_qid(p, &a->R.v[i]);
            break;
        case 'S': p = put_stat(p, a->S, dialect); break;
        default: return 0;
        }
        a++;
    }
    return p - buf;
}
