// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsdrv: attempts to reach outside the export.  Every test ends with the
 * fixture's canary check: the directory beside the export must show no
 * inotify event and no change of any inode.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/unit/fsdrv-fixture.h"
#include "tests/unit/fsdrv-tests.h"

static const struct fsdrv_cred cred = { 0, 0 };

/* The errors of resolving a path through a symlink. */
/* The link has no such attribute (or the filesystem no user.* at all). */
#define assert_no_attr(expr)                                                  \
    do {                                                                      \
        long err_ = (long)(expr);                                             \
        if (err_ != -ENODATA && err_ != -EOPNOTSUPP)                          \
            g_error("%s: %ld, expected ENODATA", #expr, err_);                \
    } while (0)

#define assert_blocked(expr)                                                  \
    do {                                                                      \
        long err_ = (long)(expr);                                             \
        if (err_ != -ENOTDIR && err_ != -ELOOP)                               \
            g_error("%s: %ld (%s), expected ENOTDIR or ELOOP", #expr, err_,   \
                    err_ < 0 ? g_strerror((int)-err_) : "success");           \
    } while (0)

/* Every operation through `dirlink`, a symlink to a directory outside. */
static void attack_dir_link(struct fx *fx, const char *dirlink, const char *target)
{
    struct fsdrv_export *e = fx->exp;
    struct stat st, host;
    struct fsdrv_node *l = NULL, *n = NULL;
    struct fsdrv_file *f = NULL;
    char buf[PATH_MAX];

    /* The walk returns the symlink itself. */
    g_assert_cmpint(fsdrv_walk(e, fx->rootnode, dirlink, &l, &st), ==, 0);
    g_assert_cmpint(fx_lstat(fx, dirlink, &host), ==, 0);
    g_assert_true(S_ISLNK(st.st_mode));
    g_assert_cmpuint(st.st_ino, ==, host.st_ino);
    g_assert_cmpint(fsdrv_getattr(e, l, NULL, &st), ==, 0);
    g_assert_true(S_ISLNK(st.st_mode));
    g_assert_cmpint(fsdrv_readlink(e, l, buf, sizeof(buf)), ==, (ssize_t)strlen(target));

    assert_blocked(fsdrv_walk(e, l, "secret", &n, &st));
    assert_blocked(fsdrv_walk(e, l, "sub", &n, &st));
    g_assert_null(n);
    g_assert_cmpint(fsdrv_open(e, l, O_RDONLY, NULL, &f), ==, -ELOOP);
    g_assert_cmpint(fsdrv_open(e, l, O_RDONLY | O_DIRECTORY, NULL, &f), ==, -ELOOP);
    g_assert_cmpint(fsdrv_open(e, l, O_RDWR | O_TRUNC, NULL, &f), ==, -ELOOP);
    g_assert_null(f);

    /* Nodes built beneath the link (as the server would after a rename). */
    struct fsdrv_node *secret = fsdrv_child(l, "secret"), *sub = fsdrv_child(l, "sub");
    struct fsdrv_node *deep = fsdrv_child(sub, "x");
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_MODE, .mode = 0777 };
    struct statfs sfs;
    assert_blocked(fsdrv_getattr(e, secret, NULL, &st));
    assert_blocked(fsdrv_getattr(e, deep, NULL, &st));
    assert_blocked(fsdrv_open(e, secret, O_RDONLY, NULL, &f));
    assert_blocked(fsdrv_open(e, sub, O_RDONLY, NULL, &f));
    assert_blocked(fsdrv_setattr(e, secret, NULL, &sa));
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_SIZE, .size = 0 };
    assert_blocked(fsdrv_setattr(e, secret, NULL, &sa));
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MTIME };
    assert_blocked(fsdrv_setattr(e, secret, NULL, &sa));
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_UID, .uid = 1 };
    assert_blocked(fsdrv_setattr(e, secret, NULL, &sa));
    assert_blocked(fsdrv_statfs(e, secret, &sfs));
    assert_blocked(fsdrv_readlink(e, secret, buf, sizeof(buf)));
    assert_blocked(fsdrv_getxattr(e, secret, "user.canary", buf, sizeof(buf)));
    assert_blocked(fsdrv_listxattr(e, secret, buf, sizeof(buf)));
    assert_blocked(fsdrv_setxattr(e, secret, "user.evil", "1", 1, 0));
    assert_blocked(fsdrv_removexattr(e, secret, "user.canary"));
    assert_blocked(fsdrv_create(e, l, "new", O_RDWR, 0666, &cred, &n, &f, &st));
    assert_blocked(fsdrv_create(e, sub, "new", O_RDWR, 0666, &cred, &n, &f, &st));
    assert_blocked(fsdrv_mkdir(e, l, "new", 0777, &cred, &st));
    assert_blocked(fsdrv_symlink(e, l, "new", "/", &cred, &st));
    assert_blocked(fsdrv_mknod(e, l, "new", S_IFIFO | 0666, 0, &cred, &st));
    assert_blocked(fsdrv_mknod(e, l, "new", S_IFREG | 0666, 0, &cred, &st));
    struct fsdrv_node *local = fx_walk(fx, "local", NULL);
    assert_blocked(fsdrv_link(e, secret, fx->rootnode, "stolen"));
    assert_blocked(fsdrv_link(e, local, l, "planted"));
    assert_blocked(fsdrv_rename(e, l, "secret", fx->rootnode, "stolen"));
    assert_blocked(fsdrv_rename(e, fx->rootnode, "local", l, "planted"));
    assert_blocked(fsdrv_rename(e, l, "sub", fx->rootnode, "stolen"));
    assert_blocked(fsdrv_unlink(e, l, "secret", 0));
    assert_blocked(fsdrv_unlink(e, l, "sub", AT_REMOVEDIR));
    assert_blocked(fsdrv_remove(e, secret));
    assert_blocked(fsdrv_remove(e, sub));
    g_assert_false(fx_exists(fx, "stolen"));
    g_assert_null(n);
    g_assert_null(f);

    /* Attributes of the link are the link's. */
    assert_no_attr(fsdrv_getxattr(e, l, "user.canary", buf, sizeof(buf)));
    ssize_t len = fsdrv_listxattr(e, l, buf, sizeof(buf));
    g_assert_cmpint(len, >=, 0);
    g_assert_null(memmem(buf, (size_t)len, "user.canary", 11));
    g_assert_cmpint(fsdrv_setxattr(e, l, "user.evil", "1", 1, 0), ==, -EPERM);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE, .mode = 0 };
    g_assert_cmpint(fsdrv_setattr(e, l, NULL, &sa), ==, 0);   /* ignored */
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_SIZE, .size = 0 };
    g_assert_cmpint(fsdrv_setattr(e, l, NULL, &sa), ==, -EINVAL);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MTIME };
    g_assert_cmpint(fsdrv_setattr(e, l, NULL, &sa), ==, 0);
    if (fx_is_root()) {
        const struct fsdrv_cred seven = { 7, 7 };
        sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_UID | FSDRV_SET_GID, .uid = 7, .gid = 7 };
        g_assert_cmpint(fsdrv_setattr(e, l, NULL, &sa), ==, 0);
        fx_assert_owner(fx, dirlink, &seven);
    }
    g_assert_cmpint(fsdrv_statfs(e, l, &sfs), ==, 0);

    fsdrv_node_unref(local);
    fsdrv_node_unref(deep);
    fsdrv_node_unref(sub);
    fsdrv_node_unref(secret);
    fsdrv_node_unref(l);
}

