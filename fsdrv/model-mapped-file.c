// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * QEMU's mapped-file model (security_model=mapped-file): the client's view
 * of `name` lives in the text file .virtfs_metadata/<name> of its
 * directory, and the export root's own in .virtfs_metadata_root, in QEMU's
 * format (docs/security.md "The mapped models"): lines
 *
 *   virtfs.uid=<decimal>\n virtfs.gid=..\n virtfs.mode=..\n virtfs.rdev=..\n
 *
 * in that order, each only when stored, every value printed as a C int
 * ("%d") and read back as atoi() does.  A missing file or line shows the
 * host's value.  Both names are hidden from the client; the metadata file
 * follows its object on link, rename and unlink.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsdrv/internal.h"

#define META_DIR ".virtfs_metadata"
#define META_ROOT ".virtfs_metadata_root"
/* QEMU writes at most four short lines; more is not one of its files. */
#define META_MAX 4096

static const struct {
    const char *key;
    unsigned bit;
} keys[] = {
    { "virtfs.uid", FSDRV_META_UID },
    { "virtfs.gid", FSDRV_META_GID },
    { "virtfs.mode", FSDRV_META_MODE },
    { "virtfs.rdev", FSDRV_META_RDEV },
};

static bool file_name_hidden(const char *name)
{
    return !strcmp(name, META_DIR) || !strcmp(name, META_ROOT);
}

/* The metadata directory in `dirfd` (O_PATH), made first when `create`. */
static int open_meta_dir(int dirfd, bool create)
{
    if (create && FSDRV_NOINTR(mkdirat(dirfd, META_DIR, 0700)) < 0 && errno != EEXIST)
        return -errno;
    int fd = FSDRV_NOINTR(openat(dirfd, META_DIR,
                                 O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    return fd < 0 ? -errno : fd;
}

/*
 * Opens the metadata file of `name` in `dirfd` ("." is the directory
 * itself: the root's file).  O_NONBLOCK: a FIFO a host process put there
 * is refused, never waited on.
 */
static int open_meta(int dirfd, const char *name, int flags)
{
    flags |= O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
    int fd;
    if (!strcmp(name, "."))
        fd = FSDRV_NOINTR(openat(dirfd, META_ROOT, flags, 0600));
    else {
        int mdir = open_meta_dir(dirfd, flags & O_CREAT);
        if (mdir < 0)
            return mdir;
        fd = FSDRV_NOINTR(openat(mdir, name, flags, 0600));
        int saved = errno;
        close(mdir);
        errno = saved;
    }
    if (fd < 0)
        return -errno;
    struct stat st;
    if (FSDRV_NOINTR(fstat(fd, &st)) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    return fd;
}

/* Removes the metadata file of `name` in `dirfd`; none is no error. */
static int unlink_meta(int dirfd, const char *name)
{
    int mdir = open_meta_dir(dirfd, false);
    if (mdir < 0)
        return mdir == -ENOENT ? 0 : mdir;
    int err = FSDRV_NOINTR(unlinkat(mdir, name, 0)) < 0 && errno != ENOENT ? -errno : 0;
    close(mdir);
    return err;
}

/* Removes the metadata directory inside the directory `name`, if empty. */
static int drop_meta_dir(int dirfd, const char *name)
{
    int fd = FSDRV_NOINTR(openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd < 0)
        return -errno;
    int err = FSDRV_NOINTR(unlinkat(fd, META_DIR, AT_REMOVEDIR)) < 0 ? -errno : 0;
    close(fd);
    return err;
}

/* The lines as QEMU reads them: a key's prefix, one separator, atoi of the rest. */
static void parse(char *text, struct fsdrv_meta *m)
{
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
            size_t klen = strlen(keys[i].key);
            if (strncmp(line, keys[i].key, klen) != 0)
                continue;
            const char *val = line + klen;
            int v = atoi(*val ? val + 1 : val);
            /* QEMU keeps every value in an int: rdev is sign-extended. */
            fsdrv_meta_set(m, keys[i].bit, (uint64_t)(int64_t)v);
            break;
        }
    }
}

static int read_meta(int dirfd, const char *name, struct fsdrv_meta *m)
{
    m->has = 0;
    int fd = open_meta(dirfd, name, O_RDONLY);
    if (fd < 0)
        return fd == -ENOENT ? 0 : fd;
    char text[META_MAX + 1];
    ssize_t n = FSDRV_NOINTR(read(fd, text, META_MAX));
    int err = n < 0 ? -errno : 0;
    close(fd);
    if (!err) {
        text[n] = '\0';
        parse(text, m);
    }
    return err;
}

/*
 * `obj` as a directory fd and a name.  An object known only by its open
 * fd is found again by its node's path, which must still name its inode.
 */
static int obj_at(struct fsdrv_export *exp, const struct fsdrv_obj *obj, struct fsdrv_at *at)
{
    if (obj->dirfd >= 0) {
        *at = (struct fsdrv_at){ obj->dirfd, false, obj->name };
        return 0;
    }
    int err = fsdrv_at_node(exp, obj->node, at);
    if (err)
        return err;
    struct stat a, b;
    if (FSDRV_NOINTR(fstat(obj->fd, &a)) < 0 ||
        FSDRV_NOINTR(fstatat(at->dirfd, at->name, &b, AT_SYMLINK_NOFOLLOW)) < 0 ||
        a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        fsdrv_at_release(at);
        return -ESTALE;
    }
    return 0;
}

static int file_load(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                     struct fsdrv_meta *m)
{
    struct fsdrv_at at;
    int err = obj_at(exp, obj, &at);
    if (err)
        return err;
    err = read_meta(at.dirfd, at.name, m);
    fsdrv_at_release(&at);
    return err;
}

static int write_meta(int dirfd, const char *name, const struct fsdrv_meta *m)
{
    char text[META_MAX];
    size_t len = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        if (m->has & keys[i].bit)
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%s=%d\n", keys[i].key,
                                    (int)fsdrv_meta_get(m, keys[i].bit));
    }
    /* Rewritten in place, as QEMU: a hard link's names share the file. */
    int fd = open_meta(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC);
    if (fd < 0)
        return fd;
    ssize_t n = FSDRV_NOINTR(write(fd, text, len));
    int err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
    close(fd);
    return err;
}

