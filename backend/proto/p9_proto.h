/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * 9P2000, 9P2000.u and 9P2000.L wire constants (as Linux include/net/9p/9p.h
 * and the 9P manuals define them).
 */
#ifndef XEN9P_P9_PROTO_H
#define XEN9P_P9_PROTO_H

#include <stdint.h>

enum p9_msg_id {
    P9_TLERROR = 6, P9_RLERROR,
    P9_TSTATFS = 8, P9_RSTATFS,
    P9_TLOPEN = 12, P9_RLOPEN,
    P9_TLCREATE = 14, P9_RLCREATE,
    P9_TSYMLINK = 16, P9_RSYMLINK,
    P9_TMKNOD = 18, P9_RMKNOD,
    P9_TRENAME = 20, P9_RRENAME,
    P9_TREADLINK = 22, P9_RREADLINK,
    P9_TGETATTR = 24, P9_RGETATTR,
    P9_TSETATTR = 26, P9_RSETATTR,
    P9_TXATTRWALK = 30, P9_RXATTRWALK,
    P9_TXATTRCREATE = 32, P9_RXATTRCREATE,
    P9_TREADDIR = 40, P9_RREADDIR,
    P9_TFSYNC = 50, P9_RFSYNC,
    P9_TLOCK = 52, P9_RLOCK,
    P9_TGETLOCK = 54, P9_RGETLOCK,
    P9_TLINK = 70, P9_RLINK,
    P9_TMKDIR = 72, P9_RMKDIR,
    P9_TRENAMEAT = 74, P9_RRENAMEAT,
    P9_TUNLINKAT = 76, P9_RUNLINKAT,
    P9_TVERSION = 100, P9_RVERSION,
    P9_TAUTH = 102, P9_RAUTH,
    P9_TATTACH = 104, P9_RATTACH,
    P9_TERROR = 106, P9_RERROR,
    P9_TFLUSH = 108, P9_RFLUSH,
    P9_TWALK = 110, P9_RWALK,
    P9_TOPEN = 112, P9_ROPEN,
    P9_TCREATE = 114, P9_RCREATE,
    P9_TREAD = 116, P9_RREAD,
    P9_TWRITE = 118, P9_RWRITE,
    P9_TCLUNK = 120, P9_RCLUNK,
    P9_TREMOVE = 122, P9_RREMOVE,
    P9_TSTAT = 124, P9_RSTAT,
    P9_TWSTAT = 126, P9_RWSTAT,
};

#define P9_HDR_SIZE     7u          /* size[4] id[1] tag[2] */
#define P9_NOTAG        0xffffu
#define P9_NOFID        0xffffffffu
#define P9_MAXWELEM     16
#define P9_MIN_MSIZE    4096u
#define P9_IOHDR_SIZE   24u         /* Tread/Twrite header: iounit = msize - this */
#define P9_NONUNAME     0xffffffffu /* .u/.L n_uname "not given" */

/* Dialects, as a bit set (the message table lists where each message exists). */
enum p9_dialect {
    P9_DIALECT_NONE = 0,
    P9_2000   = 1 << 0,
    P9_2000_U = 1 << 1,
    P9_2000_L = 1 << 2,
};
#define P9_ANY_DIALECT (P9_2000 | P9_2000_U | P9_2000_L)

/* qid.type */
enum {
    P9_QTDIR     = 0x80,
    P9_QTAPPEND  = 0x40,
    P9_QTEXCL    = 0x20,
    P9_QTMOUNT   = 0x10,
    P9_QTAUTH    = 0x08,
    P9_QTTMP     = 0x04,
    P9_QTSYMLINK = 0x02,
    P9_QTLINK    = 0x01,
    P9_QTFILE    = 0x00,
};

struct p9_qid {
    uint8_t type;
    uint32_t version;
    uint64_t path;
};
#define P9_QID_SIZE 13u

