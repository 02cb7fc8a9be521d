// SPDX-License-Identifier: GPL-2.0-or-later
/* 9P2000.L operations (the Linux client's default dialect). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <linux/limits.h>

#include "backend/server/ops.h"
#include "backend/server/ops_util.h"

/* 9P2000.L open flags to the host's (they match on x86, not everywhere). */
static int host_open_flags(uint32_t dotl)
{
    static const struct { uint32_t dotl; int host; } map[] = {
        { P9_DOTL_TRUNC, O_TRUNC },         { P9_DOTL_APPEND, O_APPEND },
        { P9_DOTL_NONBLOCK, O_NONBLOCK },   { P9_DOTL_DSYNC, O_DSYNC },
        { P9_DOTL_DIRECTORY, O_DIRECTORY }, { P9_DOTL_NOATIME, O_NOATIME },
        { P9_DOTL_SYNC, O_SYNC },           { P9_DOTL_LARGEFILE, O_LARGEFILE },
    };
    int flags;
    switch (dotl & 3) {
    case P9_DOTL_WRONLY: flags = O_WRONLY; break;
    case P9_DOTL_RDWR: flags = O_RDWR; break;
    default: flags = O_RDONLY; break;
    }
    /* O_DIRECT, O_CREAT, O_EXCL, O_NOCTTY, FASYNC, CLOEXEC, NOFOLLOW: the
     * client's own business or decided by us (fsdrv adds O_NOFOLLOW). */
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
        if (dotl & map[i].dotl)
            flags |= map[i].host;
    }
    return flags;
}

/* Runs the creation step against the directory of fid `dfid`. */
struct dir_op {
    struct p9_fid *fid;
    struct fsdrv_node *dir;
    struct fsdrv_cred cred;
};

static int dir_op_begin(struct p9_request *req, uint32_t dfid, const struct p9_str *name,
                        gid_t gid, struct dir_op *op)
{
    int err;
    if (name && !req_name_valid(name, false))
        return -EINVAL;
    if ((err = req_fid(req, dfid, &op->fid)))
        return err;
    if ((err = fid_dir_node(op->fid, &op->dir))) {
        p9_fid_unref(op->fid);
        return err;
    }
    op->cred = (struct fsdrv_cred){ .uid = op->fid->uid, .gid = gid };
    return 0;
}

static void dir_op_end(struct dir_op *op)
{
    fsdrv_node_unref(op->dir);
    p9_fid_unref(op->fid);
}

int op_statfs(struct p9_request *req)
{
    struct p9_fid *fid;
    struct statfs st;
    int err;
    if ((err = req_fid(req, req->in.tstatfs.fid.d, &fid)))
        return err;
    struct fsdrv_node *node = p9_fid_node(fid);
    err = fsdrv_statfs(req_export(req), node, &st);
    fsdrv_node_unref(node);
    p9_fid_unref(fid);
    if (err)
        return err;
    struct p9_rstatfs *out = &req->out.rstatfs;
    out->type.d = st.f_type;
    out->bsize.d = st.f_bsize;
    out->blocks.q = st.f_blocks;
    out->bfree.q = st.f_bfree;
    out->bavail.q = st.f_bavail;
    out->files.q = st.f_files;
    out->ffree.q = st.f_ffree;
    out->fsid.q = (uint64_t)(uint32_t)st.f_fsid.__val[0] | (uint64_t)(uint32_t)st.f_fsid.__val[1] << 32;
    out->namelen.d = st.f_namelen;
    return 0;
}

int op_lopen(struct p9_request *req)
{
    struct p9_fid *fid;
    int err;
    if ((err = req_fid(req, req->in.tlopen.fid.d, &fid)))
        return err;
    err = open_fid(req, fid, host_open_flags(req->in.tlopen.flags.d));
    p9_fid_unref(fid);
    return err;
}

int op_lcreate(struct p9_request *req)
{
    const struct p9_str *name = &req->in.tlcreate.name.s;
    struct dir_op op;
    struct fsdrv_node *node;
    struct fsdrv_file *file;
    struct stat st;
    int err;
    if ((err = dir_op_begin(req, req->in.tlcreate.fid.d, name, req->in.tlcreate.gid.d, &op)))
        return err;
    if (op.fid->file) {
        dir_op_end(&op);
        return -EBADF;
    }
    err = checked_open(req, fsdrv_create(req_export(req), op.dir, name->s,
                                         host_open_flags(req->in.tlcreate.flags.d), req->in.tlcreate.mode.d & 07777,
                                         &op.cred, &node, &file, &st));
    if (!err) {
        /* The directory's fid now stands for the new, open file. */
        pthread_mutex_lock(&op.fid->lock);
        struct fsdrv_node *old = op.fid->node;
        op.fid->node = node;
        pthread_mutex_unlock(&op.fid->lock);
        fsdrv_node_unref(old);
        err = reply_opened(req, op.fid, file, &st);
    }
    dir_op_end(&op);
    return err;
}

