// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The 9P2000.u operations (Mini-OS, version=9p2000.u) through the server:
 * Topen, Tcreate of every kind (directories, symlinks, hard links, FIFOs,
 * devices, sockets through the .u extension string), Tread of a directory
 * as stat records across several reads, Tstat, Twstat (rename, chmod,
 * truncate, times, owner), ORCLOSE, and Rerror carrying the errno.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tests/unit/server-harness.h"

#define ROOT 1

static struct harness *start(const struct h_options *opt)
{
    struct harness *h = h_new(opt);
    h_start(h, "9P2000.u", ROOT);
    return h;
}

static int topen(struct harness *h, uint32_t fid, uint8_t mode, struct p9_qid *qid)
{
    union p9_arg a[2] = { { .d = fid }, { .b = mode } };
    struct h_reply *r = h_rpc(h, P9_TOPEN, a);
    int err = r->r.error;
    if (!err) {
        g_assert_cmpuint(r->r.id, ==, P9_ROPEN);
        g_assert_cmpuint(r->r.body.a[1].d, >, 0);
        if (qid)
            *qid = r->r.body.a[0].Q;
    }
    h_reply_free(r);
    return err;
}

/* Tcreate in the directory of `fid`; returns the reply (error or Rcreate). */
static struct h_reply *tcreate(struct harness *h, uint32_t fid, const char *name, uint32_t perm,
                               uint8_t mode, const char *extension)
{
    union p9_arg a[5] = { { .d = fid }, { .s = p9_str_of(name) }, { .d = perm }, { .b = mode },
                          { .s = p9_str_of(extension) } };
    return h_rpc(h, P9_TCREATE, a);
}

static int create_err(struct harness *h, uint32_t fid, const char *name, uint32_t perm,
                      uint8_t mode, const char *extension)
{
    struct h_reply *r = tcreate(h, fid, name, perm, mode, extension);
    int err = r->r.error;
    if (!err)
        g_assert_cmpuint(r->r.id, ==, P9_RCREATE);
    h_reply_free(r);
    return err;
}

static void clone_root(struct harness *h, uint32_t fid)
{
    g_assert_cmpint(h_walk(h, ROOT, fid, "", NULL), ==, 0);
}

/* Tstat of `fid`; the stat's strings point into the returned reply. */
static struct h_reply *tstat(struct harness *h, uint32_t fid)
{
    union p9_arg a[1] = { { .d = fid } };
    struct h_reply *r = h_ok(h, P9_TSTAT, a);
    g_assert_cmpuint(r->r.body.a[0].w, ==, p9_stat_size(r->r.body.a[1].S, P9_2000_U));
    return r;
}

/* ---- Topen ---- */

static void test_open(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "0123456789", 10);
    h_mkdir(h, "d");
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    struct p9_qid q;
    g_assert_cmpint(topen(h, 2, P9_OREAD, &q), ==, 0);
    g_assert_cmpuint(q.type, ==, P9_QTFILE);
    char buf[16];
    g_assert_cmpint(h_read(h, 2, 3, 4, buf), ==, 4);
    g_assert_cmpmem(buf, 4, "3456", 4);
    g_assert_cmpint(h_write(h, 2, 0, "x", 1), ==, -EBADF);
    g_assert_cmpint(topen(h, 2, P9_OREAD, NULL), ==, EBADF);
    /* OEXEC reads; OTRUNC truncates; ORDWR writes. */
    g_assert_cmpint(h_walk(h, ROOT, 3, "f", NULL), ==, 1);
    g_assert_cmpint(topen(h, 3, P9_OEXEC, NULL), ==, 0);
    g_assert_cmpint(h_read(h, 3, 0, 2, buf), ==, 2);
    g_assert_cmpint(h_walk(h, ROOT, 4, "f", NULL), ==, 1);
    g_assert_cmpint(topen(h, 4, P9_ORDWR | P9_OTRUNC, NULL), ==, 0);
    g_assert_cmpint(h_write(h, 4, 0, "new", 3), ==, 3);
    size_t len;
    char *data = h_get_file(h, "f", &len);
    g_assert_cmpmem(data, len, "new", 3);
    g_free(data);
    /* Directories open for reading only. */
    g_assert_cmpint(h_walk(h, ROOT, 5, "d", NULL), ==, 1);
    g_assert_cmpint(topen(h, 5, P9_OWRITE, NULL), ==, EISDIR);
    g_assert_cmpint(topen(h, 5, P9_OREAD, &q), ==, 0);
    g_assert_cmpuint(q.type, ==, P9_QTDIR);
    h_free(h);
}

