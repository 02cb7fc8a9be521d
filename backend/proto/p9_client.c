// SPDX-License-Identifier: GPL-2.0-or-later
/* Client-side message building and parsing from the message table. */
#include "config.h"

#include "backend/proto/p9_client.h"

#include <errno.h>
#include <string.h>

#include "backend/proto/p9_table.h"

size_t p9c_size(uint8_t id, unsigned dialect, const union p9_arg *a)
{
    const struct p9_op *op = p9_op_find(id, dialect);
    return op ? P9_HDR_SIZE + p9_encoded_size(op->tfmt, a, dialect) : 0;
}

size_t p9c_build(uint8_t *buf, size_t cap, uint8_t id, uint16_t tag, unsigned dialect,
                 const union p9_arg *a)
{
    const struct p9_op *op = p9_op_find(id, dialect);
    if (!op)
        return 0;
    size_t size = P9_HDR_SIZE + p9_encoded_size(op->tfmt, a, dialect);
    if (size > cap || size > UINT32_MAX)
        return 0;
    p9_encode(buf + P9_HDR_SIZE, op->tfmt, a, dialect);
    p9_put_header(buf, size, id, tag);
    return size;
}

int p9c_parse(uint8_t *msg, uint32_t size, unsigned dialect, struct p9c_reply *out)
{
    uint32_t header_size;
    memset(out, 0, sizeof(*out));
    if (size < P9_HDR_SIZE)
        return P9_CODEC_SHORT;
    p9_get_header(msg, &header_size, &out->id, &out->tag);
    if (header_size != size)
        return P9_CODEC_SHORT;
    const char *fmt;
    if (out->id == P9_RLERROR) {
        fmt = P9_RLERROR_FMT;
    } else if (out->id == P9_RERROR) {
        fmt = P9_RERROR_FMT;
    } else {
        const struct p9_op *op = p9_op_for_reply(out->id, dialect);
        if (!op)
            return -1;
        fmt = op->rfmt;
    }
    int err = p9_decode(msg + P9_HDR_SIZE, size - P9_HDR_SIZE, fmt, dialect, &out->body);
    if (err)
        return err;
    if (out->id == P9_RLERROR)
        out->error = out->body.a[0].d;
    else if (out->id == P9_RERROR)
        out->error = (dialect & P9_2000_U) ? (int)out->body.a[1].d : EIO;
    return 0;
}
