// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The 9P server core through an in-process transport (server-harness.h):
 * Tversion, requests before it, Tauth, Tattach, the Twalk rules, Tclunk and
 * Tremove, unknown and malformed messages, plain 9P2000, read-only exports,
 * msize as a bound on replies, trace events, opens racing renames.
 * The operations of each dialect are in test-server-dotl.c and
 * test-server-dotu.c, Tflush in test-server-flush.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "backend/proto/p9_table.h"
#include "backend/server/ops.h"
#include "backend/server/trace.h"
#include "tests/unit/server-harness.h"

#define ROOT 1

/* ---- Tversion ------------------------------------------------------------ */

static void test_version_msize(void)
{
    struct harness *h = h_new(NULL);
    struct h_reply *r = h_version(h, 4095, "9P2000.L");
    g_assert_true(r->r.id == P9_RLERROR || r->r.id == P9_RERROR);
    h_reply_free(r);
    /* The session is not negotiated: attach is refused. */
    g_assert_cmpint(h_attach(h, ROOT, "", "", 0, NULL), !=, 0);

    r = h_version(h, 4096, "9P2000.L");
    g_assert_cmpuint(r->r.id, ==, P9_RVERSION);
    g_assert_cmpuint(r->r.body.a[0].d, ==, 4096);
    h_reply_free(r);
    g_assert_cmpuint(p9_session_msize(h->session), ==, 4096);

    /* Above the transport's maximum: clamped to it. */
    r = h_version(h, 0xffffffffu, "9P2000.L");
    g_assert_cmpuint(r->r.id, ==, P9_RVERSION);
    g_assert_cmpuint(r->r.body.a[0].d, ==, 65536);
    h_reply_free(r);
    r = h_version(h, 20000, "9P2000.L");
    g_assert_cmpuint(r->r.body.a[0].d, ==, 20000);
    h_reply_free(r);
    g_assert_cmpuint(p9_session_msize(h->session), ==, 20000);
    h_free(h);
}

static void test_version_strings(void)
{
    static const struct { const char *asked, *answer; } cases[] = {
        { "9P2000.L", "9P2000.L" },
        { "9P2000.L.foo", "9P2000.L" },
        { "9P2000.u", "9P2000.u" },
        { "9P2000.u.x", "9P2000.u" },
        { "9P2000", "9P2000" },
        { "9P2000.x", "9P2000" },       /* version(5): up to the period */
        { "9P2000.Lfoo", "9P2000" },
        { "unknown", "unknown" },
        { "9P1", "unknown" },
        { "", "unknown" },
        { "9P200", "unknown" },
    };
    struct harness *h = h_new(NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct h_reply *r = h_version(h, 8192, cases[i].asked);
        g_assert_cmpuint(r->r.id, ==, P9_RVERSION);
        g_assert_cmpstr(r->r.body.a[1].s.s, ==, cases[i].answer);
        h_reply_free(r);
    }
    /* After "unknown" nothing but Tversion is served: a 9P2000 Rerror (no
     * errno, the client sees EIO) and no fid. */
    g_assert_cmpuint(h->dialect, ==, P9_DIALECT_NONE);
    g_assert_cmpint(h_attach(h, ROOT, "", "", 0, NULL), ==, EIO);
    struct p9_session_stats st;
    p9_session_get_stats(h->session, &st);
    g_assert_cmpuint(st.fids, ==, 0);
    h_free(h);
}

static void test_version_resets_fids(void)
{
    struct harness *h = h_new(NULL);
    h_put_file(h, "f", "data", 4);
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    struct fsdrv_usage u;
    fsdrv_export_usage(h->exp, &u);
    g_assert_cmpuint(u.open_files, ==, 1);
    struct p9_session_stats st;
    p9_session_get_stats(h->session, &st);
    g_assert_cmpuint(st.fids, ==, 2);

    struct h_reply *r = h_version(h, 8192, "9P2000.L");
    g_assert_cmpuint(r->r.id, ==, P9_RVERSION);
    h_reply_free(r);
    p9_session_get_stats(h->session, &st);
    g_assert_cmpuint(st.fids, ==, 0);
    fsdrv_export_usage(h->exp, &u);
    g_assert_cmpuint(u.open_files, ==, 0);
    g_assert_cmpint(h_clunk(h, 2), ==, EBADF);
    g_assert_cmpint(h_clunk(h, ROOT), ==, EBADF);
    /* The numbers are free again. */
    g_assert_cmpint(h_attach(h, ROOT, "", "", 0, NULL), ==, 0);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    h_free(h);
}

static void test_before_version(void)
{
    struct harness *h = h_new(NULL);
    /* Requests before Tversion are refused, and leave no fid behind. */
    g_assert_cmpint(h_attach(h, ROOT, "", "", 0, NULL), !=, 0);
    union p9_arg a[1] = { { .d = ROOT } };
    struct h_reply *r = h_rpc(h, P9_TCLUNK, a);
    g_assert_true(r->r.id == P9_RERROR || r->r.id == P9_RLERROR);
    h_reply_free(r);
    struct p9_session_stats st;
    p9_session_get_stats(h->session, &st);
    g_assert_cmpuint(st.fids, ==, 0);
    g_assert_cmpuint(st.inflight, ==, 0);
    h_start(h, "9P2000.L", ROOT);
    h_free(h);
}

/* ---- Tauth, Tattach -------------------------------------------------------- */

static void test_auth(void)
{
    struct harness *h = h_new(NULL);
    h_start(h, "9P2000.L", ROOT);
    union p9_arg a[4] = { { .d = 5 }, { .s = p9_str_of("user") }, { .s = p9_str_of("") },
                          { .d = 0 } };
    /* No authentication needed: ENOENT (what diod's clients expect). */
    g_assert_cmpint(h_err(h, P9_TAUTH, a), ==, ENOENT);
    g_assert_cmpint(h_clunk(h, 5), ==, EBADF);
    /* An attach naming an afid is refused. */
    union p9_arg at[5] = { { .d = 6 }, { .d = 5 }, { .s = p9_str_of("") }, { .s = p9_str_of("") },
                           { .d = 0 } };
    g_assert_cmpint(h_err(h, P9_TATTACH, at), ==, EINVAL);
    g_assert_cmpint(h_clunk(h, 6), ==, EBADF);
    h_free(h);
}

static void test_attach_any_aname(void)
{
    struct harness *h = h_new(NULL);
    h_mkdir(h, "sub");
    h_start(h, "9P2000.L", ROOT);
    struct p9_qid root, q;
    struct h_reply *r = h_getattr(h, ROOT);
    root = r->r.body.a[1].Q;
    h_reply_free(r);
    g_assert_cmpuint(root.type, ==, P9_QTDIR);
    static const char *anames[] = { "", "/", "ctl", "sub", "/nonexistent/x", "../.." };
    for (size_t i = 0; i < G_N_ELEMENTS(anames); i++) {
        g_assert_cmpint(h_attach(h, 10 + i, "", anames[i], 0, &q), ==, 0);
        g_assert_cmpuint(q.type, ==, P9_QTDIR);
        g_assert_cmpuint(q.path, ==, root.path);
    }
    /* A fid in use cannot be attached again. */
    g_assert_cmpint(h_attach(h, ROOT, "", "", 0, NULL), ==, EBADF);
    h_free(h);
}

