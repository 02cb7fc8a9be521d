// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fsdrv: quotas a guest cannot get around (docs/design.md "Limits"): the
 * space of unlinked files it holds open, truncation and fallocate, every
 * kind of name against max-files, the count made on a thread of its own
 * while the export serves, and auto-delete's index.  The proofs of concept
 * of the issue are here: 256 MiB written through an unlinked file with a
 * 1 MiB quota, the same by truncation, 5000 directories with max-files=2.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fsdrv/victims.h"
#include "tests/unit/fsdrv-fixture.h"
#include "tests/unit/fsdrv-tests.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

static const struct fsdrv_cred cred = { 0, 0 };

static struct fsdrv_usage usage(struct fx *fx)
{
    struct fsdrv_usage u;
    fsdrv_export_usage(fx->exp, &u);
    return u;
}

/* Writes `total` bytes in 64 KiB requests from `offset` on, as a guest would,
 * until the first error: the bytes written, the error in *err (0 if none). */
static uint64_t write_until(struct fsdrv_file *f, off_t offset, uint64_t total, int *err)
{
    static char chunk[64 * KIB];
    memset(chunk, 'q', sizeof(chunk));
    uint64_t done = 0;
    *err = 0;
    while (done < total) {
        ssize_t n = fsdrv_pwrite(f, chunk, MIN(sizeof(chunk), total - done),
                                 offset + (off_t)done, NULL);
        if (n < 0) {
            *err = (int)n;
            break;
        }
        done += (uint64_t)n;
    }
    return done;
}

/* Creates and opens `name` in the root, then unlinks it: only the open file is left. */
static struct fsdrv_file *create_unlinked(struct fx *fx, const char *name, struct fsdrv_node **node)
{
    struct fsdrv_file *f;
    struct stat st;
    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, name, O_RDWR, 0600, &cred, node, &f,
                                 &st), ==, 0);
    g_assert_cmpint(fsdrv_unlink(fx->exp, fx->rootnode, name, 0), ==, 0);
    g_assert_false(fx_exists(fx, name));
    return f;
}

/* ---- space held by unlinked files ----------------------------------------- */

/* The proof of concept: 256 MiB written through an unlinked file with a 1 MiB quota. */
static void test_unlinked_write(struct fx *fx, gconstpointer v)
{
    fx->cfg.max_space = MIB;
    fx_reopen(fx);
    struct fsdrv_node *node;
    struct fsdrv_file *f = create_unlinked(fx, "hidden", &node);
    int err;
    uint64_t written = write_until(f, 0, 256 * MIB, &err);
    g_test_message("written through the unlinked file: %" G_GUINT64_FORMAT, written);
    g_assert_cmpint(err, ==, -EDQUOT);
    g_assert_cmpuint(written, <=, MIB);
    g_assert_cmpuint(written, >=, MIB / 2);
    struct stat st;
    g_assert_cmpint(fsdrv_getattr(fx->exp, node, f, &st), ==, 0);
    g_assert_cmpuint((uint64_t)st.st_blocks * 512, <=, MIB);
    g_assert_cmpuint(usage(fx).space, ==, (uint64_t)st.st_blocks * 512);

    /* The space is still taken: no other file gets it. */
    struct fsdrv_file *g;
    g_assert_cmpint(fsdrv_create(fx->exp, fx->rootnode, "visible", O_RDWR, 0600, &cred, NULL,
                                 &g, &st), ==, 0);
    uint64_t more = write_until(g, 0, 256 * KIB, &err);
    g_assert_cmpuint(more, <, 64 * KIB);
    g_assert_cmpint(err, ==, -EDQUOT);

    /* The last close frees it. */
    fsdrv_close(f);
    g_assert_cmpint(fsdrv_getattr(fx->exp, fx->rootnode, NULL, &st), ==, 0);
    g_assert_cmpuint(usage(fx).space, <, 64 * KIB);
    g_assert_cmpuint(write_until(g, 0, 512 * KIB, &err), ==, 512 * KIB);
    g_assert_cmpint(err, ==, 0);
    fsdrv_close(g);
    fsdrv_node_unref(node);
}

