// SPDX-License-Identifier: GPL-2.0-or-later
/* fsdrv: quotas, readonly exports, security models, several filesystems. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/unit/fsdrv-fixture.h"
#include "tests/unit/fsdrv-tests.h"

static const struct fsdrv_cred cred = { 0, 0 };

/* ---- quotas ---------------------------------------------------------------- */

static void test_quota_open_files(struct fx *fx, gconstpointer v)
{
    fx->cfg.max_open_files = 2;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    fx_write(fx, "f", "x", 1);
    struct fsdrv_node *f = fx_walk(fx, "f", NULL);
    struct fsdrv_file *a, *b, *c = NULL;
    struct fsdrv_usage u;

    g_assert_cmpint(fsdrv_open(e, f, O_RDONLY, NULL, &a), ==, 0);
    g_assert_cmpint(fsdrv_open(e, fx->rootnode, O_RDONLY, NULL, &b), ==, 0);
    fsdrv_export_usage(e, &u);
    g_assert_cmpuint(u.open_files, ==, 2);
    g_assert_cmpint(fsdrv_open(e, f, O_RDONLY, NULL, &c), ==, -EMFILE);
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "g", O_RDWR, 0600, &cred, NULL, &c, NULL),
                    ==, -EMFILE);
    g_assert_null(c);
    g_assert_false(fx_exists(fx, "g"));
    fsdrv_close(a);
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "g", O_RDWR, 0600, &cred, NULL, &c, NULL), ==, 0);
    fsdrv_close(b);
    fsdrv_close(c);
    fsdrv_export_usage(e, &u);
    g_assert_cmpuint(u.open_files, ==, 0);
    fsdrv_node_unref(f);
}

/* Creates `name` in the root and closes it at once. */
static int create_closed(struct fx *fx, const char *name)
{
    struct stat st;
    return fsdrv_create(fx->exp, fx->rootnode, name, O_RDWR, 0600, &cred, NULL, NULL, &st);
}

static uint64_t usage_files(struct fx *fx)
{
    struct fsdrv_usage u;
    fsdrv_export_usage(fx->exp, &u);
    return u.files;
}

static uint64_t usage_space(struct fx *fx)
{
    struct fsdrv_usage u;
    fsdrv_export_usage(fx->exp, &u);
    return u.space;
}

