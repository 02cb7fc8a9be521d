// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every 9P2000.L operation through the server, each with its effect checked
 * on the export's disk: statfs, lopen, lcreate, symlink, mknod, mkdir,
 * rename, renameat, unlinkat, link, readlink, getattr, setattr, readdir,
 * fsync, lock/getlock (conflicts between two fids), xattrs, large I/O.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "tests/unit/server-harness.h"

#define ROOT 1

static struct harness *start(const struct h_options *opt)
{
    struct harness *h = h_new(opt);
    h_start(h, "9P2000.L", ROOT);
    return h;
}

/* A fresh fid on `path` ("" = a clone of the root). */
static void walk_to(struct harness *h, uint32_t fid, const char *path)
{
    int n = h_walk(h, ROOT, fid, path, NULL);
    if (*path)
        g_assert_cmpint(n, ==, 1 + (int)(strchr(path, '/') ? 1 : 0));
    else
        g_assert_cmpint(n, ==, 0);
}

static int err_of(struct h_reply *r)
{
    int err = r->r.id == P9_RLERROR ? r->r.error : 0;
    h_reply_free(r);
    return err;
}

/* ---- statfs ---- */

static void test_statfs(void)
{
    struct harness *h = start(NULL);
    union p9_arg a[1] = { { .d = ROOT } };
    struct h_reply *r = h_ok(h, P9_TSTATFS, a);
    struct statfs host;
    g_assert_cmpint(statfs(h->root, &host), ==, 0);
    const union p9_arg *b = r->r.body.a;
    g_assert_cmpuint(b[0].d, ==, (uint32_t)host.f_type);
    g_assert_cmpuint(b[1].d, ==, host.f_bsize);
    g_assert_cmpuint(b[2].q, ==, host.f_blocks);
    g_assert_cmpuint(b[5].q, ==, host.f_files);
    g_assert_cmpuint(b[8].d, ==, host.f_namelen);
    h_reply_free(r);
    h_free(h);
}

/* ---- lopen, read, write ---- */

static void test_lopen(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "hello world", 11);
    h_mkdir(h, "d");
    walk_to(h, 2, "f");
    struct p9_qid q;
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, &q), ==, 0);
    g_assert_cmpuint(q.type, ==, P9_QTFILE);
    char buf[64];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 11);
    g_assert_cmpmem(buf, 11, "hello world", 11);
    g_assert_cmpint(h_read(h, 2, 6, 3, buf), ==, 3);
    g_assert_cmpmem(buf, 3, "wor", 3);
    g_assert_cmpint(h_read(h, 2, 11, 10, buf), ==, 0);
    g_assert_cmpint(h_read(h, 2, 1000, 10, buf), ==, 0);
    g_assert_cmpint(h_read(h, 2, (uint64_t)INT64_MAX + 1, 10, buf), ==, -EINVAL);
    /* Read-only: a write fails; a second open of the fid too. */
    g_assert_cmpint(h_write(h, 2, 0, "x", 1), ==, -EBADF);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, EBADF);

    /* O_TRUNC empties the file on disk; O_APPEND writes at the end. */
    walk_to(h, 3, "f");
    g_assert_cmpint(h_lopen(h, 3, P9_DOTL_WRONLY | P9_DOTL_TRUNC, NULL), ==, 0);
    struct stat st;
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 0);
    g_assert_cmpint(h_write(h, 3, 0, "abc", 3), ==, 3);
    walk_to(h, 4, "f");
    g_assert_cmpint(h_lopen(h, 4, P9_DOTL_WRONLY | P9_DOTL_APPEND, NULL), ==, 0);
    g_assert_cmpint(h_write(h, 4, 0, "xyz", 3), ==, 3);
    size_t len;
    char *data = h_get_file(h, "f", &len);
    g_assert_cmpmem(data, len, "abcxyz", 6);
    g_free(data);
    /* A read of a write-only fid fails. */
    g_assert_cmpint(h_read(h, 4, 0, 3, buf), ==, -EBADF);

    /* Directories: O_DIRECTORY, Tread refused in .L. */
    walk_to(h, 5, "d");
    g_assert_cmpint(h_lopen(h, 5, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, &q), ==, 0);
    g_assert_cmpuint(q.type, ==, P9_QTDIR);
    g_assert_cmpint(h_read(h, 5, 0, 10, buf), ==, -EISDIR);
    walk_to(h, 6, "f");
    g_assert_cmpint(h_lopen(h, 6, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), ==, ENOTDIR);
    /* A directory cannot be opened for writing. */
    walk_to(h, 7, "d");
    g_assert_cmpint(h_lopen(h, 7, P9_DOTL_RDWR, NULL), ==, EISDIR);
    /* Reads and writes need an open fid. */
    walk_to(h, 8, "f");
    g_assert_cmpint(h_read(h, 8, 0, 3, buf), ==, -EBADF);
    g_assert_cmpint(h_write(h, 8, 0, "x", 1), ==, -EBADF);
    h_free(h);
}

/*
 * A Twrite whose data stays in the transport (p9_session_submit_split, as
 * the Xen ring does it): written straight from the two pieces when run on
 * the submitting thread, copied along before submit returns when handed to
 * a worker; the transport reuses the space at once either way.
 */
