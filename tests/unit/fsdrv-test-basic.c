// SPDX-License-Identifier: GPL-2.0-or-later
/* fsdrv: every operation, under every variant. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/unit/fsdrv-fixture.h"
#include "tests/unit/fsdrv-tests.h"

static const struct fsdrv_cred cred_a = { 1234, 2345 };

/* ---- pure functions ----------------------------------------------------- */

static void test_name_valid(void)
{
    char *max = fx_long_name(NAME_MAX), *over = fx_long_name(NAME_MAX + 1);
    g_assert_true(fsdrv_name_valid("a", false));
    g_assert_true(fsdrv_name_valid("...", false));
    g_assert_true(fsdrv_name_valid(max, false));
    g_assert_false(fsdrv_name_valid(over, false));
    g_assert_false(fsdrv_name_valid("", false));
    g_assert_false(fsdrv_name_valid(NULL, false));
    g_assert_false(fsdrv_name_valid(".", false));
    g_assert_false(fsdrv_name_valid(".", true));
    g_assert_false(fsdrv_name_valid("..", false));
    g_assert_true(fsdrv_name_valid("..", true));
    g_assert_false(fsdrv_name_valid("a/b", false));
    g_assert_false(fsdrv_name_valid("/", true));
    g_assert_false(fsdrv_name_valid("a/", false));
    g_free(max);
    g_free(over);
}

/* Nodes made by name (fsdrv_child): their places, without the filesystem. */
static void test_nodes(struct fx *fx, gconstpointer v)
{
    struct fsdrv_node *root = fsdrv_root(fx->exp);
    char name[NAME_MAX + 1];
    g_assert_true(fsdrv_node_is_root(root));
    fx_assert_path(root, "");
    fsdrv_node_name(root, name);
    g_assert_cmpstr(name, ==, ".");

    struct fsdrv_node *a = fsdrv_child(root, "a");
    struct fsdrv_node *ab = fsdrv_child(a, "b");
    struct fsdrv_node *abc = fsdrv_child(ab, "c");
    fx_assert_path(abc, "a/b/c");
    fsdrv_node_name(abc, name);
    g_assert_cmpstr(name, ==, "c");
    g_assert_false(fsdrv_node_is_root(a));
    g_assert_null(fsdrv_child(root, "x/y"));
    g_assert_null(fsdrv_child(root, ".."));
    g_assert_null(fsdrv_child(root, "."));
    g_assert_null(fsdrv_child(root, ""));

    struct fsdrv_node *p = fsdrv_node_parent(abc);
    g_assert_true(p == ab);
    fsdrv_node_unref(p);
    p = fsdrv_node_parent(a);
    g_assert_true(fsdrv_node_is_root(p));
    fsdrv_node_unref(p);
    p = fsdrv_node_parent(root);
    g_assert_true(fsdrv_node_is_root(p));
    fsdrv_node_unref(p);

    struct fsdrv_node *ref = fsdrv_node_ref(abc);
    g_assert_true(ref == abc);
    fsdrv_node_unref(ref);
    /* The child holds its ancestors: dropping them first is fine. */
    fsdrv_node_unref(a);
    fsdrv_node_unref(ab);
    fx_assert_path(abc, "a/b/c");
    fsdrv_node_unref(abc);
    fsdrv_node_unref(root);
}

static uint64_t handles(struct fx *fx)
{
    struct fsdrv_usage u;
    fsdrv_export_usage(fx->exp, &u);
    return u.handles;
}

/*
 * Handles, not paths: one node per inode, shared by every walk; the host
 * renaming a directory above a node or the node's own inode does not break
 * it; the client's renames and removals move it; past the handle limit a
 * node is found by name.
 */
