// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tree as a connection sees it: real xenstored's permission checks and
 * error codes (get_node(), errno_from_parents(), do_write/mkdir/rm/set_perms),
 * on the live tree or inside a transaction's snapshot.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tests/xenemu/xenstored/xs-server.h"

void xs_access_init(XsAccess *a, XsConn *c, XsTransaction *tx)
{
	a->conn = c;
	a->tx = tx;
	a->tree = tx ? tx->snapshot : c->srv->tree;
}

char *xs_canonical(const XsConn *c, const char *path)
{
	if (path[0] == '/' || path[0] == '@')
		return g_strdup(path);
	return g_strdup_printf("/local/domain/%u/%s", c->domid, path);
}

/* Every node a transaction looks at is checked again at commit. */
static XsNode *lookup(XsAccess *a, const char *path)
{
	if (a->tx)
		xs_transaction_access(a->tx, path);
	return xs_tree_lookup(a->tree, path);
}

static guint perm_for(const XsAccess *a, const XsNode *n)
{
	return xs_perms_for(&n->perms, a->conn->domid, a->conn->privileged);
}

/* A missing or forbidden node: say ENOENT / err only to whoever the nearest
 * existing ancestor allows the same access; everyone else gets EACCES. */
static int errno_from_parents(XsAccess *a, const char *path, int err, guint perm)
{
	g_autofree char *p = g_strdup(path);
	XsNode *n = NULL;

	while (strcmp(p, "/") != 0) {
		char *parent = xs_path_parent(p);

		g_free(p);
		p = parent;
		n = lookup(a, p);
		if (n)
			break;
	}
	if (!n)
		n = lookup(a, "/");
	return (perm_for(a, n) & perm) ? err : EACCES;
}

static XsNode *get_node(XsAccess *a, const char *path, guint perm, int *err)
{
	XsNode *n;

	if (!xs_path_valid(path)) {
		*err = EINVAL;
		return NULL;
	}
	n = lookup(a, path);
	if (n && (perm_for(a, n) & perm) == perm)
		return n;
	*err = errno_from_parents(a, path, n ? EACCES : ENOENT, perm);
	return NULL;
}

int xs_store_get(XsAccess *a, const char *path, guint perm, XsNode **out)
{
	int err = 0;

	*out = get_node(a, path, perm, &err);
	return *out ? 0 : err;
}

static void touch_subtree(XsAccess *a, XsNode *n)
{
	guint i;

	for (i = 0; i < n->children->len; i++) {
		g_autofree char *child = strcmp(n->path, "/") == 0
			? g_strconcat("/", (char *)g_ptr_array_index(n->children, i), NULL)
			: g_strconcat(n->path, "/", (char *)g_ptr_array_index(n->children, i), NULL);
		XsNode *c = lookup(a, child);

		if (c)
			touch_subtree(a, c);
	}
}

/* Record, inside a transaction, every node the mutation will change. */
static void touch_for(XsAccess *a, const XsMutation *m)
{
	g_autofree char *p = g_strdup(m->path);
	XsNode *n;

	switch (m->kind) {
	case XS_MUT_WRITE:
	case XS_MUT_MKDIR:
		/* The node, missing ancestors and the first existing one, whose
		 * child list changes. */
		while (!lookup(a, p) && strcmp(p, "/") != 0) {
			char *parent = xs_path_parent(p);

			g_free(p);
			p = parent;
		}
		break;
	case XS_MUT_RM:
		n = lookup(a, p);
		if (n)
			touch_subtree(a, n);
		g_free(p);
		p = xs_path_parent(m->path);
		lookup(a, p);
		break;
	case XS_MUT_SET_PERMS:
		lookup(a, p);
		break;
	}
}

static XsMutation *mutation_copy(const XsMutation *m)
{
	XsMutation *c = g_new0(XsMutation, 1);

	c->kind = m->kind;
	c->path = g_strdup(m->path);
	c->data = g_memdup2(m->data, m->len);
	c->len = m->len;
	if (m->perms.num)
		xs_perms_copy(&c->perms, &m->perms);
	c->owner = m->owner;
	return c;
}

void xs_mutation_free(gpointer p)
{
	XsMutation *m = p;

	g_free(m->path);
	g_free(m->data);
	xs_perms_clear(&m->perms);
	g_free(m);
}

static int mutate(XsAccess *a, XsMutation *m)
{
	m->owner = a->conn->privileged ? -1 : (gint)a->conn->domid;
	if (a->tx) {
		touch_for(a, m);
		g_ptr_array_add(a->tx->log, mutation_copy(m));
	}
	xs_store_apply(a->conn->srv, a->tree, a->tx == NULL, m);
	return 0;
}