static void test_quota_files(struct fx *fx, gconstpointer v)
{
    /* Existing: a file, a directory and a file in it; every kind of name counts. */
    fx_write(fx, "pre", "p", 1);
    fx_mkdir(fx, "dir");
    fx_write(fx, "dir/inner", "i", 1);
    fx->cfg.max_files = 6;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    struct fsdrv_node *pre = fx_walk(fx, "pre", NULL);
    struct fsdrv_file *f = NULL;
    struct stat st;
    g_assert_cmpuint(usage_files(fx), ==, 3);

    g_assert_cmpint(create_closed(fx, "a"), ==, 0);
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "b", S_IFIFO | 0600, 0, &cred, &st), ==, 0);
    g_assert_cmpint(fsdrv_link(e, pre, fx->rootnode, "c"), ==, 0);
    g_assert_cmpuint(usage_files(fx), ==, 6);
    g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "d", "t", &cred, &st), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "d", O_RDWR, 0600, &cred, NULL, &f, &st),
                    ==, -EDQUOT);
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "d", S_IFREG | 0600, 0, &cred, &st), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "d", S_IFSOCK | 0600, 0, &cred, &st), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_link(e, pre, fx->rootnode, "d"), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "d", 0700, &cred, &st), ==, -EDQUOT);
    g_assert_false(fx_exists(fx, "d"));
    g_assert_null(f);

    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "a", 0), ==, 0);
    g_assert_cmpuint(usage_files(fx), ==, 5);
    /* A failed creation gives its reservation back. */
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "pre", 0700, &cred, &st), ==, -EEXIST);
    g_assert_cmpuint(usage_files(fx), ==, 5);
    g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "d", "t", &cred, &st), ==, 0);
    g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "e", "t", &cred, &st), ==, -EDQUOT);
    /* A rename over a name frees one; a plain rename changes nothing. */
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "b", fx->rootnode, "b2"), ==, 0);
    g_assert_cmpuint(usage_files(fx), ==, 6);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "d", fx->rootnode, "b2"), ==, 0);
    g_assert_cmpuint(usage_files(fx), ==, 5);
    /* Renaming a name onto another name of the same file changes nothing. */
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "c", fx->rootnode, "pre"), ==, 0);
    g_assert_cmpuint(usage_files(fx), ==, 5);
    struct fsdrv_node *inner = fx_walk(fx, "dir/inner", NULL);
    g_assert_cmpint(fsdrv_remove(e, inner), ==, 0);
    g_assert_cmpuint(usage_files(fx), ==, 4);
    /* Directories come and go like the rest. */
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "dir", AT_REMOVEDIR), ==, 0);
    g_assert_cmpuint(usage_files(fx), ==, 3);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "dir2", 0700, &cred, &st), ==, 0);
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "dir3", 0700, &cred, &st), ==, 0);
    g_assert_cmpint(create_closed(fx, "x"), ==, 0);
    g_assert_cmpint(create_closed(fx, "z"), ==, -EDQUOT);
    g_assert_cmpuint(usage_files(fx), ==, 6);
    /* A directory renamed over an empty one frees one. */
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "dir2", fx->rootnode, "dir3"), ==, 0);
    g_assert_cmpuint(usage_files(fx), ==, 5);
    fsdrv_node_unref(inner);
    fsdrv_node_unref(pre);
}

static void test_quota_space(struct fx *fx, gconstpointer v)
{
    const size_t kib = 1024;
    char *data = g_malloc(128 * kib);
    memset(data, 'q', 128 * kib);
    fx_write(fx, "pre", data, 16 * kib);
    fsync(fx->rootfd);
    struct stat host;
    g_assert_cmpint(fx_lstat(fx, "pre", &host), ==, 0);
    const uint64_t pre_bytes = (uint64_t)host.st_blocks * 512;
    g_assert_cmpuint(pre_bytes, >=, 16 * kib);

    fx->cfg.max_space = pre_bytes + 48 * kib;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpuint(usage_space(fx), ==, pre_bytes);

    struct fsdrv_node *w;
    struct fsdrv_file *f;
    struct stat st;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "w", O_RDWR, 0600, &cred, &w, &f, &st), ==, 0);
    g_assert_cmpint(fsdrv_pwrite(f, data, 32 * kib, 0, NULL), ==, (ssize_t)(32 * kib));
    g_assert_cmpuint(usage_space(fx), <=, fx->cfg.max_space);
    g_assert_cmpuint(usage_space(fx), >=, pre_bytes + 32 * kib);
    /* Only part of the next 32 KiB fits: the write is shortened. */
    ssize_t n = fsdrv_pwrite(f, data, 32 * kib, 32 * kib, NULL);
    g_test_message("shortened write: %zd", n);
    g_assert_cmpint(n, >, 0);
    g_assert_cmpint(n, <, (ssize_t)(32 * kib));
    g_assert_cmpuint(usage_space(fx), <=, fx->cfg.max_space);
    g_assert_cmpint(fsdrv_pwrite(f, data, 32 * kib, 32 * kib + n, NULL), ==, -EDQUOT);
    /* Overwriting what is there needs no space. */
    g_assert_cmpint(fsdrv_pwrite(f, data, 8 * kib, 0, NULL), ==, (ssize_t)(8 * kib));
    /* The count follows the real allocation. */
    g_assert_cmpint(fsdrv_getattr(e, w, f, &st), ==, 0);
    g_assert_cmpuint(usage_space(fx), ==, pre_bytes + (uint64_t)st.st_blocks * 512);

    /* Truncation frees; so does unlink. */
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_SIZE, .size = 0 };
    g_assert_cmpint(fsdrv_setattr(e, w, f, &sa), ==, 0);
    g_assert_cmpuint(usage_space(fx), ==, pre_bytes);
    g_assert_cmpint(fsdrv_pwrite(f, data, 48 * kib, 0, NULL), ==, (ssize_t)(48 * kib));
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "pre", 0), ==, 0);
    g_assert_cmpint(fsdrv_getattr(e, w, f, &st), ==, 0);
    g_assert_cmpuint(usage_space(fx), ==, (uint64_t)st.st_blocks * 512);
    g_assert_cmpint(fsdrv_pwrite(f, data, 8 * kib, 48 * kib, NULL), ==, (ssize_t)(8 * kib));
    fsdrv_close(f);

    /* O_TRUNC and a truncate by name are counted too. */
    g_assert_cmpint(fsdrv_open(e, w, O_WRONLY | O_TRUNC, NULL, &f), ==, 0);
    g_assert_cmpuint(usage_space(fx), ==, 0);
    g_assert_cmpint(fsdrv_pwrite(f, data, 16 * kib, 0, NULL), ==, (ssize_t)(16 * kib));
    fsdrv_close(f);
    g_assert_cmpuint(usage_space(fx), >=, 16 * kib);
    sa.size = 4 * kib;
    g_assert_cmpint(fsdrv_setattr(e, w, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "w", &host), ==, 0);
    g_assert_cmpuint(usage_space(fx), ==, (uint64_t)host.st_blocks * 512);
    fsdrv_node_unref(w);
    g_free(data);
}

