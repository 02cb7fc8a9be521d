// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What one guest may make dom0 hold (docs/design.md "Limits"): fids and the
 * memory they pin (names, xattr values being written or read) stay within the
 * session's budgets, the guest gets an error beyond them, and clunking gives
 * the memory back.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/xattr.h>

#include "tests/unit/server-harness.h"

#define KIB 1024u

/* The session says once which limit the guest reached (the test checks the log). */
static void expect_limit_message(const char *what)
{
    char *pattern = g_strdup_printf("*the guest reached %s*", what);
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, pattern);
    g_free(pattern);
}

static uint64_t held(struct harness *h)
{
    struct p9_session_stats st;
    p9_session_get_stats(h->session, &st);
    return st.held;
}

static int xattrcreate(struct harness *h, uint32_t fid, uint64_t size)
{
    union p9_arg a[4] = { { .d = fid }, { .s = p9_str_of("user.pin") }, { .q = size }, { .d = 0 } };
    struct h_reply *r = h_rpc(h, P9_TXATTRCREATE, a);
    int err = r->r.error;
    h_reply_free(r);
    return err;
}

/*
 * The audit's attack: fids each turned into a 64 KiB Txattrcreate writer, never
 * written, never clunked.  Without a budget 8192 fids pinned 520 MiB; with one,
 * the guest gets ENOMEM once the session holds max_held.
 */
static void test_xattrcreate_pins_no_more_than_budget(void)
{
    struct h_options o = { .max_held = 1024 * KIB };
    struct harness *h = h_new(&o);
    h_start(h, "9P2000.L", 0);
    uint64_t base = held(h);
    unsigned made = 0;
    int err = 0;
    expect_limit_message("the memory its fids may hold*");
    for (uint32_t fid = 1; fid < 64 && !err; fid++) {
        g_assert_cmpint(h_walk(h, 0, fid, "", NULL), ==, 0);
        err = xattrcreate(h, fid, 64 * KIB);
        if (!err)
            made++;
    }
    g_test_assert_expected_messages();
    g_assert_cmpint(err, ==, ENOMEM);
    /* 1 MiB holds 15 such writers next to the fids themselves, not 16. */
    g_assert_cmpuint(made, ==, 15);
    g_assert_cmpuint(held(h), <=, o.max_held);
    g_assert_cmpuint(held(h), >=, base + made * 64 * KIB);
    /* Clunking (an unwritten value is not set) gives the memory back. */
    for (uint32_t fid = 1; fid <= made + 1; fid++)
        h_clunk(h, fid);
    g_assert_cmpuint(held(h), ==, base);
    g_assert_cmpint(h_walk(h, 0, 1, "", NULL), ==, 0);
    g_assert_cmpint(xattrcreate(h, 1, 64 * KIB), ==, 0);
    h_clunk(h, 1);
    h_free(h);
}

/* Txattrwalk values count too: a value read into many fids. */
static void test_xattrwalk_values_count(void)
{
    struct h_options o = { .max_held = 64 * KIB };
    struct harness *h = h_new(&o);
    h_put_file(h, "f", "x", 1);
    char *path = h_path(h, "f");
    char value[3000];       /* one ext4 block holds it */
    memset(value, 'v', sizeof(value));
    g_assert_cmpint(setxattr(path, "user.big", value, sizeof(value), 0), ==, 0);
    g_free(path);
    h_start(h, "9P2000.L", 0);
    g_assert_cmpint(h_walk(h, 0, 1, "f", NULL), ==, 1);
    unsigned made = 0;
    int err = 0;
    expect_limit_message("the memory its fids may hold*");
    for (uint32_t fid = 2; fid < 200 && !err; fid++) {
        union p9_arg a[3] = { { .d = 1 }, { .d = fid }, { .s = p9_str_of("user.big") } };
        struct h_reply *r = h_rpc(h, P9_TXATTRWALK, a);
        err = r->r.error;
        h_reply_free(r);
        if (!err)
            made++;
    }
    g_test_assert_expected_messages();
    g_assert_cmpint(err, ==, ENOMEM);
    /* 64 KiB is about 20 of them with their fids. */
    g_assert_cmpuint(made, >=, 15);
    g_assert_cmpuint(made, <=, 21);
    g_assert_cmpuint(held(h), <=, o.max_held);
    h_free(h);
}

