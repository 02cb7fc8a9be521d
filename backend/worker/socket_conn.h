/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One 9P connection over a stream socket: framing requests out of what the
 * peer sends, one session, replies written back in completion order.  Driven
 * by its owner's poll loop (a worker serving that connection).
 */
#ifndef XEN9P_SOCKET_CONN_H
#define XEN9P_SOCKET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend/common/wakeup.h"

struct fsdrv_export;
struct p9_session;
struct socket_conn;

/* Linux's fd transport accepts messages up to 1 MiB (MAX_SOCK_BUF). */
#define SOCKET_MAX_MSIZE (1024u * 1024u)

/* A connection on `fd` (non-blocking) serving `export`; `wake` is signalled
 * when replies are queued or the session can take requests again. */
struct socket_conn *socket_conn_new(int fd, struct fsdrv_export *export, const char *label,
                                    struct wakeup *wake);
/* The poll events it waits for now (0: none, until `wake`). */
short socket_conn_events(struct socket_conn *c);
/* Reads, frames and writes what it can; false with *why when it is finished. */
bool socket_conn_service(struct socket_conn *c, short revents, const char **why);
/*
 * A hand-over to a new worker (handover.h): paused, it reads and frames no
 * more requests but goes on writing replies; settled once nothing is in
 * flight and every reply is written.  What it read and did not frame yet
 * goes along (pending), and the new one takes it first (take_input).
 */
void socket_conn_pause(struct socket_conn *c, bool paused);
bool socket_conn_settled(struct socket_conn *c);
const uint8_t *socket_conn_pending(struct socket_conn *c, uint32_t *len);
bool socket_conn_take_input(struct socket_conn *c, const uint8_t *bytes, size_t len);
struct p9_session *socket_conn_session(struct socket_conn *c);
int socket_conn_fd(struct socket_conn *c);
/* Frees it, leaving the socket open (it went to a new worker). */
void socket_conn_forget(struct socket_conn *c);

/* Ends the session and closes the socket. */
void socket_conn_free(struct socket_conn *c);

#endif
