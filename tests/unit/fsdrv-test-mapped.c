// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsdrv: QEMU's mapped-xattr and mapped-file models (docs/security.md "The
 * mapped models").  Every test checks the client's view through fsdrv and
 * the exact bytes on the host, so that an export moves between QEMU and
 * xen9p both ways.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/unit/fsdrv-fixture.h"
#include "tests/unit/fsdrv-tests.h"

static const struct fsdrv_cred guest_user = { 1234, 2345 };

static bool is_xattr(struct fx *fx)
{
    return fx->cfg.model == FSDRV_MODEL_MAPPED_XATTR;
}

/* The host file `rel`: a regular file or directory of the daemon's with QEMU's host mode. */
static void assert_host(struct fx *fx, const char *rel, mode_t mode)
{
    struct stat host;
    g_assert_cmpint(fx_lstat(fx, rel, &host), ==, 0);
    fx_assert_mode(host.st_mode, ==, mode);
    g_assert_cmpuint(host.st_uid, ==, geteuid());
    g_assert_cmpuint(host.st_gid, ==, getegid());
}

static char *host_read(struct fx *fx, const char *rel)
{
    char *path = fx_path(fx, rel), *data = NULL;
    if (!g_file_get_contents(path, &data, NULL, NULL))
        data = NULL;
    g_free(path);
    return data;
}

static void host_xattr_set(struct fx *fx, const char *rel, const char *name,
                           const void *value, size_t size)
{
    char *path = fx_path(fx, rel);
    g_assert_cmpint(lsetxattr(path, name, value, size, 0), ==, 0);
    g_free(path);
}

/* Asserts an xattr's exact bytes (`size` -1: absent). */
static void assert_xattr(struct fx *fx, const char *rel, const char *name,
                         const uint8_t *want, ssize_t size)
{
    char *path = fx_path(fx, rel);
    uint8_t got[64];
    ssize_t n = lgetxattr(path, name, got, sizeof(got));
    g_free(path);
    if (size < 0) {
        g_assert_cmpint(n, ==, -1);
        g_assert_cmpint(errno, ==, ENODATA);
        return;
    }
    g_assert_cmpint(n, ==, size);
    g_assert_cmpmem(got, (size_t)n, want, (size_t)size);
}

static void le(uint8_t *b, uint64_t v, size_t size)
{
    for (size_t i = 0; i < size; i++, v >>= 8)
        b[i] = (uint8_t)v;
}

/*
 * Asserts what the host stores for `rel` (in directory `dir`, "" = the
 * root; name `name`): QEMU's xattrs (uid, gid, mode 4 bytes LE, rdev 8) or
 * QEMU's metadata file ("virtfs.<key>=%d\n" in the order uid, gid, mode,
 * rdev).  `has_rdev` false: no rdev stored.
 */
static void assert_stored(struct fx *fx, const char *dir, const char *name, uint32_t uid,
                          uint32_t gid, uint32_t mode, bool has_rdev, uint64_t rdev)
{
    char *rel = dir[0] ? g_strconcat(dir, "/", name, NULL) : g_strdup(name);
    if (is_xattr(fx)) {
        uint8_t b[8];
        le(b, uid, 4);
        assert_xattr(fx, rel, "user.virtfs.uid", b, 4);
        le(b, gid, 4);
        assert_xattr(fx, rel, "user.virtfs.gid", b, 4);
        le(b, mode, 4);
        assert_xattr(fx, rel, "user.virtfs.mode", b, 4);
        le(b, rdev, 8);
        assert_xattr(fx, rel, "user.virtfs.rdev", b, has_rdev ? 8 : -1);
    } else {
        char *want = g_strdup_printf("virtfs.uid=%d\nvirtfs.gid=%d\nvirtfs.mode=%d\n",
                                     (int)uid, (int)gid, (int)mode);
        if (has_rdev) {
            char *with = g_strdup_printf("%svirtfs.rdev=%d\n", want, (int)rdev);
            g_free(want);
            want = with;
        }
        char *meta = dir[0] ? g_strconcat(dir, "/.virtfs_metadata/", name, NULL)
                            : g_strconcat(".virtfs_metadata/", name, NULL);
        char *got = host_read(fx, meta);
        g_assert_cmpstr(got, ==, want);
        assert_host(fx, meta, S_IFREG | 0600);
        g_free(got);
        g_free(meta);
        g_free(want);
    }
    g_free(rel);
}

