// SPDX-License-Identifier: GPL-2.0-or-later
/* Unix-socket connections: accept, frame xsd_sockmsg requests, queue replies.
 * A closed connection is only marked dead at once (loops over connections and
 * watches may be running); it is freed from an idle callback. */
#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/xenemu/xenstored/xs-server.h"

typedef struct {
	XsServer *srv;
	guint domid;
	gboolean privileged;
} ListenCtx;

int xs_listen_socket(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, saved;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 64) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static gboolean flush_output(XsConn *c);

static gboolean on_output(gint fd, GIOCondition cond, gpointer data)
{
	XsConn *c = data;

	if (c->dead || !flush_output(c) || c->out->len > 0)
		return c->dead ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
	g_source_unref(c->out_src);
	c->out_src = NULL;
	return G_SOURCE_REMOVE;
}

/* FALSE when the connection broke. */
static gboolean flush_output(XsConn *c)
{
	while (c->out->len > 0) {
		ssize_t n = send(c->fd, c->out->data, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			g_byte_array_remove_range(c->out, 0, (guint)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!c->out_src) {
				c->out_src = g_unix_fd_source_new(c->fd, G_IO_OUT);
				g_source_set_callback(c->out_src, G_SOURCE_FUNC(on_output), c, NULL);
				g_source_attach(c->out_src, NULL);
			}
			return TRUE;
		}
		xs_conn_close(c);
		return FALSE;
	}
	return TRUE;
}

void xs_conn_send(XsConn *c, guint32 type, guint32 req_id, guint32 tx_id,
		  const void *body, guint32 len)
{
	struct xsd_sockmsg hdr = { .type = type, .req_id = req_id, .tx_id = tx_id, .len = len };

	if (c->dead)
		return;
	xs_trace_msg(c->srv, "OUT", c, type, body, len);
	g_byte_array_append(c->out, (const guint8 *)&hdr, sizeof(hdr));
	g_byte_array_append(c->out, body, len);
	if (c->out->len > XS_MAX_QUEUED_OUTPUT) {
		xs_conn_close(c);
		return;
	}
	flush_output(c);
}

/* Dispatch every complete message buffered; FALSE when c died. */
static gboolean process_input(XsConn *c)
{
	struct xsd_sockmsg hdr;

	while (!c->dead && c->in->len >= sizeof(hdr)) {
		char *body;

		memcpy(&hdr, c->in->data, sizeof(hdr));
		if (hdr.len > XENSTORE_PAYLOAD_MAX) {
			/* Real xenstored gives up on such a client too. */
			xs_conn_close(c);
			return FALSE;
		}
		if (c->in->len < sizeof(hdr) + hdr.len)
			break;
		/* One spare NUL so that string scans stop inside the buffer. */
		body = g_malloc(hdr.len + 1);
		memcpy(body, c->in->data + sizeof(hdr), hdr.len);
		body[hdr.len] = '\0';
		g_byte_array_remove_range(c->in, 0, (guint)(sizeof(hdr) + hdr.len));
		xs_ops_dispatch(c, &hdr, body);
		g_free(body);
	}
	return !c->dead;
}

static gboolean on_input(gint fd, GIOCondition cond, gpointer data)
{
	XsConn *c = data;
	guint8 buf[16384];

	if (c->dead)
		return G_SOURCE_REMOVE;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			g_byte_array_append(c->in, buf, (guint)n);
			if (!process_input(c))
				return G_SOURCE_REMOVE;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return G_SOURCE_CONTINUE;
		xs_conn_close(c); /* EOF or error */
		return G_SOURCE_REMOVE;
	}
}

static void conn_new(XsServer *srv, int fd, guint domid, gboolean privileged)
{
	XsConn *c = g_new0(XsConn, 1);

	c->srv = srv;
	c->id = ++srv->next_conn_id;
	c->domid = domid;
	c->privileged = privileged;
	c->fd = fd;
	c->in = g_byte_array_new();
	c->out = g_byte_array_new();
	c->watches = g_ptr_array_new_with_free_func(xs_watch_free);
	c->transactions = g_hash_table_new_full(NULL, NULL, NULL, xs_transaction_free);
	c->in_src = g_unix_fd_source_new(fd, G_IO_IN | G_IO_HUP | G_IO_ERR);
	g_source_set_callback(c->in_src, G_SOURCE_FUNC(on_input), c, NULL);
	g_source_attach(c->in_src, NULL);
	g_ptr_array_add(srv->conns, c);
	xs_trace_conn(srv, "CREATE", c);
}

static gboolean on_accept(gint fd, GIOCondition cond, gpointer data)
{
	ListenCtx *l = data;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (cfd < 0)
			break;
		conn_new(l->srv, cfd, l->domid, l->privileged);
	}
	return G_SOURCE_CONTINUE;
}

GSource *xs_listen_source(XsServer *srv, int fd, guint domid, gboolean privileged)
{
	ListenCtx *l = g_new0(ListenCtx, 1);
	GSource *src = g_unix_fd_source_new(fd, G_IO_IN);

	l->srv = srv;
	l->domid = domid;
	l->privileged = privileged;
	g_source_set_callback(src, G_SOURCE_FUNC(on_accept), l, g_free);
	g_source_attach(src, NULL);
	return src;
}

static gboolean free_conn(gpointer data)
{
	XsConn *c = data;

	g_ptr_array_remove(c->srv->conns, c);
	close(c->fd);
	g_byte_array_unref(c->in);
	g_byte_array_unref(c->out);
	g_ptr_array_unref(c->watches);
	g_hash_table_destroy(c->transactions);
	g_free(c);
	return G_SOURCE_REMOVE;
}

void xs_conn_close(XsConn *c)
{
	if (c->dead)
		return;
	c->dead = TRUE;
	xs_trace_conn(c->srv, "DESTROY", c);
	if (c->in_src) {
		g_source_destroy(c->in_src);
		g_source_unref(c->in_src);
		c->in_src = NULL;
	}
	if (c->out_src) {
		g_source_destroy(c->out_src);
		g_source_unref(c->out_src);
		c->out_src = NULL;
	}
	/* The peer sees EOF now; watches and transactions go with the struct. */
	shutdown(c->fd, SHUT_RDWR);
	g_idle_add(free_conn, c);
}