static void test_orclose(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "tmp", "x", 1);
    g_assert_cmpint(h_walk(h, ROOT, 2, "tmp", NULL), ==, 1);
    g_assert_cmpint(topen(h, 2, P9_OREAD | P9_ORCLOSE, NULL), ==, 0);
    g_assert_true(h_exists(h, "tmp"));
    g_assert_cmpint(h_clunk(h, 2), ==, 0);
    g_assert_false(h_exists(h, "tmp"));
    /* Created with ORCLOSE: gone at clunk too. */
    clone_root(h, 3);
    g_assert_cmpint(create_err(h, 3, "scratch", 0600, P9_ORDWR | P9_ORCLOSE, ""), ==, 0);
    g_assert_true(h_exists(h, "scratch"));
    g_assert_cmpint(h_clunk(h, 3), ==, 0);
    g_assert_false(h_exists(h, "scratch"));
    h_free(h);
}

/* ---- Tcreate of every kind ---- */

static void test_create_file_and_dir(void)
{
    /* DMSETGID maps to S_ISGID where the export lets it through. */
    struct h_options opt = { .allow_setid = true };
    struct harness *h = start(&opt);
    clone_root(h, 2);
    struct h_reply *r = tcreate(h, 2, "file", 0640 | P9_DMSETGID, P9_ORDWR, "");
    g_assert_cmpuint(r->r.id, ==, P9_RCREATE);
    g_assert_cmpuint(r->r.body.a[0].Q.type, ==, P9_QTFILE);
    g_assert_cmpuint(r->r.body.a[1].d, >, 0);
    h_reply_free(r);
    struct stat st;
    g_assert_cmpint(h_lstat(h, "file", &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpuint(st.st_mode & 07777, ==, 0640 | S_ISGID);
    /* The fid is the open file. */
    g_assert_cmpint(h_write(h, 2, 0, "abc", 3), ==, 3);
    char buf[8];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 3);

    clone_root(h, 3);
    r = tcreate(h, 3, "dir", P9_DMDIR | 0711, P9_OREAD, "");
    g_assert_cmpuint(r->r.id, ==, P9_RCREATE);
    g_assert_cmpuint(r->r.body.a[0].Q.type, ==, P9_QTDIR);
    h_reply_free(r);
    g_assert_cmpint(h_lstat(h, "dir", &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));
    g_assert_cmpuint(st.st_mode & 07777, ==, 0711);
    /* The fid is the open (empty) directory: a read lists nothing. */
    g_assert_cmpint(h_read(h, 3, 0, sizeof(buf), buf), ==, 0);

    /* Refusals: existing names, bad names, open fids, file fids. */
    clone_root(h, 4);
    g_assert_cmpint(create_err(h, 4, "file", 0644, P9_OWRITE, ""), ==, EEXIST);
    g_assert_cmpint(create_err(h, 4, "..", 0644, P9_OWRITE, ""), ==, EINVAL);
    g_assert_cmpint(create_err(h, 4, "a/b", 0644, P9_OWRITE, ""), ==, EINVAL);
    g_assert_cmpint(create_err(h, 4, "", P9_DMDIR | 0755, P9_OREAD, ""), ==, EINVAL);
    g_assert_cmpint(create_err(h, 2, "other", 0644, P9_OWRITE, ""), ==, EBADF);
    g_assert_cmpint(h_walk(h, ROOT, 5, "file", NULL), ==, 1);
    g_assert_cmpint(create_err(h, 5, "inside", 0644, P9_OWRITE, ""), ==, ENOTDIR);
    g_assert_false(h_exists(h, "other") || h_exists(h, "a"));
    h_free(h);
}

static void test_create_special(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "target", "t", 1);
    struct stat st;

    clone_root(h, 2);
    struct h_reply *r = tcreate(h, 2, "sl", P9_DMSYMLINK | 0777, P9_OREAD, "some/target");
    g_assert_cmpuint(r->r.id, ==, P9_RCREATE);
    g_assert_cmpuint(r->r.body.a[0].Q.type, ==, P9_QTSYMLINK);
    g_assert_cmpuint(r->r.body.a[1].d, ==, 0);    /* not opened */
    h_reply_free(r);
    char buf[64];
    char *path = h_path(h, "sl");
    g_assert_cmpint(readlink(path, buf, sizeof(buf)), ==, 11);
    g_assert_cmpmem(buf, 11, "some/target", 11);
    g_free(path);
    /* The fid names the link now: Tstat shows it with its target. */
    r = tstat(h, 2);
    struct p9_stat *s = r->r.body.a[1].S;
    g_assert_cmpstr(s->name.s, ==, "sl");
    g_assert_true(s->mode & P9_DMSYMLINK);
    g_assert_cmpstr(s->extension.s, ==, "some/target");
    h_reply_free(r);

    /* DMLINK: the extension names the fid of the target. */
    g_assert_cmpint(h_walk(h, ROOT, 3, "target", NULL), ==, 1);
    clone_root(h, 4);
    g_assert_cmpint(create_err(h, 4, "hard", P9_DMLINK | 0644, P9_OREAD, "3"), ==, 0);
    struct stat t;
    g_assert_cmpint(h_lstat(h, "hard", &st), ==, 0);
    g_assert_cmpint(h_lstat(h, "target", &t), ==, 0);
    g_assert_cmpuint(st.st_ino, ==, t.st_ino);
    clone_root(h, 5);
    g_assert_cmpint(create_err(h, 5, "hard2", P9_DMLINK | 0644, P9_OREAD, "3\n"), ==, 0);
    g_assert_cmpint(create_err(h, 5, "hard3", P9_DMLINK, P9_OREAD, "999"), ==, EBADF);
    g_assert_cmpint(create_err(h, 5, "hard3", P9_DMLINK, P9_OREAD, "x"), ==, EINVAL);
    g_assert_cmpint(create_err(h, 5, "hard3", P9_DMLINK, P9_OREAD, ""), ==, EINVAL);
    g_assert_cmpint(create_err(h, 5, "hard3", P9_DMLINK, P9_OREAD, "3 4"), ==, EINVAL);
    g_assert_cmpint(create_err(h, 5, "hard3", P9_DMLINK, P9_OREAD, "99999999999"), ==, EINVAL);
    g_assert_false(h_exists(h, "hard3"));
    /* The fid that made hard2 names hard2 now. */
    r = tstat(h, 5);
    g_assert_cmpstr(r->r.body.a[1].S->name.s, ==, "hard2");
    h_reply_free(r);

    clone_root(h, 8);
    g_assert_cmpint(create_err(h, 8, "fifo", P9_DMNAMEDPIPE | 0620, P9_OREAD, ""), ==, 0);
    g_assert_cmpint(h_lstat(h, "fifo", &st), ==, 0);
    g_assert_true(S_ISFIFO(st.st_mode));
    g_assert_cmpuint(st.st_mode & 07777, ==, 0620);
    clone_root(h, 6);
    g_assert_cmpint(create_err(h, 6, "sock", P9_DMSOCKET | 0600, P9_OREAD, ""), ==, 0);
    g_assert_cmpint(h_lstat(h, "sock", &st), ==, 0);
    g_assert_true(S_ISSOCK(st.st_mode));
    /* Devices: refused unless the export allows them, malformed extensions refused. */
    clone_root(h, 7);
    g_assert_cmpint(create_err(h, 7, "null", P9_DMDEVICE | 0666, P9_OREAD, "c 1 3"), ==, EPERM);
    g_assert_cmpint(create_err(h, 7, "null", P9_DMDEVICE | 0666, P9_OREAD, "x 1 3"), ==, EINVAL);
    g_assert_cmpint(create_err(h, 7, "null", P9_DMDEVICE | 0666, P9_OREAD, "c 1"), ==, EINVAL);
    g_assert_false(h_exists(h, "null"));
    h_free(h);

    /* Allowed, as root: the device is made; Tstat shows "c 1 3". */
    struct h_options opt = { .model = FSDRV_MODEL_PASSTHROUGH, .allow_devices = true };
    h = start(&opt);
    clone_root(h, 2);
    g_assert_cmpint(create_err(h, 2, "null", P9_DMDEVICE | 0666, P9_OREAD, "c 1 3"), ==, 0);
    g_assert_cmpint(h_lstat(h, "null", &st), ==, 0);
    g_assert_true(S_ISCHR(st.st_mode));
    g_assert_cmpuint(st.st_rdev, ==, makedev(1, 3));
    r = tstat(h, 2);
    g_assert_true(r->r.body.a[1].S->mode & P9_DMDEVICE);
    g_assert_cmpstr(r->r.body.a[1].S->extension.s, ==, "c 1 3");
    h_reply_free(r);
    clone_root(h, 3);
    g_assert_cmpint(create_err(h, 3, "blk", P9_DMDEVICE | 0600, P9_OREAD, "b 7 0"), ==, 0);
    g_assert_cmpint(h_lstat(h, "blk", &st), ==, 0);
    g_assert_true(S_ISBLK(st.st_mode));
    g_assert_cmpint(topen(h, 2, P9_OREAD, NULL), ==, ENXIO);
    h_free(h);
}