static void test_write_split(void)
{
    for (int workers_only = 0; workers_only < 2; workers_only++) {
        struct h_options o = { .workers_only = workers_only };
        struct harness *h = start(&o);
        h_put_file(h, "f", "", 0);
        walk_to(h, 2, "f");
        g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDWR, NULL), ==, 0);
        const uint32_t count = 40000;
        uint8_t *src = g_malloc(count);
        for (uint32_t i = 0; i < count; i++)
            src[i] = (uint8_t)(i * 13 + workers_only);
        union p9_arg a[3] = { { .d = 2 }, { .q = 100 },
                              { .D = { .count = count, .ptr = src } } };
        size_t size = p9c_size(P9_TWRITE, h->dialect, a);
        uint8_t *msg = g_malloc(size);
        g_assert_cmpuint(p9c_build(msg, size, P9_TWRITE, 77, h->dialect, a), ==, size);
        uint32_t split = p9_session_split_size(P9_TWRITE, (uint32_t)size);
        g_assert_cmpuint(split, ==, P9_HDR_SIZE + 16);
        g_assert_cmpuint(p9_session_split_size(P9_TREAD, (uint32_t)size), ==, 0);
        /* The rest in two pieces, as across a ring's wrap. */
        struct iovec rest[2] = { { msg + split, 1000 },
                                 { msg + split + 1000, size - split - 1000 } };
        p9_session_submit_split(h->session, g_memdup2(msg, split), (uint32_t)size, 0, rest, 2);
        memset(msg, 0xee, size);            /* the transport's space, reused */
        struct h_reply *r = h_deliver(h, h_next_sent(h, 5000));
        g_assert_cmpuint(r->r.id, ==, P9_RWRITE);
        g_assert_cmpuint(r->r.body.a[0].d, ==, count);
        h_reply_free(r);
        size_t len;
        char *disk = h_get_file(h, "f", &len);
        g_assert_cmpuint(len, ==, 100 + count);
        g_assert_cmpmem(disk + 100, count, src, count);
        g_free(disk);
        /* A size that does not match its count is refused, nothing written. */
        msg[0] = 0;
        g_assert_cmpuint(p9c_build(msg, size, P9_TWRITE, 78, h->dialect, a), ==, size);
        uint8_t *head = g_memdup2(msg, split);
        head[P9_HDR_SIZE + 12] ^= 1;        /* the count's low byte */
        p9_session_submit_split(h->session, head, (uint32_t)size, 0, rest, 2);
        r = h_deliver(h, h_next_sent(h, 5000));
        g_assert_cmpuint(r->r.id, ==, P9_RLERROR);
        h_reply_free(r);
        g_free(msg);
        g_free(src);
        h_free(h);
    }
}

static void test_large_io(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "big", "", 0);
    walk_to(h, 2, "big");
    union p9_arg a[2] = { { .d = 2 }, { .d = P9_DOTL_RDWR } };
    struct h_reply *r = h_ok(h, P9_TLOPEN, a);
    uint32_t iounit = r->r.body.a[1].d;
    h_reply_free(r);
    /* msize 65536: the largest whole 4 KiB multiple under msize - 24. */
    g_assert_cmpuint(iounit, ==, 61440);
    const size_t total = 200000;
    uint8_t *src = g_malloc(total);
    for (size_t i = 0; i < total; i++)
        src[i] = (uint8_t)(i * 7 + i / 251);
    for (size_t off = 0; off < total; off += iounit) {
        uint32_t n = MIN(iounit, total - off);
        g_assert_cmpint(h_write(h, 2, off, src + off, n), ==, n);
    }
    size_t len;
    char *disk = h_get_file(h, "big", &len);
    g_assert_cmpuint(len, ==, total);
    g_assert_cmpmem(disk, len, src, total);
    g_free(disk);
    /* A read asking for more than fits a reply gets msize - 11 bytes. */
    uint8_t *back = g_malloc(total);
    union p9_arg rd[3] = { { .d = 2 }, { .q = 0 }, { .d = 0xffffffffu } };
    r = h_ok(h, P9_TREAD, rd);
    g_assert_cmpuint(r->r.body.a[0].D.count, ==, 65536 - 11);
    g_assert_cmpuint(r->size, ==, 65536);
    g_assert_cmpmem(r->r.body.a[0].D.ptr, 65536 - 11, src, 65536 - 11);
    h_reply_free(r);
    size_t got = 0;
    while (got < total) {
        long n = h_read(h, 2, got, 100000, back + got);
        g_assert_cmpint(n, >, 0);
        got += n;
    }
    g_assert_cmpmem(back, total, src, total);
    g_free(back);
    g_free(src);
    h_free(h);
}

/* ---- lcreate ---- */

static void test_lcreate(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "exists", "", 0);
    walk_to(h, 2, "");
    union p9_arg a[5] = { { .d = 2 }, { .s = p9_str_of("new") }, { .d = P9_DOTL_RDWR },
                          { .d = 0640 }, { .d = 0 } };
    struct h_reply *r = h_ok(h, P9_TLCREATE, a);
    g_assert_cmpuint(r->r.body.a[0].Q.type, ==, P9_QTFILE);
    g_assert_cmpuint(r->r.body.a[1].d, >, 0);
    h_reply_free(r);
    struct stat st;
    g_assert_cmpint(h_lstat(h, "new", &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpuint(st.st_mode & 07777, ==, 0640);
    /* The fid is now the open new file. */
    g_assert_cmpint(h_write(h, 2, 0, "data", 4), ==, 4);
    char buf[8];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 4);
    size_t len;
    char *disk = h_get_file(h, "new", &len);
    g_assert_cmpmem(disk, len, "data", 4);
    g_free(disk);
    r = h_getattr(h, 2);
    g_assert_cmpuint(r->r.body.a[7].q, ==, 4);
    h_reply_free(r);
    /* Open fid: no second create through it. */
    a[1].s = p9_str_of("other");
    g_assert_cmpint(h_err(h, P9_TLCREATE, a), ==, EBADF);
    g_assert_false(h_exists(h, "other"));

    walk_to(h, 3, "");
    a[0].d = 3;
    a[1].s = p9_str_of("exists");
    g_assert_cmpint(h_err(h, P9_TLCREATE, a), ==, EEXIST);
    static const char *bad[] = { "..", ".", "a/b", "" };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        a[1].s = p9_str_of(bad[i]);
        g_assert_cmpint(h_err(h, P9_TLCREATE, a), ==, EINVAL);
    }
    a[1].s = (struct p9_str){ .len = 3, .s = "x\0y" };
    g_assert_cmpint(h_err(h, P9_TLCREATE, a), ==, EINVAL);
    g_assert_false(h_exists(h, "x"));
    /* The fid survived the failures and still works as a directory. */
    a[1].s = p9_str_of("second");
    a[3].d = 0604;
    h_reply_free(h_ok(h, P9_TLCREATE, a));
    g_assert_cmpint(h_lstat(h, "second", &st), ==, 0);
    g_assert_cmpuint(st.st_mode & 07777, ==, 0604);
    /* A file fid is no directory. */
    walk_to(h, 4, "exists");
    a[0].d = 4;
    a[1].s = p9_str_of("inside");
    g_assert_cmpint(h_err(h, P9_TLCREATE, a), ==, ENOTDIR);
    h_free(h);
}