/* Several opens, a rename over an open file, hard links: space goes with the last of them. */
static void test_unlinked_last_close(struct fx *fx, gconstpointer v)
{
    fx->cfg.max_space = 4 * MIB;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    struct fsdrv_node *a;
    struct fsdrv_file *f1, *f2;
    struct stat st;
    int err;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "a", O_RDWR, 0600, &cred, &a, &f1, &st), ==, 0);
    g_assert_cmpuint(write_until(f1, 0, MIB, &err), ==, MIB);
    g_assert_cmpint(fsdrv_open(e, a, O_RDONLY, NULL, &f2), ==, 0);
    const uint64_t held = usage(fx).space;
    g_assert_cmpuint(held, >=, MIB);

    /* A second name: unlinking the first frees nothing. */
    g_assert_cmpint(fsdrv_link(e, a, fx->rootnode, "a2"), ==, 0);
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "a", 0), ==, 0);
    g_assert_cmpuint(usage(fx).space, ==, held);
    /* A rename over the last name: still open, still counted. */
    struct fsdrv_file *b;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "b", O_RDWR, 0600, &cred, NULL, &b, &st), ==, 0);
    g_assert_cmpint(fsdrv_pwrite(b, "b", 1, 0, NULL), ==, 1);
    fsdrv_close(b);
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "b", fx->rootnode, "a2"), ==, 0);
    g_assert_cmpuint(usage(fx).space, >=, held);
    fsdrv_close(f1);
    g_assert_cmpuint(usage(fx).space, >=, held);
    fsdrv_close(f2);
    g_assert_cmpint(fx_lstat(fx, "a2", &st), ==, 0);
    g_assert_cmpuint(usage(fx).space, ==, (uint64_t)st.st_blocks * 512);

    /* Not open: an unlink frees at once. */
    struct fsdrv_file *c;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "c", O_RDWR, 0600, &cred, NULL, &c, &st), ==, 0);
    g_assert_cmpuint(write_until(c, 0, MIB, &err), ==, MIB);
    fsdrv_close(c);
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "c", 0), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "a2", &st), ==, 0);
    g_assert_cmpuint(usage(fx).space, ==, (uint64_t)st.st_blocks * 512);
    fsdrv_node_unref(a);
}

/* ---- truncation and fallocate --------------------------------------------------- */

/* The proof of concept: a truncation grows a file past the quota (by name, through an
 * unlinked file's fid, through a read-only one). */
