// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The proofs of concept as a hostile guest sends them, 9P2000.L
 * through the server, each refusal checked on the export's disk
 * (docs/security.md "What a guest may do to the export", docs/design.md
 * "Limits"): under none, a guest attached as root (n_uname 0) makes set-id
 * programs, plants file capabilities, trusted.* and ACL attributes, opens
 * the export root to everyone; under passthrough it makes a node of the
 * host's disk; it writes and truncates past max-space through an unlinked
 * file; it makes 5000 directories with max-files=2.  Then each opt-in.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/unit/server-harness.h"

#define ROOT 1

/* A session whose guest attached as root (n_uname 0), as in the issue. */
static struct harness *attach_as_root(const struct h_options *opt)
{
    struct harness *h = h_new(opt);
    h_reply_free(h_version(h, 65536, "9P2000.L"));
    g_assert_cmpint(h_attach(h, ROOT, "root", "", 0, NULL), ==, 0);
    return h;
}

/* The errno of a request (0: success). */
static int rpc_err(struct harness *h, uint8_t id, const union p9_arg *a)
{
    struct h_reply *r = h_rpc(h, id, a);
    int err = r->r.id == P9_RLERROR ? r->r.error : 0;
    h_reply_free(r);
    return err;
}

static void fid_at(struct harness *h, uint32_t fid, const char *path)
{
    g_assert_cmpint(h_walk(h, ROOT, fid, path, NULL), >=, 0);
}

static mode_t host_mode(struct harness *h, const char *rel)
{
    struct stat st;
    g_assert_cmpint(h_lstat(h, rel, &st), ==, 0);
    return st.st_mode & 07777;
}

static int tsetattr(struct harness *h, uint32_t fid, uint32_t valid, uint32_t mode, uint32_t uid,
                    uint64_t size)
{
    union p9_arg a[10] = { { .d = fid }, { .d = valid }, { .d = mode }, { .d = uid },
                           { .d = uid }, { .q = size } };
    return rpc_err(h, P9_TSETATTR, a);
}

static int tmkdir(struct harness *h, uint32_t dfid, const char *name, uint32_t mode)
{
    union p9_arg a[4] = { { .d = dfid }, { .s = p9_str_of(name) }, { .d = mode }, { .d = 0 } };
    return rpc_err(h, P9_TMKDIR, a);
}

/* Txattrcreate, the value's Twrite and the Tclunk that sets it: the first errno. */
static int set_xattr(struct harness *h, uint32_t fid, const char *name, const void *value,
                     size_t size)
{
    union p9_arg a[4] = { { .d = fid }, { .s = p9_str_of(name) }, { .q = size }, { .d = 0 } };
    int err = rpc_err(h, P9_TXATTRCREATE, a);
    if (err)
        return err;
    if (size)
        g_assert_cmpint(h_write(h, fid, 0, value, (uint32_t)size), ==, (long)size);
    return h_clunk(h, fid);
}

/* Txattrwalk of `name` ("" = the list) into `newfid`: its size, or -errno. */
static long walk_xattr(struct harness *h, uint32_t fid, uint32_t newfid, const char *name)
{
    union p9_arg a[3] = { { .d = fid }, { .d = newfid }, { .s = p9_str_of(name) } };
    struct h_reply *r = h_rpc(h, P9_TXATTRWALK, a);
    long size = r->r.id == P9_RLERROR ? -(long)r->r.error : (long)r->r.body.a[0].q;
    h_reply_free(r);
    return size;
}

static bool host_has_xattr(struct harness *h, const char *rel, const char *name)
{
    char *path = h_path(h, rel);
    bool has = lgetxattr(path, name, NULL, 0) >= 0;
    g_free(path);
    return has;
}

/* vfs_cap_data revision 2, effective, cap_setuid permitted. */
static const uint8_t file_caps[20] = { 0x01, 0, 0, 0x02, 0x80 };
/* A POSIX ACL granting user 1000 read (a minimal one would just be the mode). */
static const uint8_t acl[] = {
    2, 0, 0, 0,
    1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,     /* owner rw- */
    2, 0, 4, 0, 0xe8, 0x03, 0, 0,           /* user 1000 r-- */
    4, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,     /* group r-- */
    16, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,    /* mask r-- */
    32, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,    /* other --- */
};

/* ---- under none, as root ---- */