/* Operations on `filelink`, a symlink to a file outside. */
static void attack_file_link(struct fx *fx, const char *filelink)
{
    struct fsdrv_export *e = fx->exp;
    struct fsdrv_node *l = fx_walk(fx, filelink, NULL), *n = NULL;
    struct fsdrv_file *f = NULL;
    struct stat st;
    char buf[64];

    g_assert_cmpint(fsdrv_open(e, l, O_RDONLY, NULL, &f), ==, -ELOOP);
    g_assert_cmpint(fsdrv_open(e, l, O_WRONLY | O_TRUNC, NULL, &f), ==, -ELOOP);
    g_assert_cmpint(fsdrv_open(e, l, O_WRONLY | O_APPEND, NULL, &f), ==, -ELOOP);
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_SIZE, .size = 0 };
    g_assert_cmpint(fsdrv_setattr(e, l, NULL, &sa), ==, -EINVAL);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE, .mode = 0 };
    g_assert_cmpint(fsdrv_setattr(e, l, NULL, &sa), ==, 0);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_ATIME | FSDRV_SET_MTIME };
    g_assert_cmpint(fsdrv_setattr(e, l, NULL, &sa), ==, 0);
    assert_no_attr(fsdrv_getxattr(e, l, "user.canary", buf, sizeof(buf)));
    /* user.* attributes do not exist on symlinks: EPERM, never the target's. */
    int r = fsdrv_removexattr(e, l, "user.canary");
    g_assert_true(r == -EPERM || r == -ENODATA);
    assert_blocked(fsdrv_walk(e, l, "x", &n, &st));
    assert_blocked(fsdrv_create(e, l, "x", O_RDWR, 0666, &cred, &n, &f, &st));
    /* A hard link of the symlink is the symlink again, inside. */
    char *hard = g_strconcat(filelink, "-hard", NULL);
    g_assert_cmpint(fsdrv_link(e, l, fx->rootnode, hard), ==, 0);
    g_assert_cmpint(fx_lstat(fx, hard, &st), ==, 0);
    g_assert_true(S_ISLNK(st.st_mode));
    g_free(hard);
    fsdrv_node_unref(l);
}

