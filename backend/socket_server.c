// SPDX-License-Identifier: GPL-2.0-or-later
/* The socket transport (see socket_server.h). */
#include "config.h"

#include "backend/socket_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend/fdlimit.h"
#include "backend/p9_codec.h"
#include "backend/server.h"
#include "backend/wakeup.h"

struct connection {
    struct socket_server *srv;
    int fd;
    unsigned id;
    struct p9_session *session;
    /* input: bytes read but not yet framed */
    uint8_t *in;
    uint32_t in_len;
    /* output: replies queued by any thread, written by the I/O thread */
    pthread_mutex_t out_lock;
    struct p9_reply *out_head, *out_tail;
    struct p9_reply *writing;       /* partly written, I/O thread only */
    uint32_t written;
    bool dead;
};

struct socket_server {
    int listen_fd;
    struct wakeup wake;             /* replies queued or a session woke */
    char *unix_path;
    struct fsdrv_export *export;
    GPtrArray *conns;               /* struct connection, I/O thread only */
    unsigned next_id;
};

static void wake_io(struct socket_server *srv)
{
    wakeup_signal(&srv->wake);
}

/* ---- transport ops, called by sessions from any thread ---- */

static void conn_send(void *ctx, struct p9_reply *reply)
{
    struct connection *c = ctx;
    reply->next = NULL;
    pthread_mutex_lock(&c->out_lock);
    if (c->out_tail)
        c->out_tail->next = reply;
    else
        c->out_head = reply;
    c->out_tail = reply;
    pthread_mutex_unlock(&c->out_lock);
    wake_io(c->srv);
}

static void conn_wake(void *ctx)
{
    struct connection *c = ctx;
    wake_io(c->srv);
}

static const struct p9_transport_ops conn_ops = { .send = conn_send, .wake = conn_wake };

/* ---- listening ---- */

