// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The event channel table shared by every emulated domain, with Xen's port
 * semantics (EVTCHNOP_alloc_unbound / bind_interdomain / send / close) and the
 * Linux evtchn driver's delivery: an event masks its port until the owner
 * unmasks it; events raised meanwhile leave one pending event behind.
 *
 * Delivery state lives in the table; the datagram sent to the owning handle's
 * socket is only a doorbell that makes its fd readable.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/xenemu/shm/emu-shm.h"

static int table_path(const char *dir, char *buf, size_t len)
{
	return emu_path(buf, len, "%s/evtchn.table", dir);
}

int emu_evtchn_table_create(const char *dir)
{
	struct emu_evtchn_table *t;
	char path[256], tmp[256];
	int fd, saved;

	if (emu_path(path, sizeof(path), "%s/evtchn", dir) != 0)
		return -1;
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	if (table_path(dir, path, sizeof(path)) != 0 ||
	    emu_path(tmp, sizeof(tmp), "%s/evtchn.table.new", dir) != 0)
		return -1;
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, sizeof(*t)) != 0)
		goto fail;
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (t == MAP_FAILED)
		goto fail;
	if (emu_mutex_init_shared(&t->lock) != 0) {
		saved = errno;
		munmap(t, sizeof(*t));
		errno = saved;
		goto fail;
	}
	t->next_handle_id = 1;
	t->doms[0].alive = 1;
	t->doms[0].incarnation = 1;
	t->magic = EMU_EVTCHN_MAGIC;
	munmap(t, sizeof(*t));
	close(fd);
	return rename(tmp, path);
fail:
	saved = errno;
	close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

struct emu_evtchn_ctx *emu_evtchn_ctx_open(const char *dir)
{
	struct emu_evtchn_ctx *ctx;
	char path[256];
	struct stat st;
	int fd, saved;

	if (strlen(dir) > EMU_DIR_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if (table_path(dir, path, sizeof(path)) != 0)
		return NULL;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	strcpy(ctx->dir, dir);
	ctx->send_fd = -1;
	if (fstat(fd, &st) != 0)
		goto fail;
	if ((size_t)st.st_size != sizeof(*ctx->table)) {
		errno = EINVAL;
		goto fail;
	}
	ctx->table = mmap(NULL, sizeof(*ctx->table), PROT_READ | PROT_WRITE,
			  MAP_SHARED, fd, 0);
	if (ctx->table == MAP_FAILED) {
		ctx->table = NULL;
		goto fail;
	}
	if (ctx->table->magic != EMU_EVTCHN_MAGIC) {
		errno = EINVAL;
		goto fail;
	}
	ctx->send_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctx->send_fd < 0)
		goto fail;
	close(fd);
	return ctx;
fail:
	saved = errno;
	close(fd);
	emu_evtchn_ctx_close(ctx);
	errno = saved;
	return NULL;
}

void emu_evtchn_ctx_close(struct emu_evtchn_ctx *ctx)
{
	unsigned i;

	if (!ctx)
		return;
	for (i = 0; i < ctx->nconnected; i++)
		close(ctx->connected[i].fd);
	if (ctx->table)
		munmap(ctx->table, sizeof(*ctx->table));
	if (ctx->send_fd >= 0)
		close(ctx->send_fd);
	free(ctx);
}

int emu_evtchn_handle_path(const struct emu_evtchn_ctx *ctx, uint32_t handle_id,
			   char *buf, size_t len)
{
	return emu_path(buf, len, "%s/evtchn/h%u", ctx->dir, handle_id);
}

bool emu_evtchn_domain_ok(struct emu_evtchn_ctx *ctx, uint32_t domid,
			  uint32_t incarnation)
{
	struct emu_evtchn_domain *d;

	if (domid >= EMU_MAX_DOMAINS)
		return false;
	d = &ctx->table->doms[domid];
	return d->alive && (incarnation == 0 || d->incarnation == incarnation);
}