static void test_truncate(struct fx *fx, gconstpointer v)
{
    fx->cfg.max_space = MIB;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    fx_write(fx, "f", "", 0);
    struct fsdrv_node *f = fx_walk(fx, "f", NULL);
    struct stat st;
    struct fsdrv_setattr sa = { .valid = FSDRV_SET_SIZE, .size = 256 * MIB };
    g_assert_cmpint(fsdrv_setattr(e, f, NULL, &sa), ==, -EDQUOT);
    g_assert_cmpint(fx_lstat(fx, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 0);
    struct fsdrv_file *ro;
    g_assert_cmpint(fsdrv_open(e, f, O_RDONLY, NULL, &ro), ==, 0);
    g_assert_cmpint(fsdrv_setattr(e, f, ro, &sa), ==, -EDQUOT);

    /* What fits is allowed, and counted as what the filesystem really allocated. */
    sa.size = 512 * KIB;
    g_assert_cmpint(fsdrv_setattr(e, f, ro, &sa), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 512 * KIB);
    g_assert_cmpuint(usage(fx).space, ==, (uint64_t)st.st_blocks * 512);
    fsdrv_close(ro);

    struct fsdrv_node *hn;
    struct fsdrv_file *hidden = create_unlinked(fx, "hidden", &hn);
    sa.size = 256 * MIB;
    g_assert_cmpint(fsdrv_setattr(e, hn, hidden, &sa), ==, -EDQUOT);
    int err;
    uint64_t written = write_until(hidden, 0, 256 * MIB, &err);
    g_assert_cmpint(err, ==, -EDQUOT);
    g_assert_cmpuint(usage(fx).space, <=, MIB);
    /* Shrinking gives back; growing again needs room again. */
    sa.size = 0;
    g_assert_cmpint(fsdrv_setattr(e, hn, hidden, &sa), ==, 0);
    g_assert_cmpuint(usage(fx).space, <, written);
    sa.size = 2 * MIB;
    g_assert_cmpint(fsdrv_setattr(e, hn, hidden, &sa), ==, -EDQUOT);
    fsdrv_close(hidden);
    g_assert_cmpint(fx_lstat(fx, "f", &st), ==, 0);
    g_assert_cmpuint(usage(fx).space, ==, (uint64_t)st.st_blocks * 512);
    fsdrv_node_unref(hn);
    fsdrv_node_unref(f);
}

static void test_fallocate(struct fx *fx, gconstpointer v)
{
    fx->cfg.max_space = MIB;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    struct fsdrv_node *node;
    struct fsdrv_file *f;
    struct stat st;
    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "f", O_RDWR, 0600, &cred, &node, &f, &st), ==, 0);
    int r = fsdrv_fallocate(f, 0, 0, 256 * KIB);
    if (r == -EOPNOTSUPP) {
        g_test_skip("no fallocate on this filesystem");
        goto out;
    }
    g_assert_cmpint(r, ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 256 * KIB);
    g_assert_cmpuint(usage(fx).space, ==, (uint64_t)st.st_blocks * 512);
    g_assert_cmpuint(usage(fx).space, >=, 256 * KIB);
    /* Beyond the quota: refused before anything is allocated. */
    g_assert_cmpint(fsdrv_fallocate(f, 0, 256 * KIB, 256 * MIB), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_fallocate(f, FALLOC_FL_KEEP_SIZE, MIB, 2 * MIB), ==, -EDQUOT);
    g_assert_cmpint(fx_lstat(fx, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 256 * KIB);
    g_assert_cmpuint((uint64_t)st.st_blocks * 512, <, 512 * KIB);
    /* Within it, without changing the size. */
    g_assert_cmpint(fsdrv_fallocate(f, FALLOC_FL_KEEP_SIZE, 256 * KIB, 256 * KIB), ==, 0);
    g_assert_cmpint(fx_lstat(fx, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 256 * KIB);
    g_assert_cmpuint(usage(fx).space, ==, (uint64_t)st.st_blocks * 512);
    /* A hole gives space back. */
    r = fsdrv_fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 256 * KIB);
    g_assert_true(r == 0 || r == -EOPNOTSUPP);
    g_assert_cmpint(fx_lstat(fx, "f", &st), ==, 0);
    g_assert_cmpuint(usage(fx).space, ==, (uint64_t)st.st_blocks * 512);
    /* Modes that move data around are not the guest's. */
    g_assert_cmpint(fsdrv_fallocate(f, FALLOC_FL_COLLAPSE_RANGE, 0, 4 * KIB), ==, -EOPNOTSUPP);
    g_assert_cmpint(fsdrv_fallocate(f, FALLOC_FL_PUNCH_HOLE, 0, 4 * KIB), ==, -EOPNOTSUPP);
    g_assert_cmpint(fsdrv_fallocate(f, 0, -1, 4 * KIB), ==, -EINVAL);
    g_assert_cmpint(fsdrv_fallocate(f, 0, 0, 0), ==, -EINVAL);
    /* An unlinked file's allocation is counted too. */
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "f", 0), ==, 0);
    g_assert_cmpint(fsdrv_fallocate(f, 0, 0, 2 * MIB), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_fallocate(f, 0, 0, 768 * KIB), ==, 0);
    g_assert_cmpuint(usage(fx).space, >=, 768 * KIB);
    g_assert_cmpuint(usage(fx).space, <=, MIB);
out:
    fsdrv_close(f);
    g_assert_cmpuint(usage(fx).space, ==, 0);
    fsdrv_node_unref(node);
}

/* ---- every kind of name counts ------------------------------------------------ */

