// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The xenstore operations, one row each in ops[]: name, handler, flags.
 * Argument checks and replies follow real xenstored (xenstored_core.c):
 * "OK" acks, errors as XS_ERROR carrying the errno name.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/xenemu/xenstored/xs-server.h"

/* Handler result: the handler sent its own reply (WATCH: ack, then event). */
#define XS_REPLY_SENT (-1)

#define OP_PRIV  (1u << 0)  /* dom0 only */
#define OP_NO_TX (1u << 1)  /* transaction id ignored */

typedef struct {
	XsConn *c;
	XsTransaction *tx;
	const struct xsd_sockmsg *hdr;
	const char *body;     /* hdr->len bytes, plus a NUL of our own */
	GByteArray *reply;
} XsReq;

typedef int (*XsOpFn)(XsReq *r);

static void reply_str(XsReq *r, const char *s)
{
	g_byte_array_append(r->reply, (const guint8 *)s, (guint)strlen(s) + 1);
}

static void reply_ok(XsReq *r)
{
	reply_str(r, "OK");
}

/* Number of NUL-terminated strings in the payload (get_strings()). */
static guint count_strings(const XsReq *r)
{
	guint n = 0;
	guint32 i;

	for (i = 0; i < r->hdr->len; i++)
		if (r->body[i] == '\0')
			n++;
	return n;
}

/* Exactly one string, ending at the end of the payload (onearg()). */
static const char *onearg(const XsReq *r)
{
	if (r->hdr->len == 0 || strlen(r->body) + 1 != r->hdr->len)
		return NULL;
	return r->body;
}

static const char *second_string(const XsReq *r)
{
	return r->body + strlen(r->body) + 1;
}

static gboolean parse_domid(const char *s, guint *domid)
{
	char *end;
	unsigned long v;

	if (!s || !g_ascii_isdigit(s[0]))
		return FALSE;
	v = strtoul(s, &end, 10);
	if (*end || v >= 0x7ff0)
		return FALSE;
	*domid = (guint)v;
	return TRUE;
}

static int get_node_arg(XsReq *r, const char *arg, guint perm, XsNode **n)
{
	g_autofree char *path = NULL;
	XsAccess a;

	if (!arg)
		return EINVAL;
	path = xs_canonical(r->c, arg);
	xs_access_init(&a, r->c, r->tx);
	return xs_store_get(&a, path, perm, n);
}

static int op_read(XsReq *r)
{
	XsNode *n;
	int err = get_node_arg(r, onearg(r), XS_PERM_READ, &n);

	if (!err)
		g_byte_array_append(r->reply, n->data, n->len);
	return err;
}

static void append_children(const XsNode *n, GByteArray *out)
{
	guint i;

	for (i = 0; i < n->children->len; i++) {
		const char *name = g_ptr_array_index(n->children, i);

		g_byte_array_append(out, (const guint8 *)name, (guint)strlen(name) + 1);
	}
}

static int op_directory(XsReq *r)
{
	XsNode *n;
	int err = get_node_arg(r, onearg(r), XS_PERM_READ, &n);

	if (!err)
		append_children(n, r->reply);
	return err; /* too long for one reply: E2BIG, and the client pages */
}

static int op_directory_part(XsReq *r)
{
	g_autoptr(GByteArray) children = g_byte_array_new();
	char gen[24];
	guint genlen, off, len = 0, maxlen;
	XsNode *n;
	int err;

	if (count_strings(r) != 2)
		return EINVAL;
	err = get_node_arg(r, r->body, XS_PERM_READ, &n);
	if (err)
		return err;
	off = (guint)strtoul(second_string(r), NULL, 10);
	append_children(n, children);
	genlen = (guint)g_snprintf(gen, sizeof(gen), "%" G_GUINT64_FORMAT, n->generation) + 1;
	g_byte_array_append(r->reply, (const guint8 *)gen, genlen);
	if (off >= children->len) {
		/* Past the end: just the terminating empty string. */
		g_byte_array_append(r->reply, (const guint8 *)"", 1);
		return 0;
	}
	maxlen = XENSTORE_PAYLOAD_MAX - genlen - 1;
	while (off + len < children->len) {
		guint l = (guint)strlen((const char *)children->data + off + len) + 1;

		if (len + l > maxlen)
			break;
		len += l;
	}
	g_byte_array_append(r->reply, children->data + off, len);
	if (off + len == children->len)
		g_byte_array_append(r->reply, (const guint8 *)"", 1);
	return 0;
}

