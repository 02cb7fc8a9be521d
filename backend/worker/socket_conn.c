// SPDX-License-Identifier: GPL-2.0-or-later
/* A 9P connection on a stream socket (see socket_conn.h). */
#include "config.h"

#include "backend/worker/socket_conn.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "backend/proto/p9_codec.h"
#include "backend/server/server.h"

struct socket_conn {
    int fd;
    struct wakeup *wake;
    struct p9_session *session;
    /* input: bytes read but not yet framed */
    uint8_t *in;
    uint32_t in_len;
    /* output: replies queued by any thread, written by the poll loop */
    pthread_mutex_t out_lock;
    struct p9_reply *out_head, *out_tail;
    struct p9_reply *writing;       /* partly written, loop only */
    uint32_t written;
    bool paused;                    /* a hand-over: no more requests taken */
};

/* The connection whose poll loop this thread runs (socket_conn_service), if any. */
static _Thread_local struct socket_conn *this_conn;

/* ---- transport ops, called by the session from any thread ---- */

static void conn_send(void *ctx, struct p9_reply *reply)
{
    struct socket_conn *c = ctx;
    reply->next = NULL;
    pthread_mutex_lock(&c->out_lock);
    if (c->out_tail)
        c->out_tail->next = reply;
    else
        c->out_head = reply;
    c->out_tail = reply;
    pthread_mutex_unlock(&c->out_lock);
    /* From the loop itself (a request it ran): it writes before it polls again. */
    if (this_conn != c)
        wakeup_signal(c->wake);
}

static void conn_wake(void *ctx)
{
    struct socket_conn *c = ctx;
    wakeup_signal(c->wake);
}

static const struct p9_transport_ops conn_ops = { .send = conn_send, .wake = conn_wake };

struct socket_conn *socket_conn_new(int fd, struct fsdrv_export *export, const char *label,
                                    struct wakeup *wake)
{
    struct socket_conn *c = g_new0(struct socket_conn, 1);
    c->fd = fd;
    c->wake = wake;
    c->in = g_malloc(SOCKET_MAX_MSIZE);
    pthread_mutex_init(&c->out_lock, NULL);
    struct p9_session_config cfg = { .export = export, .max_msize = SOCKET_MAX_MSIZE,
                                     .label = label };
    c->session = p9_session_new(&cfg, &conn_ops, c);
    return c;
}

static void conn_free(struct socket_conn *c, bool close_socket)
{
    /* After this no session thread calls conn_send; queued replies belong to
     * the session, which freed them. */
    p9_session_close(c->session);
    if (close_socket)
        close(c->fd);
    pthread_mutex_destroy(&c->out_lock);
    g_free(c->in);
    g_free(c);
}

void socket_conn_free(struct socket_conn *c)
{
    conn_free(c, true);
}

void socket_conn_forget(struct socket_conn *c)
{
    conn_free(c, false);
}

void socket_conn_pause(struct socket_conn *c, bool paused)
{
    c->paused = paused;
}

bool socket_conn_settled(struct socket_conn *c)
{
    pthread_mutex_lock(&c->out_lock);
    bool writing = c->writing || c->out_head;
    pthread_mutex_unlock(&c->out_lock);
    return !writing && p9_session_idle(c->session);
}

const uint8_t *socket_conn_pending(struct socket_conn *c, uint32_t *len)
{
    *len = c->in_len;
    return c->in;
}

bool socket_conn_take_input(struct socket_conn *c, const uint8_t *bytes, size_t len)
{
    if (len > SOCKET_MAX_MSIZE - c->in_len)
        return false;
    memcpy(c->in + c->in_len, bytes, len);
    c->in_len += len;
    return true;
}

struct p9_session *socket_conn_session(struct socket_conn *c)
{
    return c->session;
}

int socket_conn_fd(struct socket_conn *c)
{
    return c->fd;
}

