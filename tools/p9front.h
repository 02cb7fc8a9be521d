/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A 9pfs frontend in user space, behaving like Linux's net/9p/trans_xen.c
 * (or, with one small ring and 9P2000.u, like Mini-OS's 9pfront): it shares
 * its ring pages with xengntshr, binds event channels, runs the xenbus
 * handshake of docs/xen-transport.md B.2 and speaks 9P over the rings with
 * the server's own codec.  It drives xen9pd in tests (against the emulated
 * Xen) and in xen9p-bench.
 *
 * Like Linux, it takes the lowest free tag, sends a request on ring
 * tag % nrings, publishes each
 * request whole, reads a reply's header and then its full size, and counts
 * what Linux would complain about: replies for unknown tags ("Wrong req
 * tag") and replies published in pieces.
 */
#ifndef XEN9P_P9FRONT_H
#define XEN9P_P9FRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "backend/proto/p9_client.h"
#include "ring/ring.h"

struct p9front;

struct p9front_options {
    unsigned nrings;            /* Linux: 2; Mini-OS: 1 */
    unsigned max_order;         /* largest ring order we take (Linux: 9) */
    unsigned timeout_ms;        /* for every wait (handshake, replies) */
    /* Hostile frontends (tests): */
    int force_ring_order;       /* >= 0: write this into intf->ring_order */
    bool bad_ring_ref;          /* publish a grant ref that does not exist */
    /* A guest that stops half-way (tests): rings shared and keys written,
     * but the state stays Initialising, so the backend waits in InitWait. */
    bool stay_initialising;
};

/* Linux's behaviour: 2 rings, order up to 9, 10 s timeout. */
void p9front_linux_options(struct p9front_options *o);
/* Mini-OS's: 1 ring of order 4 (it uses 9P2000.u). */
void p9front_minios_options(struct p9front_options *o);

/*
 * Connects to the 9pfs device whose frontend directory is `devdir` (e.g.
 * "device/9pfs/0", relative to our domain's xenstore home): waits for the
 * backend's InitWait, sets the rings up, goes Initialised, then Connected.
 */
int p9front_connect(const char *devdir, const struct p9front_options *o,
                    struct p9front **out, char **error);

/* Closes as a frontend does (Closing, wait for the backend, Closed) and frees. */
void p9front_close(struct p9front *fs);
/* Frees everything without telling the backend (a guest that just dies). */
void p9front_abandon(struct p9front *fs);
/* As Linux when the driver is unbound (rmmod): straight to Closed, no Closing. */
void p9front_unbind(struct p9front *fs);

/* Tversion + Tattach(fid 0, n_uname 0); returns the negotiated msize or -errno. */
int p9front_mount(struct p9front *fs, const char *version, uint32_t msize);
uint32_t p9front_msize(const struct p9front *fs);
unsigned p9front_dialect(const struct p9front *fs);

/* A reply: the parsed body points into `buf`, which the caller frees (g_free). */
struct p9front_reply {
    struct p9c_reply r;
    uint8_t *buf;
    uint32_t size;
};

/* Sends one request (tag chosen here) and waits for its reply: 0 or -errno
 * (the transport's own errors; a 9P error is reply->r.error). */
int p9front_rpc(struct p9front *fs, uint8_t id, const union p9_arg *args,
                struct p9front_reply *reply);

/* The same in two halves, for many requests in flight. */
int p9front_send(struct p9front *fs, uint8_t id, const union p9_arg *args, uint16_t *tag);
int p9front_wait(struct p9front *fs, uint16_t tag, struct p9front_reply *reply);
/* True if the reply for `tag` arrived (p9front_wait will not block). */
bool p9front_ready(struct p9front *fs, uint16_t tag);
/* Tflush(oldtag): waits for Rflush; the old tag is forgotten afterwards. */
int p9front_flush(struct p9front *fs, uint16_t oldtag);
/* The same with the Tflush on a tag of ring `ring`; *flush_tag is its tag. */
int p9front_flush_on_ring(struct p9front *fs, uint16_t oldtag, unsigned ring,
                          uint16_t *flush_tag);

struct p9front_stats {
    uint64_t wrong_tag;         /* replies for no outstanding request */
    uint64_t split_replies;     /* a header visible before its whole message */
    uint64_t after_flush;       /* replies for a tag after its Rflush */
    uint64_t wrong_ring;        /* replies on another ring than their request's (B.5) */
    bool broken;                /* a ring broke (or the backend closed) */
};
void p9front_get_stats(struct p9front *fs, struct p9front_stats *out);

/*
 * Test hooks, for tests of the backend's ordering and robustness:
 *  - pause_receiver: replies stay unconsumed in ring `ring` (in_cons does not
 *    move) until resumed;
 *  - send_on_ring: p9front_send on a tag of ring `ring` (tag % nrings);
 *  - send_in_two: p9front_send, but the request appears in two out_prod
 *    moves: first_bytes, then (pause_ms later) the rest.
 */
void p9front_pause_receiver(struct p9front *fs, unsigned ring, bool paused);
int p9front_send_on_ring(struct p9front *fs, unsigned ring, uint8_t id,
                         const union p9_arg *args, uint16_t *tag);
int p9front_send_in_two(struct p9front *fs, uint8_t id, const union p9_arg *args,
                        uint32_t first_bytes, unsigned pause_ms, uint16_t *tag);

/* Raw access for hostile tests: ring i's interface page, request writer, channel. */
struct xen_9pfs_data_intf *p9front_intf(struct p9front *fs, unsigned ring);
struct ring_writer *p9front_request_writer(struct p9front *fs, unsigned ring);
void p9front_notify(struct p9front *fs, unsigned ring);
unsigned p9front_nrings(const struct p9front *fs);

#endif