/* ---- Tread of a directory: stat records ---- */

/* Parses a run of stat records; adds their names to `names`; returns the count. */
static unsigned parse_stats(const uint8_t *data, uint32_t count, GHashTable *names)
{
    uint8_t *copy = g_malloc(count + 1);
    memcpy(copy, data, count);
    unsigned n = 0;
    for (uint32_t pos = 0; pos < count;) {
        g_assert_cmpuint(count - pos, >=, 2);
        uint32_t len = 2 + (copy[pos] | copy[pos + 1] << 8);
        g_assert_cmpuint(pos + len, <=, count);     /* records are never split */
        struct p9_args out;
        g_assert_cmpint(p9_decode(copy + pos, len, "S", P9_2000_U, &out), ==, 0);
        const struct p9_stat *s = out.a[0].S;
        /* Regular files and directories carry their link count (as QEMU). */
        if (!(s->mode & (P9_DMSYMLINK | P9_DMDEVICE | P9_DMNAMEDPIPE | P9_DMSOCKET)))
            g_assert_true(g_str_has_prefix(s->extension.s, "HARDLINKCOUNT "));
        g_assert_false(g_hash_table_contains(names, s->name.s));
        g_hash_table_insert(names, g_strdup(s->name.s), GUINT_TO_POINTER(s->mode));
        pos += len;
        n++;
    }
    g_free(copy);
    return n;
}