static void test_quota_auto_delete_files(struct fx *fx, gconstpointer v)
{
    fx_write(fx, "old1", "1", 1);
    fx_write(fx, "old2", "2", 1);
    fx_mkdir(fx, "sub");
    fx_write(fx, "sub/old3", "3", 1);
    fx_set_mtime(fx, "old1", 1000);
    fx_set_mtime(fx, "old2", 2000);
    fx_set_mtime(fx, "sub/old3", 3000);
    fx->cfg.max_files = 4;      /* sub counts too */
    fx->cfg.auto_delete = true;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;

    /* The oldest is open: it is spared, the next oldest goes. */
    struct fsdrv_node *old1 = fx_walk(fx, "old1", NULL);
    struct fsdrv_file *keep;
    struct stat st;
    g_assert_cmpint(fsdrv_open(e, old1, O_RDONLY, NULL, &keep), ==, 0);
    g_assert_cmpint(create_closed(fx, "new1"), ==, 0);
    g_assert_true(fx_exists(fx, "old1"));
    g_assert_false(fx_exists(fx, "old2"));
    g_assert_true(fx_exists(fx, "sub/old3"));
    g_assert_cmpuint(usage_files(fx), ==, 4);

    fx_set_mtime(fx, "new1", 5000);
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "new2", S_IFIFO | 0600, 0, &cred, &st), ==, 0);
    g_assert_false(fx_exists(fx, "sub/old3"));
    g_assert_true(fx_exists(fx, "new1"));
    g_assert_true(fx_exists(fx, "old1"));

    /* Only open files and FIFOs are left: nothing can go. */
    struct fsdrv_node *new1 = fx_walk(fx, "new1", NULL);
    struct fsdrv_file *keep2;
    g_assert_cmpint(fsdrv_open(e, new1, O_RDONLY, NULL, &keep2), ==, 0);
    g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "new3", "t", &cred, &st), ==, -EDQUOT);
    fsdrv_close(keep2);
    fsdrv_close(keep);
    g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "new3", "t", &cred, &st), ==, 0);
    g_assert_false(fx_exists(fx, "old1"));
    g_assert_true(fx_exists(fx, "new1"));
    fsdrv_node_unref(new1);
    fsdrv_node_unref(old1);
}

