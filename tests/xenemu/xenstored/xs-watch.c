// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Watches as real xenstored does them: a watch on P fires for changes of P
 * and below (and for the removal of P's ancestors, through P's own removal),
 * once at registration, only for watchers that may read the node or its
 * parent; @introduceDomain / @releaseDomain fire for domain changes.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tests/xenemu/xenstored/xs-server.h"

void xs_watch_free(gpointer p)
{
	XsWatch *w = p;

	g_free(w->path);
	g_free(w->token);
	g_free(w->relative_prefix);
	g_free(w);
}

int xs_watch_add(XsConn *c, const char *path, const char *token, XsWatch **out)
{
	g_autofree char *canonical = NULL;
	gboolean relative = FALSE;
	XsWatch *w;
	guint i;

	if (path[0] == '@') {
		if (strlen(path) > XENSTORE_REL_PATH_MAX)
			return EINVAL;
		canonical = g_strdup(path);
	} else {
		relative = path[0] != '/';
		canonical = xs_canonical(c, path);
		if (!xs_path_valid(canonical))
			return EINVAL;
	}
	for (i = 0; i < c->watches->len; i++) {
		w = g_ptr_array_index(c->watches, i);
		if (strcmp(w->path, canonical) == 0 && strcmp(w->token, token) == 0)
			return EEXIST;
	}
	if (!c->privileged && c->watches->len >= XS_MAX_WATCHES)
		return E2BIG;
	w = g_new0(XsWatch, 1);
	w->path = g_steal_pointer(&canonical);
	w->token = g_strdup(token);
	if (relative)
		w->relative_prefix = g_strdup_printf("/local/domain/%u", c->domid);
	g_ptr_array_add(c->watches, w);
	*out = w;
	return 0;
}

int xs_watch_remove(XsConn *c, const char *path, const char *token)
{
	g_autofree char *canonical = xs_canonical(c, path);
	guint i;

	for (i = 0; i < c->watches->len; i++) {
		XsWatch *w = g_ptr_array_index(c->watches, i);

		if (strcmp(w->path, canonical) == 0 && strcmp(w->token, token) == 0) {
			g_ptr_array_remove_index(c->watches, i);
			return 0;
		}
	}
	return ENOENT;
}

void xs_watch_send_event(XsConn *c, const XsWatch *w, const char *path)
{
	g_autoptr(GByteArray) body = g_byte_array_new();

	if (w->relative_prefix && g_str_has_prefix(path, w->relative_prefix)) {
		path += strlen(w->relative_prefix);
		if (*path == '/')
			path++;
	}
	g_byte_array_append(body, (const guint8 *)path, (guint)strlen(path) + 1);
	g_byte_array_append(body, (const guint8 *)w->token, (guint)strlen(w->token) + 1);
	if (body->len > XENSTORE_PAYLOAD_MAX)
		return;
	xs_conn_send(c, XS_WATCH_EVENT, 0, 0, body->data, body->len);
}

static gboolean can_read(const XsConn *c, const XsPerms *p)
{
	return (xs_perms_for(p, c->domid, c->privileged) & XS_PERM_READ) != 0;
}

/* The watcher may read the node (before or after the change) or its parent. */
static gboolean permitted(XsServer *srv, const XsConn *c, const XsNode *node,
			  const XsPerms *old_perms)
{
	g_autofree char *parent_path = NULL;
	XsNode *parent;

	if (old_perms && can_read(c, old_perms))
		return TRUE;
	if (can_read(c, &node->perms))
		return TRUE;
	parent_path = xs_path_parent(node->path);
	parent = xs_tree_lookup(srv->tree, parent_path);
	return parent && can_read(c, &parent->perms);
}

void xs_watch_fire(XsServer *srv, const char *path, gboolean exact, const XsNode *node,
		   const XsPerms *old_perms)
{
	guint i, j;

	for (i = 0; i < srv->conns->len; i++) {
		XsConn *c = g_ptr_array_index(srv->conns, i);

		if (c->dead || !permitted(srv, c, node, old_perms))
			continue;
		for (j = 0; j < c->watches->len; j++) {
			XsWatch *w = g_ptr_array_index(c->watches, j);
			gboolean match;

			if (w->path[0] == '@')
				continue;
			match = exact ? strcmp(path, w->path) == 0 : xs_path_is_child(path, w->path);
			if (match)
				xs_watch_send_event(c, w, path);
		}
	}
}

void xs_watch_fire_special(XsServer *srv, const char *name)
{
	const XsPerms *perms = strcmp(name, "@introduceDomain") == 0
		? &srv->introduce_perms : &srv->release_perms;
	guint i, j;

	for (i = 0; i < srv->conns->len; i++) {
		XsConn *c = g_ptr_array_index(srv->conns, i);

		if (c->dead || !can_read(c, perms))
			continue;
		for (j = 0; j < c->watches->len; j++) {
			XsWatch *w = g_ptr_array_index(c->watches, j);

			if (strcmp(w->path, name) == 0)
				xs_watch_send_event(c, w, name);
		}
	}
}
