// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p9ceiling: the least a 9P2000.L server can do for xen9p-bench's workloads,
 * the ceiling scripts/bench-vs measures servers against.  One thread, one
 * connection at a time; for each request it decodes the message with the
 * project's codec, makes the one system call the operation needs and writes
 * the reply:
 *
 *   Tgetattr fstat   Twalk openat(O_PATH) per name   Tclunk close
 *   Tread pread (into the reply)   Twrite pwrite   Tlopen open of /proc/self/fd/N
 *   Tattach dup of the export   Tversion, anything else: no system call
 *
 * No permission checks, no confinement, no flush, no directory reads; Rwalk's
 * qids carry no inode number (that would take an fstat per name; the
 * benchmark does not look at them).  Not a server to export anything with.
 *
 *   p9ceiling unix:PATH DIR
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "backend/proto/p9_codec.h"
#include "backend/proto/p9_table.h"
#include "tools/p9sock.h"

#define MAX_MSIZE ((1u << 20) + 4096)
#define MAX_FIDS 65536u

static int root_fd;
static int fids[MAX_FIDS];
static uint32_t msize = MAX_MSIZE;
static uint8_t in_buf[2 * MAX_MSIZE], out_buf[MAX_MSIZE];
static struct p9_args req;
static union p9_reply_args rep;

static int *fid_slot(uint32_t fid)
{
    return fid < MAX_FIDS ? &fids[fid] : NULL;
}

/* The fd of a fid in use, or -1. */
static int fid_fd(uint32_t fid)
{
    int *slot = fid_slot(fid);
    return slot ? *slot : -1;
}

static void fid_set(uint32_t fid, int fd)
{
    int *slot = fid_slot(fid);
    if (*slot >= 0)
        close(*slot);
    *slot = fd;
}

