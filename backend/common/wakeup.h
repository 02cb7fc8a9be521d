/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Waking a thread that sleeps in poll(): an eventfd written at most once
 * until the sleeper drains it, so a burst of wake-ups costs one syscall.
 */
#ifndef XEN9P_WAKEUP_H
#define XEN9P_WAKEUP_H

#include <stdatomic.h>
#include <stdbool.h>

struct wakeup {
    int fd;                     /* poll it for POLLIN */
    atomic_bool pending;
};

/* -errno on failure. */
int wakeup_init(struct wakeup *w);
/* Any thread: makes fd readable (work was queued before this call). */
void wakeup_signal(struct wakeup *w);
/* The sleeper, when fd is readable, before looking at the queued work. */
void wakeup_drain(struct wakeup *w);
void wakeup_close(struct wakeup *w);

#endif