/* ---- symlink, readlink, mknod, mkdir, link ---- */

static void test_symlink_readlink(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "", 0);
    union p9_arg a[4] = { { .d = ROOT }, { .s = p9_str_of("sl") },
                          { .s = p9_str_of("some/../target") }, { .d = 0 } };
    struct h_reply *r = h_ok(h, P9_TSYMLINK, a);
    g_assert_cmpuint(r->r.body.a[0].Q.type, ==, P9_QTSYMLINK);
    h_reply_free(r);
    char target[64];
    char *path = h_path(h, "sl");
    ssize_t n = readlink(path, target, sizeof(target));
    g_free(path);
    g_assert_cmpint(n, ==, 14);
    g_assert_cmpmem(target, n, "some/../target", 14);
    /* Treadlink returns it, never following it. */
    walk_to(h, 2, "sl");
    union p9_arg rl[1] = { { .d = 2 } };
    r = h_ok(h, P9_TREADLINK, rl);
    g_assert_cmpstr(r->r.body.a[0].s.s, ==, "some/../target");
    h_reply_free(r);
    walk_to(h, 3, "f");
    rl[0].d = 3;
    g_assert_cmpint(h_err(h, P9_TREADLINK, rl), ==, EINVAL);
    /* Empty targets and targets with a NUL are refused; so is an existing name. */
    a[1].s = p9_str_of("sl2");
    a[2].s = p9_str_of("");
    g_assert_cmpint(h_err(h, P9_TSYMLINK, a), ==, EINVAL);
    a[2].s = (struct p9_str){ .len = 3, .s = "a\0b" };
    g_assert_cmpint(h_err(h, P9_TSYMLINK, a), ==, EINVAL);
    g_assert_false(h_exists(h, "sl2"));
    a[1].s = p9_str_of("f");
    a[2].s = p9_str_of("x");
    g_assert_cmpint(h_err(h, P9_TSYMLINK, a), ==, EEXIST);
    h_free(h);
}

static void test_mknod(void)
{
    struct harness *h = start(NULL);
    union p9_arg a[6] = { { .d = ROOT }, { .s = p9_str_of("fifo") }, { .d = S_IFIFO | 0600 },
                          { .d = 0 }, { .d = 0 }, { .d = 0 } };
    struct h_reply *r = h_ok(h, P9_TMKNOD, a);
    g_assert_cmpuint(r->r.body.a[0].Q.type, ==, P9_QTFILE);
    h_reply_free(r);
    struct stat st;
    g_assert_cmpint(h_lstat(h, "fifo", &st), ==, 0);
    g_assert_true(S_ISFIFO(st.st_mode));
    g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
    a[1].s = p9_str_of("reg");
    a[2].d = S_IFREG | 0640;
    h_reply_free(h_ok(h, P9_TMKNOD, a));
    g_assert_cmpint(h_lstat(h, "reg", &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    a[1].s = p9_str_of("sock");
    a[2].d = S_IFSOCK | 0600;
    h_reply_free(h_ok(h, P9_TMKNOD, a));
    g_assert_cmpint(h_lstat(h, "sock", &st), ==, 0);
    g_assert_true(S_ISSOCK(st.st_mode));
    /* Device nodes: not unless the export allows them. */
    a[1].s = p9_str_of("null");
    a[2].d = S_IFCHR | 0666;
    a[3].d = 1;
    a[4].d = 3;
    g_assert_cmpint(h_err(h, P9_TMKNOD, a), ==, EPERM);
    g_assert_false(h_exists(h, "null"));
    h_free(h);

    /* Allowed (we are root): the node is made, but never opened. */
    struct h_options opt = { .model = FSDRV_MODEL_PASSTHROUGH, .allow_devices = true };
    h = start(&opt);
    h_reply_free(h_ok(h, P9_TMKNOD, a));
    g_assert_cmpint(h_lstat(h, "null", &st), ==, 0);
    g_assert_true(S_ISCHR(st.st_mode));
    g_assert_cmpuint(major(st.st_rdev), ==, 1);
    g_assert_cmpuint(minor(st.st_rdev), ==, 3);
    walk_to(h, 2, "null");
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDWR, NULL), ==, ENXIO);
    r = h_getattr(h, 2);
    g_assert_cmpuint(r->r.body.a[6].q, ==, st.st_rdev);
    h_reply_free(r);
    h_free(h);
}

static void test_mkdir(void)
{
    struct harness *h = start(NULL);
    union p9_arg a[4] = { { .d = ROOT }, { .s = p9_str_of("d") }, { .d = 0750 }, { .d = 0 } };
    struct h_reply *r = h_ok(h, P9_TMKDIR, a);
    g_assert_cmpuint(r->r.body.a[0].Q.type, ==, P9_QTDIR);
    h_reply_free(r);
    struct stat st;
    g_assert_cmpint(h_lstat(h, "d", &st), ==, 0);
    g_assert_true(S_ISDIR(st.st_mode));
    g_assert_cmpuint(st.st_mode & 07777, ==, 0750);
    g_assert_cmpint(h_err(h, P9_TMKDIR, a), ==, EEXIST);
    a[1].s = p9_str_of("..");
    g_assert_cmpint(h_err(h, P9_TMKDIR, a), ==, EINVAL);
    /* Nested, through a walked fid. */
    walk_to(h, 2, "d");
    a[0].d = 2;
    a[1].s = p9_str_of("inner");
    a[2].d = 0700 | S_ISGID;
    h_reply_free(h_ok(h, P9_TMKDIR, a));
    g_assert_cmpint(h_lstat(h, "d/inner", &st), ==, 0);
    /* The set-id bit only where the export allows it (test-server-guest.c). */
    g_assert_cmpuint(st.st_mode & 07777, ==, 0700);
    h_free(h);
}

