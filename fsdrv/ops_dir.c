// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * readdir: raw getdents64 at a client-chosen offset.  The offsets are the
 * filesystem's own d_off cookies, so a client may resume anywhere it has
 * been; the fd position is shared, hence the file's lock.
 */
#include "config.h"

#include <dirent.h>
#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"

int fsdrv_readdir(struct fsdrv_export *exp, struct fsdrv_file *dir, uint64_t offset,
                  fsdrv_dirent_fn emit, void *opaque)
{
    if (!S_ISDIR(dir->type))
        return -ENOTDIR;
    if (offset > INT64_MAX)
        return -EINVAL;

    union {
        struct dirent64 align;
        char bytes[8192];
    } buf;
    int accepted = 0, err = 0;

    g_mutex_lock(&dir->lock);
    if (lseek(dir->fd, (off_t)offset, SEEK_SET) < 0) {
        err = -errno;
        goto out;
    }
    for (;;) {
        ssize_t n = FSDRV_NOINTR(getdents64(dir->fd, buf.bytes, sizeof(buf.bytes)));
        if (n < 0) {
            err = -errno;
            break;
        }
        if (n == 0)
            break;
        for (ssize_t pos = 0; pos < n;) {
            const struct dirent64 *d = (const struct dirent64 *)(buf.bytes + pos);
            pos += d->d_reclen;
            if (fsdrv_name_hidden(exp, d->d_name))
                continue;
            struct fsdrv_dirent ent = {
                .name = d->d_name,
                .ino = d->d_ino,
                .dir_dev = dir->dev,
                .type = exp->model->host_dirent_type ? d->d_type : DT_UNKNOWN,
                .next = (uint64_t)d->d_off,
            };
            /* The root's parent lies outside the export: it is its own parent. */
            if (dir->is_root && !strcmp(d->d_name, ".."))
                ent.ino = exp->root_ino;
            if (!emit(&ent, opaque))
                goto out;
            accepted++;
        }
    }
out:
    g_mutex_unlock(&dir->lock);
    /* An error after some entries is reported by the next call. */
    return accepted ? accepted : err;
}