static void test_attach_uid(void)
{
    struct h_options opt = { .model = FSDRV_MODEL_PASSTHROUGH };
    struct harness *h = h_new(&opt);
    struct h_reply *r = h_version(h, 65536, "9P2000.L");
    h_reply_free(r);
    /* .L: n_uname decides; the uname string is ignored. */
    g_assert_cmpint(h_attach(h, ROOT, "nobody", "", 1234, NULL), ==, 0);
    union p9_arg a[4] = { { .d = ROOT }, { .s = p9_str_of("d") }, { .d = 0755 }, { .d = 4321 } };
    h_reply_free(h_ok(h, P9_TMKDIR, a));
    struct stat st;
    g_assert_cmpint(h_lstat(h, "d", &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 1234);
    g_assert_cmpuint(st.st_gid, ==, 4321);
    /* 9P2000: a numeric uname is the uid. */
    r = h_version(h, 65536, "9P2000");
    h_reply_free(r);
    g_assert_cmpint(h_attach(h, ROOT, "2345", "", 0, NULL), ==, 0);
    union p9_arg c[4] = { { .d = ROOT }, { .s = p9_str_of("e") }, { .d = P9_DMDIR | 0755 },
                          { .b = P9_OREAD } };
    h_reply_free(h_ok(h, P9_TCREATE, c));
    g_assert_cmpint(h_lstat(h, "e", &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));
    g_assert_cmpuint(st.st_uid, ==, 2345);
    h_free(h);
}

/* ---- Twalk ------------------------------------------------------------------ */

/* A Twalk with names given as (bytes, length), for names C strings cannot carry. */
static struct h_reply *walk_raw(struct harness *h, uint32_t fid, uint32_t newfid,
                                const struct p9_str *names, unsigned n)
{
    union p9_arg a[3] = { { .d = fid }, { .d = newfid } };
    a[2].T.n = n;
    a[2].T.v = (struct p9_str *)names;
    return h_rpc(h, P9_TWALK, a);
}

static uint64_t qid_path_of(struct harness *h, uint32_t fid)
{
    struct h_reply *r = h_getattr(h, fid);
    uint64_t path = r->r.body.a[1].Q.path;
    h_reply_free(r);
    return path;
}

static void test_walk_basic(void)
{
    struct harness *h = h_new(NULL);
    h_mkdir(h, "sub");
    h_put_file(h, "sub/f", "x", 1);
    h_put_file(h, "g", "y", 1);
    char *link = h_path(h, "sub/l");
    g_assert_cmpint(symlink("f", link), ==, 0);
    g_free(link);
    h_start(h, "9P2000.L", ROOT);

    struct p9_qid q[P9_MAXWELEM];
    g_assert_cmpint(h_walk(h, ROOT, 2, "sub/f", q), ==, 2);
    g_assert_cmpuint(q[0].type, ==, P9_QTDIR);
    g_assert_cmpuint(q[1].type, ==, P9_QTFILE);
    g_assert_cmpuint(q[1].path, ==, qid_path_of(h, 2));
    g_assert_cmpint(h_walk(h, ROOT, 3, "sub/l", q), ==, 2);
    g_assert_cmpuint(q[1].type, ==, P9_QTSYMLINK);
    g_assert_cmpuint(q[1].path, !=, qid_path_of(h, 2));     /* not followed */
    /* The same file walked twice has the same path; another file another. */
    struct p9_qid again[2];
    g_assert_cmpint(h_walk(h, ROOT, 4, "sub/f", again), ==, 2);
    g_assert_cmpuint(again[1].path, ==, qid_path_of(h, 2));
    g_assert_cmpint(h_walk(h, ROOT, 5, "g", again), ==, 1);
    g_assert_cmpuint(again[0].path, !=, qid_path_of(h, 2));
    /* Walking on from a fid that is not the root. */
    g_assert_cmpint(h_walk(h, 4, 6, "", NULL), ==, 0);
    g_assert_cmpuint(qid_path_of(h, 6), ==, qid_path_of(h, 2));
    h_free(h);
}

static void test_walk_clone_and_same_fid(void)
{
    struct harness *h = h_new(NULL);
    h_mkdir(h, "sub");
    h_start(h, "9P2000.L", ROOT);
    uint64_t root = qid_path_of(h, ROOT);
    /* Zero names: a clone. */
    g_assert_cmpint(h_walk(h, ROOT, 2, "", NULL), ==, 0);
    g_assert_cmpuint(qid_path_of(h, 2), ==, root);
    /* newfid == fid moves the fid itself. */
    struct p9_qid q[1];
    g_assert_cmpint(h_walk(h, 2, 2, "sub", q), ==, 1);
    g_assert_cmpuint(qid_path_of(h, 2), ==, q[0].path);
    g_assert_cmpuint(q[0].path, !=, root);
    /* A clone onto itself changes nothing. */
    g_assert_cmpint(h_walk(h, 2, 2, "", NULL), ==, 0);
    g_assert_cmpuint(qid_path_of(h, 2), ==, q[0].path);
    /* newfid in use: refused, and both fids stay where they were. */
    g_assert_cmpint(h_walk(h, ROOT, 2, "", NULL), ==, -EBADF);
    g_assert_cmpint(h_walk(h, ROOT, 2, "sub", NULL), ==, -EBADF);
    g_assert_cmpuint(qid_path_of(h, 2), ==, q[0].path);
    g_assert_cmpuint(qid_path_of(h, ROOT), ==, root);
    /* An unknown fid. */
    g_assert_cmpint(h_walk(h, 77, 78, "sub", NULL), ==, -EBADF);
    g_assert_cmpint(h_clunk(h, 78), ==, EBADF);
    h_free(h);
}

static void test_walk_limits(void)
{
    struct harness *h = h_new(NULL);
    GString *path = g_string_new("");
    for (int i = 0; i < P9_MAXWELEM; i++) {
        g_string_append_printf(path, "%sd%d", i ? "/" : "", i);
        h_mkdir(h, path->str);
    }
    h_start(h, "9P2000.L", ROOT);
    struct p9_qid q[P9_MAXWELEM];
    g_assert_cmpint(h_walk(h, ROOT, 2, path->str, q), ==, P9_MAXWELEM);
    for (int i = 0; i < P9_MAXWELEM; i++)
        g_assert_cmpuint(q[i].type, ==, P9_QTDIR);

    /* 17 names: refused whole, no fid. */
    struct p9_str names[P9_MAXWELEM + 1];
    char buf[P9_MAXWELEM + 1][8];
    for (int i = 0; i <= P9_MAXWELEM; i++) {
        g_snprintf(buf[i], sizeof(buf[i]), "d%d", i);
        names[i] = p9_str_of(buf[i]);
    }
    struct h_reply *r = walk_raw(h, ROOT, 3, names, P9_MAXWELEM + 1);
    g_assert_cmpuint(r->r.id, ==, P9_RLERROR);
    g_assert_cmpint(r->r.error, ==, EINVAL);
    h_reply_free(r);
    g_assert_cmpint(h_clunk(h, 3), ==, EBADF);
    g_string_free(path, TRUE);
    h_free(h);
}

static void test_walk_partial(void)
{
    struct harness *h = h_new(NULL);
    h_mkdir(h, "sub");
    h_put_file(h, "sub/f", "x", 1);
    h_start(h, "9P2000.L", ROOT);
    struct p9_qid q[4];
    /* Fails at the second name: Rwalk with the one qid made, no newfid. */
    g_assert_cmpint(h_walk(h, ROOT, 2, "sub/missing/x", q), ==, 1);
    g_assert_cmpuint(q[0].type, ==, P9_QTDIR);
    g_assert_cmpint(h_clunk(h, 2), ==, EBADF);
    /* Through a file: the file's qid, then nothing. */
    g_assert_cmpint(h_walk(h, ROOT, 2, "sub/f/x", q), ==, 2);
    g_assert_cmpint(h_clunk(h, 2), ==, EBADF);
    /* Partial with newfid == fid: the fid does not move. */
    uint64_t root = qid_path_of(h, ROOT);
    g_assert_cmpint(h_walk(h, ROOT, ROOT, "sub/missing", q), ==, 1);
    g_assert_cmpuint(qid_path_of(h, ROOT), ==, root);
    /* The first name failing is an error, not an empty Rwalk. */
    g_assert_cmpint(h_walk(h, ROOT, 2, "missing", q), ==, -ENOENT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "missing/sub", q), ==, -ENOENT);
    g_assert_cmpint(h_clunk(h, 2), ==, EBADF);
    h_free(h);
}