/* The proof of concept: 5000 directories with max-files=2. */
static void test_every_kind_counts(struct fx *fx, gconstpointer v)
{
    fx->cfg.max_files = 2;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    struct stat st;
    unsigned made = 0;
    for (unsigned i = 0; i < 5000; i++) {
        char name[16];
        g_snprintf(name, sizeof(name), "d%u", i);
        int r = fsdrv_mkdir(e, fx->rootnode, name, 0755, &cred, &st);
        g_assert_true(r == 0 || r == -EDQUOT);
        made += r == 0;
    }
    g_assert_cmpuint(made, ==, 2);
    g_assert_true(fx_exists(fx, "d1"));
    g_assert_false(fx_exists(fx, "d2"));
    g_assert_cmpuint(usage(fx).files, ==, 2);
    /* Nothing else fits either. */
    struct fsdrv_node *d0 = fx_walk(fx, "d0", NULL);
    g_assert_cmpint(fsdrv_symlink(e, d0, "s", "t", &cred, &st), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_mknod(e, d0, "p", S_IFIFO | 0600, 0, &cred, &st), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_mknod(e, d0, "k", S_IFSOCK | 0600, 0, &cred, &st), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_create(e, d0, "f", O_RDWR, 0600, &cred, NULL, NULL, &st), ==, -EDQUOT);
    /* Each kind takes one, and gives it back when it goes. */
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "d1", AT_REMOVEDIR), ==, 0);
    g_assert_cmpint(fsdrv_mknod(e, d0, "k", S_IFSOCK | 0600, 0, &cred, &st), ==, 0);
    g_assert_cmpint(fsdrv_mkdir(e, d0, "x", 0755, &cred, &st), ==, -EDQUOT);
    g_assert_cmpint(fsdrv_unlink(e, d0, "k", 0), ==, 0);
    g_assert_cmpint(fsdrv_mknod(e, d0, "p", S_IFIFO | 0600, 0, &cred, &st), ==, 0);
    g_assert_cmpint(fsdrv_unlink(e, d0, "p", 0), ==, 0);
    g_assert_cmpint(fsdrv_symlink(e, d0, "s", "t", &cred, &st), ==, 0);
    g_assert_cmpuint(usage(fx).files, ==, 2);
    if (fx_is_root()) {
        g_assert_cmpint(fsdrv_unlink(e, d0, "s", 0), ==, 0);
        fx->cfg.allow_devices = true;
        fx_reopen(fx);
        g_assert_cmpuint(usage(fx).files, ==, 1);
        g_assert_cmpint(fsdrv_mknod(fx->exp, fx->rootnode, "null", S_IFCHR | 0600,
                                    makedev(1, 3), &cred, &st), ==, 0);
        g_assert_cmpint(fsdrv_mknod(fx->exp, fx->rootnode, "zero", S_IFCHR | 0600,
                                    makedev(1, 5), &cred, &st), ==, -EDQUOT);
    }
    fsdrv_node_unref(d0);
}

/* ---- the count, on a thread of its own ---------------------------------------- */

#define DEPTH 1000

/* A chain of DEPTH directories, each with a file: slow to count (each
 * directory is resolved from the root), quick to make. */
static void make_deep_tree(struct fx *fx, unsigned *entries)
{
    int dir = dup(fx->rootfd);
    for (unsigned i = 0; i < DEPTH; i++) {
        g_assert_cmpint(mkdirat(dir, "d", 0755), ==, 0);
        int fd = openat(dir, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, "x", 1), ==, 1);
        close(fd);
        int next = openat(dir, "d", O_PATH | O_DIRECTORY | O_CLOEXEC);
        close(dir);
        dir = next;
    }
    close(dir);
    *entries = 2 * DEPTH;
}

/* Opens the export again without waiting for its count. */
static void reopen_counting(struct fx *fx)
{
    fsdrv_node_unref(fx->rootnode);
    fsdrv_export_close(fx->exp);
    g_assert_cmpint(fsdrv_export_open(fx->root, &fx->cfg, &fx->exp), ==, 0);
    fx->rootnode = fsdrv_root(fx->exp);
}

static unsigned host_entries_seen;

static int host_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    host_entries_seen += ftw->level > 0;    /* all but the root */
    return 0;
}

/* Names beneath the export as the host sees them. */
static unsigned host_entries(struct fx *fx)
{
    host_entries_seen = 0;
    g_assert_cmpint(nftw(fx->root, host_entry, 16, FTW_PHYS), ==, 0);
    return host_entries_seen;
}