static void test_link(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "same", 4);
    h_mkdir(h, "d");
    walk_to(h, 2, "f");
    walk_to(h, 3, "d");
    union p9_arg a[3] = { { .d = 3 }, { .d = 2 }, { .s = p9_str_of("hard") } };
    h_reply_free(h_ok(h, P9_TLINK, a));
    struct stat st1, st2;
    g_assert_cmpint(h_lstat(h, "f", &st1), ==, 0);
    g_assert_cmpint(h_lstat(h, "d/hard", &st2), ==, 0);
    g_assert_cmpuint(st1.st_ino, ==, st2.st_ino);
    g_assert_cmpuint(st1.st_nlink, ==, 2);
    struct h_reply *r = h_getattr(h, 2);
    g_assert_cmpuint(r->r.body.a[5].q, ==, 2);
    h_reply_free(r);
    g_assert_cmpint(h_err(h, P9_TLINK, a), ==, EEXIST);
    /* Directories cannot be hard-linked. */
    a[1].d = 3;
    a[0].d = ROOT;
    a[2].s = p9_str_of("dirlink");
    g_assert_cmpint(h_err(h, P9_TLINK, a), ==, EPERM);
    h_free(h);
}

/* ---- rename, renameat, unlinkat ---- */

static void test_rename(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "a", "moved", 5);
    h_mkdir(h, "dir");
    walk_to(h, 2, "a");
    walk_to(h, 3, "dir");
    union p9_arg a[3] = { { .d = 2 }, { .d = 3 }, { .s = p9_str_of("b") } };
    h_reply_free(h_ok(h, P9_TRENAME, a));
    g_assert_false(h_exists(h, "a"));
    g_assert_true(h_exists(h, "dir/b"));
    /* The fid followed the file. */
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    char buf[8];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 5);
    /* The root cannot be renamed; bad names are refused. */
    a[0].d = ROOT;
    g_assert_cmpint(h_err(h, P9_TRENAME, a), ==, EBUSY);
    walk_to(h, 4, "dir/b");
    a[0].d = 4;
    a[2].s = p9_str_of("x/y");
    g_assert_cmpint(h_err(h, P9_TRENAME, a), ==, EINVAL);
    g_assert_true(h_exists(h, "dir/b"));
    h_free(h);
}

static void test_renameat(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "x", "xx", 2);
    h_mkdir(h, "dir");
    h_mkdir(h, "dir/inner");
    h_put_file(h, "dir/inner/file", "deep", 4);
    h_mkdir(h, "other");
    /* Fids on what is renamed, and below it. */
    walk_to(h, 2, "x");
    g_assert_cmpint(h_walk(h, ROOT, 3, "dir/inner/file", NULL), ==, 3);
    union p9_arg a[4] = { { .d = ROOT }, { .s = p9_str_of("x") }, { .d = ROOT },
                          { .s = p9_str_of("y") } };
    h_reply_free(h_ok(h, P9_TRENAMEAT, a));
    g_assert_false(h_exists(h, "x"));
    g_assert_true(h_exists(h, "y"));
    walk_to(h, 4, "other");
    a[1].s = p9_str_of("dir");
    a[2].d = 4;
    a[3].s = p9_str_of("dir2");
    h_reply_free(h_ok(h, P9_TRENAMEAT, a));
    g_assert_true(h_exists(h, "other/dir2/inner/file"));
    /* Both fids still name their files. */
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    g_assert_cmpint(h_lopen(h, 3, P9_DOTL_RDONLY, NULL), ==, 0);
    char buf[8];
    g_assert_cmpint(h_read(h, 3, 0, sizeof(buf), buf), ==, 4);
    g_assert_cmpmem(buf, 4, "deep", 4);
    struct h_reply *r = h_getattr(h, 3);
    g_assert_cmpuint(r->r.body.a[7].q, ==, 4);
    h_reply_free(r);
    /* Errors. */
    a[0].d = ROOT;
    a[1].s = p9_str_of("missing");
    a[2].d = ROOT;
    a[3].s = p9_str_of("z");
    g_assert_cmpint(h_err(h, P9_TRENAMEAT, a), ==, ENOENT);
    a[1].s = p9_str_of("..");
    g_assert_cmpint(h_err(h, P9_TRENAMEAT, a), ==, EINVAL);
    a[1].s = p9_str_of("y");
    a[3].s = p9_str_of("");
    g_assert_cmpint(h_err(h, P9_TRENAMEAT, a), ==, EINVAL);
    g_assert_true(h_exists(h, "y"));
    h_free(h);
}

static void test_unlinkat(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "still here", 10);
    h_mkdir(h, "d");
    h_mkdir(h, "full");
    h_put_file(h, "full/x", "", 0);
    walk_to(h, 2, "f");
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    union p9_arg a[3] = { { .d = ROOT }, { .s = p9_str_of("f") }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TUNLINKAT, a));
    g_assert_false(h_exists(h, "f"));
    /* The open fid still reads the unlinked file. */
    char buf[16];
    g_assert_cmpint(h_read(h, 2, 0, sizeof(buf), buf), ==, 10);
    a[1].s = p9_str_of("d");
    g_assert_cmpint(h_err(h, P9_TUNLINKAT, a), ==, EISDIR);
    a[2].d = P9_AT_REMOVEDIR;
    h_reply_free(h_ok(h, P9_TUNLINKAT, a));
    g_assert_false(h_exists(h, "d"));
    a[1].s = p9_str_of("full");
    g_assert_cmpint(h_err(h, P9_TUNLINKAT, a), ==, ENOTEMPTY);
    a[2].d = 1;
    g_assert_cmpint(h_err(h, P9_TUNLINKAT, a), ==, EINVAL);
    a[2].d = 0;
    a[1].s = p9_str_of("missing");
    g_assert_cmpint(h_err(h, P9_TUNLINKAT, a), ==, ENOENT);
    a[1].s = p9_str_of("..");
    g_assert_cmpint(h_err(h, P9_TUNLINKAT, a), ==, EINVAL);
    g_assert_true(h_exists(h, "full/x"));
    h_free(h);
}

/* ---- getattr, setattr ---- */

