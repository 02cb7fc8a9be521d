/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The protocol at a glance, made from the message list (p9_messages.h): one
 * row per request message — its name, its request and reply formats
 * (p9_codec.h), the names of their fields, the dialects it exists in, how a
 * flush treats it and its trace event.  The server, the tracer, the clients
 * in tools/ and tests/, and the fuzzer all read this one table; which
 * operation serves a message is the server's business
 * (backend/server/dispatch.c).
 */
#ifndef XEN9P_P9_TABLE_H
#define XEN9P_P9_TABLE_H

#include <stdint.h>

#include "backend/proto/p9_proto.h"

enum p9_op_flags {
    /* No side effect: a flush while it runs answers at once and drops its result. */
    P9_OP_PURE = 1 << 0,
    /* Answered by the session itself, in arrival order, not by a worker. */
    P9_OP_INLINE = 1 << 1,
    /* Waits for nothing but the file system (no FIFO, lock or peer): on a
     * local export it may run on the transport's thread (session.c). */
    P9_OP_LOCAL = 1 << 2,
};

struct p9_op {
    uint8_t id;                 /* the T-message; the reply is id + 1 */
    uint8_t dialects;           /* P9_2000 | P9_2000_U | P9_2000_L */
    uint8_t flags;
    const char *name;           /* "Twalk" */
    const char *tfmt;           /* request body format */
    const char *targs;          /* its field names, space separated */
    const char *rname;          /* "Rwalk" */
    const char *rfmt;           /* reply body format */
    const char *rargs;
    /* Its trace event, QEMU's name where QEMU has one ("v9fs_walk"; Tlopen is
     * "v9fs_open" there too); the reply's event adds "_return". */
    const char *trace;
};

/* The request message `id` in `dialect` (P9_DIALECT_NONE: any), or NULL. */
const struct p9_op *p9_op_find(uint8_t id, unsigned dialect);
/* The request whose reply is `reply_id`, or NULL (clients use this). */
const struct p9_op *p9_op_for_reply(uint8_t reply_id, unsigned dialect);
/* Every row, for tests and the fuzzer. */
const struct p9_op *p9_op_at(unsigned index);

/* Error replies are not requests' replies: their own formats. */
#define P9_RLERROR_FMT "d"          /* ecode */
#define P9_RERROR_FMT  "s?d"        /* ename [errno in .u] */

#endif
