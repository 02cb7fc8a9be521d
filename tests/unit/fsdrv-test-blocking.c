// SPDX-License-Identifier: GPL-2.0-or-later
/* fsdrv: FIFOs, cancellation of blocked calls, files used after unlink. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
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

static void test_fifo_peers(struct fx *fx, gconstpointer v)
{
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);

    struct blocked reader = { .exp = e, .node = p, .action = DO_OPEN, .open_flags = O_RDONLY };
    pthread_t th;
    g_assert_cmpint(pthread_create(&th, NULL, run_blocked, &reader), ==, 0);
    /* The writer's open completes the reader's. */
    struct fsdrv_file *w;
    g_assert_cmpint(fsdrv_open(e, p, O_WRONLY, NULL, &w), ==, 0);
    g_assert_cmpint(fsdrv_pwrite(w, "hello", 5, 0, NULL), ==, 5);
    pthread_join(th, NULL);
    g_assert_cmpint(reader.result, ==, 5);
    g_assert_cmpmem(reader.buf, 5, "hello", 5);
    fsdrv_close(reader.file);
    fsdrv_close(w);
    fsdrv_node_unref(p);
}

/* ---- cancellation --------------------------------------------------------- */

static void on_sigusr1(int sig)
{
}

/* Like the server: a handler without SA_RESTART, so blocked calls see EINTR. */
static void install_handler(void)
{
    struct sigaction sa = { .sa_handler = on_sigusr1 };
    sigemptyset(&sa.sa_mask);
    g_assert_cmpint(sigaction(SIGUSR1, &sa, NULL), ==, 0);
}

/* Signals without a cancel request: the call must resume, not fail. */
static void poke_without_cancel(pthread_t th, struct blocked *b)
{
    g_usleep(100000);
    g_assert_false(atomic_load(&b->done));
    for (int i = 0; i < 5; i++) {
        pthread_kill(th, SIGUSR1);
        g_usleep(10000);
    }
    g_usleep(50000);
    g_assert_false(atomic_load(&b->done));
}

/* Requests cancellation and interrupts `th` until it returns: the latency. */
static gint64 cancel_thread(pthread_t th, struct blocked *b)
{
    gint64 start = g_get_monotonic_time();
    atomic_store(&b->cancel->requested, true);
    /* Again and again: the signal may land just before the call blocks. */
    while (!atomic_load(&b->done)) {
        pthread_kill(th, SIGUSR1);
        g_usleep(2000);
        g_assert_cmpint(g_get_monotonic_time() - start, <, 5 * G_USEC_PER_SEC);
    }
    pthread_join(th, NULL);
    return b->finished_at - start;
}

static void test_cancel_read(struct fx *fx, gconstpointer v)
{
    install_handler();
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);
    struct fsdrv_file *f;
    g_assert_cmpint(fsdrv_open(e, p, O_RDWR, NULL, &f), ==, 0);

    struct fsdrv_cancel cancel = { false };
    struct blocked b = { .action = DO_READ, .file = f, .cancel = &cancel };
    pthread_t th;
    g_assert_cmpint(pthread_create(&th, NULL, run_blocked, &b), ==, 0);
    poke_without_cancel(th, &b);
    gint64 latency = cancel_thread(th, &b);
    g_test_message("read cancelled after %" G_GINT64_FORMAT " us", latency);
    g_assert_cmpint(b.result, ==, -EINTR);
    g_assert_cmpint(latency, <, G_USEC_PER_SEC / 2);

    /* Already cancelled: no wait at all.  Not cancelled: the file still works. */
    char buf[4];
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, &cancel), ==, -EINTR);
    struct fsdrv_cancel fresh = { false };
    g_assert_cmpint(fsdrv_pwrite(f, "x", 1, 0, &fresh), ==, 1);
    g_assert_cmpint(fsdrv_pread(f, buf, sizeof(buf), 0, &fresh), ==, 1);
    fsdrv_close(f);
    fsdrv_node_unref(p);
}

static void test_cancel_write(struct fx *fx, gconstpointer v)
{
    install_handler();
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

    struct fsdrv_cancel cancel = { false };
    struct blocked b = { .action = DO_WRITE, .file = f, .cancel = &cancel, .wlen = 100 };
    b.wbuf = g_malloc0(b.wlen);
    pthread_t th;
    g_assert_cmpint(pthread_create(&th, NULL, run_blocked, &b), ==, 0);
    poke_without_cancel(th, &b);
    gint64 latency = cancel_thread(th, &b);
    g_assert_cmpint(b.result, ==, -EINTR);
    g_assert_cmpint(latency, <, G_USEC_PER_SEC / 2);
    g_free(b.wbuf);
    fsdrv_close(filler);
    fsdrv_close(f);
    fsdrv_node_unref(p);
}

static void test_cancel_open(struct fx *fx, gconstpointer v)
{
    install_handler();
    struct fsdrv_export *e = fx->exp;
    g_assert_cmpint(mkfifoat(fx->rootfd, "p", 0600), ==, 0);
    struct fsdrv_node *p = fx_walk(fx, "p", NULL);

    /* A reader's open waits for a writer that never comes. */
    struct fsdrv_cancel cancel = { false };
    struct blocked b = { .exp = e, .node = p, .action = DO_OPEN,
                         .open_flags = O_RDONLY, .cancel = &cancel };
    pthread_t th;
    g_assert_cmpint(pthread_create(&th, NULL, run_blocked, &b), ==, 0);
    poke_without_cancel(th, &b);
    gint64 latency = cancel_thread(th, &b);
    g_assert_cmpint(b.result, ==, -EINTR);
    g_assert_cmpint(latency, <, G_USEC_PER_SEC / 2);
    struct fsdrv_usage u;
    fsdrv_export_usage(e, &u);
    g_assert_cmpuint(u.open_files, ==, 0);
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

void fsdrv_tests_blocking(void)
{
    fx_add("fifo/io", test_fifo_io);
    fx_add("fifo/peers", test_fifo_peers);
    fx_add("cancel/read", test_cancel_read);
    fx_add("cancel/write", test_cancel_write);
    fx_add("cancel/open", test_cancel_open);
    fx_add("unlinked_file", test_unlinked_file);
}
