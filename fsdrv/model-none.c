// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The none model (QEMU's security_model=none, the only one Xen documents):
 * as passthrough, but the guest does not choose host owners.  Everything it
 * makes stays the daemon's, whatever uid it attached as, and an owner change
 * it asks for succeeds and changes nothing (as QEMU's none goes on when it
 * cannot give a new file its owner), so tar and cp -p in the guest keep
 * working (docs/security.md "What a guest may do to the export").
 */
#include "config.h"

#include <sys/stat.h>

#include "fsdrv/internal.h"

static int none_create(struct fsdrv_export *exp, int dirfd, const char *name,
                       int flags, mode_t mode, const struct fsdrv_cred *cred)
{
    return fsdrv_native_create(dirfd, name, flags, mode, NULL);
}

static int none_mkdir(struct fsdrv_export *exp, int dirfd, const char *name,
                      mode_t mode, const struct fsdrv_cred *cred)
{
    return fsdrv_native_mkdir(dirfd, name, mode, NULL);
}

static int none_symlink(struct fsdrv_export *exp, int dirfd, const char *name,
                        const char *target, const struct fsdrv_cred *cred)
{
    return fsdrv_native_symlink(dirfd, name, target, NULL);
}

static int none_mknod(struct fsdrv_export *exp, int dirfd, const char *name,
                      mode_t mode, dev_t rdev, const struct fsdrv_cred *cred)
{
    return fsdrv_native_mknod(dirfd, name, mode, rdev, NULL);
}

static int none_chown(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                      uid_t uid, gid_t gid)
{
    return 0;
}

const struct fsdrv_model_ops fsdrv_model_none = {
    .name = "none",
    .host_dirent_type = true,
    .create = none_create,
    .mkdir = none_mkdir,
    .symlink = none_symlink,
    .mknod = none_mknod,
    .link = fsdrv_native_link,
    .rename = fsdrv_native_rename,
    .unlink = fsdrv_native_unlink,
    .readlink = fsdrv_native_readlink,
    .chmod = fsdrv_native_chmod,
    .chown = none_chown,
};
