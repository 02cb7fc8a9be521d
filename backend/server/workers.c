// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Each session's worker threads: one request = one job, start to finish
 * (style.md).  Threads start on demand up to the session's limit and end
 * after a while idle, so a blocked call holds only its own thread.
 *
 * A flushed request is not interrupted by a signal: the calls that can
 * block for ever wait in poll() with an eventfd the flush signals (struct
 * fsdrv_cancel), which a confined worker allows without signal handlers.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "backend/server/session.h"

#define IDLE_SECONDS 30
/* A request's work is shallow (no recursion, PATH_MAX buffers at most): a
 * small stack lets hundreds of waiting threads fit in a worker's memory
 * limit (security.md "Barriers"). */
#define THREAD_STACK_BYTES (256 * 1024)

/* ---- the pool ---- */

static void *worker_main(void *arg)
{
    struct p9_session *s = arg;

    pthread_mutex_lock(&s->lock);
    for (;;) {
        bool timed_out = false;
        while (!s->queue_head && !s->closed && !timed_out) {
            struct timespec deadline;
            clock_gettime(CLOCK_REALTIME, &deadline);
            deadline.tv_sec += IDLE_SECONDS;
            s->idle_workers++;
            timed_out = pthread_cond_timedwait(&s->work_ready, &s->lock, &deadline) == ETIMEDOUT;
            s->idle_workers--;
        }
        struct p9_request *req = s->queue_head;
        if (!req)
            break;
        s->queue_head = req->next;
        if (!s->queue_head)
            s->queue_tail = NULL;
        s->queued--;
        req->next = NULL;
        if (req->state == REQ_CANCELLED) {
            /* Flushed before it ran, or the session closed: no reply. */
            p9_request_retire_locked(s, req);
            continue;
        }
        req->state = REQ_RUNNING;
        pthread_mutex_unlock(&s->lock);
        p9_session_run(req);
        pthread_mutex_lock(&s->lock);
    }
    s->workers--;
    pthread_mutex_unlock(&s->lock);
    p9_session_unref(s);
    return NULL;
}

/* Starts a thread if a queued request has no idle one to take it; lock held.
 * Threads waiting for a FIFO do not count against the limit: a guest's
 * blocked readers leave the rest of its requests their threads (their
 * number is bounded by max_waiting_workers). */
static void start_worker_if_needed(struct p9_session *s)
{
    unsigned waiting = MIN(s->waiting_workers, (unsigned)s->cfg.max_waiting_workers);
    if (s->queued <= s->idle_workers || s->workers - waiting >= s->cfg.max_workers)
        return;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, THREAD_STACK_BYTES);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    atomic_fetch_add(&s->refs, 1);
    int err = pthread_create(&t, &attr, worker_main, s);
    pthread_attr_destroy(&attr);
    if (err == 0) {
        s->workers++;
    } else {
        atomic_fetch_sub(&s->refs, 1);
        g_warning("%s: cannot start a worker thread: %s", s->label, g_strerror(err));
    }
}

void p9_workers_enqueue(struct p9_session *s, struct p9_request *req)
{
    req->next = NULL;
    if (s->queue_tail)
        s->queue_tail->next = req;
    else
        s->queue_head = req;
    s->queue_tail = req;
    s->queued++;
    /* An idle worker that was signalled but has not woken yet still counts
     * as idle: every queued request needs an idle worker of its own, or a
     * request queued behind one that blocks would wait for it. */
    start_worker_if_needed(s);
    pthread_cond_signal(&s->work_ready);
}

void p9_workers_waiting(void *ctx, bool waiting)
{
    struct p9_session *s = ctx;
    pthread_mutex_lock(&s->lock);
    if (waiting) {
        s->waiting_workers++;
        start_worker_if_needed(s);
    } else {
        s->waiting_workers--;
    }
    pthread_mutex_unlock(&s->lock);
}