static void test_getattr(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "12345", 5);
    walk_to(h, 2, "f");
    struct stat st;
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    struct h_reply *r = h_getattr(h, 2);
    const union p9_arg *b = r->r.body.a;
    g_assert_cmpuint(b[0].q, ==, P9_GETATTR_BASIC);
    g_assert_cmpuint(b[1].Q.type, ==, P9_QTFILE);
    g_assert_cmpuint(b[2].d, ==, st.st_mode);
    g_assert_cmpuint(b[3].d, ==, st.st_uid);
    g_assert_cmpuint(b[4].d, ==, st.st_gid);
    g_assert_cmpuint(b[5].q, ==, st.st_nlink);
    g_assert_cmpuint(b[7].q, ==, 5);
    g_assert_cmpuint(b[8].q, ==, st.st_blksize);
    g_assert_cmpuint(b[9].q, ==, st.st_blocks);
    g_assert_cmpuint(b[10].q, ==, st.st_atim.tv_sec);
    g_assert_cmpuint(b[11].q, ==, st.st_atim.tv_nsec);
    g_assert_cmpuint(b[12].q, ==, st.st_mtim.tv_sec);
    g_assert_cmpuint(b[13].q, ==, st.st_mtim.tv_nsec);
    g_assert_cmpuint(b[14].q, ==, st.st_ctim.tv_sec);
    g_assert_cmpuint(b[15].q, ==, st.st_ctim.tv_nsec);
    struct p9_qid before = b[1].Q;
    h_reply_free(r);
    /* Same file, same path; a write changes the version. */
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDWR, NULL), ==, 0);
    g_assert_cmpint(h_write(h, 2, 5, "678", 3), ==, 3);
    r = h_getattr(h, 2);
    g_assert_cmpuint(r->r.body.a[1].Q.path, ==, before.path);
    g_assert_cmpuint(r->r.body.a[1].Q.version, !=, before.version);
    g_assert_cmpuint(r->r.body.a[7].q, ==, 8);
    h_reply_free(r);
    /* Directories, symlinks. */
    r = h_getattr(h, ROOT);
    g_assert_cmpuint(r->r.body.a[1].Q.type, ==, P9_QTDIR);
    g_assert_true(S_ISDIR(r->r.body.a[2].d));
    h_reply_free(r);
    g_assert_cmpint(h_walk(h, 99, 3, "", NULL), ==, -EBADF);
    union p9_arg a[2] = { { .d = 99 }, { .q = P9_GETATTR_ALL } };
    g_assert_cmpint(h_err(h, P9_TGETATTR, a), ==, EBADF);
    h_free(h);
}

static struct h_reply *setattr(struct harness *h, uint32_t fid, uint32_t valid, uint32_t mode,
                               uint32_t uid, uint32_t gid, uint64_t size,
                               const struct timespec *at, const struct timespec *mt)
{
    union p9_arg a[10] = {
        { .d = fid }, { .d = valid }, { .d = mode }, { .d = uid }, { .d = gid }, { .q = size },
        { .q = at ? at->tv_sec : 0 }, { .q = at ? at->tv_nsec : 0 },
        { .q = mt ? mt->tv_sec : 0 }, { .q = mt ? mt->tv_nsec : 0 },
    };
    return h_rpc(h, P9_TSETATTR, a);
}

static void test_setattr(void)
{
    /* Passthrough: owners reach the host (none ignores them: test-server-guest.c). */
    struct h_options opt = { .model = FSDRV_MODEL_PASSTHROUGH };
    struct harness *h = start(&opt);
    h_put_file(h, "f", "0123456789", 10);
    walk_to(h, 2, "f");
    struct stat st;
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_MODE, S_IFDIR | 0600, 0, 0, 0, NULL, NULL)),
                    ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpuint(st.st_mode & 07777, ==, 0600);
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_SIZE, 0, 0, 0, 3, NULL, NULL)), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 3);
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_SIZE, 0, 0, 0, 5000, NULL, NULL)), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 5000);
    struct timespec at = { 1000000000, 123456789 }, mt = { 1100000000, 987654321 };
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_ATIME | P9_ATTR_ATIME_SET | P9_ATTR_MTIME |
                                   P9_ATTR_MTIME_SET, 0, 0, 0, 0, &at, &mt)), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpint(st.st_atim.tv_sec, ==, at.tv_sec);
    g_assert_cmpint(st.st_atim.tv_nsec, ==, at.tv_nsec);
    g_assert_cmpint(st.st_mtim.tv_sec, ==, mt.tv_sec);
    g_assert_cmpint(st.st_mtim.tv_nsec, ==, mt.tv_nsec);
    /* MTIME without _SET: now. */
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_MTIME, 0, 0, 0, 0, NULL, &mt)), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpint(labs(st.st_mtim.tv_sec - time(NULL)), <, 5);
    /* Owner (we are root). */
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_UID | P9_ATTR_GID, 0, 1000, 1001, 0, NULL,
                                   NULL)), ==, 0);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpuint(st.st_uid, ==, 1000);
    g_assert_cmpuint(st.st_gid, ==, 1001);
    /* Hostile values. */
    struct timespec bad = { 1, 1000000000 };
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_ATIME | P9_ATTR_ATIME_SET, 0, 0, 0, 0, &bad,
                                   NULL)), ==, EINVAL);
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_MTIME | P9_ATTR_MTIME_SET, 0, 0, 0, 0, NULL,
                                   &bad)), ==, EINVAL);
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_SIZE, 0, 0, 0, (uint64_t)INT64_MAX + 1, NULL,
                                   NULL)), ==, EINVAL);
    g_assert_cmpint(h_lstat(h, "f", &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 5000);
    /* Through an open fid of an unlinked file (ftruncate). */
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY, NULL), ==, 0);
    char *path = h_path(h, "f");
    g_assert_cmpint(unlink(path), ==, 0);
    g_free(path);
    g_assert_cmpint(err_of(setattr(h, 2, P9_ATTR_SIZE, 0, 0, 0, 7, NULL, NULL)), ==, 0);
    struct h_reply *r = h_getattr(h, 2);
    g_assert_cmpuint(r->r.body.a[7].q, ==, 7);
    h_reply_free(r);
    h_free(h);
}

/* ---- readdir ---- */

struct dirent_seen {
    GHashTable *names;      /* name -> type */
    uint64_t last_offset;
    unsigned entries;
};

