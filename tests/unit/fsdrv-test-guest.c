// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsdrv: what a guest may do to the export (docs/security.md "What a guest
 * may do to the export"), under both models.  Each test is one of the
 * issue's proofs of concept: it tries what a hostile guest tried and checks
 * the refusal on the host, then that the device's opt-in lets it through.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/unit/fsdrv-fixture.h"
#include "tests/unit/fsdrv-tests.h"

/* A guest attached as root (n_uname 0) and one as an ordinary user. */
static const struct fsdrv_cred guest_root = { 0, 0 };
static const struct fsdrv_cred guest_user = { 1234, 2345 };

static ssize_t host_getxattr(struct fx *fx, const char *rel, const char *name)
{
    char *path = fx_path(fx, rel), buf[256];
    ssize_t n = lgetxattr(path, name, buf, sizeof(buf));
    g_free(path);
    return n < 0 ? -errno : n;
}

static int host_setxattr(struct fx *fx, const char *rel, const char *name, const void *value,
                         size_t size)
{
    char *path = fx_path(fx, rel);
    int r = lsetxattr(path, name, value, size, 0);
    g_free(path);
    return r < 0 ? -errno : 0;
}

/* A POSIX ACL as the kernel stores it: owner rwx, user 1234 rw-, group r-x, mask rwx, other r-x. */
static const uint8_t acl[] = {
    2, 0, 0, 0,                                             /* version */
    0x01, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,                  /* ACL_USER_OBJ */
    0x02, 0, 6, 0, 0xd2, 0x04, 0, 0,                        /* ACL_USER 1234 */
    0x04, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,                  /* ACL_GROUP_OBJ */
    0x10, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,                  /* ACL_MASK */
    0x20, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,                  /* ACL_OTHER */
};

/* A file capability giving cap_setuid (vfs_cap_data, revision 2, effective). */
static const uint8_t file_caps[20] = { 0x01, 0, 0, 0x02, 0x80, 0, 0, 0 };

/* ---- extended attributes: only user.*, ACLs by opt-in ------------------------ */

static const char *const foreign_names[] = {
    "security.capability", "security.selinux", "security.evm", "trusted.overlay.opaque",
    "trusted.anything", "system.posix_acl_access", "system.posix_acl_default",
    "system.nfs4_acl", "system.sockprotoname", "osx.x", "user",
};

