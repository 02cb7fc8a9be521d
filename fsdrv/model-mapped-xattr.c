// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QEMU's mapped-xattr model (security_model=mapped-xattr, or mapped): the
 * client's view of a file lives in extended attributes of the host file,
 * in QEMU's format (docs/security.md "The mapped models"):
 *
 *   user.virtfs.uid, user.virtfs.gid, user.virtfs.mode   4 bytes, little-endian
 *   user.virtfs.rdev                                     8 bytes, little-endian
 *
 * Each is optional; a missing one shows the host's value.  The attributes
 * belong to the inode, so link, rename and unlink carry them along.
 */
#include "config.h"

#include <sys/xattr.h>

#include "fsdrv/internal.h"

static const struct {
    const char *name;
    unsigned bit;
    size_t size;
} fields[] = {
    { "user.virtfs.uid", FSDRV_META_UID, 4 },
    { "user.virtfs.gid", FSDRV_META_GID, 4 },
    { "user.virtfs.mode", FSDRV_META_MODE, 4 },
    { "user.virtfs.rdev", FSDRV_META_RDEV, 8 },
};

/*
 * The object's attributes through its open fd, else through the magic
 * link of its directory (the l* calls never follow the last name).
 */
struct target {
    int fd;
    char path[FSDRV_PROC_PATH_MAX];
};

static void target_of(const struct fsdrv_obj *obj, struct target *t)
{
    t->fd = obj->fd;
    if (t->fd < 0)
        fsdrv_proc_path(t->path, obj->dirfd, obj->name);
}

static int xattr_load(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                      struct fsdrv_meta *m)
{
    struct target t;
    target_of(obj, &t);
    m->has = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        uint8_t b[8];
        ssize_t n = t.fd >= 0 ? FSDRV_NOINTR(fgetxattr(t.fd, fields[i].name, b, sizeof(b)))
                              : FSDRV_NOINTR(lgetxattr(t.path, fields[i].name, b, sizeof(b)));
        /* Absent, unsupported (a symlink, a FIFO) or of a size QEMU never writes. */
        if (n != (ssize_t)fields[i].size)
            continue;
        uint64_t v = 0;
        for (size_t k = fields[i].size; k-- > 0;)
            v = v << 8 | b[k];
        fsdrv_meta_set(m, fields[i].bit, v);
    }
    return 0;
}

/* Attributes belong to the inode: a new one has none to be stale. */
static int xattr_store(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                       const struct fsdrv_meta *m, bool fresh)
{
    struct target t;
    target_of(obj, &t);
    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        if (!(m->has & fields[i].bit))
            continue;
        uint8_t b[8];
        uint64_t v = fsdrv_meta_get(m, fields[i].bit);
        for (size_t k = 0; k < fields[i].size; k++, v >>= 8)
            b[k] = (uint8_t)v;
        int r = t.fd >= 0
            ? FSDRV_NOINTR(fsetxattr(t.fd, fields[i].name, b, fields[i].size, 0))
            : FSDRV_NOINTR(lsetxattr(t.path, fields[i].name, b, fields[i].size, 0));
        if (r < 0)
            return -errno;
    }
    return 0;
}

static const struct fsdrv_meta_ops xattr_meta = {
    .load = xattr_load,
    .store = xattr_store,
};

const struct fsdrv_model_ops fsdrv_model_mapped_xattr = {
    .name = "mapped-xattr",
    FSDRV_MAPPED_HOOKS,
    .link = fsdrv_native_link,
    .rename = fsdrv_native_rename,
    .unlink = fsdrv_native_unlink,
    .meta = &xattr_meta,
};
