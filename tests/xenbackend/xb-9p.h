/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a guest does with a mounted share, for the Xen backend tests: walk,
 * create, open, clunk, and pipelined writes and verified reads of files
 * whose contents follow a seeded pattern (so dom0 and the guest can check
 * each other's bytes without shipping them).  9P2000.L or 9P2000.u, as
 * negotiated by p9front_mount.
 */
#ifndef XB_9P_H
#define XB_9P_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "tools/p9front.h"

/* Byte i of pattern `seed` for offsets [offset, offset + len). */
void xb_pattern_fill(uint8_t *buf, size_t len, uint64_t offset, uint64_t seed);
/* SHA-256 (hex, g_free) of the first `size` bytes of pattern `seed`. */
char *xb_pattern_sha256(uint64_t size, uint64_t seed);
/* Writes `size` bytes of pattern `seed` into a host file (dom0's side). */
gboolean xb_pattern_write_file(const char *path, uint64_t size, uint64_t seed, GError **error);

/* One request and its reply: 0, or -errno (transport or 9P error). The
 * reply buffer is freed unless `reply` is given and the call succeeded. */
int xb9_call(struct p9front *fs, uint8_t id, const union p9_arg *a, struct p9front_reply *reply);

/* Walks from the root (fid 0) to `path` ("" = the root) as `newfid`. */
int xb9_walk(struct p9front *fs, const char *path, uint32_t newfid);
int xb9_clunk(struct p9front *fs, uint32_t fid);
/* Creates (or truncates) `path` and leaves `fid` open on it for writing. */
int xb9_create(struct p9front *fs, const char *path, uint32_t fid);
/* Walks to `path` and opens it as `fid` (read-only, or read-write). */
int xb9_open(struct p9front *fs, const char *path, uint32_t fid, gboolean writable);
int xb9_remove(struct p9front *fs, const char *path);
/* Tgetattr (9P2000.L) or Tstat (9P2000.u) of the root. */
int xb9_stat_root(struct p9front *fs);

/* A file of a pipelined transfer: an open fid and its pattern. */
struct xb9_file {
    uint32_t fid;
    uint64_t size;
    uint64_t seed;
};

/*
 * Writes every file's pattern with requests of random sizes (1..iounit),
 * interleaved over the files (and so over both rings), up to `inflight`
 * requests at once.  0, or -errno with *why (g_free).
 */
int xb9_write_files(struct p9front *fs, const struct xb9_file *files, unsigned n,
                    unsigned inflight, GRand *rand, char **why);

/*
 * Reads every file back the same way, checks every byte against its
 * pattern and that a read at the end returns nothing.  With n == 1 and
 * sha256 != NULL, also returns the SHA-256 of the bytes read, in order.
 */
int xb9_verify_files(struct p9front *fs, const struct xb9_file *files, unsigned n,
                     unsigned inflight, GRand *rand, char **sha256, char **why);

/*
 * Guest processes as Linux's client serves them: each reads (or writes) its
 * file from start to end, `count` bytes per request, one request at a time,
 * all processes at once, so each ring carries several processes' requests
 * and replies, and tags come back to be reused at once.  Reads check every
 * byte against the pattern.  0, or the first -errno with *why (g_free).
 */
struct xb9_proc {
    const char *path;
    uint32_t fid;           /* the process's own */
    uint64_t size, seed;
    uint32_t count;
    bool writing;
};
int xb9_processes(struct p9front *fs, const struct xb9_proc *procs, unsigned n, char **why);

#endif
