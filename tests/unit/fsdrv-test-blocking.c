// SPDX-License-Identifier: GPL-2.0-or-later
/* fsdrv: FIFOs and their peers, cancellation of waiting calls (no signals),
 * files used after unlink. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "tests/unit/fsdrv-fixture.h"
#include "tests/unit/fsdrv-tests.h"

static const struct fsdrv_cred cred = { 0, 0 };

static void test_fifo_io(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    struct stat st;
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "p", S_IFIFO | 0600, 0, &cred, &st), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);

    /* O_RDWR never blocks on Linux: write, then read back. */
    struct fsdrv_file *f;
    char buf[16];
    g_assert_cmpint(fsdrv_open(e, p, O_RDWR, NULL, &f), ==, 0);
    g_assert_cmpint(fsdrv_pwrite(f, "abc", 3, 12345, NULL), ==, 3);
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 777, NULL), ==, 3);
    g_assert_cmpmem(buf, 3, "abc", 3);
    g_assert_cmpint(fsdrv_getattr(e, p, f, &st), ==, 0);
    g_assert_true(S_ISFIFO(st.st_mode));
    fsdrv_close(f);

    /* A non-blocking reader opens at once and finds nothing. */
    g_assert_cmpint(fsdrv_open(e, p, O_RDONLY | O_NONBLOCK, NULL, &f), ==, 0);
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, NULL), ==, 0);
    fsdrv_close(f);
    fsdrv_node_unref(p);
}

/* ---- a blocking call in another thread ---------------------------------- */

struct blocked {
    struct fsdrv_export *exp;
    struct fsdrv_node *node;
    enum { DO_READ, DO_WRITE, DO_OPEN } action;
    struct fsdrv_file *file;    /* read from / written to; or opened here */
    int open_flags;
    struct fsdrv_cancel *cancel;
    ssize_t result;
    char buf[16];
    char *wbuf;
    size_t wlen;
    atomic_bool done;
    gint64 finished_at;
};

static void *run_blocked(void *opaque)
{
    struct blocked *b = opaque;
    if (b->action == DO_READ)
        b->result = fsdrv_pread(b->file, b->buf, sizeof(b->buf), 0, b->cancel);
    else if (b->action == DO_WRITE)
        b->result = fsdrv_pwrite(b->file, b->wbuf, b->wlen, 0, b->cancel);
    else {
        b->result = fsdrv_open(b->exp, b->node, b->open_flags, b->cancel, &b->file);
        if (b->result == 0 && (b->open_flags & O_ACCMODE) == O_RDONLY)
            b->result = fsdrv_pread(b->file, b->buf, sizeof(b->buf), 0, b->cancel);
    }
    b->finished_at = g_get_monotonic_time();
    atomic_store(&b->done, true);
    return NULL;
}

static void start(pthread_t *th, struct blocked *b)
{
    g_assert_cmpint(pthread_create(th, NULL, run_blocked, b), ==, 0);
}

/* The thread is still waiting after `ms`. */
static void assert_waits(struct blocked *b, int ms)
{
    g_usleep((gulong)ms * 1000);
    g_assert_false(atomic_load(&b->done));
}

/* The thread ends within `ms` of now; how long it took, in us. */
static gint64 assert_ends(pthread_t th, struct blocked *b, int ms)
{
    gint64 start = g_get_monotonic_time();
    while (!atomic_load(&b->done)) {
        g_usleep(1000);
        g_assert_cmpint(g_get_monotonic_time() - start, <, (gint64)ms * 1000);
    }
    pthread_join(th, NULL);
    return b->finished_at - start;
}

static int host_open(struct fx *fx, const char *name, int flags)
{
    int fd = openat(fx->rootfd, name, flags | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    return fd;
}

/* A host process's blocking open of the FIFO "p" for writing. */
struct host_writer {
    int rootfd;
    int fd;
};

static void *host_writer_open(void *opaque)
{
    struct host_writer *hw = opaque;
    hw->fd = openat(hw->rootfd, "p", O_WRONLY | O_CLOEXEC);
    return NULL;
}

/* A reader's open waits for a writer; one that opens without writing is
 * enough; what it writes is read whole. */
static void test_fifo_reader_waits(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);
    struct blocked reader = { .exp = e, .node = p, .action = DO_OPEN, .open_flags = O_RDONLY };
    pthread_t th;
    start(&th, &reader);
    assert_waits(&reader, 150);
    struct host_writer hw = { fx->rootfd, -1 };
    pthread_t hth;
    g_assert_cmpint(pthread_create(&hth, NULL, host_writer_open, &hw), ==, 0);
    /* The reader's next try completes both opens; then its read waits. */
    pthread_join(hth, NULL);
    int w = hw.fd;
    g_assert_cmpint(w, >=, 0);
    assert_waits(&reader, 150);
    g_assert_cmpint(write(w, "hello", 5), ==, 5);
    assert_ends(th, &reader, 1000);
    g_assert_cmpint(reader.result, ==, 5);
    g_assert_cmpmem(reader.buf, 5, "hello", 5);
    /* The writer gone: end of file. */
    close(w);
    char buf[4];
    g_assert_cmpint(fsdrv_pread(reader.file, buf, sizeof(buf), 0, NULL), ==, 0);
    fsdrv_close(reader.file);
    fsdrv_node_unref(p);
}

