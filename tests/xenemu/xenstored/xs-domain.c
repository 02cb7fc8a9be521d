// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * INTRODUCE / RELEASE: a domain comes to exist (its xenstore socket, grant
 * table and event channel slot appear) and is destroyed (connections closed,
 * socket removed, grant table and ports dead), with the special watches.
 * Dom0 always exists and never gets a socket of its own.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "tests/xenemu/shm/emu-shm.h"
#include "tests/xenemu/xenstored/xs-server.h"

void xs_domain_free(gpointer p)
{
	XsDomain *d = p;

	if (d->src) {
		g_source_destroy(d->src);
		g_source_unref(d->src);
	}
	if (d->listen_fd >= 0)
		close(d->listen_fd);
	if (d->sock_path)
		unlink(d->sock_path);
	g_free(d->sock_path);
	g_free(d);
}

gboolean xs_domain_is_introduced(XsServer *srv, guint domid)
{
	return domid == 0 || g_hash_table_contains(srv->domains, GUINT_TO_POINTER(domid));
}

int xs_domain_introduce(XsServer *srv, guint domid)
{
	XsDomain *d;

	if (domid >= EMU_MAX_DOMAINS)
		return EINVAL;
	if (xs_domain_is_introduced(srv, domid))
		return 0; /* like a re-introduction: nothing changes */
	if (emu_grant_domain_create(srv->dir, domid) != 0 ||
	    emu_evtchn_domain_set_alive(srv->dir, domid, TRUE) != 0) {
		g_warning("domain %u: cannot create its shared state: %s", domid,
			  g_strerror(errno));
		return EIO;
	}
	d = g_new0(XsDomain, 1);
	d->domid = domid;
	d->sock_path = g_strdup_printf("%s/dom%u/xenstore.sock", srv->dir, domid);
	d->listen_fd = xs_listen_socket(d->sock_path);
	if (d->listen_fd < 0) {
		g_warning("domain %u: %s: %s", domid, d->sock_path, g_strerror(errno));
		g_free(d->sock_path);
		d->sock_path = NULL;
		xs_domain_free(d);
		emu_evtchn_domain_set_alive(srv->dir, domid, FALSE);
		emu_grant_domain_destroy(srv->dir, domid);
		return EIO;
	}
	d->src = xs_listen_source(srv, d->listen_fd, domid, FALSE);
	g_hash_table_insert(srv->domains, GUINT_TO_POINTER(domid), d);
	xs_watch_fire_special(srv, "@introduceDomain");
	return 0;
}

int xs_domain_release(XsServer *srv, guint domid)
{
	guint i;

	if (domid == 0)
		return EINVAL;
	if (!g_hash_table_contains(srv->domains, GUINT_TO_POINTER(domid)))
		return ENOENT;
	for (i = 0; i < srv->conns->len; i++) {
		XsConn *c = g_ptr_array_index(srv->conns, i);

		if (!c->privileged && c->domid == domid)
			xs_conn_close(c);
	}
	/* Closes and unlinks the socket before the directory goes. */
	g_hash_table_remove(srv->domains, GUINT_TO_POINTER(domid));
	emu_evtchn_domain_set_alive(srv->dir, domid, FALSE);
	emu_grant_domain_destroy(srv->dir, domid);
	xs_watch_fire_special(srv, "@releaseDomain");
	return 0;
}
