// SPDX-License-Identifier: GPL-2.0-or-later
/* The scripted guest of test-agent.h, built on the stand-in libraries. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "tests/xenemu/test-agent.h"

typedef struct {
	uint8_t *addr;
	uint32_t count;
} Share;

typedef struct {
	XenEmuPeer *self;
	xengntshr_handle *gs;
	xenevtchn_handle *xce;
	GArray *shares;
} Agent;

static void answer_errno(Agent *a, int rc)
{
	if (rc < 0)
		xenemu_peer_send(a->self, "err %d", errno);
	else
		xenemu_peer_send(a->self, "ok");
}

static void answer_port(Agent *a, int port)
{
	if (port < 0)
		xenemu_peer_send(a->self, "err %d", errno);
	else
		xenemu_peer_send(a->self, "port %d", port);
}

static void answer_pending(Agent *a)
{
	xenevtchn_port_or_error_t port = xenevtchn_pending(a->xce);

	if (port < 0)
		xenemu_peer_send(a->self, "none");
	else
		xenemu_peer_send(a->self, "event %d", port);
}

static Share *share_at(Agent *a, unsigned k)
{
	return k < a->shares->len ? &g_array_index(a->shares, Share, k) : NULL;
}

static void cmd_share(Agent *a, unsigned domid, unsigned count, unsigned writable)
{
	g_autofree uint32_t *refs = g_new0(uint32_t, count);
	GString *s = g_string_new("refs");
	Share sh = { .count = count };
	unsigned i;

	sh.addr = xengntshr_share_pages(a->gs, domid, (int)count, refs, (int)writable);
	if (!sh.addr) {
		xenemu_peer_send(a->self, "err %d", errno);
		g_string_free(s, TRUE);
		return;
	}
	for (i = 0; i < count; i++) {
		memset(sh.addr + (size_t)i * 4096, 0x10 + (int)i, 4096);
		g_string_append_printf(s, " %u", refs[i]);
	}
	g_array_append_val(a->shares, sh);
	xenemu_peer_send(a->self, "%s", s->str);
	g_string_free(s, TRUE);
}

static gboolean run_command(Agent *a, char **w)
{
	guint n = g_strv_length(w);
	Share *sh;

	if (n == 4 && g_str_equal(w[0], "share")) {
		cmd_share(a, atoi(w[1]), atoi(w[2]), atoi(w[3]));
	} else if (n == 4 && g_str_equal(w[0], "fill") && (sh = share_at(a, atoi(w[1])))) {
		memset(sh->addr + (size_t)atoi(w[2]) * 4096, atoi(w[3]), 4096);
		xenemu_peer_send(a->self, "ok");
	} else if (n == 4 && g_str_equal(w[0], "peek") && (sh = share_at(a, atoi(w[1])))) {
		xenemu_peer_send(a->self, "byte %u",
				 sh->addr[(size_t)atoi(w[2]) * 4096 + atoi(w[3])]);
	} else if (n == 2 && g_str_equal(w[0], "unshare") && (sh = share_at(a, atoi(w[1])))) {
		answer_errno(a, xengntshr_unshare(a->gs, sh->addr, sh->count));
	} else if (n == 2 && g_str_equal(w[0], "unbound")) {
		answer_port(a, xenevtchn_bind_unbound_port(a->xce, atoi(w[1])));
	} else if (n == 3 && g_str_equal(w[0], "interdomain")) {
		answer_port(a, xenevtchn_bind_interdomain(a->xce, atoi(w[1]), atoi(w[2])));
	} else if (n == 2 && g_str_equal(w[0], "notify")) {
		answer_errno(a, xenevtchn_notify(a->xce, atoi(w[1])));
	} else if (n == 2 && g_str_equal(w[0], "unmask")) {
		answer_errno(a, xenevtchn_unmask(a->xce, atoi(w[1])));
	} else if (n == 2 && g_str_equal(w[0], "unbind")) {
		answer_errno(a, xenevtchn_unbind(a->xce, atoi(w[1])));
	} else if (n == 1 && g_str_equal(w[0], "pending")) {
		answer_pending(a);
	} else if (n == 2 && g_str_equal(w[0], "wait")) {
		struct pollfd pfd = { .fd = xenevtchn_fd(a->xce), .events = POLLIN };

		if (poll(&pfd, 1, atoi(w[1])) > 0)
			answer_pending(a);
		else
			xenemu_peer_send(a->self, "none");
	} else if (n == 1 && g_str_equal(w[0], "evclose")) {
		xenevtchn_close(a->xce);
		a->xce = NULL;
		xenemu_peer_send(a->self, "ok");
	} else if (n == 1 && g_str_equal(w[0], "crash")) {
		_exit(0);
	} else if (n == 1 && g_str_equal(w[0], "quit")) {
		return FALSE;
	} else {
		xenemu_peer_send(a->self, "bad command");
	}
	return TRUE;
}

static int agent_main(XenEmuPeer *self, gpointer data)
{
	Agent a = { .self = self };

	a.gs = xengntshr_open(NULL, 0);
	a.xce = xenevtchn_open(NULL, 0);
	if (!a.gs || !a.xce) {
		xenemu_peer_send(self, "error %s", g_strerror(errno));
		return 1;
	}
	fcntl(xenevtchn_fd(a.xce), F_SETFL, O_NONBLOCK);
	a.shares = g_array_new(FALSE, TRUE, sizeof(Share));
	xenemu_peer_send(self, "ready");
	for (;;) {
		g_autofree char *line = xenemu_peer_recv(self, 60000);
		g_auto(GStrv) words = NULL;

		if (!line)
			break;
		words = g_strsplit(line, " ", -1);
		if (!run_command(&a, words))
			break;
	}
	xengntshr_close(a.gs);
	if (a.xce)
		xenevtchn_close(a.xce);
	g_array_unref(a.shares);
	return 0;
}

XenEmuPeer *agent_start(const XenEmu *emu, unsigned domid)
{
	XenEmuPeer *p = xenemu_peer_fork(emu, domid, agent_main, NULL);
	g_autofree char *hello = NULL;

	g_assert_nonnull(p);
	hello = xenemu_peer_recv(p, 10000);
	g_assert_cmpstr(hello, ==, "ready");
	return p;
}

char *agent_call(XenEmuPeer *agent, const char *fmt, ...)
{
	g_autofree char *cmd = NULL;
	char *answer;
	va_list ap;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_assert_true(xenemu_peer_send(agent, "%s", cmd));
	answer = xenemu_peer_recv(agent, 10000);
	if (!answer)
		g_error("agent: no answer to \"%s\"", cmd);
	return answer;
}

void agent_quit(XenEmuPeer *agent)
{
	int status;

	xenemu_peer_send(agent, "quit");
	status = xenemu_peer_wait(agent);
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
}