static void test_setid_programs(void)
{
    struct harness *h = attach_as_root(NULL);
    fid_at(h, 2, "");
    union p9_arg c[5] = { { .d = 2 }, { .s = p9_str_of("rootshell") }, { .d = P9_DOTL_RDWR },
                          { .d = 04755 }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TLCREATE, c));
    g_assert_cmpint(h_write(h, 2, 0, "\177ELF", 4), ==, 4);
    g_assert_cmpuint(host_mode(h, "rootshell"), ==, 0755);
    struct stat st;
    g_assert_cmpint(h_lstat(h, "rootshell", &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, geteuid());
    g_assert_cmpint(tsetattr(h, 2, P9_ATTR_MODE, 06755, 0, 0), ==, 0);
    g_assert_cmpuint(host_mode(h, "rootshell"), ==, 0755);
    g_assert_cmpint(tmkdir(h, ROOT, "sgid", 02755), ==, 0);
    g_assert_cmpuint(host_mode(h, "sgid"), ==, 0755);
    union p9_arg m[6] = { { .d = ROOT }, { .s = p9_str_of("node") }, { .d = S_IFREG | 02755 },
                          { .d = 0 }, { .d = 0 }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TMKNOD, m));
    g_assert_cmpuint(host_mode(h, "node"), ==, 0755);
    /* The guest does not choose owners under none: asked, ignored. */
    g_assert_cmpint(tsetattr(h, 2, P9_ATTR_UID | P9_ATTR_GID, 0, 1000, 0), ==, 0);
    g_assert_cmpint(h_lstat(h, "rootshell", &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, geteuid());
    g_assert_cmpint(h_clunk(h, 2), ==, 0);
    h_free(h);

    /* allow-setid: the bits reach the host. */
    struct h_options opt = { .allow_setid = true };
    h = attach_as_root(&opt);
    g_assert_cmpint(tmkdir(h, ROOT, "sgid", 02755), ==, 0);
    g_assert_cmpuint(host_mode(h, "sgid"), ==, 02755);
    h_free(h);
}

static void test_xattr_planting(void)
{
    struct harness *h = attach_as_root(NULL);
    h_put_file(h, "tool", "#!/bin/sh\n", 10);
    static const char *const names[] = {
        "security.capability", "trusted.overlay.opaque", "system.posix_acl_access",
        "system.posix_acl_default", "security.selinux",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        fid_at(h, 2, "tool");
        const void *value = i == 0 ? (const void *)file_caps : acl;
        size_t size = i == 0 ? sizeof(file_caps) : sizeof(acl);
        g_assert_cmpint(set_xattr(h, 2, names[i], value, size), ==, EOPNOTSUPP);
        /* Removal (an empty XATTR_REPLACE value) and reads are refused too. */
        union p9_arg rm[4] = { { .d = 2 }, { .s = p9_str_of(names[i]) }, { .q = 0 },
                               { .d = XATTR_REPLACE } };
        g_assert_cmpint(rpc_err(h, P9_TXATTRCREATE, rm), ==, EOPNOTSUPP);
        g_assert_cmpint(walk_xattr(h, 2, 3, names[i]), ==, -EOPNOTSUPP);
        g_assert_cmpint(h_clunk(h, 2), ==, 0);
        g_assert_false(host_has_xattr(h, "tool", names[i]));
    }
    /* What the host put there stays out of the guest's sight. */
    char *path = h_path(h, "tool");
    g_assert_cmpint(lsetxattr(path, "trusted.host", "h", 1, 0), ==, 0);
    g_free(path);
    fid_at(h, 2, "tool");
    g_assert_cmpint(walk_xattr(h, 2, 3, ""), ==, 0);
    g_assert_cmpint(h_clunk(h, 3), ==, 0);
    g_assert_cmpint(walk_xattr(h, 2, 3, "trusted.host"), ==, -EOPNOTSUPP);
    /* user.* is the guest's. */
    g_assert_cmpint(set_xattr(h, 2, "user.note", "n", 1), ==, 0);
    g_assert_true(host_has_xattr(h, "tool", "user.note"));
    h_free(h);
}

static void test_export_root(void)
{
    struct harness *h = attach_as_root(NULL);
    const mode_t before = host_mode(h, ".");
    g_assert_cmpint(tsetattr(h, ROOT, P9_ATTR_MODE, 01777, 0, 0), ==, EPERM);
    g_assert_cmpint(tsetattr(h, ROOT, P9_ATTR_UID, 0, 1000, 0), ==, EPERM);
    g_assert_cmpint(tsetattr(h, ROOT, P9_ATTR_GID, 0, 1000, 0), ==, EPERM);
    g_assert_cmpuint(host_mode(h, "."), ==, before);
    g_assert_cmpint(tsetattr(h, ROOT, P9_ATTR_MTIME, 0, 0, 0), ==, 0);
    fid_at(h, 2, "");
    g_assert_cmpint(set_xattr(h, 2, "system.posix_acl_access", acl, sizeof(acl)), ==, EPERM);
    g_assert_cmpint(set_xattr(h, 2, "system.posix_acl_default", acl, sizeof(acl)), ==, EPERM);
    g_assert_false(host_has_xattr(h, ".", "system.posix_acl_access"));
    g_assert_cmpint(h_clunk(h, 2), ==, 0);
    h_free(h);

    /* allow-acl: files get ACLs, the root still does not. */
    struct h_options opt = { .allow_acl = true };
    h = attach_as_root(&opt);
    fid_at(h, 2, "");
    g_assert_cmpint(set_xattr(h, 2, "system.posix_acl_access", acl, sizeof(acl)), ==, EPERM);
    g_assert_cmpint(h_clunk(h, 2), ==, 0);
    h_put_file(h, "f", "", 0);
    fid_at(h, 2, "f");
    int err = set_xattr(h, 2, "system.posix_acl_access", acl, sizeof(acl));
    g_assert_true(err == 0 || err == EOPNOTSUPP);   /* the filesystem's own answer */
    g_assert_cmpint(host_has_xattr(h, "f", "system.posix_acl_access"), ==, err == 0);
    h_free(h);
}

