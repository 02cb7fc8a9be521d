// SPDX-License-Identifier: GPL-2.0-or-later
/* The scripted guest (see xb-agent.h): the command loop, connecting and
 * closing, and file commands. */
#include "config.h"

#include "tests/xenbackend/xb-agent-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>
#include <xen/io/xenbus.h>

#include "backend/common/xen_store.h"
#include "tests/xenbackend/xb-9p.h"

#define FIRST_FID 100

void xb_answer(struct agent *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_strdelimit(line, "\n", ' ');
    xenemu_peer_send(a->self, "%s", line);
    g_free(line);
}

uint64_t xb_num(const char *s)
{
    return s ? g_ascii_strtoull(s, NULL, 0) : 0;
}

int xb_answer_errno(struct agent *a, int err, const char *what)
{
    xb_answer(a, "err %d %s: %s", -err, what, g_strerror(-err));
    return err;
}

/* ---- connecting and closing ---- */

static void cmd_connect(struct agent *a, char **argv, int argc)
{
    if (a->fs || argc < 3) {
        xb_answer(a, "err %s", a->fs ? "already connected" : "usage");
        return;
    }
    struct p9front_options o;
    if (strcmp(argv[2], "minios") == 0)
        p9front_minios_options(&o);
    else
        p9front_linux_options(&o);
    for (int i = 3; i < argc; i++) {
        if (g_str_has_prefix(argv[i], "order="))
            o.force_ring_order = (int)xb_num(argv[i] + 6);
        else if (strcmp(argv[i], "badref") == 0)
            o.bad_ring_ref = true;
        else if (strcmp(argv[i], "initialising") == 0)
            o.stay_initialising = true;
        else if (g_str_has_prefix(argv[i], "timeout="))
            o.timeout_ms = (unsigned)xb_num(argv[i] + 8);
    }
    char *why = NULL;
    if (p9front_connect(argv[1], &o, &a->fs, &why) < 0) {
        a->fs = NULL;
        xb_answer(a, "err %s", why);
        g_free(why);
        return;
    }
    g_free(a->devdir);
    a->devdir = g_strdup(argv[1]);
    a->next_fid = FIRST_FID;
    xb_answer(a, "ok");
}

/* The backend's state (-1: its node is gone). */
static int backend_state(struct agent *a)
{
    if (!a->xs)
        a->xs = xs_open(0);
    char *key = g_strdup_printf("%s/backend", a->devdir);
    char *be = a->xs ? xstore_read(a->xs, key) : NULL;
    g_free(key);
    if (!be)
        return -1;
    key = g_strdup_printf("%s/state", be);
    unsigned long v;
    int state = xstore_read_uint(a->xs, key, XenbusStateReconfigured, &v) ? (int)v : -1;
    g_free(key);
    g_free(be);
    return state;
}

/* Linux's frontend reacts to the backend's Closing (or a missed Closing). */
static void cmd_await_close(struct agent *a, char **argv, int argc)
{
    if (!a->fs || argc < 2) {
        xb_answer(a, "err %s", a->fs ? "usage" : "not connected");
        return;
    }
    gint64 deadline = g_get_monotonic_time() + (gint64)xb_num(argv[1]) * 1000;
    int st;
    while ((st = backend_state(a)) != XenbusStateClosing && st != XenbusStateClosed && st >= 0 &&
           g_get_monotonic_time() < deadline)
        g_usleep(5000);
    if (st != XenbusStateClosing && st != XenbusStateClosed && st >= 0) {
        xb_answer(a, "err backend still in state %d", st);
        return;
    }
    if (st < 0)
        p9front_abandon(a->fs);
    else
        p9front_close(a->fs);
    a->fs = NULL;
    xb_answer(a, "ok %d", st);
}

static void cmd_stats(struct agent *a, char **argv)
{
    struct p9front_stats st;
    p9front_get_stats(a->fs, &st);
    xb_answer(a, "ok wrong_tag=%" G_GUINT64_FORMAT " split=%" G_GUINT64_FORMAT
           " after_flush=%" G_GUINT64_FORMAT " wrong_ring=%" G_GUINT64_FORMAT " broken=%d",
           st.wrong_tag, st.split_replies, st.after_flush, st.wrong_ring, st.broken);
}

/* ---- files ---- */