static void test_dir_read(void)
{
    struct harness *h = start(NULL);
    const int files = 40;
    for (int i = 0; i < files; i++) {
        char name[48];
        g_snprintf(name, sizeof(name), "a-rather-long-file-name-number-%02d", i);
        h_put_file(h, name, "x", 1);
    }
    h_mkdir(h, "subdir");
    char *link = h_path(h, "link");
    g_assert_cmpint(symlink("subdir", link), ==, 0);
    g_free(link);
    clone_root(h, 2);
    g_assert_cmpint(topen(h, 2, P9_OREAD, NULL), ==, 0);

    GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    uint64_t offset = 0;
    unsigned reads = 0;
    uint8_t *buf = g_malloc(400);
    for (;;) {
        long n = h_read(h, 2, offset, 400, buf);
        g_assert_cmpint(n, >=, 0);
        reads++;
        if (n == 0)
            break;
        g_assert_cmpuint(parse_stats(buf, n, names), >, 0);
        offset += n;
    }
    g_assert_cmpuint(reads, >, 5);
    /* the files, subdir, link, and "." and ".." as QEMU lists them */
    g_assert_cmpuint(g_hash_table_size(names), ==, files + 4);
    g_assert_true(GPOINTER_TO_UINT(g_hash_table_lookup(names, ".")) & P9_DMDIR);
    g_assert_true(GPOINTER_TO_UINT(g_hash_table_lookup(names, "..")) & P9_DMDIR);
    g_assert_true(GPOINTER_TO_UINT(g_hash_table_lookup(names, "subdir")) & P9_DMDIR);
    g_assert_true(GPOINTER_TO_UINT(g_hash_table_lookup(names, "link")) & P9_DMSYMLINK);

    /* Only a continuation or a restart are valid offsets. */
    g_assert_cmpint(h_read(h, 2, 7, 400, buf), ==, -EINVAL);
    g_assert_cmpint(h_read(h, 2, offset + 1, 400, buf), ==, -EINVAL);
    GHashTable *again = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    long n = h_read(h, 2, 0, 400, buf);
    g_assert_cmpint(n, >, 0);
    parse_stats(buf, n, again);
    /* A count smaller than one record: nothing, and the position stays. */
    g_assert_cmpint(h_read(h, 2, n, 10, buf), ==, 0);
    long m = h_read(h, 2, n, 400, buf);
    g_assert_cmpint(m, >, 0);
    parse_stats(buf, m, again);
    g_hash_table_destroy(again);
    g_hash_table_destroy(names);
    g_free(buf);
    h_free(h);
}