static void test_walk_bad_names(void)
{
    struct harness *h = h_new(NULL);
    h_mkdir(h, "a");
    h_mkdir(h, "a/b");
    h_start(h, "9P2000.L", ROOT);
    static const struct { const char *bytes; uint16_t len; } bad[] = {
        { "a/b", 3 }, { "/a", 2 }, { "", 0 }, { "a\0b", 3 }, { "a\0", 2 }, { "/", 1 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        struct p9_str names[2] = { p9_str_of("a"), { .len = bad[i].len, .s = bad[i].bytes } };
        /* As the first name and as a later one: the whole walk is refused. */
        for (unsigned first = 0; first < 2; first++) {
            struct h_reply *r = walk_raw(h, ROOT, 2, names + first, 2 - first);
            g_assert_cmpuint(r->r.id, ==, P9_RLERROR);
            g_assert_cmpint(r->r.error, ==, EINVAL);
            h_reply_free(r);
            g_assert_cmpint(h_clunk(h, 2), ==, EBADF);
        }
    }
    /* A long name is just a missing file. */
    char *longname = g_strnfill(255, 'n');
    g_assert_cmpint(h_walk(h, ROOT, 2, longname, NULL), ==, -ENOENT);
    g_free(longname);
    h_free(h);
}

static void test_walk_dotdot(void)
{
    struct harness *h = h_new(NULL);
    h_mkdir(h, "a");
    h_mkdir(h, "a/b");
    h_start(h, "9P2000.L", ROOT);
    uint64_t root = qid_path_of(h, ROOT);
    struct p9_qid q[P9_MAXWELEM];
    g_assert_cmpint(h_walk(h, ROOT, 2, "..", q), ==, 1);
    g_assert_cmpuint(q[0].path, ==, root);
    g_assert_cmpuint(qid_path_of(h, 2), ==, root);
    g_assert_cmpint(h_walk(h, ROOT, 3, "../../..", q), ==, 3);
    for (int i = 0; i < 3; i++)
        g_assert_cmpuint(q[i].path, ==, root);
    g_assert_cmpint(h_walk(h, ROOT, 4, "a/b/../../..", q), ==, 5);
    g_assert_cmpuint(q[2].path, ==, q[0].path);
    g_assert_cmpuint(q[3].path, ==, root);
    g_assert_cmpuint(q[4].path, ==, root);
    /* ".." from a directory fid goes up one. */
    g_assert_cmpint(h_walk(h, ROOT, 5, "a/b", q), ==, 2);
    uint64_t a = q[0].path;
    g_assert_cmpint(h_walk(h, 5, 6, "..", q), ==, 1);
    g_assert_cmpuint(q[0].path, ==, a);
    /* ".." after escaping attempts still lands inside: a/b/.. is a. */
    g_assert_cmpint(h_walk(h, 5, 5, "../../../..", q), ==, 4);
    g_assert_cmpuint(qid_path_of(h, 5), ==, root);
    h_free(h);
}

static void test_walk_symlink_out(void)
{
    struct harness *h = h_new(NULL);
    char *outside = g_build_filename(h->top, "secret", NULL);
    g_assert_true(g_file_set_contents(outside, "secret", 6, NULL));
    char *link = h_path(h, "out");
    g_assert_cmpint(symlink(outside, link), ==, 0);
    char *dirlink = h_path(h, "updir");
    g_assert_cmpint(symlink("..", dirlink), ==, 0);
    h_start(h, "9P2000.L", ROOT);
    struct p9_qid q[2];
    g_assert_cmpint(h_walk(h, ROOT, 2, "out", q), ==, 1);
    g_assert_cmpuint(q[0].type, ==, P9_QTSYMLINK);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, ELOOP);
    /* A symlink is never walked through. */
    g_assert_cmpint(h_walk(h, ROOT, 3, "updir/secret", q), ==, 1);
    g_assert_cmpint(h_clunk(h, 3), ==, EBADF);
    g_free(outside);
    g_free(link);
    g_free(dirlink);
    h_free(h);
}

/* The host swaps a directory the client holds fids in for a symlink out of
 * the export: those fids follow the directory where it went, inside the
 * export (their handles), and a new walk by the name meets the symlink and
 * stops.  Nothing reaches outside. */
