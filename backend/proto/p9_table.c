// SPDX-License-Identifier: GPL-2.0-or-later
/* The 9P message table (see p9_table.h).  Formats follow the Linux client's
 * encoders (net/9p/client.c) where they differ from the manuals. */
#include "config.h"

#include "backend/proto/p9_table.h"

#include <stddef.h>


#define ANY P9_ANY_DIALECT
#define U   (P9_2000 | P9_2000_U)
#define L   P9_2000_L

static const struct p9_op ops[] = {
    /* id            dialects flags  name          request fmt, fields
                                     reply          reply fmt, fields
                                     trace event (backend/server/trace.c) */
    { P9_TVERSION,   ANY, P9_OP_INLINE, "Tversion", "ds", "msize version",
                                     "Rversion", "ds", "msize version",
                                     "v9fs_version" },
    { P9_TAUTH,      ANY, P9_OP_PURE, "Tauth",     "dss?d", "afid uname aname n_uname",
                                     "Rauth", "Q", "aqid",
                                     "v9fs_auth" },
    { P9_TATTACH,    ANY, 0,          "Tattach",   "ddss?d", "fid afid uname aname n_uname",
                                     "Rattach", "Q", "qid",
                                     "v9fs_attach" },
    { P9_TFLUSH,     ANY, P9_OP_INLINE, "Tflush",  "w", "oldtag",
                                     "Rflush", "", "",
                                     "v9fs_flush" },
    { P9_TWALK,      ANY, P9_OP_PURE, "Twalk",     "ddT", "fid newfid wnames",
                                     "Rwalk", "R", "wqids",
                                     "v9fs_walk" },
    { P9_TREAD,      ANY, P9_OP_PURE, "Tread",     "dqd", "fid offset count",
                                     "Rread", "D", "data",
                                     "v9fs_read" },
    { P9_TWRITE,     ANY, 0,          "Twrite",    "dqD", "fid offset data",
                                     "Rwrite", "d", "count",
                                     "v9fs_write" },
    { P9_TCLUNK,     ANY, 0,          "Tclunk",    "d", "fid",
                                     "Rclunk", "", "",
                                     "v9fs_clunk" },
    { P9_TREMOVE,    ANY, 0,          "Tremove",   "d", "fid",
                                     "Rremove", "", "",
                                     "v9fs_remove" },
    /* 9P2000 and 9P2000.u */
    { P9_TOPEN,      U, 0,            "Topen",     "db", "fid mode",
                                     "Ropen", "Qd", "qid iounit",
                                     "v9fs_open" },
    { P9_TCREATE,    U, 0,            "Tcreate",   "dsdb?s", "fid name perm mode extension",
                                     "Rcreate", "Qd", "qid iounit",
                                     "v9fs_create" },
    { P9_TSTAT,      U, P9_OP_PURE,   "Tstat",     "d", "fid",
                                     "Rstat", "wS", "size stat",
                                     "v9fs_stat" },
    { P9_TWSTAT,     U, 0,            "Twstat",    "dwS", "fid size stat",
                                     "Rwstat", "", "",
                                     "v9fs_wstat" },
    /* 9P2000.L */
    { P9_TSTATFS,    L, P9_OP_PURE,   "Tstatfs",   "d", "fid",
                                     "Rstatfs", "ddqqqqqqd",
                                     "type bsize blocks bfree bavail files ffree fsid namelen",
                                     "v9fs_statfs" },
    { P9_TLOPEN,     L, 0,            "Tlopen",    "dd", "fid flags",
                                     "Rlopen", "Qd", "qid iounit",
                                     "v9fs_open" },
    { P9_TLCREATE,   L, 0,            "Tlcreate",  "dsddd", "fid name flags mode gid",
                                     "Rlcreate", "Qd", "qid iounit",
                                     "v9fs_lcreate" },
    { P9_TSYMLINK,   L, 0,            "Tsymlink",  "dssd", "fid name symtgt gid",
                                     "Rsymlink", "Q", "qid",
                                     "v9fs_symlink" },
    { P9_TMKNOD,     L, 0,            "Tmknod",    "dsdddd", "dfid name mode major minor gid",
                                     "Rmknod", "Q", "qid",
                                     "v9fs_mknod" },
    { P9_TRENAME,    L, 0,            "Trename",   "dds", "fid dfid name",
                                     "Rrename", "", "",
                                     "v9fs_rename" },
    { P9_TREADLINK,  L, P9_OP_PURE,   "Treadlink", "d", "fid",
                                     "Rreadlink", "s", "target",
                                     "v9fs_readlink" },
    { P9_TGETATTR,   L, P9_OP_PURE,   "Tgetattr",  "dq", "fid request_mask",
                                     "Rgetattr", "qQdddqqqqqqqqqqqqqqq",
                                     "valid qid mode uid gid nlink rdev size blksize blocks "
                                     "atime_sec atime_nsec mtime_sec mtime_nsec ctime_sec "
                                     "ctime_nsec btime_sec btime_nsec gen data_version",
                                     "v9fs_getattr" },
    { P9_TSETATTR,   L, 0,            "Tsetattr",  "dddddqqqqq",
                                     "fid valid mode uid gid size atime_sec atime_nsec "
                                     "mtime_sec mtime_nsec",
                                     "Rsetattr", "", "",
                                     "v9fs_setattr" },
    { P9_TXATTRWALK, L, P9_OP_PURE,   "Txattrwalk", "dds", "fid newfid name",
                                     "Rxattrwalk", "q", "size",
                                     "v9fs_xattrwalk" },
    { P9_TXATTRCREATE, L, 0,          "Txattrcreate", "dsqd", "fid name attr_size flags",
                                     "Rxattrcreate", "", "",
                                     "v9fs_xattrcreate" },
    { P9_TREADDIR,   L, P9_OP_PURE,   "Treaddir",  "dqd", "fid offset count",
                                     "Rreaddir", "D", "data",
                                     "v9fs_readdir" },
    { P9_TFSYNC,     L, 0,            "Tfsync",    "dd", "fid datasync",
                                     "Rfsync", "", "",
                                     "v9fs_fsync" },
    { P9_TLOCK,      L, 0,            "Tlock",     "dbdqqds",
                                     "fid type flags start length proc_id client_id",
                                     "Rlock", "b", "status",
                                     "v9fs_lock" },
    { P9_TGETLOCK,   L, P9_OP_PURE,   "Tgetlock",  "dbqqds",
                                     "fid type start length proc_id client_id",
                                     "Rgetlock", "bqqds", "type start length proc_id client_id",
                                     "v9fs_getlock" },
    { P9_TLINK,      L, 0,            "Tlink",     "dds", "dfid fid name",
                                     "Rlink", "", "",
                                     "v9fs_link" },
    { P9_TMKDIR,     L, 0,            "Tmkdir",    "dsdd", "dfid name mode gid",
                                     "Rmkdir", "Q", "qid",
                                     "v9fs_mkdir" },
    { P9_TRENAMEAT,  L, 0,            "Trenameat", "dsds", "olddirfid oldname newdirfid newname",
                                     "Rrenameat", "", "",
                                     "v9fs_renameat" },
    { P9_TUNLINKAT,  L, 0,            "Tunlinkat", "dsd", "dirfid name flags",
                                     "Runlinkat", "", "",
                                     "v9fs_unlinkat" },
};

const struct p9_op *p9_op_find(uint8_t id, unsigned dialect)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (ops[i].id == id)
            return (dialect == P9_DIALECT_NONE || (ops[i].dialects & dialect)) ? &ops[i] : NULL;
    }
    return NULL;
}

const struct p9_op *p9_op_for_reply(uint8_t reply_id, unsigned dialect)
{
    return reply_id & 1 ? p9_op_find(reply_id - 1, dialect) : NULL;
}

const struct p9_op *p9_op_at(unsigned index)
{
    return index < sizeof(ops) / sizeof(ops[0]) ? &ops[index] : NULL;
}
