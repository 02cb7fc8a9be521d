/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The client side of the one codec: builds T-messages and parses R-messages
 * from the same message table the server dispatches with.  Used by the
 * benchmark, the frontend simulators and the tests.
 */
#ifndef XEN9P_P9_CLIENT_H
#define XEN9P_P9_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "backend/proto/p9_codec.h"

/*
 * Encodes request `id` with body values `a` into `buf` (capacity `cap`).
 * Returns the message size, or 0 if `id` is unknown in `dialect` or the
 * message does not fit.
 */
size_t p9c_build(uint8_t *buf, size_t cap, uint8_t id, uint16_t tag, unsigned dialect,
                 const union p9_arg *a);

/* Size p9c_build() needs. */
size_t p9c_size(uint8_t id, unsigned dialect, const union p9_arg *a);

struct p9c_reply {
    uint8_t id;             /* reply id (Rlerror/Rerror included) */
    uint16_t tag;
    int error;              /* errno of Rlerror/Rerror, else 0 */
    struct p9_args body;    /* decoded body */
};

/*
 * Parses a whole reply message (decoded in place: `msg` must be writable).
 * Returns 0, or a P9_CODEC_* error, or -1 for an unknown reply id.
 */
int p9c_parse(uint8_t *msg, uint32_t size, unsigned dialect, struct p9c_reply *out);

#endif