/* Parses one Rreaddir payload; returns the number of entries. */
static unsigned parse_readdir(const uint8_t *data, uint32_t count, struct dirent_seen *seen)
{
    unsigned n = 0;
    uint8_t *copy = g_malloc(count + 1);
    memcpy(copy, data, count);
    size_t pos = 0;
    while (pos < count) {
        g_assert_cmpuint(count - pos, >=, P9_QID_SIZE + 8 + 1 + 2);
        size_t name_len = copy[pos + 22] | copy[pos + 23] << 8;
        size_t len = P9_QID_SIZE + 8 + 1 + 2 + name_len;
        g_assert_cmpuint(pos + len, <=, count);
        struct p9_args out;
        g_assert_cmpint(p9_decode(copy + pos, len, "Qqbs", P9_2000_L, &out), ==, 0);
        g_assert_false(g_hash_table_contains(seen->names, out.a[3].s.s));
        g_hash_table_insert(seen->names, g_strdup(out.a[3].s.s), GUINT_TO_POINTER(out.a[2].b));
        uint8_t qtype = out.a[0].Q.type;
        g_assert_cmpuint(qtype, ==, out.a[2].b == DT_DIR ? P9_QTDIR
                                    : out.a[2].b == DT_LNK ? P9_QTSYMLINK : P9_QTFILE);
        seen->last_offset = out.a[1].q;
        pos += len;
        n++;
    }
    g_free(copy);
    return n;
}

static void test_readdir(void)
{
    struct harness *h = start(NULL);
    const int files = 60;
    for (int i = 0; i < files; i++) {
        char name[32];
        g_snprintf(name, sizeof(name), "file-with-a-longer-name-%02d", i);
        h_put_file(h, name, "", 0);
    }
    h_mkdir(h, "dir");
    char *link = h_path(h, "link");
    g_assert_cmpint(symlink("dir", link), ==, 0);
    g_free(link);
    walk_to(h, 2, "");
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY, NULL), ==, 0);

    struct dirent_seen seen = { g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
    unsigned calls = 0;
    for (;;) {
        union p9_arg a[3] = { { .d = 2 }, { .q = seen.last_offset }, { .d = 300 } };
        struct h_reply *r = h_ok(h, P9_TREADDIR, a);
        uint32_t count = r->r.body.a[0].D.count;
        g_assert_cmpuint(count, <=, 300);
        unsigned n = parse_readdir(r->r.body.a[0].D.ptr, count, &seen);
        h_reply_free(r);
        calls++;
        if (n == 0)
            break;
    }
    /* Several calls were needed; every entry came once, . and .. included. */
    g_assert_cmpuint(calls, >, 5);
    g_assert_cmpuint(g_hash_table_size(seen.names), ==, files + 4);
    g_assert_true(g_hash_table_contains(seen.names, "."));
    g_assert_true(g_hash_table_contains(seen.names, ".."));
    g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(seen.names, "dir")), ==, DT_DIR);
    g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(seen.names, "link")), ==, DT_LNK);
    g_assert_cmpuint(GPOINTER_TO_UINT(g_hash_table_lookup(seen.names, "file-with-a-longer-name-07")),
                     ==, DT_REG);

    /* Offset 0 again starts over; a huge count is capped to msize. */
    union p9_arg a[3] = { { .d = 2 }, { .q = 0 }, { .d = 0xffffffffu } };
    struct h_reply *r = h_ok(h, P9_TREADDIR, a);
    g_assert_cmpuint(r->size, <=, 65536);
    struct dirent_seen again = { g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL) };
    g_assert_cmpuint(parse_readdir(r->r.body.a[0].D.ptr, r->r.body.a[0].D.count, &again), ==,
                     files + 4);
    h_reply_free(r);
    /* A count too small for one entry: an empty reply, not an error. */
    a[2].d = 10;
    r = h_ok(h, P9_TREADDIR, a);
    g_assert_cmpuint(r->r.body.a[0].D.count, ==, 0);
    h_reply_free(r);
    /* Not a directory; not open. */
    h_put_file(h, "plain", "", 0);
    walk_to(h, 3, "plain");
    a[0].d = 3;
    g_assert_cmpint(h_err(h, P9_TREADDIR, a), ==, EBADF);
    g_assert_cmpint(h_lopen(h, 3, P9_DOTL_RDONLY, NULL), ==, 0);
    g_assert_cmpint(h_err(h, P9_TREADDIR, a), ==, ENOTDIR);
    g_hash_table_destroy(seen.names);
    g_hash_table_destroy(again.names);
    h_free(h);
}

/* ---- fsync, locks ---- */

static void test_fsync(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "", 0);
    walk_to(h, 2, "f");
    union p9_arg a[2] = { { .d = 2 }, { .d = 0 } };
    g_assert_cmpint(h_err(h, P9_TFSYNC, a), ==, EBADF);
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDWR, NULL), ==, 0);
    g_assert_cmpint(h_write(h, 2, 0, "sync", 4), ==, 4);
    h_reply_free(h_ok(h, P9_TFSYNC, a));
    a[1].d = 1;
    h_reply_free(h_ok(h, P9_TFSYNC, a));
    h_free(h);
}

static uint8_t lock(struct harness *h, uint32_t fid, uint8_t type, uint64_t start, uint64_t len)
{
    union p9_arg a[7] = { { .d = fid }, { .b = type }, { .d = 0 }, { .q = start }, { .q = len },
                          { .d = 42 }, { .s = p9_str_of("client") } };
    struct h_reply *r = h_ok(h, P9_TLOCK, a);
    uint8_t status = r->r.body.a[0].b;
    h_reply_free(r);
    return status;
}

static struct h_reply *getlock(struct harness *h, uint32_t fid, uint8_t type, uint64_t start,
                               uint64_t len)
{
    union p9_arg a[6] = { { .d = fid }, { .b = type }, { .q = start }, { .q = len },
                          { .d = 77 }, { .s = p9_str_of("asker") } };
    return h_ok(h, P9_TGETLOCK, a);
}

/* The lock a host open file description would conflict with on [start, start+len). */
static short host_conflict(struct harness *h, short type, off_t start, off_t len)
{
    char *path = h_path(h, "f");
    int fd = open(path, O_RDWR);
    g_free(path);
    g_assert_cmpint(fd, >=, 0);
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    g_assert_cmpint(fcntl(fd, F_OFD_GETLK, &fl), ==, 0);
    close(fd);
    return fl.l_type;
}

