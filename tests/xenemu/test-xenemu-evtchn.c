// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Event channels across processes: a guest (domain 5, a child process)
 * offers an unbound port, this process (dom0) binds it like a backend; then
 * notifications both ways, Linux's mask-on-delivery with one re-delivery at
 * unmask, unbind, Xen's binding rules, and what domain destruction, a dying
 * process and a closed handle leave behind.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <xenevtchn.h>
#include <xen/xen.h>

#include "tests/xenemu/test-agent.h"

typedef struct {
	XenEmu *emu;
	xenevtchn_handle *xce;
	XenEmuPeer *guest;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->emu = xenemu_start(NULL, &error);
	g_assert_no_error(error);
	g_assert_true(xenemu_create_domain(f->emu, 5, "guest", &error));
	g_assert_true(xenemu_create_domain(f->emu, 6, "other", &error));
	xenemu_enter_domain(f->emu, 0);
	f->xce = xenevtchn_open(NULL, 0);
	g_assert_nonnull(f->xce);
	f->guest = agent_start(f->emu, 5);
}

static void teardown(Fixture *f, gconstpointer data)
{
	if (f->guest)
		agent_quit(f->guest);
	g_assert_cmpint(xenevtchn_close(f->xce), ==, 0);
	g_assert_true(xenemu_stop(f->emu));
}

/* The next event within timeout_ms, or -1. */
static int wait_event(xenevtchn_handle *xce, int timeout_ms)
{
	struct pollfd pfd = { .fd = xenevtchn_fd(xce), .events = POLLIN };

	if (poll(&pfd, 1, timeout_ms) <= 0)
		return -1;
	return xenevtchn_pending(xce);
}

static int answer_number(const char *answer, const char *prefix)
{
	g_assert_true(g_str_has_prefix(answer, prefix));
	return atoi(answer + strlen(prefix));
}

static int guest_unbound(Fixture *f, unsigned remote)
{
	g_autofree char *answer = agent_call(f->guest, "unbound %u", remote);

	return answer_number(answer, "port ");
}

static void guest_expect(Fixture *f, const char *expected, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static void guest_expect(Fixture *f, const char *expected, const char *fmt, ...)
{
	g_autofree char *cmd = NULL;
	g_autofree char *answer = NULL;
	va_list ap;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	answer = agent_call(f->guest, "%s", cmd);
	g_assert_cmpstr(answer, ==, expected);
}

static void guest_expect_event(Fixture *f, int port)
{
	g_autofree char *answer = agent_call(f->guest, "wait 5000");

	g_assert_cmpint(answer_number(answer, "event "), ==, port);
}

static const XenEmuPort *find_port(GArray *ports, uint32_t port)
{
	guint i;

	for (i = 0; i < ports->len; i++)
		if (g_array_index(ports, XenEmuPort, i).port == port)
			return &g_array_index(ports, XenEmuPort, i);
	return NULL;
}

/* State of domid:port as the table has it (0 when free). */
static unsigned port_state(Fixture *f, unsigned domid, uint32_t port, unsigned *remote_dom)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) ports = xenemu_list_ports(xenemu_dir(f->emu), domid, &error);
	const XenEmuPort *p;

	g_assert_no_error(error);
	p = find_port(ports, port);
	if (p && remote_dom)
		*remote_dom = p->remote_dom;
	return p ? p->state : 0;
}

static guint port_count(Fixture *f, unsigned domid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) ports = xenemu_list_ports(xenemu_dir(f->emu), domid, &error);

	g_assert_no_error(error);
	return ports->len;
}

/* Guest offers a port, we bind it; the bind's own event is consumed. */
static void connect_channel(Fixture *f, int *local, int *guest)
{
	*guest = guest_unbound(f, 0);
	*local = xenevtchn_bind_interdomain(f->xce, 5, (evtchn_port_t)*guest);
	g_assert_cmpint(*local, >, 0);
	/* Xen sets the new local port pending. */
	g_assert_cmpint(wait_event(f->xce, 5000), ==, *local);
	g_assert_cmpint(xenevtchn_unmask(f->xce, *local), ==, 0);
}

static void test_connect_and_notify(Fixture *f, gconstpointer data)
{
	unsigned remote = 99;
	int local, guest;

	guest = guest_unbound(f, 0);
	g_assert_cmpuint(port_state(f, 5, guest, &remote), ==, 1);
	g_assert_cmpuint(remote, ==, 0);
	local = xenevtchn_bind_interdomain(f->xce, 5, (evtchn_port_t)guest);
	g_assert_cmpint(local, >, 0);
	g_assert_cmpint(wait_event(f->xce, 5000), ==, local);
	g_assert_cmpint(xenevtchn_unmask(f->xce, local), ==, 0);
	g_assert_cmpuint(port_state(f, 0, local, &remote), ==, 2);
	g_assert_cmpuint(remote, ==, 5);
	g_assert_cmpuint(port_state(f, 5, guest, &remote), ==, 2);
	g_assert_cmpuint(remote, ==, 0);

	/* dom0 -> guest */
	g_assert_cmpint(xenevtchn_notify(f->xce, local), ==, 0);
	guest_expect_event(f, guest);
	guest_expect(f, "ok", "unmask %d", guest);
	/* guest -> dom0 */
	guest_expect(f, "ok", "notify %d", guest);
	g_assert_cmpint(wait_event(f->xce, 5000), ==, local);
	g_assert_cmpint(xenevtchn_unmask(f->xce, local), ==, 0);
	/* Nothing else. */
	g_assert_cmpint(wait_event(f->xce, 100), ==, -1);
	guest_expect(f, "none", "pending");
}

