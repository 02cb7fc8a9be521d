/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Directory reads: Treaddir (9P2000.L) and Tread of a directory (9P2000/.u). */
#ifndef XEN9P_OPS_DIR_H
#define XEN9P_OPS_DIR_H

#include <linux/limits.h>

#include "backend/server/session.h"

/* Tread on an open directory in 9P2000(.u): a run of stat records. */
int dir_read_stats(struct p9_request *req, struct p9_fid *fid, uint64_t offset, uint32_t cap);

/* 9P2000(.u) stat of a node (Tstat, directory reads); its strings live in `strings`. */
struct stat_strings {
    char uid[12], gid[12], extension[64];
    char name[NAME_MAX + 1];
    char target[PATH_MAX];      /* symlink target (.u extension) */
};
int stat_record(struct p9_request *req, const struct fsdrv_node *node, const char *name,
                const struct stat *st, struct p9_stat *out, struct stat_strings *strings);

#endif
