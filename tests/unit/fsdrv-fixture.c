// SPDX-License-Identifier: GPL-2.0-or-later
/* Test fixture for fsdrv, see fsdrv-fixture.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/unit/fsdrv-fixture.h"

static const struct fsdrv_variant variants[] = {
    { "passthrough/openat2", FSDRV_MODEL_PASSTHROUGH, false },
    { "passthrough/walk", FSDRV_MODEL_PASSTHROUGH, true },
    { "none/openat2", FSDRV_MODEL_NONE, false },
    { "none/walk", FSDRV_MODEL_NONE, true },
};

/* The mapped models keep the client's view beside the host file: tests of their own. */
static const struct fsdrv_variant mapped_variants[] = {
    { "mapped-xattr/openat2", FSDRV_MODEL_MAPPED_XATTR, false },
    { "mapped-xattr/walk", FSDRV_MODEL_MAPPED_XATTR, true },
    { "mapped-file/openat2", FSDRV_MODEL_MAPPED_FILE, false },
    { "mapped-file/walk", FSDRV_MODEL_MAPPED_FILE, true },
};

bool fx_is_root(void)
{
    return geteuid() == 0;
}

char *fx_path(struct fx *fx, const char *rel)
{
    return rel[0] ? g_build_filename(fx->root, rel, NULL) : g_strdup(fx->root);
}

void fx_write(struct fx *fx, const char *rel, const void *data, size_t len)
{
    int fd = openat(fx->rootfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, data, len), ==, (ssize_t)len);
    close(fd);
}

void fx_mkdir(struct fx *fx, const char *rel)
{
    g_assert_cmpint(mkdirat(fx->rootfd, rel, 0755), ==, 0);
}

void fx_symlink(struct fx *fx, const char *target, const char *rel)
{
    g_assert_cmpint(symlinkat(target, fx->rootfd, rel), ==, 0);
}

int fx_lstat(struct fx *fx, const char *rel, struct stat *st)
{
    return fstatat(fx->rootfd, rel[0] ? rel : ".", st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
}

bool fx_exists(struct fx *fx, const char *rel)
{
    struct stat st;
    return fx_lstat(fx, rel, &st) == 0;
}

void fx_assert_owner(struct fx *fx, const char *rel, const struct fsdrv_cred *cred)
{
    struct stat host;
    g_assert_cmpint(fx_lstat(fx, rel, &host), ==, 0);
    if (!fx_is_root())
        return;
    bool guest = fx->cfg.model == FSDRV_MODEL_PASSTHROUGH;
    g_assert_cmpuint(host.st_uid, ==, guest ? cred->uid : geteuid());
    g_assert_cmpuint(host.st_gid, ==, guest ? cred->gid : getegid());
}

void fx_wait_count(struct fx *fx)
{
    struct fsdrv_usage u;
    for (int i = 0; i < 5000; i++) {
        fsdrv_export_usage(fx->exp, &u);
        if (!u.counting)
            return;
        g_usleep(1000);
    }
    g_error("the quota's count did not end");
}

void fx_set_mtime(struct fx *fx, const char *rel, time_t sec)
{
    struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };
    g_assert_cmpint(utimensat(fx->rootfd, rel, ts, AT_SYMLINK_NOFOLLOW), ==, 0);
}

int fx_walk_err(struct fx *fx, const char *rel, struct fsdrv_node **out)
{
    struct fsdrv_node *node = fsdrv_root(fx->exp);
    char **parts = g_strsplit(rel, "/", -1);
    int err = 0;
    for (char **p = parts; *p && !err; p++) {
        if (!**p)
            continue;
        struct fsdrv_node *next = NULL;
        struct stat st;
        err = fsdrv_walk(fx->exp, node, *p, &next, &st);
        fsdrv_node_unref(node);
        node = err ? NULL : next;
    }
    g_strfreev(parts);
    *out = node;
    return err;
}

