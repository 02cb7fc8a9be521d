/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A worker handing its device or connection to a new worker (an upgrade,
 * docs/operations.md "Upgrading workers"), over a socket pair the
 * supervisor gave both, one link_msg per packet.  First, while the old one
 * still serves, what the new one needs to confine itself:
 *
 *   old -> new   "channel"     {index, port} + the ring's event channel handle (Xen)
 *                "prepare"
 *   new -> old   "prepared"    mapped, confined, the export open
 *
 * then the old worker stops taking requests, waits until none is in flight,
 * and sends the rest:
 *
 *   old -> new   "ring"        {index, order, request-cons, reply-prod} (Xen)
 *                "connection"  {input: bytes read, not yet framed} + the socket
 *                "session"     the 9P session's version, dialect, msize, fid count
 *                "fid"         one per fid: fields + node handle and open file
 *                "end"
 *   new -> old   "taken"       the new worker serves: the old one exits
 *
 * Until "taken" the old worker can take everything back and serve on.
 */
#ifndef XEN9P_HANDOVER_H
#define XEN9P_HANDOVER_H

#include <stdbool.h>

#include <glib.h>

#include "backend/common/worker_link.h"

struct p9_session;

/* How long a hand-over waits for requests in flight to finish. */
#define HANDOVER_QUIESCE_MS 5000
/* How long the old worker waits for the new one to take over. */
#define HANDOVER_TAKE_MS 30000

/* Old worker: "prepare", then waits for "prepared"; false and *why if the new one failed. */
bool handover_prepare(int sock, char **why);
/* Old worker: sends the session ("session", every "fid"); false and *why. */
bool handover_send_session(int sock, struct p9_session *s, char **why);
/* Old worker: "end", then waits for "taken": true if the new one serves. */
bool handover_finish(int sock);
/* Old worker: tells the supervisor over `link` how it went ("handed-over", or
 * "hand-over-failed" with `why`, which is logged) and frees `why`. */
void handover_report(int link, bool handed_over, char *why);

/* New worker: what the old one sent. */
struct handover_state {
    GPtrArray *channels;        /* struct link_msg, in the order sent */
    struct link_msg session;
    GPtrArray *rings;           /* struct link_msg, in the order sent */
    struct link_msg *connection;
    GPtrArray *fids;            /* struct link_msg */
};
void handover_state_init(struct handover_state *st);
/* Collects messages until `until` ("prepare", then "end"); false and *why. */
bool handover_receive(int sock, const char *until, struct handover_state *st, char **why);
/* Restores the fids into a fresh session (after confinement); false and *why. */
bool handover_restore_session(struct handover_state *st, struct p9_session *s, char **why);
void handover_state_clear(struct handover_state *st);

#endif
