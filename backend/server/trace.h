/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Trace events with QEMU's names: one per message type for the request
 * ("v9fs_walk") and its reply ("v9fs_walk_return"), from the message table,
 * plus v9fs_rerror and v9fs_rcancel (a flushed request).  A process serves
 * one device or connection, so the switch is per device; the supervisor flips
 * it at run time (`xen9p trace`, docs/design.md "Tracing").  When off, each
 * call site costs one relaxed load and a predictable branch.
 */
#ifndef XEN9P_TRACE_H
#define XEN9P_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>

struct p9_request;

extern atomic_bool p9_trace_enabled;

void p9_trace_request(const struct p9_request *req);
void p9_trace_reply(const struct p9_request *req, int err);
void p9_trace_cancel(const struct p9_request *req);

#define P9_TRACE(event, ...)                                                  \
    do {                                                                      \
        if (__builtin_expect(atomic_load_explicit(&p9_trace_enabled,          \
                                                  memory_order_relaxed), 0))  \
            p9_trace_##event(__VA_ARGS__);                                    \
    } while (0)

#endif
