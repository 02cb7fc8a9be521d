/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Session internals shared by the session, the workers and the operations. */
#ifndef XEN9P_SESSION_H
#define XEN9P_SESSION_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "backend/proto/p9_codec.h"
#include "backend/proto/p9_table.h"
#include "backend/server/server.h"
#include "fsdrv/fsdrv.h"

enum p9_request_state {
    REQ_QUEUED,         /* waiting for a worker */
    REQ_RUNNING,        /* a worker runs its handler */
    REQ_REPLYING,       /* reply handed to the transport, not yet delivered */
    REQ_FLUSH_WAIT,     /* a Tflush waiting for its target's reply to be delivered */
    REQ_CANCELLED,      /* flushed while queued: the worker drops it */
    REQ_ABANDONED,      /* flushed while running a pure call: result discarded */
};

struct p9_request {
    struct p9_session *session;
    const struct p9_op *op;         /* NULL: unknown message */
    uint16_t tag;
    uint8_t id;
    unsigned dialect;               /* the session's when it arrived (Tversion: its own) */
    enum p9_request_state state;    /* under session->lock */
    int decode_error;               /* a P9_CODEC_* error, answered with EINVAL */
    uint8_t *msg;                   /* the request, owned; strings decoded in place */
    uint32_t msg_size;
    uint64_t buffered;              /* bytes counted against the session's limit */
    struct p9_args in;              /* decoded request body */
    union p9_reply_args out;        /* reply body the handler fills (out.rwalk.wqids) */
    uint8_t *data;                  /* reply buffer when the handler wrote a payload */
    struct iovec write_data[2];     /* a Twrite's data still in the transport (submit_split) */
    int write_pieces;               /* 0: none (the data is in msg) */
    struct iovec place[2];          /* the transport's space the reply is written into */
    int place_n;                    /* pieces of it; 0: none */
    void *scratch;                  /* handler storage the reply points into */
    struct p9_reply reply;
    struct fsdrv_cancel cancel;
    /* A pure request that made its one change (a new or moved fid): a flush
     * can no longer abandon it, its reply must go out.  Under session->lock. */
    bool committed;
    /* Run by the transport's thread, which must not wait (session.c runs_here_locked). */
    bool on_transport;
    uint32_t write_done;            /* a Twrite's bytes written there before it went on */
    struct p9_request *next;        /* worker queue, or a target's list of waiting Tflushes */
    struct p9_request *all_prev, *all_next; /* every live request of the session */
    struct p9_request *flushes;     /* Tflush requests waiting on this one */
};

enum p9_fid_kind {
    FID_FILE,           /* a node, maybe opened */
    FID_XATTR_READ,     /* Txattrwalk: reads return the value or the name list */
    FID_XATTR_WRITE,    /* Txattrcreate: writes fill the value, clunk sets it */
};

struct p9_fid {
    atomic_int refs;
    uint32_t num;
    struct p9_session *session;     /* whose `held` carries `charged` (it outlives its fids) */
    uint64_t charged;               /* bytes of `held` this fid accounts for */
    uid_t uid;                      /* the attaching user */
    pthread_mutex_t lock;           /* node swaps on rename, open state, xattr and dir buffers */
    struct fsdrv_node *node;
    struct fsdrv_file *file;        /* set once opened */
    atomic_bool local_file;         /* file is set and fsdrv_file_is_local: read without the lock */
    enum p9_fid_kind kind;
    bool remove_on_clunk;           /* 9P2000 ORCLOSE */
    uint32_t iounit;
    /* xattr fids */
    char *xattr_name;
    uint8_t *xattr_buf;
    uint64_t xattr_size;
    uint64_t xattr_filled;
    int xattr_flags;
    /* 9P2000(.u) directory reads: stat records, byte offsets */
    uint64_t dir_byte_offset;       /* offset the next Tread must ask for */
    uint64_t dir_cookie;            /* fsdrv_readdir position */
};

/*
 * The fids of a session, sharded by number so that looking one up (every
 * request does) takes a lock no other request on another fid needs.
 */
#define P9_FID_SHARDS 16
struct p9_fid_table {
    struct {
        pthread_mutex_t lock;
        GHashTable *fids;           /* fid number -> struct p9_fid (a reference) */
    } shard[P9_FID_SHARDS];
    atomic_uint count;
};

