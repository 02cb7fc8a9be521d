// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A session carried to a new worker (backend/server/handover.c): its state
 * saved (version, msize, every fid and its descriptors), the session and the
 * export closed and opened again on the same directory, the state restored;
 * then the client goes on with the same fids: an open file at its offset, an
 * xattr being read, an xattr half written (Txattrcreate, then the rest after
 * the hand-over, set at clunk), a directory to walk from.  And what a newer
 * worker refuses: a state of a later version, a fid twice.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "backend/proto/p9_table.h"
#include "tests/unit/server-harness.h"

#define ROOT 1

/* What travels: the header, then each fid's fields and descriptors. */
struct saved_fid {
    GVariant *fields;
    int fds[2];
    unsigned nfds;
};

struct saved {
    GVariant *header;
    GArray *fids;               /* struct saved_fid */
};

static bool save_one(void *ctx, GVariantDict *fields, const int *fds, unsigned nfds)
{
    struct saved *sv = ctx;
    struct saved_fid f = { .nfds = nfds };
    g_assert_cmpuint(nfds, <=, 2);
    /* The caller closes its descriptors: the state keeps its own. */
    for (unsigned i = 0; i < nfds; i++) {
        f.fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
        g_assert_cmpint(f.fds[i], >=, 0);
    }
    f.fields = g_variant_ref_sink(g_variant_dict_end(fields));
    g_array_append_val(sv->fids, f);
    return true;
}

static void save(struct harness *h, struct saved *sv)
{
    g_assert_true(p9_session_idle(h->session));
    GVariantDict d;
    g_variant_dict_init(&d, NULL);
    p9_session_save_header(h->session, &d);
    sv->header = g_variant_ref_sink(g_variant_dict_end(&d));
    sv->fids = g_array_new(FALSE, TRUE, sizeof(struct saved_fid));
    g_assert_true(p9_session_save_fids(h->session, save_one, sv));
}

/* Restores into h's (new) session; the descriptors are taken.  NULL: it
 * worked, else why not. */
static char *restore(struct harness *h, struct saved *sv)
{
    GVariantDict d;
    g_variant_dict_init(&d, sv->header);
    uint32_t nfids;
    char *why = NULL;
    bool ok = p9_session_restore_header(h->session, &d, &nfids, &why);
    g_variant_dict_clear(&d);
    if (ok)
        g_assert_cmpuint(nfids, ==, sv->fids->len);
    for (unsigned i = 0; ok && i < sv->fids->len; i++) {
        struct saved_fid *f = &g_array_index(sv->fids, struct saved_fid, i);
        g_variant_dict_init(&d, f->fields);
        ok = p9_session_restore_fid(h->session, &d, f->fds, f->nfds, &why);
        g_variant_dict_clear(&d);
    }
    return why;
}

static void saved_free(struct saved *sv)
{
    for (unsigned i = 0; i < sv->fids->len; i++) {
        struct saved_fid *f = &g_array_index(sv->fids, struct saved_fid, i);
        for (unsigned k = 0; k < f->nfds; k++) {
            if (f->fds[k] >= 0)
                close(f->fds[k]);
        }
        g_variant_unref(f->fields);
    }
    g_array_free(sv->fids, TRUE);
    g_variant_unref(sv->header);
}

static uint64_t xattrwalk(struct harness *h, uint32_t fid, uint32_t newfid, const char *name)
{
    union p9_arg a[3] = { { .d = fid }, { .d = newfid }, { .s = p9_str_of(name) } };
    struct h_reply *r = h_ok(h, P9_TXATTRWALK, a);
    uint64_t size = r->r.body.a[0].q;
    h_reply_free(r);
    return size;
}

static void xattrcreate(struct harness *h, uint32_t fid, const char *name, uint64_t size)
{
    union p9_arg a[4] = { { .d = fid }, { .s = p9_str_of(name) }, { .q = size }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TXATTRCREATE, a));
}