static void test_handles(struct fx *fx, gconstpointer v)
{
    fx_mkdir(fx, "a");
    fx_mkdir(fx, "a/b");
    fx_write(fx, "a/b/f", "data", 4);
    struct stat st;
    struct fsdrv_node *f = fx_walk(fx, "a/b/f", &st), *again = fx_walk(fx, "a/b/f", &st);
    g_assert_true(f == again);
    fsdrv_node_unref(again);
    struct fsdrv_node *b = fx_walk(fx, "a/b", &st);
    g_assert_cmpuint(handles(fx), >=, 2);       /* a and b were used as directories */

    /* The host moves "a" and renames "f": the node still reads its file. */
    char *from = fx_path(fx, "a"), *to = fx_path(fx, "moved");
    g_assert_cmpint(rename(from, to), ==, 0);
    g_free(from);
    g_free(to);
    struct fsdrv_file *file = NULL;
    char buf[8] = { 0 };
    g_assert_cmpint(fsdrv_open(fx->exp, f, O_RDONLY, NULL, &file), ==, 0);
    g_assert_cmpint(fsdrv_pread(file, buf, sizeof(buf), 0, NULL), ==, 4);
    g_assert_cmpstr(buf, ==, "data");
    fsdrv_close(file);
    from = fx_path(fx, "moved/b/f");
    to = fx_path(fx, "moved/b/g");
    g_assert_cmpint(rename(from, to), ==, 0);
    g_free(from);
    g_free(to);
    g_assert_cmpint(fsdrv_getattr(fx->exp, f, NULL, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 4);
    g_assert_cmpint(fsdrv_open(fx->exp, f, O_RDONLY, NULL, &file), ==, 0);
    fsdrv_close(file);
    /* Its directory's node creates where the directory is now. */
    struct fsdrv_node *made = NULL;
    g_assert_cmpint(fsdrv_create(fx->exp, b, "new", O_RDWR, 0600, NULL, &made, NULL, NULL), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "moved/b/new", &st), ==, 0);

    /* The client renames b: nodes beneath it follow, with no fid to fix up. */
    struct fsdrv_node *root = fsdrv_root(fx->exp), *moved = fx_walk(fx, "moved", &st);
    g_assert_true(moved != NULL);
    struct fsdrv_node *bparent = fsdrv_node_parent(b);
    char bname[NAME_MAX + 1];
    fsdrv_node_name(b, bname);
    g_assert_cmpint(fsdrv_rename(fx->exp, bparent, bname, root, "c"), ==, 0);
    fsdrv_node_unref(bparent);
    fx_assert_path(b, "c");
    fx_assert_path(made, "c/new");
    g_assert_cmpint(fsdrv_remove(fx->exp, made), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "c/new", &st), ==, -ENOENT);
    fx_assert_path(made, NULL);                 /* unnamed now */
    g_assert_cmpint(fsdrv_remove(fx->exp, made), ==, -ENOENT);
    fsdrv_node_unref(made);

    /* Replaced by a rename: the replaced node loses its name. */
    fx_write(fx, "x", "x", 1);
    fx_write(fx, "y", "y", 1);
    struct fsdrv_node *x = fx_walk(fx, "x", &st), *y = fx_walk(fx, "y", &st);
    g_assert_cmpint(fsdrv_rename(fx->exp, root, "x", root, "y"), ==, 0);
    fx_assert_path(x, "y");
    fx_assert_path(y, NULL);
    fsdrv_node_unref(x);
    fsdrv_node_unref(y);

    fsdrv_node_unref(moved);
    fsdrv_node_unref(root);
    fsdrv_node_unref(b);
    fsdrv_node_unref(f);
    g_assert_cmpuint(handles(fx), ==, 0);       /* every node is gone */

    /* A node without a handle is only as sure as its name: the host moves a
     * directory the client holds and makes a new one by the old name; the
     * client's walk to the moved one gets a node of its own. */
    fx_mkdir(fx, "sub");
    fx_mkdir(fx, "sub/d1");
    struct fsdrv_node *d1 = fx_walk(fx, "sub/d1", &st);
    from = fx_path(fx, "sub/d1");
    to = fx_path(fx, "sub/d2");
    g_assert_cmpint(rename(from, to), ==, 0);
    g_assert_cmpint(mkdir(from, 0755), ==, 0);
    g_free(from);
    g_free(to);
    struct fsdrv_node *d2 = fx_walk(fx, "sub/d2", &st);
    g_assert_true(d2 != d1);
    fx_assert_path(d2, "sub/d2");
    g_assert_cmpint(fsdrv_create(fx->exp, d2, "x", O_RDWR, 0600, NULL, NULL, NULL, NULL), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "sub/d2/x", &st), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "sub/d1/x", &st), ==, -ENOENT);
    /* With a handle it is the inode itself, wherever the host moves it. */
    from = fx_path(fx, "sub/d2");
    to = fx_path(fx, "sub/d3");
    g_assert_cmpint(rename(from, to), ==, 0);
    g_free(from);
    g_free(to);
    struct fsdrv_node *d3 = fx_walk(fx, "sub/d3", &st);
    g_assert_true(d3 == d2);
    fx_assert_path(d2, "sub/d3");
    fsdrv_node_unref(d3);
    fsdrv_node_unref(d2);
    fsdrv_node_unref(d1);

    /* Past the limit: nodes without handles, found by name. */
    fx->cfg.max_handles = 1;
    fx_reopen(fx);
    fx_mkdir(fx, "p");
    fx_mkdir(fx, "p/q");
    fx_mkdir(fx, "p/q/r");
    fx_write(fx, "p/q/r/s", "deep", 4);
    struct fsdrv_node *s = fx_walk(fx, "p/q/r/s", &st);
    g_assert_cmpuint(handles(fx), ==, 1);
    g_assert_cmpint(fsdrv_open(fx->exp, s, O_RDONLY, NULL, &file), ==, 0);
    g_assert_cmpint(fsdrv_pread(file, buf, sizeof(buf), 0, NULL), ==, 4);
    fsdrv_close(file);
    g_assert_cmpint(fsdrv_getattr(fx->exp, s, NULL, &st), ==, 0);
    g_assert_cmpuint(handles(fx), ==, 1);
    fsdrv_node_unref(s);
    g_assert_cmpuint(handles(fx), ==, 0);
}

static void test_file_id(struct fx *fx, gconstpointer v)
{
    struct stat st;
    g_assert_cmpint(fx_lstat(fx, "", &st), ==, 0);
    struct fsdrv_export *e = fx->exp;

    /* The root's device keeps its inode numbers. */
    g_assert_cmpuint(fsdrv_file_id(e, st.st_dev, 42), ==, 42);
    /* Another device: a different id for the same inode, stable. */
    dev_t other = makedev(250, 7);
    uint64_t o = fsdrv_file_id(e, other, 42);
    g_assert_cmpuint(o, !=, 42);
    g_assert_cmpuint(fsdrv_file_id(e, other, 42), ==, o);
    g_assert_cmpuint(fsdrv_file_id(e, other, 43), !=, o);

    /* Inodes beyond 48 bits go through the map: unique per (dev, ino). */
    ino_t big = (ino_t)1 << 50;
    uint64_t b1 = fsdrv_file_id(e, st.st_dev, big);
    uint64_t b2 = fsdrv_file_id(e, other, big);
    uint64_t b3 = fsdrv_file_id(e, st.st_dev, big + 1);
    g_assert_cmpuint(b1, !=, b2);
    g_assert_cmpuint(b1, !=, b3);
    g_assert_cmpuint(b2, !=, b3);
    g_assert_cmpuint(fsdrv_file_id(e, st.st_dev, big), ==, b1);
    g_assert_cmpuint(b1 >> 63, ==, 1);

    /* More devices than index slots: still unique. */
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    uint64_t *ids = g_new(uint64_t, 300);
    for (unsigned i = 0; i < 300; i++) {
        ids[i] = fsdrv_file_id(e, makedev(300 + i, 1), 99);
        g_assert_false(g_hash_table_contains(seen, &ids[i]));
        g_hash_table_add(seen, &ids[i]);
    }
    for (unsigned i = 0; i < 300; i++)
        g_assert_cmpuint(fsdrv_file_id(e, makedev(300 + i, 1), 99), ==, ids[i]);
    g_hash_table_destroy(seen);
    g_free(ids);
}

static void test_file_version(void)
{
    struct stat a = { 0 };
    a.st_size = 10;
    a.st_mtim.tv_sec = 1000;
    struct stat b = a;
    g_assert_cmpuint(fsdrv_file_version(&a), ==, fsdrv_file_version(&b));
    b.st_size = 11;
    g_assert_cmpuint(fsdrv_file_version(&a), !=, fsdrv_file_version(&b));
    b = a;
    b.st_mtim.tv_nsec = 1;
    g_assert_cmpuint(fsdrv_file_version(&a), !=, fsdrv_file_version(&b));
    /* ctime alone (link, chmod) must not move it: Linux tells inodes apart
     * by qid.version with cache=loose. */
    b = a;
    b.st_ctim.tv_sec = 5;
    b.st_nlink = 2;
    g_assert_cmpuint(fsdrv_file_version(&a), ==, fsdrv_file_version(&b));
}