struct p9_session {
    atomic_int refs;                /* the transport's + one per live request */
    pthread_mutex_t lock;
    struct p9_session_config cfg;
    char *label;
    const struct p9_transport_ops *ops;
    void *ctx;
    bool closed;
    unsigned dialect;               /* P9_DIALECT_NONE until Tversion */
    uint32_t msize;
    GHashTable *tags;               /* tag -> struct p9_request */
    struct p9_fid_table fids;       /* fid number -> struct p9_fid */
    atomic_uint_fast64_t held;      /* bytes the fids hold, at most cfg.max_held */
    struct p9_request *all;         /* every live request (freed at close) */
    unsigned inflight;
    uint64_t buffered;
    bool refused;                   /* can_accept() said no; wake the transport later */
    _Atomic int64_t limit_logged;   /* when p9_session_limit_hit last logged (µs) */
    uint64_t handled;
    /* worker pool */
    pthread_cond_t work_ready;
    struct p9_request *queue_head, *queue_tail;
    unsigned queued;                /* requests on the queue */
    unsigned workers, idle_workers;
    unsigned waiting_workers;       /* in a wait for a FIFO peer or data (fsdrv_wait) */
};

/* ---- fids (fid.c) ---- */
void p9_fid_table_init(struct p9_fid_table *t);
void p9_fid_table_destroy(struct p9_fid_table *t);
/* Whether fid `num` is a file open on a local file system (session.c runs_here_locked). */
bool p9_session_fid_is_local(struct p9_session *s, uint32_t num);
/* Whether clunking fid `num` only forgets it: no open file, xattr or ORCLOSE. */
bool p9_session_fid_holds_nothing(struct p9_session *s, uint32_t num);
struct p9_fid *p9_fid_new(uint32_t num, uid_t uid, struct fsdrv_node *node);
struct p9_fid *p9_fid_ref(struct p9_fid *fid);
void p9_fid_unref(struct p9_fid *fid);
/* The fid's current node, referenced (a 9P2000.u Tcreate swaps it). */
struct fsdrv_node *p9_fid_node(struct p9_fid *fid);
/* NULL if unknown. */
struct p9_fid *p9_session_fid(struct p9_session *s, uint32_t num);
/* -EBADF (in use) or -EINTR (the request was flushed meanwhile); takes a ref on success.
 * Takes the session's lock (a flush's), then the shard's. */
int p9_session_add_fid(struct p9_request *req, struct p9_fid *fid);
/*
 * Charges `bytes` more to the fid's session's memory budget: -ENOMEM (and
 * nothing charged) when it would pass cfg.max_held.  Released when the fid
 * is freed.  Under the fid's lock or before the fid is shared.
 */
int p9_fid_charge(struct p9_session *s, struct p9_fid *fid, uint64_t bytes);
/* Puts it in the table as it is (a handed-over fid): -EBADF if the number is in use. */
int p9_session_put_fid(struct p9_session *s, struct p9_fid *fid);
/* Removes it from the table and returns the table's reference, or NULL. */
struct p9_fid *p9_session_take_fid(struct p9_session *s, uint32_t num);
/* Drops every fid (Tversion, session end). */
void p9_session_clear_fids(struct p9_session *s);

/*
 * A guest's request failed because it reached one of its limits (`what`):
 * says so in the log, at most once a minute per session, so an administrator
 * learns which setting to raise and a guest cannot flood the log.
 */
void p9_session_limit_hit(struct p9_session *s, const char *what);

/* A Twrite's data still in the transport (write_pieces), copied behind its head now. */
void p9_request_take_data(struct p9_request *req);

/* ---- replies from handlers ---- */
/* A payload area of `cap` bytes inside the reply (Rread, Rreaddir). */
uint8_t *p9_reply_payload(struct p9_request *req, uint32_t cap);
/*
 * The same in the transport's own space, when it offers some now
 * (p9_transport_ops.reply_space): the pieces of the payload area in
 * payload[0..*n), true; else false (use p9_reply_payload).  The handler
 * fills them and returns with out.rread.data's ptr NULL, on this thread.
 */
bool p9_reply_payload_in_place(struct p9_request *req, uint32_t cap, struct iovec payload[2],
                               int *n);

/* ---- workers (workers.c) ---- */
void p9_workers_enqueue(struct p9_session *s, struct p9_request *req);
/* fsdrv's on_wait: a worker starts or stops waiting (ctx: the session). */
void p9_workers_waiting(void *ctx, bool waiting);

/* ---- session internals (session.c) ---- */
void p9_session_run(struct p9_request *req);
void p9_session_unref(struct p9_session *s);
void p9_request_free(struct p9_request *req);
/* Forgets a request that sends nothing more and frees it; session lock held. */
void p9_request_retire_locked(struct p9_session *s, struct p9_request *req);

#endif
