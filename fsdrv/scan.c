// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Breadth-first walk of the whole export.  Each directory is reopened
 * beneath the root by its relative path, so the walk holds one directory
 * fd at a time whatever the depth, and never follows a symlink.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/scan.h"

/* Calls fn for each entry of directory `rel`; queues its subdirectories. */
static int scan_dir(struct fsdrv_export *exp, const char *rel, GQueue *todo,
                    GHashTable *dirs_seen, fsdrv_scan_fn fn, void *opaque)
{
    int pathfd;
    bool owned;
    int err = fsdrv_resolve_dir(exp, rel, strlen(rel), &pathfd, &owned);
    if (err)
        return err;
    /* O_DIRECTORY fails before a FIFO or device could ever be opened. */
    int fd = FSDRV_NOINTR(openat(pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    err = fd < 0 ? -errno : 0;
    if (owned)
        close(pathfd);
    if (err)
        return err;
    union {
        struct dirent64 align;
        char bytes[8192];
    } buf;
    ssize_t n;
    while ((n = FSDRV_NOINTR(getdents64(fd, buf.bytes, sizeof(buf.bytes)))) > 0) {
        for (ssize_t pos = 0; pos < n;) {
            const struct dirent64 *de = (const struct dirent64 *)(buf.bytes + pos);
            pos += de->d_reclen;
            const char *name = de->d_name;
            if (!strcmp(name, ".") || !strcmp(name, "..") || fsdrv_name_hidden(exp, name))
                continue;
            struct stat st;
            if (FSDRV_NOINTR(fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW)) < 0)
                continue;       /* vanished meanwhile */
            if (!fn(rel, name, &st, opaque)) {
                close(fd);
                return -ECANCELED;
            }
            /* A bind mount may show a directory again beneath itself. */
            if (S_ISDIR(st.st_mode) && fsdrv_inode_set_add(dirs_seen, st.st_dev, st.st_ino))
                g_queue_push_tail(todo, rel[0] ? g_strconcat(rel, "/", name, NULL)
                                               : g_strdup(name));
        }
    }
    err = n < 0 ? -errno : 0;
    close(fd);
    return err;
}

int fsdrv_scan(struct fsdrv_export *exp, fsdrv_scan_fn fn, void *opaque)
{
    GQueue todo = G_QUEUE_INIT;
    GHashTable *dirs_seen = fsdrv_inode_set_new();
    fsdrv_inode_set_add(dirs_seen, exp->root_dev, exp->root_ino);
    int err = scan_dir(exp, "", &todo, dirs_seen, fn, opaque);
    char *rel;
    while ((rel = g_queue_pop_head(&todo))) {
        /* A subdirectory may vanish meanwhile: skip it. */
        if (err != -ECANCELED && scan_dir(exp, rel, &todo, dirs_seen, fn, opaque) == -ECANCELED)
            err = -ECANCELED;
        g_free(rel);
    }
    g_hash_table_destroy(dirs_seen);
    return err;
}