/* A writer already there (with nothing written): the reader's open returns
 * at once; data already there is read whole and in order. */
static void test_fifo_writer_present(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);
    int keep_open = host_open(fx, "p", O_RDONLY | O_NONBLOCK);
    int w = host_open(fx, "p", O_WRONLY);
    struct fsdrv_file *f;
    gint64 t0 = g_get_monotonic_time();
    g_assert_cmpint(fsdrv_open(e, p, O_RDONLY, NULL, &f), ==, 0);
    g_assert_cmpint(g_get_monotonic_time() - t0, <, G_USEC_PER_SEC / 10);
    fsdrv_close(f);

    g_assert_cmpint(write(w, "hello world", 11), ==, 11);
    g_assert_cmpint(fsdrv_open(e, p, O_RDONLY, NULL, &f), ==, 0);
    close(keep_open);
    char buf[32];
    g_assert_cmpint(fsdrv_pread(f, buf, 1, 0, NULL), ==, 1);
    g_assert_cmpint(buf[0], ==, 'h');
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, NULL), ==, 10);
    g_assert_cmpmem(buf, 10, "ello world", 10);
    g_assert_cmpint(write(w, "again", 5), ==, 5);
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, NULL), ==, 5);
    g_assert_cmpmem(buf, 5, "again", 5);
    close(w);
    fsdrv_close(f);
    fsdrv_node_unref(p);
}

/* A writer's open waits for a reader; the reader's open completes it. */
static void test_fifo_peers(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);
    struct blocked writer = { .exp = e, .node = p, .action = DO_OPEN, .open_flags = O_WRONLY };
    pthread_t th;
    start(&th, &writer);
    assert_waits(&writer, 150);
    /* O_NONBLOCK: the guest's choice; no reader, no wait. */
    struct fsdrv_file *f;
    g_assert_cmpint(fsdrv_open(e, p, O_WRONLY | O_NONBLOCK, NULL, &f), ==, -ENXIO);
    struct fsdrv_file *r;
    g_assert_cmpint(fsdrv_open(e, p, O_RDONLY | O_NONBLOCK, NULL, &r), ==, 0);
    assert_ends(th, &writer, 1000);
    g_assert_cmpint(writer.result, ==, 0);
    /* A write larger than the pipe goes whole, as the reader drains it. */
    size_t big = 1 << 20;
    char *data = g_malloc(big), *got = g_malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 7);
    struct blocked w = { .action = DO_WRITE, .file = writer.file, .wbuf = data, .wlen = big };
    start(&th, &w);
    size_t have = 0;
    while (have < big) {
        /* r is the guest's O_NONBLOCK reader: EAGAIN while the pipe is empty. */
        ssize_t n = fsdrv_pread(r, got + have, big - have, 0, NULL);
        if (n == -EAGAIN) {
            g_usleep(1000);
            continue;
        }
        g_assert_cmpint(n, >, 0);
        have += (size_t)n;
    }
    assert_ends(th, &w, 1000);
    g_assert_cmpint(w.result, ==, (ssize_t)big);
    g_assert_cmpmem(got, big, data, big);
    g_free(data);
    g_free(got);
    fsdrv_close(writer.file);
    fsdrv_close(r);
    fsdrv_node_unref(p);
}

/* ---- cancellation --------------------------------------------------------- */