/* ---- Tstat, Twstat ---- */

static void test_stat(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "12345", 5);
    char *fp = h_path(h, "f");
    g_assert_cmpint(chown(fp, 1234, 4321), ==, 0);
    g_free(fp);
    struct h_reply *r = tstat(h, ROOT);
    struct p9_stat *s = r->r.body.a[1].S;
    g_assert_cmpstr(s->name.s, ==, "/");
    g_assert_true(s->mode & P9_DMDIR);
    g_assert_cmpuint(s->qid.type, ==, P9_QTDIR);
    g_assert_cmpuint(s->length, ==, 0);
    h_reply_free(r);
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    struct stat st;
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    r = tstat(h, 2);
    s = r->r.body.a[1].S;
    g_assert_cmpstr(s->name.s, ==, "f");
    g_assert_cmpuint(s->mode, ==, 0644);
    g_assert_cmpuint(s->qid.type, ==, P9_QTFILE);
    g_assert_cmpuint(s->length, ==, 5);
    g_assert_cmpuint(s->mtime, ==, st.st_mtim.tv_sec);
    g_assert_cmpuint(s->atime, ==, st.st_atim.tv_sec);
    g_assert_cmpstr(s->uid.s, ==, "1234");
    g_assert_cmpstr(s->gid.s, ==, "4321");
    g_assert_cmpuint(s->n_uid, ==, 1234);
    g_assert_cmpuint(s->n_gid, ==, 4321);
    g_assert_cmpstr(s->extension.s, ==, "HARDLINKCOUNT 1");
    h_reply_free(r);
    h_free(h);
}

/* A wstat that touches nothing (all ones, empty strings). */
static struct p9_stat dont_touch(void)
{
    return (struct p9_stat){
        .type = 0xffff, .dev = ~0u, .qid = { 0xff, ~0u, ~0ull }, .mode = ~0u, .atime = ~0u,
        .mtime = ~0u, .length = ~0ull, .name = p9_str_of(""), .uid = p9_str_of(""),
        .gid = p9_str_of(""), .muid = p9_str_of(""), .extension = p9_str_of(""),
        .n_uid = ~0u, .n_gid = ~0u, .n_muid = ~0u,
    };
}

static int twstat(struct harness *h, uint32_t fid, const struct p9_stat *st)
{
    union p9_arg a[3] = { { .d = fid }, { .w = p9_stat_size(st, h->dialect) },
                          { .S = (struct p9_stat *)st } };
    struct h_reply *r = h_rpc(h, P9_TWSTAT, a);
    int err = r->r.error;
    if (!err)
        g_assert_cmpuint(r->r.id, ==, P9_RWSTAT);
    h_reply_free(r);
    return err;
}