static void test_dir_swapped_for_symlink(void)
{
    struct harness *h = h_new(NULL);
    h_mkdir(h, "d");
    h_put_file(h, "d/f", "inside", 6);
    char *outside = g_build_filename(h->top, "outdir", NULL);
    g_assert_cmpint(mkdir(outside, 0755), ==, 0);
    char *secret = g_build_filename(outside, "f", NULL);
    g_assert_true(g_file_set_contents(secret, "SECRET", 6, NULL));
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "d", NULL), ==, 1);
    g_assert_cmpint(h_walk(h, ROOT, 3, "d/f", NULL), ==, 2);
    char *d = h_path(h, "d"), *moved = h_path(h, "moved");
    g_assert_cmpint(rename(d, moved), ==, 0);
    g_assert_cmpint(symlink(outside, d), ==, 0);

    g_assert_cmpint(h_walk(h, ROOT, 9, "d/f", NULL), <, 2);
    g_assert_cmpint(h_walk(h, 2, 4, "f", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 4, P9_DOTL_RDONLY, NULL), ==, 0);
    char buf[16];
    g_assert_cmpint(h_read(h, 4, 0, sizeof(buf), buf), ==, 6);
    g_assert_cmpmem(buf, 6, "inside", 6);
    g_assert_cmpint(h_lopen(h, 3, P9_DOTL_RDWR, NULL), ==, 0);
    union p9_arg lc[5] = { { .d = 2 }, { .s = p9_str_of("new") }, { .d = P9_DOTL_RDWR },
                           { .d = 0644 }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TLCREATE, lc));
    g_assert_true(h_exists(h, "moved/new"));
    /* The outside is untouched. */
    size_t len;
    char *data = NULL;
    g_assert_true(g_file_get_contents(secret, &data, &len, NULL));
    g_assert_cmpmem(data, len, "SECRET", 6);
    g_free(data);
    char *created = g_build_filename(outside, "new", NULL);
    g_assert_false(g_file_test(created, G_FILE_TEST_EXISTS));
    g_free(created);
    g_free(d);
    g_free(moved);
    g_free(secret);
    g_free(outside);
    h_free(h);
}

/* ---- Tclunk, Tremove ------------------------------------------------------------ */

static void test_clunk(void)
{
    struct harness *h = h_new(NULL);
    h_put_file(h, "f", "x", 1);
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_clunk(h, 99), ==, EBADF);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    struct fsdrv_usage u;
    fsdrv_export_usage(h->exp, &u);
    g_assert_cmpuint(u.open_files, ==, 1);
    g_assert_cmpint(h_clunk(h, 2), ==, 0);
    fsdrv_export_usage(h->exp, &u);
    g_assert_cmpuint(u.open_files, ==, 0);
    g_assert_cmpint(h_clunk(h, 2), ==, EBADF);
    /* The file stays. */
    g_assert_true(h_exists(h, "f"));
    /* Clunking the root fid is allowed; after it, nothing through it. */
    g_assert_cmpint(h_clunk(h, ROOT), ==, 0);
    g_assert_cmpint(h_walk(h, ROOT, 3, "f", NULL), ==, -EBADF);
    h_free(h);
}

static int remove_fid(struct harness *h, uint32_t fid)
{
    union p9_arg a[1] = { { .d = fid } };
    struct h_reply *r = h_rpc(h, P9_TREMOVE, a);
    int err = r->r.error;
    if (!err)
        g_assert_cmpuint(r->r.id, ==, P9_RREMOVE);
    h_reply_free(r);
    return err;
}

static void test_remove(void)
{
    struct harness *h = h_new(NULL);
    h_put_file(h, "f", "x", 1);
    h_mkdir(h, "d");
    h_mkdir(h, "full");
    h_put_file(h, "full/x", "x", 1);
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    g_assert_cmpint(remove_fid(h, 2), ==, 0);
    g_assert_false(h_exists(h, "f"));
    g_assert_cmpint(h_clunk(h, 2), ==, EBADF);
    g_assert_cmpint(h_walk(h, ROOT, 2, "d", NULL), ==, 1);
    g_assert_cmpint(remove_fid(h, 2), ==, 0);
    g_assert_false(h_exists(h, "d"));
    /* A failed remove still clunks the fid (remove(5)). */
    g_assert_cmpint(h_walk(h, ROOT, 2, "full", NULL), ==, 1);
    g_assert_cmpint(remove_fid(h, 2), ==, ENOTEMPTY);
    g_assert_true(h_exists(h, "full/x"));
    g_assert_cmpint(h_clunk(h, 2), ==, EBADF);
    /* The root cannot be removed; the fid goes anyway. */
    g_assert_cmpint(h_walk(h, ROOT, 3, "", NULL), ==, 0);
    g_assert_cmpint(remove_fid(h, 3), ==, EBUSY);
    g_assert_cmpint(h_clunk(h, 3), ==, EBADF);
    g_assert_cmpint(remove_fid(h, 3), ==, EBADF);
    h_free(h);
}

/* ---- unknown and malformed messages ------------------------------------------- */

static void test_unknown_and_malformed(void)
{
    struct harness *h = h_new(NULL);
    h_start(h, "9P2000.L", ROOT);
    uint8_t msg[64];
    /* An id no dialect has. */
    p9_put_header(msg, P9_HDR_SIZE + 4, 200, 0x1234);
    memset(msg + P9_HDR_SIZE, 0, 4);
    h_submit_bytes(h, msg, P9_HDR_SIZE + 4, 0);
    struct h_reply *r = h_deliver(h, h_sent_for_tag(h, 0x1234, 5000));
    g_assert_cmpuint(r->r.id, ==, P9_RLERROR);
    g_assert_cmpint(r->r.error, ==, EOPNOTSUPP);
    h_reply_free(r);
    /* A reply id sent as a request, and Rlerror's id. */
    static const uint8_t ids[] = { P9_RCLUNK, P9_TLERROR, P9_RLERROR, P9_TERROR, P9_TOPEN,
                                   P9_TSTAT };
    for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
        p9_put_header(msg, P9_HDR_SIZE + 4, ids[i], 0x1235);
        h_submit_bytes(h, msg, P9_HDR_SIZE + 4, 0);
        r = h_deliver(h, h_sent_for_tag(h, 0x1235, 5000));
        g_assert_cmpuint(r->r.id, ==, P9_RLERROR);
        g_assert_cmpint(r->r.error, ==, EOPNOTSUPP);
        h_reply_free(r);
    }
    /* A Tclunk too short, and one with a byte too many. */
    p9_put_header(msg, P9_HDR_SIZE + 3, P9_TCLUNK, 0x1236);
    h_submit_bytes(h, msg, P9_HDR_SIZE + 3, 0);
    r = h_deliver(h, h_sent_for_tag(h, 0x1236, 5000));
    g_assert_cmpint(r->r.error, ==, EINVAL);
    h_reply_free(r);
    p9_put_header(msg, P9_HDR_SIZE + 5, P9_TCLUNK, 0x1237);
    msg[7] = ROOT;
    msg[8] = msg[9] = msg[10] = 0;
    h_submit_bytes(h, msg, P9_HDR_SIZE + 5, 0);
    r = h_deliver(h, h_sent_for_tag(h, 0x1237, 5000));
    g_assert_cmpint(r->r.error, ==, EINVAL);
    h_reply_free(r);
    /* The root fid survived the malformed clunk. */
    g_assert_cmpint(h_walk(h, ROOT, 2, "", NULL), ==, 0);
    /* A Twalk whose name runs past the message. */
    p9_put_header(msg, P9_HDR_SIZE + 14, P9_TWALK, 0x1238);
    memset(msg + P9_HDR_SIZE, 0, 14);
    msg[P9_HDR_SIZE] = ROOT;
    msg[P9_HDR_SIZE + 4] = 9;
    msg[P9_HDR_SIZE + 8] = 1;   /* one name */
    msg[P9_HDR_SIZE + 10] = 200; /* of 200 bytes */
    h_submit_bytes(h, msg, P9_HDR_SIZE + 14, 0);
    r = h_deliver(h, h_sent_for_tag(h, 0x1238, 5000));
    g_assert_cmpint(r->r.error, ==, EINVAL);
    h_reply_free(r);
    g_assert_cmpint(h_clunk(h, 9), ==, EBADF);
    struct p9_session_stats st;
    p9_session_get_stats(h->session, &st);
    g_assert_cmpuint(st.inflight, ==, 0);
    h_free(h);
}

