// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Txattrwalk and Txattrcreate: an xattr is read or written through a fid,
 * the value travelling in Tread/Twrite; a Txattrcreate fid sets the value
 * when it is clunked (the Linux client's protocol, as QEMU implements it).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/xattr.h>
#include <linux/limits.h>

#include "backend/server/ops.h"
#include "backend/server/ops_util.h"
#include "backend/server/ops_xattr.h"

/* Reads an attribute value (name != "") or the name list, retrying if it grows. */
static ssize_t read_xattr(struct fsdrv_export *exp, const struct fsdrv_node *node,
                          const char *name, uint8_t **out)
{
    for (int attempt = 0; attempt < 8; attempt++) {
        ssize_t size = *name ? fsdrv_getxattr(exp, node, name, NULL, 0)
                             : fsdrv_listxattr(exp, node, NULL, 0);
        if (size < 0)
            return size;
        uint8_t *buf = g_malloc(size ? size : 1);
        ssize_t got = *name ? fsdrv_getxattr(exp, node, name, buf, size)
                            : fsdrv_listxattr(exp, node, (char *)buf, size);
        if (got >= 0) {
            *out = buf;
            return got;
        }
        g_free(buf);
        if (got != -ERANGE)
            return got;
    }
    return -EAGAIN;
}

int op_xattrwalk(struct p9_request *req)
{
    uint32_t fidnum = req->in.txattrwalk.fid.d, newfid = req->in.txattrwalk.newfid.d;
    const struct p9_str *name = &req->in.txattrwalk.name.s;
    struct p9_fid *fid;
    int err;

    /* newfid == fid would turn a node fid into a value reader: refused. */
    if (name->len != strlen(name->s) || newfid == fidnum)
        return -EINVAL;
    if ((err = req_node_fid(req, fidnum, &fid)))
        return err;
    struct fsdrv_node *node = p9_fid_node(fid);
    uint8_t *value = NULL;
    ssize_t size = read_xattr(req_export(req), node, name->s, &value);
    if (size < 0) {
        fsdrv_node_unref(node);
        p9_fid_unref(fid);
        return size;
    }
    struct p9_fid *xf = p9_fid_new(newfid, fid->uid, node);
    xf->kind = FID_XATTR_READ;
    xf->xattr_buf = value;
    xf->xattr_size = size;
    p9_fid_unref(fid);
    err = p9_session_add_fid(req, xf);
    p9_fid_unref(xf);
    if (err)
        return err;
    req->out.rxattrwalk.size.q = size;
    return 0;
}

int op_xattrcreate(struct p9_request *req)
{
    const struct p9_str *name = &req->in.txattrcreate.name.s;
    uint64_t size = req->in.txattrcreate.attr_size.q;
    uint32_t flags = req->in.txattrcreate.flags.d;
    struct p9_fid *fid;
    int err;

    if (name->len == 0 || name->len != strlen(name->s))
        return -EINVAL;
    if (size > XATTR_SIZE_MAX)
        return -E2BIG;
    if (flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
        return -EINVAL;
    if (fsdrv_export_config(req_export(req))->readonly)
        return -EROFS;
    if ((err = req_fid(req, req->in.txattrcreate.fid.d, &fid)))
        return err;
    pthread_mutex_lock(&fid->lock);
    if (fid->kind != FID_FILE || fid->file)
        err = -EBADF;
    else    /* a name fsdrv would refuse at the clunk is refused now, holding nothing */
        err = fsdrv_xattr_check(req_export(req), fid->node, name->s, true);
    if (!err && (err = p9_fid_charge(req->session, fid, size)) == 0) {
        /* The fid itself becomes the attribute's writer; its buffer is charged
         * to the session's budget, so fids cannot pin dom0's memory. */
        fid->kind = FID_XATTR_WRITE;
        fid->xattr_name = g_strdup(name->s);
        fid->xattr_buf = g_malloc0(size ? size : 1);
        fid->xattr_size = size;
        fid->xattr_filled = 0;
        fid->xattr_flags = flags;
    }
    pthread_mutex_unlock(&fid->lock);
    p9_fid_unref(fid);
    return err;
}

int xattr_fid_read(struct p9_request *req, struct p9_fid *fid, uint64_t offset, uint32_t cap)
{
    /* Before the fid's lock: the payload takes the session's, which comes first. */
    uint8_t *buf = p9_reply_payload(req, cap);
    pthread_mutex_lock(&fid->lock);
    uint64_t size = fid->xattr_size;
    uint32_t n = offset >= size ? 0 : (uint32_t)MIN((uint64_t)cap, size - offset);
    if (n)
        memcpy(buf, fid->xattr_buf + offset, n);
    pthread_mutex_unlock(&fid->lock);
    req->out.rread.data.D = (struct p9_data){ .count = n, .ptr = NULL };
    return 0;
}

int xattr_fid_write(struct p9_request *req, struct p9_fid *fid, uint64_t offset,
                    const struct p9_data *data)
{
    int err = 0;
    pthread_mutex_lock(&fid->lock);
    if (offset > fid->xattr_size || data->count > fid->xattr_size - offset) {
        err = -ENOSPC;
    } else {
        memcpy(fid->xattr_buf + offset, data->ptr, data->count);
        if (offset + data->count > fid->xattr_filled)
            fid->xattr_filled = offset + data->count;
        req->out.rwrite.count.d = data->count;
    }
    pthread_mutex_unlock(&fid->lock);
    return err;
}

int xattr_fid_commit(struct p9_request *req, struct p9_fid *fid)
{
    struct fsdrv_export *exp = req_export(req);
    if (fid->xattr_filled != fid->xattr_size)
        return -EINVAL;
    /* Linux removes an attribute with an empty XATTR_REPLACE create. */
    if (fid->xattr_size == 0 && (fid->xattr_flags & XATTR_REPLACE))
        return fsdrv_removexattr(exp, fid->node, fid->xattr_name);
    return fsdrv_setxattr(exp, fid->node, fid->xattr_name, fid->xattr_buf, fid->xattr_size,
                          fid->xattr_flags);
}
