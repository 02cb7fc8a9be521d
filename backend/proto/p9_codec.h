/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one 9P codec: every message body is described by a format string
 * (after Linux net/9p/protocol.c) and packed/unpacked by the two functions
 * below, both directions, server and client side.
 *
 *   b u8   w u16   d u32   q u64   s string   Q qid
 *   D count[4] + that many bytes (Tread/Rread/Twrite/Rreaddir payload)
 *   T count[2] + strings (Twalk names, at most P9_MAXWELEM)
 *   R count[2] + qids    (Rwalk, at most P9_MAXWELEM)
 *   S a stat structure (9P2000, with the .u fields in 9P2000.u)
 *   ? the fields after it exist only in 9P2000.u and 9P2000.L
 *
 * Decoding is bounds-checked against the message; strings are made
 * NUL-terminated in place (their bytes move over their own length field),
 * so the decoder needs a writable buffer it owns and never allocates.
 */
#ifndef XEN9P_P9_CODEC_H
#define XEN9P_P9_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "backend/proto/p9_messages.h"
#include "backend/proto/p9_proto.h"

struct p9_str {
    uint16_t len;
    const char *s;      /* NUL-terminated after decoding; encoding reads len bytes */
};

struct p9_data {
    uint32_t count;
    const uint8_t *ptr; /* encode: NULL = the bytes are already in place */
};

struct p9_stat {
    uint16_t type;
    uint32_t dev;
    struct p9_qid qid;
    uint32_t mode;
    uint32_t atime;
    uint32_t mtime;
    uint64_t length;
    struct p9_str name, uid, gid, muid;
    /* 9P2000.u */
    struct p9_str extension;
    uint32_t n_uid, n_gid, n_muid;
};

union p9_arg {
    uint8_t b;
    uint16_t w;
    uint32_t d;
    uint64_t q;
    struct p9_str s;
    struct p9_qid Q;
    struct p9_data D;
    struct { uint16_t n; struct p9_str *v; } T;
    struct { uint16_t n; struct p9_qid *v; } R;
    struct p9_stat *S;
};

#define P9_MAXARGS 20

/* Each message's fields by name, over the same array the codec fills: a
 * request's in t<name> (twrite.offset), a reply's in r<name> (rwalk.wqids);
 * their types are struct p9_t<name> and struct p9_r<name>. */
#define P9_FIELD_MEMBER(name) union p9_arg name;
#define P9_REQUEST_VIEW(name, id, dialects, flags, trace, tfmt, tfields, rfmt, rfields) \
    struct p9_t##name { tfields } t##name;
#define P9_REPLY_VIEW(name, id, dialects, flags, trace, tfmt, tfields, rfmt, rfields) \
    struct p9_r##name { rfields } r##name;
#define P9_REPLY_VIEW_AGAIN(name, id, dialects, flags, trace, tfmt, tfields, rfmt, rfields) \
    struct p9_r##name r##name;

/* A reply's body, filled by name, encoded from `a`. */
union p9_reply_args {
    union p9_arg a[P9_MAXARGS];
    P9_MESSAGES(P9_REPLY_VIEW, P9_FIELD_MEMBER)
};

/* Decoded body of one message plus the storage its arrays point into. */
struct p9_args {
    union {
        union p9_arg a[P9_MAXARGS];
        P9_MESSAGES(P9_REQUEST_VIEW, P9_FIELD_MEMBER)
        P9_MESSAGES(P9_REPLY_VIEW_AGAIN, P9_FIELD_MEMBER)   /* a client's decoded reply */
    };
    struct p9_str names[P9_MAXWELEM];
    struct p9_qid qids[P9_MAXWELEM];
    struct p9_stat stat;
};

/* No message has more fields than the codec fills. */
_Static_assert(sizeof(union p9_reply_args) == sizeof(union p9_arg) * P9_MAXARGS,
               "a reply has more than P9_MAXARGS fields");
_Static_assert(offsetof(struct p9_args, names) == sizeof(union p9_arg) * P9_MAXARGS,
               "a request has more than P9_MAXARGS fields");

enum p9_codec_error {
    P9_CODEC_OK = 0,
    P9_CODEC_SHORT = -1,    /* a field runs past the end of the message */
    P9_CODEC_TOOMANY = -2,  /* an array count above P9_MAXWELEM */
    P9_CODEC_TRAILING = -3, /* bytes left over after the last field */
    P9_CODEC_BADFMT = -4,   /* a format the codec does not know (a bug) */
};

/*
 * Decodes `len` bytes at `buf` (the body, after the 7-byte header) by
 * `fmt` into out->a[0..].  `dialect` is one P9_2000* bit.
 */
int p9_decode(uint8_t *buf, size_t len, const char *fmt, unsigned dialect,
              struct p9_args *out);

/* Bytes p9_encode() will write for these values. */
size_t p9_encoded_size(const char *fmt, const union p9_arg *a, unsigned dialect);

/* Encodes the values into `buf`, which holds at least p9_encoded_size(). */
size_t p9_encode(uint8_t *buf, const char *fmt, const union p9_arg *a, unsigned dialect);

/* Size of a stat structure on the wire (including its own size[2] field). */
size_t p9_stat_size(const struct p9_stat *st, unsigned dialect);

/* The 7-byte header. */
void p9_put_header(uint8_t *buf, uint32_t size, uint8_t id, uint16_t tag);
void p9_get_header(const uint8_t *buf, uint32_t *size, uint8_t *id, uint16_t *tag);

/* A string argument from a C string (longer than 65535 bytes: truncated). */
static inline struct p9_str p9_str_of(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return (struct p9_str){ .len = (uint16_t)(n > 0xffff ? 0xffff : n), .s = s ? s : "" };
}

#endif