static void test_symlinks_out(struct fx *fx, gconstpointer v)
{
    char *abs_dir = g_strdup(fx->canary);
    char *abs_file = g_build_filename(fx->canary, "secret", NULL);
    fx_symlink(fx, abs_dir, "abs");
    fx_symlink(fx, "../canary", "rel");
    fx_symlink(fx, abs_file, "absfile");
    fx_symlink(fx, "../canary/secret", "relfile");
    fx_write(fx, "local", "l", 1);

    attack_dir_link(fx, "abs", abs_dir);
    attack_dir_link(fx, "rel", "../canary");
    attack_file_link(fx, "absfile");
    attack_file_link(fx, "relfile");
    fx_check_canary(fx);
    g_free(abs_file);
    g_free(abs_dir);
}

/* Symlinks in the middle of a path are not traversed, even pointing inside. */
static void test_symlinks_mid_path(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    fx_mkdir(fx, "real");
    fx_mkdir(fx, "real/sub");
    fx_write(fx, "real/sub/file", "f", 1);
    fx_symlink(fx, "real", "mid");
    fx_symlink(fx, "../../canary", "real/out");

    struct fsdrv_node *mid = fx_walk(fx, "mid", NULL), *real = fx_walk(fx, "real", NULL);
    struct fsdrv_node *sub = fsdrv_child(mid, "sub"), *file = fsdrv_child(sub, "file");
    struct fsdrv_node *out = fsdrv_child(real, "out"), *outsub = fsdrv_child(out, "sub");
    struct fsdrv_node *n = NULL;
    struct fsdrv_file *f = NULL;
    struct stat st;

    assert_blocked(fsdrv_walk(e, mid, "sub", &n, &st));
    assert_blocked(fsdrv_walk(e, sub, "file", &n, &st));
    assert_blocked(fsdrv_getattr(e, sub, NULL, &st));
    assert_blocked(fsdrv_getattr(e, file, NULL, &st));
    assert_blocked(fsdrv_open(e, file, O_RDONLY, NULL, &f));
    assert_blocked(fsdrv_create(e, sub, "new", O_RDWR, 0600, &cred, &n, &f, &st));
    assert_blocked(fsdrv_unlink(e, sub, "file", 0));
    assert_blocked(fsdrv_walk(e, out, "secret", &n, &st));
    assert_blocked(fsdrv_walk(e, outsub, "..", &n, &st));
    assert_blocked(fsdrv_mkdir(e, outsub, "new", 0700, &cred, &st));
    assert_blocked(fsdrv_create(e, out, "new", O_RDWR, 0600, &cred, &n, &f, &st));
    g_assert_true(fx_exists(fx, "real/sub/file"));
    g_assert_false(fx_exists(fx, "real/sub/new"));

    /* ".." never climbs above the root, however often. */
    struct fsdrv_node *cur = fsdrv_root(e);
    struct stat rootst;
    g_assert_cmpint(fx_lstat(fx, "", &rootst), ==, 0);
    for (int i = 0; i < 4; i++) {
        g_assert_cmpint(fsdrv_walk(e, cur, "..", &n, &st), ==, 0);
        fsdrv_node_unref(cur);
        cur = n;
        g_assert_true(fsdrv_node_is_root(cur));
        g_assert_cmpuint(st.st_ino, ==, rootst.st_ino);
    }
    fsdrv_node_unref(cur);
    g_assert_cmpint(fsdrv_walk(e, real, "..", &n, &st), ==, 0);
    g_assert_true(fsdrv_node_is_root(n));
    g_assert_cmpuint(st.st_ino, ==, rootst.st_ino);
    fsdrv_node_unref(n);

    fsdrv_node_unref(outsub);
    fsdrv_node_unref(out);
    fsdrv_node_unref(file);
    fsdrv_node_unref(sub);
    fsdrv_node_unref(real);
    fsdrv_node_unref(mid);
}