/* Real xenstored's per-domain quotas: a domU may not fill dom0's memory. */
static gboolean over_node_quota(XsAccess *a, const char *path)
{
	g_autofree char *p = g_strdup(path);
	GHashTableIter it;
	gpointer value;
	guint owned = 0, created = 0;

	if (a->conn->privileged)
		return FALSE;
	while (!xs_tree_lookup(a->tree, p)) {
		char *parent = xs_path_parent(p);

		created++;
		g_free(p);
		p = parent;
	}
	if (created == 0)
		return FALSE;
	g_hash_table_iter_init(&it, a->tree->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value))
		if (((XsNode *)value)->perms.p[0].id == a->conn->domid)
			owned++;
	return owned + created > XS_MAX_NODES;
}

int xs_store_write(XsAccess *a, const char *path, const guint8 *data, guint32 len)
{
	XsMutation m = { .kind = XS_MUT_WRITE, .path = (char *)path,
			 .data = (guint8 *)data, .len = len };
	int err = 0;

	if (!get_node(a, path, XS_PERM_WRITE, &err) && err != ENOENT)
		return err;
	if (!a->conn->privileged && len > XS_MAX_VALUE)
		return ENOSPC;
	if (over_node_quota(a, path))
		return ENOSPC;
	return mutate(a, &m);
}

int xs_store_mkdir(XsAccess *a, const char *path)
{
	XsMutation m = { .kind = XS_MUT_MKDIR, .path = (char *)path };
	int err = 0;

	if (get_node(a, path, XS_PERM_WRITE, &err))
		return 0; /* exists already: fine */
	if (err != ENOENT)
		return err;
	if (over_node_quota(a, path))
		return ENOSPC;
	return mutate(a, &m);
}

int xs_store_rm(XsAccess *a, const char *path)
{
	XsMutation m = { .kind = XS_MUT_RM, .path = (char *)path };
	g_autofree char *parent = NULL;
	int err = 0;

	if (!get_node(a, path, XS_PERM_WRITE, &err)) {
		if (err != ENOENT)
			return err;
		/* Not there: fine if its parent is. */
		parent = xs_path_parent(path);
		return lookup(a, parent) ? 0 : ENOENT;
	}
	if (strcmp(path, "/") == 0)
		return EINVAL;
	return mutate(a, &m);
}

int xs_store_set_perms(XsAccess *a, const char *path, const XsPerms *perms)
{
	XsMutation m = { .kind = XS_MUT_SET_PERMS, .path = (char *)path, .perms = *perms };
	XsNode *n;
	int err = 0;

	n = get_node(a, path, XS_PERM_WRITE | XS_PERM_OWNER, &err);
	if (!n)
		return err;
	if (!a->conn->privileged && perms->p[0].id != n->perms.p[0].id)
		return EPERM; /* unprivileged domains may not change the owner */
	return mutate(a, &m);
}

static void fire_removed(XsNode *n, gboolean is_root, gpointer user)
{
	/* Every removed node fires the watches on itself; the removed root also
	 * fires those on its ancestors. */
	xs_watch_fire(user, n->path, !is_root, n, NULL);
}

void xs_store_apply(XsServer *srv, XsTree *tree, gboolean live, const XsMutation *m)
{
	XsNode *n = xs_tree_lookup(tree, m->path);
	XsPerms old;

	switch (m->kind) {
	case XS_MUT_WRITE:
		n = xs_tree_create(tree, m->path, m->owner, NULL);
		xs_tree_set_value(n, m->data, m->len);
		if (live)
			xs_watch_fire(srv, m->path, FALSE, n, NULL);
		break;
	case XS_MUT_MKDIR:
		if (n)
			break;
		n = xs_tree_create(tree, m->path, m->owner, NULL);
		if (live)
			xs_watch_fire(srv, m->path, FALSE, n, NULL);
		break;
	case XS_MUT_RM:
		if (n)
			xs_tree_remove(tree, m->path, live ? fire_removed : NULL, srv);
		break;
	case XS_MUT_SET_PERMS:
		if (!n)
			break;
		xs_perms_copy(&old, &n->perms);
		xs_tree_set_perms(n, &m->perms);
		/* A watcher that just lost access still hears of the change. */
		if (live)
			xs_watch_fire(srv, m->path, FALSE, n, &old);
		xs_perms_clear(&old);
		break;
	}
}