/* ---- walk ------------------------------------------------------------ */

static void test_walk(struct fx *fx, gconstpointer v)
{
    fx_mkdir(fx, "d");
    fx_write(fx, "d/f", "x", 1);
    fx_symlink(fx, "d", "l");
    char *max = fx_long_name(NAME_MAX), *over = fx_long_name(NAME_MAX + 1);
    fx_write(fx, max, "m", 1);

    struct stat st, host, rootst;
    struct fsdrv_node *d = fx_walk(fx, "d", &st), *n = NULL;
    g_assert_true(S_ISDIR(st.st_mode));
    fx_assert_path(d, "d");

    g_assert_cmpint(fsdrv_walk(fx->exp, d, "f", &n, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    fx_assert_path(n, "d/f");
    /* A file has no children, and ".." of a file is no directory either. */
    struct fsdrv_node *bad = NULL;
    g_assert_cmpint(fsdrv_walk(fx->exp, n, "x", &bad, &st), ==, -ENOTDIR);
    g_assert_cmpint(fsdrv_walk(fx->exp, n, "..", &bad, &st), ==, -ENOTDIR);
    g_assert_null(bad);
    fsdrv_node_unref(n);

    /* A symlink is returned as itself, never followed. */
    g_assert_cmpint(fsdrv_walk(fx->exp, fx->rootnode, "l", &n, &st), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "l", &host), ==, 0);
    g_assert_true(S_ISLNK(st.st_mode));
    g_assert_cmpuint(st.st_ino, ==, host.st_ino);
    int err = fsdrv_walk(fx->exp, n, "f", &bad, &st);
    g_assert_true(err == -ENOTDIR || err == -ELOOP);
    err = fsdrv_walk(fx->exp, n, "..", &bad, &st);
    g_assert_true(err == -ENOTDIR || err == -ELOOP);
    fsdrv_node_unref(n);

    g_assert_cmpint(fsdrv_walk(fx->exp, fx->rootnode, "missing", &bad, &st), ==, -ENOENT);
    g_assert_cmpint(fsdrv_walk(fx->exp, fx->rootnode, max, &n, &st), ==, 0);
    fsdrv_node_unref(n);

    /* Names that are not one component. */
    g_assert_cmpint(fsdrv_walk(fx->exp, fx->rootnode, "", &bad, &st), ==, -EINVAL);
    g_assert_cmpint(fsdrv_walk(fx->exp, fx->rootnode, ".", &bad, &st), ==, -EINVAL);
    g_assert_cmpint(fsdrv_walk(fx->exp, fx->rootnode, "d/f", &bad, &st), ==, -EINVAL);
    g_assert_cmpint(fsdrv_walk(fx->exp, fx->rootnode, "/etc", &bad, &st), ==, -EINVAL);
    g_assert_cmpint(fsdrv_walk(fx->exp, fx->rootnode, over, &bad, &st), ==, -ENAMETOOLONG);
    g_assert_null(bad);

    /* ".." of the root is the root; ".." deeper is the parent. */
    g_assert_cmpint(fx_lstat(fx, "", &rootst), ==, 0);
    g_assert_cmpint(fsdrv_walk(fx->exp, fx->rootnode, "..", &n, &st), ==, 0);
    g_assert_true(fsdrv_node_is_root(n));
    g_assert_cmpuint(st.st_ino, ==, rootst.st_ino);
    g_assert_cmpuint(st.st_dev, ==, rootst.st_dev);
    fsdrv_node_unref(n);
    g_assert_cmpint(fsdrv_walk(fx->exp, d, "..", &n, &st), ==, 0);
    g_assert_true(fsdrv_node_is_root(n));
    g_assert_cmpuint(st.st_ino, ==, rootst.st_ino);
    fsdrv_node_unref(n);

    fsdrv_node_unref(d);
    g_free(max);
    g_free(over);
}

/* ---- create, open, read, write --------------------------------------- */

static void test_create_io(struct fx *fx, gconstpointer v)
{
    struct fsdrv_node *node = NULL;
    struct fsdrv_file *f = NULL;
    struct stat st, host;

    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, "f", O_RDWR, 0640, &cred_a,
                                 &node, &f, &st), ==, 0);
    fx_assert_path(node, "f");
    g_assert_false(fsdrv_file_is_dir(f));
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_cmpuint(host.st_ino, ==, st.st_ino);
    fx_assert_mode(host.st_mode & 07777, ==, 0640);
    fx_assert_owner(fx, "f", &cred_a);

    char buf[32] = { 0 };
    g_assert_cmpint(fsdrv_pwrite(f, "hello", 5, 0, NULL), ==, 5);
    g_assert_cmpint(fsdrv_pwrite(f, "world", 5, 10, NULL), ==, 5);
    g_assert_cmpint(fsdrv_fsync(f, false), ==, 0);
    g_assert_cmpint(fsdrv_fsync(f, true), ==, 0);
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, NULL), ==, 15);
    g_assert_cmpmem(buf, 5, "hello", 5);
    g_assert_cmpmem(buf + 10, 5, "world", 5);
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 100, NULL), ==, 0);
    g_assert_cmpint(fsdrv_pread(f, buf, 1, -1, NULL), ==, -EINVAL);
    g_assert_cmpint(fsdrv_getattr(fx->exp, node, f, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 15);
    fsdrv_close(f);

    /* The name exists now; bad names never reach the filesystem. */
    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, "f", O_RDWR, 0600, &cred_a,
                                 NULL, &f, NULL), ==, -EEXIST);
    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, "a/b", O_RDWR, 0600, &cred_a,
                                 NULL, &f, NULL), ==, -EINVAL);
    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, "..", O_RDWR, 0600, &cred_a,
                                 NULL, &f, NULL), ==, -EINVAL);

    /* Reopen: read-only, then truncating. */
    g_assert_cmpint(fsdrv_open(fx->exp, node, O_RDONLY, NULL, &f), ==, 0);
    g_assert_cmpint(fsdrv_pread(f, buf, 5, 0, NULL), ==, 5);
    g_assert_cmpint(fsdrv_pwrite(f, "x", 1, 0, NULL), ==, -EBADF);
    fsdrv_close(f);
    g_assert_cmpint(fsdrv_open(fx->exp, node, O_WRONLY | O_TRUNC, NULL, &f), ==, 0);
    fsdrv_close(f);
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_cmpint(host.st_size, ==, 0);
    g_assert_cmpint(fsdrv_open(fx->exp, node, O_RDONLY | O_DIRECTORY, NULL, &f), ==, -ENOTDIR);

    /* O_DIRECT is dropped: unaligned buffers keep working. */
    g_assert_cmpint(fsdrv_open(fx->exp, node, O_RDONLY | O_DIRECT | O_NOATIME, NULL, &f), ==, 0);
    g_assert_cmpint(fsdrv_pwrite(f, "x", 1, 0, NULL), ==, -EBADF);
    g_assert_cmpint(fsdrv_pread(f, buf + 1, 3, 1, NULL), ==, 0);
    fsdrv_close(f);

    /* O_APPEND */
    g_assert_cmpint(fsdrv_open(fx->exp, node, O_WRONLY | O_APPEND, NULL, &f), ==, 0);
    g_assert_cmpint(fsdrv_pwrite(f, "ab", 2, 0, NULL), ==, 2);
    g_assert_cmpint(fsdrv_pwrite(f, "cd", 2, 0, NULL), ==, 2);
    fsdrv_close(f);
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_cmpint(host.st_size, ==, 4);

    /* The umask does not apply; set-id bits are dropped (fsdrv-test-guest.c). */
    mode_t old = umask(077);
    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, "suid", O_WRONLY, 06755, &cred_a,
                                 NULL, NULL, &st), ==, 0);
    umask(old);
    g_assert_cmpint(fx_lstat(fx, "suid", &host), ==, 0);
    fx_assert_mode(host.st_mode & 07777, ==, 0755);
    fx_assert_mode(st.st_mode & 07777, ==, 0755);

    /* Directories open read-only; the root too. */
    g_assert_cmpint(fsdrv_open(fx->exp, fx->rootnode, O_RDONLY, NULL, &f), ==, 0);
    g_assert_true(fsdrv_file_is_dir(f));
    g_assert_cmpint(fsdrv_pread(f, buf, 1, 0, NULL), ==, -EISDIR);
    fsdrv_close(f);
    g_assert_cmpint(fsdrv_open(fx->exp, fx->rootnode, O_RDWR, NULL, &f), ==, -EISDIR);

    struct fsdrv_node *missing = fsdrv_child(fx->rootnode, "missing");
    g_assert_cmpint(fsdrv_open(fx->exp, missing, O_RDONLY, NULL, &f), ==, -ENOENT);
    fsdrv_node_unref(missing);

    struct fsdrv_usage u;
    fsdrv_export_usage(fx->exp, &u);
    g_assert_cmpuint(u.open_files, ==, 0);
    fsdrv_node_unref(node);
}