/* Frames whole messages out of the input buffer; false: protocol error. */
static bool frame_requests(struct socket_conn *c)
{
    uint32_t pos = 0;
    while (c->in_len - pos >= P9_HDR_SIZE) {
        uint32_t size;
        uint8_t id;
        uint16_t tag;
        p9_get_header(c->in + pos, &size, &id, &tag);
        if (size < P9_HDR_SIZE || size > p9_session_msize(c->session)) {
            g_warning("message size %u outside 7..%u: closing", size,
                      p9_session_msize(c->session));
            return false;
        }
        if (c->in_len - pos < size)
            break;
        if (!p9_session_can_accept(c->session, id))
            break;      /* stays buffered: the session wakes us when it has room */
        uint8_t *msg = g_malloc(size);
        memcpy(msg, c->in + pos, size);
        pos += size;
        p9_session_submit(c->session, msg, size, 0);
    }
    memmove(c->in, c->in + pos, c->in_len - pos);
    c->in_len -= pos;
    return true;
}

/* What a failed read or send (errno) means for the connection. */
enum io_failure { IO_RETRY, IO_WOULD_BLOCK, IO_FINISHED };

static enum io_failure io_failure(const char **why)
{
    if (errno == EINTR)
        return IO_RETRY;
    if (errno == EAGAIN)
        return IO_WOULD_BLOCK;
    *why = g_strerror(errno);
    return IO_FINISHED;
}

/* Reads what is there (while the buffer has room); false: the connection is finished. */
static bool read_requests(struct socket_conn *c, const char **why)
{
    while (c->in_len < SOCKET_MAX_MSIZE) {
        size_t room = SOCKET_MAX_MSIZE - c->in_len;
        ssize_t n = read(c->fd, c->in + c->in_len, room);
        if (n == 0) {
            *why = "peer closed";
            return false;
        }
        if (n < 0) {
            enum io_failure f = io_failure(why);
            if (f == IO_RETRY)
                continue;
            return f == IO_WOULD_BLOCK;
        }
        c->in_len += n;
        if (!frame_requests(c)) {
            *why = "protocol error";
            return false;
        }
        /* Less than there was room for: the socket had no more a moment ago.
         * Poll says when it has (a read now would mostly say EAGAIN). */
        if ((size_t)n < room)
            break;
    }
    return true;
}

/* Writes queued replies; false: the connection is finished. */
static bool write_replies(struct socket_conn *c, const char **why)
{
    for (;;) {
        if (!c->writing) {
            pthread_mutex_lock(&c->out_lock);
            c->writing = c->out_head;
            if (c->out_head) {
                c->out_head = c->out_head->next;
                if (!c->out_head)
                    c->out_tail = NULL;
            }
            pthread_mutex_unlock(&c->out_lock);
            if (!c->writing)
                return true;
            c->written = 0;
        }
        struct p9_reply *r = c->writing;
        ssize_t n = send(c->fd, r->buf + c->written, r->size - c->written, MSG_NOSIGNAL);
        if (n < 0) {
            enum io_failure f = io_failure(why);
            if (f == IO_RETRY)
                continue;
            return f == IO_WOULD_BLOCK;
        }
        c->written += n;
        if (c->written == r->size) {
            c->writing = NULL;
            /* Delivered: may release Rflushes waiting for this reply. */
            p9_session_reply_done(c->session, r);
        }
    }
}

short socket_conn_events(struct socket_conn *c)
{
    short events = 0;
    if (c->in_len < SOCKET_MAX_MSIZE && !c->paused)
        events |= POLLIN;
    pthread_mutex_lock(&c->out_lock);
    if (c->writing || c->out_head)
        events |= POLLOUT;
    pthread_mutex_unlock(&c->out_lock);
    /* A full buffer and nothing to write: not polled (a hung-up peer would
     * report POLLHUP on every round) until the session wakes us. */
    return events;
}

bool socket_conn_service(struct socket_conn *c, short revents, const char **why)
{
    this_conn = c;
    /* Requests left buffered while the session was full go first. */
    if (!c->paused && c->in_len >= P9_HDR_SIZE && !frame_requests(c)) {
        *why = "protocol error";
        return false;
    }
    if (!c->paused && (revents & (POLLIN | POLLHUP | POLLERR)) && !read_requests(c, why))
        return false;
    return write_replies(c, why);
}