static int file_store(struct fsdrv_export *exp, const struct fsdrv_obj *obj,
                      const struct fsdrv_meta *m, bool fresh)
{
    struct fsdrv_at at;
    int err = obj_at(exp, obj, &at);
    /* The open file lost its name: its metadata went with it. */
    if (err == -ESTALE || err == -ENOENT)
        return 0;
    if (err)
        return err;
    struct fsdrv_meta cur = { 0 };
    /* A new object: a stale file (maybe linked to another name's) is not its. */
    err = fresh ? unlink_meta(at.dirfd, at.name) : read_meta(at.dirfd, at.name, &cur);
    for (size_t i = 0; !err && i < G_N_ELEMENTS(keys); i++) {
        if (m->has & keys[i].bit)
            fsdrv_meta_set(&cur, keys[i].bit, fsdrv_meta_get(m, keys[i].bit));
    }
    if (!err)
        err = write_meta(at.dirfd, at.name, &cur);
    fsdrv_at_release(&at);
    return err;
}

/*
 * Gives `nname` the metadata of `oname`, by a hard link (link) or a rename;
 * whatever stale metadata `nname` had goes first.
 */
static int carry_meta(int odirfd, const char *oname, int ndirfd, const char *nname,
                      bool rename)
{
    int err = unlink_meta(ndirfd, nname);
    if (err)
        return err;
    int omdir = open_meta_dir(odirfd, false);
    if (omdir < 0)
        return omdir == -ENOENT ? 0 : omdir;
    int nmdir = open_meta_dir(ndirfd, true);
    if (nmdir < 0) {
        close(omdir);
        return nmdir;
    }
    int r = rename ? FSDRV_NOINTR(renameat(omdir, oname, nmdir, nname))
                   : FSDRV_NOINTR(linkat(omdir, oname, nmdir, nname, 0));
    err = r < 0 && errno != ENOENT ? -errno : 0;
    close(nmdir);
    close(omdir);
    return err;
}

static int file_link(struct fsdrv_export *exp, int olddirfd, const char *oldname,
                     int newdirfd, const char *newname)
{
    int err = fsdrv_native_link(exp, olddirfd, oldname, newdirfd, newname);
    if (err)
        return err;
    err = carry_meta(olddirfd, oldname, newdirfd, newname, false);
    if (err)
        unlinkat(newdirfd, newname, 0);
    return err;
}

static bool same_inode(int adirfd, const char *a, int bdirfd, const char *b)
{
    struct stat sa, sb;
    return FSDRV_NOINTR(fstatat(adirfd, a, &sa, AT_SYMLINK_NOFOLLOW)) == 0 &&
           FSDRV_NOINTR(fstatat(bdirfd, b, &sb, AT_SYMLINK_NOFOLLOW)) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int file_rename(struct fsdrv_export *exp, int olddirfd, const char *oldname,
                       int newdirfd, const char *newname)
{
    /* Two names of one file: rename(2) changes nothing, nor do we. */
    if (same_inode(olddirfd, oldname, newdirfd, newname))
        return fsdrv_native_rename(exp, olddirfd, oldname, newdirfd, newname);
    int err = fsdrv_native_rename(exp, olddirfd, oldname, newdirfd, newname);
    /* A directory the client sees empty may still hold an empty metadata directory. */
    if ((err == -ENOTEMPTY || err == -EEXIST) && drop_meta_dir(newdirfd, newname) == 0)
        err = fsdrv_native_rename(exp, olddirfd, oldname, newdirfd, newname);
    if (err)
        return err;
    err = carry_meta(olddirfd, oldname, newdirfd, newname, true);
    if (err)
        renameat(newdirfd, newname, olddirfd, oldname);     /* as QEMU: best effort */
    return err;
}

static int file_unlink(struct fsdrv_export *exp, int dirfd, const char *name, int flags)
{
    if (flags & AT_REMOVEDIR) {
        int err = drop_meta_dir(dirfd, name);
        if (err && err != -ENOENT)
            return err;
    }
    int err = fsdrv_native_unlink(exp, dirfd, name, flags);
    if (!err)
        unlink_meta(dirfd, name);   /* the object is gone: a leftover is only stale */
    return err;
}

static const struct fsdrv_meta_ops file_meta = {
    .load = file_load,
    .store = file_store,
};

const struct fsdrv_model_ops fsdrv_model_mapped_file = {
    .name = "mapped-file",
    FSDRV_MAPPED_HOOKS,
    .name_hidden = file_name_hidden,
    .link = file_link,
    .rename = file_rename,
    .unlink = file_unlink,
    .meta = &file_meta,
};
