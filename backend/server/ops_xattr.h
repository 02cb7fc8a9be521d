/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Extended attributes through xattr fids (Txattrwalk, Txattrcreate). */
#ifndef XEN9P_OPS_XATTR_H
#define XEN9P_OPS_XATTR_H

#include "backend/server/session.h"

/* Tread on a Txattrwalk fid. */
int xattr_fid_read(struct p9_request *req, struct p9_fid *fid, uint64_t offset, uint32_t cap);
/* Twrite on a Txattrcreate fid. */
int xattr_fid_write(struct p9_request *req, struct p9_fid *fid, uint64_t offset,
                    const struct p9_data *data);
/* Tclunk of a Txattrcreate fid: sets (or removes) the attribute. */
int xattr_fid_commit(struct p9_request *req, struct p9_fid *fid);

#endif
