// SPDX-License-Identifier: GPL-2.0-or-later
/* eventfd wake-ups (see wakeup.h). */
#include "config.h"

#include "backend/common/wakeup.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

int wakeup_init(struct wakeup *w)
{
    atomic_init(&w->pending, false);
    w->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return w->fd < 0 ? -errno : 0;
}

void wakeup_signal(struct wakeup *w)
{
    if (!atomic_exchange(&w->pending, true)) {
        uint64_t one = 1;
        while (write(w->fd, &one, sizeof(one)) < 0 && errno == EINTR)
            ;
    }
}

void wakeup_drain(struct wakeup *w)
{
    uint64_t v;
    while (read(w->fd, &v, sizeof(v)) < 0 && errno == EINTR)
        ;
    /* Cleared after the read and before the caller looks at its work: a
     * signal that still saw it set had queued its work before, so the
     * caller finds it; one that sees it clear writes again. */
    atomic_store(&w->pending, false);
}

void wakeup_close(struct wakeup *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}
