// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Directory listings: Treaddir entries (9P2000.L: qid, offset, type, name)
 * and Tread of a directory in 9P2000(.u) (stat records, byte offsets).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <linux/limits.h>

#include "backend/server/ops.h"
#include "backend/server/ops_dir.h"
#include "backend/server/ops_util.h"

/* ---- 9P2000.L Treaddir ---- */

struct readdir_out {
    struct fsdrv_export *exp;
    uint8_t *buf;
    uint32_t cap, used;
};

static uint8_t qid_type_of_dtype(unsigned char type)
{
    return type == DT_DIR ? P9_QTDIR : type == DT_LNK ? P9_QTSYMLINK : P9_QTFILE;
}

static bool emit_dirent(const struct fsdrv_dirent *ent, void *opaque)
{
    struct readdir_out *o = opaque;
    size_t len = strlen(ent->name);
    union p9_arg a[4];
    /* qid[13] offset[8] type[1] name[s] */
    a[0].Q = (struct p9_qid){ .type = qid_type_of_dtype(ent->type), .version = 0,
                              .path = fsdrv_file_id(o->exp, ent->dir_dev, ent->ino) };
    a[1].q = ent->next;
    a[2].b = ent->type;
    a[3].s = (struct p9_str){ .len = len, .s = ent->name };
    size_t need = p9_encoded_size("Qqbs", a, P9_2000_L);
    if (need > o->cap - o->used)
        return false;
    p9_encode(o->buf + o->used, "Qqbs", a, P9_2000_L);
    o->used += need;
    return true;
}

int op_readdir(struct p9_request *req)
{
    uint64_t offset = req->in.treaddir.offset.q;
    uint32_t cap = req_payload_cap(req, req->in.treaddir.count.d);
    struct p9_fid *fid;
    struct fsdrv_file *file;
    int err;
    if ((err = req_fid(req, req->in.treaddir.fid.d, &fid)))
        return err;
    if ((err = fid_open_file(fid, &file)) == 0) {
        if (!fsdrv_file_is_dir(file)) {
            err = -ENOTDIR;
        } else {
            struct readdir_out o = { req_export(req), p9_reply_payload(req, cap), cap, 0 };
            int n = fsdrv_readdir(o.exp, file, offset, emit_dirent, &o);
            if (n < 0)
                err = n;
            else
                req->out.rreaddir.data.D = (struct p9_data){ .count = o.used, .ptr = NULL };
        }
    }
    p9_fid_unref(fid);
    return err;
}

/* ---- 9P2000(.u) stat records ---- */

static uint32_t p9_mode_of(const struct stat *st, unsigned dialect)
{
    uint32_t mode = st->st_mode & 0777;
    if (S_ISDIR(st->st_mode))
        mode |= P9_DMDIR;
    if (dialect & P9_2000_U) {
        if (S_ISLNK(st->st_mode))
            mode |= P9_DMSYMLINK;
        else if (S_ISSOCK(st->st_mode))
            mode |= P9_DMSOCKET;
        else if (S_ISFIFO(st->st_mode))
            mode |= P9_DMNAMEDPIPE;
        else if (S_ISBLK(st->st_mode) || S_ISCHR(st->st_mode))
            mode |= P9_DMDEVICE;
        if (st->st_mode & S_ISUID)
            mode |= P9_DMSETUID;
        if (st->st_mode & S_ISGID)
            mode |= P9_DMSETGID;
        if (st->st_mode & S_ISVTX)
            mode |= P9_DMSETVTX;
    }
    return mode;
}