static void test_quota_auto_delete_space(struct fx *fx, gconstpointer v)
{
    const size_t kib = 1024;
    char *data = g_malloc(32 * kib);
    memset(data, 's', 32 * kib);
    fx_write(fx, "a", data, 16 * kib);
    fx_write(fx, "b", data, 16 * kib);
    fx_set_mtime(fx, "a", 1000);
    fx_set_mtime(fx, "b", 2000);
    struct stat sa_, sb_;
    g_assert_cmpint(fx_lstat(fx, "a", &sa_), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "b", &sb_), ==, 0);
    const uint64_t used = (uint64_t)(sa_.st_blocks + sb_.st_blocks) * 512;
    fx->cfg.max_space = used + 24 * kib;
    fx->cfg.auto_delete = true;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;

    /* 32 KiB do not fit next to a and b: a (the oldest) makes room. */
    struct fsdrv_file *f;
    struct stat st;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "c", O_RDWR, 0600, &cred, NULL, &f, &st), ==, 0);
    g_assert_cmpint(fsdrv_pwrite(f, data, 32 * kib, 0, NULL), ==, (ssize_t)(32 * kib));
    g_assert_false(fx_exists(fx, "a"));
    g_assert_true(fx_exists(fx, "b"));
    g_assert_cmpuint(usage_space(fx), <=, fx->cfg.max_space);
    fsdrv_close(f);
    g_free(data);
}

/* A bind mount showing the export again beneath itself: counted once, no endless scan. */
static void test_quota_bind_loop(struct fx *fx, gconstpointer v)
{
    fx_write(fx, "a", "a", 1);
    fx_mkdir(fx, "loop");
    fx_write(fx, "loop-sibling", "b", 1);
    char *loop = fx_path(fx, "loop");
    if (mount(fx->root, loop, NULL, MS_BIND, NULL) < 0) {
        g_free(loop);
        g_test_skip("cannot bind-mount beneath the export");
        return;
    }
    g_ptr_array_add(fx->mounts, loop);
    g_assert_true(fx_exists(fx, "loop/a"));
    g_assert_true(fx_exists(fx, "loop/loop-sibling"));
    fx->cfg.max_files = 10;
    fx_reopen(fx);
    /* a, loop-sibling and loop itself; not what loop shows again */
    g_assert_cmpuint(usage_files(fx), ==, 3);
}

/* ---- readonly ------------------------------------------------------------------ */