/* ---- plain 9P2000 ------------------------------------------------------------------ */

static void test_plain_9p2000(void)
{
    struct harness *h = h_new(NULL);
    h_put_file(h, "f", "hello", 5);
    h_start(h, "9P2000", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    union p9_arg o[2] = { { .d = 2 }, { .b = P9_OREAD } };
    h_reply_free(h_ok(h, P9_TOPEN, o));
    char buf[16];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 5);
    g_assert_cmpmem(buf, 5, "hello", 5);

    /* Rstat: a 9P2000 stat, no .u fields. */
    union p9_arg s[1] = { { .d = 2 } };
    struct h_reply *r = h_ok(h, P9_TSTAT, s);
    struct p9_stat *st = r->r.body.a[1].S;
    g_assert_cmpstr(st->name.s, ==, "f");
    g_assert_cmpuint(st->length, ==, 5);
    g_assert_cmpuint(r->r.body.a[0].w, ==, p9_stat_size(st, P9_2000));
    g_assert_cmpuint(r->size, ==, P9_HDR_SIZE + 2 + p9_stat_size(st, P9_2000));
    h_reply_free(r);

    /* Rerror: the string only. */
    union p9_arg w[3] = { { .d = ROOT }, { .d = 3 } };
    struct p9_str missing = p9_str_of("missing");
    w[2].T.n = 1;
    w[2].T.v = &missing;
    r = h_rpc(h, P9_TWALK, w);
    g_assert_cmpuint(r->r.id, ==, P9_RERROR);
    const char *ename = g_strerror(ENOENT);
    g_assert_cmpstr(r->r.body.a[0].s.s, ==, ename);
    g_assert_cmpuint(r->size, ==, P9_HDR_SIZE + 2 + strlen(ename));
    h_reply_free(r);

    /* Tcreate with .u special bits in 9P2000 makes a plain file. */
    g_assert_cmpint(h_walk(h, ROOT, 4, "", NULL), ==, 0);
    union p9_arg c[4] = { { .d = 4 }, { .s = p9_str_of("plain") },
                          { .d = P9_DMSYMLINK | 0644 }, { .b = P9_OWRITE } };
    h_reply_free(h_ok(h, P9_TCREATE, c));
    struct stat host;
    g_assert_cmpint(h_lstat(h, "plain", &host), ==, 0);
    g_assert_true(S_ISREG(host.st_mode));
    g_assert_cmpint(h_write(h, 4, 0, "abc", 3), ==, 3);
    /* .L messages do not exist here. */
    union p9_arg l[2] = { { .d = ROOT }, { .q = P9_GETATTR_BASIC } };
    r = h_rpc(h, P9_TGETATTR, l);
    g_assert_cmpuint(r->r.id, ==, P9_RERROR);
    h_reply_free(r);
    h_free(h);
}

/* ---- read-only exports -------------------------------------------------------------- */

static void test_readonly(void)
{
    struct h_options opt = { .readonly = true };
    struct harness *h = h_new(&opt);
    h_put_file(h, "f", "data", 4);
    h_mkdir(h, "d");
    char *fp = h_path(h, "f");
    g_assert_cmpint(setxattr(fp, "user.k", "v", 1, 0), ==, 0);
    g_free(fp);
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_WRONLY, NULL), ==, EROFS);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDWR, NULL), ==, EROFS);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY | P9_DOTL_TRUNC, NULL), ==, EROFS);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    char buf[8];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 4);
    g_assert_cmpint(h_write(h, 2, 0, "x", 1), ==, -EROFS);

    g_assert_cmpint(h_walk(h, ROOT, 3, "", NULL), ==, 0);
    union p9_arg lc[5] = { { .d = 3 }, { .s = p9_str_of("new") }, { .d = P9_DOTL_WRONLY },
                           { .d = 0644 }, { .d = 0 } };
    g_assert_cmpint(h_err(h, P9_TLCREATE, lc), ==, EROFS);
    union p9_arg md[4] = { { .d = ROOT }, { .s = p9_str_of("nd") }, { .d = 0755 }, { .d = 0 } };
    g_assert_cmpint(h_err(h, P9_TMKDIR, md), ==, EROFS);
    union p9_arg sl[4] = { { .d = ROOT }, { .s = p9_str_of("sl") }, { .s = p9_str_of("f") },
                           { .d = 0 } };
    g_assert_cmpint(h_err(h, P9_TSYMLINK, sl), ==, EROFS);
    union p9_arg mk[6] = { { .d = ROOT }, { .s = p9_str_of("p") }, { .d = S_IFIFO | 0644 },
                           { .d = 0 }, { .d = 0 }, { .d = 0 } };
    g_assert_cmpint(h_err(h, P9_TMKNOD, mk), ==, EROFS);
    union p9_arg ln[3] = { { .d = ROOT }, { .d = 2 }, { .s = p9_str_of("hl") } };
    g_assert_cmpint(h_err(h, P9_TLINK, ln), ==, EROFS);
    union p9_arg ra[4] = { { .d = ROOT }, { .s = p9_str_of("f") }, { .d = ROOT },
                           { .s = p9_str_of("g") } };
    g_assert_cmpint(h_err(h, P9_TRENAMEAT, ra), ==, EROFS);
    union p9_arg rn[3] = { { .d = 2 }, { .d = ROOT }, { .s = p9_str_of("g") } };
    g_assert_cmpint(h_err(h, P9_TRENAME, rn), ==, EROFS);
    union p9_arg ul[3] = { { .d = ROOT }, { .s = p9_str_of("f") }, { .d = 0 } };
    g_assert_cmpint(h_err(h, P9_TUNLINKAT, ul), ==, EROFS);
    union p9_arg sa[10] = { { .d = 2 }, { .d = P9_ATTR_MODE }, { .d = 0600 } };
    g_assert_cmpint(h_err(h, P9_TSETATTR, sa), ==, EROFS);
    sa[1].d = P9_ATTR_SIZE;
    g_assert_cmpint(h_err(h, P9_TSETATTR, sa), ==, EROFS);
    g_assert_cmpint(h_walk(h, ROOT, 4, "f", NULL), ==, 1);
    union p9_arg xc[4] = { { .d = 4 }, { .s = p9_str_of("user.k") }, { .q = 1 }, { .d = 0 } };
    g_assert_cmpint(h_err(h, P9_TXATTRCREATE, xc), ==, EROFS);
    g_assert_cmpint(h_walk(h, ROOT, 5, "d", NULL), ==, 1);
    g_assert_cmpint(remove_fid(h, 5), ==, EROFS);
    /* Reading still works: xattrs, getattr, readdir. */
    union p9_arg xw[3] = { { .d = 4 }, { .d = 6 }, { .s = p9_str_of("user.k") } };
    struct h_reply *r = h_ok(h, P9_TXATTRWALK, xw);
    g_assert_cmpuint(r->r.body.a[0].q, ==, 1);
    h_reply_free(r);
    h_reply_free(h_getattr(h, 4));
    /* Nothing changed on disk. */
    size_t len;
    char *data = h_get_file(h, "f", &len);
    g_assert_cmpmem(data, len, "data", 4);
    g_free(data);
    g_assert_true(h_exists(h, "d"));
    g_assert_false(h_exists(h, "new") || h_exists(h, "nd") || h_exists(h, "sl") ||
                   h_exists(h, "p") || h_exists(h, "hl") || h_exists(h, "g"));
    struct stat st;
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0644);

    /* The .u side refuses as well. */
    struct h_reply *v = h_version(h, 65536, "9P2000.u");
    h_reply_free(v);
    g_assert_cmpint(h_attach(h, ROOT, "", "", 0, NULL), ==, 0);
    union p9_arg c[5] = { { .d = ROOT }, { .s = p9_str_of("u") }, { .d = 0644 },
                          { .b = P9_OWRITE }, { .s = p9_str_of("") } };
    g_assert_cmpint(h_err(h, P9_TCREATE, c), ==, EROFS);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    struct p9_stat ws = {
        .type = 0xffff, .dev = ~0u, .qid = { 0xff, ~0u, ~0ull }, .mode = 0600, .atime = ~0u,
        .mtime = ~0u, .length = ~0ull, .name = p9_str_of(""), .uid = p9_str_of(""),
        .gid = p9_str_of(""), .muid = p9_str_of(""), .extension = p9_str_of(""),
        .n_uid = ~0u, .n_gid = ~0u, .n_muid = ~0u,
    };
    union p9_arg w[3] = { { .d = 2 }, { .w = p9_stat_size(&ws, P9_2000_U) }, { .S = &ws } };
    g_assert_cmpint(h_err(h, P9_TWSTAT, w), ==, EROFS);
    union p9_arg o[2] = { { .d = 2 }, { .b = P9_OWRITE } };
    g_assert_cmpint(h_err(h, P9_TOPEN, o), ==, EROFS);
    h_free(h);
}