/* Rmkdir, Rsymlink and Rmknod: a qid, the one field of each. */
_Static_assert(sizeof(struct p9_rmkdir) == sizeof(struct p9_rsymlink) &&
               sizeof(struct p9_rmkdir) == sizeof(struct p9_rmknod), "the qid replies differ");

static int reply_qid(struct p9_request *req, int err, const struct stat *st)
{
    if (!err)
        qid_from_stat(req_export(req), st, &req->out.rmkdir.qid.Q);
    return err;
}

int op_symlink(struct p9_request *req)
{
    const struct p9_str *target = &req->in.tsymlink.symtgt.s;
    struct dir_op op;
    struct stat st;
    int err;
    if (target->len == 0 || target->len != strlen(target->s))
        return -EINVAL;
    if ((err = dir_op_begin(req, req->in.tsymlink.fid.d, &req->in.tsymlink.name.s, req->in.tsymlink.gid.d, &op)))
        return err;
    err = fsdrv_symlink(req_export(req), op.dir, req->in.tsymlink.name.s.s, target->s, &op.cred, &st);
    dir_op_end(&op);
    return reply_qid(req, err, &st);
}

int op_mknod(struct p9_request *req)
{
    struct dir_op op;
    struct stat st;
    int err;
    if ((err = dir_op_begin(req, req->in.tmknod.dfid.d, &req->in.tmknod.name.s, req->in.tmknod.gid.d, &op)))
        return err;
    err = fsdrv_mknod(req_export(req), op.dir, req->in.tmknod.name.s.s, req->in.tmknod.mode.d,
                      makedev(req->in.tmknod.major.d, req->in.tmknod.minor.d), &op.cred, &st);
    dir_op_end(&op);
    return reply_qid(req, err, &st);
}

int op_mkdir(struct p9_request *req)
{
    struct dir_op op;
    struct stat st;
    int err;
    if ((err = dir_op_begin(req, req->in.tmkdir.dfid.d, &req->in.tmkdir.name.s, req->in.tmkdir.gid.d, &op)))
        return err;
    err = fsdrv_mkdir(req_export(req), op.dir, req->in.tmkdir.name.s.s, req->in.tmkdir.mode.d & 07777,
                      &op.cred, &st);
    dir_op_end(&op);
    return reply_qid(req, err, &st);
}

int op_link(struct p9_request *req)
{
    struct dir_op op;
    struct p9_fid *target;
    int err;
    if ((err = dir_op_begin(req, req->in.tlink.dfid.d, &req->in.tlink.name.s, 0, &op)))
        return err;
    if ((err = req_fid(req, req->in.tlink.fid.d, &target)) == 0) {
        struct fsdrv_node *node = p9_fid_node(target);
        err = fsdrv_link(req_export(req), node, op.dir, req->in.tlink.name.s.s);
        fsdrv_node_unref(node);
        p9_fid_unref(target);
    }
    dir_op_end(&op);
    return err;
}

int op_rename(struct p9_request *req)
{
    struct dir_op op;
    struct p9_fid *fid;
    int err;
    if ((err = dir_op_begin(req, req->in.trename.dfid.d, &req->in.trename.name.s, 0, &op)))
        return err;
    if ((err = req_fid(req, req->in.trename.fid.d, &fid)) == 0) {
        struct fsdrv_node *node = p9_fid_node(fid);
        if (fsdrv_node_is_root(node)) {
            err = -EBUSY;
        } else {
            /* The fids naming it share its node, which the rename moves. */
            char oldname[NAME_MAX + 1];
            struct fsdrv_node *parent = fsdrv_node_parent(node);
            fsdrv_node_name(node, oldname);
            err = !oldname[0] ? -ENOENT      /* its name was removed */
                              : fsdrv_rename(req_export(req), parent, oldname, op.dir,
                                             req->in.trename.name.s.s);
            fsdrv_node_unref(parent);
        }
        fsdrv_node_unref(node);
        p9_fid_unref(fid);
    }
    dir_op_end(&op);
    return err;
}