static void cmd_write(struct agent *a, char **argv)
{
    struct xb9_file f = { a->next_fid++, xb_num(argv[2]), xb_num(argv[3]) };
    int err = xb9_create(a->fs, argv[1], f.fid);
    if (err) {
        xb_answer_errno(a, err, "create");
        return;
    }
    char *why = NULL;
    err = xb9_write_files(a->fs, &f, 1, (unsigned)xb_num(argv[4]), a->rand, &why);
    int cerr = xb9_clunk(a->fs, f.fid);
    if (err)
        xb_answer(a, "err %d %s", -err, why);
    else if (cerr)
        xb_answer_errno(a, cerr, "clunk");
    else
        xb_answer(a, "ok");
    g_free(why);
}

static void cmd_verify(struct agent *a, char **argv)
{
    struct xb9_file f = { a->next_fid++, xb_num(argv[2]), xb_num(argv[3]) };
    int err = xb9_open(a->fs, argv[1], f.fid, FALSE);
    if (err) {
        xb_answer_errno(a, err, "open");
        return;
    }
    char *why = NULL, *sha = NULL;
    err = xb9_verify_files(a->fs, &f, 1, (unsigned)xb_num(argv[4]), a->rand, &sha, &why);
    xb9_clunk(a->fs, f.fid);
    if (err)
        xb_answer(a, "err %d %s", -err, why);
    else
        xb_answer(a, "ok %s", sha);
    g_free(why);
    g_free(sha);
}

static void cmd_multi(struct agent *a, char **argv)
{
    unsigned n = MIN((unsigned)xb_num(argv[1]), 64u);
    struct xb9_file *files = g_new0(struct xb9_file, n);
    char *why = NULL;
    int err = 0;
    for (unsigned i = 0; i < n; i++) {
        files[i] = (struct xb9_file){ a->next_fid++, xb_num(argv[2]), xb_num(argv[3]) + i };
        char *path = g_strdup_printf("multi-%u", i);
        if (!err && (err = xb9_create(a->fs, path, files[i].fid)))
            why = g_strdup_printf("create %s: %s", path, g_strerror(-err));
        g_free(path);
    }
    if (!err)
        err = xb9_write_files(a->fs, files, n, (unsigned)xb_num(argv[4]), a->rand, &why);
    for (unsigned i = 0; i < n; i++)
        xb9_clunk(a->fs, files[i].fid);
    for (unsigned i = 0; !err && i < n; i++) {
        char *path = g_strdup_printf("multi-%u", i);
        if ((err = xb9_open(a->fs, path, files[i].fid, FALSE)))
            why = g_strdup_printf("open %s: %s", path, g_strerror(-err));
        g_free(path);
    }
    if (!err)
        err = xb9_verify_files(a->fs, files, n, (unsigned)xb_num(argv[4]), a->rand, NULL, &why);
    for (unsigned i = 0; i < n; i++)
        xb9_clunk(a->fs, files[i].fid);
    if (err)
        xb_answer(a, "err %d %s", -err, why);
    else
        xb_answer(a, "ok");
    g_free(why);
    g_free(files);
}

/*
 * procs read|write COUNT SIZE SEED PROCS FILES: PROCS guest processes at once,
 * process i on file proc-(i % FILES) of SIZE bytes (pattern SEED + i % FILES),
 * COUNT bytes per request (see xb9_processes).
 */
static void cmd_procs(struct agent *a, char **argv)
{
    unsigned n = MIN((unsigned)xb_num(argv[5]), 64u), files = MAX((unsigned)xb_num(argv[6]), 1u);
    struct xb9_proc *procs = g_new0(struct xb9_proc, n);
    char **paths = g_new0(char *, n);
    for (unsigned i = 0; i < n; i++) {
        paths[i] = g_strdup_printf("proc-%u", i % files);
        procs[i] = (struct xb9_proc){ .path = paths[i], .fid = a->next_fid++,
                                      .size = xb_num(argv[3]), .seed = xb_num(argv[4]) + i % files,
                                      .count = (uint32_t)xb_num(argv[2]),
                                      .writing = strcmp(argv[1], "write") == 0 };
    }
    char *why = NULL;
    int err = xb9_processes(a->fs, procs, n, &why);
    if (err)
        xb_answer(a, "err %d %s", -err, why);
    else
        xb_answer(a, "ok");
    g_free(why);
    for (unsigned i = 0; i < n; i++)
        g_free(paths[i]);
    g_free(paths);
    g_free(procs);
}

static void cmd_create(struct agent *a, char **argv)
{
    uint32_t fid = a->next_fid++;
    int err = xb9_create(a->fs, argv[1], fid);
    if (err) {
        xb_answer_errno(a, err, "create");
        return;
    }
    xb9_clunk(a->fs, fid);
    xb_answer(a, "ok");
}

