// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target: the 9P decoder and the reply parser on arbitrary bytes.
 * Each input is decoded as the body of every request and reply format of
 * the message table, in every dialect the message exists in, and parsed as
 * a whole reply.  Besides the sanitizers' checks (no read past the
 * message, which is copied into a buffer of exactly its size), a body that
 * decodes must encode back to the very same bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backend/proto/p9_client.h"
#include "backend/proto/p9_codec.h"
#include "backend/proto/p9_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned dialects[] = { P9_2000, P9_2000_U, P9_2000_L };

static void decode_roundtrip(const uint8_t *data, size_t size, const char *fmt, unsigned dialect)
{
    static struct p9_args args;
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    int err = p9_decode(copy, size, fmt, dialect, &args);
    if (err == P9_CODEC_BADFMT)
        abort();                /* every table format is known */
    if (err == P9_CODEC_OK) {
        size_t n = p9_encoded_size(fmt, args.a, dialect);
        if (n != size)
            abort();
        uint8_t *out = malloc(n ? n : 1);
        if (p9_encode(out, fmt, args.a, dialect) != n || memcmp(out, data, n) != 0)
            abort();
        free(out);
    }
    free(copy);
}

static void parse_reply(const uint8_t *data, size_t size, bool fix_size)
{
    static struct p9c_reply reply;
    if (size < P9_HDR_SIZE || size > UINT32_MAX)
        return;
    uint8_t *copy = malloc(size);
    memcpy(copy, data, size);
    if (fix_size)
        p9_put_header(copy, size, copy[4], copy[5] | copy[6] << 8);
    for (size_t d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++) {
        memcpy(copy + P9_HDR_SIZE, data + P9_HDR_SIZE, size - P9_HDR_SIZE);
        /* A parsed reply is a known one: an error, or the reply of a table row. */
        if (p9c_parse(copy, size, dialects[d], &reply) == 0 && reply.id != P9_RLERROR &&
            reply.id != P9_RERROR && !p9_op_for_reply(reply.id, dialects[d]))
            abort();
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (unsigned i = 0; p9_op_at(i); i++) {
        const struct p9_op *op = p9_op_at(i);
        for (size_t d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++) {
            if (!(op->dialects & dialects[d]))
                continue;
            decode_roundtrip(data, size, op->tfmt, dialects[d]);
            decode_roundtrip(data, size, op->rfmt, dialects[d]);
        }
    }
    for (size_t d = 0; d < sizeof(dialects) / sizeof(dialects[0]); d++) {
        decode_roundtrip(data, size, P9_RLERROR_FMT, dialects[d]);
        decode_roundtrip(data, size, P9_RERROR_FMT, dialects[d]);
    }
    parse_reply(data, size, false);
    parse_reply(data, size, true);
    return 0;
}
