// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Stand-in libxenevtchn.so.1. A handle is an AF_UNIX datagram socket (its fd
 * is what xenevtchn_fd() returns, readable when an event is waiting); the
 * ports live in the emulator's shared event channel table.
 *
 * Errors follow Linux's evtchn driver and Xen: a port this handle did not
 * bind gives ENOTCONN, a port out of range EINVAL, binding a port that is not
 * unbound-for-us EINVAL, a domain that does not exist ESRCH.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xen/xen.h>

#include "tests/xenemu/shm/emu-shm.h"

struct xenevtchn_handle {
	struct emu_evtchn_ctx *ctx;
	uint32_t domid;
	uint32_t incarnation; /* of our domain when we opened */
	uint32_t id;
	int fd;
	struct sockaddr_un addr;
};

static void lock(xenevtchn_handle *xce)
{
	emu_mutex_lock(&xce->ctx->table->lock);
}

static void unlock(xenevtchn_handle *xce)
{
	emu_mutex_unlock(&xce->ctx->table->lock);
}

static int fail(xenevtchn_handle *xce, int err)
{
	unlock(xce);
	errno = err;
	return -1;
}

/* Our domain still exists (table lock held). */
static bool alive(xenevtchn_handle *xce)
{
	return emu_evtchn_domain_ok(xce->ctx, xce->domid, xce->incarnation);
}

/* The port, if this handle bound it (table lock held). */
static struct emu_evtchn_port *own_port(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct emu_evtchn_port *p = emu_evtchn_port_get(xce->ctx, xce->domid, port);

	if (!p || p->state == EMU_PORT_FREE || p->handle_id != xce->id)
		return NULL;
	return p;
}

/* A handle with no socket yet, of the instance in the environment; NULL and errno. */
static xenevtchn_handle *new_handle(char dir[EMU_DIR_MAX + 1])
{
	xenevtchn_handle *xce;

	if (emu_dir_from_env(dir) != 0)
		return NULL;
	xce = calloc(1, sizeof(*xce));
	if (!xce) {
		errno = ENOMEM;
		return NULL;
	}
	xce->fd = -1;
	return xce;
}

/* The handle joins the emulator as our domain's (table lock taken inside): 0 or -1. */
static int attach(xenevtchn_handle *xce, const char *dir)
{
	if (emu_domid_from_env(&xce->domid) != 0)
		return -1;
	xce->ctx = emu_evtchn_ctx_open(dir);
	if (!xce->ctx)
		return -1;
	lock(xce);
	if (!emu_evtchn_domain_ok(xce->ctx, xce->domid, 0)) {
		unlock(xce);
		errno = ESRCH;
		return -1;
	}
	xce->incarnation = xce->ctx->table->doms[xce->domid].incarnation;
	unlock(xce);
	return 0;
}

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int flags)
{
	xenevtchn_handle *xce;
	char dir[EMU_DIR_MAX + 1];
	int saved, type = SOCK_DGRAM;

	xce = new_handle(dir);
	if (!xce)
		return NULL;
	if (attach(xce, dir) != 0)
		goto fail;
	lock(xce);
	xce->id = xce->ctx->table->next_handle_id++;
	unlock(xce);

	if (!(flags & XENEVTCHN_NO_CLOEXEC))
		type |= SOCK_CLOEXEC;
	xce->fd = socket(AF_UNIX, type, 0);
	if (xce->fd < 0)
		goto fail;
	xce->addr.sun_family = AF_UNIX;
	if (emu_evtchn_handle_path(xce->ctx, xce->id, xce->addr.sun_path,
				   sizeof(xce->addr.sun_path)) != 0)
		goto fail;
	unlink(xce->addr.sun_path);
	if (bind(xce->fd, (struct sockaddr *)&xce->addr, sizeof(xce->addr)) != 0)
		goto fail;
	/* Events raised on our own ports (an unmask finds one pending). */
	emu_evtchn_connect(xce->ctx, xce->id);
	return xce;
fail:
	saved = errno;
	if (xce->fd >= 0)
		close(xce->fd);
	emu_evtchn_ctx_close(xce->ctx);
	free(xce);
	errno = saved;
	return NULL;
}