/* ---- msize bounds every reply ---------------------------------------------------- */

/* 9P: msize is the largest message the server will ever generate. */
static void test_reply_within_msize(void)
{
    struct harness *h = h_new(NULL);
    char *target = g_strnfill(4090, 't');
    char *link = h_path(h, "longlink");
    g_assert_cmpint(symlink(target, link), ==, 0);
    g_free(link);
    struct h_reply *r = h_version(h, 4096, "9P2000.u");
    h_reply_free(r);
    g_assert_cmpint(h_attach(h, ROOT, "", "", 0, NULL), ==, 0);
    g_assert_cmpint(h_walk(h, ROOT, 2, "longlink", NULL), ==, 1);
    union p9_arg a[1] = { { .d = 2 } };
    r = h_rpc(h, P9_TSTAT, a);
    g_assert_cmpuint(r->size, <=, 4096);
    g_assert_cmpuint(r->r.id, ==, P9_RERROR);
    h_reply_free(r);
    /* Rreadlink of a 4090-byte target does not fit 4096 either. */
    r = h_version(h, 4096, "9P2000.L");
    h_reply_free(r);
    g_assert_cmpint(h_attach(h, ROOT, "", "", 0, NULL), ==, 0);
    g_assert_cmpint(h_walk(h, ROOT, 2, "longlink", NULL), ==, 1);
    r = h_rpc(h, P9_TREADLINK, a);
    g_assert_cmpuint(r->size, <=, 4096);
    g_assert_cmpuint(r->r.id, ==, P9_RLERROR);
    h_reply_free(r);
    g_free(target);
    h_free(h);
}

/* ---- concurrency: opens and renames at once ------------------------------------------ */

/*
 * A rename moves every fid beneath it, taking the session's lock and then
 * each fid's; an open sets up its fid under the fid's lock.  Many of both
 * at once must all be answered (no lock-order deadlock).
 */
static void test_concurrent_open_rename(void)
{
    enum { FIDS = 8, RENAMES = 4, ROUNDS = 300 };
    struct harness *h = h_new(NULL);
    h_put_file(h, "f", "x", 1);
    for (int i = 0; i < RENAMES; i++) {
        char name[16];
        g_snprintf(name, sizeof(name), "a%d", i);
        h_put_file(h, name, "", 0);
    }
    h_start(h, "9P2000.L", ROOT);
    for (int round = 0; round < ROUNDS; round++) {
        for (int i = 0; i < FIDS; i++)
            g_assert_cmpint(h_walk(h, ROOT, 100 + i, "f", NULL), ==, 1);
        char from[RENAMES][16], to[RENAMES][16];
        for (int i = 0; i < RENAMES; i++) {
            g_snprintf(from[i], sizeof(from[i]), "%c%d", round % 2 ? 'b' : 'a', i);
            g_snprintf(to[i], sizeof(to[i]), "%c%d", round % 2 ? 'a' : 'b', i);
        }
        for (int i = 0; i < FIDS + RENAMES; i++) {
            if (i < FIDS) {
                union p9_arg a[2] = { { .d = 100 + i }, { .d = P9_DOTL_RDONLY } };
                h_submit(h, P9_TLOPEN, 0x6000 + i, a, 0);
            } else {
                int k = i - FIDS;
                union p9_arg a[4] = { { .d = ROOT }, { .s = p9_str_of(from[k]) }, { .d = ROOT },
                                      { .s = p9_str_of(to[k]) } };
                h_submit(h, P9_TRENAMEAT, 0x6000 + i, a, 0);
            }
        }
        for (int i = 0; i < FIDS + RENAMES; i++) {
            struct p9_reply *sent = h_next_sent(h, 5000);
            if (!sent)
                g_error("round %d: %d of %d requests unanswered after 5 s (deadlock?)", round,
                        FIDS + RENAMES - i, FIDS + RENAMES);
            struct h_reply *r = h_deliver(h, sent);
            g_assert_cmpint(r->r.error, ==, 0);
            h_reply_free(r);
        }
        for (int i = 0; i < FIDS; i++)
            g_assert_cmpint(h_clunk(h, 100 + i), ==, 0);
    }
    g_assert_true(h_exists(h, "a0"));
    h_free(h);
}