static int listen_unix(const char *path, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        goto fail;
    /* A stale socket from an earlier run may be replaced; any other file may not. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
        goto fail;
    return fd;
fail:
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot listen on unix:%s: %s",
                path, g_strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

static int listen_tcp(const char *hostport, GError **error)
{
    const char *colon = strrchr(hostport, ':');
    char *host = colon ? g_strndup(hostport, colon - hostport) : NULL;
    char *end = NULL;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    int fd = -1;
    if (!host || *end || port == 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "bad TCP address \"%s\" (want tcp:A.B.C.D:PORT)", hostport);
        g_free(host);
        return -1;
    }
    g_free(host);
    int one = 1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot listen on tcp:%s: %s",
                    hostport, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

struct socket_server *socket_server_new(const char *spec, struct fsdrv_export *export,
                                        GError **error)
{
    int fd;
    char *unix_path = NULL;
    if (g_str_has_prefix(spec, "unix:")) {
        fd = listen_unix(spec + 5, error);
        unix_path = g_strdup(spec + 5);
    } else if (g_str_has_prefix(spec, "tcp:")) {
        fd = listen_tcp(spec + 4, error);
    } else {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "unknown listen address \"%s\" (want unix:PATH or tcp:ADDRESS:PORT)", spec);
        return NULL;
    }
    if (fd < 0) {
        g_free(unix_path);
        return NULL;
    }
    struct socket_server *srv = g_new0(struct socket_server, 1);
    srv->listen_fd = fd;
    wakeup_init(&srv->wake);
    srv->unix_path = unix_path;
    srv->export = export;
    srv->conns = g_ptr_array_new();
    return srv;
}

/* ---- connections ---- */

static void accept_connection(struct socket_server *srv)
{
    int fd = fdlimit_accept(srv->listen_fd, SOCK_CLOEXEC | SOCK_NONBLOCK, FDLIMIT_CONNECTION,
                            "9P socket");
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != EMFILE)
            g_warning("accept: %s", g_strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   /* fails harmlessly on unix */
    struct connection *c = g_new0(struct connection, 1);
    c->srv = srv;
    c->fd = fd;
    c->id = ++srv->next_id;
    c->in = g_malloc(SOCKET_MAX_MSIZE);
    pthread_mutex_init(&c->out_lock, NULL);
    char *label = g_strdup_printf("conn%u", c->id);
    struct p9_session_config cfg = { .export = srv->export, .max_msize = SOCKET_MAX_MSIZE,
                                     .label = label };
    c->session = p9_session_new(&cfg, &conn_ops, c);
    g_free(label);
    g_ptr_array_add(srv->conns, c);
    g_info("conn%u: connected", c->id);
}

static void close_connection(struct socket_server *srv, struct connection *c, const char *why)
{
    g_info("conn%u: closed (%s)", c->id, why);
    /* After this no session thread calls conn_send; queued replies belong to
     * the session, which freed them. */
    p9_session_close(c->session);
    close(c->fd);
    fdlimit_give(FDLIMIT_CONNECTION);
    pthread_mutex_destroy(&c->out_lock);
    g_free(c->in);
    g_ptr_array_remove_fast(srv->conns, c);
    g_free(c);
}

/* Frames whole messages out of the input buffer; false: protocol error. */
static bool frame_requests(struct connection *c)
{
    uint32_t pos = 0;
    while (c->in_len - pos >= P9_HDR_SIZE) {
        uint32_t size;
        uint8_t id;
        uint16_t tag;
        p9_get_header(c->in + pos, &size, &id, &tag);
        if (size < P9_HDR_SIZE || size > p9_session_msize(c->session)) {
            g_warning("conn%u: message size %u outside 7..%u: closing", c->id, size,
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

/* Reads what is there (while the buffer has room); false: the connection is finished. */
static bool read_requests(struct connection *c, const char **why)
{
    while (c->in_len < SOCKET_MAX_MSIZE) {
        ssize_t n = read(c->fd, c->in + c->in_len, SOCKET_MAX_MSIZE - c->in_len);
        if (n == 0) {
            *why = "peer closed";
            return false;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return true;
            *why = g_strerror(errno);
            return false;
        }
        c->in_len += n;
        if (!frame_requests(c)) {
            *why = "protocol error";
            return false;
        }
    }
    return true;
}

/* Writes queued replies; false: the connection is finished. */
static bool write_replies(struct connection *c, const char **why)
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
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return true;
            *why = g_strerror(errno);
            return false;
        }
        c->written += n;
        if (c->written == r->size) {
            c->writing = NULL;
            /* Delivered: may release Rflushes waiting for this reply. */
            p9_session_reply_done(c->session, r);
        }
    }
}

static bool has_output(struct connection *c)
{
    pthread_mutex_lock(&c->out_lock);
    bool pending = c->writing || c->out_head;
    pthread_mutex_unlock(&c->out_lock);
    return pending;
}

void socket_server_run(struct socket_server *srv, int stop_fd)
{
    GArray *fds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    for (;;) {
        g_array_set_size(fds, 3 + srv->conns->len);
        struct pollfd *p = (struct pollfd *)fds->data;
        p[0] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
        p[1] = (struct pollfd){ .fd = srv->listen_fd, .events = POLLIN };
        p[2] = (struct pollfd){ .fd = srv->wake.fd, .events = POLLIN };
        for (guint i = 0; i < srv->conns->len; i++) {
            struct connection *c = srv->conns->pdata[i];
            short events = 0;
            if (c->in_len < SOCKET_MAX_MSIZE)
                events |= POLLIN;
            if (has_output(c))
                events |= POLLOUT;
            /* A full buffer and nothing to write: not polled (a hung-up peer
             * would report POLLHUP on every round) until the session wakes us. */
            p[3 + i] = (struct pollfd){ .fd = events ? c->fd : -1, .events = events };
        }
        if (poll(p, fds->len, -1) < 0) {
            if (errno == EINTR)
                continue;
            g_warning("poll: %s", g_strerror(errno));
            break;
        }
        if (p[0].revents)
            break;
        if (p[2].revents)
            wakeup_drain(&srv->wake);
        /* Snapshot: closing a connection reorders the array. */
        guint n = srv->conns->len;
        struct connection **snapshot = g_memdup2(srv->conns->pdata, n * sizeof(*snapshot));
        for (guint i = 0; i < n; i++) {
            struct connection *c = snapshot[i];
            short rev = p[3 + i].revents;
            const char *why = NULL;
            bool alive = true;
            /* Requests left buffered while the session was full go first. */
            if (c->in_len >= P9_HDR_SIZE && !frame_requests(c)) {
                why = "protocol error";
                alive = false;
            }
            if (alive && (rev & (POLLIN | POLLHUP | POLLERR)))
                alive = read_requests(c, &why);
            if (alive)
                alive = write_replies(c, &why);
            if (!alive)
                close_connection(srv, c, why);
        }
        g_free(snapshot);
        if (p[1].revents)
            accept_connection(srv);
    }
    g_array_free(fds, TRUE);
}

void socket_server_free(struct socket_server *srv)
{
    while (srv->conns->len)
        close_connection(srv, srv->conns->pdata[0], "server stopping");
    g_ptr_array_free(srv->conns, TRUE);
    close(srv->listen_fd);
    wakeup_close(&srv->wake);
    if (srv->unix_path)
        unlink(srv->unix_path);
    g_free(srv->unix_path);
    g_free(srv);
}