/* ---- under passthrough: device nodes ---- */

static void test_device_node(void)
{
    struct h_options opt = { .model = FSDRV_MODEL_PASSTHROUGH };
    struct harness *h = attach_as_root(&opt);
    struct stat root;
    g_assert_cmpint(h_lstat(h, ".", &root), ==, 0);
    union p9_arg m[6] = { { .d = ROOT }, { .s = p9_str_of("disk") }, { .d = S_IFBLK | 0666 },
                          { .d = major(root.st_dev) }, { .d = minor(root.st_dev) }, { .d = 0 } };
    g_assert_cmpint(rpc_err(h, P9_TMKNOD, m), ==, EPERM);
    g_assert_false(h_exists(h, "disk"));
    m[2].d = S_IFCHR | 0666;
    g_assert_cmpint(rpc_err(h, P9_TMKNOD, m), ==, EPERM);
    m[1].s = p9_str_of("fifo");
    m[2].d = S_IFIFO | 0600;
    g_assert_cmpint(rpc_err(h, P9_TMKNOD, m), ==, 0);
    h_free(h);

    opt.allow_devices = true;
    h = attach_as_root(&opt);
    m[1].s = p9_str_of("disk");
    m[2].d = S_IFBLK | 0600;
    g_assert_cmpint(rpc_err(h, P9_TMKNOD, m), ==, 0);
    struct stat st;
    g_assert_cmpint(h_lstat(h, "disk", &st), ==, 0);
    g_assert_true(S_ISBLK(st.st_mode));
    h_free(h);
}

/* ---- quotas ---- */

/* Twrites of 60 KiB from `offset` until an error or `total`: the bytes written. */
static uint64_t twrite_until(struct harness *h, uint32_t fid, uint64_t total, int *err)
{
    static char chunk[60 * 1024];
    uint64_t done = 0;
    *err = 0;
    while (done < total) {
        long n = h_write(h, fid, done, chunk, (uint32_t)MIN(sizeof(chunk), total - done));
        if (n <= 0) {
            *err = n < 0 ? (int)-n : ENOSPC;
            break;
        }
        done += (uint64_t)n;
    }
    return done;
}

/* ---- the mapped models: the guest's view is metadata it cannot reach ---- */

