/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The request handlers, one per row of the message table (p9_table.c). */
#ifndef XEN9P_OPS_H
#define XEN9P_OPS_H

#include <stdint.h>

#include "backend/proto/p9_proto.h"

struct p9_request;

/* Returns 0 (reply body in req->out) or a negative errno (error reply), or
 * P9_TO_WORKER: begun on the transport's thread, it would have to wait; a
 * worker thread runs it again (session.c to_worker). */
typedef int (*p9_handler)(struct p9_request *req);
#define P9_TO_WORKER 1

/* The handler of request message `id`, NULL for Tflush (the session's own)
 * and for ids that are no request (dispatch.c). */
p9_handler p9_handler_of(uint8_t id);

/* every dialect (ops_common.c) */
int op_version(struct p9_request *req);
int op_auth(struct p9_request *req);
int op_attach(struct p9_request *req);
int op_walk(struct p9_request *req);
int op_read(struct p9_request *req);
int op_write(struct p9_request *req);
int op_clunk(struct p9_request *req);
int op_remove(struct p9_request *req);

/* 9P2000.L (ops_dotl.c, ops_xattr.c) */
int op_statfs(struct p9_request *req);
int op_lopen(struct p9_request *req);
int op_lcreate(struct p9_request *req);
int op_symlink(struct p9_request *req);
int op_mknod(struct p9_request *req);
int op_rename(struct p9_request *req);
int op_readlink(struct p9_request *req);
int op_getattr(struct p9_request *req);
int op_setattr(struct p9_request *req);
int op_readdir(struct p9_request *req);
int op_fsync(struct p9_request *req);
int op_lock(struct p9_request *req);
int op_getlock(struct p9_request *req);
int op_link(struct p9_request *req);
int op_mkdir(struct p9_request *req);
int op_renameat(struct p9_request *req);
int op_unlinkat(struct p9_request *req);
int op_xattrwalk(struct p9_request *req);
int op_xattrcreate(struct p9_request *req);

/* 9P2000 and 9P2000.u (ops_dotu.c) */
int op_open(struct p9_request *req);
int op_create(struct p9_request *req);
int op_stat(struct p9_request *req);
int op_wstat(struct p9_request *req);

#endif