static void test_count_serves(struct fx *fx, gconstpointer v)
{
    unsigned entries;
    make_deep_tree(fx, &entries);
    fx_write(fx, "top", "hello", 5);
    entries++;
    fx->cfg.max_files = 100000;
    fx->cfg.max_space = 100 * MIB;
    gint64 start = g_get_monotonic_time();
    reopen_counting(fx);
    gint64 opened = g_get_monotonic_time();
    struct fsdrv_export *e = fx->exp;
    /* The device serves reads meanwhile. */
    g_assert_true(usage(fx).counting);
    struct stat st;
    struct fsdrv_node *top = fx_walk(fx, "top", &st);
    struct fsdrv_file *f;
    char buf[8];
    g_assert_cmpint(fsdrv_open(e, top, O_RDONLY, NULL, &f), ==, 0);
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, NULL), ==, 5);
    fsdrv_close(f);
    g_assert_true(usage(fx).counting);
    /* A change waits for the count, and is counted once. */
    g_assert_cmpint(fsdrv_mkdir(e, fx->rootnode, "new", 0755, &cred, &st), ==, 0);
    g_assert_false(usage(fx).counting);
    g_test_message("open %" G_GINT64_FORMAT " us, count %" G_GINT64_FORMAT " us",
                   opened - start, g_get_monotonic_time() - start);
    g_assert_cmpuint(usage(fx).files, ==, entries + 1);
    g_assert_cmpuint(usage(fx).files, ==, host_entries(fx));
    fsdrv_node_unref(top);

    /* Closing while it counts stops it. */
    reopen_counting(fx);
    g_assert_true(usage(fx).counting);
    start = g_get_monotonic_time();
    fsdrv_node_unref(fx->rootnode);
    fsdrv_export_close(fx->exp);
    g_test_message("closed while counting in %" G_GINT64_FORMAT " us",
                   g_get_monotonic_time() - start);
    g_assert_cmpint(fsdrv_export_open(fx->root, &fx->cfg, &fx->exp), ==, 0);
    fx->rootnode = fsdrv_root(fx->exp);
    fx_wait_count(fx);
    g_assert_cmpuint(usage(fx).files, ==, entries + 1);
}

struct changer {
    struct fx *fx;
    unsigned id;
};

/* Makes and removes names in the tree while the count runs. */
static void *change_while_counting(void *opaque)
{
    struct changer *c = opaque;
    struct fsdrv_export *e = c->fx->exp;
    struct stat st;
    for (unsigned i = 0; i < 20; i++) {
        char name[32];
        g_snprintf(name, sizeof(name), "t%u-%u", c->id, i);
        struct fsdrv_file *f;
        g_assert_cmpint(fsdrv_create(e, c->fx->rootnode, name, O_RDWR, 0600, &cred, NULL, &f,
                                     &st), ==, 0);
        g_assert_cmpint(fsdrv_pwrite(f, "data", 4, 0, NULL), ==, 4);
        fsdrv_close(f);
        if (i % 2)
            g_assert_cmpint(fsdrv_unlink(e, c->fx->rootnode, name, 0), ==, 0);
    }
    return NULL;
}

