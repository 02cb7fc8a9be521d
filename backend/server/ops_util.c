// SPDX-License-Identifier: GPL-2.0-or-later
/* Helpers shared by the request handlers. */
#include "config.h"

#include "backend/server/ops_util.h"

#include <errno.h>
#include <string.h>

bool req_name_valid(const struct p9_str *name, bool allow_dotdot)
{
    return name->len == strlen(name->s) && fsdrv_name_valid(name->s, allow_dotdot);
}

/* One walk step; "." stays where it is (diod's clients walk it). */
int walk_name(struct fsdrv_export *exp, struct fsdrv_node *node, const char *name,
              struct fsdrv_node **next, struct stat *st)
{
    if (strcmp(name, ".") != 0)
        return fsdrv_walk(exp, node, name, next, st);
    int err = fsdrv_getattr(exp, node, NULL, st);
    if (!err && !S_ISDIR(st->st_mode))
        err = -ENOTDIR;
    if (!err)
        *next = fsdrv_node_ref(node);
    return err;
}

int req_fid(struct p9_request *req, uint32_t num, struct p9_fid **out)
{
    *out = p9_session_fid(req->session, num);
    return *out ? 0 : -EBADF;
}

int req_node_fid(struct p9_request *req, uint32_t num, struct p9_fid **out)
{
    int err = req_fid(req, num, out);
    if (!err && (*out)->kind != FID_FILE) {
        p9_fid_unref(*out);
        err = -EBADF;
    }
    return err;
}

int fid_open_file(struct p9_fid *fid, struct fsdrv_file **out)
{
    pthread_mutex_lock(&fid->lock);
    *out = fid->kind == FID_FILE ? fid->file : NULL;
    pthread_mutex_unlock(&fid->lock);
    return *out ? 0 : -EBADF;
}

void qid_from_stat(struct fsdrv_export *exp, const struct stat *st, struct p9_qid *qid)
{
    if (S_ISDIR(st->st_mode))
        qid->type = P9_QTDIR;
    else if (S_ISLNK(st->st_mode))
        qid->type = P9_QTSYMLINK;
    else
        qid->type = P9_QTFILE;
    qid->version = fsdrv_file_version(st);
    qid->path = fsdrv_file_id(exp, st->st_dev, st->st_ino);
}

uint32_t req_iounit(struct p9_request *req)
{
    uint32_t msize = p9_session_msize(req->session);
    uint32_t unit = msize - P9_IOHDR_SIZE;
    /* Whole 4 KiB blocks, as QEMU does, so large I/O stays aligned. */
    return unit >= 4096 ? unit & ~4095u : unit;
}

uint32_t req_payload_cap(struct p9_request *req, uint32_t wanted)
{
    uint32_t cap = p9_session_msize(req->session) - P9_HDR_SIZE - 4;
    return wanted < cap ? wanted : cap;
}

int checked_open(struct p9_request *req, int err)
{
    if (err == -EMFILE)
        p9_session_limit_hit(req->session, "max-open-files");
    return err;
}

/* Ropen, Rcreate, Rlopen and Rlcreate are the same fields: one reply fills them. */
_Static_assert(sizeof(struct p9_ropen) == sizeof(struct p9_rlopen) &&
               sizeof(struct p9_ropen) == sizeof(struct p9_rcreate) &&
               sizeof(struct p9_ropen) == sizeof(struct p9_rlcreate),
               "the open replies differ");

int reply_opened(struct p9_request *req, struct p9_fid *fid, struct fsdrv_file *file,
                 const struct stat *st)
{
    /* Before the fid's lock: it takes the session's, which comes first. */
    uint32_t iounit = req_iounit(req);
    pthread_mutex_lock(&fid->lock);
    if (fid->file || fid->kind != FID_FILE) {
        pthread_mutex_unlock(&fid->lock);
        fsdrv_close(file);
        return -EBADF;
    }
    fid->file = file;
    atomic_store(&fid->local_file, fsdrv_file_is_local(file));
    fid->iounit = iounit;
    pthread_mutex_unlock(&fid->lock);
    qid_from_stat(req_export(req), st, &req->out.ropen.qid.Q);
    req->out.ropen.iounit.d = fid->iounit;
    return 0;
}

int open_fid(struct p9_request *req, struct p9_fid *fid, int flags)
{
    struct fsdrv_export *exp = req_export(req);
    struct fsdrv_file *file;
    struct stat st;
    if (fid->kind != FID_FILE || fid->file)
        return -EBADF;
    struct fsdrv_node *node = p9_fid_node(fid);
    int err = checked_open(req, fsdrv_open(exp, node, flags, &req->cancel, &file));
    if (!err) {
        err = fsdrv_getattr(exp, node, file, &st);
        if (err)
            fsdrv_close(file);
        else
            err = reply_opened(req, fid, file, &st);
    }
    fsdrv_node_unref(node);
    return err;
}

int fid_dir_node(struct p9_fid *fid, struct fsdrv_node **out)
{
    if (fid->kind != FID_FILE)
        return -EBADF;
    *out = p9_fid_node(fid);
    return 0;
}
