// SPDX-License-Identifier: GPL-2.0-or-later
/* The xenstore node tree: paths, values, permissions, children, generations. */
#ifndef XENEMU_XS_TREE_H
#define XENEMU_XS_TREE_H

#include <glib.h>
#include <xenstore_lib.h>

typedef struct {
	guint num;
	struct xs_permissions *p; /* p[0]: owner, and what everyone else gets */
} XsPerms;

typedef struct {
	char *path;
	guint8 *data;
	guint32 len;
	XsPerms perms;
	GPtrArray *children;  /* basenames, in creation order */
	guint64 generation;   /* changes whenever value, perms or children do */
} XsNode;

typedef struct {
	GHashTable *nodes;    /* path -> XsNode */
} XsTree;

/* ---- paths ---- */

/* Real xenstored's is_valid_nodename(): absolute, no trailing or double '/',
 * [A-Za-z0-9-/_@] only, at most XENSTORE_ABS_PATH_MAX bytes. */
gboolean xs_path_valid(const char *path);
char *xs_path_parent(const char *path);
/* child equals parent or lies below it. */
gboolean xs_path_is_child(const char *child, const char *parent);

/* ---- permissions (xs-perms.c) ---- */

void xs_perms_copy(XsPerms *dst, const XsPerms *src);
void xs_perms_clear(XsPerms *p);
/* "r0\0w5\0" style strings, count of them in nstr; FALSE when malformed. */
gboolean xs_perms_parse(XsPerms *out, const char *strings, guint nstr);
void xs_perms_format(const XsPerms *p, GByteArray *out);
/* perm_for_conn(): what domid gets on a node with these permissions. */
guint xs_perms_for(const XsPerms *p, guint domid, gboolean privileged);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(XsPerms, xs_perms_clear)

/* ---- tree ---- */

XsTree *xs_tree_new(void);
XsTree *xs_tree_copy(const XsTree *t);
void xs_tree_free(XsTree *t);
XsNode *xs_tree_lookup(const XsTree *t, const char *path);
guint64 xs_tree_next_generation(void);

/* Create path and its missing ancestors; each inherits its parent's
 * permissions, with the owner replaced by owner when owner >= 0.
 * created (may be NULL) receives the new paths, topmost first. */
XsNode *xs_tree_create(XsTree *t, const char *path, gint owner, GPtrArray *created);
void xs_tree_set_value(XsNode *n, const guint8 *data, guint32 len);
void xs_tree_set_perms(XsNode *n, const XsPerms *perms);

typedef void (*XsRemoveFn)(XsNode *n, gboolean is_root, gpointer user);
/* Remove path and everything below; fn sees each node, deepest first, before
 * it is freed. path must exist and not be "/". */
void xs_tree_remove(XsTree *t, const char *path, XsRemoveFn fn, gpointer user);

#endif