static void test_fids_travel(void)
{
    struct harness *h = h_new(NULL);
    static const char data[] = "0123456789abcdef";
    h_put_file(h, "f", data, sizeof(data) - 1);
    h_mkdir(h, "dir");
    h_put_file(h, "dir/g", "g", 1);
    char *fpath = h_path(h, "f");
    if (setxattr(fpath, "user.k", "value-1", 7, 0) != 0) {
        g_test_skip("the test directory's file system has no user xattrs");
        g_free(fpath);
        h_free(h);
        return;
    }
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDWR, NULL), ==, 0);
    char buf[32];
    g_assert_cmpint(h_read(h, 2, 0, 4, buf), ==, 4);
    g_assert_cmpuint(xattrwalk(h, 2, 3, "user.k"), ==, 7);
    g_assert_cmpint(h_read(h, 3, 0, 3, buf), ==, 3);
    g_assert_cmpint(h_walk(h, ROOT, 4, "f", NULL), ==, 1);
    xattrcreate(h, 4, "user.new", 10);
    g_assert_cmpint(h_write(h, 4, 0, "abcd", 4), ==, 4);
    g_assert_cmpint(h_walk(h, ROOT, 5, "dir", NULL), ==, 1);

    struct saved sv;
    save(h, &sv);
    g_assert_cmpuint(sv.fids->len, ==, 5);
    h_reopen(h);
    g_assert_null(restore(h, &sv));
    saved_free(&sv);

    /* The file at its offsets, the xattrs where they were, the directory. */
    g_assert_cmpint(h_read(h, 2, 4, 6, buf), ==, 6);
    g_assert_cmpmem(buf, 6, "456789", 6);
    g_assert_cmpint(h_read(h, 3, 3, 16, buf), ==, 4);
    g_assert_cmpmem(buf, 4, "ue-1", 4);
    g_assert_cmpint(h_write(h, 4, 4, "efghij", 6), ==, 6);
    g_assert_cmpint(h_clunk(h, 4), ==, 0);
    char value[16];
    g_assert_cmpint(getxattr(fpath, "user.new", value, sizeof(value)), ==, 10);
    g_assert_cmpmem(value, 10, "abcdefghij", 10);
    g_assert_cmpint(h_walk(h, 5, 6, "g", NULL), ==, 1);
    g_assert_cmpint(h_write(h, 2, 0, "W", 1), ==, 1);
    size_t len;
    char *host = h_get_file(h, "f", &len);
    g_assert_cmpmem(host, len, "W123456789abcdef", 16);
    g_free(host);
    g_free(fpath);
    h_free(h);
}

/* A state of a later version, or a fid twice: refused, saying why. */
static void test_refused(void)
{
    struct harness *h = h_new(NULL);
    h_put_file(h, "f", "x", 1);
    h_start(h, "9P2000.L", ROOT);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    struct saved sv;
    save(h, &sv);

    GVariantDict d;
    g_variant_dict_init(&d, sv.header);
    g_variant_dict_insert(&d, "state-version", "u", (uint32_t)P9_SESSION_STATE_VERSION + 1);
    GVariant *newer = g_variant_ref_sink(g_variant_dict_end(&d));
    GVariant *kept = sv.header;
    sv.header = newer;
    h_reopen(h);
    char *why = restore(h, &sv);
    g_assert_nonnull(why);
    g_assert_nonnull(strstr(why, "newer than this worker's"));
    g_free(why);
    sv.header = kept;
    g_variant_unref(newer);

    /* The same fids again, on a session that has them: "twice". */
    h_reopen(h);
    g_assert_null(restore(h, &sv));
    g_variant_dict_init(&d, g_array_index(sv.fids, struct saved_fid, 0).fields);
    int none[1] = { -1 };
    why = NULL;
    g_assert_false(p9_session_restore_fid(h->session, &d, none, 0, &why));
    g_variant_dict_clear(&d);
    g_assert_nonnull(strstr(why, "twice in the state"));
    g_free(why);
    saved_free(&sv);
    h_free(h);
}

int main(int argc, char **argv)
{
    h_init(&argc, &argv);
    g_test_add_func("/server/handover/fids-travel", test_fids_travel);
    g_test_add_func("/server/handover/refused", test_refused);
    return g_test_run();
}
