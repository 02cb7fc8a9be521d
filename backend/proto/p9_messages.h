/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every 9P request message, once: the one list the message table
 * (p9_table.c), the named fields of a decoded message (p9_codec.h: a handler
 * reads req->in.twrite.offset.q, fills req->out.rwalk.wqids) and the trace
 * events are made from.
 *
 *   X(name, id, dialects, flags, trace event,
 *     request format, request fields,
 *     reply format, reply fields)
 *
 * Formats are p9_codec.h's; each field is F(name), in wire order, one per
 * format letter ('?' marks where 9P2000.u's extension fields start).  The
 * trace event is QEMU's name where QEMU has one (Tlopen is "v9fs_open" there
 * too); the reply's event adds "_return".  Formats follow the Linux client's
 * encoders (net/9p/client.c) where they differ from the manuals.
 */
#ifndef XEN9P_P9_MESSAGES_H
#define XEN9P_P9_MESSAGES_H

/* The messages of 9P2000 and 9P2000.u only (P9_* from p9_proto.h). */
#define P9_DOTU_DIALECTS (P9_2000 | P9_2000_U)

#define P9_MESSAGES(X, F) \
    X(version, P9_TVERSION, P9_ANY_DIALECT, P9_OP_INLINE, "v9fs_version", \
      "ds", F(msize) F(version), \
      "ds", F(msize) F(version)) \
    X(auth, P9_TAUTH, P9_ANY_DIALECT, P9_OP_PURE, "v9fs_auth", \
      "dss?d", F(afid) F(uname) F(aname) F(n_uname), \
      "Q", F(aqid)) \
    X(attach, P9_TATTACH, P9_ANY_DIALECT, P9_OP_LOCAL, "v9fs_attach", \
      "ddss?d", F(fid) F(afid) F(uname) F(aname) F(n_uname), \
      "Q", F(qid)) \
    X(flush, P9_TFLUSH, P9_ANY_DIALECT, P9_OP_INLINE, "v9fs_flush", \
      "w", F(oldtag), \
      "", ) \
    X(walk, P9_TWALK, P9_ANY_DIALECT, P9_OP_PURE | P9_OP_LOCAL, "v9fs_walk", \
      "ddT", F(fid) F(newfid) F(wnames), \
      "R", F(wqids)) \
    X(read, P9_TREAD, P9_ANY_DIALECT, P9_OP_PURE, "v9fs_read", \
      "dqd", F(fid) F(offset) F(count), \
      "D", F(data)) \
    X(write, P9_TWRITE, P9_ANY_DIALECT, 0, "v9fs_write", \
      "dqD", F(fid) F(offset) F(data), \
      "d", F(count)) \
    X(clunk, P9_TCLUNK, P9_ANY_DIALECT, P9_OP_LOCAL, "v9fs_clunk", \
      "d", F(fid), \
      "", ) \
    X(remove, P9_TREMOVE, P9_ANY_DIALECT, P9_OP_LOCAL, "v9fs_remove", \
      "d", F(fid), \
      "", ) \
    X(open, P9_TOPEN, P9_DOTU_DIALECTS, 0, "v9fs_open", \
      "db", F(fid) F(mode), \
      "Qd", F(qid) F(iounit)) \
    X(create, P9_TCREATE, P9_DOTU_DIALECTS, 0, "v9fs_create", \
      "dsdb?s", F(fid) F(name) F(perm) F(mode) F(extension), \
      "Qd", F(qid) F(iounit)) \
    X(stat, P9_TSTAT, P9_DOTU_DIALECTS, P9_OP_PURE | P9_OP_LOCAL, "v9fs_stat", \
      "d", F(fid), \
      "wS", F(size) F(stat)) \
    X(wstat, P9_TWSTAT, P9_DOTU_DIALECTS, P9_OP_LOCAL, "v9fs_wstat", \
      "dwS", F(fid) F(size) F(stat), \
      "", ) \
    X(statfs, P9_TSTATFS, P9_2000_L, P9_OP_PURE | P9_OP_LOCAL, "v9fs_statfs", \
      "d", F(fid), \
      "ddqqqqqqd", F(type) F(bsize) F(blocks) F(bfree) F(bavail) F(files) F(ffree) F(fsid) \
        F(namelen)) \
    X(lopen, P9_TLOPEN, P9_2000_L, 0, "v9fs_open", \
      "dd", F(fid) F(flags), \
      "Qd", F(qid) F(iounit)) \
    X(lcreate, P9_TLCREATE, P9_2000_L, 0, "v9fs_lcreate", \
      "dsddd", F(fid) F(name) F(flags) F(mode) F(gid), \
      "Qd", F(qid) F(iounit)) \
    X(symlink, P9_TSYMLINK, P9_2000_L, P9_OP_LOCAL, "v9fs_symlink", \
      "dssd", F(fid) F(name) F(symtgt) F(gid), \
      "Q", F(qid)) \
    X(mknod, P9_TMKNOD, P9_2000_L, P9_OP_LOCAL, "v9fs_mknod", \
      "dsdddd", F(dfid) F(name) F(mode) F(major) F(minor) F(gid), \
      "Q", F(qid)) \
    X(rename, P9_TRENAME, P9_2000_L, P9_OP_LOCAL, "v9fs_rename", \
      "dds", F(fid) F(dfid) F(name), \
      "", ) \
    X(readlink, P9_TREADLINK, P9_2000_L, P9_OP_PURE | P9_OP_LOCAL, "v9fs_readlink", \
      "d", F(fid), \
      "s", F(target)) \
    X(getattr, P9_TGETATTR, P9_2000_L, P9_OP_PURE | P9_OP_LOCAL, "v9fs_getattr", \
      "dq", F(fid) F(request_mask), \
      "qQdddqqqqqqqqqqqqqqq", F(valid) F(qid) F(mode) F(uid) F(gid) F(nlink) F(rdev) F(size) \
        F(blksize) F(blocks) F(atime_sec) F(atime_nsec) F(mtime_sec) F(mtime_nsec) F(ctime_sec) \
        F(ctime_nsec) F(btime_sec) F(btime_nsec) F(gen) F(data_version)) \
    X(setattr, P9_TSETATTR, P9_2000_L, P9_OP_LOCAL, "v9fs_setattr", \
      "dddddqqqqq", F(fid) F(valid) F(mode) F(uid) F(gid) F(size) F(atime_sec) F(atime_nsec) \
        F(mtime_sec) F(mtime_nsec), \
      "", ) \
    X(xattrwalk, P9_TXATTRWALK, P9_2000_L, P9_OP_PURE | P9_OP_LOCAL, "v9fs_xattrwalk", \
      "dds", F(fid) F(newfid) F(name), \
      "q", F(size)) \
    X(xattrcreate, P9_TXATTRCREATE, P9_2000_L, P9_OP_LOCAL, "v9fs_xattrcreate", \
      "dsqd", F(fid) F(name) F(attr_size) F(flags), \
      "", ) \
    X(readdir, P9_TREADDIR, P9_2000_L, P9_OP_PURE, "v9fs_readdir", \
      "dqd", F(fid) F(offset) F(count), \
      "D", F(data)) \
    X(fsync, P9_TFSYNC, P9_2000_L, 0, "v9fs_fsync", \
      "dd", F(fid) F(datasync), \
      "", ) \
    X(lock, P9_TLOCK, P9_2000_L, 0, "v9fs_lock", \
      "dbdqqds", F(fid) F(type) F(flags) F(start) F(length) F(proc_id) F(client_id), \
      "b", F(status)) \
    X(getlock, P9_TGETLOCK, P9_2000_L, P9_OP_PURE, "v9fs_getlock", \
      "dbqqds", F(fid) F(type) F(start) F(length) F(proc_id) F(client_id), \
      "bqqds", F(type) F(start) F(length) F(proc_id) F(client_id)) \
    X(link, P9_TLINK, P9_2000_L, P9_OP_LOCAL, "v9fs_link", \
      "dds", F(dfid) F(fid) F(name), \
      "", ) \
    X(mkdir, P9_TMKDIR, P9_2000_L, P9_OP_LOCAL, "v9fs_mkdir", \
      "dsdd", F(dfid) F(name) F(mode) F(gid), \
      "Q", F(qid)) \
    X(renameat, P9_TRENAMEAT, P9_2000_L, P9_OP_LOCAL, "v9fs_renameat", \
      "dsds", F(olddirfid) F(oldname) F(newdirfid) F(newname), \
      "", ) \
    X(unlinkat, P9_TUNLINKAT, P9_2000_L, P9_OP_LOCAL, "v9fs_unlinkat", \
      "dsd", F(dirfid) F(name) F(flags), \
      "", )

#endif
