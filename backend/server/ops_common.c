// SPDX-License-Identifier: GPL-2.0-or-later
/* The messages every dialect shares: version, attach, walk, read, write, clunk, remove. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/server/ops.h"
#include "backend/server/ops_dir.h"
#include "backend/server/ops_util.h"
#include "backend/server/ops_xattr.h"

/* "9P2000.L" and any "9P2000.L.*"; "9P2000.u"; "9P2000" and "9P2000.<other>". */
static unsigned dialect_of(const char *version, const char **name)
{
    static const struct { const char *prefix; unsigned dialect; } known[] = {
        { "9P2000.L", P9_2000_L }, { "9P2000.u", P9_2000_U }, { "9P2000", P9_2000 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(known); i++) {
        size_t n = strlen(known[i].prefix);
        if (strncmp(version, known[i].prefix, n) == 0 && (version[n] == '\0' || version[n] == '.')) {
            *name = known[i].prefix;
            return known[i].dialect;
        }
    }
    *name = "unknown";
    return P9_DIALECT_NONE;
}

int op_version(struct p9_request *req)
{
    struct p9_session *s = req->session;
    uint32_t msize = req->in.tversion.msize.d;
    const char *name;
    unsigned dialect = dialect_of(req->in.tversion.version.s.s, &name);

    req->dialect = dialect;     /* an error is answered in the dialect asked for */
    if (msize < P9_MIN_MSIZE)
        return -EMSGSIZE;
    /* Tversion starts a new session: every fid of the old one goes. */
    p9_session_clear_fids(s);
    pthread_mutex_lock(&s->lock);
    s->dialect = dialect;
    s->msize = msize < s->cfg.max_msize ? msize : s->cfg.max_msize;
    req->out.rversion.msize.d = s->msize;
    pthread_mutex_unlock(&s->lock);
    req->out.rversion.version.s = p9_str_of(name);
    return 0;
}

int op_auth(struct p9_request *req)
{
    /* No authentication: the transport is the trust boundary (Xen grants).
     * ENOENT is how 9P2000.L servers say "not required" (diod's clients
     * then attach without an afid). */
    return -ENOENT;
}

static uid_t attach_uid(struct p9_request *req)
{
    if (req->dialect & (P9_2000_U | P9_2000_L)) {
        uint32_t n_uname = req->in.tattach.n_uname.d;
        if (n_uname != P9_NONUNAME)
            return n_uname;
    }
    /* 9P2000 names users by string; numeric names are taken as ids. */
    const char *uname = req->in.tattach.uname.s.s;
    char *end;
    unsigned long v = strtoul(uname, &end, 10);
    return (*uname && !*end && v < P9_NONUNAME) ? (uid_t)v : 0;
}

int op_attach(struct p9_request *req)
{
    uint32_t fidnum = req->in.tattach.fid.d, afid = req->in.tattach.afid.d;
    struct fsdrv_export *exp = req_export(req);
    struct stat st;

    if (afid != P9_NOFID)
        return -EINVAL;
    /* The attach name is ignored: every aname attaches to the export root. */
    struct fsdrv_node *root = fsdrv_root(exp);
    int err = fsdrv_getattr(exp, root, NULL, &st);
    if (err) {
        fsdrv_node_unref(root);
        return err;
    }
    struct p9_fid *fid = p9_fid_new(fidnum, attach_uid(req), root);
    err = p9_session_add_fid(req, fid);
    p9_fid_unref(fid);
    if (err)
        return err;
    qid_from_stat(exp, &st, &req->out.rattach.qid.Q);
    return 0;
}

/* Twalk rules: at most 16 names, each one component (no '/', not empty),
 * ".." at the root stays there; a partial walk answers the qids it made
 * and creates no fid; zero names clones; newfid may equal fid. */
int op_walk(struct p9_request *req)
{
    uint32_t fidnum = req->in.twalk.fid.d, newfid = req->in.twalk.newfid.d;
    uint16_t n = req->in.twalk.wnames.T.n;
    const struct p9_str *names = req->in.twalk.wnames.T.v;
    struct fsdrv_export *exp = req_export(req);
    struct p9_fid *fid;
    int err;

    for (unsigned i = 0; i < n; i++) {
        if (strcmp(names[i].s, ".") != 0 && !req_name_valid(&names[i], true))
            return -EINVAL;
    }
    if ((err = req_node_fid(req, fidnum, &fid)))
        return err;
    struct fsdrv_node *node = p9_fid_node(fid);
    unsigned done;
    for (done = 0; done < n; done++) {
        struct fsdrv_node *next;
        struct stat st;
        err = walk_name(exp, node, names[done].s, &next, &st);
        if (err)
            break;
        qid_from_stat(exp, &st, &req->in.qids[done]);
        fsdrv_node_unref(node);
        node = next;
    }
    if (done == 0 && n > 0) {
        fsdrv_node_unref(node);
        p9_fid_unref(fid);
        return err;
    }
    req->out.rwalk.wqids.R.n = done;
    req->out.rwalk.wqids.R.v = req->in.qids;
    if (done < n) {
        fsdrv_node_unref(node);         /* partial: no fid */
        p9_fid_unref(fid);
        return 0;
    }
    if (newfid == fidnum) {
        struct p9_session *s = req->session;
        pthread_mutex_lock(&s->lock);
        err = atomic_load(&req->cancel.requested) ? -EINTR : 0;
        if (!err) {
            pthread_mutex_lock(&fid->lock);
            struct fsdrv_node *old = fid->node;
            fid->node = node;
            node = old;
            pthread_mutex_unlock(&fid->lock);
            req->committed = true;
        }
        pthread_mutex_unlock(&s->lock);
        fsdrv_node_unref(node);
    } else {
        struct p9_fid *nf = p9_fid_new(newfid, fid->uid, node);
        err = p9_session_add_fid(req, nf);
        p9_fid_unref(nf);
    }
    p9_fid_unref(fid);
    return err;
}

/*
 * A read on the transport's thread: straight into the transport's space when
 * it has room (Xen: the ring), else into a buffer; P9_TO_WORKER when the data
 * is not in memory.
 */
static int read_without_waiting(struct p9_request *req, struct fsdrv_file *file,
                                uint64_t offset, uint32_t cap)
{
    struct iovec place[2];
    int pieces;
    if (!p9_reply_payload_in_place(req, cap, place, &pieces)) {
        place[0] = (struct iovec){ p9_reply_payload(req, cap), cap };
        pieces = 1;
    }
    ssize_t got = fsdrv_try_preadv(file, place, pieces, (off_t)offset);
    if (got == -EAGAIN) {
        /* The worker reads into a buffer of its own. */
        req->place_n = 0;
        g_free(req->data);
        req->data = NULL;
        return P9_TO_WORKER;
    }
    if (got < 0)
        return (int)got;
    req->out.rread.data.D = (struct p9_data){ .count = got, .ptr = NULL };
    return 0;
}

int op_read(struct p9_request *req)
{
    uint64_t offset = req->in.tread.offset.q;
    uint32_t cap = req_payload_cap(req, req->in.tread.count.d);
    struct p9_fid *fid;
    int err;

    if ((err = req_fid(req, req->in.tread.fid.d, &fid)))
        return err;
    if (fid->kind == FID_XATTR_READ) {
        err = xattr_fid_read(req, fid, offset, cap);
    } else if (fid->kind != FID_FILE) {
        err = -EBADF;
    } else {
        struct fsdrv_file *file;
        if ((err = fid_open_file(fid, &file)) == 0) {
            if (fsdrv_file_is_dir(file)) {
                err = req->dialect == P9_2000_L ? -EISDIR
                    : req->on_transport ? P9_TO_WORKER      /* a directory read may wait */
                    : dir_read_stats(req, fid, offset, cap);
            } else if (offset > INT64_MAX) {
                err = -EINVAL;
            } else if (req->on_transport) {
                err = read_without_waiting(req, file, offset, cap);
            } else {
                /* A worker thread: the transport's space is its own thread's. */
                ssize_t got = fsdrv_pread(file, p9_reply_payload(req, cap), cap, offset,
                                          &req->cancel);
                if (got < 0)
                    err = got;
                else
                    req->out.rread.data.D = (struct p9_data){ .count = got, .ptr = NULL };
            }
        }
    }
    p9_fid_unref(fid);
    return err;
}

/*
 * A write on the transport's thread, from the transport's space or the
 * request; P9_TO_WORKER when it would wait, with what was written so far in
 * req->write_done (the worker writes the rest).
 */
static int write_without_waiting(struct p9_request *req, struct fsdrv_file *file,
                                 uint64_t offset)
{
    const struct p9_data *data = &req->in.twrite.data.D;
    struct iovec one = { (void *)data->ptr, data->count };
    const struct iovec *iov = req->write_pieces ? req->write_data : &one;
    ssize_t put = fsdrv_try_pwritev(file, iov, req->write_pieces ? req->write_pieces : 1,
                                    (off_t)offset);
    if (put == -EAGAIN || (put >= 0 && (uint32_t)put < data->count)) {
        req->write_done = put > 0 ? (uint32_t)put : 0;
        return P9_TO_WORKER;
    }
    if (put < 0)
        return (int)put;
    req->out.rwrite.count.d = (uint32_t)put;
    return 0;
}

int op_write(struct p9_request *req)
{
    uint64_t offset = req->in.twrite.offset.q;
    const struct p9_data *data = &req->in.twrite.data.D;
    struct p9_fid *fid;
    int err;

    if ((err = req_fid(req, req->in.twrite.fid.d, &fid)))
        return err;
    /* Data still in the transport goes straight to an open file; anything
     * else takes it out first. */
    if (req->write_pieces && (fid->kind != FID_FILE || !fid->file))
        p9_request_take_data(req);
    if (fid->kind == FID_XATTR_WRITE) {
        err = xattr_fid_write(req, fid, offset, data);
    } else if (fid->kind != FID_FILE) {
        err = -EBADF;
    } else {
        struct fsdrv_file *file;
        if ((err = fid_open_file(fid, &file)) == 0) {
            if (offset > INT64_MAX) {
                err = -EINVAL;
            } else if (req->on_transport) {
                err = write_without_waiting(req, file, offset);
            } else {
                /* A worker thread: the data came out of the transport with the
                 * request (p9_request_take_data); what the transport's thread
                 * wrote first, then the rest. */
                uint32_t done = req->write_done;
                ssize_t put = fsdrv_pwrite(file, data->ptr + done, data->count - done,
                                           offset + done, &req->cancel);
                if (put < 0 && !done)
                    err = put;
                else
                    req->out.rwrite.count.d = done + (put > 0 ? put : 0);
            }
        }
    }
    p9_fid_unref(fid);
    return err;
}

int op_clunk(struct p9_request *req)
{
    struct p9_fid *fid = p9_session_take_fid(req->session, req->in.tclunk.fid.d);
    int err = 0;
    if (!fid)
        return -EBADF;
    if (fid->kind == FID_XATTR_WRITE) {
        err = xattr_fid_commit(req, fid);
    } else if (fid->remove_on_clunk) {
        struct fsdrv_node *node = p9_fid_node(fid);
        err = fsdrv_remove(req_export(req), node);
        fsdrv_node_unref(node);
    }
    p9_fid_unref(fid);
    return err;
}

int op_remove(struct p9_request *req)
{
    /* The fid is clunked whether or not the remove succeeds (9P manual). */
    struct p9_fid *fid = p9_session_take_fid(req->session, req->in.tremove.fid.d);
    if (!fid)
        return -EBADF;
    struct fsdrv_node *node = p9_fid_node(fid);
    int err = fsdrv_remove(req_export(req), node);
    fsdrv_node_unref(node);
    p9_fid_unref(fid);
    return err;
}
