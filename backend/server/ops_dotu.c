// SPDX-License-Identifier: GPL-2.0-or-later
/* 9P2000 and 9P2000.u operations (Mini-OS, the Xenstore stubdom, version=9p2000.u). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "backend/server/ops.h"
#include "backend/server/ops_dir.h"
#include "backend/server/ops_util.h"

static int host_flags_of_omode(uint8_t mode)
{
    int flags;
    switch (mode & 3) {
    case P9_OWRITE: flags = O_WRONLY; break;
    case P9_ORDWR: flags = O_RDWR; break;
    default: flags = O_RDONLY; break;     /* OREAD, OEXEC */
    }
    if (mode & P9_OTRUNC)
        flags |= O_TRUNC;
    return flags;
}

static mode_t host_perm_of(uint32_t perm)
{
    mode_t mode = perm & 0777;
    if (perm & P9_DMSETUID)
        mode |= S_ISUID;
    if (perm & P9_DMSETGID)
        mode |= S_ISGID;
    if (perm & P9_DMSETVTX)
        mode |= S_ISVTX;
    return mode;
}

/* Topen's open: the 9P2000 mode, and ORCLOSE. */
static int open_fid_omode(struct p9_request *req, struct p9_fid *fid, uint8_t omode)
{
    int err = open_fid(req, fid, host_flags_of_omode(omode));
    if (!err)
        fid->remove_on_clunk = (omode & P9_ORCLOSE) != 0;
    return err;
}

int op_open(struct p9_request *req)
{
    struct p9_fid *fid;
    int err;
    if ((err = req_fid(req, req->in.topen.fid.d, &fid)))
        return err;
    err = open_fid_omode(req, fid, req->in.topen.mode.b);
    p9_fid_unref(fid);
    return err;
}

/* Tcreate of a special file (.u): perm bits say which, extension says how. */
static int create_special(struct p9_request *req, struct p9_fid *dirfid,
                          const struct fsdrv_node *dir, const char *name, uint32_t perm,
                          const char *extension, struct stat *st)
{
    struct fsdrv_export *exp = req_export(req);
    struct fsdrv_cred cred = { .uid = dirfid->uid, .gid = (gid_t)-1 };
    mode_t mode = host_perm_of(perm);

    if (perm & P9_DMSYMLINK)
        return fsdrv_symlink(exp, dir, name, extension, &cred, st);
    if (perm & P9_DMLINK) {
        /* extension: the number of a fid naming the link's target */
        char *end;
        unsigned long num = strtoul(extension, &end, 10);
        if (end == extension || (*end && *end != '\n') || num > UINT32_MAX)
            return -EINVAL;
        struct p9_fid *target;
        int err = req_fid(req, num, &target);
        if (err)
            return err;
        struct fsdrv_node *node = p9_fid_node(target);
        err = fsdrv_link(exp, node, dir, name);
        fsdrv_node_unref(node);
        p9_fid_unref(target);
        if (err)
            return err;
        struct fsdrv_node *created;
        err = fsdrv_walk(exp, dir, name, &created, st);
        if (!err)
            fsdrv_node_unref(created);
        return err;
    }
    if (perm & P9_DMDEVICE) {
        char type;
        unsigned maj, min;
        if (sscanf(extension, "%c %u %u", &type, &maj, &min) != 3 || (type != 'b' && type != 'c'))
            return -EINVAL;
        return fsdrv_mknod(exp, dir, name, mode | (type == 'b' ? S_IFBLK : S_IFCHR),
                           makedev(maj, min), &cred, st);
    }
    if (perm & P9_DMNAMEDPIPE)
        return fsdrv_mknod(exp, dir, name, mode | S_IFIFO, 0, &cred, st);
    return fsdrv_mknod(exp, dir, name, mode | S_IFSOCK, 0, &cred, st);
}

int op_create(struct p9_request *req)
{
    const struct p9_str *name = &req->in.tcreate.name.s;
    uint32_t perm = req->in.tcreate.perm.d;
    uint8_t omode = req->in.tcreate.mode.b;
    const char *extension = req->dialect & P9_2000_U ? req->in.tcreate.extension.s.s : "";
    struct fsdrv_export *exp = req_export(req);
    struct p9_fid *fid;
    struct stat st;
    int err;

    if (!req_name_valid(name, false))
        return -EINVAL;
    if ((err = req_fid(req, req->in.tcreate.fid.d, &fid)))
        return err;
    if (fid->kind != FID_FILE || fid->file) {
        p9_fid_unref(fid);
        return -EBADF;
    }
    struct fsdrv_node *dir = p9_fid_node(fid);
    struct fsdrv_node *created = NULL;
    struct fsdrv_file *file = NULL;
    struct fsdrv_cred cred = { .uid = fid->uid, .gid = (gid_t)-1 };
    const uint32_t special = P9_DMSYMLINK | P9_DMLINK | P9_DMDEVICE | P9_DMNAMEDPIPE | P9_DMSOCKET;

    if (perm & P9_DMDIR) {
        err = fsdrv_mkdir(exp, dir, name->s, host_perm_of(perm), &cred, &st);
    } else if ((perm & special) && (req->dialect & P9_2000_U)) {
        err = create_special(req, fid, dir, name->s, perm, extension, &st);
    } else {
        err = checked_open(req, fsdrv_create(exp, dir, name->s, host_flags_of_omode(omode),
                                             host_perm_of(perm), &cred, &created, &file, &st));
    }
    if (!err && !created)
        err = fsdrv_walk(exp, dir, name->s, &created, NULL);
    if (!err) {
        /* The directory's fid now stands for what was created. */
        pthread_mutex_lock(&fid->lock);
        struct fsdrv_node *old = fid->node;
        fid->node = created;
        pthread_mutex_unlock(&fid->lock);
        fsdrv_node_unref(old);
        if (file) {
            err = reply_opened(req, fid, file, &st);
            if (!err)
                fid->remove_on_clunk = (omode & P9_ORCLOSE) != 0;
        } else if (perm & P9_DMDIR) {
            err = open_fid_omode(req, fid, P9_OREAD);
        } else {
            qid_from_stat(exp, &st, &req->out.rcreate.qid.Q);
            req->out.rcreate.iounit.d = 0;
        }
    }
    fsdrv_node_unref(dir);
    p9_fid_unref(fid);
    return err;
}