static void test_wstat(void)
{
    /* Every field reaches the host: owners (passthrough), DMSETUID (allow-setid). */
    struct h_options opt = { .model = FSDRV_MODEL_PASSTHROUGH, .allow_setid = true };
    struct harness *h = start(&opt);
    h_put_file(h, "f", "0123456789", 10);
    h_mkdir(h, "d");
    g_assert_cmpint(h_walk(h, ROOT, 2, "f", NULL), ==, 1);
    struct stat before, st;
    g_assert_cmpint(h_lstat(h, "f", &before), ==, 0);

    struct p9_stat ws = dont_touch();
    g_assert_cmpint(twstat(h, 2, &ws), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpuint(st.st_mode, ==, before.st_mode);
    g_assert_cmpint(st.st_size, ==, 10);
    g_assert_cmpint(st.st_mtim.tv_sec, ==, before.st_mtim.tv_sec);

    ws = dont_touch();
    ws.mode = 0600 | P9_DMSETUID;
    g_assert_cmpint(twstat(h, 2, &ws), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0600 | S_ISUID);
    ws = dont_touch();
    ws.length = 4;
    g_assert_cmpint(twstat(h, 2, &ws), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 4);
    ws = dont_touch();
    ws.mtime = 1200000000;
    ws.atime = 1100000000;
    g_assert_cmpint(twstat(h, 2, &ws), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpint(st.st_mtim.tv_sec, ==, 1200000000);
    g_assert_cmpint(st.st_atim.tv_sec, ==, 1100000000);
    ws = dont_touch();
    ws.n_uid = 1000;
    ws.n_gid = 1001;
    g_assert_cmpint(twstat(h, 2, &ws), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 1000);
    g_assert_cmpuint(st.st_gid, ==, 1001);

    /* Rename within the directory; the fid follows. */
    ws = dont_touch();
    ws.name = p9_str_of("renamed");
    g_assert_cmpint(twstat(h, 2, &ws), ==, 0);
    g_assert_false(h_exists(h, "f"));
    g_assert_true(h_exists(h, "renamed"));
    struct h_reply *r = tstat(h, 2);
    g_assert_cmpstr(r->r.body.a[1].S->name.s, ==, "renamed");
    h_reply_free(r);
    /* The same name is no rename. */
    g_assert_cmpint(twstat(h, 2, &ws), ==, 0);
    /* Names that would leave the directory are refused. */
    static const char *bad[] = { "../x", "a/b", "..", "." };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        ws.name = p9_str_of(bad[i]);
        g_assert_cmpint(twstat(h, 2, &ws), ==, EINVAL);
    }
    g_assert_true(h_exists(h, "renamed"));
    /* The directory bit cannot change; the root cannot be renamed. */
    ws = dont_touch();
    ws.mode = P9_DMDIR | 0755;
    g_assert_cmpint(twstat(h, 2, &ws), ==, EINVAL);
    g_assert_cmpint(h_walk(h, ROOT, 3, "d", NULL), ==, 1);
    ws.mode = 0755;
    g_assert_cmpint(twstat(h, 3, &ws), ==, EINVAL);
    ws = dont_touch();
    ws.name = p9_str_of("newroot");
    g_assert_cmpint(twstat(h, ROOT, &ws), ==, EBUSY);
    ws = dont_touch();
    ws.length = (uint64_t)INT64_MAX + 1;
    g_assert_cmpint(twstat(h, 2, &ws), ==, EINVAL);
    g_assert_cmpint(h_lstat(h, "renamed", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 4);
    h_free(h);
}

/* ---- Rerror ---- */

static void test_rerror(void)
{
    struct harness *h = start(NULL);
    union p9_arg w[3] = { { .d = ROOT }, { .d = 2 } };
    struct p9_str name = p9_str_of("missing");
    w[2].T.n = 1;
    w[2].T.v = &name;
    struct h_reply *r = h_rpc(h, P9_TWALK, w);
    g_assert_cmpuint(r->r.id, ==, P9_RERROR);
    g_assert_cmpint(r->r.error, ==, ENOENT);
    g_assert_cmpstr(r->r.body.a[0].s.s, ==, g_strerror(ENOENT));
    g_assert_cmpuint(r->size, ==, P9_HDR_SIZE + 2 + strlen(g_strerror(ENOENT)) + 4);
    h_reply_free(r);
    /* .L messages do not exist in .u. */
    union p9_arg l[2] = { { .d = ROOT }, { .d = 0 } };
    r = h_rpc(h, P9_TLOPEN, l);
    g_assert_cmpuint(r->r.id, ==, P9_RERROR);
    g_assert_cmpint(r->r.error, ==, EOPNOTSUPP);
    h_reply_free(r);
    h_free(h);
}

int main(int argc, char **argv)
{
    h_init(&argc, &argv);
    g_test_add_func("/dotu/open", test_open);
    g_test_add_func("/dotu/orclose", test_orclose);
    g_test_add_func("/dotu/create-file-and-dir", test_create_file_and_dir);
    g_test_add_func("/dotu/create-special", test_create_special);
    g_test_add_func("/dotu/dir-read", test_dir_read);
    g_test_add_func("/dotu/stat", test_stat);
    g_test_add_func("/dotu/wstat", test_wstat);
    g_test_add_func("/dotu/rerror", test_rerror);
    return g_test_run();
}
