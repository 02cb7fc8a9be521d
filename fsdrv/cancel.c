// SPDX-License-Identifier: GPL-2.0-or-later
/* Waiting for a FIFO and leaving the wait when a request is flushed
 * (struct fsdrv_cancel in fsdrv.h). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "fsdrv/retry.h"

/* Without an eventfd (out of descriptors) the wait looks at the flag this often. */
#define CANCEL_POLL_MS 20

void fsdrv_cancel_init(struct fsdrv_cancel *c)
{
    atomic_init(&c->requested, false);
    pthread_mutex_init(&c->lock, NULL);
    c->wake_fd = -1;
    c->on_wait = NULL;
    c->wait_ctx = NULL;
}

void fsdrv_cancel_destroy(struct fsdrv_cancel *c)
{
    pthread_mutex_destroy(&c->lock);
}

void fsdrv_cancel_request(struct fsdrv_cancel *c)
{
    atomic_store_explicit(&c->requested, true, memory_order_release);
    pthread_mutex_lock(&c->lock);
    if (c->wake_fd >= 0) {
        uint64_t one = 1;
        /* An eventfd's counter cannot overflow from one write per flush. */
        (void)!write(c->wake_fd, &one, sizeof(one));
    }
    pthread_mutex_unlock(&c->lock);
}

static void set_wake_fd(struct fsdrv_cancel *c, int fd)
{
    pthread_mutex_lock(&c->lock);
    c->wake_fd = fd;
    pthread_mutex_unlock(&c->lock);
}

int fsdrv_wait(struct fsdrv_cancel *cancel, int fd, short events, int timeout_ms)
{
    struct pollfd p[2] = { { .fd = fd, .events = events }, { .fd = -1, .events = POLLIN } };
    if (cancel) {
        p[1].fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (p[1].fd >= 0)
            set_wake_fd(cancel, p[1].fd);
    }
    if (cancel && cancel->on_wait)
        cancel->on_wait(cancel->wait_ctx, true);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t deadline_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + timeout_ms;
    int ret = 0;
    for (;;) {
        /* Read after the eventfd is published: a flush either sees the
         * eventfd or is seen here. */
        if (fsdrv_cancelled(cancel)) {
            ret = -EINTR;
            break;
        }
        int wait_ms = timeout_ms;
        if (timeout_ms >= 0) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            int64_t left = deadline_ms - ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
            if (left <= 0)
                break;          /* the time is up */
            wait_ms = (int)left;
        }
        if (cancel && p[1].fd < 0 && (wait_ms < 0 || wait_ms > CANCEL_POLL_MS))
            wait_ms = CANCEL_POLL_MS;
        if (poll(p, 2, wait_ms) < 0 && errno != EINTR) {
            ret = -errno;
            break;
        }
        if (fd >= 0 && p[0].revents)
            break;              /* ready (or an error the next call reports) */
    }
    if (p[1].fd >= 0) {
        set_wake_fd(cancel, -1);
        close(p[1].fd);
    }
    if (cancel && cancel->on_wait)
        cancel->on_wait(cancel->wait_ctx, false);
    return ret;
}