/* ---- trace events -------------------------------------------------------------------- */

static void test_trace(void)
{
    struct harness *h = h_new(NULL);
    h_put_file(h, "f", "abc", 3);
    char *path = h_path(h, "fifo");
    g_assert_cmpint(mkfifo(path, 0666), ==, 0);
    int fifo = open(path, O_RDWR | O_CLOEXEC);
    g_free(path);
    /* The trace goes to stderr: catch it in a file for the duration. */
    char *log = g_build_filename(h->top, "trace.log", NULL);
    int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(logfd, STDERR_FILENO);
    p9_trace_enabled = true;

    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    g_assert_cmpint(h_walk(h, ROOT, 3, "nope", NULL), ==, -ENOENT);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    char buf[8];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 3);
    uint8_t msg[16];
    p9_put_header(msg, P9_HDR_SIZE + 1, P9_TCLUNK, 0x7001);
    h_submit_bytes(h, msg, P9_HDR_SIZE + 1, 0);
    h_reply_free(h_deliver(h, h_sent_for_tag(h, 0x7001, 5000)));
    p9_put_header(msg, P9_HDR_SIZE, 250, 0x7002);
    h_submit_bytes(h, msg, P9_HDR_SIZE, 0);
    h_reply_free(h_deliver(h, h_sent_for_tag(h, 0x7002, 5000)));
    g_assert_cmpint(h_walk(h, ROOT, 4, "fifo", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 4, P9_DOTL_RDONLY, NULL), ==, 0);
    union p9_arg rd[3] = { { .d = 4 }, { .q = 0 }, { .d = 5 } };
    h_submit(h, P9_TREAD, 0x7003, rd, 0);
    g_usleep(100 * 1000);
    union p9_arg fl[1] = { { .w = 0x7003 } };
    h_submit(h, P9_TFLUSH, 0x7004, fl, 0);
    h_reply_free(h_deliver(h, h_sent_for_tag(h, 0x7004, 5000)));

    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(logfd);
    p9_trace_enabled = false;
    char *text = NULL;
    g_assert_true(g_file_get_contents(log, &text, NULL, NULL));
    static const char *expected[] = {
        "v9fs_version test tag=65535 id=100 msize=65536 version=\"9P2000.L\"",
        "v9fs_version_return test tag=65535 id=100 msize=65536 version=\"9P2000.L\"",
        "v9fs_walk test tag=2 id=110 fid=1 newfid=2 wnames=1[\"f\"]",
        "v9fs_walk_return test tag=2 id=110 wqids=1",
        "id=110 fid=1 newfid=3 wnames=1[\"nope\"]",
        "v9fs_rerror test tag=",
        "id=110 Twalk err=2",
        "v9fs_open test tag=",
        "v9fs_read_return test tag=",
        "id=116 data=3 bytes",
        "v9fs_clunk test tag=28673 id=120 (malformed: codec error -1)",
        "v9fs_rerror test tag=28673 id=120 Tclunk err=22",
        "v9fs_unknown test tag=28674 id=250",
        "v9fs_rcancel test tag=28675 id=116 Tread",
        "v9fs_flush test tag=28676 id=108 oldtag=28675",
        "v9fs_flush_return test tag=28676 id=108",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(expected); i++) {
        if (!strstr(text, expected[i]))
            g_error("trace lacks \"%s\":\n%s", expected[i], text);
    }
    g_free(text);
    g_free(log);
    close(fifo);
    h_free(h);
}

/* Every request of the protocol's table has an operation, Tflush (the
 * session's own) excepted, and nothing else has one. */
static void test_every_message_served(void)
{
    unsigned served = 0;
    for (unsigned i = 0; p9_op_at(i); i++) {
        const struct p9_op *op = p9_op_at(i);
        g_assert_true((p9_handler_of(op->id) != NULL) == (op->id != P9_TFLUSH));
        served += op->id != P9_TFLUSH;
    }
    unsigned handled = 0;
    for (unsigned id = 0; id < 256; id++)
        handled += p9_handler_of((uint8_t)id) != NULL;
    g_assert_cmpuint(handled, ==, served);
}

/*
 * A call that waits only for a local disk runs on the transport's thread:
 * its reply is sent before the submit returns.  A read of a FIFO may wait
 * for ever, so it goes to a worker thread and the transport moves on.
 */
static void test_local_calls_inline(void)
{
    struct harness *h = h_new(NULL);
    if (!fsdrv_export_is_local(h->exp)) {
        g_test_skip("the test export is not on a local file system");
        h_free(h);
        return;
    }
    h_put_file(h, "f", "data", 4);
    char *path = g_build_filename(h->root, "fifo", NULL);
    g_assert_cmpint(mkfifo(path, 0666), ==, 0);
    int fifo = open(path, O_RDWR | O_CLOEXEC);     /* both ends: the open returns */
    g_free(path);
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    g_assert_cmpint(h_walk(h, ROOT, 3, "fifo", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 3, P9_DOTL_RDONLY, NULL), ==, 0);

    union p9_arg ga[2] = { { .d = 2 }, { .q = P9_GETATTR_BASIC } };
    uint16_t tag = h_tag(h);
    h_submit(h, P9_TGETATTR, tag, ga, 0);
    g_assert_cmpuint(h_pending(h), ==, 1);
    h_reply_free(h_deliver(h, h_sent_for_tag(h, tag, 0)));
    union p9_arg rd[3] = { { .d = 2 }, { .q = 0 }, { .d = 4 } };
    tag = h_tag(h);
    h_submit(h, P9_TREAD, tag, rd, 0);
    g_assert_cmpuint(h_pending(h), ==, 1);
    h_reply_free(h_deliver(h, h_sent_for_tag(h, tag, 0)));

    rd[0].d = 3;
    tag = h_tag(h);
    h_submit(h, P9_TREAD, tag, rd, 0);
    g_assert_cmpuint(h_pending(h), ==, 0);
    g_assert_cmpint(write(fifo, "late", 4), ==, 4);
    struct h_reply *r = h_deliver(h, h_sent_for_tag(h, tag, 5000));
    g_assert_cmpuint(r->r.id, ==, P9_RREAD);
    h_reply_free(r);
    close(fifo);
    h_free(h);
}

/* Submits request `id` and takes its reply (checked to be `want_reply`);
 * *by_workers: how many replies worker threads sent meanwhile. */
static struct h_reply *rpc_counting(struct harness *h, uint8_t id, const union p9_arg *a,
                                    uint8_t want_reply, unsigned *by_workers)
{
    g_mutex_lock(&h->lock);
    unsigned before = h->sent_by_workers;
    g_mutex_unlock(&h->lock);
    uint16_t tag = h_tag(h);
    h_submit(h, id, tag, a, 0);
    struct h_reply *r = h_deliver(h, h_sent_for_tag(h, tag, 5000));
    g_assert_cmpuint(r->r.id, ==, want_reply);
    g_mutex_lock(&h->lock);
    *by_workers = h->sent_by_workers - before;
    g_mutex_unlock(&h->lock);
    return r;
}