/* What changes during the count is counted exactly once. */
static void test_count_exact(struct fx *fx, gconstpointer v)
{
    unsigned entries;
    make_deep_tree(fx, &entries);
    fx->cfg.max_files = 100000;
    fx->cfg.max_space = 100 * MIB;
    reopen_counting(fx);
    pthread_t th[4];
    struct changer c[4];
    for (unsigned i = 0; i < 4; i++) {
        c[i] = (struct changer){ fx, i };
        g_assert_cmpint(pthread_create(&th[i], NULL, change_while_counting, &c[i]), ==, 0);
    }
    for (unsigned i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    fx_wait_count(fx);
    const struct fsdrv_usage during = usage(fx);
    g_assert_cmpuint(during.files, ==, host_entries(fx));
    g_assert_cmpuint(during.files, ==, entries + 4 * 10);
    /* The same as a count with nothing going on. */
    fx_reopen(fx);
    g_assert_cmpuint(usage(fx).files, ==, during.files);
    g_assert_cmpuint(usage(fx).space, ==, during.space);
}

/* ---- auto-delete's index --------------------------------------------------------- */

static struct stat aged(time_t sec, ino_t ino)
{
    struct stat st = { .st_mode = S_IFREG | 0644, .st_ino = ino };
    st.st_mtim.tv_sec = sec;
    return st;
}

static char *take_path(struct fsdrv_victims *v)
{
    struct fsdrv_victim out;
    return fsdrv_victims_take(v, &out) ? out.path : NULL;
}

static void assert_takes(struct fsdrv_victims *v, const char *want)
{
    char *got = take_path(v);
    g_assert_cmpstr(got, ==, want);
    g_free(got);
}

static void test_victims_order(void)
{
    struct fsdrv_victims *v = fsdrv_victims_new(1 << 20);
    struct stat s3 = aged(300, 3), s1 = aged(100, 1), s2 = aged(200, 2);
    fsdrv_victims_add(v, "c", &s3);
    fsdrv_victims_add(v, "dir/a", &s1);
    fsdrv_victims_add(v, "dir/sub/b", &s2);
    fsdrv_victims_add(v, "gone", &s1);
    fsdrv_victims_remove(v, "gone");
    /* A directory's rename takes what lies beneath along; "dirx" is not beneath "dir". */
    struct stat s4 = aged(50, 4);
    fsdrv_victims_add(v, "dirx", &s4);
    fsdrv_victims_move(v, "dir", "moved", true);
    /* A newer mtime moves a file back. */
    struct stat s0 = aged(400, 4);
    fsdrv_victims_add(v, "dirx", &s0);
    assert_takes(v, "moved/a");
    struct fsdrv_victim spared;
    g_assert_true(fsdrv_victims_take(v, &spared));
    g_assert_cmpstr(spared.path, ==, "moved/sub/b");
    fsdrv_victims_put_back(v, &spared);
    g_assert_null(spared.path);
    assert_takes(v, "moved/sub/b");
    assert_takes(v, "c");
    assert_takes(v, "dirx");
    g_assert_null(take_path(v));
    g_assert_false(fsdrv_victims_refill_due(v));
    fsdrv_victims_free(v);
}

/* Full: the youngest are left out, nothing younger comes in, and once it has
 * emptied a refill is due. */
static void test_victims_bounded(void)
{
    struct fsdrv_victims *v = fsdrv_victims_new(4096);
    unsigned n;
    for (n = 0; n < 200; n++) {
        char path[16];
        g_snprintf(path, sizeof(path), "f%03u", n);
        struct stat st = aged(1000 + n, n + 1);
        fsdrv_victims_add(v, path, &st);
    }
    struct stat young = aged(5000, 999), old = aged(1, 998);
    fsdrv_victims_add(v, "young", &young);
    fsdrv_victims_add(v, "old", &old);
    fsdrv_victims_filled(v);
    assert_takes(v, "old");
    fsdrv_victims_gone(v);
    unsigned kept = 1;
    char *prev = g_strdup("f"), *path;
    while ((path = take_path(v))) {
        g_assert_cmpstr(path, >, prev);     /* oldest first, all older than any left out */
        g_assert_cmpstr(path, !=, "young");
        g_free(prev);
        prev = path;
        kept++;
        fsdrv_victims_gone(v);
    }
    g_assert_cmpstr(prev, <, "f199");
    g_free(prev);
    g_test_message("kept %u of 202 entries in 4 KiB", kept);
    g_assert_cmpuint(kept, <, 200);
    g_assert_cmpuint(kept, >, 10);
    g_assert_true(fsdrv_victims_refill_due(v));
    fsdrv_victims_clear(v);
    fsdrv_victims_filled(v);
    g_assert_false(fsdrv_victims_refill_due(v));
    fsdrv_victims_free(v);
}

/* Auto-delete follows files the guest renames, directories included. */
static void test_auto_delete_renamed(struct fx *fx, gconstpointer v)
{
    fx_mkdir(fx, "dir");
    fx_write(fx, "dir/oldest", "1", 1);
    fx_write(fx, "newer", "2", 1);
    fx_set_mtime(fx, "dir/oldest", 1000);
    fx_set_mtime(fx, "newer", 2000);
    fx->cfg.max_files = 3;
    fx->cfg.auto_delete = true;
    fx_reopen(fx);
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(fsdrv_rename(e, fx->rootnode, "dir", fx->rootnode, "moved"), ==, 0);
    struct fsdrv_node *moved = fx_walk(fx, "moved", NULL);
    g_assert_cmpint(fsdrv_rename(e, moved, "oldest", moved, "renamed"), ==, 0);
    struct stat st;
    g_assert_cmpint(fsdrv_symlink(e, fx->rootnode, "s", "t", &cred, &st), ==, 0);
    g_assert_false(fx_exists(fx, "moved/renamed"));
    g_assert_true(fx_exists(fx, "newer"));
    g_assert_cmpuint(usage(fx).files, ==, 3);
    fsdrv_node_unref(moved);
}

void fsdrv_tests_quota(void)
{
    fx_add("quota/unlinked_write", test_unlinked_write);
    fx_add("quota/unlinked_last_close", test_unlinked_last_close);
    fx_add("quota/truncate", test_truncate);
    fx_add("quota/fallocate", test_fallocate);
    fx_add("quota/every_kind_counts", test_every_kind_counts);
    fx_add_once("quota/count_serves", test_count_serves);
    fx_add_once("quota/count_exact", test_count_exact);
    fx_add("quota/auto_delete_renamed", test_auto_delete_renamed);
    g_test_add_func("/fsdrv/victims/order", test_victims_order);
    g_test_add_func("/fsdrv/victims/bounded", test_victims_bounded);
}