/* ---- mkdir, symlink, mknod ------------------------------------------- */

static void test_make(struct fx *fx, gconstpointer data)
{
    struct fsdrv_export *e = fx->exp;
    struct stat st, host;

    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "d", 0750, &cred_a, &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));
    fx_assert_mode(st.st_mode & 07777, ==, 0750);
    fx_assert_owner(fx, "d", &cred_a);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "d", 0750, &cred_a, &st), ==, -EEXIST);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, ".", 0750, &cred_a, &st), ==, -EINVAL);

    struct fsdrv_node *d = fx_walk(fx, "d", NULL);
    g_assert_cmpint(fsdrv_symlink(e, d, "s", "../../anywhere/at all", &cred_a, &st), ==, 0);
    g_assert_true(S_ISLNK(st.st_mode));
    fx_assert_owner(fx, "d/s", &cred_a);
    struct fsdrv_node *s = fx_walk(fx, "d/s", NULL);
    char buf[64];
    g_assert_cmpint(fsdrv_readlink(e, s, buf, sizeof(buf)), ==, 21);
    g_assert_cmpmem(buf, 21, "../../anywhere/at all", 21);
    g_assert_cmpint(fsdrv_readlink(e, s, buf, 4), ==, 4);
    g_assert_cmpmem(buf, 4, "../.", 4);
    g_assert_cmpint(fsdrv_readlink(e, d, buf, sizeof(buf)), ==, -EINVAL);
    g_assert_cmpint(fsdrv_symlink(e, d, "empty", "", &cred_a, &st), ==, -ENOENT);
    fsdrv_node_unref(s);

    g_assert_cmpint(fsdrv_mknod(e, d, "p", S_IFIFO | 0620, 0, &cred_a, &st), ==, 0);
    g_assert_true(S_ISFIFO(st.st_mode));
    fx_assert_mode(st.st_mode & 07777, ==, 0620);
    fx_assert_owner(fx, "d/p", &cred_a);
    g_assert_cmpint(fsdrv_mknod(e, d, "r", S_IFREG | 0604, 0, &cred_a, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    fx_assert_mode(st.st_mode & 07777, ==, 0604);
    g_assert_cmpint(fsdrv_mknod(e, d, "sock", S_IFSOCK | 0600, 0, &cred_a, &st), ==, 0);
    g_assert_true(S_ISSOCK(st.st_mode));
    g_assert_cmpint(fsdrv_mknod(e, d, "dir", S_IFDIR | 0600, 0, &cred_a, &st), ==, -EINVAL);
    g_assert_cmpint(fsdrv_mknod(e, d, "lnk", S_IFLNK | 0600, 0, &cred_a, &st), ==, -EINVAL);

    /* Device nodes: only where the export allows them. */
    g_assert_cmpint(fsdrv_mknod(e, d, "c", S_IFCHR | 0600, makedev(1, 3), &cred_a, &st),
                    ==, -EPERM);
    g_assert_cmpint(fsdrv_mknod(e, d, "b", S_IFBLK | 0600, makedev(7, 0), &cred_a, &st),
                    ==, -EPERM);
    g_assert_false(fx_exists(fx, "d/c"));
    g_assert_false(fx_exists(fx, "d/b"));
    if (fx_is_root()) {
        fx->cfg.allow_devices = true;
        fx_reopen(fx);
        e = fx->exp;
        g_assert_cmpint(fsdrv_mknod(e, d, "c", S_IFCHR | 0600, makedev(1, 3), &cred_a, &st),
                        ==, 0);
        g_assert_cmpint(fsdrv_mknod(e, d, "b", S_IFBLK | 0600, makedev(7, 0), &cred_a, &st),
                        ==, 0);
        g_assert_cmpint(fx_lstat(fx, "d/c", &host), ==, 0);
        g_assert_true(S_ISCHR(host.st_mode));
        g_assert_cmpuint(host.st_rdev, ==, makedev(1, 3));
        fx_assert_owner(fx, "d/c", &cred_a);
        g_assert_cmpint(fx_lstat(fx, "d/b", &host), ==, 0);
        g_assert_true(S_ISBLK(host.st_mode));
    }
    fsdrv_node_unref(d);
}

/* ---- link, rename, unlink, remove ------------------------------------ */

static void test_namespace(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    struct stat a, b;
    fx_mkdir(fx, "d");
    fx_write(fx, "f", "data", 4);
    fx_symlink(fx, "/nowhere", "s");

    struct fsdrv_node *f = fx_walk(fx, "f", NULL), *d = fx_walk(fx, "d", NULL);
    struct fsdrv_node *s = fx_walk(fx, "s", NULL);

    g_assert_cmpint(fsdrv_link(e, f, d, "g"), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &a), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "d/g", &b), ==, 0);
    g_assert_cmpuint(a.st_ino, ==, b.st_ino);
    g_assert_cmpuint(a.st_nlink, ==, 2);
    g_assert_cmpint(fsdrv_link(e, f, d, "g"), ==, -EEXIST);
    /* A symlink is linked as itself. */
    g_assert_cmpint(fsdrv_link(e, s, d, "s2"), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "d/s2", &b), ==, 0);
    g_assert_true(S_ISLNK(b.st_mode));
    g_assert_cmpint(fsdrv_link(e, d, fx->rootnode, "dirlink"), ==, -EPERM);
    g_assert_cmpint(fsdrv_link(e, fx->rootnode, d, "rootlink"), ==, -EPERM);
    g_assert_cmpint(fsdrv_link(e, f, d, "x/y"), ==, -EINVAL);

    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "f", d, "h"), ==, 0);
    g_assert_false(fx_exists(fx, "f"));
    g_assert_cmpint(fx_lstat(fx, "d/h", &b), ==, 0);
    g_assert_cmpuint(a.st_ino, ==, b.st_ino);
    /* over an existing name */
    fx_write(fx, "other", "o", 1);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "other", d, "h"), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "d/h", &b), ==, 0);
    g_assert_cmpint(b.st_size, ==, 1);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "missing", d, "x"), ==, -ENOENT);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "..", d, "x"), ==, -EINVAL);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "s", d, "a/b"), ==, -EINVAL);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "d", d, "inside"), ==, -EINVAL);

    g_assert_cmpint(fsdrv_unlink(e, d, "h", 0), ==, 0);
    g_assert_false(fx_exists(fx, "d/h"));
    g_assert_cmpint(fsdrv_unlink(e, d, "h", 0), ==, -ENOENT);
    g_assert_cmpint(fsdrv_unlink(e, d, "g", 0x4000), ==, -EINVAL);
    fx_mkdir(fx, "d/sub");
    g_assert_cmpint(fsdrv_unlink(e, d, "sub", 0), ==, -EISDIR);
    g_assert_cmpint(fsdrv_unlink(e, d, "sub", AT_REMOVEDIR), ==, 0);
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "d", AT_REMOVEDIR), ==, -ENOTEMPTY);

    struct fsdrv_node *g = fx_walk(fx, "d/g", NULL);
    g_assert_cmpint(fsdrv_remove(e, g), ==, 0);
    g_assert_false(fx_exists(fx, "d/g"));
    g_assert_cmpint(fsdrv_remove(e, g), ==, -ENOENT);
    fsdrv_node_unref(g);
    g_assert_cmpint(fsdrv_unlink(e, d, "s2", 0), ==, 0);
    g_assert_cmpint(fsdrv_remove(e, d), ==, 0);
    g_assert_false(fx_exists(fx, "d"));
    g_assert_cmpint(fsdrv_remove(e, fx->rootnode), ==, -EBUSY);
    g_assert_cmpint(fsdrv_remove(e, s), ==, 0);
    g_assert_false(fx_exists(fx, "s"));

    fsdrv_node_unref(s);
    fsdrv_node_unref(d);
    fsdrv_node_unref(f);
}