static void test_readonly(struct fx *fx, gconstpointer v)
{
    fx_write(fx, "f", "data", 4);
    fx_mkdir(fx, "d");
    fx_symlink(fx, "f", "s");
    char *hf = fx_path(fx, "f");
    setxattr(hf, "user.x", "1", 1, 0);
    g_free(hf);
    fx->cfg.readonly = true;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    struct stat before_f, before_d, st;
    g_assert_cmpint(fx_lstat(fx, "f", &before_f), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "d", &before_d), ==, 0);

    struct fsdrv_node *f = fx_walk(fx, "f", NULL), *d = fx_walk(fx, "d", NULL);
    struct fsdrv_node *s = fx_walk(fx, "s", NULL), *n = NULL;
    struct fsdrv_file *file = NULL;
    g_assert_cmpint(fsdrv_open(e, f, O_WRONLY, NULL, &file), ==, -EROFS);
    g_assert_cmpint(fsdrv_open(e, f, O_RDWR, NULL, &file), ==, -EROFS);
    g_assert_cmpint(fsdrv_open(e, f, O_RDONLY | O_TRUNC, NULL, &file), ==, -EROFS);
    g_assert_cmpint(fsdrv_create(e, d, "new", O_RDONLY, 0600, &cred, &n, &file, &st), ==, -EROFS);
    g_assert_cmpint(fsdrv_mkdir(e, d, "new", 0700, &cred, &st), ==, -EROFS);
    g_assert_cmpint(fsdrv_symlink(e, d, "new", "t", &cred, &st), ==, -EROFS);
    g_assert_cmpint(fsdrv_mknod(e, d, "new", S_IFIFO | 0600, 0, &cred, &st), ==, -EROFS);
    g_assert_cmpint(fsdrv_link(e, f, d, "new"), ==, -EROFS);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "f", d, "new"), ==, -EROFS);
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "f", 0), ==, -EROFS);
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "d", AT_REMOVEDIR), ==, -EROFS);
    g_assert_cmpint(fsdrv_remove(e, f), ==, -EROFS);
    g_assert_cmpint(fsdrv_remove(e, s), ==, -EROFS);
    const unsigned bits[] = { FSDRV_SET_MODE, FSDRV_SET_UID, FSDRV_SET_GID, FSDRV_SET_SIZE,
                              FSDRV_SET_ATIME, FSDRV_SET_MTIME, FSDRV_SET_ATIME_SET,
                              FSDRV_SET_MTIME_SET, FSDRV_SET_CTIME };
    for (size_t i = 0; i < G_N_ELEMENTS(bits); i++) {
        struct fsdrv_setattr sa = { .valid = bits[i], .mode = 0777, .atime = { 1, 0 },
                                    .mtime = { 1, 0 } };
        g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, -EROFS);
    }
    g_assert_cmpint(fsdrv_setxattr(e, f, "user.y", "1", 1, 0), ==, -EROFS);
    g_assert_cmpint(fsdrv_removexattr(e, f, "user.x"), ==, -EROFS);
    g_assert_null(file);
    g_assert_null(n);

    /* Reading works. */
    char buf[16];
    g_assert_cmpint(fsdrv_open(e, f, O_RDONLY, NULL, &file), ==, 0);
    g_assert_cmpint(fsdrv_pread(file, buf, sizeof(buf), 0, NULL), ==, 4);
    g_assert_cmpint(fsdrv_pwrite(file, "x", 1, 0, NULL), ==, -EROFS);
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_SIZE, .size = 0 };
    g_assert_cmpint(fsdrv_setattr(e, f, file, &sa), ==, -EROFS);
    g_assert_cmpint(fsdrv_fsync(file, false), ==, 0);
    fsdrv_close(file);
    g_assert_cmpint(fsdrv_getattr(e, f, NULL, &st), ==, 0);
    g_assert_cmpint(fsdrv_readlink(e, s, buf, sizeof(buf)), ==, 1);
    g_assert_cmpint(fsdrv_listxattr(e, f, buf, sizeof(buf)), >=, 0);
    g_assert_cmpint(fsdrv_open(e, d, O_RDONLY, NULL, &file), ==, 0);
    fsdrv_close(file);

    g_assert_cmpint(fx_lstat(fx, "f", &st), ==, 0);
    g_assert_cmpint(st.st_ctim.tv_nsec, ==, before_f.st_ctim.tv_nsec);
    g_assert_cmpint(st.st_mtim.tv_nsec, ==, before_f.st_mtim.tv_nsec);
    g_assert_cmpint(st.st_size, ==, 4);
    g_assert_cmpint(fx_lstat(fx, "d", &st), ==, 0);
    g_assert_cmpint(st.st_mtim.tv_nsec, ==, before_d.st_mtim.tv_nsec);
    g_assert_cmpint(st.st_nlink, ==, before_d.st_nlink);
    fsdrv_node_unref(s);
    fsdrv_node_unref(d);
    fsdrv_node_unref(f);
}

/* ---- ownership failures: passthrough reports them, none ignores them -------- */

struct no_chown_run {
    struct fx *fx;
    int results[6];
};