/* The proof of concept: a guest plants capabilities, trusted.* and ACLs on its file. */
static void test_xattr_namespaces(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    fx_write(fx, "tool", "#!/bin/sh\n", 10);
    struct fsdrv_node *f = fx_walk(fx, "tool", NULL);
    char buf[256];
    for (size_t i = 0; i < G_N_ELEMENTS(foreign_names); i++) {
        const char *name = foreign_names[i];
        const void *value = strcmp(name, "security.capability") ? (const void *)acl : file_caps;
        size_t size = strcmp(name, "security.capability") ? sizeof(acl) : sizeof(file_caps);
        g_test_message("%s", name);
        g_assert_cmpint(fsdrv_setxattr(e, f, name, value, size, 0), ==, -EOPNOTSUPP);
        g_assert_cmpint(fsdrv_setxattr(e, f, name, value, size, XATTR_CREATE), ==, -EOPNOTSUPP);
        g_assert_cmpint(fsdrv_removexattr(e, f, name), ==, -EOPNOTSUPP);
        g_assert_cmpint(fsdrv_getxattr(e, f, name, buf, sizeof(buf)), ==, -EOPNOTSUPP);
        g_assert_cmpint(fsdrv_getxattr(e, f, name, NULL, 0), ==, -EOPNOTSUPP);
        g_assert_cmpint(host_getxattr(fx, "tool", name), <, 0);
        g_assert_cmpint(fsdrv_setxattr(e, fx->rootnode, name, value, size, 0), <, 0);
    }
    g_assert_cmpint(fsdrv_setxattr(e, f, "", "x", 1, 0), ==, -EINVAL);

    /* What the host put there is neither listed nor read nor removed. */
    if (fx_is_root() && host_setxattr(fx, "tool", "trusted.planted", "t", 1) == 0) {
        g_assert_cmpint(host_setxattr(fx, "tool", "security.capability", file_caps,
                                      sizeof(file_caps)), ==, 0);
        int r = fsdrv_setxattr(e, f, "user.mine", "m", 1, 0);
        g_assert_true(r == 0 || r == -EOPNOTSUPP);
        ssize_t n = fsdrv_listxattr(e, f, buf, sizeof(buf));
        g_assert_cmpint(n, ==, r == 0 ? (ssize_t)sizeof("user.mine") : 0);
        g_assert_cmpint(fsdrv_listxattr(e, f, NULL, 0), ==, n);
        g_assert_false(fx_list_has(buf, n, "trusted.planted"));
        g_assert_false(fx_list_has(buf, n, "security.capability"));
        g_assert_cmpint(fsdrv_getxattr(e, f, "trusted.planted", buf, sizeof(buf)), ==,
                        -EOPNOTSUPP);
        g_assert_cmpint(fsdrv_removexattr(e, f, "security.capability"), ==, -EOPNOTSUPP);
        g_assert_cmpint(host_getxattr(fx, "tool", "security.capability"), ==, sizeof(file_caps));
        g_assert_cmpint(host_getxattr(fx, "tool", "trusted.planted"), ==, 1);
    }
    fsdrv_node_unref(f);
}

static void test_xattr_acl_opt_in(struct fx *fx, gconstpointer v)
{
    fx_write(fx, "f", "x", 1);
    fx_mkdir(fx, "d");
    fx->cfg.allow_acl = true;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    struct fsdrv_node *f = fx_walk(fx, "f", NULL), *d = fx_walk(fx, "d", NULL);
    char buf[256];

    /* The root's ACLs are the administrator's, opt-in or not. */
    g_assert_cmpint(fsdrv_setxattr(e, fx->rootnode, "system.posix_acl_access", acl,
                                   sizeof(acl), 0), ==, -EPERM);
    g_assert_cmpint(fsdrv_setxattr(e, fx->rootnode, "system.posix_acl_default", acl,
                                   sizeof(acl), 0), ==, -EPERM);
    g_assert_cmpint(fsdrv_removexattr(e, fx->rootnode, "system.posix_acl_access"), ==, -EPERM);
    g_assert_cmpint(host_getxattr(fx, "", "system.posix_acl_access"), <, 0);
    g_assert_cmpint(host_getxattr(fx, "", "system.posix_acl_default"), <, 0);
    /* Still nothing but user.* and ACLs. */
    g_assert_cmpint(fsdrv_setxattr(e, f, "security.capability", file_caps, sizeof(file_caps),
                                   0), ==, -EOPNOTSUPP);
    g_assert_cmpint(fsdrv_setxattr(e, f, "trusted.x", "1", 1, 0), ==, -EOPNOTSUPP);

    int r = fsdrv_setxattr(e, f, "system.posix_acl_access", acl, sizeof(acl), 0);
    if (r == -EOPNOTSUPP) {
        g_test_skip("no POSIX ACLs on this filesystem");
        goto out;
    }
    g_assert_cmpint(r, ==, 0);
    g_assert_cmpint(host_getxattr(fx, "f", "system.posix_acl_access"), ==, sizeof(acl));
    g_assert_cmpint(fsdrv_getxattr(e, f, "system.posix_acl_access", buf, sizeof(buf)), ==,
                    sizeof(acl));
    ssize_t n = fsdrv_listxattr(e, f, buf, sizeof(buf));
    g_assert_true(fx_list_has(buf, n, "system.posix_acl_access"));
    g_assert_cmpint(fsdrv_setxattr(e, d, "system.posix_acl_default", acl, sizeof(acl), 0), ==, 0);
    g_assert_cmpint(fsdrv_removexattr(e, f, "system.posix_acl_access"), ==, 0);
    g_assert_cmpint(host_getxattr(fx, "f", "system.posix_acl_access"), <, 0);

    /* Without the opt-in, an ACL the host has is hidden. */
    fx->cfg.allow_acl = false;
    fx_reopen(fx);
    e = fx->exp;
    n = fsdrv_listxattr(e, d, buf, sizeof(buf));
    g_assert_false(fx_list_has(buf, n, "system.posix_acl_default"));
    g_assert_cmpint(fsdrv_getxattr(e, d, "system.posix_acl_default", buf, sizeof(buf)), ==,
                    -EOPNOTSUPP);
    g_assert_cmpint(fsdrv_removexattr(e, d, "system.posix_acl_default"), ==, -EOPNOTSUPP);
out:
    fsdrv_node_unref(d);
    fsdrv_node_unref(f);
}

