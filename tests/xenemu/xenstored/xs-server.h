// SPDX-License-Identifier: GPL-2.0-or-later
/* xenemu-xenstored: server, connections, watches, transactions, domains. */
#ifndef XENEMU_XS_SERVER_H
#define XENEMU_XS_SERVER_H

#include <glib.h>
#include <stdio.h>
#include <errno.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#include "tests/xenemu/xenstored/xs-tree.h"

typedef struct XsServer XsServer;
typedef struct XsConn XsConn;

typedef struct {
	char *path;            /* absolute, or @introduceDomain / @releaseDomain */
	char *token;
	char *relative_prefix; /* registered relative: events drop this prefix */
} XsWatch;

typedef enum {
	XS_MUT_WRITE,
	XS_MUT_MKDIR,
	XS_MUT_RM,
	XS_MUT_SET_PERMS,
} XsMutationKind;

/* A change to the tree, applied at once or logged by a transaction and
 * replayed at commit. */
typedef struct {
	XsMutationKind kind;
	char *path;
	guint8 *data;
	guint32 len;
	XsPerms perms;
	gint owner;            /* creator's domid when unprivileged, else -1 */
} XsMutation;

typedef struct {
	guint32 id;
	XsTree *snapshot;      /* the tree as it was at TRANSACTION_START */
	GHashTable *accessed;  /* path -> generation at start (0: absent) */
	GPtrArray *log;        /* XsMutation, in order */
} XsTransaction;

struct XsConn {
	XsServer *srv;
	guint id;
	guint domid;
	gboolean privileged;
	int fd;
	GSource *in_src;
	GSource *out_src;
	GByteArray *in;
	GByteArray *out;
	GPtrArray *watches;         /* XsWatch */
	GHashTable *transactions;   /* id -> XsTransaction */
	guint32 next_tx_id;
	gboolean dead;
};

typedef struct {
	guint domid;
	int listen_fd;
	GSource *src;
	char *sock_path;
} XsDomain;

struct XsServer {
	char *dir;
	XsTree *tree;
	GPtrArray *conns;           /* XsConn */
	GHashTable *domains;        /* domid -> XsDomain (introduced domUs) */
	XsPerms introduce_perms;    /* of the special node @introduceDomain */
	XsPerms release_perms;      /* of @releaseDomain */
	FILE *trace;
	guint next_conn_id;
	int listen_fd;
	GSource *listen_src;
};

/* Limits for unprivileged connections (real xenstored's defaults). */
#define XS_MAX_WATCHES 128
#define XS_MAX_TRANSACTIONS 10
#define XS_MAX_NODES 1000        /* nodes a domain may own */
#define XS_MAX_VALUE 2048        /* bytes in one node's value */
/* A client that stops reading is dropped past this much queued output. */
#define XS_MAX_QUEUED_OUTPUT (16u << 20)

/* ---- connections (xs-conn.c) ---- */
int xs_listen_socket(const char *path);
GSource *xs_listen_source(XsServer *srv, int fd, guint domid, gboolean privileged);
void xs_conn_send(XsConn *c, guint32 type, guint32 req_id, guint32 tx_id,
		  const void *body, guint32 len);
void xs_conn_close(XsConn *c);

/* ---- requests (xs-ops.c) ---- */
const char *xs_op_name(guint32 type);
void xs_ops_dispatch(XsConn *c, const struct xsd_sockmsg *hdr, const char *body);

/* ---- the tree under permissions (xs-store.c) ---- */
typedef struct {
	XsConn *conn;
	XsTransaction *tx;     /* NULL: the live tree */
	XsTree *tree;
} XsAccess;

void xs_access_init(XsAccess *a, XsConn *c, XsTransaction *tx);
/* Relative paths are relative to /local/domain/<conn's domid>. */
char *xs_canonical(const XsConn *c, const char *path);
int xs_store_get(XsAccess *a, const char *path, guint perm, XsNode **out);
int xs_store_write(XsAccess *a, const char *path, const guint8 *data, guint32 len);
int xs_store_mkdir(XsAccess *a, const char *path);
int xs_store_rm(XsAccess *a, const char *path);
int xs_store_set_perms(XsAccess *a, const char *path, const XsPerms *perms);
/* Apply without checks; live: fire watches. */
void xs_store_apply(XsServer *srv, XsTree *tree, gboolean live, const XsMutation *m);
void xs_mutation_free(gpointer m);

/* ---- transactions (xs-transaction.c) ---- */
XsTransaction *xs_transaction_new(XsServer *srv, guint32 id);
void xs_transaction_free(gpointer tx);
void xs_transaction_access(XsTransaction *tx, const char *path);
/* 0, or EAGAIN when a node it used changed since its start. */
int xs_transaction_commit(XsServer *srv, XsTransaction *tx);

/* ---- watches (xs-watch.c) ---- */
int xs_watch_add(XsConn *c, const char *path, const char *token, XsWatch **out);
int xs_watch_remove(XsConn *c, const char *path, const char *token);
void xs_watch_free(gpointer w);
void xs_watch_send_event(XsConn *c, const XsWatch *w, const char *path);
/* A change of path: exact fires only watches on path itself (a removed
 * descendant), otherwise watches on path and its ancestors. */
void xs_watch_fire(XsServer *srv, const char *path, gboolean exact, const XsNode *node,
		   const XsPerms *old_perms);
void xs_watch_fire_special(XsServer *srv, const char *name);

/* ---- domains (xs-domain.c) ---- */
int xs_domain_introduce(XsServer *srv, guint domid);
int xs_domain_release(XsServer *srv, guint domid);
gboolean xs_domain_is_introduced(XsServer *srv, guint domid);
void xs_domain_free(gpointer d);

/* ---- trace (xs-trace.c) ---- */
void xs_trace_msg(XsServer *srv, const char *dir, const XsConn *c, guint32 type,
		  const void *body, guint32 len);
void xs_trace_conn(XsServer *srv, const char *what, const XsConn *c);

#endif
