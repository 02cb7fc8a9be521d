/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An in-process transport for the 9P server tests: a session over a fresh
 * temporary export, requests built with p9_client.h, replies captured into
 * a queue (with a condvar) instead of a ring or socket.  The test decides
 * when a reply counts as delivered (p9_session_reply_done), which is what
 * the Tflush ordering rules hang on.
 */
#ifndef XEN9P_TESTS_SERVER_HARNESS_H
#define XEN9P_TESTS_SERVER_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <glib.h>

#include "backend/proto/p9_client.h"
#include "backend/server/server.h"
#include "fsdrv/fsdrv.h"

struct h_options {
    uint32_t max_msize;         /* 0: 65536 */
    unsigned max_workers;       /* 0: the session's default */
    int max_waiting_workers;    /* 0: the session's default, -1: none */
    unsigned max_requests;
    unsigned max_fids;          /* 0: the session's default */
    uint64_t max_held;          /* 0: the session's default */
    bool readonly;
    enum fsdrv_model model;     /* default: none */
    /* The export's opt-ins and quotas (struct fsdrv_config), default off. */
    bool allow_acl, allow_setid, allow_devices;
    uint64_t max_files, max_space;
    bool auto_delete;
    bool workers_only;          /* no request on the submitting thread (races with a flush) */
    uint64_t max_node_bytes;    /* the export's inode store (0: fsdrv's default) */
};

/* A reply the transport got, copied and decoded (the session's buffer is not kept). */
struct h_reply {
    uint8_t *msg;
    uint32_t size;
    uint32_t origin;
    struct p9c_reply r;         /* decoded in `msg` with the harness's dialect */
    int parse_error;
};

struct harness {
    struct h_options opt;
    char *top;                  /* /tmp/server-tests-unit-XXXXXX */
    char *root;                 /* top/export: what the session serves */
    int rootfd;                 /* the test's own view of the export */
    struct fsdrv_export *exp;
    struct p9_session *session;
    unsigned dialect;           /* used to build requests and parse replies */
    uint16_t next_tag;
    /* the transport */
    GMutex lock;
    GCond cond;
    GQueue sent;                /* struct p9_reply *, not yet taken by the test */
    unsigned wakes;
    GThread *transport_thread;  /* the one that made the harness: it submits */
    unsigned sent_by_workers;   /* replies sent by another thread (a worker) */
};

/* Starts a session on a fresh export; NULL options: the defaults. */
struct harness *h_new(const struct h_options *opt);
/* Checks nothing is left unanswered, closes the session, removes the export. */
void h_free(struct harness *h);
/* The session and the export closed and opened again on the same directory,
 * as a new worker would (what is in flight is dropped). */
void h_reopen(struct harness *h);

/* ---- raw traffic ---- */

/* Builds request `id` with tag `tag` in h->dialect and submits it on `origin`. */
void h_submit(struct harness *h, uint8_t id, uint16_t tag, const union p9_arg *a,
              uint32_t origin);
/* Submits bytes as they are (size taken from `len`, the header is not checked). */
void h_submit_bytes(struct harness *h, const void *msg, uint32_t len, uint32_t origin);
/*
 * The next reply sent (any tag), waiting up to `ms`; NULL on timeout.  The
 * reply is not yet delivered: pass it to h_deliver() (or h_take()).
 */
struct p9_reply *h_next_sent(struct harness *h, unsigned ms);
/* Like h_next_sent(), only for `tag`; other replies stay queued. */
struct p9_reply *h_sent_for_tag(struct harness *h, uint16_t tag, unsigned ms);
/* Replies sent and not yet taken. */
unsigned h_pending(struct harness *h);
/* Copies and decodes a sent reply, then tells the session it was delivered. */
struct h_reply *h_deliver(struct harness *h, struct p9_reply *sent);
/* Copies and decodes, without delivering (the test calls reply_done later). */
struct h_reply *h_copy(struct harness *h, const struct p9_reply *sent);
void h_reply_free(struct h_reply *r);
/* The tag of a sent reply. */
uint16_t h_tag_of(const struct p9_reply *sent);
uint8_t h_id_of(const struct p9_reply *sent);

/* ---- request / reply ---- */

/* A fresh tag (never P9_NOTAG, never one in use by rpc helpers). */
uint16_t h_tag(struct harness *h);
/* Sends, waits (5 s) for its reply, delivers it. Asserts a reply came. */
struct h_reply *h_rpc(struct harness *h, uint8_t id, const union p9_arg *a);
/* h_rpc expecting success (the reply id is id + 1). */
struct h_reply *h_ok(struct harness *h, uint8_t id, const union p9_arg *a);
/* h_rpc expecting an error reply: returns its errno. */
int h_err(struct harness *h, uint8_t id, const union p9_arg *a);

/* ---- common requests (each asserts success unless it returns an errno) ---- */

/* Tversion; sets h->dialect from the reply.  Returns the reply. */
struct h_reply *h_version(struct harness *h, uint32_t msize, const char *version);
/* Tversion "9P2000.L" (or .u / 9P2000) msize 65536 + Tattach of `fid`. */
void h_start(struct harness *h, const char *version, uint32_t fid);
/* Tattach; returns 0 or the errno. */
int h_attach(struct harness *h, uint32_t fid, const char *uname, const char *aname,
             uint32_t n_uname, struct p9_qid *qid);
/* Twalk along "a/b/c" ("" clones); returns the number of qids or -errno. */
int h_walk(struct harness *h, uint32_t fid, uint32_t newfid, const char *path,
           struct p9_qid *qids);
int h_clunk(struct harness *h, uint32_t fid);
/* Tlopen; returns 0 or the errno; iounit when not NULL. */
int h_lopen(struct harness *h, uint32_t fid, uint32_t flags, struct p9_qid *qid);
/* Tgetattr (all basic fields); asserts success.  Body fields as in p9_table.c. */
struct h_reply *h_getattr(struct harness *h, uint32_t fid);
/* Treads `count` at `offset` into `buf`; returns bytes or -errno. */
long h_read(struct harness *h, uint32_t fid, uint64_t offset, uint32_t count, void *buf);
long h_write(struct harness *h, uint32_t fid, uint64_t offset, const void *buf, uint32_t count);

/* ---- the export, seen by the test ---- */

char *h_path(struct harness *h, const char *rel);
void h_put_file(struct harness *h, const char *rel, const void *data, size_t len);
void h_mkdir(struct harness *h, const char *rel);
/* Contents of a file (NUL-terminated, length in *len when not NULL). */
char *h_get_file(struct harness *h, const char *rel, size_t *len);
/* lstat beneath the export: 0 or -errno. */
int h_lstat(struct harness *h, const char *rel, struct stat *st);
bool h_exists(struct harness *h, const char *rel);

/* Waits until `cond(h, arg)` holds, polling, up to `ms`. */
bool h_wait_until(struct harness *h, bool (*cond)(struct harness *h, void *arg), void *arg,
                  unsigned ms);

/* Common setup for every test program: g_test_init + p9_server_init. */
void h_init(int *argc, char ***argv);

#endif