static void assert_view(struct fx *fx, const char *rel, uid_t uid, gid_t gid, mode_t mode)
{
    struct stat st;
    struct fsdrv_node *n = fx_walk(fx, rel, &st);
    g_assert_cmpuint(st.st_uid, ==, uid);
    g_assert_cmpuint(st.st_gid, ==, gid);
    fx_assert_mode(st.st_mode, ==, mode);
    fsdrv_node_unref(n);
}

/* ---- creating: the host gets QEMU's modes, the metadata the client's ---------- */

static void test_create(struct fx *fx, gconstpointer v)
{
    struct fsdrv_node *node;
    struct fsdrv_file *file;
    struct stat st;
    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, "f", O_RDWR, 0644, &guest_user,
                                 &node, &file, &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 1234);
    g_assert_cmpuint(st.st_gid, ==, 2345);
    fx_assert_mode(st.st_mode, ==, S_IFREG | 0644);
    assert_host(fx, "f", S_IFREG | 0600);
    assert_stored(fx, "", "f", 1234, 2345, S_IFREG | 0644, false, 0);
    /* Through the open file too (mapped-file finds it by its name). */
    g_assert_cmpint(fsdrv_getattr(fx->exp, node, file, &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 1234);
    fx_assert_mode(st.st_mode, ==, S_IFREG | 0644);
    g_assert_cmpint(fsdrv_pwrite(file, "data", 4, 0, NULL), ==, 4);
    fsdrv_close(file);
    fsdrv_node_unref(node);

    /* No cred: only the mode is stored, the owner is the daemon's. */
    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, "g", O_RDWR, 0640, NULL, NULL, NULL,
                                 &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, geteuid());
    fx_assert_mode(st.st_mode, ==, S_IFREG | 0640);
}

static void test_mkdir(struct fx *fx, gconstpointer v)
{
    struct stat st;
    g_assert_cmpint(fsdrv_mkdir(fx->exp, fx->rootnode, "d", 0755, &guest_user, &st), ==, 0);
    fx_assert_mode(st.st_mode, ==, S_IFDIR | 0755);
    g_assert_cmpuint(st.st_uid, ==, 1234);
    assert_host(fx, "d", S_IFDIR | 0700);
    assert_stored(fx, "", "d", 1234, 2345, S_IFDIR | 0755, false, 0);
    if (!is_xattr(fx))
        assert_host(fx, ".virtfs_metadata", S_IFDIR | 0700);

    /* Beneath it: the metadata goes into d's own metadata directory. */
    struct fsdrv_node *d = fx_walk(fx, "d", NULL);
    g_assert_cmpint(fsdrv_mkdir(fx->exp, d, "e", 0700, &guest_user, &st), ==, 0);
    assert_stored(fx, "d", "e", 1234, 2345, S_IFDIR | 0700, false, 0);
    assert_view(fx, "d/e", 1234, 2345, S_IFDIR | 0700);
    fsdrv_node_unref(d);
}