/* ---- setattr ---------------------------------------------------------- */

static void test_setattr(struct fx *fx, gconstpointer data)
{
    const struct fsdrv_variant *v = data;
    struct fsdrv_export *e = fx->exp;
    struct stat st, host;
    fx_write(fx, "f", "0123456789", 10);
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    fx_symlink(fx, "f", "s");
    struct fsdrv_node *f = fx_walk(fx, "f", NULL), *p = fx_walk(fx, "p", NULL);
    struct fsdrv_node *s = fx_walk(fx, "s", NULL);

    struct fsdrv_setattr sa = { .valid = FSDRV_SET_MODE, .mode = 0604 };
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
    g_assert_cmpint(fsdrv_getattr(e, f, NULL, &st), ==, 0);
    fx_assert_mode(st.st_mode & 07777, ==, 0604);
    sa.mode = S_IFDIR | 0640;       /* the type bits are not the client's to change */
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_true(S_ISREG(host.st_mode));
    fx_assert_mode(host.st_mode & 07777, ==, 0640);

    if (fx_is_root()) {
        /* Owners change under passthrough; none ignores the request (model-none.c). */
        bool changes = v->model == FSDRV_MODEL_PASSTHROUGH;
        sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_UID | FSDRV_SET_GID,
                                     .uid = 111, .gid = 222 };
        g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
        sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_UID, .uid = 333 };
        g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
        g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
        g_assert_cmpuint(host.st_uid, ==, changes ? 333 : 0);
        g_assert_cmpuint(host.st_gid, ==, changes ? 222 : 0);
        /* chown of a symlink changes the link */
        sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_UID, .uid = 555 };
        g_assert_cmpint(fsdrv_setattr(e, s, NULL, &sa), ==, 0);
        g_assert_cmpint(fx_lstat(fx, "s", &host), ==, 0);
        g_assert_cmpuint(host.st_uid, ==, changes ? 555 : 0);
        g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
        g_assert_cmpuint(host.st_uid, ==, changes ? 333 : 0);
    }

    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_SIZE, .size = 100 };
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_cmpint(host.st_size, ==, 100);
    sa.size = 3;
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_cmpint(host.st_size, ==, 3);
    sa.size = -1;
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, -EINVAL);
    /* Only regular files are truncated by name: a FIFO is never opened for it. */
    sa.size = 0;
    g_assert_cmpint(fsdrv_setattr(e, p, NULL, &sa), ==, -EINVAL);
    g_assert_cmpint(fsdrv_setattr(e, s, NULL, &sa), ==, -EINVAL);
    g_assert_cmpint(fsdrv_setattr(e, fx->rootnode, NULL, &sa), ==, -EINVAL);

    sa = (struct fsdrv_setattr){
        .valid = FSDRV_SET_ATIME | FSDRV_SET_ATIME_SET | FSDRV_SET_MTIME | FSDRV_SET_MTIME_SET,
        .atime = { 1000, 5 }, .mtime = { 2000, 7 },
    };
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_cmpint(host.st_atim.tv_sec, ==, 1000);
    g_assert_cmpint(host.st_atim.tv_nsec, ==, 5);
    g_assert_cmpint(host.st_mtim.tv_sec, ==, 2000);
    g_assert_cmpint(host.st_mtim.tv_nsec, ==, 7);
    sa.mtime.tv_nsec = 1000000000;
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, -EINVAL);
    /* "now" for mtime only: atime stays */
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MTIME };
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_cmpint(host.st_atim.tv_sec, ==, 1000);
    g_assert_cmpint(host.st_mtim.tv_sec, >, time(NULL) - 60);

    /* ctime alone */
    struct timespec before = host.st_ctim;
    g_usleep(20000);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_CTIME };
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_true(host.st_ctim.tv_sec > before.tv_sec ||
                  (host.st_ctim.tv_sec == before.tv_sec && host.st_ctim.tv_nsec > before.tv_nsec));

    /* A symlink: chmod is ignored, times are its own. */
    struct stat target_before;
    g_assert_cmpint(fx_lstat(fx, "f", &target_before), ==, 0);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE, .mode = 0600 };
    g_assert_cmpint(fsdrv_setattr(e, s, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "s", &host), ==, 0);
    fx_assert_mode(host.st_mode & 07777, ==, 0777);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MTIME | FSDRV_SET_MTIME_SET,
                                 .mtime = { 12345, 0 } };
    g_assert_cmpint(fsdrv_setattr(e, s, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "s", &host), ==, 0);
    g_assert_cmpint(host.st_mtim.tv_sec, ==, 12345);
    g_assert_cmpint(fx_lstat(fx, "f", &host), ==, 0);
    g_assert_cmpint(host.st_mtim.tv_sec, ==, target_before.st_mtim.tv_sec);
    fx_assert_mode(host.st_mode, ==, target_before.st_mode);

    /* With an open file: its fd is used (a FIFO fd is fine for chmod). */
    struct fsdrv_file *file;
    g_assert_cmpint(fsdrv_open(e, p, O_RDWR, NULL, &file), ==, 0);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE, .mode = 0666 };
    g_assert_cmpint(fsdrv_setattr(e, p, file, &sa), ==, 0);
    g_assert_cmpint(fsdrv_getattr(e, p, file, &st), ==, 0);
    fx_assert_mode(st.st_mode & 07777, ==, 0666);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_SIZE, .size = 0 };
    g_assert_cmpint(fsdrv_setattr(e, p, file, &sa), ==, -EINVAL);
    fsdrv_close(file);

    sa = (struct fsdrv_setattr){ 0 };
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, 0);
    fsdrv_node_unref(s);
    fsdrv_node_unref(p);
    fsdrv_node_unref(f);
}

