/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The supervisor and a worker talk over a SOCK_SEQPACKET socket pair: one
 * message per packet, a GVariant of type (sa{sv}) (a name and named fields),
 * with file descriptors riding along (SCM_RIGHTS).  The supervisor parses what
 * a worker sends as untrusted input: a worker serves a hostile guest and may
 * be compromised (docs/security.md "Supervisor and workers").
 *
 * Messages (docs/design.md "Processes"):
 *   supervisor -> worker   "serve-xen"  the device: fields and the export fd
 *                          "serve-socket" a connection: fields, export and socket fds
 *                          "take-over-xen", "take-over-socket"  the same, taken from
 *                                       a worker handing it over (an upgrade)
 *                          "stats", "rings"  questions, answered with the same name
 *                          "hand-over"  give the device to the worker at the end of
 *                                       the fd (backend/worker/handover.h); answered
 *                                       "handed-over" (then it exits) or
 *                                       "hand-over-failed" {why} (it serves on)
 *                          "stop"       finish and exit
 *   worker -> supervisor   "ready"      serving; "failed" {why} a setup or ring
 *                          failure, then it exits; answers to questions.
 */
#ifndef XEN9P_WORKER_LINK_H
#define XEN9P_WORKER_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

/* An old worker's "hand-over-failed" when the new one never took over:
 * the cause is the new worker's own "failed". */
#define LINK_HANDOVER_NOT_TAKEN "the new worker did not take over"

/* Largest packet either side sends or accepts. */
#define LINK_MAX_PACKET 65536
#define LINK_MAX_FDS 4

struct link_msg {
    char *name;
    GVariantDict fields;        /* a{sv} */
    int fds[LINK_MAX_FDS];
    unsigned nfds;
};

/* Attaches `nfds` descriptors to `mh` as SCM_RIGHTS, in `control`, which holds
 * at least CMSG_SPACE(sizeof(int) * nfds) bytes, suitably aligned. */
struct msghdr;
void link_attach_fds(struct msghdr *mh, void *control, const int *fds, unsigned nfds);

/* A socket pair for a new worker: [0] stays with the supervisor, [1] goes to the worker. */
int link_pair(int fds[2]);

/* Sends `name` with the fields of `dict` (may be NULL) and `nfds` descriptors. */
bool link_send(int sock, const char *name, GVariantDict *dict, const int *fds, unsigned nfds);
/* The same with no fields. */
bool link_send_empty(int sock, const char *name);

/*
 * Receives one message.  1: *msg filled (link_msg_clear it); 0: the peer
 * closed; -1: error or a malformed message (errno EPROTO), descriptors that
 * came with it closed.  Blocks unless the socket is non-blocking (-1, EAGAIN).
 */
int link_recv(int sock, struct link_msg *msg);
void link_msg_clear(struct link_msg *msg);

/* Whether a packet is waiting now; waits until `deadline` (monotonic µs) for one. */
bool link_readable(int sock);
bool link_wait_readable(int sock, gint64 deadline);

/* Typed field readers: false if absent or of another type. */
bool link_get_u32(struct link_msg *msg, const char *key, uint32_t *out);
bool link_get_u64(struct link_msg *msg, const char *key, uint64_t *out);
bool link_get_bool(struct link_msg *msg, const char *key, bool *out);
/* A string (g_free); NULL if absent. */
char *link_get_str(struct link_msg *msg, const char *key);
/* An array of u32 (g_free), its length in *n; NULL if absent. */
uint32_t *link_get_u32s(struct link_msg *msg, const char *key, gsize *n);

#endif