static const XsPerms *special_perms(XsServer *srv, const char *name)
{
	if (strcmp(name, "@introduceDomain") == 0)
		return &srv->introduce_perms;
	if (strcmp(name, "@releaseDomain") == 0)
		return &srv->release_perms;
	return NULL;
}

static int op_get_perms(XsReq *r)
{
	const char *arg = onearg(r);
	const XsPerms *perms;
	XsNode *n;
	int err;

	if (arg && arg[0] == '@') {
		perms = special_perms(r->c->srv, arg);
		if (!perms)
			return ENOENT;
	} else {
		err = get_node_arg(r, arg, XS_PERM_READ, &n);
		if (err)
			return err;
		perms = &n->perms;
	}
	xs_perms_format(perms, r->reply);
	return 0;
}

static int op_set_perms(XsReq *r)
{
	g_auto(XsPerms) perms = { 0 };
	g_autofree char *path = NULL;
	guint nstr = count_strings(r);
	XsAccess a;
	int err;

	if (nstr < 2)
		return EINVAL;
	/* Real xenstored's quota_nb_perms_per_node. */
	if (!r->c->privileged && nstr - 1 > 5)
		return ENOSPC;
	if (!xs_perms_parse(&perms, second_string(r), nstr - 1))
		return EINVAL;
	if (r->body[0] == '@') {
		XsPerms *special = (XsPerms *)special_perms(r->c->srv, r->body);
		const guint need = XS_PERM_WRITE | XS_PERM_OWNER;

		if (!special)
			return ENOENT;
		if ((xs_perms_for(special, r->c->domid, r->c->privileged) & need) != need)
			return EACCES;
		xs_perms_clear(special);
		xs_perms_copy(special, &perms);
		reply_ok(r);
		return 0;
	}
	path = xs_canonical(r->c, r->body);
	xs_access_init(&a, r->c, r->tx);
	err = xs_store_set_perms(&a, path, &perms);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_write(XsReq *r)
{
	g_autofree char *path = NULL;
	guint32 off;
	XsAccess a;
	int err;

	/* Extra "strings" may appear inside binary data. */
	if (count_strings(r) < 1)
		return EINVAL;
	off = (guint32)strlen(r->body) + 1;
	path = xs_canonical(r->c, r->body);
	xs_access_init(&a, r->c, r->tx);
	err = xs_store_write(&a, path, (const guint8 *)r->body + off, r->hdr->len - off);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_mkdir(XsReq *r)
{
	const char *arg = onearg(r);
	g_autofree char *path = NULL;
	XsAccess a;
	int err;

	if (!arg)
		return EINVAL;
	path = xs_canonical(r->c, arg);
	xs_access_init(&a, r->c, r->tx);
	err = xs_store_mkdir(&a, path);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_rm(XsReq *r)
{
	const char *arg = onearg(r);
	g_autofree char *path = NULL;
	XsAccess a;
	int err;

	if (!arg)
		return EINVAL;
	path = xs_canonical(r->c, arg);
	xs_access_init(&a, r->c, r->tx);
	err = xs_store_rm(&a, path);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_watch(XsReq *r)
{
	XsWatch *w;
	int err;

	if (count_strings(r) != 2)
		return EINVAL;
	err = xs_watch_add(r->c, r->body, second_string(r), &w);
	if (err)
		return err;
	xs_conn_send(r->c, XS_WATCH, r->hdr->req_id, r->hdr->tx_id, "OK", 3);
	/* We fire once up front, whatever the permissions: simplifies clients. */
	xs_watch_send_event(r->c, w, w->path);
	return XS_REPLY_SENT;
}

static int op_unwatch(XsReq *r)
{
	int err;

	if (count_strings(r) != 2)
		return EINVAL;
	err = xs_watch_remove(r->c, r->body, second_string(r));
	if (!err)
		reply_ok(r);
	return err;
}

static int op_reset_watches(XsReq *r)
{
	g_ptr_array_set_size(r->c->watches, 0);
	g_hash_table_remove_all(r->c->transactions);
	reply_ok(r);
	return 0;
}

static int op_transaction_start(XsReq *r)
{
	XsConn *c = r->c;
	char id[16];

	if (r->tx)
		return EBUSY;
	if (!c->privileged && g_hash_table_size(c->transactions) >= XS_MAX_TRANSACTIONS)
		return ENOSPC;
	do {
		c->next_tx_id++;
	} while (c->next_tx_id == 0 ||
		 g_hash_table_contains(c->transactions, GUINT_TO_POINTER(c->next_tx_id)));
	g_hash_table_insert(c->transactions, GUINT_TO_POINTER(c->next_tx_id),
			    xs_transaction_new(c->srv, c->next_tx_id));
	g_snprintf(id, sizeof(id), "%u", c->next_tx_id);
	reply_str(r, id);
	return 0;
}

static int op_transaction_end(XsReq *r)
{
	const char *arg = onearg(r);
	XsTransaction *tx = r->tx;
	int err = 0;

	if (!tx)
		return ENOENT;
	if (!arg || (strcmp(arg, "T") != 0 && strcmp(arg, "F") != 0))
		return EINVAL;
	g_hash_table_steal(r->c->transactions, GUINT_TO_POINTER(tx->id));
	if (strcmp(arg, "T") == 0)
		err = xs_transaction_commit(r->c->srv, tx);
	xs_transaction_free(tx);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_introduce(XsReq *r)
{
	const char *mfn, *port;
	guint domid;
	int err;

	if (count_strings(r) < 3)
		return EINVAL;
	mfn = second_string(r);
	port = mfn + strlen(mfn) + 1;
	if (!parse_domid(r->body, &domid) || !g_ascii_isdigit(mfn[0]) ||
	    !g_ascii_isdigit(port[0]))
		return EINVAL;
	err = xs_domain_introduce(r->c->srv, domid);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_release(XsReq *r)
{
	guint domid;
	int err;

	if (!parse_domid(onearg(r), &domid))
		return EINVAL;
	err = xs_domain_release(r->c->srv, domid);
	if (!err)
		reply_ok(r);
	return err;
}

static int op_resume(XsReq *r)
{
	guint domid;

	if (!parse_domid(onearg(r), &domid))
		return EINVAL;
	if (!xs_domain_is_introduced(r->c->srv, domid))
		return ENOENT;
	reply_ok(r);
	return 0;
}

static int op_get_domain_path(XsReq *r)
{
	g_autofree char *path = NULL;
	guint domid;

	if (!parse_domid(onearg(r), &domid))
		return EINVAL;
	path = g_strdup_printf("/local/domain/%u", domid);
	reply_str(r, path);
	return 0;
}

static int op_is_domain_introduced(XsReq *r)
{
	guint domid;

	if (!parse_domid(onearg(r), &domid))
		return EINVAL;
	reply_str(r, xs_domain_is_introduced(r->c->srv, domid) ? "T" : "F");
	return 0;
}

static const struct {
	const char *name;
	XsOpFn fn;      /* NULL: answered with ENOSYS */
	unsigned flags;
} ops[XS_TYPE_COUNT] = {
	[XS_CONTROL]              = { "CONTROL",              NULL,                    OP_PRIV },
	[XS_DIRECTORY]            = { "DIRECTORY",            op_directory,            0 },
	[XS_READ]                 = { "READ",                 op_read,                 0 },
	[XS_GET_PERMS]            = { "GET_PERMS",            op_get_perms,            0 },
	[XS_WATCH]                = { "WATCH",                op_watch,                OP_NO_TX },
	[XS_UNWATCH]              = { "UNWATCH",              op_unwatch,              OP_NO_TX },
	[XS_TRANSACTION_START]    = { "TRANSACTION_START",    op_transaction_start,    0 },
	[XS_TRANSACTION_END]      = { "TRANSACTION_END",      op_transaction_end,      0 },
	[XS_INTRODUCE]            = { "INTRODUCE",            op_introduce,            OP_PRIV },
	[XS_RELEASE]              = { "RELEASE",              op_release,              OP_PRIV },
	[XS_GET_DOMAIN_PATH]      = { "GET_DOMAIN_PATH",      op_get_domain_path,      0 },
	[XS_WRITE]                = { "WRITE",                op_write,                0 },
	[XS_MKDIR]                = { "MKDIR",                op_mkdir,                0 },
	[XS_RM]                   = { "RM",                   op_rm,                   0 },
	[XS_SET_PERMS]            = { "SET_PERMS",            op_set_perms,            0 },
	[XS_WATCH_EVENT]          = { "WATCH_EVENT",          NULL,                    0 },
	[XS_ERROR]                = { "ERROR",                NULL,                    0 },
	[XS_IS_DOMAIN_INTRODUCED] = { "IS_DOMAIN_INTRODUCED", op_is_domain_introduced, OP_PRIV },
	[XS_RESUME]               = { "RESUME",               op_resume,               OP_PRIV },
	[XS_SET_TARGET]           = { "SET_TARGET",           NULL,                    OP_PRIV },
	[XS_RESET_WATCHES]        = { "RESET_WATCHES",        op_reset_watches,        0 },
	[XS_DIRECTORY_PART]       = { "DIRECTORY_PART",       op_directory_part,       0 },
};

const char *xs_op_name(guint32 type)
{
	if (type < XS_TYPE_COUNT && ops[type].name)
		return ops[type].name;
	return "**UNKNOWN**";
}

static void send_error(XsConn *c, const struct xsd_sockmsg *hdr, int err)
{
	const char *name = "EINVAL";
	guint i;

	for (i = 0; i < G_N_ELEMENTS(xsd_errors); i++) {
		if (xsd_errors[i].errnum == err) {
			name = xsd_errors[i].errstring;
			break;
		}
	}
	xs_conn_send(c, XS_ERROR, hdr->req_id, hdr->tx_id, name, (guint32)strlen(name) + 1);
}

void xs_ops_dispatch(XsConn *c, const struct xsd_sockmsg *hdr, const char *body)
{
	g_autoptr(GByteArray) reply = g_byte_array_new();
	XsReq r = { .c = c, .hdr = hdr, .body = body, .reply = reply };
	int err;

	xs_trace_msg(c->srv, "IN", c, hdr->type, body, hdr->len);
	if (hdr->type >= XS_TYPE_COUNT || !ops[hdr->type].fn) {
		err = ENOSYS;
	} else if ((ops[hdr->type].flags & OP_PRIV) && !c->privileged) {
		err = EACCES;
	} else {
		err = 0;
		if (!(ops[hdr->type].flags & OP_NO_TX) && hdr->tx_id != 0) {
			r.tx = g_hash_table_lookup(c->transactions, GUINT_TO_POINTER(hdr->tx_id));
			if (!r.tx)
				err = ENOENT;
		}
		if (!err)
			err = ops[hdr->type].fn(&r);
	}
	if (err == XS_REPLY_SENT)
		return;
	if (!err && reply->len > XENSTORE_PAYLOAD_MAX)
		err = E2BIG;
	if (err)
		send_error(c, hdr, err);
	else
		xs_conn_send(c, hdr->type, hdr->req_id, hdr->tx_id, reply->data, reply->len);
}