struct emu_evtchn_port *emu_evtchn_port_get(struct emu_evtchn_ctx *ctx,
					    uint32_t domid, uint32_t port)
{
	if (domid >= EMU_MAX_DOMAINS || port == 0 || port >= EMU_EVTCHN_PORTS)
		return NULL;
	return &ctx->table->doms[domid].ports[port];
}

uint32_t emu_evtchn_port_alloc(struct emu_evtchn_ctx *ctx, uint32_t domid)
{
	struct emu_evtchn_domain *d = &ctx->table->doms[domid];
	uint32_t port;

	for (port = 1; port < EMU_EVTCHN_PORTS; port++)
		if (d->ports[port].state == EMU_PORT_FREE)
			return port;
	return 0;
}

void emu_evtchn_port_close(struct emu_evtchn_ctx *ctx, uint32_t domid, uint32_t port)
{
	struct emu_evtchn_port *p = emu_evtchn_port_get(ctx, domid, port);
	struct emu_evtchn_port *peer;

	if (!p || p->state == EMU_PORT_FREE)
		return;
	if (p->state == EMU_PORT_INTERDOMAIN) {
		peer = emu_evtchn_port_get(ctx, p->remote_dom, p->remote_port);
		if (peer && peer->state == EMU_PORT_INTERDOMAIN &&
		    peer->remote_dom == domid && peer->remote_port == port) {
			/* Xen's evtchn_close: the remote end may be re-bound by us. */
			peer->state = EMU_PORT_UNBOUND;
			peer->remote_dom = (uint16_t)domid;
			peer->remote_port = 0;
		}
	}
	memset(p, 0, sizeof(*p));
}

void emu_evtchn_raise(struct emu_evtchn_ctx *ctx, uint32_t domid, uint32_t port)
{
	struct emu_evtchn_port *p = emu_evtchn_port_get(ctx, domid, port);

	if (!p || p->state == EMU_PORT_FREE)
		return;
	if (p->masked) {
		p->pending = 1;
		return;
	}
	p->masked = 1;
	p->fired = 1;
	emu_evtchn_doorbell(ctx, p->handle_id, port);
}

int emu_evtchn_send(struct emu_evtchn_ctx *ctx, uint32_t domid, uint32_t port)
{
	struct emu_evtchn_port *p = emu_evtchn_port_get(ctx, domid, port);

	if (!p || p->state == EMU_PORT_FREE)
		return EINVAL;
	if (p->state == EMU_PORT_INTERDOMAIN)
		emu_evtchn_raise(ctx, p->remote_dom, p->remote_port);
	return 0;
}

/* A handle whose socket is gone belonged to a process that died without
 * closing it: close its ports as the kernel would on the evtchn fd's release. */
static void reap_handle(struct emu_evtchn_ctx *ctx, uint32_t handle_id)
{
	uint32_t dom, port;

	for (dom = 0; dom < EMU_MAX_DOMAINS; dom++) {
		if (!ctx->table->doms[dom].alive)
			continue;
		for (port = 1; port < EMU_EVTCHN_PORTS; port++) {
			struct emu_evtchn_port *p = &ctx->table->doms[dom].ports[port];

			if (p->state != EMU_PORT_FREE && p->handle_id == handle_id)
				emu_evtchn_port_close(ctx, dom, port);
		}
	}
}

static int connected_fd(struct emu_evtchn_ctx *ctx, uint32_t handle_id)
{
	unsigned i;

	for (i = 0; i < ctx->nconnected; i++)
		if (ctx->connected[i].handle_id == handle_id)
			return ctx->connected[i].fd;
	return -1;
}

static void forget_connected(struct emu_evtchn_ctx *ctx, uint32_t handle_id)
{
	unsigned i;

	for (i = 0; i < ctx->nconnected; i++) {
		if (ctx->connected[i].handle_id == handle_id) {
			close(ctx->connected[i].fd);
			ctx->connected[i] = ctx->connected[--ctx->nconnected];
			return;
		}
	}
}