int stat_record(struct p9_request *req, const struct fsdrv_node *node, const char *name,
                const struct stat *st, struct p9_stat *out, struct stat_strings *strings)
{
    memset(out, 0, sizeof(*out));
    g_strlcpy(strings->name, name, sizeof(strings->name));
    snprintf(strings->uid, sizeof(strings->uid), "%u", (unsigned)st->st_uid);
    snprintf(strings->gid, sizeof(strings->gid), "%u", (unsigned)st->st_gid);
    strings->extension[0] = '\0';
    qid_from_stat(req_export(req), st, &out->qid);
    out->mode = p9_mode_of(st, req->dialect);
    out->atime = st->st_atim.tv_sec;
    out->mtime = st->st_mtim.tv_sec;
    out->length = S_ISDIR(st->st_mode) ? 0 : st->st_size;
    out->name = p9_str_of(strings->name);
    out->uid = p9_str_of(strings->uid);
    out->gid = p9_str_of(strings->gid);
    out->muid = p9_str_of("");
    out->extension = p9_str_of(strings->extension);
    out->n_uid = st->st_uid;
    out->n_gid = st->st_gid;
    out->n_muid = P9_NONUNAME;
    if (!(req->dialect & P9_2000_U))
        return 0;
    if (S_ISLNK(st->st_mode)) {
        ssize_t len = fsdrv_readlink(req_export(req), node, strings->target,
                                     sizeof(strings->target));
        if (len < 0)
            return len;
        out->extension = (struct p9_str){ .len = len, .s = strings->target };
    } else if (S_ISBLK(st->st_mode) || S_ISCHR(st->st_mode)) {
        snprintf(strings->extension, sizeof(strings->extension), "%c %u %u",
                 S_ISBLK(st->st_mode) ? 'b' : 'c', major(st->st_rdev), minor(st->st_rdev));
        out->extension = p9_str_of(strings->extension);
    } else if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode)) {
        /* The .u way to tell the link count (Linux and QEMU both use it). */
        snprintf(strings->extension, sizeof(strings->extension), "HARDLINKCOUNT %lu",
                 (unsigned long)st->st_nlink);
        out->extension = p9_str_of(strings->extension);
    }
    return 0;
}

struct stat_dir_out {
    struct p9_request *req;
    struct fsdrv_node *dir;
    uint8_t *buf;
    uint32_t cap, used;
    uint64_t cookie;    /* resume point after the last record taken */
    struct stat_strings *strings;
};

static bool emit_stat(const struct fsdrv_dirent *ent, void *opaque)
{
    struct stat_dir_out *o = opaque;
    struct fsdrv_node *node;
    struct stat st;
    /* "." and ".." are listed too, as QEMU does: Linux shows what it gets. */
    int err = walk_name(o->req->session->cfg.export, o->dir, ent->name, &node, &st);
    if (err) {
        /* Gone since the listing: skip it. */
        o->cookie = ent->next;
        return true;
    }
    struct p9_stat rec;
    err = stat_record(o->req, node, ent->name, &st, &rec, o->strings);
    fsdrv_node_unref(node);
    if (err) {
        o->cookie = ent->next;
        return true;
    }
    union p9_arg a = { .S = &rec };
    size_t need = p9_encoded_size("S", &a, o->req->dialect);
    bool fits = need <= o->cap - o->used;
    if (fits) {
        p9_encode(o->buf + o->used, "S", &a, o->req->dialect);
        o->used += need;
        o->cookie = ent->next;
    }
    return fits;
}

int dir_read_stats(struct p9_request *req, struct p9_fid *fid, uint64_t offset, uint32_t cap)
{
    int err = 0;
    /* Before the fid's lock: the payload takes the session's, which comes first. */
    uint8_t *buf = p9_reply_payload(req, cap);
    pthread_mutex_lock(&fid->lock);
    /* Offsets are byte positions in the stream of records: only a restart
     * (0) or a continuation where the last read ended make sense. */
    if (offset == 0) {
        fid->dir_byte_offset = 0;
        fid->dir_cookie = 0;
    } else if (offset != fid->dir_byte_offset) {
        err = -EINVAL;
    }
    if (!err) {
        struct stat_dir_out o = { req, fid->node, buf, cap, 0,
                                  fid->dir_cookie, g_new(struct stat_strings, 1) };
        int n = fsdrv_readdir(req_export(req), fid->file, fid->dir_cookie, emit_stat, &o);
        g_free(o.strings);
        if (n < 0 && o.used == 0) {
            err = n;
        } else {
            fid->dir_cookie = o.cookie;
            fid->dir_byte_offset += o.used;
            req->out.rread.data.D = (struct p9_data){ .count = o.used, .ptr = NULL };
        }
    }
    pthread_mutex_unlock(&fid->lock);
    return err;
}