/* Names that are not a single component never reach the filesystem. */
static void test_bad_names(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    fx_write(fx, "ok", "", 0);
    struct fsdrv_node *ok = fx_walk(fx, "ok", NULL), *n = NULL;
    struct fsdrv_file *f = NULL;
    struct stat st;
    char *long_name = fx_long_name(NAME_MAX + 1);
    const char *bad[] = { "", ".", "..", "a/b", "/etc", "../canary", "x/", long_name };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        const char *name = bad[i];
        int want = strlen(name) > NAME_MAX ? -ENAMETOOLONG : -EINVAL;
        if (strcmp(name, ".."))
            g_assert_cmpint(fsdrv_walk(e, fx->rootnode, name, &n, &st), ==, want);
        g_assert_cmpint(fsdrv_create(e, fx->rootnode, name, O_RDWR, 0600, &cred, &n, &f, &st),
                        ==, want);
        g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, name, 0700, &cred, &st), ==, want);
        g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, name, "t", &cred, &st), ==, want);
        g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, name, S_IFIFO | 0600, 0, &cred, &st),
                        ==, want);
        g_assert_cmpint(fsdrv_link(e, ok, fx->rootnode, name), ==, want);
        g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "ok", fx->rootnode, name), ==, want);
        g_assert_cmpint(fsdrv_rename(e, fx->rootnode, name, fx->rootnode, "x"), ==, want);
        g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, name, 0), ==, want);
        g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, name, AT_REMOVEDIR), ==, want);
        g_assert_null(fsdrv_child(fx->rootnode, name));
    }
    g_assert_null(n);
    g_assert_null(f);
    g_assert_true(fx_exists(fx, "ok"));
    g_free(long_name);
    fsdrv_node_unref(ok);
}

/* ---- a symlink swapped in for a directory during walks ------------------ */

struct swapper {
    int rootfd;
    atomic_bool stop;
    unsigned long swaps;
};

