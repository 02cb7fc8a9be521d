/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket transport: plain 9P over a unix or TCP (loopback) stream, for
 * ordinary 9P clients, the Linux kernel client (trans=fd/tcp) and tests.  The
 * listener lives in the supervisor; every accepted connection is served by a
 * worker process of its own, confined like a Xen device's (worker_socket.c),
 * so the socket tests exercise the sandbox too.
 */
#ifndef XEN9P_SOCKET_SERVER_H
#define XEN9P_SOCKET_SERVER_H

#include <stdint.h>

#include <glib.h>

#include "backend/supervisor/worker_proc.h"
#include "fsdrv/fsdrv.h"

struct socket_server;

/* Files open at once in the export, per connection, unless --max-open-files
 * says otherwise: Linux's cache=loose keeps a file open per cached inode. */
#define SOCKET_MAX_OPEN_FILES 4096

/* `spec`: "unix:PATH" or "tcp:ADDRESS:PORT" (numeric address). */
struct socket_server *socket_server_new(const char *spec, const char *export_dir,
                                        const struct fsdrv_config *cfg,
                                        const struct worker_options *workers, GError **error);

struct control;
/* Serves until `stop_fd` (an fd such as a signalfd) becomes readable, and
 * answers `control` (may be NULL) with socket_server_command. */
void socket_server_run(struct socket_server *srv, int stop_fd, struct control *control);
/* The control socket's commands in socket mode: "list", "upgrade [LABEL]"
 * (docs/operations.md), a control_handler. */
void socket_server_command(const char *command, GString *out, void *srv);

/* Stops every connection's worker, then the listener; handing over (a
 * restart, daemon_stop_hands_over), leaves both to the next daemon. */
void socket_server_free(struct socket_server *srv, bool hand_over);

#endif