struct fsdrv_node *fx_walk(struct fx *fx, const char *rel, struct stat *st)
{
    struct fsdrv_node *node;
    int err = fx_walk_err(fx, rel, &node);
    if (err)
        g_error("walk %s: %s", rel, g_strerror(-err));
    if (st)
        g_assert_cmpint(fsdrv_getattr(fx->exp, node, NULL, st), ==, 0);
    return node;
}

bool fx_list_has(const char *list, ssize_t len, const char *name)
{
    for (ssize_t pos = 0; pos < len; pos += (ssize_t)strlen(list + pos) + 1)
        if (!strcmp(list + pos, name))
            return true;
    return false;
}

char *fx_long_name(size_t len)
{
    char *s = g_malloc(len + 1);
    memset(s, 'n', len);
    s[len] = '\0';
    return s;
}

/* ---- the canary -------------------------------------------------------- */

static GHashTable *snap_tree;

static int snap_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    GString *s = g_string_new(NULL);
    g_string_printf(s, "mode=%o uid=%u gid=%u size=%lld nlink=%lu ino=%lu "
                    "mtime=%lld.%09ld ctime=%lld.%09ld",
                    st->st_mode, st->st_uid, st->st_gid, (long long)st->st_size,
                    (unsigned long)st->st_nlink, (unsigned long)st->st_ino,
                    (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
                    (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
    if (S_ISREG(st->st_mode)) {
        char *data = NULL;
        gsize len = 0;
        g_assert_true(g_file_get_contents(path, &data, &len, NULL));
        g_string_append_printf(s, " data=%.*s", (int)len, data);
        g_free(data);
    }
    char list[1024];
    ssize_t n = llistxattr(path, list, sizeof(list));
    if (n > 0)
        g_string_append_len(s, list, n);
    g_hash_table_insert(snap_tree, g_strdup(path), g_string_free(s, FALSE));
    return 0;
}

static GHashTable *snapshot(const char *dir)
{
    snap_tree = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_assert_cmpint(nftw(dir, snap_entry, 16, FTW_PHYS), ==, 0);
    GHashTable *t = snap_tree;
    snap_tree = NULL;
    return t;
}

static void watch_canary(struct fx *fx)
{
    fx->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    g_assert_cmpint(fx->inotify_fd, >=, 0);
    GHashTableIter it;
    gpointer path;
    g_hash_table_iter_init(&it, fx->canary_snap);
    while (g_hash_table_iter_next(&it, &path, NULL))
        g_assert_cmpint(inotify_add_watch(fx->inotify_fd, path,
                                          IN_ALL_EVENTS | IN_DONT_FOLLOW), >=, 0);
}

void fx_check_canary(struct fx *fx)
{
    /* First the events (reading the tree below would add our own). */
    char buf[4096];
    ssize_t n = read(fx->inotify_fd, buf, sizeof(buf));
    if (n > 0) {
        const struct inotify_event *ev = (const void *)buf;
        g_error("canary touched: inotify mask 0x%x name '%s'", ev->mask,
                ev->len ? ev->name : "");
    }
    g_assert_cmpint(errno, ==, EAGAIN);

    GHashTable *now = snapshot(fx->canary);
    g_assert_cmpuint(g_hash_table_size(now), ==, g_hash_table_size(fx->canary_snap));
    GHashTableIter it;
    gpointer path, desc;
    g_hash_table_iter_init(&it, fx->canary_snap);
    while (g_hash_table_iter_next(&it, &path, &desc)) {
        const char *cur = g_hash_table_lookup(now, path);
        if (!cur)
            g_error("canary %s vanished", (char *)path);
        g_assert_cmpstr(cur, ==, desc);
    }
    g_hash_table_destroy(now);
    /* Our own reads above generated events: start over clean. */
    close(fx->inotify_fd);
    watch_canary(fx);
}

/* ---- setup and teardown ------------------------------------------------- */

static void open_export(struct fx *fx)
{
    g_assert_cmpint(fsdrv_export_open(fx->root, &fx->cfg, &fx->exp), ==, 0);
    fx->rootnode = fsdrv_root(fx->exp);
    /* Every kernel this runs on has openat2 (5.6+): both paths get tested. */
    g_assert_cmpint(fsdrv_export_uses_openat2(fx->exp), ==, !fx->cfg.no_openat2);
    /* Usage is read at once by tests: the count first (its own tests do not wait). */
    fx_wait_count(fx);
}

void fx_reopen(struct fx *fx)
{
    fsdrv_node_unref(fx->rootnode);
    fsdrv_export_close(fx->exp);
    open_export(fx);
}

static void fx_setup(struct fx *fx, gconstpointer data)
{
    fx->v = data;
    fx->top = g_strdup("/tmp/fsdrv-test-XXXXXX");
    g_assert_nonnull(g_mkdtemp(fx->top));
    fx->root = g_build_filename(fx->top, "export", NULL);
    fx->canary = g_build_filename(fx->top, "canary", NULL);
    fx->mounts = g_ptr_array_new_with_free_func(g_free);
    g_assert_cmpint(mkdir(fx->root, 0755), ==, 0);
    g_assert_cmpint(mkdir(fx->canary, 0755), ==, 0);

    char *secret = g_build_filename(fx->canary, "secret", NULL);
    char *sub = g_build_filename(fx->canary, "sub", NULL);
    g_assert_true(g_file_set_contents(secret, "canary", -1, NULL));
    g_assert_cmpint(mkdir(sub, 0755), ==, 0);
    /* A filesystem without user xattrs just has no xattr to protect. */
    setxattr(secret, "user.canary", "yes", 3, 0);
    g_free(secret);
    g_free(sub);
    fx->canary_snap = snapshot(fx->canary);
    watch_canary(fx);

    fx->rootfd = open(fx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(fx->rootfd, >=, 0);
    fx->cfg = (struct fsdrv_config){
        .model = fx->v->model,
        .no_openat2 = fx->v->no_openat2,
    };
    open_export(fx);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

static void fx_teardown(struct fx *fx, gconstpointer data)
{
    fsdrv_node_unref(fx->rootnode);
    fsdrv_export_close(fx->exp);
    fx_check_canary(fx);
    close(fx->inotify_fd);
    close(fx->rootfd);
    for (guint i = fx->mounts->len; i-- > 0;)
        umount2(g_ptr_array_index(fx->mounts, i), MNT_DETACH);
    g_ptr_array_free(fx->mounts, TRUE);
    g_hash_table_destroy(fx->canary_snap);
    g_assert_cmpint(nftw(fx->top, rm_entry, 16, FTW_DEPTH | FTW_PHYS), ==, 0);
    g_free(fx->canary);
    g_free(fx->root);
    g_free(fx->top);
}

static void add_variants(const struct fsdrv_variant *vs, size_t n, const char *name,
                         fx_test_fn fn)
{
    for (size_t i = 0; i < n; i++) {
        char *path = g_strdup_printf("/fsdrv/%s/%s", vs[i].name, name);
        g_test_add(path, struct fx, &vs[i], fx_setup, fn, fx_teardown);
        g_free(path);
    }
}

void fx_add(const char *name, fx_test_fn fn)
{
    add_variants(variants, G_N_ELEMENTS(variants), name, fn);
}

void fx_add_mapped(const char *name, fx_test_fn fn)
{
    add_variants(mapped_variants, G_N_ELEMENTS(mapped_variants), name, fn);
}

void fx_add_once(const char *name, fx_test_fn fn)
{
    char *path = g_strdup_printf("/fsdrv/%s", name);
    g_test_add(path, struct fx, &variants[0], fx_setup, fn, fx_teardown);
    g_free(path);
}
