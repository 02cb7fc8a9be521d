/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small helpers the request handlers share. */
#ifndef XEN9P_OPS_UTIL_H
#define XEN9P_OPS_UTIL_H

#include "backend/server/session.h"

static inline struct fsdrv_export *req_export(struct p9_request *req)
{
    return req->session->cfg.export;
}

/* A name a client may create or look up: one component, no NUL inside. */
bool req_name_valid(const struct p9_str *name, bool allow_dotdot);

/* One walk step as fsdrv_walk, but "." stays where it is (diod's clients
 * walk it, and 9P2000.u directory listings name it). */
int walk_name(struct fsdrv_export *exp, struct fsdrv_node *node, const char *name,
              struct fsdrv_node **next, struct stat *st);

/* The fid, referenced, or -EBADF. */
int req_fid(struct p9_request *req, uint32_t num, struct p9_fid **out);
/* The same for a fid that names a file (not an xattr fid). */
int req_node_fid(struct p9_request *req, uint32_t num, struct p9_fid **out);

/* The fid's open file, or -EBADF when it was never opened. */
int fid_open_file(struct p9_fid *fid, struct fsdrv_file **out);

void qid_from_stat(struct fsdrv_export *exp, const struct stat *st, struct p9_qid *qid);

/* Largest Tread/Twrite payload per message. */
uint32_t req_iounit(struct p9_request *req);

/* Largest payload of a reply with a count[4] header. */
uint32_t req_payload_cap(struct p9_request *req, uint32_t wanted);

/* Makes `fid` an open fid of `file` and replies qid + iounit from `st`. */
/* The result of an open or create: a guest at its open-file limit is logged. */
int checked_open(struct p9_request *req, int err);
int reply_opened(struct p9_request *req, struct p9_fid *fid, struct fsdrv_file *file,
                 const struct stat *st);

/* Opens the fid's node (host O_* flags) and makes the fid its open file;
 * the reply is qid + iounit. */
int open_fid(struct p9_request *req, struct p9_fid *fid, int flags);

/* The node of a fid that must be a directory (for creation ops). */
int fid_dir_node(struct p9_fid *fid, struct fsdrv_node **out);

#endif