static void test_symlink(struct fx *fx, gconstpointer v)
{
    struct stat st;
    const char *target = "../elsewhere/x";
    g_assert_cmpint(fsdrv_symlink(fx->exp, fx->rootnode, "l", target, &guest_user, &st),
                    ==, 0);
    fx_assert_mode(st.st_mode, ==, S_IFLNK | 0777);
    /* A regular file holding the target, as QEMU stores it. */
    assert_host(fx, "l", S_IFREG | 0600);
    char *data = host_read(fx, "l");
    g_assert_cmpstr(data, ==, target);
    g_free(data);
    assert_stored(fx, "", "l", 1234, 2345, S_IFLNK | 0777, false, 0);

    struct fsdrv_node *l = fx_walk(fx, "l", &st);
    fx_assert_mode(st.st_mode, ==, S_IFLNK | 0777);
    char buf[64];
    g_assert_cmpint(fsdrv_readlink(fx->exp, l, buf, sizeof(buf)), ==, (ssize_t)strlen(target));
    g_assert_cmpmem(buf, strlen(target), target, strlen(target));
    g_assert_cmpint(fsdrv_readlink(fx->exp, l, buf, 3), ==, 3);
    g_assert_cmpmem(buf, 3, target, 3);
    /* chmod keeps the type. */
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_MODE, .mode = 0700 };
    g_assert_cmpint(fsdrv_setattr(fx->exp, l, NULL, &sa), ==, 0);
    assert_view(fx, "l", 1234, 2345, S_IFLNK | 0700);
    fsdrv_node_unref(l);

    /* readlink of what is no symlink in the client's view. */
    fx_write(fx, "plain", "../x", 4);
    struct fsdrv_node *p = fx_walk(fx, "plain", NULL);
    g_assert_cmpint(fsdrv_readlink(fx->exp, p, buf, sizeof(buf)), ==, -EINVAL);
    fsdrv_node_unref(p);
    /* A real symlink the host made still reads as one. */
    fx_symlink(fx, "hosttarget", "hostlink");
    struct fsdrv_node *h = fx_walk(fx, "hostlink", &st);
    fx_assert_mode(st.st_mode & S_IFMT, ==, S_IFLNK);
    g_assert_cmpint(fsdrv_readlink(fx->exp, h, buf, sizeof(buf)), ==, 10);
    fsdrv_node_unref(h);
}

static void test_mknod(struct fx *fx, gconstpointer v)
{
    struct stat st;
    g_assert_cmpint(fsdrv_mknod(fx->exp, fx->rootnode, "fifo", S_IFIFO | 0640, 0, &guest_user,
                                &st), ==, 0);
    fx_assert_mode(st.st_mode, ==, S_IFIFO | 0640);
    assert_host(fx, "fifo", S_IFREG | 0600);
    assert_stored(fx, "", "fifo", 1234, 2345, S_IFIFO | 0640, true, 0);

    g_assert_cmpint(fsdrv_mknod(fx->exp, fx->rootnode, "sock", S_IFSOCK | 0600, 0, &guest_user,
                                &st), ==, 0);
    fx_assert_mode(st.st_mode, ==, S_IFSOCK | 0600);
    assert_host(fx, "sock", S_IFREG | 0600);

    /* A device is only metadata here, as in QEMU: no allow_devices needed. */
    g_assert_false(fx->cfg.allow_devices);
    dev_t null = makedev(1, 3);
    g_assert_cmpint(fsdrv_mknod(fx->exp, fx->rootnode, "null", S_IFCHR | 0666, null,
                                &guest_user, &st), ==, 0);
    fx_assert_mode(st.st_mode, ==, S_IFCHR | 0666);
    g_assert_cmpuint(st.st_rdev, ==, null);
    /* Never a host device: an empty regular file. */
    assert_host(fx, "null", S_IFREG | 0600);
    assert_stored(fx, "", "null", 1234, 2345, S_IFCHR | 0666, true, null);
    dev_t big = makedev(8, 0x12345);
    g_assert_cmpint(fsdrv_mknod(fx->exp, fx->rootnode, "blk", S_IFBLK | 0600, big,
                                &guest_user, &st), ==, 0);
    g_assert_cmpuint(st.st_rdev, ==, big);
    assert_stored(fx, "", "blk", 1234, 2345, S_IFBLK | 0600, true, big);
    /* fsdrv never opens it as a device: it is the daemon's regular file. */
    struct fsdrv_node *n = fx_walk(fx, "null", &st);
    g_assert_cmpuint(st.st_rdev, ==, null);
    fsdrv_node_unref(n);
}

/* ---- changing: only the metadata, the host inode stays the daemon's ----------- */