static int do_walk(void)
{
    int fd = fid_fd(req.twalk.fid.d);
    int *slot = fid_slot(req.twalk.newfid.d);
    uint16_t n = req.twalk.wnames.T.n;
    if (fd < 0 || !slot || (*slot >= 0 && req.twalk.newfid.d != req.twalk.fid.d))
        return EBADF;
    int at = n ? -1 : dup(fd);
    for (uint16_t i = 0; i < n; i++) {
        int next = openat(at < 0 ? fd : at, req.twalk.wnames.T.v[i].s,
                          O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (at >= 0)
            close(at);
        at = next;
        if (at < 0)
            return errno;
        rep.rwalk.wqids.R.v[i] = (struct p9_qid){ 0 };
    }
    if (at < 0)
        return errno;
    rep.rwalk.wqids.R.n = n;
    fid_set(req.twalk.newfid.d, at);
    return 0;
}

static void stat_to_qid(const struct stat *st, struct p9_qid *q)
{
    *q = (struct p9_qid){ .type = S_ISDIR(st->st_mode) ? P9_QTDIR : P9_QTFILE,
                          .path = st->st_ino };
}

/* Serves one request in req; fills rep and returns 0 or an errno for Rlerror. */
static int serve(uint8_t id)
{
    struct stat st;
    ssize_t done;
    int fd;
    switch (id) {
    case P9_TVERSION:
        msize = req.tversion.msize.d < MAX_MSIZE ? req.tversion.msize.d : MAX_MSIZE;
        rep.rversion.msize.d = msize;
        rep.rversion.version.s = p9_str_of(strncmp(req.tversion.version.s.s, "9P2000.L", 8) == 0
                                           ? "9P2000.L" : "unknown");
        return 0;
    case P9_TATTACH:
        if (!fid_slot(req.tattach.fid.d) || (fd = dup(root_fd)) < 0)
            return EBADF;
        fid_set(req.tattach.fid.d, fd);
        rep.rattach.qid.Q = (struct p9_qid){ .type = P9_QTDIR };
        return 0;
    case P9_TWALK:
        return do_walk();
    case P9_TCLUNK:
        if (fid_fd(req.tclunk.fid.d) < 0)
            return EBADF;
        fid_set(req.tclunk.fid.d, -1);
        return 0;
    case P9_TLOPEN: {
        char path[32];
        if ((fd = fid_fd(req.tlopen.fid.d)) < 0)
            return EBADF;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        int opened = open(path, (int)(req.tlopen.flags.d & O_ACCMODE) | O_CLOEXEC);
        if (opened < 0)
            return errno;
        fid_set(req.tlopen.fid.d, opened);
        rep.rlopen.qid.Q = (struct p9_qid){ .type = P9_QTFILE };
        rep.rlopen.iounit.d = 0;
        return 0;
    }
    case P9_TGETATTR:
        if (fstat(fid_fd(req.tgetattr.fid.d), &st) < 0)
            return errno;
        memset(&rep, 0, sizeof(rep));
        rep.rgetattr.valid.q = P9_GETATTR_BASIC;
        stat_to_qid(&st, &rep.rgetattr.qid.Q);
        rep.rgetattr.mode.d = st.st_mode;
        rep.rgetattr.uid.d = st.st_uid;
        rep.rgetattr.gid.d = st.st_gid;
        rep.rgetattr.nlink.q = st.st_nlink;
        rep.rgetattr.size.q = (uint64_t)st.st_size;
        rep.rgetattr.blksize.q = (uint64_t)st.st_blksize;
        rep.rgetattr.blocks.q = (uint64_t)st.st_blocks;
        rep.rgetattr.atime_sec.q = (uint64_t)st.st_atim.tv_sec;
        rep.rgetattr.mtime_sec.q = (uint64_t)st.st_mtim.tv_sec;
        rep.rgetattr.ctime_sec.q = (uint64_t)st.st_ctim.tv_sec;
        return 0;
    case P9_TREAD: {
        uint32_t count = req.tread.count.d;
        if (count > msize - P9_IOHDR_SIZE)
            count = msize - P9_IOHDR_SIZE;
        /* straight into the reply: the codec leaves bytes in place when ptr is NULL */
        done = pread(fid_fd(req.tread.fid.d), out_buf + P9_HDR_SIZE + 4, count,
                     (off_t)req.tread.offset.q);
        if (done < 0)
            return errno;
        rep.rread.data.D = (struct p9_data){ .count = (uint32_t)done };
        return 0;
    }
    case P9_TWRITE:
        done = pwrite(fid_fd(req.twrite.fid.d), req.twrite.data.D.ptr, req.twrite.data.D.count,
                      (off_t)req.twrite.offset.q);
        if (done < 0)
            return errno;
        rep.rwrite.count.d = (uint32_t)done;
        return 0;
    }
    return EOPNOTSUPP;
}

/* Decodes, serves and answers one whole message; false ends the connection. */
static bool handle(int conn, uint8_t *msg, uint32_t size)
{
    uint32_t ignored;
    uint8_t id;
    uint16_t tag;
    p9_get_header(msg, &ignored, &id, &tag);
    const struct p9_op *op = p9_op_find(id, id == P9_TVERSION ? P9_DIALECT_NONE : P9_2000_L);
    int err = EOPNOTSUPP;
    const char *fmt = P9_RLERROR_FMT;
    rep.rwalk.wqids.R.v = req.qids;
    if (op && p9_decode(msg + P9_HDR_SIZE, size - P9_HDR_SIZE, op->tfmt, P9_2000_L, &req) != 0)
        return false;
    if (op)
        err = serve(id);
    if (!err) {
        fmt = op->rfmt;
        id++;
    } else {
        rep.a[0].d = (uint32_t)err;
        id = P9_RLERROR;
    }
    size_t out = P9_HDR_SIZE + p9_encoded_size(fmt, rep.a, P9_2000_L);
    if (out > sizeof(out_buf))
        return false;
    p9_encode(out_buf + P9_HDR_SIZE, fmt, rep.a, P9_2000_L);
    p9_put_header(out_buf, (uint32_t)out, id, tag);
    return p9sock_write_all(conn, out_buf, out) == 0;
}

/* Reads as much as the socket has and handles every whole message in it. */
static void serve_connection(int conn)
{
    size_t have = 0;
    for (;;) {
        ssize_t got = read(conn, in_buf + have, sizeof(in_buf) - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return;
        have += (size_t)got;
        size_t at = 0;
        while (have - at >= P9_HDR_SIZE) {
            uint32_t size;
            uint8_t id;
            uint16_t tag;
            p9_get_header(in_buf + at, &size, &id, &tag);
            if (size < P9_HDR_SIZE || size > msize)
                return;
            if (have - at < size)
                break;
            if (!handle(conn, in_buf + at, size))
                return;
            at += size;
        }
        memmove(in_buf, in_buf + at, have - at);
        have -= at;
    }
}

int main(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (argc != 3 || strncmp(argv[1], "unix:", 5) != 0 ||
        strlen(argv[1] + 5) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "usage: p9ceiling unix:PATH DIR\n");
        return 2;
    }
    strcpy(sa.sun_path, argv[1] + 5);
    root_fd = open(argv[2], O_PATH | O_DIRECTORY | O_CLOEXEC);
    int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(sa.sun_path);
    if (root_fd < 0 || listener < 0 || bind(listener, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(listener, 4) < 0) {
        fprintf(stderr, "p9ceiling: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (uint32_t f = 0; f < MAX_FIDS; f++)
        fids[f] = -1;
    for (;;) {
        int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0)
            continue;
        msize = MAX_MSIZE;
        serve_connection(conn);
        close(conn);
        for (uint32_t f = 0; f < MAX_FIDS; f++)
            fid_set(f, -1);
    }
}