/* Whether a worker thread sent the reply to request `id`. */
static bool ran_on_worker(struct harness *h, uint8_t id, const union p9_arg *a,
                          uint8_t want_reply)
{
    unsigned by_workers;
    h_reply_free(rpc_counting(h, id, a, want_reply, &by_workers));
    return by_workers != 0;
}

/*
 * The transport's thread never waits for a disk (a Xen ring's thread that
 * waits strands the guest's senders): lookups and data in memory are served
 * there; a read of data not in the page cache, a write the file system cannot
 * make without waiting (ext4), a name or attribute change (the journal) and a
 * clunk that closes a file go to a worker thread, and the answers are the same.
 */
static void test_transport_never_waits(void)
{
    struct harness *h = h_new(NULL);
    struct statfs sf;
    g_assert_cmpint(statfs(h->root, &sf), ==, 0);
    if (!fsdrv_export_is_local(h->exp) || sf.f_type == 0x01021994 /* tmpfs */) {
        g_test_skip("the test export is not on a local disk file system");
        h_free(h);
        return;
    }
    char data[8192];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7);
    h_put_file(h, "f", data, sizeof(data));
    h_start(h, "9P2000.L", ROOT);

    union p9_arg walk[3] = { { .d = ROOT }, { .d = 2 } };
    struct p9_str name = p9_str_of("f");
    walk[2].T.n = 1;
    walk[2].T.v = &name;
    g_assert_false(ran_on_worker(h, P9_TWALK, walk, P9_RWALK));
    union p9_arg ga[2] = { { .d = 2 }, { .q = P9_GETATTR_BASIC } };
    g_assert_false(ran_on_worker(h, P9_TGETATTR, ga, P9_RGETATTR));
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDWR, NULL), ==, 0);

    /* In the page cache: here. */
    char buf[sizeof(data)];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, sizeof(buf));
    union p9_arg rd[3] = { { .d = 2 }, { .q = 0 }, { .d = sizeof(buf) } };
    g_assert_false(ran_on_worker(h, P9_TREAD, rd, P9_RREAD));
    /* Dropped from it: a worker reads it, and the bytes are the same. */
    char *path = h_path(h, "f");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fdatasync(fd), ==, 0);
    g_assert_cmpint(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), ==, 0);
    close(fd);
    unsigned by_workers;
    struct h_reply *r = rpc_counting(h, P9_TREAD, rd, P9_RREAD, &by_workers);
    g_assert_cmpuint(r->r.body.a[0].D.count, ==, sizeof(data));
    g_assert_cmpmem(r->r.body.a[0].D.ptr, sizeof(data), data, sizeof(data));
    h_reply_free(r);
    g_assert_cmpuint(by_workers, ==, 1);

    /* A write goes where the file system can make it without waiting: where
     * RWF_NOWAIT says EOPNOTSUPP (ext4, Linux 6.1 to 6.18 at least) to a
     * worker; the bytes land either way, within the file and beyond its end. */
    char *probe_path = h_path(h, "probe");
    int probe = open(probe_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    g_assert_cmpint(probe, >=, 0);
    struct iovec one = { data, 16 };
    bool fs_cannot = pwritev2(probe, &one, 1, 0, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP;
    close(probe);
    g_free(probe_path);
    union p9_arg wr[3] = { { .d = 2 }, { .q = 100 } };
    wr[2].D = (struct p9_data){ .count = 5, .ptr = (uint8_t *)"hello" };
    bool worker = ran_on_worker(h, P9_TWRITE, wr, P9_RWRITE);
    wr[1].q = sizeof(data) + 4096;
    worker = ran_on_worker(h, P9_TWRITE, wr, P9_RWRITE) && worker;
    if (fs_cannot)
        g_assert_true(worker);
    g_assert_cmpint(h_read(h, 2, 98, 9, buf), ==, 9);
    g_assert_cmpmem(buf + 2, 5, "hello", 5);
    g_assert_cmpint(h_read(h, 2, sizeof(data) + 4096, 9, buf), ==, 5);
    g_assert_cmpmem(buf, 5, "hello", 5);

    /* A name made: the journal may be waited for. */
    union p9_arg mk[4] = { { .d = ROOT }, { .s = p9_str_of("d") }, { .d = 0755 }, { .d = 0 } };
    g_assert_true(ran_on_worker(h, P9_TMKDIR, mk, P9_RMKDIR));
    /* A clunk that forgets a walked fid: here; one that closes a file: a worker. */
    g_assert_cmpint(h_walk(h, ROOT, 3, "d", NULL), ==, 1);
    union p9_arg cl[1] = { { .d = 3 } };
    g_assert_false(ran_on_worker(h, P9_TCLUNK, cl, P9_RCLUNK));
    cl[0].d = 2;
    g_assert_true(ran_on_worker(h, P9_TCLUNK, cl, P9_RCLUNK));
    g_free(path);
    h_free(h);
}

int main(int argc, char **argv)
{
    h_init(&argc, &argv);
    g_test_add_func("/server/every-message-served", test_every_message_served);
    g_test_add_func("/server/local-calls-inline", test_local_calls_inline);
    g_test_add_func("/server/transport-never-waits", test_transport_never_waits);
    g_test_add_func("/server/version/msize", test_version_msize);
    g_test_add_func("/server/version/strings", test_version_strings);
    g_test_add_func("/server/version/resets-fids", test_version_resets_fids);
    g_test_add_func("/server/before-version", test_before_version);
    g_test_add_func("/server/auth", test_auth);
    g_test_add_func("/server/attach/any-aname", test_attach_any_aname);
    g_test_add_func("/server/attach/uid", test_attach_uid);
    g_test_add_func("/server/walk/basic", test_walk_basic);
    g_test_add_func("/server/walk/clone-and-same-fid", test_walk_clone_and_same_fid);
    g_test_add_func("/server/walk/limits", test_walk_limits);
    g_test_add_func("/server/walk/partial", test_walk_partial);
    g_test_add_func("/server/walk/bad-names", test_walk_bad_names);
    g_test_add_func("/server/walk/dotdot", test_walk_dotdot);
    g_test_add_func("/server/walk/symlink-out", test_walk_symlink_out);
    g_test_add_func("/server/walk/dir-swapped-for-symlink", test_dir_swapped_for_symlink);
    g_test_add_func("/server/clunk", test_clunk);
    g_test_add_func("/server/remove", test_remove);
    g_test_add_func("/server/unknown-and-malformed", test_unknown_and_malformed);
    g_test_add_func("/server/plain-9p2000", test_plain_9p2000);
    g_test_add_func("/server/readonly", test_readonly);
    g_test_add_func("/server/reply-within-msize", test_reply_within_msize);
    g_test_add_func("/server/trace", test_trace);
    g_test_add_func("/server/concurrent-open-rename", test_concurrent_open_rename);
    return g_test_run();
}
