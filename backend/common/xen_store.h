/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small conveniences over libxenstore for the device manager (main thread only). */
#ifndef XEN9P_XEN_STORE_H
#define XEN9P_XEN_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include <xenstore.h>

/* The node's value (g_free), or NULL if it does not exist. */
char *xstore_read(struct xs_handle *xs, const char *path);
/* An unsigned decimal node; false if missing or not a clean number <= max. */
bool xstore_read_uint(struct xs_handle *xs, const char *path, unsigned long max,
                      unsigned long *out);
/* Writes `value` and gives it the permissions [owner none, reader read]. */
bool xstore_write_owned(struct xs_handle *xs, xs_transaction_t t, const char *path,
                        const char *value, unsigned owner, unsigned reader);
/* The same for the node dir/key. */
bool xstore_write_child(struct xs_handle *xs, xs_transaction_t t, const char *dir,
                        const char *key, const char *value, unsigned owner, unsigned reader);
/* Makes the directory `path` with the permissions [owner none, reader read]. */
bool xstore_mkdir_owned(struct xs_handle *xs, xs_transaction_t t, const char *path,
                        unsigned owner, unsigned reader);
/* Removes `path`, then its parent if that became empty (as libxl does). */
void xstore_rm_tidy(struct xs_handle *xs, xs_transaction_t t, const char *path);

/* One more than the largest numeric child of either directory (0 if none):
 * a device id free in both the frontend and the backend directory. */
unsigned long xstore_next_index(struct xs_handle *xs, const char *dir_a, const char *dir_b);

/*
 * Runs `body` inside a transaction and commits; when the commit fails with
 * EAGAIN (another writer came between), runs it again in a new one, up to
 * 16 times.  `body` returns false to abort (nothing it wrote stays): then,
 * and when the commit fails otherwise, false with errno as it was.
 */
typedef bool (*xstore_body)(struct xs_handle *xs, xs_transaction_t t, void *ctx);
bool xstore_transact(struct xs_handle *xs, xstore_body body, void *ctx);

/* As libxl starts removing a device: the backend's online=0, and its state
 * Closing unless it is Closed already (`bedir`: the backend directory). */
bool xstore_begin_close(struct xs_handle *xs, xs_transaction_t t, const char *bedir);
/* The same in a transaction of its own. */
bool xstore_close_device(struct xs_handle *xs, const char *bedir);

/* The node's children (g_strfreev), or NULL. */
char **xstore_directory(struct xs_handle *xs, const char *path);

#endif