int op_renameat(struct p9_request *req)
{
    struct dir_op from, to;
    int err;
    if (!req_name_valid(&req->in.trenameat.oldname.s, false))
        return -EINVAL;
    if ((err = dir_op_begin(req, req->in.trenameat.olddirfid.d, NULL, 0, &from)))
        return err;
    if ((err = dir_op_begin(req, req->in.trenameat.newdirfid.d, &req->in.trenameat.newname.s, 0, &to)) == 0) {
        err = fsdrv_rename(req_export(req), from.dir, req->in.trenameat.oldname.s.s, to.dir,
                           req->in.trenameat.newname.s.s);
        dir_op_end(&to);
    }
    dir_op_end(&from);
    return err;
}

int op_unlinkat(struct p9_request *req)
{
    uint32_t flags = req->in.tunlinkat.flags.d;
    struct dir_op op;
    int err;
    if (flags & ~P9_AT_REMOVEDIR)
        return -EINVAL;
    if ((err = dir_op_begin(req, req->in.tunlinkat.dirfid.d, &req->in.tunlinkat.name.s, 0, &op)))
        return err;
    err = fsdrv_unlink(req_export(req), op.dir, req->in.tunlinkat.name.s.s,
                       (flags & P9_AT_REMOVEDIR) ? AT_REMOVEDIR : 0);
    dir_op_end(&op);
    return err;
}

int op_readlink(struct p9_request *req)
{
    struct p9_fid *fid;
    int err;
    if ((err = req_fid(req, req->in.treadlink.fid.d, &fid)))
        return err;
    struct fsdrv_node *node = p9_fid_node(fid);
    char *buf = g_malloc(PATH_MAX);
    ssize_t len = fsdrv_readlink(req_export(req), node, buf, PATH_MAX);
    fsdrv_node_unref(node);
    p9_fid_unref(fid);
    if (len < 0) {
        g_free(buf);
        return len;
    }
    req->scratch = buf;
    req->out.rreadlink.target.s = (struct p9_str){ .len = len, .s = buf };
    return 0;
}

/* lstat of the fid's node, or fstat of its open file. */
static int fid_stat(struct p9_request *req, struct p9_fid *fid, struct stat *st)
{
    struct fsdrv_file *file = NULL;
    fid_open_file(fid, &file);
    struct fsdrv_node *node = p9_fid_node(fid);
    int err = fsdrv_getattr(req_export(req), node, file, st);
    fsdrv_node_unref(node);
    return err;
}

int op_getattr(struct p9_request *req)
{
    struct p9_fid *fid;
    struct stat st;
    int err;
    if ((err = req_fid(req, req->in.tgetattr.fid.d, &fid)))
        return err;
    err = fid_stat(req, fid, &st);
    p9_fid_unref(fid);
    if (err)
        return err;
    struct p9_rgetattr *out = &req->out.rgetattr;
    out->valid.q = P9_GETATTR_BASIC;
    qid_from_stat(req_export(req), &st, &out->qid.Q);
    out->mode.d = st.st_mode;
    out->uid.d = st.st_uid;
    out->gid.d = st.st_gid;
    out->nlink.q = st.st_nlink;
    out->rdev.q = st.st_rdev;
    out->size.q = st.st_size;
    out->blksize.q = st.st_blksize;
    out->blocks.q = st.st_blocks;
    out->atime_sec.q = st.st_atim.tv_sec;
    out->atime_nsec.q = st.st_atim.tv_nsec;
    out->mtime_sec.q = st.st_mtim.tv_sec;
    out->mtime_nsec.q = st.st_mtim.tv_nsec;
    out->ctime_sec.q = st.st_ctim.tv_sec;
    out->ctime_nsec.q = st.st_ctim.tv_nsec;
    out->btime_sec.q = 0;      /* btime, gen, data_version: not in BASIC */
    out->btime_nsec.q = 0;
    out->gen.q = 0;
    out->data_version.q = 0;
    return 0;
}