static void *swap_loop(void *opaque)
{
    struct swapper *s = opaque;
    while (!atomic_load(&s->stop))
        if (renameat2(s->rootfd, "d", s->rootfd, "alt", RENAME_EXCHANGE) == 0)
            s->swaps++;
    return NULL;
}

static void test_swap_race(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    fx_mkdir(fx, "d");
    fx_mkdir(fx, "d/sub");
    fx_symlink(fx, fx->canary, "alt");

    struct swapper s = { .rootfd = fx->rootfd };
    pthread_t th;
    g_assert_cmpint(pthread_create(&th, NULL, swap_loop, &s), ==, 0);

    struct fsdrv_node *d = fsdrv_child(fx->rootnode, "d"), *sub = fsdrv_child(d, "sub");
    unsigned long ok = 0, failed = 0;
    gint64 end = g_get_monotonic_time() + G_USEC_PER_SEC;
    for (unsigned i = 0; g_get_monotonic_time() < end; i++) {
        char name[32];
        struct stat st;
        struct fsdrv_file *f;
        int r[8];
        g_snprintf(name, sizeof(name), "f%u", i);
        r[0] = fsdrv_create(e, d, name, O_RDWR, 0600, &cred, NULL, &f, &st);
        if (r[0] == 0)
            fsdrv_close(f);
        r[1] = fsdrv_create(e, sub, name, O_RDWR, 0600, &cred, NULL, &f, &st);
        if (r[1] == 0)
            fsdrv_close(f);
        g_snprintf(name, sizeof(name), "m%u", i);
        r[2] = fsdrv_mkdir(e, d, name, 0700, &cred, &st);
        g_snprintf(name, sizeof(name), "s%u", i);
        r[3] = fsdrv_symlink(e, sub, name, "t", &cred, &st);
        g_snprintf(name, sizeof(name), "p%u", i);
        r[4] = fsdrv_mknod(e, d, name, S_IFIFO | 0600, 0, &cred, &st);
        r[5] = fsdrv_setxattr(e, sub, "user.race", "1", 1, 0);

        /* a walk step by step, then a create in what it found */
        struct fsdrv_node *wd = NULL, *wsub = NULL;
        r[6] = fsdrv_walk(e, fx->rootnode, "d", &wd, &st);
        if (r[6] == 0) {
            r[6] = fsdrv_walk(e, wd, "sub", &wsub, &st);
            if (r[6] == 0) {
                g_snprintf(name, sizeof(name), "w%u", i);
                r[6] = fsdrv_create(e, wsub, name, O_RDWR, 0600, &cred, NULL, &f, &st);
                if (r[6] == 0)
                    fsdrv_close(f);
                fsdrv_node_unref(wsub);
            }
            fsdrv_node_unref(wd);
        }
        struct fsdrv_setattr sa = { .valid = FSDRV_SET_MODE | FSDRV_SET_MTIME, .mode = 0700 };
        r[7] = fsdrv_setattr(e, sub, NULL, &sa);
        for (size_t k = 0; k < G_N_ELEMENTS(r); k++) {
            if (r[k] == 0)
                ok++;
            else if (r[k] == -ENOTDIR || r[k] == -ELOOP || r[k] == -ENOENT)
                failed++;
            else if (r[k] != -EEXIST)
                g_error("op %zu: unexpected %s", k, g_strerror(-r[k]));
        }
    }
    atomic_store(&s.stop, true);
    pthread_join(th, NULL);
    g_test_message("%lu swaps, %lu operations done, %lu refused", s.swaps, ok, failed);
    g_assert_cmpuint(s.swaps, >, 100);
    g_assert_cmpuint(ok, >, 0);
    g_assert_cmpuint(failed, >, 0);
    fx_check_canary(fx);
    fsdrv_node_unref(sub);
    fsdrv_node_unref(d);
}

/* ---- device nodes and sockets are never opened ---------------------------- */

