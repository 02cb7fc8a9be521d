/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EINTR handling: the server interrupts a blocked worker with a signal
 * (no SA_RESTART), so every syscall may fail with EINTR.  A call is
 * repeated unless its request was cancelled, see struct fsdrv_cancel.
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

/*
 * Evaluates `call` (a syscall returning -1 and setting errno on failure)
 * again while it fails with EINTR and `cancel` is not requested.  A
 * cancelled call yields -1 with errno EINTR.  Never use it for close().
 */
#define FSDRV_RETRY(cancel, call) __extension__ ({                          \
        __typeof__(call) fsdrv_retry_r_;                                    \
        do {                                                                \
            fsdrv_retry_r_ = (call);                                        \
        } while (fsdrv_retry_r_ == -1 && errno == EINTR &&                  \
                 !fsdrv_cancelled(cancel));                                 \
        fsdrv_retry_r_;                                                     \
    })

/* Non-cancellable form: short calls that only return EINTR by accident. */
#define FSDRV_NOINTR(call) FSDRV_RETRY((struct fsdrv_cancel *)NULL, call)

#endif
