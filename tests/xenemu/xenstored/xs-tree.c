// SPDX-License-Identifier: GPL-2.0-or-later
/* The xenstore node tree (paths, creation with inherited permissions, removal). */
#include "config.h"

#include <string.h>
#include <errno.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "tests/xenemu/xenstored/xs-tree.h"

static guint64 generation_counter;

guint64 xs_tree_next_generation(void)
{
	return ++generation_counter;
}

gboolean xs_path_valid(const char *path)
{
	size_t len = strlen(path);

	if (path[0] != '/' || len > XENSTORE_ABS_PATH_MAX)
		return FALSE;
	if (len > 1 && path[len - 1] == '/')
		return FALSE;
	if (strstr(path, "//"))
		return FALSE;
	return strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789-/_@") == len;
}

char *xs_path_parent(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return g_strdup("/");
	return g_strndup(path, (gsize)(slash - path));
}

gboolean xs_path_is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);

	if (strcmp(parent, "/") == 0)
		return TRUE;
	if (strncmp(child, parent, len) != 0)
		return FALSE;
	return child[len] == '/' || child[len] == '\0';
}

static XsNode *node_new(const char *path)
{
	XsNode *n = g_new0(XsNode, 1);

	n->path = g_strdup(path);
	n->children = g_ptr_array_new_with_free_func(g_free);
	n->generation = xs_tree_next_generation();
	return n;
}

static void node_free(gpointer p)
{
	XsNode *n = p;

	g_free(n->path);
	g_free(n->data);
	xs_perms_clear(&n->perms);
	g_ptr_array_unref(n->children);
	g_free(n);
}

static XsNode *node_copy(const XsNode *src)
{
	XsNode *n = g_new0(XsNode, 1);
	guint i;

	n->path = g_strdup(src->path);
	n->data = g_memdup2(src->data, src->len);
	n->len = src->len;
	xs_perms_copy(&n->perms, &src->perms);
	n->children = g_ptr_array_new_full(src->children->len, g_free);
	for (i = 0; i < src->children->len; i++)
		g_ptr_array_add(n->children, g_strdup(g_ptr_array_index(src->children, i)));
	n->generation = src->generation;
	return n;
}

XsTree *xs_tree_new(void)
{
	XsTree *t = g_new0(XsTree, 1);
	XsNode *root;

	t->nodes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, node_free);
	root = node_new("/");
	/* Real xenstored's root: owned by dom0, nothing for anyone else. */
	root->perms.num = 1;
	root->perms.p = g_new0(struct xs_permissions, 1);
	root->perms.p[0].id = 0;
	root->perms.p[0].perms = XS_PERM_NONE;
	g_hash_table_insert(t->nodes, root->path, root);
	return t;
}

XsTree *xs_tree_copy(const XsTree *src)
{
	XsTree *t = g_new0(XsTree, 1);
	GHashTableIter it;
	gpointer value;

	t->nodes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, node_free);
	g_hash_table_iter_init(&it, src->nodes);
	while (g_hash_table_iter_next(&it, NULL, &value)) {
		XsNode *n = node_copy(value);

		g_hash_table_insert(t->nodes, n->path, n);
	}
	return t;
}

void xs_tree_free(XsTree *t)
{
	if (!t)
		return;
	g_hash_table_destroy(t->nodes);
	g_free(t);
}

XsNode *xs_tree_lookup(const XsTree *t, const char *path)
{
	return g_hash_table_lookup(t->nodes, path);
}

static const char *basename_of(const char *path)
{
	return strrchr(path, '/') + 1;
}

XsNode *xs_tree_create(XsTree *t, const char *path, gint owner, GPtrArray *created)
{
	XsNode *parent, *n;
	char *parent_path;

	n = xs_tree_lookup(t, path);
	if (n)
		return n;
	parent_path = xs_path_parent(path);
	parent = xs_tree_create(t, parent_path, owner, created);
	g_free(parent_path);

	n = node_new(path);
	xs_perms_copy(&n->perms, &parent->perms);
	/* Unprivileged domains own what they create (construct_node()). */
	if (owner >= 0)
		n->perms.p[0].id = (unsigned int)owner;
	g_ptr_array_add(parent->children, g_strdup(basename_of(path)));
	parent->generation = xs_tree_next_generation();
	g_hash_table_insert(t->nodes, n->path, n);
	if (created)
		g_ptr_array_add(created, g_strdup(path));
	return n;
}

void xs_tree_set_value(XsNode *n, const guint8 *data, guint32 len)
{
	g_free(n->data);
	n->data = g_memdup2(data, len);
	n->len = len;
	n->generation = xs_tree_next_generation();
}

void xs_tree_set_perms(XsNode *n, const XsPerms *perms)
{
	xs_perms_clear(&n->perms);
	xs_perms_copy(&n->perms, perms);
	n->generation = xs_tree_next_generation();
}

static void remove_subtree(XsTree *t, XsNode *n, gboolean is_root, XsRemoveFn fn,
			   gpointer user)
{
	while (n->children->len > 0) {
		const char *name = g_ptr_array_index(n->children, n->children->len - 1);
		char *child_path = strcmp(n->path, "/") == 0 ? g_strconcat("/", name, NULL)
			: g_strconcat(n->path, "/", name, NULL);
		XsNode *child = xs_tree_lookup(t, child_path);

		g_free(child_path);
		if (child)
			remove_subtree(t, child, FALSE, fn, user);
		g_ptr_array_remove_index(n->children, n->children->len - 1);
	}
	if (fn)
		fn(n, is_root, user);
	g_hash_table_remove(t->nodes, n->path);
}

void xs_tree_remove(XsTree *t, const char *path, XsRemoveFn fn, gpointer user)
{
	XsNode *n = xs_tree_lookup(t, path);
	g_autofree char *own_path = g_strdup(path); /* path may be n->path */
	g_autofree char *parent_path = NULL;
	XsNode *parent;
	guint i;

	g_return_if_fail(n && strcmp(own_path, "/") != 0);
	parent_path = xs_path_parent(own_path);
	parent = xs_tree_lookup(t, parent_path);
	remove_subtree(t, n, TRUE, fn, user);
	if (!parent)
		return;
	for (i = 0; i < parent->children->len; i++) {
		if (strcmp(g_ptr_array_index(parent->children, i), basename_of(own_path)) == 0) {
			g_ptr_array_remove_index(parent->children, i);
			break;
		}
	}
	parent->generation = xs_tree_next_generation();
}