static void test_mapped_metadata(gconstpointer data)
{
    struct h_options opt = { .model = (enum fsdrv_model)GPOINTER_TO_INT(data) };
    bool file_model = opt.model == FSDRV_MODEL_MAPPED_FILE;
    struct harness *h = attach_as_root(&opt);
    fid_at(h, 2, "");
    union p9_arg c[5] = { { .d = 2 }, { .s = p9_str_of("prog") }, { .d = P9_DOTL_RDWR },
                          { .d = 04755 }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TLCREATE, c));
    /* The guest's owner and set-uid bit: its view only, the host file stays the server's. */
    g_assert_cmpint(tsetattr(h, 2, P9_ATTR_UID | P9_ATTR_GID, 0, 1000, 0), ==, 0);
    struct h_reply *r = h_getattr(h, 2);
    g_assert_cmpuint(r->r.body.a[2].d, ==, S_IFREG | 04755);
    g_assert_cmpuint(r->r.body.a[3].d, ==, 1000);
    h_reply_free(r);
    struct stat st;
    g_assert_cmpint(h_lstat(h, "prog", &st), ==, 0);
    g_assert_cmpuint(st.st_mode, ==, S_IFREG | 0600);
    g_assert_cmpuint(st.st_uid, ==, geteuid());
    /* A device: metadata of an empty regular file, no opt-in needed. */
    union p9_arg m[6] = { { .d = ROOT }, { .s = p9_str_of("disk") }, { .d = S_IFBLK | 0660 },
                          { .d = 8 }, { .d = 0 }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TMKNOD, m));
    g_assert_cmpint(h_lstat(h, "disk", &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    /* The stored view cannot be forged or read through the guest's attributes. */
    g_assert_cmpint(h_clunk(h, 2), ==, 0);
    fid_at(h, 2, "prog");
    g_assert_cmpint(set_xattr(h, 2, "user.virtfs.uid", "\0\0\0\0", 4), ==, EACCES);
    g_assert_cmpint(h_clunk(h, 2), ==, 0);
    fid_at(h, 2, "prog");
    g_assert_cmpint(walk_xattr(h, 2, 3, "user.virtfs.mode"), <, 0);
    g_assert_cmpint(h_clunk(h, 2), ==, 0);
    /* The metadata names: not walked to, not made, not renamed to. */
    static const char *const hidden[] = { ".virtfs_metadata", ".virtfs_metadata_root" };
    for (size_t i = 0; file_model && i < G_N_ELEMENTS(hidden); i++) {
        g_assert_cmpint(h_walk(h, ROOT, 4, hidden[i], NULL), <, 0);
        g_assert_cmpint(tmkdir(h, ROOT, hidden[i], 0755), !=, 0);
        union p9_arg rn[4] = { { .d = ROOT }, { .s = p9_str_of("prog") }, { .d = ROOT },
                               { .s = p9_str_of(hidden[i]) } };
        g_assert_cmpint(rpc_err(h, P9_TRENAMEAT, rn), !=, 0);
    }
    if (file_model) {
        g_assert_cmpint(h_lstat(h, ".virtfs_metadata/prog", &st), ==, 0);
        g_assert_cmpint(h_lstat(h, ".virtfs_metadata/disk", &st), ==, 0);
    } else {
        g_assert_true(host_has_xattr(h, "prog", "user.virtfs.uid"));
    }
    h_free(h);
}

static void test_unlinked_space(void)
{
    struct h_options opt = { .max_space = 1 << 20 };
    struct harness *h = attach_as_root(&opt);
    fid_at(h, 2, "");
    union p9_arg c[5] = { { .d = 2 }, { .s = p9_str_of("hidden") }, { .d = P9_DOTL_RDWR },
                          { .d = 0600 }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TLCREATE, c));
    union p9_arg u[3] = { { .d = ROOT }, { .s = p9_str_of("hidden") }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TUNLINKAT, u));
    int err;
    uint64_t written = twrite_until(h, 2, 256u << 20, &err);
    g_test_message("written through the unlinked file: %" G_GUINT64_FORMAT, written);
    g_assert_cmpint(err, ==, EDQUOT);
    g_assert_cmpuint(written, <=, 1u << 20);
    g_assert_cmpint(tsetattr(h, 2, P9_ATTR_SIZE, 0, 0, 256u << 20), ==, EDQUOT);
    /* Nothing else fits while it is held; after its clunk, it does. */
    fid_at(h, 3, "");
    c[0].d = 3;
    c[1].s = p9_str_of("next");
    h_reply_free(h_ok(h, P9_TLCREATE, c));
    g_assert_cmpuint(twrite_until(h, 3, 256 << 10, &err), <, 64 << 10);
    g_assert_cmpint(err, ==, EDQUOT);
    g_assert_cmpint(h_clunk(h, 2), ==, 0);
    g_assert_cmpuint(twrite_until(h, 3, 512 << 10, &err), ==, 512 << 10);
    h_free(h);
}

static void test_directories_count(void)
{
    struct h_options opt = { .max_files = 2 };
    struct harness *h = attach_as_root(&opt);
    unsigned made = 0, refused = 0;
    for (unsigned i = 0; i < 5000; i++) {
        char name[16];
        g_snprintf(name, sizeof(name), "d%u", i);
        int err = tmkdir(h, ROOT, name, 0755);
        made += err == 0;
        refused += err == EDQUOT;
    }
    g_assert_cmpuint(made, ==, 2);
    g_assert_cmpuint(refused, ==, 4998);
    g_assert_false(h_exists(h, "d2"));
    h_free(h);
}

int main(int argc, char **argv)
{
    h_init(&argc, &argv);
    g_test_add_func("/guest/none/setid-programs", test_setid_programs);
    g_test_add_func("/guest/none/xattr-planting", test_xattr_planting);
    g_test_add_func("/guest/none/export-root", test_export_root);
    g_test_add_func("/guest/passthrough/device-node", test_device_node);
    g_test_add_data_func("/guest/mapped-xattr/metadata", GINT_TO_POINTER(FSDRV_MODEL_MAPPED_XATTR),
                         test_mapped_metadata);
    g_test_add_data_func("/guest/mapped-file/metadata", GINT_TO_POINTER(FSDRV_MODEL_MAPPED_FILE),
                         test_mapped_metadata);
    g_test_add_func("/guest/quota/unlinked-space", test_unlinked_space);
    g_test_add_func("/guest/quota/directories-count", test_directories_count);
    return g_test_run();
}