static void test_chmod_chown(struct fx *fx, gconstpointer v)
{
    struct fsdrv_node *node;
    struct fsdrv_file *file;
    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, "f", O_RDWR, 0644, &guest_user,
                                 &node, &file, NULL), ==, 0);
    /* Set-id bits are stored as asked: they never reach the host inode. */
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_MODE, .mode = 06755 };
    g_assert_cmpint(fsdrv_setattr(fx->exp, node, NULL, &sa), ==, 0);
    assert_view(fx, "f", 1234, 2345, S_IFREG | 06755);
    assert_host(fx, "f", S_IFREG | 0600);
    assert_stored(fx, "", "f", 1234, 2345, S_IFREG | 06755, false, 0);

    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_UID | FSDRV_SET_GID, .uid = 42, .gid = 43 };
    g_assert_cmpint(fsdrv_setattr(fx->exp, node, NULL, &sa), ==, 0);
    assert_stored(fx, "", "f", 42, 43, S_IFREG | 06755, false, 0);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_UID, .uid = 7 };
    g_assert_cmpint(fsdrv_setattr(fx->exp, node, NULL, &sa), ==, 0);
    assert_view(fx, "f", 7, 43, S_IFREG | 06755);
    assert_host(fx, "f", S_IFREG | 0600);

    /* Through the open file. */
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE | FSDRV_SET_GID, .mode = 0600,
                                 .gid = 99 };
    g_assert_cmpint(fsdrv_setattr(fx->exp, node, file, &sa), ==, 0);
    assert_stored(fx, "", "f", 7, 99, S_IFREG | 0600, false, 0);
    /* An unlinked open file keeps working (mapped-file: its metadata went with it). */
    g_assert_cmpint(fsdrv_unlink(fx->exp, fx->rootnode, "f", 0), ==, 0);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE, .mode = 0644 };
    g_assert_cmpint(fsdrv_setattr(fx->exp, node, file, &sa), ==, 0);
    struct stat st;
    g_assert_cmpint(fsdrv_getattr(fx->exp, node, file, &st), ==, 0);
    g_assert_cmpuint(st.st_nlink, ==, 0);
    fsdrv_close(file);
    fsdrv_node_unref(node);
    if (!is_xattr(fx))
        g_assert_false(fx_exists(fx, ".virtfs_metadata/f"));
}

/* ---- missing or foreign metadata: the host's values show, as in QEMU ---------- */

static void test_fallback(struct fx *fx, gconstpointer v)
{
    fx_write(fx, "bare", "x", 1);
    g_assert_cmpint(fchmodat(fx->rootfd, "bare", 0604, 0), ==, 0);
    assert_view(fx, "bare", geteuid(), getegid(), S_IFREG | 0604);

    /* Metadata as QEMU wrote it, only some fields: the others are the host's. */
    fx_write(fx, "q", "", 0);
    if (is_xattr(fx)) {
        uint8_t b[8];
        le(b, 7, 4);
        host_xattr_set(fx, "q", "user.virtfs.uid", b, 4);
        le(b, S_IFREG | 0755, 4);
        host_xattr_set(fx, "q", "user.virtfs.mode", b, 4);
        /* A size QEMU never writes is ignored. */
        host_xattr_set(fx, "q", "user.virtfs.gid", b, 2);
    } else {
        g_assert_cmpint(mkdirat(fx->rootfd, ".virtfs_metadata", 0700), ==, 0);
        fx_write(fx, ".virtfs_metadata/q", "virtfs.uid=7\nvirtfs.mode=33261\n", 31);
    }
    assert_view(fx, "q", 7, getegid(), S_IFREG | 0755);

    /* A chown keeps what was stored and adds the rest. */
    struct fsdrv_node *q = fx_walk(fx, "q", NULL);
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_GID, .gid = 5 };
    g_assert_cmpint(fsdrv_setattr(fx->exp, q, NULL, &sa), ==, 0);
    fsdrv_node_unref(q);
    assert_view(fx, "q", 7, 5, S_IFREG | 0755);
    if (!is_xattr(fx)) {
        char *meta = host_read(fx, ".virtfs_metadata/q");
        g_assert_cmpstr(meta, ==, "virtfs.uid=7\nvirtfs.gid=5\nvirtfs.mode=33261\n");
        g_free(meta);
    }

    /* The root's own metadata (mapped-file: .virtfs_metadata_root). */
    if (is_xattr(fx)) {
        uint8_t b[4];
        le(b, 77, 4);
        host_xattr_set(fx, "", "user.virtfs.uid", b, 4);
    } else {
        fx_write(fx, ".virtfs_metadata_root", "virtfs.uid=77\n", 14);
    }
    struct stat st;
    g_assert_cmpint(fsdrv_getattr(fx->exp, fx->rootnode, NULL, &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 77);
    /* The root's owner stays the administrator's, in the client's view. */
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_UID, .uid = 77 };
    g_assert_cmpint(fsdrv_setattr(fx->exp, fx->rootnode, NULL, &sa), ==, 0);
    sa.uid = 78;
    g_assert_cmpint(fsdrv_setattr(fx->exp, fx->rootnode, NULL, &sa), ==, -EPERM);
}