/* Capabilities are per thread: this one runs without CAP_CHOWN. */
static void *run_without_chown(void *opaque)
{
    struct no_chown_run *r = opaque;
    struct fsdrv_export *e = r->fx->exp;
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct caps[2];
    g_assert_cmpint(syscall(SYS_capget, &hdr, caps), ==, 0);
    caps[0].effective &= ~(1u << CAP_CHOWN);
    g_assert_cmpint(syscall(SYS_capset, &hdr, caps), ==, 0);

    const struct fsdrv_cred other = { 4242, 4343 };
    struct fsdrv_node *root = r->fx->rootnode;
    struct stat st;
    struct fsdrv_file *f = NULL;
    r->results[0] = fsdrv_create(e, root, "f", O_RDWR, 0640, &other, NULL, &f, &st);
    if (f)
        fsdrv_close(f);
    r->results[1] = fsdrv_mkdir(e, root, "d", 0750, &other, &st);
    r->results[2] = fsdrv_symlink(e, root, "s", "t", &other, &st);
    r->results[3] = fsdrv_mknod(e, root, "p", S_IFIFO | 0640, 0, &other, &st);
    struct fsdrv_node *mine = fsdrv_child(root, "mine");
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_UID | FSDRV_SET_MODE,
                                .uid = 4242, .mode = 0604 };
    r->results[4] = fsdrv_setattr(e, mine, NULL, &sa);
    fsdrv_node_unref(mine);
    /* Giving it to ourselves needs no capability. */
    r->results[5] = fsdrv_create(e, root, "own", O_RDWR, 0640, &cred, NULL, NULL, &st);
    return NULL;
}

static void test_owner_failure(struct fx *fx, gconstpointer data)
{
    const struct fsdrv_variant *v = data;
    if (!fx_is_root()) {
        g_test_skip("needs root (dropping CAP_CHOWN)");
        return;
    }
    fx_write(fx, "mine", "m", 1);
    struct no_chown_run r = { fx };
    pthread_t th;
    g_assert_cmpint(pthread_create(&th, NULL, run_without_chown, &r), ==, 0);
    pthread_join(th, NULL);
    struct stat st;
    g_assert_cmpint(r.results[5], ==, 0);
    if (v->model == FSDRV_MODEL_PASSTHROUGH) {
        for (int i = 0; i < 5; i++)
            g_assert_cmpint(r.results[i], ==, -EPERM);
        /* Nothing is left behind by a failed creation. */
        g_assert_false(fx_exists(fx, "f"));
        g_assert_false(fx_exists(fx, "d"));
        g_assert_false(fx_exists(fx, "s"));
        g_assert_false(fx_exists(fx, "p"));
        g_assert_cmpint(fx_lstat(fx, "mine", &st), ==, 0);
        fx_assert_mode(st.st_mode & 07777, ==, 0644);
    } else {
        for (int i = 0; i < 5; i++)
            g_assert_cmpint(r.results[i], ==, 0);
        g_assert_cmpint(fx_lstat(fx, "f", &st), ==, 0);
        g_assert_cmpuint(st.st_uid, ==, 0);
        fx_assert_mode(st.st_mode & 07777, ==, 0640);
        g_assert_cmpint(fx_lstat(fx, "d", &st), ==, 0);
        fx_assert_mode(st.st_mode & 07777, ==, 0750);
        g_assert_true(fx_exists(fx, "s"));
        g_assert_cmpint(fx_lstat(fx, "p", &st), ==, 0);
        g_assert_true(S_ISFIFO(st.st_mode));
        /* the owner change was ignored, the mode change still applied */
        g_assert_cmpint(fx_lstat(fx, "mine", &st), ==, 0);
        g_assert_cmpuint(st.st_uid, ==, 0);
        fx_assert_mode(st.st_mode & 07777, ==, 0604);
    }
}

/* ---- identity across filesystems mounted beneath the export -------------------- */

