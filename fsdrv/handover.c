// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An export's state carried to another process (a worker upgrade,
 * docs/operations.md): nodes by name and handle, open files by descriptor.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/resolve.h"

int fsdrv_node_dup_handle(const struct fsdrv_node *node)
{
    int fd = atomic_load(&((struct fsdrv_node *)node)->fd);
    return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

/* The node `path` names, walked from the root as a client would. */
static int walk_path(struct fsdrv_export *exp, const char *path, struct fsdrv_node **out,
                     struct stat *st)
{
    struct fsdrv_node *node = fsdrv_node_ref(fsdrv_root(exp));
    int err = fstat(exp->root_fd, st) < 0 ? -errno : 0;
    char **names = g_strsplit(path, "/", -1);
    for (char **name = names; !err && *name; name++) {
        struct fsdrv_node *next = NULL;
        if (!**name)
            continue;
        err = fsdrv_walk(exp, node, *name, &next, st);
        fsdrv_node_unref(node);
        node = next;
    }
    g_strfreev(names);
    if (err) {
        fsdrv_node_unref(node);
        return err;
    }
    *out = node;
    return 0;
}

/* A node for the inode `handle` holds, with no name (as one whose name was removed). */
static int node_of_handle(struct fsdrv_export *exp, int handle, const struct stat *hst,
                          struct fsdrv_node **out)
{
    struct fsdrv_node *node = fsdrv_store_find(exp->store, hst->st_dev, hst->st_ino);
    if (!node) {
        /* Made by a name no client can use, then unnamed at once. */
        node = fsdrv_store_get(exp->store, fsdrv_root(exp), "/", hst);
        if (!node)
            return -ENOMEM;
        fsdrv_node_move(node, NULL, NULL);
    }
    if (!fsdrv_node_keep_handle(node, handle))
        close(handle);
    *out = node;
    return 0;
}

int fsdrv_node_restore(struct fsdrv_export *exp, const char *path, int handle,
                       const struct fsdrv_file *file, struct fsdrv_node **out)
{
    struct stat hst, st;
    if (handle < 0 && file) {
        /* A handle on what the file is open on: the node of a file whose
         * name was removed is still its inode. */
        char proc[FSDRV_PROC_PATH_MAX];
        fsdrv_proc_path(proc, file->fd, NULL);
        handle = open(proc, O_PATH | O_CLOEXEC);
    }
    bool have = handle >= 0 && fstat(handle, &hst) == 0;
    if (handle >= 0 && !have) {
        close(handle);
        handle = -1;
    }
    struct fsdrv_node *node = NULL;
    if (path && walk_path(exp, path, &node, &st) == 0) {
        if (!have || (st.st_dev == hst.st_dev && st.st_ino == hst.st_ino)) {
            if (have && !fsdrv_node_keep_handle(node, handle))
                close(handle);
            *out = node;
            return 0;
        }
        fsdrv_node_unref(node);     /* the name holds another inode now */
    }
    if (!have)
        return -ENOENT;
    return node_of_handle(exp, handle, &hst, out);
}

void fsdrv_file_save(const struct fsdrv_file *file, struct fsdrv_file_state *out)
{
    out->fd = file->fd;
    out->flags = file->flags;
    out->fifo_stash = atomic_load(&((struct fsdrv_file *)file)->fifo_stash);
    out->stream = atomic_load(&((struct fsdrv_file *)file)->stream);
}