/* ---- the metadata is out of the client's reach -------------------------------- */

static bool collect(const struct fsdrv_dirent *ent, void *opaque)
{
    GString *s = opaque;
    g_string_append_printf(s, "%s/%u ", ent->name, ent->type);
    return true;
}

static char *list_root(struct fx *fx)
{
    struct fsdrv_file *dir;
    g_assert_cmpint(fsdrv_open(fx->exp, fx->rootnode, O_RDONLY | O_DIRECTORY, NULL, &dir),
                    ==, 0);
    GString *s = g_string_new(NULL);
    g_assert_cmpint(fsdrv_readdir(fx->exp, dir, 0, collect, s), >, 0);
    fsdrv_close(dir);
    return g_string_free(s, FALSE);
}

static void test_hidden_names(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    struct stat st;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "f", O_RDWR, 0644, &guest_user, NULL, NULL,
                                 NULL), ==, 0);
    fx_write(fx, ".virtfs_metadata_root", "virtfs.mode=16877\n", 18);
    char *list = list_root(fx);
    /* As QEMU: no d_type under the mapped models. */
    g_assert_nonnull(strstr(list, "f/0 "));
    if (is_xattr(fx)) {
        /* mapped-xattr has no names of its own. */
        g_assert_nonnull(strstr(list, ".virtfs_metadata_root/"));
        g_free(list);
        return;
    }
    g_assert_null(strstr(list, ".virtfs_metadata"));
    g_free(list);

    const char *hidden[] = { ".virtfs_metadata", ".virtfs_metadata_root" };
    struct fsdrv_node *f = fx_walk(fx, "f", NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(hidden); i++) {
        const char *h = hidden[i];
        struct fsdrv_node *n = NULL;
        g_assert_cmpint(fsdrv_walk(e, fx->rootnode, h, &n, &st), ==, -ENOENT);
        g_assert_cmpint(fsdrv_create(e, fx->rootnode, h, O_RDWR, 0644, &guest_user, NULL, NULL,
                                     NULL), ==, -EINVAL);
        g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, h, 0755, &guest_user, NULL), ==, -EINVAL);
        g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, h, "t", &guest_user, NULL), ==, -EINVAL);
        g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, h, S_IFIFO | 0600, 0, &guest_user, NULL),
                        ==, -EINVAL);
        g_assert_cmpint(fsdrv_link(e, f, fx->rootnode, h), ==, -EINVAL);
        g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "f", fx->rootnode, h), ==, -EINVAL);
        g_assert_cmpint(fsdrv_rename(e, fx->rootnode, h, fx->rootnode, "g"), ==, -ENOENT);
        g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, h, 0), ==, -ENOENT);
        g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, h, AT_REMOVEDIR), ==, -ENOENT);
    }
    fsdrv_node_unref(f);
    assert_stored(fx, "", "f", 1234, 2345, S_IFREG | 0644, false, 0);
    g_assert_true(fx_exists(fx, ".virtfs_metadata_root"));
}

/* A guest's own user.virtfs.* attribute could forge an owner or a mode: all reserved. */
static void test_xattr_reserved(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "f", O_RDWR, 0644, &guest_user, NULL, NULL,
                                 NULL), ==, 0);
    struct fsdrv_node *f = fx_walk(fx, "f", NULL);
    uint8_t zero[4] = { 0 };
    char buf[256];
    const char *names[] = { "user.virtfs.uid", "user.virtfs.gid", "user.virtfs.mode",
                            "user.virtfs.rdev", "user.virtfs.system.posix_acl_access",
                            "user.virtfs.other" };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        g_assert_cmpint(fsdrv_setxattr(e, f, names[i], zero, 4, 0), ==, -EACCES);
        g_assert_cmpint(fsdrv_getxattr(e, f, names[i], buf, sizeof(buf)), ==, -EACCES);
        g_assert_cmpint(fsdrv_removexattr(e, f, names[i]), ==, -EACCES);
        g_assert_cmpint(fsdrv_xattr_check(e, f, names[i], false), ==, -EACCES);
    }
    g_assert_cmpint(fsdrv_setxattr(e, f, "user.mine", "v", 1, 0), ==, 0);
    ssize_t n = fsdrv_listxattr(e, f, buf, sizeof(buf));
    g_assert_cmpint(n, >, 0);
    g_assert_true(fx_list_has(buf, n, "user.mine"));
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        g_assert_false(fx_list_has(buf, n, names[i]));
    g_assert_cmpint(fsdrv_listxattr(e, f, NULL, 0), ==, (ssize_t)sizeof("user.mine"));
    fsdrv_node_unref(f);
    /* The stored view is untouched. */
    assert_stored(fx, "", "f", 1234, 2345, S_IFREG | 0644, false, 0);
}