static void test_mask_and_redeliver(Fixture *f, gconstpointer data)
{
	int local, guest, i;

	connect_channel(f, &local, &guest);

	/* Delivery masks the port: more events coalesce into one pending. */
	for (i = 0; i < 3; i++)
		g_assert_cmpint(xenevtchn_notify(f->xce, local), ==, 0);
	guest_expect_event(f, guest);
	guest_expect(f, "none", "pending");
	g_assert_cmpint(xenevtchn_notify(f->xce, local), ==, 0);
	guest_expect(f, "none", "wait 200");
	/* Unmask re-delivers the one pending event, once. */
	guest_expect(f, "ok", "unmask %d", guest);
	guest_expect_event(f, guest);
	guest_expect(f, "none", "pending");
	guest_expect(f, "ok", "unmask %d", guest);
	guest_expect(f, "none", "wait 200");

	/* The same on our side, with xenevtchn_pending() itself. */
	guest_expect(f, "ok", "notify %d", guest);
	guest_expect(f, "ok", "notify %d", guest);
	g_assert_cmpint(wait_event(f->xce, 5000), ==, local);
	g_assert_cmpint(wait_event(f->xce, 200), ==, -1);
	g_assert_cmpint(xenevtchn_unmask(f->xce, local), ==, 0);
	g_assert_cmpint(wait_event(f->xce, 5000), ==, local);
	g_assert_cmpint(xenevtchn_unmask(f->xce, local), ==, 0);
	g_assert_cmpint(wait_event(f->xce, 200), ==, -1);
}

static void test_many_ports(Fixture *f, gconstpointer data)
{
	enum { N = 40 }; /* more than a datagram socket queues by default */
	int local[N], guest[N], i, got;
	gboolean seen[N] = { FALSE };

	for (i = 0; i < N; i++)
		connect_channel(f, &local[i], &guest[i]);
	for (i = 0; i < N; i++)
		guest_expect(f, "ok", "notify %d", guest[i]);
	/* Every port fires exactly once, however many doorbells were dropped. */
	for (got = 0; got < N; got++) {
		int port = wait_event(f->xce, 5000);

		g_assert_cmpint(port, >, 0);
		for (i = 0; i < N && local[i] != port; i++)
			;
		g_assert_cmpint(i, <, N);
		g_assert_false(seen[i]);
		seen[i] = TRUE;
	}
	g_assert_cmpint(wait_event(f->xce, 200), ==, -1);
}

static void test_unbind(Fixture *f, gconstpointer data)
{
	g_autofree char *answer = NULL;
	unsigned remote = 99;
	int local, guest, guest2;

	connect_channel(f, &local, &guest);
	guest_expect(f, "ok", "unbind %d", guest);
	g_assert_cmpuint(port_count(f, 5), ==, 0);
	/* Our end is unbound again, for domain 5; notify drops silently. */
	g_assert_cmpuint(port_state(f, 0, local, &remote), ==, 1);
	g_assert_cmpuint(remote, ==, 5);
	g_assert_cmpint(xenevtchn_notify(f->xce, local), ==, 0);
	guest_expect(f, "none", "wait 200");

	/* So the guest may bind to it now, as Xen allows. */
	answer = agent_call(f->guest, "interdomain 0 %d", local);
	guest2 = answer_number(answer, "port ");
	guest_expect_event(f, guest2); /* the binder's port starts pending */
	guest_expect(f, "ok", "unmask %d", guest2);
	g_assert_cmpint(xenevtchn_notify(f->xce, local), ==, 0);
	guest_expect_event(f, guest2);

	g_assert_cmpint(xenevtchn_unbind(f->xce, local), ==, 0);
	errno = 0;
	g_assert_cmpint(xenevtchn_unbind(f->xce, local), ==, -1);
	g_assert_cmpint(errno, ==, ENOTCONN);
	errno = 0;
	g_assert_cmpint(xenevtchn_notify(f->xce, local), ==, -1);
	g_assert_cmpint(errno, ==, ENOTCONN);
}

static void assert_bind_fails(Fixture *f, uint32_t domid, uint32_t port, int err)
{
	errno = 0;
	g_assert_cmpint(xenevtchn_bind_interdomain(f->xce, domid, port), ==, -1);
	g_assert_cmpint(errno, ==, err);
}

