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
    if ((err = req_fid(req, req->in.a[0].d, &fid)))
        return err;
    struct fsdrv_node *node = p9_fid_node(fid);
    err = fsdrv_statfs(req_export(req), node, &st);
    fsdrv_node_unref(node);
    p9_fid_unref(fid);
    if (err)
        return err;
    union p9_arg *out = req->out;
    out[0].d = st.f_type;
    out[1].d = st.f_bsize;
    out[2].q = st.f_blocks;
    out[3].q = st.f_bfree;
    out[4].q = st.f_bavail;
    out[5].q = st.f_files;
    out[6].q = st.f_ffree;
    out[7].q = (uint64_t)(uint32_t)st.f_fsid.__val[0] | (uint64_t)(uint32_t)st.f_fsid.__val[1] << 32;
    out[8].d = st.f_namelen;
    return 0;
}

int op_lopen(struct p9_request *req)
{
    struct p9_fid *fid;
    int err;
    if ((err = req_fid(req, req->in.a[0].d, &fid)))
        return err;
    err = open_fid(req, fid, host_open_flags(req->in.a[1].d));
    p9_fid_unref(fid);
    return err;
}

int op_lcreate(struct p9_request *req)
{
    const struct p9_str *name = &req->in.a[1].s;
    struct dir_op op;
    struct fsdrv_node *node;
    struct fsdrv_file *file;
    struct stat st;
    int err;
    if ((err = dir_op_begin(req, req->in.a[0].d, name, req->in.a[4].d, &op)))
        return err;
    if (op.fid->file) {
        dir_op_end(&op);
        return -EBADF;
    }
    err = checked_open(req, fsdrv_create(req_export(req), op.dir, name->s,
                                         host_open_flags(req->in.a[2].d), req->in.a[3].d & 07777,
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

static int reply_qid(struct p9_request *req, int err, const struct stat *st)
{
    if (!err)
        qid_from_stat(req_export(req), st, &req->out[0].Q);
    return err;
}

int op_symlink(struct p9_request *req)
{
    const struct p9_str *target = &req->in.a[2].s;
    struct dir_op op;
    struct stat st;
    int err;
    if (target->len == 0 || target->len != strlen(target->s))
        return -EINVAL;
    if ((err = dir_op_begin(req, req->in.a[0].d, &req->in.a[1].s, req->in.a[3].d, &op)))
        return err;
    err = fsdrv_symlink(req_export(req), op.dir, req->in.a[1].s.s, target->s, &op.cred, &st);
    dir_op_end(&op);
    return reply_qid(req, err, &st);
}

int op_mknod(struct p9_request *req)
{
    struct dir_op op;
    struct stat st;
    int err;
    if ((err = dir_op_begin(req, req->in.a[0].d, &req->in.a[1].s, req->in.a[5].d, &op)))
        return err;
    err = fsdrv_mknod(req_export(req), op.dir, req->in.a[1].s.s, req->in.a[2].d,
                      makedev(req->in.a[3].d, req->in.a[4].d), &op.cred, &st);
    dir_op_end(&op);
    return reply_qid(req, err, &st);
}

int op_mkdir(struct p9_request *req)
{
    struct dir_op op;
    struct stat st;
    int err;
    if ((err = dir_op_begin(req, req->in.a[0].d, &req->in.a[1].s, req->in.a[3].d, &op)))
        return err;
    err = fsdrv_mkdir(req_export(req), op.dir, req->in.a[1].s.s, req->in.a[2].d & 07777,
                      &op.cred, &st);
    dir_op_end(&op);
    return reply_qid(req, err, &st);
}

int op_link(struct p9_request *req)
{
    struct dir_op op;
    struct p9_fid *target;
    int err;
    if ((err = dir_op_begin(req, req->in.a[0].d, &req->in.a[2].s, 0, &op)))
        return err;
    if ((err = req_fid(req, req->in.a[1].d, &target)) == 0) {
        struct fsdrv_node *node = p9_fid_node(target);
        err = fsdrv_link(req_export(req), node, op.dir, req->in.a[2].s.s);
        fsdrv_node_unref(node);
        p9_fid_unref(target);
    }
    dir_op_end(&op);
    return err;
}

/* Renames olddir/oldname to newdir/newname and moves the fids along. */
static int rename_nodes(struct p9_request *req, const struct fsdrv_node *olddir,
                        const char *oldname, const struct fsdrv_node *newdir,
                        const char *newname)
{
    int err = fsdrv_rename(req_export(req), olddir, oldname, newdir, newname);
    if (!err)
        rebase_after_rename(req, olddir, oldname, newdir, newname);
    return err;
}

int op_rename(struct p9_request *req)
{
    struct dir_op op;
    struct p9_fid *fid;
    int err;
    if ((err = dir_op_begin(req, req->in.a[1].d, &req->in.a[2].s, 0, &op)))
        return err;
    if ((err = req_fid(req, req->in.a[0].d, &fid)) == 0) {
        struct fsdrv_node *node = p9_fid_node(fid);
        if (fsdrv_node_is_root(node)) {
            err = -EBUSY;
        } else {
            struct fsdrv_node *parent = fsdrv_node_parent(node);
            err = rename_nodes(req, parent, fsdrv_node_name(node), op.dir, req->in.a[2].s.s);
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
    if (!req_name_valid(&req->in.a[1].s, false))
        return -EINVAL;
    if ((err = dir_op_begin(req, req->in.a[0].d, NULL, 0, &from)))
        return err;
    if ((err = dir_op_begin(req, req->in.a[2].d, &req->in.a[3].s, 0, &to)) == 0) {
        err = rename_nodes(req, from.dir, req->in.a[1].s.s, to.dir, req->in.a[3].s.s);
        dir_op_end(&to);
    }
    dir_op_end(&from);
    return err;
}

int op_unlinkat(struct p9_request *req)
{
    uint32_t flags = req->in.a[2].d;
    struct dir_op op;
    int err;
    if (flags & ~P9_AT_REMOVEDIR)
        return -EINVAL;
    if ((err = dir_op_begin(req, req->in.a[0].d, &req->in.a[1].s, 0, &op)))
        return err;
    err = fsdrv_unlink(req_export(req), op.dir, req->in.a[1].s.s,
                       (flags & P9_AT_REMOVEDIR) ? AT_REMOVEDIR : 0);
    dir_op_end(&op);
    return err;
}

int op_readlink(struct p9_request *req)
{
    struct p9_fid *fid;
    int err;
    if ((err = req_fid(req, req->in.a[0].d, &fid)))
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
    req->out[0].s = (struct p9_str){ .len = len, .s = buf };
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
    if ((err = req_fid(req, req->in.a[0].d, &fid)))
        return err;
    err = fid_stat(req, fid, &st);
    p9_fid_unref(fid);
    if (err)
        return err;
    union p9_arg *out = req->out;
    out[0].q = P9_GETATTR_BASIC;
    qid_from_stat(req_export(req), &st, &out[1].Q);
    out[2].d = st.st_mode;
    out[3].d = st.st_uid;
    out[4].d = st.st_gid;
    out[5].q = st.st_nlink;
    out[6].q = st.st_rdev;
    out[7].q = st.st_size;
    out[8].q = st.st_blksize;
    out[9].q = st.st_blocks;
    out[10].q = st.st_atim.tv_sec;
    out[11].q = st.st_atim.tv_nsec;
    out[12].q = st.st_mtim.tv_sec;
    out[13].q = st.st_mtim.tv_nsec;
    out[14].q = st.st_ctim.tv_sec;
    out[15].q = st.st_ctim.tv_nsec;
    out[16].q = 0;      /* btime, gen, data_version: not in BASIC */
    out[17].q = 0;
    out[18].q = 0;
    out[19].q = 0;
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
    const union p9_arg *in = req->in.a;
    struct fsdrv_setattr sa = {
        .mode = in[2].d & 07777,
        .uid = in[3].d,
        .gid = in[4].d,
        .size = (off_t)in[5].q,
        .atime = { .tv_sec = in[6].q, .tv_nsec = in[7].q },
        .mtime = { .tv_sec = in[8].q, .tv_nsec = in[9].q },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(map); i++) {
        if (in[1].d & map[i].p9)
            sa.valid |= map[i].fsdrv;
    }
    if (((sa.valid & FSDRV_SET_SIZE) && in[5].q > INT64_MAX) ||
        ((sa.valid & FSDRV_SET_ATIME_SET) && in[7].q >= 1000000000) ||
        ((sa.valid & FSDRV_SET_MTIME_SET) && in[9].q >= 1000000000))
        return -EINVAL;
    struct p9_fid *fid;
    int err;
    if ((err = req_fid(req, in[0].d, &fid)))
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
    if ((err = req_fid(req, req->in.a[0].d, &fid)))
        return err;
    if ((err = fid_open_file(fid, &file)) == 0)
        err = fsdrv_fsync(file, req->in.a[1].d != 0);
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
    if ((err = req_fid(req, req->in.a[0].d, &fid)))
        return err;
    if ((err = fid_open_file(fid, &file)) == 0)
        err = fsdrv_lock(file, cmd, fl);
    p9_fid_unref(fid);
    return err;
}

int op_lock(struct p9_request *req)
{
    struct flock fl;
    int err = lock_file(req, F_SETLK, req->in.a[1].b, req->in.a[3].q, req->in.a[4].q, &fl);
    /* A conflict is an answer, not an error: the client retries when it
     * asked to block (P9_LOCK_FLAGS_BLOCK). */
    if (err == -EAGAIN || err == -EACCES)
        req->out[0].b = P9_LOCK_BLOCKED;
    else if (err == -EBADF || err == -EINVAL)
        return err;
    else
        req->out[0].b = err ? P9_LOCK_ERROR : P9_LOCK_SUCCESS;
    return 0;
}

int op_getlock(struct p9_request *req)
{
    struct flock fl;
    int err = lock_file(req, F_GETLK, req->in.a[1].b, req->in.a[2].q, req->in.a[3].q, &fl);
    if (err)
        return err;
    union p9_arg *out = req->out;
    out[0].b = fl.l_type == F_RDLCK ? P9_LOCK_TYPE_RDLCK
             : fl.l_type == F_WRLCK ? P9_LOCK_TYPE_WRLCK : P9_LOCK_TYPE_UNLCK;
    out[1].q = fl.l_start;
    out[2].q = fl.l_len;
    out[3].d = fl.l_type == F_UNLCK ? req->in.a[4].d : (uint32_t)fl.l_pid;
    out[4].s = req->in.a[5].s;
    return 0;
}