/* ---- set-id bits ---------------------------------------------------------- */

static void assert_host_mode(struct fx *fx, const char *rel, mode_t want)
{
    struct stat st;
    g_assert_cmpint(fx_lstat(fx, rel, &st), ==, 0);
    fx_assert_mode(st.st_mode & 07777, ==, want);
}

/* The proof of concept: a guest as root makes a setuid-root (setgid) program on the host. */
static void test_setid_stripped(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    struct stat st;
    struct fsdrv_file *file;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "suid", O_RDWR, 04755, &guest_root, NULL,
                                 &file, &st), ==, 0);
    fx_assert_mode(st.st_mode & 07777, ==, 0755);
    assert_host_mode(fx, "suid", 0755);
    fx_assert_owner(fx, "suid", &guest_root);
    /* chmod through the open file, as the guest's chmod after its write. */
    struct fsdrv_node *suid = fx_walk(fx, "suid", NULL);
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_MODE, .mode = 04755 };
    g_assert_cmpint(fsdrv_setattr(e, suid, file, &sa), ==, 0);
    assert_host_mode(fx, "suid", 0755);
    fsdrv_close(file);
    sa.mode = 06711;
    g_assert_cmpint(fsdrv_setattr(e, suid, NULL, &sa), ==, 0);
    assert_host_mode(fx, "suid", 0711);

    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "sgid", O_RDWR, 02755, &guest_user, NULL,
                                 NULL, &st), ==, 0);
    assert_host_mode(fx, "sgid", 0755);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "sgid-dir", 02775, &guest_root, &st), ==, 0);
    assert_host_mode(fx, "sgid-dir", 0775);
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "node", S_IFREG | 06755, 0, &guest_root, &st),
                    ==, 0);
    assert_host_mode(fx, "node", 0755);
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "fifo", S_IFIFO | 02666, 0, &guest_root, &st),
                    ==, 0);
    assert_host_mode(fx, "fifo", 0666);
    /* The sticky bit is no privilege: it stays. */
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "tmp", 01777, &guest_root, &st), ==, 0);
    assert_host_mode(fx, "tmp", 01777);
    fsdrv_node_unref(suid);
}

static void test_setid_opt_in(struct fx *fx, gconstpointer v)
{
    if (!fx_is_root()) {
        g_test_skip("needs root (set-id bits for other owners)");
        return;
    }
    fx->cfg.allow_setid = true;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    struct stat st;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "suid", O_RDWR, 04755, &guest_user, NULL,
                                 NULL, &st), ==, 0);
    assert_host_mode(fx, "suid", 04755);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "sgid-dir", 02775, &guest_user, &st), ==, 0);
    assert_host_mode(fx, "sgid-dir", 02775);
    /* Owner and set-id mode at once: the mode wins over the chown's clearing. */
    struct fsdrv_node *suid = fx_walk(fx, "suid", NULL);
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_UID | FSDRV_SET_MODE, .uid = 444,
                                .mode = 06755 };
    g_assert_cmpint(fsdrv_setattr(e, suid, NULL, &sa), ==, 0);
    assert_host_mode(fx, "suid", 06755);
    fsdrv_node_unref(suid);
}

