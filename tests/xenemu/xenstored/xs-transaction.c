// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Transactions, optimistic like real xenstored's: work on a snapshot taken at
 * TRANSACTION_START, remember the generation of every node looked at, and at
 * commit fail with EAGAIN if any of them changed since; otherwise replay the
 * logged changes on the live tree (watches fire then, not before).
 */
#include "config.h"

#include <errno.h>

#include "tests/xenemu/xenstored/xs-server.h"

XsTransaction *xs_transaction_new(XsServer *srv, guint32 id)
{
	XsTransaction *tx = g_new0(XsTransaction, 1);

	tx->id = id;
	tx->snapshot = xs_tree_copy(srv->tree);
	tx->accessed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	tx->log = g_ptr_array_new_with_free_func(xs_mutation_free);
	return tx;
}

void xs_transaction_free(gpointer p)
{
	XsTransaction *tx = p;

	xs_tree_free(tx->snapshot);
	g_hash_table_destroy(tx->accessed);
	g_ptr_array_unref(tx->log);
	g_free(tx);
}

void xs_transaction_access(XsTransaction *tx, const char *path)
{
	XsNode *n;
	guint64 *gen;

	if (g_hash_table_contains(tx->accessed, path))
		return;
	/* First look: the snapshot still holds the start-of-transaction state
	 * of this node, since only this transaction changes the snapshot. */
	n = xs_tree_lookup(tx->snapshot, path);
	gen = g_new(guint64, 1);
	*gen = n ? n->generation : 0;
	g_hash_table_insert(tx->accessed, g_strdup(path), gen);
}

int xs_transaction_commit(XsServer *srv, XsTransaction *tx)
{
	GHashTableIter it;
	gpointer key, value;
	guint i;

	g_hash_table_iter_init(&it, tx->accessed);
	while (g_hash_table_iter_next(&it, &key, &value)) {
		XsNode *live = xs_tree_lookup(srv->tree, key);

		if ((live ? live->generation : 0) != *(guint64 *)value)
			return EAGAIN;
	}
	for (i = 0; i < tx->log->len; i++)
		xs_store_apply(srv, srv->tree, TRUE, g_ptr_array_index(tx->log, i));
	return 0;
}