/* ---- extended attributes ---------------------------------------------- */

static void test_xattr(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    fx_write(fx, "f", "x", 1);
    fx_symlink(fx, "f", "s");
    struct fsdrv_node *f = fx_walk(fx, "f", NULL), *s = fx_walk(fx, "s", NULL);
    char buf[256], list[1024];

    int r = fsdrv_setxattr(e, f, "user.test", "value", 5, 0);
    if (r == -EOPNOTSUPP) {
        g_test_skip("no user xattrs on this filesystem");
        goto out;
    }
    g_assert_cmpint(r, ==, 0);
    g_assert_cmpint(fsdrv_getxattr(e, f, "user.test", NULL, 0), ==, 5);
    g_assert_cmpint(fsdrv_getxattr(e, f, "user.test", buf, sizeof(buf)), ==, 5);
    g_assert_cmpmem(buf, 5, "value", 5);
    g_assert_cmpint(fsdrv_getxattr(e, f, "user.test", buf, 2), ==, -ERANGE);
    g_assert_cmpint(fsdrv_getxattr(e, f, "user.none", buf, sizeof(buf)), ==, -ENODATA);
    g_assert_cmpint(fsdrv_setxattr(e, f, "user.test", "v2", 2, XATTR_CREATE), ==, -EEXIST);
    g_assert_cmpint(fsdrv_setxattr(e, f, "user.new", "v", 1, XATTR_REPLACE), ==, -ENODATA);
    g_assert_cmpint(fsdrv_setxattr(e, f, "user.test", "v2", 2, XATTR_REPLACE), ==, 0);
    g_assert_cmpint(fsdrv_setxattr(e, f, "user.test", "v2", 2, 0x40), ==, -EINVAL);
    g_assert_cmpint(fsdrv_setxattr(e, f, "", "v2", 2, 0), ==, -EINVAL);
    g_assert_cmpint(fsdrv_setxattr(e, f, "user.empty", NULL, 0, 0), ==, 0);
    g_assert_cmpint(fsdrv_getxattr(e, f, "user.empty", buf, sizeof(buf)), ==, 0);

    ssize_t n = fsdrv_listxattr(e, f, NULL, 0);
    g_assert_cmpint(n, >, 0);
    g_assert_cmpint(fsdrv_listxattr(e, f, list, sizeof(list)), ==, n);
    g_assert_true(fx_list_has(list, n, "user.test"));
    g_assert_true(fx_list_has(list, n, "user.empty"));
    g_assert_cmpint(fsdrv_listxattr(e, f, list, 3), ==, -ERANGE);

    g_assert_cmpint(fsdrv_removexattr(e, f, "user.test"), ==, 0);
    g_assert_cmpint(fsdrv_removexattr(e, f, "user.test"), ==, -ENODATA);
    g_assert_cmpint(fsdrv_getxattr(e, f, "user.test", buf, sizeof(buf)), ==, -ENODATA);

    /* On a symlink: acts on the link itself, never the target. */
    g_assert_cmpint(fsdrv_setxattr(e, s, "user.link", "v", 1, 0), ==, -EPERM);
    g_assert_cmpint(fsdrv_getxattr(e, s, "user.empty", buf, sizeof(buf)), ==, -ENODATA);
    if (fx_is_root()) {
        /* What only root could put on a link: the host's, never listed to the client. */
        char *hs = fx_path(fx, "s"), *hf = fx_path(fx, "f");
        g_assert_cmpint(lsetxattr(hs, "trusted.link", "L", 1, 0), ==, 0);
        g_assert_cmpint(lgetxattr(hf, "trusted.link", buf, sizeof(buf)), ==, -1);
        g_assert_cmpint(fsdrv_getxattr(e, s, "trusted.link", buf, sizeof(buf)), ==, -EOPNOTSUPP);
        n = fsdrv_listxattr(e, s, list, sizeof(list));
        g_assert_cmpint(n, ==, 0);
        g_assert_cmpint(fsdrv_removexattr(e, s, "trusted.link"), ==, -EOPNOTSUPP);
        g_assert_cmpint(lgetxattr(hs, "trusted.link", buf, sizeof(buf)), ==, 1);
        g_free(hs);
        g_free(hf);
    }

    /* The root has attributes too. */
    g_assert_cmpint(fsdrv_setxattr(e, fx->rootnode, "user.root", "r", 1, 0), ==, 0);
    g_assert_cmpint(fsdrv_getxattr(e, fx->rootnode, "user.root", buf, sizeof(buf)), ==, 1);
    char *hroot = fx_path(fx, "");
    g_assert_cmpint(getxattr(hroot, "user.root", buf, sizeof(buf)), ==, 1);
    g_free(hroot);
out:
    fsdrv_node_unref(s);
    fsdrv_node_unref(f);
}