int op_setattr(struct p9_request *req)
{
    static const struct { uint32_t p9; unsigned fsdrv; } map[] = {
        { P9_ATTR_MODE, FSDRV_SET_MODE },   { P9_ATTR_UID, FSDRV_SET_UID },
        { P9_ATTR_GID, FSDRV_SET_GID },     { P9_ATTR_SIZE, FSDRV_SET_SIZE },
        { P9_ATTR_ATIME, FSDRV_SET_ATIME }, { P9_ATTR_MTIME, FSDRV_SET_MTIME },
        { P9_ATTR_CTIME, FSDRV_SET_CTIME }, { P9_ATTR_ATIME_SET, FSDRV_SET_ATIME_SET },
        { P9_ATTR_MTIME_SET, FSDRV_SET_MTIME_SET },
    };
    const struct p9_tsetattr *in = &req->in.tsetattr;
    struct fsdrv_setattr sa = {
        .mode = in->mode.d & 07777,
        .uid = in->uid.d,
        .gid = in->gid.d,
        .size = (off_t)in->size.q,
        .atime = { .tv_sec = in->atime_sec.q, .tv_nsec = in->atime_nsec.q },
        .mtime = { .tv_sec = in->mtime_sec.q, .tv_nsec = in->mtime_nsec.q },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
        if (in->valid.d & map[i].p9)
            sa.valid |= map[i].fsdrv;
    }
    if (((sa.valid & FSDRV_SET_SIZE) && in->size.q > INT64_MAX) ||
        ((sa.valid & FSDRV_SET_ATIME_SET) && in->atime_nsec.q >= 1000000000) ||
        ((sa.valid & FSDRV_SET_MTIME_SET) && in->mtime_nsec.q >= 1000000000))
        return -EINVAL;
    struct p9_fid *fid;
    int err;
    if ((err = req_fid(req, in->fid.d, &fid)))
        return err;
    struct fsdrv_file *file = NULL;
    fid_open_file(fid, &file);
    struct fsdrv_node *node = p9_fid_node(fid);
    err = fsdrv_setattr(req_export(req), node, file, &sa);
    fsdrv_node_unref(node);
    p9_fid_unref(fid);
    return err;
}

int op_fsync(struct p9_request *req)
{
    struct p9_fid *fid;
    struct fsdrv_file *file;
    int err;
    if ((err = req_fid(req, req->in.tfsync.fid.d, &fid)))
        return err;
    if ((err = fid_open_file(fid, &file)) == 0)
        err = fsdrv_fsync(file, req->in.tfsync.datasync.d != 0);
    p9_fid_unref(fid);
    return err;
}

static int lock_type_to_host(uint8_t type)
{
    switch (type) {
    case P9_LOCK_TYPE_RDLCK: return F_RDLCK;
    case P9_LOCK_TYPE_WRLCK: return F_WRLCK;
    case P9_LOCK_TYPE_UNLCK: return F_UNLCK;
    default: return -1;
    }
}

/* A lock request of the open fid: Tlock and Tgetlock share the checks. */
static int lock_file(struct p9_request *req, int cmd, uint8_t type, uint64_t start,
                     uint64_t length, struct flock *fl)
{
    struct p9_fid *fid;
    struct fsdrv_file *file;
    int err;
    int host_type = lock_type_to_host(type);
    if (host_type < 0 || start > INT64_MAX || length > INT64_MAX)
        return -EINVAL;
    *fl = (struct flock){ .l_type = host_type, .l_whence = SEEK_SET,
                          .l_start = (off_t)start, .l_len = (off_t)length };
    if ((err = req_fid(req, req->in.tlock.fid.d, &fid)))
        return err;
    if ((err = fid_open_file(fid, &file)) == 0)
        err = fsdrv_lock(file, cmd, fl);
    p9_fid_unref(fid);
    return err;
}

int op_lock(struct p9_request *req)
{
    struct flock fl;
    int err = lock_file(req, F_SETLK, req->in.tlock.type.b, req->in.tlock.start.q, req->in.tlock.length.q, &fl);
    /* A conflict is an answer, not an error: the client retries when it
     * asked to block (P9_LOCK_FLAGS_BLOCK). */
    if (err == -EAGAIN || err == -EACCES)
        req->out.rlock.status.b = P9_LOCK_BLOCKED;
    else if (err == -EBADF || err == -EINVAL)
        return err;
    else
        req->out.rlock.status.b = err ? P9_LOCK_ERROR : P9_LOCK_SUCCESS;
    return 0;
}

int op_getlock(struct p9_request *req)
{
    struct flock fl;
    int err = lock_file(req, F_GETLK, req->in.tgetlock.type.b, req->in.tgetlock.start.q, req->in.tgetlock.length.q, &fl);
    if (err)
        return err;
    struct p9_rgetlock *out = &req->out.rgetlock;
    out->type.b = fl.l_type == F_RDLCK ? P9_LOCK_TYPE_RDLCK
             : fl.l_type == F_WRLCK ? P9_LOCK_TYPE_WRLCK : P9_LOCK_TYPE_UNLCK;
    out->start.q = fl.l_start;
    out->length.q = fl.l_len;
    out->proc_id.d = fl.l_type == F_UNLCK ? req->in.tgetlock.proc_id.d : (uint32_t)fl.l_pid;
    out->client_id.s = req->in.tgetlock.client_id.s;
    return 0;
}
