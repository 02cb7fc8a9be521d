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

/* The node's children (g_strfreev), or NULL. */
char **xstore_directory(struct xs_handle *xs, const char *path);

#endif