static bool mount_tmpfs(struct fx *fx, const char *rel)
{
    fx_mkdir(fx, rel);
    char *path = fx_path(fx, rel);
    if (mount("fsdrv-test", path, "tmpfs", 0, "size=1m") < 0) {
        g_free(path);
        return false;
    }
    g_ptr_array_add(fx->mounts, path);
    return true;
}

static void test_qid_two_filesystems(struct fx *fx, gconstpointer v)
{
    if (!mount_tmpfs(fx, "m1") || !mount_tmpfs(fx, "m2")) {
        g_test_skip("cannot mount a tmpfs beneath the export");
        return;
    }
    struct fsdrv_export *e = fx->exp;
    struct stat st1, st2, rootst, fst1, fst2;
    struct fsdrv_node *m1 = fx_walk(fx, "m1", &st1), *m2 = fx_walk(fx, "m2", &st2);
    g_assert_cmpint(fx_lstat(fx, "", &rootst), ==, 0);
    g_assert_cmpuint(st1.st_dev, !=, rootst.st_dev);
    g_assert_cmpuint(st1.st_dev, !=, st2.st_dev);

    /* Operations cross into the mounts. */
    struct fsdrv_file *f;
    g_assert_cmpint(fsdrv_create(e, m1, "a", O_RDWR, 0600, &cred, NULL, &f, &fst1), ==, 0);
    fsdrv_close(f);
    g_assert_cmpint(fsdrv_create(e, m2, "a", O_RDWR, 0600, &cred, NULL, &f, &fst2), ==, 0);
    fsdrv_close(f);
    struct fsdrv_node *a1 = fx_walk(fx, "m1/a", NULL);
    g_assert_cmpint(fsdrv_getattr(e, a1, NULL, &fst1), ==, 0);

    /* Two fresh tmpfs instances number their inodes alike: the ids must not. */
    g_test_message("inodes: root %lu/%lu, files %lu/%lu", (unsigned long)st1.st_ino,
                   (unsigned long)st2.st_ino, (unsigned long)fst1.st_ino,
                   (unsigned long)fst2.st_ino);
    uint64_t ids[] = {
        fsdrv_file_id(e, rootst.st_dev, rootst.st_ino),
        fsdrv_file_id(e, st1.st_dev, st1.st_ino),
        fsdrv_file_id(e, st2.st_dev, st2.st_ino),
        fsdrv_file_id(e, fst1.st_dev, fst1.st_ino),
        fsdrv_file_id(e, fst2.st_dev, fst2.st_ino),
    };
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++)
        for (size_t j = i + 1; j < G_N_ELEMENTS(ids); j++)
            g_assert_cmpuint(ids[i], !=, ids[j]);
    g_assert_cmpuint(fsdrv_file_id(e, fst1.st_dev, fst1.st_ino), ==, ids[3]);

    /* A symlink out of a mount is no way out either. */
    struct stat st;
    g_assert_cmpint(fsdrv_symlink(e, m1, "out", fx->canary, &cred, &st), ==, 0);
    struct fsdrv_node *out = fx_walk(fx, "m1/out", NULL), *n = NULL;
    int err = fsdrv_walk(e, out, "secret", &n, &st);
    g_assert_true(err == -ENOTDIR || err == -ELOOP);
    fsdrv_node_unref(out);

    fsdrv_node_unref(a1);
    fsdrv_node_unref(m2);
    fsdrv_node_unref(m1);
}

void fsdrv_tests_limits(void)
{
    fx_add("quota/open_files", test_quota_open_files);
    fx_add("quota/files", test_quota_files);
    fx_add("quota/space", test_quota_space);
    fx_add("quota/auto_delete_files", test_quota_auto_delete_files);
    fx_add("quota/bind_loop", test_quota_bind_loop);
    fx_add("quota/auto_delete_space", test_quota_auto_delete_space);
    fx_add("readonly", test_readonly);
    fx_add("owner_failure", test_owner_failure);
    fx_add("qid_two_filesystems", test_qid_two_filesystems);
}
