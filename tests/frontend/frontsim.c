// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * frontsim: a 9pfs guest in a process, for demos and scripts against the
 * emulated Xen.  Connects to a device like Linux (or Mini-OS with
 * --minios), mounts it and runs simple file commands:
 *
 *   frontsim [--minios] [--version V] DEVDIR ls DIR | cat FILE | put FILE | mkdir DIR | rm PATH
 *
 * put copies standard input into FILE.  Each command prints what a shell
 * would; errors go to stderr with a non-zero exit.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "tools/p9front.h"

static gboolean opt_minios;
static char *opt_version;
static int opt_msize = 512 * 1024;

static const GOptionEntry entries[] = {
    { "minios", 0, 0, G_OPTION_ARG_NONE, &opt_minios, "Behave like Mini-OS (1 small ring, 9P2000.u)", NULL },
    { "version", 'V', 0, G_OPTION_ARG_STRING, &opt_version, "9P dialect (default 9P2000.L)", "V" },
    { "msize", 'm', 0, G_OPTION_ARG_INT, &opt_msize, "msize to ask for", "BYTES" },
    { NULL }
};

static struct p9front *fs;

/* Runs a request; returns 0 or -errno (9P errors included). */
static int call(uint8_t id, const union p9_arg *a, struct p9front_reply *r)
{
    int err = p9front_rpc(fs, id, a, r);
    if (err)
        return err;
    if (r->r.error) {
        err = -r->r.error;
        g_free(r->buf);
        r->buf = NULL;
    }
    return err;
}

/* Walks from the root to `path` as `fid`. */
static int walk(const char *path, uint32_t fid)
{
    char **parts = g_strsplit(path, "/", -1);
    struct p9_str names[P9_MAXWELEM];
    unsigned n = 0;
    for (char **p = parts; *p && n < P9_MAXWELEM; p++) {
        if (**p)
            names[n++] = p9_str_of(*p);
    }
    union p9_arg a[3];
    a[0].d = 0;
    a[1].d = fid;
    a[2].T.n = n;
    a[2].T.v = names;
    struct p9front_reply r = { 0 };
    int err = call(P9_TWALK, a, &r);
    if (!err && r.r.body.a[0].R.n != n)
        err = -ENOENT;       /* a partial walk: the rest of the path is missing */
    g_free(r.buf);
    g_strfreev(parts);
    return err;
}

static void clunk(uint32_t fid)
{
    union p9_arg a[1] = { { .d = fid } };
    struct p9front_reply r;
    if (call(P9_TCLUNK, a, &r) == 0)
        g_free(r.buf);
}

static int open_fid(uint32_t fid, uint32_t flags)
{
    union p9_arg a[2];
    struct p9front_reply r;
    int err;
    a[0].d = fid;
    if (p9front_dialect(fs) == P9_2000_L) {
        a[1].d = flags;
        err = call(P9_TLOPEN, a, &r);
    } else {
        a[1].b = flags == P9_DOTL_WRONLY ? P9_OWRITE : P9_OREAD;
        err = call(P9_TOPEN, a, &r);
    }
    if (!err)
        g_free(r.buf);
    return err;
}

static int cmd_ls(const char *path)
{
    int err = walk(path, 1);
    if (!err)
        err = open_fid(1, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY);
    uint64_t offset = 0;
    while (!err) {
        union p9_arg a[3];
        struct p9front_reply r;
        a[0].d = 1;
        a[1].q = offset;
        a[2].d = p9front_msize(fs) - 64;
        bool dotl = p9front_dialect(fs) == P9_2000_L;
        if ((err = call(dotl ? P9_TREADDIR : P9_TREAD, a, &r)))
            break;
        struct p9_data d = r.r.body.a[0].D;
        if (d.count == 0) {
            g_free(r.buf);
            break;
        }
        /* Decode entries with the codec: .L dirents or .u stat records. */
        uint8_t *p = (uint8_t *)d.ptr, *end = p + d.count;
        while (p < end) {
            struct p9_args e;
            size_t len;
            if (dotl) {
                len = P9_QID_SIZE + 8 + 1 + 2 + (p[P9_QID_SIZE + 9] | p[P9_QID_SIZE + 10] << 8);
                if (len > (size_t)(end - p) || p9_decode(p, len, "Qqbs", P9_2000_L, &e))
                    break;
                printf("%s\n", e.a[3].s.s);
                offset = e.a[1].q;
            } else {
                len = 2 + (p[0] | p[1] << 8);
                if (len > (size_t)(end - p) || p9_decode(p, len, "S", p9front_dialect(fs), &e))
                    break;
                printf("%s\n", e.stat.name.s);
                offset += len;
            }
            p += len;
        }
        g_free(r.buf);
    }
    clunk(1);
    return err;
}