void emu_evtchn_connect(struct emu_evtchn_ctx *ctx, uint32_t handle_id)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (handle_id == 0 || connected_fd(ctx, handle_id) >= 0 ||
	    ctx->nconnected == EMU_EVTCHN_CONNECTED_MAX ||
	    emu_evtchn_handle_path(ctx, handle_id, addr.sun_path, sizeof(addr.sun_path)) != 0)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
		close(fd);
		return;
	}
	ctx->connected[ctx->nconnected].handle_id = handle_id;
	ctx->connected[ctx->nconnected].fd = fd;
	ctx->nconnected++;
}

void emu_evtchn_doorbell(struct emu_evtchn_ctx *ctx, uint32_t handle_id, uint32_t port)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (handle_id == 0)
		return;
	fd = connected_fd(ctx, handle_id);
	if (fd >= 0) {
		if (send(fd, &port, sizeof(port), MSG_DONTWAIT | MSG_NOSIGNAL) ==
		    (ssize_t)sizeof(port) || errno == EAGAIN)
			return;
		/* Its owner closed the socket: died without closing the handle. */
		forget_connected(ctx, handle_id);
		if (errno == ECONNREFUSED)
			reap_handle(ctx, handle_id);
		return;
	}
	if (emu_evtchn_handle_path(ctx, handle_id, addr.sun_path, sizeof(addr.sun_path)) != 0)
		return;
	if (sendto(ctx->send_fd, &port, sizeof(port), MSG_DONTWAIT | MSG_NOSIGNAL,
		   (struct sockaddr *)&addr, sizeof(addr)) == (ssize_t)sizeof(port))
		return;
	/* EAGAIN: the queue is full, so the fd is readable already: events
	 * coalesce. ECONNREFUSED: the socket is there, its owner died without
	 * closing the handle. ENOENT: closed properly (its ports went with it),
	 * or not reachable from a confined process: nothing to reap. */
	if (errno == ECONNREFUSED) {
		unlink(addr.sun_path);
		reap_handle(ctx, handle_id);
	}
}

void emu_evtchn_reap_dead(struct emu_evtchn_ctx *ctx)
{
	uint32_t dom, port, checked[64];
	unsigned nchecked = 0, i;

	for (dom = 0; dom < EMU_MAX_DOMAINS; dom++) {
		if (!ctx->table->doms[dom].alive)
			continue;
		for (port = 1; port < EMU_EVTCHN_PORTS; port++) {
			const struct emu_evtchn_port *p = &ctx->table->doms[dom].ports[port];
			struct sockaddr_un addr = { .sun_family = AF_UNIX };
			bool seen = false;
			int fd;

			if (p->state == EMU_PORT_FREE || p->handle_id == 0)
				continue;
			for (i = 0; i < nchecked && !seen; i++)
				seen = checked[i] == p->handle_id;
			if (seen)
				continue;
			if (nchecked < sizeof(checked) / sizeof(checked[0]))
				checked[nchecked++] = p->handle_id;
			if (emu_evtchn_handle_path(ctx, p->handle_id, addr.sun_path,
						   sizeof(addr.sun_path)) != 0)
				continue;
			fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (fd < 0)
				continue;
			if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 &&
			    errno == ECONNREFUSED) {
				unlink(addr.sun_path);
				reap_handle(ctx, p->handle_id);
			}
			close(fd);
		}
	}
}

int emu_evtchn_domain_set_alive(const char *dir, uint32_t domid, bool alive)
{
	struct emu_evtchn_ctx *ctx;
	struct emu_evtchn_domain *d;
	uint32_t port;

	if (domid >= EMU_MAX_DOMAINS) {
		errno = EINVAL;
		return -1;
	}
	ctx = emu_evtchn_ctx_open(dir);
	if (!ctx)
		return -1;
	emu_mutex_lock(&ctx->table->lock);
	d = &ctx->table->doms[domid];
	for (port = 1; port < EMU_EVTCHN_PORTS; port++)
		emu_evtchn_port_close(ctx, domid, port);
	if (alive && !d->alive)
		d->incarnation++;
	d->alive = alive;
	emu_mutex_unlock(&ctx->table->lock);
	emu_evtchn_ctx_close(ctx);
	return 0;
}