static void test_locks(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "0123456789", 10);
    walk_to(h, 2, "f");
    walk_to(h, 3, "f");
    g_assert_cmpint(h_lopen(h, 2, P9_DOTL_RDWR, NULL), ==, 0);
    g_assert_cmpint(h_lopen(h, 3, P9_DOTL_RDWR, NULL), ==, 0);

    g_assert_cmpuint(lock(h, 2, P9_LOCK_TYPE_WRLCK, 0, 100), ==, P9_LOCK_SUCCESS);
    g_assert_cmpint(host_conflict(h, F_RDLCK, 50, 1), ==, F_WRLCK);
    /* The other fid conflicts. */
    g_assert_cmpuint(lock(h, 3, P9_LOCK_TYPE_RDLCK, 50, 10), ==, P9_LOCK_BLOCKED);
    struct h_reply *r = getlock(h, 3, P9_LOCK_TYPE_WRLCK, 0, 0);
    g_assert_cmpuint(r->r.body.a[0].b, ==, P9_LOCK_TYPE_WRLCK);
    g_assert_cmpuint(r->r.body.a[1].q, ==, 0);
    g_assert_cmpuint(r->r.body.a[2].q, ==, 100);
    h_reply_free(r);
    /* The same fid does not conflict with itself; other ranges are free. */
    g_assert_cmpuint(lock(h, 2, P9_LOCK_TYPE_WRLCK, 50, 10), ==, P9_LOCK_SUCCESS);
    g_assert_cmpuint(lock(h, 3, P9_LOCK_TYPE_RDLCK, 200, 10), ==, P9_LOCK_SUCCESS);
    r = getlock(h, 2, P9_LOCK_TYPE_WRLCK, 0, 100);
    g_assert_cmpuint(r->r.body.a[0].b, ==, P9_LOCK_TYPE_UNLCK);
    g_assert_cmpuint(r->r.body.a[3].d, ==, 77);
    g_assert_cmpstr(r->r.body.a[4].s.s, ==, "asker");
    h_reply_free(r);
    /* Unlock: the other fid gets it; then it holds a read lock the first sees. */
    g_assert_cmpuint(lock(h, 2, P9_LOCK_TYPE_UNLCK, 0, 0), ==, P9_LOCK_SUCCESS);
    g_assert_cmpint(host_conflict(h, F_WRLCK, 0, 100), ==, F_UNLCK);
    g_assert_cmpuint(lock(h, 3, P9_LOCK_TYPE_RDLCK, 50, 10), ==, P9_LOCK_SUCCESS);
    r = getlock(h, 2, P9_LOCK_TYPE_WRLCK, 0, 0);
    g_assert_cmpuint(r->r.body.a[0].b, ==, P9_LOCK_TYPE_RDLCK);
    g_assert_cmpuint(r->r.body.a[1].q, ==, 50);
    h_reply_free(r);
    g_assert_cmpuint(lock(h, 2, P9_LOCK_TYPE_RDLCK, 55, 1), ==, P9_LOCK_SUCCESS);
    /* Clunking a fid drops its locks. */
    g_assert_cmpint(h_clunk(h, 3), ==, 0);
    g_assert_cmpuint(lock(h, 2, P9_LOCK_TYPE_WRLCK, 0, 0), ==, P9_LOCK_SUCCESS);
    /* Bad type, bad range, unopened fid. */
    union p9_arg a[7] = { { .d = 2 }, { .b = 9 }, { .d = 0 }, { .q = 0 }, { .q = 1 }, { .d = 1 },
                          { .s = p9_str_of("") } };
    g_assert_cmpint(h_err(h, P9_TLOCK, a), ==, EINVAL);
    a[1].b = P9_LOCK_TYPE_RDLCK;
    a[3].q = (uint64_t)INT64_MAX + 1;
    g_assert_cmpint(h_err(h, P9_TLOCK, a), ==, EINVAL);
    walk_to(h, 4, "f");
    a[0].d = 4;
    a[3].q = 0;
    g_assert_cmpint(h_err(h, P9_TLOCK, a), ==, EBADF);
    h_free(h);
}

/* ---- xattrs ---- */

static void xattr_set(struct harness *h, uint32_t fid, const char *name, const char *value,
                      uint32_t flags, uint32_t written, int clunk_err)
{
    size_t len = strlen(value);
    union p9_arg a[4] = { { .d = fid }, { .s = p9_str_of(name) }, { .q = len }, { .d = flags } };
    h_reply_free(h_ok(h, P9_TXATTRCREATE, a));
    if (written)
        g_assert_cmpint(h_write(h, fid, 0, value, written), ==, written);
    g_assert_cmpint(h_clunk(h, fid), ==, clunk_err);
}

static ssize_t host_getxattr(struct harness *h, const char *rel, const char *name, char *buf,
                             size_t cap)
{
    char *path = h_path(h, rel);
    ssize_t n = lgetxattr(path, name, buf, cap);
    g_free(path);
    return n < 0 ? -errno : n;
}

/* The host's list of `path`'s attributes, only user.* (what a client is shown). */
static ssize_t user_names(const char *path, char *buf, size_t cap)
{
    char all[1024];
    ssize_t n = llistxattr(path, all, sizeof(all)), out = 0;
    for (ssize_t pos = 0; pos < n; pos += (ssize_t)strlen(all + pos) + 1) {
        size_t len = strlen(all + pos) + 1;
        if (strncmp(all + pos, "user.", 5) == 0 && (size_t)out + len <= cap) {
            memcpy(buf + out, all + pos, len);
            out += (ssize_t)len;
        }
    }
    return n < 0 ? n : out;
}