static unsigned open_fd_count(void)
{
    GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
    unsigned n = 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

/* Cancels `b` while it waits: it must end at once, with -EINTR. */
static void cancel_while_waiting(pthread_t th, struct blocked *b)
{
    assert_waits(b, 100);
    fsdrv_cancel_request(b->cancel);
    gint64 latency = assert_ends(th, b, 500);
    g_test_message("cancelled after %" G_GINT64_FORMAT " us", latency);
    g_assert_cmpint(b->result, ==, -EINTR);
}

static void test_cancel_read(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);
    struct fsdrv_file *f;
    g_assert_cmpint(fsdrv_open(e, p, O_RDWR, NULL, &f), ==, 0);
    unsigned fds = open_fd_count();

    struct fsdrv_cancel cancel;
    fsdrv_cancel_init(&cancel);
    struct blocked b = { .action = DO_READ, .file = f, .cancel = &cancel };
    pthread_t th;
    start(&th, &b);
    cancel_while_waiting(th, &b);
    /* The wait's eventfd is gone with it. */
    g_assert_cmpuint(open_fd_count(), ==, fds);

    /* Already cancelled: no wait at all.  Not cancelled: the file still works. */
    char buf[4];
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, &cancel), ==, -EINTR);
    fsdrv_cancel_destroy(&cancel);
    struct fsdrv_cancel fresh;
    fsdrv_cancel_init(&fresh);
    g_assert_cmpint(fsdrv_pwrite(f, "x", 1, 0, &fresh), ==, 1);
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, &fresh), ==, 1);
    fsdrv_cancel_destroy(&fresh);
    fsdrv_close(f);
    fsdrv_node_unref(p);
}

static void test_cancel_write(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);
    struct fsdrv_file *f, *filler;
    g_assert_cmpint(fsdrv_open(e, p, O_RDWR, NULL, &f), ==, 0);

    /* Fill the pipe, so the next write blocks before moving a byte. */
    g_assert_cmpint(fsdrv_open(e, p, O_WRONLY | O_NONBLOCK, NULL, &filler), ==, 0);
    char chunk[4096] = { 0 };
    ssize_t n;
    while ((n = fsdrv_pwrite(filler, chunk, sizeof(chunk), 0, NULL)) > 0)
        ;
    while ((n = fsdrv_pwrite(filler, chunk, 1, 0, NULL)) > 0)
        ;
    g_assert_cmpint(n, ==, -EAGAIN);

    struct fsdrv_cancel cancel;
    fsdrv_cancel_init(&cancel);
    struct blocked b = { .action = DO_WRITE, .file = f, .cancel = &cancel, .wlen = 100 };
    b.wbuf = g_malloc0(b.wlen);
    pthread_t th;
    start(&th, &b);
    cancel_while_waiting(th, &b);
    fsdrv_cancel_destroy(&cancel);
    g_free(b.wbuf);
    fsdrv_close(filler);
    fsdrv_close(f);
    fsdrv_node_unref(p);
}

static void test_cancel_open(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);

    /* A reader's, then a writer's open wait for a peer that never comes. */
    for (int flags = O_RDONLY; flags <= O_WRONLY; flags++) {
        struct fsdrv_cancel cancel;
        fsdrv_cancel_init(&cancel);
        struct blocked b = { .exp = e, .node = p, .action = DO_OPEN,
                             .open_flags = flags, .cancel = &cancel };
        pthread_t th;
        start(&th, &b);
        cancel_while_waiting(th, &b);
        fsdrv_cancel_destroy(&cancel);
    }
    struct fsdrv_usage u;
    fsdrv_export_usage(e, &u);
    g_assert_cmpuint(u.open_files, ==, 0);
    fsdrv_node_unref(p);
}

/* ---- a file without offsets: a tracing pipe bound into the export ---------- */

#define TRACING "/sys/kernel/tracing"

/* Writes `text` into a tracefs file (no temporary file and rename there). */
static void write_tracefs(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, text, strlen(text)), ==, (ssize_t)strlen(text));
    close(fd);
}

/* A read of a file whose pread says ESPIPE waits like a FIFO's (its flush
 * ends it) and returns what is written: the lab's flush test serves dom0's
 * trace_pipe so. */