/* ---- readdir ------------------------------------------------------------ */

struct collect {
    GHashTable *names;          /* name -> count */
    GHashTable *types;          /* name -> DT_* */
    GHashTable *inos;           /* name -> ino */
    unsigned taken, limit;
    uint64_t next;
};

static bool collect_entry(const struct fsdrv_dirent *ent, void *opaque)
{
    struct collect *c = opaque;
    if (c->taken == c->limit)
        return false;
    unsigned n = GPOINTER_TO_UINT(g_hash_table_lookup(c->names, ent->name));
    g_hash_table_insert(c->names, g_strdup(ent->name), GUINT_TO_POINTER(n + 1));
    g_hash_table_insert(c->types, g_strdup(ent->name), GUINT_TO_POINTER(ent->type));
    uint64_t *ino = g_new(uint64_t, 1);
    *ino = ent->ino;
    g_hash_table_insert(c->inos, g_strdup(ent->name), ino);
    c->taken++;
    c->next = ent->next;
    return true;
}

static void collect_init(struct collect *c)
{
    c->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->inos = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c->next = 0;
}

static void collect_clear(struct collect *c)
{
    g_hash_table_destroy(c->names);
    g_hash_table_destroy(c->types);
    g_hash_table_destroy(c->inos);
}

/* Reads the whole directory in calls of at most `per_call` entries. */
static void read_all(struct fx *fx, struct fsdrv_file *dir, struct collect *c,
                     unsigned per_call, unsigned *calls)
{
    *calls = 0;
    for (;;) {
        c->taken = 0;
        c->limit = per_call;
        int n = fsdrv_readdir(fx->exp, dir, c->next, collect_entry, c);
        g_assert_cmpint(n, >=, 0);
        g_assert_cmpint(n, ==, (int)c->taken);
        (*calls)++;
        if (n == 0)
            break;
    }
}

static void test_readdir(struct fx *fx, gconstpointer v)
{
    const unsigned count = 2000;
    fx_mkdir(fx, "big");
    for (unsigned i = 0; i < count; i++) {
        char name[32];
        g_snprintf(name, sizeof(name), "big/file-%04u", i);
        fx_write(fx, name, "", 0);
    }
    fx_mkdir(fx, "big/subdir");
    fx_symlink(fx, "x", "big/link");

    struct fsdrv_node *big = fx_walk(fx, "big", NULL);
    struct fsdrv_file *dir;
    g_assert_cmpint(fsdrv_open(fx->exp, big, O_RDONLY | O_DIRECTORY, NULL, &dir), ==, 0);
    struct collect c;
    collect_init(&c);
    unsigned calls;
    read_all(fx, dir, &c, 7, &calls);
    g_assert_cmpuint(calls, >, count / 7);
    g_assert_cmpuint(g_hash_table_size(c.names), ==, count + 4);
    GHashTableIter it;
    gpointer name, n;
    g_hash_table_iter_init(&it, c.names);
    while (g_hash_table_iter_next(&it, &name, &n))
        if (GPOINTER_TO_UINT(n) != 1)
            g_error("%s seen %u times", (char *)name, GPOINTER_TO_UINT(n));
    for (unsigned i = 0; i < count; i++) {
        char name2[32];
        g_snprintf(name2, sizeof(name2), "file-%04u", i);
        g_assert_true(g_hash_table_contains(c.names, name2));
        g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(c.types, name2)), ==, DT_REG);
    }
    g_assert_true(g_hash_table_contains(c.names, "."));
    g_assert_true(g_hash_table_contains(c.names, ".."));
    g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(c.types, "subdir")), ==, DT_DIR);
    g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(c.types, "link")), ==, DT_LNK);
    collect_clear(&c);

    /* Starting over at 0 gives everything again, in one call. */
    collect_init(&c);
    read_all(fx, dir, &c, UINT_MAX, &calls);
    g_assert_cmpuint(g_hash_table_size(c.names), ==, count + 4);
    g_assert_cmpuint(calls, ==, 2);
    collect_clear(&c);
    fsdrv_close(dir);

    /* ".." of the root is the root itself. */
    struct stat rootst;
    g_assert_cmpint(fx_lstat(fx, "", &rootst), ==, 0);
    g_assert_cmpint(fsdrv_open(fx->exp, fx->rootnode, O_RDONLY, NULL, &dir), ==, 0);
    collect_init(&c);
    read_all(fx, dir, &c, 1, &calls);
    g_assert_cmpuint(*(uint64_t *)g_hash_table_lookup(c.inos, ".."), ==, rootst.st_ino);
    g_assert_cmpuint(*(uint64_t *)g_hash_table_lookup(c.inos, "."), ==, rootst.st_ino);
    g_assert_true(g_hash_table_contains(c.names, "big"));
    g_assert_cmpuint(g_hash_table_size(c.names), ==, 3);
    collect_clear(&c);
    fsdrv_close(dir);

    /* Not a directory. */
    fx_write(fx, "plain", "", 0);
    struct fsdrv_node *plain = fx_walk(fx, "plain", NULL);
    g_assert_cmpint(fsdrv_open(fx->exp, plain, O_RDONLY, NULL, &dir), ==, 0);
    collect_init(&c);
    c.limit = 10;
    g_assert_cmpint(fsdrv_readdir(fx->exp, dir, 0, collect_entry, &c), ==, -ENOTDIR);
    collect_clear(&c);
    fsdrv_close(dir);
    fsdrv_node_unref(plain);
    fsdrv_node_unref(big);
}