/* ---- ownership under none --------------------------------------------------- */

/* The guest does not choose host owners under none: what it makes is the daemon's,
 * an owner change it asks for succeeds and changes nothing (model-none.c). */
static void test_owners(struct fx *fx, gconstpointer data)
{
    const struct fsdrv_variant *v = data;
    if (!fx_is_root()) {
        g_test_skip("needs root (owners other than our own)");
        return;
    }
    struct fsdrv_export *e = fx->exp;
    struct stat st;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "f", O_RDWR, 0644, &guest_user, NULL, NULL,
                                 &st), ==, 0);
    fx_assert_owner(fx, "f", &guest_user);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "d", 0755, &guest_user, &st), ==, 0);
    fx_assert_owner(fx, "d", &guest_user);
    g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "s", "f", &guest_user, &st), ==, 0);
    fx_assert_owner(fx, "s", &guest_user);
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "p", S_IFIFO | 0644, 0, &guest_user, &st),
                    ==, 0);
    fx_assert_owner(fx, "p", &guest_user);

    /* A file the administrator gave to someone: the guest cannot take it over. */
    fx_write(fx, "theirs", "t", 1);
    char *path = fx_path(fx, "theirs");
    g_assert_cmpint(lchown(path, 777, 778), ==, 0);
    g_free(path);
    struct fsdrv_node *theirs = fx_walk(fx, "theirs", NULL);
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_UID | FSDRV_SET_GID, .uid = 0, .gid = 0 };
    g_assert_cmpint(fsdrv_setattr(e, theirs, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "theirs", &st), ==, 0);
    bool changes = v->model == FSDRV_MODEL_PASSTHROUGH;
    g_assert_cmpuint(st.st_uid, ==, changes ? 0 : 777);
    g_assert_cmpuint(st.st_gid, ==, changes ? 0 : 778);
    fsdrv_node_unref(theirs);
}

/* ---- the export root is the administrator's ---------------------------------- */

