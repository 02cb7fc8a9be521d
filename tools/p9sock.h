/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A pipelined 9P client over a stream socket (unix:PATH or tcp:A.B.C.D:PORT),
 * with the same calls as the Xen frontend (p9front.h) so that xen9p-bench
 * drives either with one loop.  One thread: replies are read only while the
 * caller waits, those for other tags are kept until asked for.
 */
#ifndef XEN9P_P9SOCK_H
#define XEN9P_P9SOCK_H

#include <stdint.h>

#include "tools/p9front.h"

struct p9sock;

/* Connects; NULL with *error set (g_free it) on failure. */
struct p9sock *p9sock_connect(const char *address, char **error);
void p9sock_close(struct p9sock *s);

/* Tversion + Tattach(fid 0, n_uname 0, aname); the negotiated msize or -errno. */
int p9sock_mount(struct p9sock *s, const char *version, uint32_t msize, const char *aname);

/* As p9front_send and p9front_wait. */
int p9sock_send(struct p9sock *s, uint8_t id, const union p9_arg *args, uint16_t *tag);
int p9sock_wait(struct p9sock *s, uint16_t tag, struct p9front_reply *reply);

/* Writes all n bytes to a blocking socket: 0 or -errno (-EPIPE at its end). */
int p9sock_write_all(int fd, const uint8_t *p, size_t n);

#endif