/* Doorbells to the peers of the ports the handle bound, as bind_interdomain
 * connects them: a process that confines itself next can still ring them. */
static void connect_peers(xenevtchn_handle *xce)
{
	uint32_t peers[EMU_EVTCHN_PORTS], n = 0, port, i;

	lock(xce);
	for (port = 1; port < EMU_EVTCHN_PORTS; port++) {
		struct emu_evtchn_port *p = own_port(xce, port), *remote;

		if (!p || p->state != EMU_PORT_INTERDOMAIN)
			continue;
		remote = emu_evtchn_port_get(xce->ctx, p->remote_dom, p->remote_port);
		if (remote && remote->handle_id)
			peers[n++] = remote->handle_id;
	}
	unlock(xce);
	for (i = 0; i < n; i++)
		emu_evtchn_connect(xce->ctx, peers[i]);
}

/*
 * A handle another process opened and passed on (its socket): the ports it
 * bound are found by the handle id in the socket's name, and stay bound while
 * any process holds the socket, as the kernel keeps an evtchn file's ports
 * until its last descriptor closes.
 */
xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd,
				   unsigned open_flags)
{
	xenevtchn_handle *xce;
	char dir[EMU_DIR_MAX + 1];
	socklen_t len;
	const char *slash;
	char *end;
	int saved;

	if (open_flags & XENEVTCHN_NO_CLOEXEC) {
		errno = EINVAL;
		return NULL;
	}
	xce = new_handle(dir);
	if (!xce)
		return NULL;
	xce->fd = fd;
	len = sizeof(xce->addr);
	if (getsockname(fd, (struct sockaddr *)&xce->addr, &len) != 0)
		goto fail;
	slash = strrchr(xce->addr.sun_path, '/');
	if (!slash || slash[1] != 'h' || (xce->id = strtoul(slash + 2, &end, 10)) == 0 || *end) {
		errno = EBADF;
		goto fail;
	}
	if (attach(xce, dir) != 0)
		goto fail;
	emu_evtchn_connect(xce->ctx, xce->id);
	connect_peers(xce);
	return xce;
fail:
	saved = errno;
	emu_evtchn_ctx_close(xce->ctx);
	free(xce);
	errno = saved;
	return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
	uint32_t port;

	if (!xce)
		return 0;
	/* Closing the evtchn device unbinds everything the handle bound. */
	lock(xce);
	for (port = 1; port < EMU_EVTCHN_PORTS; port++)
		if (own_port(xce, port))
			emu_evtchn_port_close(xce->ctx, xce->domid, port);
	unlock(xce);
	close(xce->fd);
	unlink(xce->addr.sun_path);
	emu_evtchn_ctx_close(xce->ctx);
	free(xce);
	return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce->fd;
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
	return 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	int err;

	if (port == 0 || port >= EMU_EVTCHN_PORTS) {
		errno = EINVAL;
		return -1;
	}
	lock(xce);
	if (!alive(xce))
		return fail(xce, ESRCH);
	if (!own_port(xce, port))
		return fail(xce, ENOTCONN);
	/* An unbound port (its peer went away) drops the event, as Xen does. */
	err = emu_evtchn_send(xce->ctx, xce->domid, port);
	if (err)
		return fail(xce, err);
	unlock(xce);
	return 0;
}