/* ---- the metadata follows its file ------------------------------------------- */

static void test_follows(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "a", "target", &guest_user, NULL), ==, 0);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "d", 0750, &guest_user, NULL), ==, 0);
    struct fsdrv_node *d = fx_walk(fx, "d", NULL);

    /* Rename into another directory. */
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "a", d, "b"), ==, 0);
    assert_view(fx, "d/b", 1234, 2345, S_IFLNK | 0777);
    assert_stored(fx, "d", "b", 1234, 2345, S_IFLNK | 0777, false, 0);
    if (!is_xattr(fx))
        g_assert_false(fx_exists(fx, ".virtfs_metadata/a"));

    /* Hard link: both names share the metadata (mapped-file: one linked file). */
    struct fsdrv_node *b = fx_walk(fx, "d/b", NULL);
    g_assert_cmpint(fsdrv_link(e, b, fx->rootnode, "c"), ==, 0);
    assert_stored(fx, "", "c", 1234, 2345, S_IFLNK | 0777, false, 0);
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_UID, .uid = 5 };
    g_assert_cmpint(fsdrv_setattr(e, b, NULL, &sa), ==, 0);
    assert_view(fx, "c", 5, 2345, S_IFLNK | 0777);
    fsdrv_node_unref(b);

    /* Unlink: the name's metadata goes, the other name's stays. */
    g_assert_cmpint(fsdrv_unlink(e, d, "b", 0), ==, 0);
    if (!is_xattr(fx))
        g_assert_false(fx_exists(fx, "d/.virtfs_metadata/b"));
    assert_stored(fx, "", "c", 5, 2345, S_IFLNK | 0777, false, 0);

    /* A rename over another file: the replaced one's metadata goes. */
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "p", S_IFIFO | 0600, 0, &guest_user, NULL),
                    ==, 0);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "c", fx->rootnode, "p"), ==, 0);
    assert_view(fx, "p", 5, 2345, S_IFLNK | 0777);
    assert_stored(fx, "", "p", 5, 2345, S_IFLNK | 0777, false, 0);
    /* A file renamed over its own other name (rename(2) does nothing). */
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "p", fx->rootnode, "p"), ==, 0);
    assert_view(fx, "p", 5, 2345, S_IFLNK | 0777);

    /* The directory, now empty to the client, goes with its metadata directory. */
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "d", fx->rootnode, "d2"), ==, 0);
    fsdrv_node_unref(d);
    assert_view(fx, "d2", 1234, 2345, S_IFDIR | 0750);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "full", 0700, NULL, NULL), ==, 0);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "empty", 0700, NULL, NULL), ==, 0);
    struct fsdrv_node *full = fx_walk(fx, "full", NULL);
    g_assert_cmpint(fsdrv_mknod(e, full, "x", S_IFREG | 0600, 0, NULL, NULL), ==, 0);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "empty", fx->rootnode, "full"), ==,
                    -ENOTEMPTY);
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "full", AT_REMOVEDIR), ==, -ENOTEMPTY);
    assert_view(fx, "full/x", geteuid(), getegid(), S_IFREG | 0600);
    g_assert_cmpint(fsdrv_unlink(e, full, "x", 0), ==, 0);
    fsdrv_node_unref(full);
    /* QEMU leaves the metadata directory behind: it must not make "full" look full. */
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "empty", fx->rootnode, "full"), ==, 0);
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "d2", AT_REMOVEDIR), ==, 0);
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "full", AT_REMOVEDIR), ==, 0);
    g_assert_false(fx_exists(fx, "d2"));
    if (!is_xattr(fx)) {
        g_assert_false(fx_exists(fx, ".virtfs_metadata/d2"));
        g_assert_false(fx_exists(fx, ".virtfs_metadata/full"));
        g_assert_false(fx_exists(fx, ".virtfs_metadata/empty"));
    }
}