/* ---- locks, statfs -------------------------------------------------------- */

static void test_lock(struct fx *fx, gconstpointer v)
{
    fx_write(fx, "f", "0123456789", 10);
    struct fsdrv_node *f = fx_walk(fx, "f", NULL);
    struct fsdrv_file *a, *b;
    g_assert_cmpint(fsdrv_open(fx->exp, f, O_RDWR, NULL, &a), ==, 0);
    g_assert_cmpint(fsdrv_open(fx->exp, f, O_RDWR, NULL, &b), ==, 0);

    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
    g_assert_cmpint(fsdrv_lock(a, F_SETLK, &fl), ==, 0);
    /* Locks belong to the open file: the second one conflicts, in one process. */
    fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 1 };
    g_assert_cmpint(fsdrv_lock(b, F_SETLK, &fl), ==, -EAGAIN);
    fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
    g_assert_cmpint(fsdrv_lock(b, F_GETLK, &fl), ==, 0);
    g_assert_cmpint(fl.l_type, ==, F_WRLCK);
    g_assert_cmpint(fl.l_start, ==, 0);
    g_assert_cmpint(fl.l_len, ==, 5);
    fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 5 };
    g_assert_cmpint(fsdrv_lock(b, F_SETLK, &fl), ==, 0);
    fl = (struct flock){ .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    g_assert_cmpint(fsdrv_lock(a, F_SETLK, &fl), ==, 0);
    fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 5 };
    g_assert_cmpint(fsdrv_lock(b, F_SETLK, &fl), ==, 0);
    g_assert_cmpint(fsdrv_lock(b, F_SETLKW, &fl), ==, -EINVAL);
    fsdrv_close(a);
    fsdrv_close(b);
    fsdrv_node_unref(f);
}

static void test_statfs(struct fx *fx, gconstpointer v)
{
    struct statfs mine, host;
    g_assert_cmpint(statfs(fx->root, &host), ==, 0);
    g_assert_cmpint(fsdrv_statfs(fx->exp, fx->rootnode, &mine), ==, 0);
    g_assert_cmpint(mine.f_type, ==, host.f_type);
    g_assert_cmpint(mine.f_bsize, ==, host.f_bsize);
    fx_write(fx, "f", "", 0);
    struct fsdrv_node *f = fx_walk(fx, "f", NULL);
    g_assert_cmpint(fsdrv_statfs(fx->exp, f, &mine), ==, 0);
    g_assert_cmpint(mine.f_type, ==, host.f_type);
    struct fsdrv_node *missing = fsdrv_child(fx->rootnode, "missing");
    g_assert_cmpint(fsdrv_statfs(fx->exp, missing, &mine), ==, -ENOENT);
    fsdrv_node_unref(missing);
    fsdrv_node_unref(f);
}

static void test_bad_export(void)
{
    struct fsdrv_config cfg = { .model = FSDRV_MODEL_PASSTHROUGH };
    struct fsdrv_export *e = NULL;
    g_assert_cmpint(fsdrv_export_open("relative/dir", &cfg, &e), ==, -EINVAL);
    g_assert_cmpint(fsdrv_export_open("/nonexistent-fsdrv-dir", &cfg, &e), ==, -ENOENT);
    g_assert_cmpint(fsdrv_export_open("/etc/passwd", &cfg, &e), ==, -ENOTDIR);
    cfg.model = (enum fsdrv_model)99;
    g_assert_cmpint(fsdrv_export_open("/tmp", &cfg, &e), ==, -EINVAL);
    g_assert_null(e);
}

/* Only a local file system counts as one that waits for nothing but its
 * disk: tmpfs does, procfs (standing in for network and FUSE ones) does not
 * (a FIFO's reads: tests/unit/test-server.c "local-calls-inline"). */
static void test_local_fs(void)
{
    struct fsdrv_config cfg = { .model = FSDRV_MODEL_NONE };
    struct fsdrv_export *e = NULL;
    g_assert_cmpint(fsdrv_export_open("/proc/sys", &cfg, &e), ==, 0);
    g_assert_false(fsdrv_export_is_local(e));
    fsdrv_export_close(e);
    char *dir = g_dir_make_tmp("fsdrv-local-XXXXXX", NULL);
    struct statfs sf;
    if (statfs("/dev/shm", &sf) == 0 && sf.f_type == 0x01021994) {
        g_free(dir);
        dir = g_strdup("/dev/shm/fsdrv-local-XXXXXX");
        g_assert_nonnull(g_mkdtemp(dir));
    }
    g_assert_cmpint(fsdrv_export_open(dir, &cfg, &e), ==, 0);
    if (statfs(dir, &sf) == 0 && sf.f_type == 0x01021994)
        g_assert_true(fsdrv_export_is_local(e));
    else
        g_test_message("%s is not on tmpfs: only procfs checked", dir);
    fsdrv_export_close(e);
    rmdir(dir);
    g_free(dir);
}

void fsdrv_tests_basic(void)
{
    g_test_add_func("/fsdrv/name_valid", test_name_valid);
    g_test_add_func("/fsdrv/file_version", test_file_version);
    g_test_add_func("/fsdrv/bad_export", test_bad_export);
    g_test_add_func("/fsdrv/local_fs", test_local_fs);
    fx_add_once("nodes", test_nodes);
    fx_add("handles", test_handles);
    fx_add_once("file_id", test_file_id);
    fx_add("walk", test_walk);
    fx_add("create_io", test_create_io);
    fx_add("make", test_make);
    fx_add("namespace", test_namespace);
    fx_add("setattr", test_setattr);
    fx_add("xattr", test_xattr);
    fx_add("readdir", test_readdir);
    fx_add("lock", test_lock);
    fx_add("statfs", test_statfs);
}
