/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's control socket, for `xen9p list`: a unix stream socket (root
 * only) answering one command per connection.  The wire format is lines of
 * tab-separated fields:
 *
 *   device <dom> <dev> <tag> <state> <rings> <inflight> <requests> <bytes-in>
 *          <bytes-out> <path> <error>
 *   daemon pid=<pid> devices=<n> mapped_pages=<n> event_channels=<n> open_files=<n>
 */
#ifndef XEN9P_CONTROL_H
#define XEN9P_CONTROL_H

#include <glib.h>

struct control;

/* Writes the answer to `command` into `out`. */
typedef void (*control_handler)(const char *command, GString *out, void *ctx);

struct control *control_open(const char *path, control_handler handler, void *ctx,
                             GError **error);
int control_fd(struct control *c);
/* Serves the pending connection(s) (call when control_fd is readable). */
void control_serve(struct control *c);
void control_close(struct control *c);

#endif