/* 9P2000(.u) stat mode bits (the top bits of a 32-bit perm). */
#define P9_DMDIR        0x80000000u
#define P9_DMAPPEND     0x40000000u
#define P9_DMEXCL       0x20000000u
#define P9_DMMOUNT      0x10000000u
#define P9_DMAUTH       0x08000000u
#define P9_DMTMP        0x04000000u
#define P9_DMSYMLINK    0x02000000u
#define P9_DMLINK       0x01000000u
#define P9_DMDEVICE     0x00800000u
#define P9_DMNAMEDPIPE  0x00200000u
#define P9_DMSOCKET     0x00100000u
#define P9_DMSETUID     0x00080000u
#define P9_DMSETGID     0x00040000u
#define P9_DMSETVTX     0x00010000u

/* 9P2000 Topen/Tcreate mode */
enum {
    P9_OREAD = 0, P9_OWRITE = 1, P9_ORDWR = 2, P9_OEXEC = 3,
    P9_OTRUNC = 0x10, P9_OREXEC = 0x20, P9_ORCLOSE = 0x40, P9_OAPPEND = 0x80,
    P9_OEXCL = 0x1000,
};

/* 9P2000.L open flags (Tlopen, Tlcreate): Linux's generic O_* values. */
enum {
    P9_DOTL_RDONLY    = 00000000,
    P9_DOTL_WRONLY    = 00000001,
    P9_DOTL_RDWR      = 00000002,
    P9_DOTL_NOACCESS  = 00000003,
    P9_DOTL_CREATE    = 00000100,
    P9_DOTL_EXCL      = 00000200,
    P9_DOTL_NOCTTY    = 00000400,
    P9_DOTL_TRUNC     = 00001000,
    P9_DOTL_APPEND    = 00002000,
    P9_DOTL_NONBLOCK  = 00004000,
    P9_DOTL_DSYNC     = 00010000,
    P9_DOTL_FASYNC    = 00020000,
    P9_DOTL_DIRECT    = 00040000,
    P9_DOTL_LARGEFILE = 00100000,
    P9_DOTL_DIRECTORY = 00200000,
    P9_DOTL_NOFOLLOW  = 00400000,
    P9_DOTL_NOATIME   = 01000000,
    P9_DOTL_CLOEXEC   = 02000000,
    P9_DOTL_SYNC      = 04000000,
};

/* Tgetattr request_mask / Rgetattr valid */
#define P9_GETATTR_MODE         0x00000001ULL
#define P9_GETATTR_NLINK        0x00000002ULL
#define P9_GETATTR_UID          0x00000004ULL
#define P9_GETATTR_GID          0x00000008ULL
#define P9_GETATTR_RDEV         0x00000010ULL
#define P9_GETATTR_ATIME        0x00000020ULL
#define P9_GETATTR_MTIME        0x00000040ULL
#define P9_GETATTR_CTIME        0x00000080ULL
#define P9_GETATTR_INO          0x00000100ULL
#define P9_GETATTR_SIZE         0x00000200ULL
#define P9_GETATTR_BLOCKS       0x00000400ULL
#define P9_GETATTR_BTIME        0x00000800ULL
#define P9_GETATTR_GEN          0x00001000ULL
#define P9_GETATTR_DATA_VERSION 0x00002000ULL
#define P9_GETATTR_BASIC        0x000007ffULL
#define P9_GETATTR_ALL          0x00003fffULL

/* Tsetattr valid */
#define P9_ATTR_MODE      (1u << 0)
#define P9_ATTR_UID       (1u << 1)
#define P9_ATTR_GID       (1u << 2)
#define P9_ATTR_SIZE      (1u << 3)
#define P9_ATTR_ATIME     (1u << 4)
#define P9_ATTR_MTIME     (1u << 5)
#define P9_ATTR_CTIME     (1u << 6)
#define P9_ATTR_ATIME_SET (1u << 7)
#define P9_ATTR_MTIME_SET (1u << 8)

/* Tlock */
enum { P9_LOCK_TYPE_RDLCK = 0, P9_LOCK_TYPE_WRLCK = 1, P9_LOCK_TYPE_UNLCK = 2 };
enum { P9_LOCK_SUCCESS = 0, P9_LOCK_BLOCKED = 1, P9_LOCK_ERROR = 2, P9_LOCK_GRACE = 3 };
#define P9_LOCK_FLAGS_BLOCK   1u
#define P9_LOCK_FLAGS_RECLAIM 2u

/* Tunlinkat flags */
#define P9_AT_REMOVEDIR 0x200u

#endif
