// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which files only ever wait for a local disk (see fsdrv.h): their calls may
 * run on a transport's thread.  A network or FUSE file system can make a call
 * wait for a peer without bound, so only file systems known to be local count.
 */
#include "config.h"

#include <sys/vfs.h>

#include "fsdrv/internal.h"
#include "fsdrv/retry.h"

/* f_type values (linux/magic.h names them; not every one is in Debian 12's). */
static const unsigned long local_types[] = {
    0x01021994,     /* tmpfs */
    0x858458f6,     /* ramfs */
    0xef53,         /* ext2, ext3, ext4 */
    0x58465342,     /* xfs */
    0x9123683e,     /* btrfs */
    0xf2f52010,     /* f2fs */
    0xca451a4e,     /* bcachefs */
    0x2fc12fc1,     /* zfs */
    0x794c7630,     /* overlayfs (of local layers, as containers use it) */
    0x73717368,     /* squashfs */
    0x4d44,         /* vfat */
    0x2011bab0,     /* exfat */
};

enum fsdrv_fs_kind fsdrv_fd_fs_kind(int fd)
{
    struct statfs sf;
    if (FSDRV_NOINTR(fstatfs(fd, &sf)) < 0)
        return FSDRV_FS_REMOTE;
    /* tmpfs and ramfs: no disk to wait for (tmpfs says EOPNOTSUPP to RWF_NOWAIT). */
    if ((unsigned long)sf.f_type == local_types[0] || (unsigned long)sf.f_type == local_types[1])
        return FSDRV_FS_MEMORY;
    for (size_t i = 0; i < G_N_ELEMENTS(local_types); i++) {
        if ((unsigned long)sf.f_type == local_types[i])
            return FSDRV_FS_DISK;
    }
    return FSDRV_FS_REMOTE;
}

bool fsdrv_export_is_local(const struct fsdrv_export *exp)
{
    return exp->local;
}

bool fsdrv_file_is_local(const struct fsdrv_file *file)
{
    return file->local && !atomic_load_explicit(&file->stream, memory_order_relaxed);
}
