/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The 9P server as its transports see it: a session per connection or per
 * Xen device.  The transport hands in whole request messages and sends the
 * whole replies the session gives back; it knows nothing of 9P beyond the
 * 7-byte header.  Requests run on the session's workers and complete in any
 * order; Tflush is handled as docs/design.md "Tflush and cancelled requests" says.
 */
#ifndef XEN9P_SERVER_H
#define XEN9P_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <glib.h>

struct fsdrv_export;
struct p9_session;

/* A reply ready to go out, as the transport sees it. */
struct p9_reply {
    uint8_t *buf;               /* whole message, header included (NULL: in_place) */
    uint32_t size;
    uint32_t origin;            /* the transport's tag for where the request came from */
    bool in_place;              /* written into the space reply_space gave: only publish it */
    struct p9_reply *next;      /* free for the transport's own queue */
};

struct p9_transport_ops {
    /*
     * Send `reply` whole, on `reply->origin`.  Called from any thread, must
     * not block.  Once the peer has the reply (socket: written; Xen ring:
     * consumed by the guest), the transport calls p9_session_reply_done().
     */
    void (*send)(void *ctx, struct p9_reply *reply);
    /* The session can take requests again after refusing (see can_accept). */
    void (*wake)(void *ctx);
    /*
     * Optional: space for a reply of up to `size` bytes on `origin`, to be
     * written in place and then sent (in_place) by the calling thread before
     * it does anything else, so that a read lands straight in the transport
     * (Xen: the ring's data pages, docs/design.md "Concurrency").  Fills
     * iov[0..*n) (two pieces across a ring's wrap) and returns true; false
     * when there is no room now or the calling thread cannot write there.
     */
    bool (*reply_space)(void *ctx, uint32_t origin, uint32_t size, struct iovec iov[2], int *n);
};

struct p9_session_config {
    struct fsdrv_export *export;    /* not owned */
    uint32_t max_msize;             /* the transport's largest message */
    const char *label;              /* "3/0" or "conn 2": logs and traces */
    unsigned max_workers;           /* threads running requests, 0: default */
    /* More threads while some wait for a FIFO (design.md "Concurrency"):
     * 0: default, < 0: none (a waiting thread counts as running). */
    int max_waiting_workers;
    unsigned max_requests;          /* requests in flight, 0: default */
    uint64_t max_buffered;          /* bytes of requests and replies held, 0: default */
    unsigned max_fids;              /* 0: default */
    uint64_t max_held;              /* bytes fids may hold (names, xattr values), 0: default */
    /* Every request on a worker thread, none on the transport's (session.c
     * runs_here_locked): for tests of what happens while one runs there. */
    bool workers_only;
};

struct p9_session_stats {
    uint64_t requests;              /* handled since start */
    uint64_t inflight;
    uint64_t buffered;              /* bytes of requests and replies held */
    uint64_t fids;
    uint64_t held;                  /* bytes held by fids (see max_held) */
    uint32_t msize;
};

struct p9_session *p9_session_new(const struct p9_session_config *cfg,
                                  const struct p9_transport_ops *ops, void *ctx);

/*
 * Takes ownership of `msg` (malloc'd, `size` bytes, 7 <= size <= the
 * negotiated msize or max_msize before Tversion, checked by the transport).
 */
void p9_session_submit(struct p9_session *s, uint8_t *msg, uint32_t size, uint32_t origin);

/*
 * For a transport that can leave a message's tail where it is for a while
 * (Xen: in the request ring): how many of the first bytes of a message of
 * type `id` and `size` bytes to copy out for p9_session_submit_split, or 0
 * to copy it whole for p9_session_submit.  Large Twrites are split before
 * their data.
 */
uint32_t p9_session_split_size(uint8_t id, uint32_t size);
/*
 * Submits a message whose first p9_session_split_size() bytes are in
 * `head` (malloc'd, owned) and whose other bytes are still in the
 * transport, in rest[0..pieces): valid until this returns.  Run here, a
 * write goes straight from there; handed to a worker thread, the data is
 * copied along first.
 */
void p9_session_submit_split(struct p9_session *s, uint8_t *head, uint32_t size,
                             uint32_t origin, const struct iovec rest[2], int pieces);

/* The largest message the peer may send now (msize once negotiated). */
uint32_t p9_session_msize(struct p9_session *s);

/*
 * Whether the next message, of 9P type `id`, may be submitted now: false
 * while the session holds max_requests or max_buffered (stop reading).  A
 * Tflush has some headroom beyond the limit, so blocked requests can
 * still be flushed.
 */
bool p9_session_can_accept(struct p9_session *s, uint8_t id);

/* The transport delivered `reply` (see p9_transport_ops.send). */
void p9_session_reply_done(struct p9_session *s, struct p9_reply *reply);

void p9_session_get_stats(struct p9_session *s, struct p9_session_stats *out);

/*
 * Ends the session: no more calls to the transport after this returns,
 * queued requests are dropped, running ones are cancelled; the session
 * frees itself (closing its fids) when the last worker returns.  Replies
 * given to the transport and not yet reply_done are abandoned: the
 * transport frees nothing of them, the session does.
 */
void p9_session_close(struct p9_session *s);


/* ---- handing a session to another process (handover.c) ---- */

/* Bumped when a field of the saved state changes meaning (docs/operations.md). */
#define P9_SESSION_STATE_VERSION 1

/* No request between its arrival and its reply's delivery. */
bool p9_session_idle(struct p9_session *s);
/* Version, dialect, msize and the number of fids, into `out` (idle session). */
void p9_session_save_header(struct p9_session *s, GVariantDict *out);
/* Called with each fid's fields and descriptors (the saver's to send, not keep). */
typedef bool (*p9_fid_saver)(void *ctx, GVariantDict *fields, const int *fds, unsigned nfds);
bool p9_session_save_fids(struct p9_session *s, p9_fid_saver save, void *ctx);
/* A fresh session takes what another saved; false and *why (g_free) if it cannot. */
bool p9_session_restore_header(struct p9_session *s, GVariantDict *in, uint32_t *nfids,
                               char **why);
/* Takes the descriptors it uses (their slots set to -1); the caller closes the rest. */
bool p9_session_restore_fid(struct p9_session *s, GVariantDict *in, int *fds, unsigned nfds,
                            char **why);

/* Waits until every closed session's workers returned; false on timeout. */
bool p9_server_wait_idle(unsigned seconds);

#endif