static void test_bind_rules(Fixture *f, gconstpointer data)
{
	xenevtchn_handle *other = xenevtchn_open(NULL, 0);
	int local, guest, for6, a, b;

	g_assert_nonnull(other);
	/* Offered to domain 6, not to us. */
	for6 = guest_unbound(f, 6);
	assert_bind_fails(f, 5, for6, EINVAL);
	/* Out of range, free, already connected, no such domain. */
	assert_bind_fails(f, 5, 5000, EINVAL);
	assert_bind_fails(f, 5, 999, EINVAL);
	connect_channel(f, &local, &guest);
	assert_bind_fails(f, 5, guest, EINVAL);
	assert_bind_fails(f, 9, 1, ESRCH);
	/* Ports belong to the handle that bound them. */
	errno = 0;
	g_assert_cmpint(xenevtchn_notify(other, local), ==, -1);
	g_assert_cmpint(errno, ==, ENOTCONN);
	errno = 0;
	g_assert_cmpint(xenevtchn_unbind(other, local), ==, -1);
	g_assert_cmpint(errno, ==, ENOTCONN);
	errno = 0;
	g_assert_cmpint(xenevtchn_notify(f->xce, 0), ==, -1);
	g_assert_cmpint(errno, ==, EINVAL);
	/* A loopback channel within dom0 works too. */
	a = xenevtchn_bind_unbound_port(other, DOMID_SELF);
	g_assert_cmpint(a, >, 0);
	b = xenevtchn_bind_interdomain(f->xce, 0, a);
	g_assert_cmpint(b, >, 0);
	g_assert_cmpint(wait_event(f->xce, 5000), ==, b);
	g_assert_cmpint(xenevtchn_notify(f->xce, b), ==, 0);
	g_assert_cmpint(wait_event(other, 5000), ==, a);
	/* Not provided. */
	errno = 0;
	g_assert_cmpint(xenevtchn_bind_virq(f->xce, 1), ==, -1);
	g_assert_cmpint(errno, ==, ENOSYS);
	g_assert_cmpint(xenevtchn_restrict(f->xce, 5), ==, 0);
	g_assert_cmpint(xenevtchn_close(other), ==, 0);
	/* Closing the other handle closed a: b is unbound now. */
	g_assert_cmpuint(port_state(f, 0, b, NULL), ==, 1);
}

static void test_domain_destroy(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *sock = xenemu_xenstore_path(f->emu, 5);
	unsigned remote = 99;
	int local, guest;

	connect_channel(f, &local, &guest);
	g_assert_true(xenemu_destroy_domain(f->emu, 5, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(sock, G_FILE_TEST_EXISTS));
	/* The dead domain's ports are closed; ours went back to unbound. */
	g_assert_cmpuint(port_count(f, 5), ==, 0);
	g_assert_cmpuint(port_state(f, 0, local, &remote), ==, 1);
	g_assert_cmpuint(remote, ==, 5);
	g_assert_cmpint(xenevtchn_notify(f->xce, local), ==, 0);
	/* The dead domain's process can do nothing any more. */
	g_assert_cmpint(ESRCH, ==, 3);
	guest_expect(f, "err 3", "notify %d", guest);
	guest_expect(f, "err 3", "unbound 0");
}

static void test_peer_death(Fixture *f, gconstpointer data)
{
	int local, guest, status;

	connect_channel(f, &local, &guest);
	g_assert_true(xenemu_peer_send(f->guest, "crash"));
	status = xenemu_peer_wait(f->guest);
	f->guest = NULL;
	g_assert_true(WIFEXITED(status));
	/* Its handle vanished without unbinding: the first event sent to it
	 * finds no socket, and its ports are closed as the kernel would. */
	g_assert_cmpint(xenevtchn_notify(f->xce, local), ==, 0);
	g_assert_cmpuint(port_count(f, 5), ==, 0);
	g_assert_cmpuint(port_state(f, 0, local, NULL), ==, 1);
}

static void test_close_unbinds(Fixture *f, gconstpointer data)
{
	int local, guest;

	connect_channel(f, &local, &guest);
	guest_expect(f, "ok", "evclose");
	g_assert_cmpuint(port_count(f, 5), ==, 0);
	g_assert_cmpuint(port_state(f, 0, local, NULL), ==, 1);
}

int main(int argc, char **argv)
{
	xenemu_reexec_with_standin_libs(argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/xenemu/evtchn/connect-and-notify", Fixture, NULL, setup,
		   test_connect_and_notify, teardown);
	g_test_add("/xenemu/evtchn/mask-and-redeliver", Fixture, NULL, setup,
		   test_mask_and_redeliver, teardown);
	g_test_add("/xenemu/evtchn/many-ports", Fixture, NULL, setup, test_many_ports, teardown);
	g_test_add("/xenemu/evtchn/unbind", Fixture, NULL, setup, test_unbind, teardown);
	g_test_add("/xenemu/evtchn/bind-rules", Fixture, NULL, setup, test_bind_rules, teardown);
	g_test_add("/xenemu/evtchn/domain-destroy", Fixture, NULL, setup, test_domain_destroy,
		   teardown);
	g_test_add("/xenemu/evtchn/peer-death", Fixture, NULL, setup, test_peer_death, teardown);
	g_test_add("/xenemu/evtchn/close-unbinds", Fixture, NULL, setup, test_close_unbinds,
		   teardown);
	return g_test_run();
}