/* Fids themselves: max_fids, then EMFILE; the nodes they name, the store's limit. */
static void test_fid_count_and_names(void)
{
    struct h_options o = { .max_fids = 100 };
    struct harness *h = h_new(&o);
    h_start(h, "9P2000.L", 0);
    int got = 0;
    uint32_t fid;
    expect_limit_message("max fids");
    for (fid = 1; fid < 200 && got == 0; fid++)
        got = h_walk(h, 0, fid, "", NULL);
    g_test_assert_expected_messages();
    g_assert_cmpint(got, ==, -EMFILE);
    g_assert_cmpuint(fid - 1, ==, 100);     /* fid 0 and 99 clones */
    h_free(h);

    /* Deep names are shared: fids on one deep path hold one chain of nodes,
     * and what nodes take is the inode store's limit, not each fid's. */
    struct h_options small = { .max_held = 64 * KIB, .max_node_bytes = 16 * KIB };
    h = h_new(&small);
    char dir[256];
    memset(dir, 'd', 200);
    dir[200] = '\0';
    char *deep = g_strjoin("/", dir, dir, dir, dir, dir, dir, dir, dir, NULL);
    char *make = g_strdup(deep);
    for (char *p = make; (p = strchr(p, '/')); p++) {
        *p = '\0';
        h_mkdir(h, make);
        *p = '/';
    }
    h_mkdir(h, make);
    for (int i = 0; i < 100; i++) {
        char *name = g_strdup_printf("%s-%03d", dir, i);
        h_mkdir(h, name);
        g_free(name);
    }
    h_start(h, "9P2000.L", 0);
    for (fid = 1; fid < 200; fid++)
        g_assert_cmpint(h_walk(h, 0, fid, deep, NULL), ==, 8);
    struct fsdrv_usage u;
    fsdrv_export_usage(h->exp, &u);
    g_assert_cmpuint(u.node_bytes, <, 8 * 512);     /* eight nodes, whatever the fids */
    g_assert_cmpuint(held(h), <=, small.max_held);
    /* Distinct names fill the store: ENOMEM, said in the log; clunks give it back. */
    int err = 0;
    unsigned made = 0;
    g_test_expect_message(NULL, G_LOG_LEVEL_WARNING, "*nodes the client holds reached*");
    for (int i = 0; i < 100 && !err; i++) {
        char *name = g_strdup_printf("%s-%03d", dir, i);
        err = h_walk(h, 0, 1000 + i, name, NULL) < 0 ? -ENOMEM : 0;
        g_free(name);
        if (!err)
            made++;
    }
    g_test_assert_expected_messages();
    g_assert_cmpint(err, ==, -ENOMEM);
    /* ~16 KiB of ~200-byte names with their nodes: about 35 of them. */
    g_assert_cmpuint(made, >=, 20);
    g_assert_cmpuint(made, <=, 60);
    for (unsigned i = 0; i < made; i++)
        g_assert_cmpint(h_clunk(h, 1000 + i), ==, 0);
    for (fid = 1; fid < 200; fid++)
        g_assert_cmpint(h_clunk(h, fid), ==, 0);
    fsdrv_export_usage(h->exp, &u);
    g_assert_cmpuint(u.node_bytes, ==, 0);
    g_free(make);
    g_free(deep);
    h_free(h);
}

int main(int argc, char **argv)
{
    h_init(&argc, &argv);
    g_test_add_func("/server/limits/xattrcreate-pins-no-more-than-budget",
                    test_xattrcreate_pins_no_more_than_budget);
    g_test_add_func("/server/limits/xattrwalk-values-count", test_xattrwalk_values_count);
    g_test_add_func("/server/limits/fid-count-and-names", test_fid_count_and_names);
    return g_test_run();
}
