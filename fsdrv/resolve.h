/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Beneath-resolution: opening directories of the export without ever
 * following a symlink or leaving the root.
 */
#ifndef XEN9P_FSDRV_RESOLVE_H
#define XEN9P_FSDRV_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

struct fsdrv_export;
struct fsdrv_node;

/* Enough for "/proc/self/fd/<int>/<NAME_MAX name>". */
#define FSDRV_PROC_PATH_MAX 320

/*
 * A place to act on: one name inside an open directory (O_PATH), and the
 * object's own handle when its node has one.
 */
struct fsdrv_at {
    int dirfd;
    bool owned;             /* dirfd must be closed (false: a node's handle) */
    const char *name;       /* the node's last component; "." for the root */
    int objfd;              /* the object's O_PATH handle (not owned), or -1 */
    struct fsdrv_node *hold;    /* keeps the handles used here alive */
    char namebuf[256];      /* NAME_MAX + 1: `name` when copied from a node */
};

/* Decides once per export whether openat2 is used. */
void fsdrv_resolve_init(struct fsdrv_export *exp);

/*
 * Opens the directory `path` (len bytes, "" = the root) beneath the root
 * with O_PATH.  *owned tells whether the fd is a new one (else it is the
 * root fd, which must not be closed).  -ENOTDIR/-ELOOP when a component is
 * not a directory (symlinks included).
 */
int fsdrv_resolve_dir(struct fsdrv_export *exp, const char *path, size_t len,
                      int *fd, bool *owned);

/*
 * The parent directory of `node` and its last name (-ENOENT once the
 * client removed that name).  Directories are reached through their
 * nodes' handles; a node without one is found by name beneath its
 * nearest ancestor that has one, and keeps the handle if the store has
 * room.
 */
int fsdrv_at_node(struct fsdrv_export *exp, const struct fsdrv_node *node,
                  struct fsdrv_at *at);
/* The directory `dir` itself and `name` inside it (name checked by the caller). */
int fsdrv_at_child(struct fsdrv_export *exp, const struct fsdrv_node *dir,
                   const char *name, struct fsdrv_at *at);
void fsdrv_at_release(struct fsdrv_at *at);

/*
 * The object itself, O_PATH (a symlink stays a symlink): its node's handle
 * (*owned false) or a new descriptor.
 */
int fsdrv_at_object(const struct fsdrv_at *at, int *fd, bool *owned);

/* "/proc/self/fd/<fd>" or "/proc/self/fd/<fd>/<name>" (name may be NULL). */
void fsdrv_proc_path(char buf[FSDRV_PROC_PATH_MAX], int fd, const char *name);

#endif
