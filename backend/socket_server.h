/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket transport: plain 9P over a unix or TCP (loopback) stream, one
 * session per connection, for ordinary 9P clients, the Linux kernel client
 * (trans=fd/tcp) and tests.  One I/O thread frames requests and writes
 * replies; the sessions' workers do the file system calls.
 */
#ifndef XEN9P_SOCKET_SERVER_H
#define XEN9P_SOCKET_SERVER_H

#include <stdint.h>

#include <glib.h>

struct fsdrv_export;
struct socket_server;

/* Linux's fd transport accepts messages up to 1 MiB (MAX_SOCK_BUF). */
#define SOCKET_MAX_MSIZE (1024u * 1024u)
/* Files open at once in the export, over every connection. */
#define SOCKET_MAX_OPEN_FILES 1024

/* `spec`: "unix:PATH" or "tcp:ADDRESS:PORT" (numeric address). */
struct socket_server *socket_server_new(const char *spec, struct fsdrv_export *export,
                                        GError **error);

/* Serves until `stop_fd` (an fd such as a signalfd) becomes readable. */
void socket_server_run(struct socket_server *srv, int stop_fd);

/* Closes every connection and its session, then the listener. */
void socket_server_free(struct socket_server *srv);

#endif