static void cmd_open(struct agent *a, char **argv)
{
    uint32_t fid = a->next_fid++;
    int err = xb9_open(a->fs, argv[1], fid, FALSE);
    if (err)
        xb_answer_errno(a, err, "open");
    else
        xb_answer(a, "ok %u", fid);
}

/* Sequential writes of a pattern through `fid` until `size` or the first error:
 * answers ok WRITTEN | err ERRNO WRITTEN (then " FID" if `show_fid`). */
static void write_through(struct agent *a, uint32_t fid, uint64_t size, bool show_fid)
{
    uint64_t written = 0;
    int err = 0;
    uint32_t chunk = p9front_msize(a->fs) - P9_IOHDR_SIZE;
    uint8_t *buf = g_malloc(chunk);
    while (!err && written < size) {
        uint32_t len = (uint32_t)MIN((uint64_t)chunk, size - written);
        xb_pattern_fill(buf, len, written, 1);
        union p9_arg w[3];
        w[0].d = fid;
        w[1].q = written;
        w[2].D = (struct p9_data){ .count = len, .ptr = buf };
        struct p9front_reply r;
        if (!(err = xb9_call(a->fs, P9_TWRITE, w, &r))) {
            written += r.r.body.a[0].d;
            if (r.r.body.a[0].d == 0)
                err = -ENOSPC;
            g_free(r.buf);
        }
    }
    g_free(buf);
    char *fidtext = show_fid ? g_strdup_printf(" %u", fid) : g_strdup("");
    if (err)
        xb_answer(a, "err %d %" G_GUINT64_FORMAT "%s", -err, written, fidtext);
    else
        xb_answer(a, "ok %" G_GUINT64_FORMAT "%s", written, fidtext);
    g_free(fidtext);
}

static void cmd_fill(struct agent *a, char **argv)
{
    uint32_t fid = a->next_fid++;
    int err = xb9_create(a->fs, argv[1], fid);
    if (err) {
        xb_answer(a, "err %d 0", -err);
        return;
    }
    write_through(a, fid, xb_num(argv[2]), false);
    xb9_clunk(a->fs, fid);
}

/* A file written after its name is gone: its fid stays open for truncate and clunk. */
static void cmd_fill_unlinked(struct agent *a, char **argv)
{
    uint32_t fid = a->next_fid++;
    int err = xb9_create(a->fs, argv[1], fid);
    if (!err && (err = xb9_remove(a->fs, argv[1])))
        xb9_clunk(a->fs, fid);
    if (err)
        xb_answer(a, "err %d 0", -err);
    else
        write_through(a, fid, xb_num(argv[2]), true);
}

/* Tsetattr of the size (9P2000.L). */
static void cmd_truncate(struct agent *a, char **argv)
{
    union p9_arg s[10] = { { .d = (uint32_t)xb_num(argv[1]) }, { .d = P9_ATTR_SIZE } };
    s[5].q = xb_num(argv[2]);
    int err = xb9_call(a->fs, P9_TSETATTR, s, NULL);
    if (err)
        xb_answer_errno(a, err, "truncate");
    else
        xb_answer(a, "ok");
}

