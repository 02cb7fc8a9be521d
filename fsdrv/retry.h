/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EINTR and cancellation inside fsdrv.  Nothing interrupts a worker with a
 * signal, so EINTR only comes by accident (a debugger); calls are repeated.
 * Calls that may block for ever wait through fsdrv_wait() instead, which a
 * cancelled request leaves (struct fsdrv_cancel).
 */
#ifndef XEN9P_FSDRV_RETRY_H
#define XEN9P_FSDRV_RETRY_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "fsdrv/fsdrv.h"

static inline bool fsdrv_cancelled(struct fsdrv_cancel *cancel)
{
    return cancel && atomic_load_explicit(&cancel->requested, memory_order_acquire);
}

/* Evaluates `call` (a syscall returning -1 and setting errno on failure)
 * again while it fails with EINTR.  Never use it for close(). */
#define FSDRV_NOINTR(call) __extension__ ({                                 \
        __typeof__(call) fsdrv_retry_r_;                                    \
        do {                                                                \
            fsdrv_retry_r_ = (call);                                        \
        } while (fsdrv_retry_r_ == -1 && errno == EINTR);                   \
        fsdrv_retry_r_;                                                     \
    })

/*
 * Waits until `fd` has one of `events` (poll) or `cancel` is requested:
 * 0, -EINTR when cancelled, or -errno.  With `fd` < 0, waits up to
 * `timeout_ms` for the cancellation only (0 when the time is up).
 */
int fsdrv_wait(struct fsdrv_cancel *cancel, int fd, short events, int timeout_ms);

#endif