int op_stat(struct p9_request *req)
{
    struct fsdrv_export *exp = req_export(req);
    struct p9_fid *fid;
    struct stat st;
    int err;
    if ((err = req_fid(req, req->in.tstat.fid.d, &fid)))
        return err;
    struct fsdrv_file *file = NULL;
    fid_open_file(fid, &file);
    struct fsdrv_node *node = p9_fid_node(fid);
    err = fsdrv_getattr(exp, node, file, &st);
    if (!err) {
        struct stat_strings *strings = g_new(struct stat_strings, 1);
        struct p9_stat *rec = &req->in.stat;
        req->scratch = strings;     /* the reply points into it */
        /* The root is called "/", the 9P manuals' name for an attach point. */
        char name[NAME_MAX + 1];
        fsdrv_node_name(node, name);
        err = stat_record(req, node, fsdrv_node_is_root(node) ? "/" : name, &st, rec, strings);
        req->out.rstat.size.w = p9_stat_size(rec, req->dialect);
        req->out.rstat.stat.S = rec;
    }
    fsdrv_node_unref(node);
    p9_fid_unref(fid);
    return err;
}

int op_wstat(struct p9_request *req)
{
    const struct p9_stat *ws = req->in.twstat.stat.S;
    struct fsdrv_export *exp = req_export(req);
    struct fsdrv_setattr sa = { 0 };
    struct p9_fid *fid;
    int err;

    /* "Don't touch" is all ones for numbers and "" for strings. */
    if (ws->mode != UINT32_MAX) {
        sa.valid |= FSDRV_SET_MODE;
        sa.mode = host_perm_of(ws->mode);
    }
    if (ws->length != UINT64_MAX) {
        if (ws->length > INT64_MAX)
            return -EINVAL;
        sa.valid |= FSDRV_SET_SIZE;
        sa.size = ws->length;
    }
    if (ws->atime != UINT32_MAX) {
        sa.valid |= FSDRV_SET_ATIME | FSDRV_SET_ATIME_SET;
        sa.atime.tv_sec = ws->atime;
    }
    if (ws->mtime != UINT32_MAX) {
        sa.valid |= FSDRV_SET_MTIME | FSDRV_SET_MTIME_SET;
        sa.mtime.tv_sec = ws->mtime;
    }
    if ((req->dialect & P9_2000_U) && ws->n_uid != P9_NONUNAME) {
        sa.valid |= FSDRV_SET_UID;
        sa.uid = ws->n_uid;
    }
    if ((req->dialect & P9_2000_U) && ws->n_gid != P9_NONUNAME) {
        sa.valid |= FSDRV_SET_GID;
        sa.gid = ws->n_gid;
    }
    if (ws->name.len && !req_name_valid(&ws->name, false))
        return -EINVAL;
    if ((err = req_fid(req, req->in.twstat.fid.d, &fid)))
        return err;
    struct fsdrv_file *file = NULL;
    fid_open_file(fid, &file);
    struct fsdrv_node *node = p9_fid_node(fid);
    if (ws->mode != UINT32_MAX) {
        struct stat st;
        /* The directory bit cannot change. */
        err = fsdrv_getattr(exp, node, file, &st);
        if (!err && !!(ws->mode & P9_DMDIR) != !!S_ISDIR(st.st_mode))
            err = -EINVAL;
    }
    if (!err && sa.valid)
        err = fsdrv_setattr(exp, node, file, &sa);
    char oldname[NAME_MAX + 1];
    fsdrv_node_name(node, oldname);
    if (!err && ws->name.len && strcmp(ws->name.s, oldname) != 0) {
        if (fsdrv_node_is_root(node)) {
            err = -EBUSY;
        } else if (!oldname[0]) {
            err = -ENOENT;      /* its name was removed */
        } else {
            /* 9P renames within the directory only; the node moves with it. */
            struct fsdrv_node *parent = fsdrv_node_parent(node);
            err = fsdrv_rename(exp, parent, oldname, parent, ws->name.s);
            fsdrv_node_unref(parent);
        }
    }
    fsdrv_node_unref(node);
    p9_fid_unref(fid);
    return err;
}