/* Tmkdir PREFIX0..PREFIX<N-1> in the root: ok MADE REFUSED (refused: EDQUOT). */
static void cmd_mkdirs(struct agent *a, char **argv)
{
    uint64_t n = xb_num(argv[2]), made = 0, refused = 0;
    for (uint64_t i = 0; i < n; i++) {
        char *name = g_strdup_printf("%s%" G_GUINT64_FORMAT, argv[1], i);
        union p9_arg m[4] = { { .d = 0 }, { .s = p9_str_of(name) }, { .d = 0755 }, { .d = 0 } };
        int err = xb9_call(a->fs, P9_TMKDIR, m, NULL);
        g_free(name);
        if (err && err != -EDQUOT) {
            xb_answer_errno(a, err, "mkdir");
            return;
        }
        made += !err;
        refused += err == -EDQUOT;
    }
    xb_answer(a, "ok %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, made, refused);
}

/* ---- the loop ---- */

struct command {
    const char *name;
    int args;                   /* at least this many words after the name */
    bool needs_fs;
    void (*run)(struct agent *a, char **argv);
};

static void run_mount(struct agent *a, char **argv)
{
    int msize = p9front_mount(a->fs, argv[1], (uint32_t)xb_num(argv[2]));
    if (msize < 0)
        xb_answer_errno(a, msize, "mount");
    else
        xb_answer(a, "ok %d", msize);
}

/* Answers how long the close took: a missed state change shows as a timeout's length. */
static void run_close(struct agent *a, char **argv)
{
    gint64 start = g_get_monotonic_time();
    p9front_close(a->fs);
    a->fs = NULL;
    xb_answer(a, "ok %" G_GINT64_FORMAT, (g_get_monotonic_time() - start) / 1000);
}

static void run_abandon(struct agent *a, char **argv)
{
    p9front_abandon(a->fs);
    a->fs = NULL;
    xb_answer(a, "ok");
}

static void run_unbind(struct agent *a, char **argv)
{
    p9front_unbind(a->fs);
    a->fs = NULL;
    xb_answer(a, "ok");
}

static void run_stat(struct agent *a, char **argv)
{
    int err = xb9_stat_root(a->fs);
    if (err)
        xb_answer_errno(a, err, "stat");
    else
        xb_answer(a, "ok");
}

static void run_remove(struct agent *a, char **argv)
{
    int err = xb9_remove(a->fs, argv[1]);
    if (err)
        xb_answer_errno(a, err, "remove");
    else
        xb_answer(a, "ok");
}

static void run_clunk(struct agent *a, char **argv)
{
    int err = xb9_clunk(a->fs, (uint32_t)xb_num(argv[1]));
    if (err)
        xb_answer_errno(a, err, "clunk");
    else
        xb_answer(a, "ok");
}


static const struct command commands[] = {
    { "mount", 2, true, run_mount },
    { "close", 0, true, run_close },
    { "abandon", 0, true, run_abandon },
    { "unbind", 0, true, run_unbind },
    { "stats", 0, true, cmd_stats },
    { "stat", 0, true, run_stat },
    { "write", 4, true, cmd_write },
    { "verify", 4, true, cmd_verify },
    { "multi", 4, true, cmd_multi },
    { "procs", 6, true, cmd_procs },
    { "create", 1, true, cmd_create },
    { "remove", 1, true, run_remove },
    { "open", 1, true, cmd_open },
    { "clunk", 1, true, run_clunk },
    { "fill", 2, true, cmd_fill },
    { "fill-unlinked", 2, true, cmd_fill_unlinked },
    { "truncate", 2, true, cmd_truncate },
    { "mkdirs", 2, true, cmd_mkdirs },
    { "flush-read", 1, true, xb_cmd_flush_read },
    { "flush-open", 1, true, xb_cmd_flush_open },
    { "flush-order", 0, true, xb_cmd_flush_order },
    { "split", 0, true, xb_cmd_split },
    { "raw-size", 1, true, xb_cmd_raw_size },
    { "out-prod-ahead", 0, true, xb_cmd_out_prod_ahead },
    { "in-cons-past", 0, true, xb_cmd_in_cons_past },
    { "storm", 1, true, xb_cmd_storm },
    { "stream", 2, true, xb_cmd_stream },
    { "traffic", 0, true, xb_cmd_traffic },
    { "bursts", 2, true, xb_cmd_bursts },
};

int xb_agent_main(XenEmuPeer *self, gpointer data)
{
    struct agent a = { .self = self, .rand = g_rand_new_with_seed((guint32)getpid()) };
    char *line;
    /* The parent closing its end (or going away) ends the agent. */
    while ((line = xenemu_peer_recv(self, 24 * 3600 * 1000))) {
        char **argv = g_strsplit(line, " ", -1);
        int argc = (int)g_strv_length(argv);
        g_free(line);
        if (argc == 0) {
            g_strfreev(argv);
            continue;
        }
        bool quit = strcmp(argv[0], "quit") == 0;
        if (quit) {
            xb_answer(&a, "ok");
        } else if (strcmp(argv[0], "connect") == 0) {
            cmd_connect(&a, argv, argc);
        } else if (strcmp(argv[0], "await-close") == 0) {
            cmd_await_close(&a, argv, argc);
        } else if (strcmp(argv[0], "stop") == 0) {
            /* "stop" of a traffic run that already failed and answered. */
        } else {
            const struct command *c = NULL;
            for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
                if (strcmp(commands[i].name, argv[0]) == 0)
                    c = &commands[i];
            }
            if (!c)
                xb_answer(&a, "err unknown command %s", argv[0]);
            else if (argc - 1 < c->args)
                xb_answer(&a, "err %s needs %d arguments", c->name, c->args);
            else if (c->needs_fs && !a.fs)
                xb_answer(&a, "err not connected");
            else
                c->run(&a, argv);
        }
        g_strfreev(argv);
        if (quit)
            break;
    }
    /* A guest that goes away closes nothing (the test decides what it did before). */
    if (a.fs)
        p9front_abandon(a.fs);
    if (a.xs)
        xs_close(a.xs);
    g_free(a.devdir);
    g_rand_free(a.rand);
    return 0;
}