static void test_xattr(void)
{
    struct harness *h = start(NULL);
    h_put_file(h, "f", "", 0);
    walk_to(h, 2, "f");
    xattr_set(h, 2, "user.color", "blue", 0, 4, 0);
    char buf[64];
    g_assert_cmpint(host_getxattr(h, "f", "user.color", buf, sizeof(buf)), ==, 4);
    g_assert_cmpmem(buf, 4, "blue", 4);

    /* Get a value. */
    union p9_arg w[3] = { { .d = ROOT }, { .d = 3 }, { .s = p9_str_of("user.color") } };
    g_assert_cmpint(h_err(h, P9_TXATTRWALK, w), ==, ENODATA);     /* the root has none */
    walk_to(h, 4, "f");
    w[0].d = 4;
    struct h_reply *r = h_ok(h, P9_TXATTRWALK, w);
    g_assert_cmpuint(r->r.body.a[0].q, ==, 4);
    h_reply_free(r);
    g_assert_cmpint(h_read(h, 3, 0, sizeof(buf), buf), ==, 4);
    g_assert_cmpmem(buf, 4, "blue", 4);
    g_assert_cmpint(h_read(h, 3, 2, sizeof(buf), buf), ==, 2);
    g_assert_cmpmem(buf, 2, "ue", 2);
    g_assert_cmpint(h_read(h, 3, 10, sizeof(buf), buf), ==, 0);
    /* A value fid is no node fid. */
    g_assert_cmpint(h_lopen(h, 3, P9_DOTL_RDONLY, NULL), ==, EBADF);
    g_assert_cmpint(h_walk(h, 3, 9, "", NULL), ==, -EBADF);
    g_assert_cmpint(h_clunk(h, 3), ==, 0);

    /* The list. */
    char *path = h_path(h, "f");
    g_assert_cmpint(lsetxattr(path, "user.second", "2", 1, 0), ==, 0);
    ssize_t host_len = user_names(path, buf, sizeof(buf));
    g_assert_cmpint(host_len, >, 0);
    w[2].s = p9_str_of("");
    r = h_ok(h, P9_TXATTRWALK, w);
    g_assert_cmpuint(r->r.body.a[0].q, ==, host_len);
    h_reply_free(r);
    char list[64];
    g_assert_cmpint(h_read(h, 3, 0, sizeof(list), list), ==, host_len);
    g_assert_cmpmem(list, host_len, buf, host_len);
    g_assert_nonnull(memmem(list, host_len, "user.color\0", 11));
    g_assert_nonnull(memmem(list, host_len, "user.second\0", 12));
    g_assert_cmpint(h_clunk(h, 3), ==, 0);
    /* newfid == fid is refused; a missing name is ENODATA. */
    w[1].d = 4;
    g_assert_cmpint(h_err(h, P9_TXATTRWALK, w), ==, EINVAL);
    w[1].d = 3;
    w[2].s = p9_str_of("user.none");
    g_assert_cmpint(h_err(h, P9_TXATTRWALK, w), ==, ENODATA);
    g_assert_cmpint(h_clunk(h, 3), ==, EBADF);

    /* XATTR_CREATE on an existing name fails at the clunk, the value stays. */
    walk_to(h, 5, "f");
    xattr_set(h, 5, "user.color", "gold", XATTR_CREATE, 4, EEXIST);
    g_assert_cmpint(host_getxattr(h, "f", "user.color", buf, sizeof(buf)), ==, 4);
    g_assert_cmpmem(buf, 4, "blue", 4);
    /* XATTR_REPLACE of a missing name. */
    walk_to(h, 5, "f");
    xattr_set(h, 5, "user.nothere", "x", XATTR_REPLACE, 1, ENODATA);
    /* A value written short of its announced size is not set. */
    walk_to(h, 5, "f");
    xattr_set(h, 5, "user.short", "abcd", 0, 2, EINVAL);
    g_assert_cmpint(host_getxattr(h, "f", "user.short", buf, sizeof(buf)), ==, -ENODATA);
    /* Writing past the announced size fails. */
    walk_to(h, 5, "f");
    union p9_arg c[4] = { { .d = 5 }, { .s = p9_str_of("user.small") }, { .q = 2 }, { .d = 0 } };
    h_reply_free(h_ok(h, P9_TXATTRCREATE, c));
    g_assert_cmpint(h_write(h, 5, 1, "xy", 2), ==, -ENOSPC);
    g_assert_cmpint(h_write(h, 5, 0, "ok", 2), ==, 2);
    g_assert_cmpint(h_clunk(h, 5), ==, 0);
    g_assert_cmpint(host_getxattr(h, "f", "user.small", buf, sizeof(buf)), ==, 2);
    /* An empty value with XATTR_REPLACE removes the attribute. */
    walk_to(h, 5, "f");
    xattr_set(h, 5, "user.color", "", XATTR_REPLACE, 0, 0);
    g_assert_cmpint(host_getxattr(h, "f", "user.color", buf, sizeof(buf)), ==, -ENODATA);
    /* An empty value without flags sets an empty attribute. */
    walk_to(h, 5, "f");
    xattr_set(h, 5, "user.empty", "", 0, 0, 0);
    g_assert_cmpint(host_getxattr(h, "f", "user.empty", buf, sizeof(buf)), ==, 0);

    /* Refusals at create time. */
    walk_to(h, 6, "f");
    c[0].d = 6;
    c[2].q = 65537;
    g_assert_cmpint(h_err(h, P9_TXATTRCREATE, c), ==, E2BIG);
    c[2].q = 1;
    c[3].d = 0x10;
    g_assert_cmpint(h_err(h, P9_TXATTRCREATE, c), ==, EINVAL);
    c[3].d = 0;
    c[1].s = p9_str_of("");
    g_assert_cmpint(h_err(h, P9_TXATTRCREATE, c), ==, EINVAL);
    g_assert_cmpint(h_lopen(h, 6, P9_DOTL_RDONLY, NULL), ==, 0);
    c[1].s = p9_str_of("user.x");
    g_assert_cmpint(h_err(h, P9_TXATTRCREATE, c), ==, EBADF);
    g_free(path);
    h_free(h);
}

int main(int argc, char **argv)
{
    h_init(&argc, &argv);
    g_test_add_func("/dotl/statfs", test_statfs);
    g_test_add_func("/dotl/lopen", test_lopen);
    g_test_add_func("/dotl/large-io", test_large_io);
    g_test_add_func("/dotl/write-split", test_write_split);
    g_test_add_func("/dotl/lcreate", test_lcreate);
    g_test_add_func("/dotl/symlink-readlink", test_symlink_readlink);
    g_test_add_func("/dotl/mknod", test_mknod);
    g_test_add_func("/dotl/mkdir", test_mkdir);
    g_test_add_func("/dotl/link", test_link);
    g_test_add_func("/dotl/rename", test_rename);
    g_test_add_func("/dotl/renameat", test_renameat);
    g_test_add_func("/dotl/unlinkat", test_unlinkat);
    g_test_add_func("/dotl/getattr", test_getattr);
    g_test_add_func("/dotl/setattr", test_setattr);
    g_test_add_func("/dotl/readdir", test_readdir);
    g_test_add_func("/dotl/fsync", test_fsync);
    g_test_add_func("/dotl/locks", test_locks);
    g_test_add_func("/dotl/xattr", test_xattr);
    return g_test_run();
}
