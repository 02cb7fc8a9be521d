// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Each session's worker threads: one request = one job, start to finish
 * (style.md).  Threads start on demand up to the session's limit and end
 * after a while idle, so a blocked call holds only its own thread.
 *
 * Interrupting a worker: a signal whose handler does nothing, installed
 * without SA_RESTART, makes a blocked syscall return EINTR; fsdrv then sees
 * the request's cancel flag and gives up.  A signal that lands just before
 * the worker enters the syscall is lost, so until the request is done the
 * interrupter re-sends it every few milliseconds.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "backend/session.h"

#define IDLE_SECONDS 30
#define RESIGNAL_MS 10

static int interrupt_signal(void)
{
    return SIGRTMIN + 3;
}

static void on_interrupt(int sig)
{
    (void)sig;
}

void p9_server_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;            /* no SA_RESTART: blocked syscalls must return EINTR */
    sigaction(interrupt_signal(), &sa, NULL);
    /* Only workers take it: every thread started from here on inherits the block. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, interrupt_signal());
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* ---- re-signalling of interrupted workers (only busy during flushes) ---- */

struct interrupt_entry {
    struct p9_request *req;
    pthread_t thread;
};

static pthread_mutex_t interrupt_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t interrupt_cond = PTHREAD_COND_INITIALIZER;
static GArray *interrupts;          /* struct interrupt_entry */
static bool interrupter_running;

static void *interrupter_main(void *unused)
{
    pthread_mutex_lock(&interrupt_lock);
    for (;;) {
        while (interrupts->len == 0)
            pthread_cond_wait(&interrupt_cond, &interrupt_lock);
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_nsec += RESIGNAL_MS * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&interrupt_cond, &interrupt_lock, &deadline);
        /* Entries leave the list (under this lock) before their worker moves
         * on, so every thread signalled here is alive and still on that request. */
        for (guint i = 0; i < interrupts->len; i++)
            pthread_kill(g_array_index(interrupts, struct interrupt_entry, i).thread,
                         interrupt_signal());
    }
    return NULL;
}

void p9_workers_interrupt(struct p9_request *req)
{
    pthread_mutex_lock(&interrupt_lock);
    if (!interrupter_running) {
        interrupts = g_array_new(FALSE, FALSE, sizeof(struct interrupt_entry));
        pthread_t t;
        if (pthread_create(&t, NULL, interrupter_main, NULL) == 0) {
            pthread_detach(t);
            interrupter_running = true;
        }
    }
    for (guint i = 0; i < interrupts->len; i++) {
        if (g_array_index(interrupts, struct interrupt_entry, i).req == req) {
            pthread_mutex_unlock(&interrupt_lock);
            return;
        }
    }
    struct interrupt_entry e = { req, req->worker };
    g_array_append_val(interrupts, e);
    pthread_kill(req->worker, interrupt_signal());
    pthread_cond_signal(&interrupt_cond);
    pthread_mutex_unlock(&interrupt_lock);
}

void p9_workers_interrupt_done(struct p9_request *req)
{
    if (!atomic_load(&req->cancel.requested))
        return;     /* never interrupted: nothing to remove */
    pthread_mutex_lock(&interrupt_lock);
    for (guint i = 0; interrupts && i < interrupts->len; i++) {
        if (g_array_index(interrupts, struct interrupt_entry, i).req == req) {
            g_array_remove_index_fast(interrupts, i);
            break;
        }
    }
    pthread_mutex_unlock(&interrupt_lock);
}

/* ---- the pool ---- */

static void *worker_main(void *arg)
{
    struct p9_session *s = arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, interrupt_signal());
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

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
        req->worker = pthread_self();
        pthread_mutex_unlock(&s->lock);
        p9_session_run(req);
        pthread_mutex_lock(&s->lock);
    }
    s->workers--;
    pthread_mutex_unlock(&s->lock);
    p9_session_unref(s);
    return NULL;
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
    if (s->queued > s->idle_workers && s->workers < s->cfg.max_workers) {
        pthread_t t;
        atomic_fetch_add(&s->refs, 1);
        if (pthread_create(&t, NULL, worker_main, s) == 0) {
            pthread_detach(t);
            s->workers++;
        } else {
            atomic_fetch_sub(&s->refs, 1);
            g_warning("%s: cannot start a worker thread: %s", s->label, g_strerror(errno));
        }
    }
    pthread_cond_signal(&s->work_ready);
}