/* The proof of concept: a guest makes the host's directory world-writable, or its own. */
static void test_root_attrs(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    struct stat before, st;
    g_assert_cmpint(fx_lstat(fx, "", &before), ==, 0);
    fx_assert_mode(before.st_mode & 07777, ==, 0755);

    struct fsdrv_setattr sa = { .valid = FSDRV_SET_MODE, .mode = 01777 };
    g_assert_cmpint(fsdrv_setattr(e, fx->rootnode, NULL, &sa), ==, -EPERM);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_UID, .uid = 4242 };
    g_assert_cmpint(fsdrv_setattr(e, fx->rootnode, NULL, &sa), ==, -EPERM);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_GID, .gid = 4242 };
    g_assert_cmpint(fsdrv_setattr(e, fx->rootnode, NULL, &sa), ==, -EPERM);
    /* Nothing of a mixed request is done. */
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE | FSDRV_SET_MTIME_SET | FSDRV_SET_MTIME,
                                 .mode = 0777, .mtime = { 1000, 0 } };
    g_assert_cmpint(fsdrv_setattr(e, fx->rootnode, NULL, &sa), ==, -EPERM);
    /* Through the open root as well. */
    struct fsdrv_file *dir;
    g_assert_cmpint(fsdrv_open(e, fx->rootnode, O_RDONLY, NULL, &dir), ==, 0);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE, .mode = 0777 };
    g_assert_cmpint(fsdrv_setattr(e, fx->rootnode, dir, &sa), ==, -EPERM);
    fsdrv_close(dir);
    g_assert_cmpint(fx_lstat(fx, "", &st), ==, 0);
    g_assert_cmpuint(st.st_mode, ==, before.st_mode);
    g_assert_cmpuint(st.st_uid, ==, before.st_uid);
    g_assert_cmpuint(st.st_gid, ==, before.st_gid);
    g_assert_cmpint(st.st_mtim.tv_sec, ==, before.st_mtim.tv_sec);

    /* Asking for what it already is changes nothing: allowed; so are times. */
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE | FSDRV_SET_UID | FSDRV_SET_GID,
                                 .mode = before.st_mode & 07777, .uid = before.st_uid,
                                 .gid = before.st_gid };
    g_assert_cmpint(fsdrv_setattr(e, fx->rootnode, NULL, &sa), ==, 0);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MTIME_SET | FSDRV_SET_MTIME,
                                 .mtime = { 1000, 0 } };
    g_assert_cmpint(fsdrv_setattr(e, fx->rootnode, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "", &st), ==, 0);
    g_assert_cmpint(st.st_mtim.tv_sec, ==, 1000);
    /* Its user.* attributes are the guest's. */
    int r = fsdrv_setxattr(e, fx->rootnode, "user.note", "n", 1, 0);
    g_assert_true(r == 0 || r == -EOPNOTSUPP);
    /* A subdirectory is the guest's. */
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "sub", 0755, &guest_root, &st), ==, 0);
    struct fsdrv_node *sub = fx_walk(fx, "sub", NULL);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE, .mode = 01777 };
    g_assert_cmpint(fsdrv_setattr(e, sub, NULL, &sa), ==, 0);
    assert_host_mode(fx, "sub", 01777);
    fsdrv_node_unref(sub);
}

/* ---- device nodes -------------------------------------------------------------- */

/* The proof of concept: a guest makes a node of the host's disk and of its memory. */
static void test_device_nodes(struct fx *fx, gconstpointer v)
{
    struct stat host, st;
    g_assert_cmpint(fx_lstat(fx, "", &host), ==, 0);
    const dev_t disk = host.st_dev, mem = makedev(1, 1);
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "disk", S_IFBLK | 0666, disk, &guest_root,
                                &st), ==, -EPERM);
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "mem", S_IFCHR | 0666, mem, &guest_root,
                                &st), ==, -EPERM);
    g_assert_false(fx_exists(fx, "disk"));
    g_assert_false(fx_exists(fx, "mem"));
    /* FIFOs and sockets are the guest's own business. */
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "fifo", S_IFIFO | 0600, 0, &guest_root, &st),
                    ==, 0);
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "sock", S_IFSOCK | 0600, 0, &guest_root, &st),
                    ==, 0);

    if (!fx_is_root())
        return;
    fx->cfg.allow_devices = true;
    fx_reopen(fx);
    e = fx->exp;
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "disk", S_IFBLK | 0600, disk, &guest_root,
                                &st), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "disk", &st), ==, 0);
    g_assert_true(S_ISBLK(st.st_mode));
    g_assert_cmpuint(st.st_rdev, ==, disk);
    /* Made, never opened (fsdrv-test-escape.c "devices"). */
    struct fsdrv_node *n = fx_walk(fx, "disk", NULL);
    struct fsdrv_file *f = NULL;
    g_assert_cmpint(fsdrv_open(e, n, O_RDONLY, NULL, &f), ==, -ENXIO);
    fsdrv_node_unref(n);
}

void fsdrv_tests_guest(void)
{
    fx_add("guest/xattr_namespaces", test_xattr_namespaces);
    fx_add("guest/xattr_acl_opt_in", test_xattr_acl_opt_in);
    fx_add("guest/setid_stripped", test_setid_stripped);
    fx_add("guest/setid_opt_in", test_setid_opt_in);
    fx_add("guest/owners", test_owners);
    fx_add("guest/root_attrs", test_root_attrs);
    fx_add("guest/device_nodes", test_device_nodes);
}
