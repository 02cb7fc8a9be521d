/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Trace events, one per request, reply, error and cancel (like QEMU's
 * v9fs_* trace points, v9fs_rcancel included).  Switched on at run time;
 * when off, each call site costs one predictable branch.
 */
#ifndef XEN9P_TRACE_H
#define XEN9P_TRACE_H

#include <stdbool.h>

struct p9_request;

extern bool p9_trace_enabled;

void p9_trace_request(const struct p9_request *req);
void p9_trace_reply(const struct p9_request *req, int err);
void p9_trace_cancel(const struct p9_request *req);

#define P9_TRACE(event, ...)                                    \
    do {                                                        \
        if (__builtin_expect(p9_trace_enabled, 0))              \
            p9_trace_##event(__VA_ARGS__);                      \
    } while (0)

#endif