static int cmd_cat(const char *path)
{
    int err = walk(path, 1);
    if (!err)
        err = open_fid(1, P9_DOTL_RDONLY);
    for (uint64_t offset = 0; !err;) {
        union p9_arg a[3];
        struct p9front_reply r;
        a[0].d = 1;
        a[1].q = offset;
        a[2].d = p9front_msize(fs) - P9_IOHDR_SIZE;
        if ((err = call(P9_TREAD, a, &r)))
            break;
        uint32_t n = r.r.body.a[0].D.count;
        if (n && fwrite(r.r.body.a[0].D.ptr, 1, n, stdout) != n)
            err = -EIO;
        g_free(r.buf);
        if (n == 0)
            break;
        offset += n;
    }
    clunk(1);
    return err;
}

static int create_in_parent(const char *path, bool directory)
{
    char *dir = g_path_get_dirname(path), *base = g_path_get_basename(path);
    int err = walk(strcmp(dir, ".") ? dir : "", 1);
    union p9_arg a[5];
    struct p9front_reply r;
    bool dotl = p9front_dialect(fs) == P9_2000_L;
    if (!err) {
        a[0].d = 1;
        a[1].s = p9_str_of(base);
        if (dotl && directory) {
            a[2].d = 0755;
            a[3].d = 0;
            err = call(P9_TMKDIR, a, &r);
        } else if (dotl) {
            a[2].d = P9_DOTL_WRONLY | P9_DOTL_TRUNC;
            a[3].d = 0644;
            a[4].d = 0;
            err = call(P9_TLCREATE, a, &r);
        } else {
            a[2].d = directory ? (P9_DMDIR | 0755) : 0644;
            a[3].b = directory ? P9_OREAD : P9_OWRITE;
            a[4].s = p9_str_of("");
            err = call(P9_TCREATE, a, &r);
        }
        if (!err)
            g_free(r.buf);
    }
    g_free(dir);
    g_free(base);
    return err;
}

static int cmd_put(const char *path)
{
    int err = create_in_parent(path, false);
    uint32_t chunk = p9front_msize(fs) - P9_IOHDR_SIZE;
    uint8_t *buf = g_malloc(chunk);
    for (uint64_t offset = 0; !err;) {
        size_t n = fread(buf, 1, chunk, stdin);
        if (n == 0)
            break;
        union p9_arg a[3];
        struct p9front_reply r;
        a[0].d = 1;
        a[1].q = offset;
        a[2].D = (struct p9_data){ .count = n, .ptr = buf };
        if ((err = call(P9_TWRITE, a, &r)))
            break;
        offset += r.r.body.a[0].d;
        g_free(r.buf);
    }
    g_free(buf);
    clunk(1);
    return err;
}

static int cmd_rm(const char *path)
{
    int err = walk(path, 1);
    if (err)
        return err;
    union p9_arg a[1] = { { .d = 1 } };
    struct p9front_reply r;
    err = call(P9_TREMOVE, a, &r);
    if (!err)
        g_free(r.buf);
    return err;
}

int main(int argc, char **argv)
{
    GError *error = NULL;
    GOptionContext *ctx = g_option_context_new("DEVDIR ls|cat|put|mkdir|rm PATH");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 4) {
        g_printerr("usage: frontsim [--minios] [--version V] DEVDIR ls|cat|put|mkdir|rm PATH\n");
        return 2;
    }
    g_option_context_free(ctx);
    struct p9front_options o;
    if (opt_minios)
        p9front_minios_options(&o);
    else
        p9front_linux_options(&o);
    char *why = NULL;
    if (p9front_connect(argv[1], &o, &fs, &why) < 0) {
        g_printerr("frontsim: %s\n", why);
        return 1;
    }
    const char *version = opt_version ? opt_version : opt_minios ? "9P2000.u" : "9P2000.L";
    int msize = p9front_mount(fs, version, opt_msize);
    if (msize < 0) {
        g_printerr("frontsim: mount: %s\n", g_strerror(-msize));
        p9front_close(fs);
        return 1;
    }
    const char *cmd = argv[2], *path = argv[3];
    int err;
    if (strcmp(cmd, "ls") == 0)
        err = cmd_ls(path);
    else if (strcmp(cmd, "cat") == 0)
        err = cmd_cat(path);
    else if (strcmp(cmd, "put") == 0)
        err = cmd_put(path);
    else if (strcmp(cmd, "mkdir") == 0)
        err = create_in_parent(path, true);
    else if (strcmp(cmd, "rm") == 0)
        err = cmd_rm(path);
    else
        err = -EINVAL;
    fflush(stdout);
    struct p9front_stats st;
    p9front_get_stats(fs, &st);
    p9front_close(fs);
    if (st.wrong_tag || st.split_replies || st.after_flush) {
        g_printerr("frontsim: transport errors: %" G_GUINT64_FORMAT " wrong tags, %" G_GUINT64_FORMAT
                   " split replies, %" G_GUINT64_FORMAT " after flush\n",
                   st.wrong_tag, st.split_replies, st.after_flush);
        return 1;
    }
    if (err) {
        g_printerr("frontsim: %s %s: %s\n", cmd, path, g_strerror(-err));
        return 1;
    }
    return 0;
}