static void test_stream_file(struct fx *fx, gconstpointer v)
{
    if (geteuid() != 0 || (access(TRACING "/trace_pipe", R_OK) != 0 &&
                           mount("tracefs", TRACING, "tracefs", 0, NULL) != 0)) {
        g_test_skip("needs root and tracefs");
        return;
    }
    int fd = openat(fx->rootfd, "stream", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    g_assert_cmpint(fd, >=, 0);
    close(fd);
    char *target = g_build_filename(fx->root, "stream", NULL);
    g_assert_cmpint(mount(TRACING "/trace_pipe", target, NULL, MS_BIND, NULL), ==, 0);
    g_ptr_array_add(fx->mounts, target);
    write_tracefs(TRACING "/trace", "");

    struct fsdrv_node *p = fx_walk(fx, "stream", NULL);
    struct fsdrv_file *f;
    g_assert_cmpint(fsdrv_open(fx->exp, p, O_RDONLY, NULL, &f), ==, 0);
    struct fsdrv_cancel cancel;
    fsdrv_cancel_init(&cancel);
    struct blocked b = { .action = DO_READ, .file = f, .cancel = &cancel };
    pthread_t th;
    start(&th, &b);
    cancel_while_waiting(th, &b);
    fsdrv_cancel_destroy(&cancel);

    struct blocked r = { .action = DO_READ, .file = f };
    start(&th, &r);
    assert_waits(&r, 100);
    write_tracefs(TRACING "/trace_marker", "fsdrv-stream");
    assert_ends(th, &r, 2000);
    g_assert_cmpint(r.result, >, 0);
    fsdrv_close(f);
    fsdrv_node_unref(p);
}

/* ---- files used after their name is gone ---------------------------------- */

static void test_unlinked_file(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    struct fsdrv_node *node;
    struct fsdrv_file *f;
    struct stat st;
    char data[1000];
    memset(data, 'd', sizeof(data));

    g_assert_cmpint(fsdrv_create(e, fx->rootnode, "f", O_RDWR, 0644, &cred, &node, &f, &st), ==, 0);
    g_assert_cmpint(fsdrv_pwrite(f, data, sizeof(data), 0, NULL), ==, (ssize_t)sizeof(data));
    g_assert_cmpint(fsdrv_unlink(e, fx->rootnode, "f", 0), ==, 0);
    g_assert_false(fx_exists(fx, "f"));

    struct fsdrv_setattr sa = { .valid = FSDRV_SET_SIZE, .size = 10 };
    g_assert_cmpint(fsdrv_setattr(e, node, f, &sa), ==, 0);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_MODE | FSDRV_SET_MTIME_SET | FSDRV_SET_MTIME,
                                 .mode = 0600, .mtime = { 4242, 0 } };
    g_assert_cmpint(fsdrv_setattr(e, node, f, &sa), ==, 0);
    g_assert_cmpint(fsdrv_getattr(e, node, f, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 10);
    g_assert_cmpuint(st.st_nlink, ==, 0);
    fx_assert_mode(st.st_mode & 07777, ==, 0600);
    g_assert_cmpint(st.st_mtim.tv_sec, ==, 4242);
    g_assert_cmpint(fsdrv_pwrite(f, "more", 4, 10, NULL), ==, 4);
    /* By name it is gone. */
    g_assert_cmpint(fsdrv_setattr(e, node, NULL, &sa), ==, -ENOENT);
    g_assert_cmpint(fsdrv_getattr(e, node, NULL, &st), ==, -ENOENT);
    fsdrv_close(f);
    fsdrv_node_unref(node);

    /* Opened read-only, then unlinked behind our back: still truncatable. */
    fx_write(fx, "g", data, 100);
    node = fx_walk(fx, "g", NULL);
    g_assert_cmpint(fsdrv_open(e, node, O_RDONLY, NULL, &f), ==, 0);
    g_assert_cmpint(unlinkat(fx->rootfd, "g", 0), ==, 0);
    sa = (struct fsdrv_setattr){ .valid = FSDRV_SET_SIZE, .size = 5 };
    g_assert_cmpint(fsdrv_setattr(e, node, f, &sa), ==, 0);
    g_assert_cmpint(fsdrv_getattr(e, node, f, &st), ==, 0);
    g_assert_cmpint(st.st_size, ==, 5);
    fsdrv_close(f);
    fsdrv_node_unref(node);
}

/* ---- calls that must not wait (a transport's thread) ----------------------- */

/* A file's pages dropped from the page cache (written back first). */
static void evict(struct fx *fx, const char *name)
{
    int fd = openat(fx->rootfd, name, O_RDONLY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(fdatasync(fd), ==, 0);
    g_assert_cmpint(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), ==, 0);
    close(fd);
}

/*
 * fsdrv_try_preadv: cached data is read whole, up to the end of the file;
 * data on disk only is -EAGAIN (then read by the plain call); a FIFO is
 * -EAGAIN; on tmpfs, which has no disk, everything is read.
 * fsdrv_try_pwritev: written, or -EAGAIN and written by the plain call.
 */
static void test_nowait(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    char data[65536], buf[sizeof(data)];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 13);
    fx_write(fx, "f", data, sizeof(data));
    struct fsdrv_node *node = fx_walk(fx, "f", NULL);
    struct fsdrv_file *f;
    g_assert_cmpint(fsdrv_open(e, node, O_RDWR, NULL, &f), ==, 0);
    struct iovec iov[2] = { { buf, 1000 }, { buf + 1000, sizeof(buf) - 1000 } };
    g_assert_cmpint(fsdrv_try_preadv(f, iov, 2, 0), ==, sizeof(data));
    g_assert_cmpmem(buf, sizeof(data), data, sizeof(data));
    g_assert_cmpint(fsdrv_try_preadv(f, iov, 2, 60000), ==, sizeof(data) - 60000);
    g_assert_cmpint(fsdrv_try_preadv(f, iov, 2, 1 << 20), ==, 0);

    struct statfs sf;
    g_assert_cmpint(fstatfs(fx->rootfd, &sf), ==, 0);
    bool on_tmpfs = sf.f_type == 0x01021994;
    evict(fx, "f");
    ssize_t got = fsdrv_try_preadv(f, iov, 2, 0);
    if (on_tmpfs)
        g_assert_cmpint(got, ==, sizeof(data));
    else
        g_assert_cmpint(got, ==, -EAGAIN);
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, NULL), ==, sizeof(data));
    g_assert_cmpmem(buf, sizeof(data), data, sizeof(data));

    struct iovec w = { "written", 7 };
    ssize_t put = fsdrv_try_pwritev(f, &w, 1, 5);
    g_assert_true(put == 7 || put == -EAGAIN);
    if (put == -EAGAIN) {
        /* Asked again, the answer is remembered. */
        g_assert_cmpint(fsdrv_try_pwritev(f, &w, 1, 5), ==, -EAGAIN);
        g_assert_cmpint(fsdrv_pwrite(f, "written", 7, 5, NULL), ==, 7);
    }
    g_assert_cmpint(fsdrv_pread(f, buf, 7, 5, NULL), ==, 7);
    g_assert_cmpmem(buf, 7, "written", 7);
    fsdrv_close(f);
    /* Opened for synchronous writes: a write waits for the disk, never tried. */
    g_assert_cmpint(fsdrv_open(e, node, O_RDWR | O_DSYNC, NULL, &f), ==, 0);
    g_assert_cmpint(fsdrv_try_pwritev(f, &w, 1, 5), ==, -EAGAIN);
    fsdrv_close(f);
    fsdrv_node_unref(node);

    struct stat st;
    g_assert_cmpint(fsdrv_mknod(e, fx->rootnode, "p", S_IFIFO | 0600, 0, &cred, &st), ==, 0);
    node = fx_walk(fx, "p", NULL);
    g_assert_cmpint(fsdrv_open(e, node, O_RDWR, NULL, &f), ==, 0);
    g_assert_cmpint(fsdrv_try_pwritev(f, &w, 1, 0), ==, -EAGAIN);
    g_assert_cmpint(fsdrv_try_preadv(f, iov, 2, 0), ==, -EAGAIN);
    fsdrv_close(f);
    fsdrv_node_unref(node);

    /* A tmpfs mounted in the export: no disk, so nothing is refused. */
    if (geteuid() != 0 || on_tmpfs)
        return;
    g_assert_cmpint(mkdirat(fx->rootfd, "mem", 0755), ==, 0);
    char *target = g_build_filename(fx->root, "mem", NULL);
    g_assert_cmpint(mount("tmpfs", target, "tmpfs", 0, "size=1m"), ==, 0);
    g_ptr_array_add(fx->mounts, target);
    fx_write(fx, "mem/g", data, sizeof(data));
    evict(fx, "mem/g");
    node = fx_walk(fx, "mem/g", NULL);
    g_assert_cmpint(fsdrv_open(e, node, O_RDWR, NULL, &f), ==, 0);
    g_assert_cmpint(fsdrv_try_preadv(f, iov, 2, 0), ==, sizeof(data));
    g_assert_cmpint(fsdrv_try_pwritev(f, &w, 1, 0), ==, 7);
    fsdrv_close(f);
    fsdrv_node_unref(node);
}

void fsdrv_tests_blocking(void)
{
    fx_add("fifo/io", test_fifo_io);
    fx_add("fifo/reader-waits", test_fifo_reader_waits);
    fx_add("fifo/writer-present", test_fifo_writer_present);
    fx_add("fifo/peers", test_fifo_peers);
    fx_add("cancel/read", test_cancel_read);
    fx_add("cancel/write", test_cancel_write);
    fx_add("cancel/open", test_cancel_open);
    fx_add("unlinked_file", test_unlinked_file);
    fx_add_once("stream-file", test_stream_file);
    fx_add_once("nowait", test_nowait);
}