static void test_devices(struct fx *fx, gconstpointer v)
{
    if (!fx_is_root()) {
        g_test_skip("mknod of device nodes needs root");
        return;
    }
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mknodat(fx->rootfd, "null", S_IFCHR | 0666, makedev(1, 3)), ==, 0);
    g_assert_cmpint(mknodat(fx->rootfd, "blk", S_IFBLK | 0666, makedev(7, 0)), ==, 0);
    int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    char *sockpath = fx_path(fx, "sock");
    g_assert_cmpuint(strlen(sockpath), <, sizeof(sun.sun_path));
    strcpy(sun.sun_path, sockpath);
    g_assert_cmpint(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), ==, 0);
    g_free(sockpath);

    /* Any open of the device inodes shows up here. */
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    /* (IN_ACCESS/IN_MODIFY also mean utimensat: only opens and closes count.) */
    const uint32_t opened = IN_OPEN | IN_CLOSE;
    char *pnull = fx_path(fx, "null"), *pblk = fx_path(fx, "blk");
    g_assert_cmpint(inotify_add_watch(in, pnull, opened), >=, 0);
    g_assert_cmpint(inotify_add_watch(in, pblk, opened), >=, 0);
    g_free(pnull);
    g_free(pblk);

    struct stat st;
    struct fsdrv_node *null = fx_walk(fx, "null", &st);
    g_assert_true(S_ISCHR(st.st_mode));
    g_assert_cmpuint(st.st_rdev, ==, makedev(1, 3));
    struct fsdrv_node *blk = fx_walk(fx, "blk", NULL), *sk = fx_walk(fx, "sock", &st);
    g_assert_true(S_ISSOCK(st.st_mode));
    struct fsdrv_file *f = NULL;
    const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR, O_RDWR | O_TRUNC, O_RDONLY | O_NONBLOCK };
    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_assert_cmpint(fsdrv_open(e, null, modes[i], NULL, &f), ==, -ENXIO);
        g_assert_cmpint(fsdrv_open(e, blk, modes[i], NULL, &f), ==, -ENXIO);
        g_assert_cmpint(fsdrv_open(e, sk, modes[i], NULL, &f), ==, -ENXIO);
    }
    g_assert_null(f);
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_SIZE, .size = 0 };
    g_assert_cmpint(fsdrv_setattr(e, null, NULL, &sa), ==, -EINVAL);
    g_assert_cmpint(fsdrv_setattr(e, blk, NULL, &sa), ==, -EINVAL);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE | FSDRV_SET_MTIME, .mode = 0600 };
    g_assert_cmpint(fsdrv_setattr(e, null, NULL, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "null", &st), ==, 0);
    fx_assert_mode(st.st_mode & 07777, ==, 0600);
    char buf[64];
    fsdrv_listxattr(e, null, buf, sizeof(buf));
    g_assert_cmpint(fsdrv_statfs(e, null, &(struct statfs){ 0 }), ==, 0);

    ssize_t got = read(in, buf, sizeof(buf));
    if (got > 0)
        g_error("a device node was opened: inotify mask 0x%x",
                ((const struct inotify_event *)(const void *)buf)->mask);
    g_assert_cmpint(errno, ==, EAGAIN);
    struct fsdrv_usage u;
    fsdrv_export_usage(e, &u);
    g_assert_cmpuint(u.open_files, ==, 0);

    close(in);
    close(sock);
    fsdrv_node_unref(sk);
    fsdrv_node_unref(blk);
    fsdrv_node_unref(null);
}

void fsdrv_tests_escape(void)
{
    fx_add("escape/symlinks_out", test_symlinks_out);
    fx_add("escape/symlinks_mid_path", test_symlinks_mid_path);
    fx_add("escape/bad_names", test_bad_names);
    fx_add("escape/swap_race", test_swap_race);
    fx_add("escape/devices", test_devices);
}