/* A stale metadata file (its object removed by a host process) is not a new file's. */
static void test_stale(struct fx *fx, gconstpointer v)
{
    if (is_xattr(fx))
        return;     /* attributes die with their inode */
    g_assert_cmpint(mkdirat(fx->rootfd, ".virtfs_metadata", 0700), ==, 0);
    fx_write(fx, ".virtfs_metadata/n", "virtfs.uid=1\nvirtfs.rdev=9\n", 27);
    g_assert_cmpint(fsdrv_mkdir(fx->exp, fx->rootnode, "n", 0755, &guest_user, NULL), ==, 0);
    assert_stored(fx, "", "n", 1234, 2345, S_IFDIR | 0755, false, 0);
}

/* ---- quotas: metadata is not the guest's to count, and cannot grow ------------ */

static void test_quota(struct fx *fx, gconstpointer v)
{
    fx->cfg.max_files = 3;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "d", 0755, &guest_user, NULL), ==, 0);
    struct fsdrv_node *d = fx_walk(fx, "d", NULL);
    g_assert_cmpint(fsdrv_symlink(e, d, "l", "t", &guest_user, NULL), ==, 0);
    g_assert_cmpint(fsdrv_mknod(e, d, "p", S_IFIFO | 0600, 0, &guest_user, NULL), ==, 0);
    g_assert_cmpint(fsdrv_mknod(e, d, "q", S_IFIFO | 0600, 0, &guest_user, NULL), ==, -EDQUOT);
    struct fsdrv_usage u;
    fsdrv_export_usage(e, &u);
    g_assert_cmpuint(u.files, ==, 3);
    /* The count made at open skips the metadata too. */
    fsdrv_node_unref(d);
    fx_reopen(fx);
    fsdrv_export_usage(fx->exp, &u);
    g_assert_cmpuint(u.files, ==, 3);
}

/* A symlink's target is file data here: counted when made, freed when removed. */
static void test_quota_space(struct fx *fx, gconstpointer v)
{
    fx->cfg.max_space = 64 * 1024;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    char *target = fx_long_name(3000);
    struct fsdrv_usage u;
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "l", target, &guest_user, NULL), ==, 0);
        struct stat host;
        g_assert_cmpint(fx_lstat(fx, "l", &host), ==, 0);
        fsdrv_export_usage(e, &u);
        g_assert_cmpuint(u.space, ==, (uint64_t)host.st_blocks * 512);
        g_assert_cmpuint(u.space, >, 0);
        g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "l", 0), ==, 0);
        fsdrv_export_usage(e, &u);
        g_assert_cmpuint(u.space, ==, 0);
    }
    /* No room left: refused like a write. */
    struct fsdrv_file *f;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "big", O_RDWR, 0600, NULL, NULL, &f, NULL),
                    ==, 0);
    g_assert_cmpint(fsdrv_fallocate(f, 0, 0, 64 * 1024), ==, 0);
    fsdrv_close(f);
    g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "l", target, &guest_user, NULL), ==,
                    -EDQUOT);
    g_assert_false(fx_exists(fx, "l"));
    g_free(target);
}

void fsdrv_tests_mapped(void)
{
    fx_add_mapped("mapped/create", test_create);
    fx_add_mapped("mapped/mkdir", test_mkdir);
    fx_add_mapped("mapped/symlink", test_symlink);
    fx_add_mapped("mapped/mknod", test_mknod);
    fx_add_mapped("mapped/chmod_chown", test_chmod_chown);
    fx_add_mapped("mapped/fallback", test_fallback);
    fx_add_mapped("mapped/hidden_names", test_hidden_names);
    fx_add_mapped("mapped/xattr_reserved", test_xattr_reserved);
    fx_add_mapped("mapped/follows", test_follows);
    fx_add_mapped("mapped/stale", test_stale);
    fx_add_mapped("mapped/quota", test_quota);
    fx_add_mapped("mapped/quota_space", test_quota_space);
}
