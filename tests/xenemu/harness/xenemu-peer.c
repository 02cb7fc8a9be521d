// SPDX-License-Identifier: GPL-2.0-or-later
/* Run a function as another emulated domain in a forked child, talking to it
 * over a pair of pipes, one line per message. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/xenemu/xenemu.h"

struct XenEmuPeer {
	pid_t pid;
	int rfd;
	int wfd;
	GString *buf;
};

XenEmuPeer *xenemu_peer_fork(const XenEmu *emu, unsigned domid, XenEmuPeerFn fn,
			     gpointer data)
{
	int to_child[2], to_parent[2];
	XenEmuPeer *p;

	if (pipe2(to_child, O_CLOEXEC) != 0)
		return NULL;
	if (pipe2(to_parent, O_CLOEXEC) != 0) {
		close(to_child[0]);
		close(to_child[1]);
		return NULL;
	}
	p = g_new0(XenEmuPeer, 1);
	p->buf = g_string_new(NULL);
	p->pid = fork();
	if (p->pid < 0) {
		g_string_free(p->buf, TRUE);
		g_free(p);
		return NULL;
	}
	if (p->pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		p->rfd = to_child[0];
		p->wfd = to_parent[1];
		xenemu_enter_domain(emu, domid);
		_exit(fn(p, data));
	}
	close(to_child[0]);
	close(to_parent[1]);
	p->rfd = to_parent[0];
	p->wfd = to_child[1];
	return p;
}

gboolean xenemu_peer_send(XenEmuPeer *p, const char *fmt, ...)
{
	g_autofree char *line = NULL;
	va_list ap;
	size_t off = 0, len;

	va_start(ap, fmt);
	line = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	line = g_realloc(line, strlen(line) + 2);
	strcat(line, "\n");
	len = strlen(line);
	while (off < len) {
		ssize_t n = write(p->wfd, line + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return FALSE;
		off += (size_t)n;
	}
	return TRUE;
}

char *xenemu_peer_recv(XenEmuPeer *p, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	for (;;) {
		char *nl = memchr(p->buf->str, '\n', p->buf->len);
		struct pollfd pfd = { .fd = p->rfd, .events = POLLIN };
		gint64 left;
		char chunk[512];
		ssize_t n;

		if (nl) {
			char *line = g_strndup(p->buf->str, (gsize)(nl - p->buf->str));

			g_string_erase(p->buf, 0, nl - p->buf->str + 1);
			return line;
		}
		left = (deadline - g_get_monotonic_time()) / 1000;
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return NULL;
		n = read(p->rfd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		g_string_append_len(p->buf, chunk, n);
	}
}

pid_t xenemu_peer_pid(const XenEmuPeer *p)
{
	return p->pid;
}

int xenemu_peer_wait(XenEmuPeer *p)
{
	int status = -1;

	close(p->wfd); /* the child sees EOF on its next read */
	close(p->rfd);
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	g_string_free(p->buf, TRUE);
	g_free(p);
	return status;
}