static uint32_t resolve_domid(xenevtchn_handle *xce, uint32_t domid)
{
	return domid == DOMID_SELF ? xce->domid : domid;
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
	struct emu_evtchn_port *p;
	uint32_t port;

	domid = resolve_domid(xce, domid);
	if (domid >= DOMID_FIRST_RESERVED) {
		errno = EINVAL;
		return -1;
	}
	lock(xce);
	if (!alive(xce))
		return fail(xce, ESRCH);
	port = emu_evtchn_port_alloc(xce->ctx, xce->domid);
	if (!port)
		return fail(xce, ENOSPC);
	p = emu_evtchn_port_get(xce->ctx, xce->domid, port);
	memset(p, 0, sizeof(*p));
	p->state = EMU_PORT_UNBOUND;
	p->remote_dom = (uint16_t)domid;
	p->handle_id = xce->id;
	unlock(xce);
	return (xenevtchn_port_or_error_t)port;
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
						     evtchn_port_t remote_port)
{
	struct emu_evtchn_port *local, *remote;
	uint32_t port;

	domid = resolve_domid(xce, domid);
	lock(xce);
	if (!alive(xce))
		return fail(xce, ESRCH);
	if (!emu_evtchn_domain_ok(xce->ctx, domid, 0))
		return fail(xce, ESRCH);
	remote = emu_evtchn_port_get(xce->ctx, domid, remote_port);
	if (!remote || remote->state != EMU_PORT_UNBOUND || remote->remote_dom != xce->domid)
		return fail(xce, EINVAL);
	port = emu_evtchn_port_alloc(xce->ctx, xce->domid);
	if (!port)
		return fail(xce, ENOSPC);
	local = emu_evtchn_port_get(xce->ctx, xce->domid, port);
	memset(local, 0, sizeof(*local));
	local->state = EMU_PORT_INTERDOMAIN;
	local->remote_dom = (uint16_t)domid;
	local->remote_port = remote_port;
	local->handle_id = xce->id;
	remote->state = EMU_PORT_INTERDOMAIN;
	remote->remote_port = port;
	/* Our notifications go to the peer's handle from now on. */
	emu_evtchn_connect(xce->ctx, remote->handle_id);
	/* Xen marks the new local port pending: notifications sent to the
	 * unbound remote port before the bind must not be lost. */
	emu_evtchn_raise(xce->ctx, xce->domid, port);
	unlock(xce);
	return (xenevtchn_port_or_error_t)port;
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
	errno = ENOSYS;
	return -1;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	if (port == 0 || port >= EMU_EVTCHN_PORTS) {
		errno = EINVAL;
		return -1;
	}
	lock(xce);
	if (!own_port(xce, port))
		return fail(xce, ENOTCONN);
	emu_evtchn_port_close(xce->ctx, xce->domid, port);
	unlock(xce);
	return 0;
}

/* A fired port of ours, preferring the one the doorbell named (lock held). */
static uint32_t take_fired(xenevtchn_handle *xce, uint32_t hint, bool *more)
{
	struct emu_evtchn_port *p;
	uint32_t port, found = 0;

	p = own_port(xce, hint);
	if (p && p->fired)
		found = hint;
	*more = false;
	for (port = 1; port < EMU_EVTCHN_PORTS; port++) {
		p = own_port(xce, port);
		if (!p || !p->fired || port == found)
			continue;
		if (!found)
			found = port;
		else {
			*more = true;
			break;
		}
	}
	if (found)
		emu_evtchn_port_get(xce->ctx, xce->domid, found)->fired = 0;
	return found;
}

xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	uint32_t hint = 0, port;
	ssize_t n;
	bool more;

	/* Blocks like read() on /dev/xen/evtchn unless the fd is non-blocking. */
	n = recv(xce->fd, &hint, sizeof(hint), 0);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	lock(xce);
	port = take_fired(xce, n == sizeof(hint) ? hint : 0, &more);
	/* Keep the fd readable while delivered events remain (doorbells may
	 * have been dropped on a full queue). */
	if (more)
		emu_evtchn_doorbell(xce->ctx, xce->id, 0);
	unlock(xce);
	if (!port) {
		errno = EAGAIN;
		return -1;
	}
	return (xenevtchn_port_or_error_t)port;
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct emu_evtchn_port *p;

	lock(xce);
	/* The evtchn driver ignores ports that are not ours. */
	p = own_port(xce, port);
	if (p && p->masked) {
		p->masked = 0;
		if (p->pending) {
			p->pending = 0;
			emu_evtchn_raise(xce->ctx, xce->domid, port);
		}
	}
	unlock(xce);
	return 0;
}
