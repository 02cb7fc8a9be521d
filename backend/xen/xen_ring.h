/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One data ring of a Xen 9pfs device: its mapped pages, its event channel
 * and the thread that is both its only reader (framing requests out of
 * "out") and its only writer (publishing whole replies into "in").
 */
#ifndef XEN9P_XEN_RING_H
#define XEN9P_XEN_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <glib.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xen/grant_table.h>

struct p9_reply;
struct p9_session;
struct xen_ring;

struct xen_ring_stats {
    uint64_t requests, replies;
    uint64_t bytes_in, bytes_out;
    unsigned mapped_pages;
    unsigned order;
};

/*
 * Maps ring `index` of domain `domid`: the interface page `ref`, then the
 * 2^order data pages it lists (order checked against 1..max_order), and
 * binds the frontend's event channel `port`.  On failure returns NULL,
 * *error says why (g_free), and nothing stays mapped or bound.
 */
struct xen_ring *xen_ring_map(xengnttab_handle *xgt, unsigned domid, unsigned index,
                              grant_ref_t ref, evtchn_port_t port, unsigned max_order,
                              char **error);

/*
 * The same in two steps: the pages only (the ring has no channel yet), then
 * the channel, bound anew or taken over from the descriptor of a worker that
 * handed the ring over (xen_ring_positions); false with *error (g_free).
 */
struct xen_ring *xen_ring_map_pages(xengnttab_handle *xgt, unsigned domid, unsigned index,
                                    grant_ref_t ref, unsigned max_order, char **error);
bool xen_ring_bind(struct xen_ring *r, evtchn_port_t port, char **error);
bool xen_ring_take_channel(struct xen_ring *r, int fd, evtchn_port_t local_port, char **error);

/* Bytes of one direction: the largest message this ring can carry. */
uint32_t xen_ring_capacity(const struct xen_ring *r);

/*
 * Starts the ring's thread serving `session`; it scans the ring at once.
 * A guest breaking the protocol calls fail(ctx, reason) from that thread
 * (once) and the thread stops touching the ring.
 */
void xen_ring_start(struct xen_ring *r, struct p9_session *session,
                    void (*fail)(void *ctx, const char *why), void *ctx);

/*
 * Queues a whole reply for publication (any thread); a reply written in
 * place (reply->in_place, on the ring thread) is published at once.
 */
void xen_ring_send(struct xen_ring *r, struct p9_reply *reply);
/*
 * Room in "in" for a reply of `size` bytes written in place, for the ring
 * thread while it runs a request (p9_transport_ops.reply_space): false on
 * another thread, when other replies wait to go first, or without room.
 */
bool xen_ring_reply_space(struct xen_ring *r, uint32_t size, struct iovec iov[2], int *n);
/* Makes the thread look at the ring again (the session can take requests). */
void xen_ring_kick(struct xen_ring *r);

/*
 * A hand-over to a new worker (docs/operations.md "Upgrading workers"): the
 * thread stops taking requests (they wait in "out") but goes on publishing
 * replies; settled once every reply sent to it is consumed by the guest.
 */
void xen_ring_pause(struct xen_ring *r, bool paused);
bool xen_ring_settled(struct xen_ring *r);
/* Where a stopped ring stands, for the worker that takes it over. */
struct xen_ring_position {
    unsigned order;
    uint32_t request_cons, reply_prod;  /* our private indices */
    int channel_fd;                     /* the event channel handle's descriptor */
    evtchn_port_t local_port;
};
void xen_ring_positions(const struct xen_ring *r, struct xen_ring_position *out);
/* A taken-over ring carries on from there (before xen_ring_start). */
bool xen_ring_resume_at(struct xen_ring *r, const struct xen_ring_position *at, char **error);

/* Stops the thread; the ring is not touched afterwards. */
void xen_ring_stop(struct xen_ring *r);
/* Unmaps every page, unbinds the channel, frees (after xen_ring_stop). */
void xen_ring_unmap(struct xen_ring *r);

void xen_ring_get_stats(const struct xen_ring *r, struct xen_ring_stats *out);

/*
 * One diagnostic line: both directions' shared indices, the header at each
 * consumer index, replies queued or not yet consumed.  Reads the shared page
 * without changing anything (a racy snapshot, for people and lab logs).
 */
void xen_ring_describe(struct xen_ring *r, GString *out);

#endif
