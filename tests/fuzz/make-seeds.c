// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes the seed corpora of the fuzz targets, built from valid messages:
 *   make-seeds DECODE_DIR SESSION_DIR
 * DECODE_DIR: every request and reply body of the message table in every
 * dialect it exists in, and whole replies (fuzz-decode).
 * SESSION_DIR: request streams that exercise each dialect from Tversion on
 * (fuzz-session: the export starts empty, so they create what they use),
 * after the byte that chooses the export (fuzz-session.c export_of), and
 * streams of what a hostile guest tries: foreign xattrs, the root's mode
 * and ACL, set-id bits, writes past the quota through an unlinked file.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "backend/proto/p9_client.h"
#include "backend/proto/p9_table.h"

static const unsigned dialects[] = { P9_2000, P9_2000_U, P9_2000_L };

static void write_seed(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = g_build_filename(dir, name, NULL);
    GError *error = NULL;
    if (!g_file_set_contents(path, data, len, &error)) {
        fprintf(stderr, "make-seeds: %s\n", error->message);
        exit(1);
    }
    g_free(path);
}

/* Plausible values for every field of `fmt`. */
static void fill(const char *fmt, union p9_arg *a, struct p9_str *names, struct p9_qid *qids,
                 struct p9_stat *st)
{
    static const uint8_t data[] = "some data";
    for (const char *f = fmt; *f; f++) {
        switch (*f) {
        case '?': continue;
        case 'b': a->b = 1; break;
        case 'w': a->w = 2; break;
        case 'd': a->d = 3; break;
        case 'q': a->q = 4; break;
        case 's': a->s = p9_str_of("name"); break;
        case 'Q': a->Q = (struct p9_qid){ P9_QTDIR, 1, 2 }; break;
        case 'D': a->D = (struct p9_data){ .count = sizeof(data) - 1, .ptr = data }; break;
        case 'T':
            names[0] = p9_str_of("dir");
            names[1] = p9_str_of("file");
            a->T.n = 2;
            a->T.v = names;
            break;
        case 'R':
            qids[0] = (struct p9_qid){ P9_QTDIR, 0, 1 };
            qids[1] = (struct p9_qid){ P9_QTFILE, 0, 2 };
            a->R.n = 2;
            a->R.v = qids;
            break;
        case 'S':
            *st = (struct p9_stat){ .qid = { P9_QTFILE, 0, 5 }, .mode = 0644, .length = 9,
                                    .name = p9_str_of("file"), .uid = p9_str_of("0"),
                                    .gid = p9_str_of("0"), .muid = p9_str_of(""),
                                    .extension = p9_str_of(""), .n_muid = P9_NONUNAME };
            a->S = st;
            break;
        }
        a++;
    }
}

static void decode_seeds(const char *dir)
{
    union p9_arg a[P9_MAXARGS];
    struct p9_str names[P9_MAXWELEM];
    struct p9_qid qids[P9_MAXWELEM];
    struct p9_stat st;
    uint8_t buf[512];
    for (unsigned i = 0; p9_op_at(i); i++) {
        const struct p9_op *op = p9_op_at(i);
        for (size_t d = 0; d < G_N_ELEMENTS(dialects); d++) {
            if (!(op->dialects & dialects[d]))
                continue;
            char name[64];
            memset(a, 0, sizeof(a));
            fill(op->tfmt, a, names, qids, &st);
            size_t n = p9_encode(buf, op->tfmt, a, dialects[d]);
            g_snprintf(name, sizeof(name), "%s-%u", op->name, dialects[d]);
            write_seed(dir, name, buf, n);
            memset(a, 0, sizeof(a));
            fill(op->rfmt, a, names, qids, &st);
            n = p9_encode(buf + P9_HDR_SIZE, op->rfmt, a, dialects[d]);
            p9_put_header(buf, P9_HDR_SIZE + n, op->id + 1, 1);
            g_snprintf(name, sizeof(name), "%s-%u", op->rname, dialects[d]);
            write_seed(dir, name, buf, P9_HDR_SIZE + n);
        }
    }
}

/* ---- request streams ---- */

struct stream {
    GByteArray *bytes;
    unsigned dialect;
    uint16_t tag;
};

/* The export byte (fuzz-session.c export_of): passthrough, allow-acl,
 * allow-setid, quotas, auto-delete. */
enum { EXPORT_PASSTHROUGH = 1, EXPORT_ACL = 2, EXPORT_SETID = 4, EXPORT_QUOTA = 8,
       EXPORT_AUTO_DELETE = 16 };

static void add(struct stream *s, uint8_t id, const union p9_arg *a)
{
    uint8_t buf[1024];
    uint16_t tag = id == P9_TVERSION ? P9_NOTAG : s->tag++;
    size_t n = p9c_build(buf, sizeof(buf), id, tag, s->dialect, a);
    if (!n) {
        fprintf(stderr, "make-seeds: cannot build message %u\n", id);
        exit(1);
    }
    g_byte_array_append(s->bytes, buf, n);
}

static void start(struct stream *s, uint8_t export, const char *version, unsigned dialect)
{
    s->bytes = g_byte_array_new();
    g_byte_array_append(s->bytes, &export, 1);
    s->dialect = dialect;
    s->tag = 1;
    union p9_arg v[2] = { { .d = 8192 }, { .s = p9_str_of(version) } };
    add(s, P9_TVERSION, v);
    union p9_arg at[5] = { { .d = 0 }, { .d = P9_NOFID }, { .s = p9_str_of("") },
                           { .s = p9_str_of("") }, { .d = 0 } };
    add(s, P9_TATTACH, at);
}

static void walk(struct stream *s, uint32_t fid, uint32_t newfid, const char *name)
{
    struct p9_str n = p9_str_of(name);
    union p9_arg a[3] = { { .d = fid }, { .d = newfid } };
    a[2].T.n = *name ? 1 : 0;
    a[2].T.v = &n;
    add(s, P9_TWALK, a);
}

static void finish(struct stream *s, const char *dir, const char *name)
{
    write_seed(dir, name, s->bytes->data, s->bytes->len);
    g_byte_array_free(s->bytes, TRUE);
}

/* Txattrcreate of `name` on `fid` with `len` bytes of `value`, its Twrite and Tclunk. */
static void set_xattr(struct stream *s, uint32_t fid, const char *name, const void *value,
                      uint32_t len)
{
    union p9_arg xc[4] = { { .d = fid }, { .s = p9_str_of(name) }, { .q = len }, { .d = 0 } };
    add(s, P9_TXATTRCREATE, xc);
    union p9_arg xw[3] = { { .d = fid }, { .q = 0 } };
    xw[2].D = (struct p9_data){ .count = len, .ptr = value };
    add(s, P9_TWRITE, xw);
    union p9_arg cl[1] = { { .d = fid } };
    add(s, P9_TCLUNK, cl);
}

/* What the hostile guest sent, under each export. */
static void hostile_seeds(const char *dir)
{
    static const uint8_t acl[] = { 2, 0, 0, 0, 1, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,
                                   4, 0, 5, 0, 0xff, 0xff, 0xff, 0xff,
                                   32, 0, 7, 0, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t caps[20] = { 1, 0, 0, 2, 0x80 };
    static const uint8_t data[64] = { 'x' };
    static const struct { const char *name; uint8_t export; } variants[] = {
        { "hostile-none", 0 },
        { "hostile-passthrough", EXPORT_PASSTHROUGH },
        { "hostile-opt-ins", EXPORT_ACL | EXPORT_SETID },
        { "hostile-quota", EXPORT_QUOTA },
        { "hostile-auto-delete", EXPORT_QUOTA | EXPORT_AUTO_DELETE | EXPORT_PASSTHROUGH },
    };
    for (size_t v = 0; v < G_N_ELEMENTS(variants); v++) {
        struct stream s;
        start(&s, variants[v].export, "9P2000.L", P9_2000_L);
        /* A set-id program, its capability, a trusted.* and an ACL attribute. */
        walk(&s, 0, 1, "");
        union p9_arg lc[5] = { { .d = 1 }, { .s = p9_str_of("suid") }, { .d = P9_DOTL_RDWR },
                               { .d = 04755 }, { .d = 0 } };
        add(&s, P9_TLCREATE, lc);
        union p9_arg sa[10] = { { .d = 1 }, { .d = P9_ATTR_MODE }, { .d = 06755 } };
        add(&s, P9_TSETATTR, sa);
        walk(&s, 0, 2, "suid");
        set_xattr(&s, 2, "security.capability", caps, sizeof(caps));
        walk(&s, 0, 2, "suid");
        set_xattr(&s, 2, "trusted.overlay.opaque", "y", 1);
        walk(&s, 0, 2, "suid");
        set_xattr(&s, 2, "system.posix_acl_access", acl, sizeof(acl));
        walk(&s, 0, 2, "suid");
        set_xattr(&s, 2, "user.k", "v", 1);
        union p9_arg xw[3] = { { .d = 0 }, { .d = 3 }, { .s = p9_str_of("security.capability") } };
        add(&s, P9_TXATTRWALK, xw);
        xw[1].d = 4;
        xw[2].s = p9_str_of("");
        add(&s, P9_TXATTRWALK, xw);
        /* The root: world-writable, an ACL, another owner. */
        union p9_arg rs[10] = { { .d = 0 }, { .d = P9_ATTR_MODE }, { .d = 01777 } };
        add(&s, P9_TSETATTR, rs);
        rs[1].d = P9_ATTR_UID | P9_ATTR_GID;
        rs[3].d = 1000;
        add(&s, P9_TSETATTR, rs);
        walk(&s, 0, 5, "");
        set_xattr(&s, 5, "system.posix_acl_default", acl, sizeof(acl));
        /* A device node of a disk, a FIFO, directories. */
        union p9_arg mk[6] = { { .d = 0 }, { .s = p9_str_of("disk") }, { .d = 060600 },
                               { .d = 8 }, { .d = 0 }, { .d = 0 } };
        add(&s, P9_TMKNOD, mk);
        mk[1].s = p9_str_of("fifo");
        mk[2].d = 010600;
        add(&s, P9_TMKNOD, mk);
        for (int i = 0; i < 3; i++) {
            char name[8];
            g_snprintf(name, sizeof(name), "d%d", i);
            union p9_arg md[4] = { { .d = 0 }, { .s = p9_str_of(name) }, { .d = 02755 },
                                   { .d = 0 } };
            add(&s, P9_TMKDIR, md);
        }
        /* Writes and a truncation through a file whose name is gone. */
        walk(&s, 0, 6, "");
        lc[0].d = 6;
        lc[1].s = p9_str_of("hidden");
        lc[3].d = 0600;
        add(&s, P9_TLCREATE, lc);
        union p9_arg ul[3] = { { .d = 0 }, { .s = p9_str_of("hidden") }, { .d = 0 } };
        add(&s, P9_TUNLINKAT, ul);
        /* A block each (sparse), so a few reach the fuzzer's 8 KiB quota. */
        for (uint64_t off = 0; off < 4 * 4096; off += 4096) {
            union p9_arg w[3] = { { .d = 6 }, { .q = off } };
            w[2].D = (struct p9_data){ .count = sizeof(data), .ptr = data };
            add(&s, P9_TWRITE, w);
        }
        union p9_arg tr[10] = { { .d = 6 }, { .d = P9_ATTR_SIZE } };
        tr[5].q = 256u << 20;
        add(&s, P9_TSETATTR, tr);
        union p9_arg cl[1] = { { .d = 6 } };
        add(&s, P9_TCLUNK, cl);
        finish(&s, dir, variants[v].name);
    }
}

static void session_seeds(const char *dir)
{
    struct stream s;
    static const uint8_t data[] = "hello, fuzzer";

    /* 9P2000.L: files, directories, links, xattrs, locks, flush. */
    start(&s, 0, "9P2000.L", P9_2000_L);
    walk(&s, 0, 1, "");
    union p9_arg lc[5] = { { .d = 1 }, { .s = p9_str_of("f") }, { .d = P9_DOTL_RDWR },
                           { .d = 0644 }, { .d = 0 } };
    add(&s, P9_TLCREATE, lc);
    union p9_arg w[3] = { { .d = 1 }, { .q = 0 } };
    w[2].D = (struct p9_data){ .count = sizeof(data) - 1, .ptr = data };
    add(&s, P9_TWRITE, w);
    union p9_arg r[3] = { { .d = 1 }, { .q = 0 }, { .d = 100 } };
    add(&s, P9_TREAD, r);
    union p9_arg ga[2] = { { .d = 1 }, { .q = P9_GETATTR_ALL } };
    add(&s, P9_TGETATTR, ga);
    union p9_arg lk[7] = { { .d = 1 }, { .b = P9_LOCK_TYPE_WRLCK }, { .d = 0 }, { .q = 0 },
                           { .q = 10 }, { .d = 1 }, { .s = p9_str_of("c") } };
    add(&s, P9_TLOCK, lk);
    union p9_arg md[4] = { { .d = 0 }, { .s = p9_str_of("d") }, { .d = 0755 }, { .d = 0 } };
    add(&s, P9_TMKDIR, md);
    union p9_arg sl[4] = { { .d = 0 }, { .s = p9_str_of("l") }, { .s = p9_str_of("f") },
                           { .d = 0 } };
    add(&s, P9_TSYMLINK, sl);
    walk(&s, 0, 2, "f");
    union p9_arg xc[4] = { { .d = 2 }, { .s = p9_str_of("user.k") }, { .q = 1 }, { .d = 0 } };
    add(&s, P9_TXATTRCREATE, xc);
    union p9_arg xw[3] = { { .d = 2 }, { .q = 0 } };
    xw[2].D = (struct p9_data){ .count = 1, .ptr = data };
    add(&s, P9_TWRITE, xw);
    union p9_arg cl[1] = { { .d = 2 } };
    add(&s, P9_TCLUNK, cl);
    union p9_arg xwk[3] = { { .d = 0 }, { .d = 3 }, { .s = p9_str_of("") } };
    add(&s, P9_TXATTRWALK, xwk);
    walk(&s, 0, 4, "");
    union p9_arg lo[2] = { { .d = 4 }, { .d = P9_DOTL_RDONLY | P9_DOTL_DIRECTORY } };
    add(&s, P9_TLOPEN, lo);
    union p9_arg rd[3] = { { .d = 4 }, { .q = 0 }, { .d = 4000 } };
    add(&s, P9_TREADDIR, rd);
    union p9_arg ra[4] = { { .d = 0 }, { .s = p9_str_of("f") }, { .d = 0 },
                           { .s = p9_str_of("g") } };
    add(&s, P9_TRENAMEAT, ra);
    union p9_arg mk[6] = { { .d = 0 }, { .s = p9_str_of("p") }, { .d = 0010644 }, { .d = 0 },
                           { .d = 0 }, { .d = 0 } };
    add(&s, P9_TMKNOD, mk);
    union p9_arg fl[1] = { { .w = 3 } };
    add(&s, P9_TFLUSH, fl);
    union p9_arg ul[3] = { { .d = 0 }, { .s = p9_str_of("d") }, { .d = P9_AT_REMOVEDIR } };
    add(&s, P9_TUNLINKAT, ul);
    finish(&s, dir, "dotl");

    /* 9P2000.u: create of each kind, stat, wstat, directory reads. */
    start(&s, 0, "9P2000.u", P9_2000_U);
    walk(&s, 0, 1, "");
    union p9_arg c[5] = { { .d = 1 }, { .s = p9_str_of("f") }, { .d = 0644 }, { .b = P9_ORDWR },
                          { .s = p9_str_of("") } };
    add(&s, P9_TCREATE, c);
    add(&s, P9_TWRITE, w);
    union p9_arg st[1] = { { .d = 1 } };
    add(&s, P9_TSTAT, st);
    walk(&s, 0, 2, "");
    union p9_arg cs[5] = { { .d = 2 }, { .s = p9_str_of("l") }, { .d = P9_DMSYMLINK | 0777 },
                           { .b = P9_OREAD }, { .s = p9_str_of("f") } };
    add(&s, P9_TCREATE, cs);
    walk(&s, 0, 3, "");
    union p9_arg cd[5] = { { .d = 3 }, { .s = p9_str_of("d") }, { .d = P9_DMDIR | 0755 },
                           { .b = P9_OREAD }, { .s = p9_str_of("") } };
    add(&s, P9_TCREATE, cd);
    walk(&s, 0, 4, "");
    union p9_arg op[2] = { { .d = 4 }, { .b = P9_OREAD } };
    add(&s, P9_TOPEN, op);
    union p9_arg dr[3] = { { .d = 4 }, { .q = 0 }, { .d = 200 } };
    add(&s, P9_TREAD, dr);
    struct p9_stat ws = { .type = 0xffff, .dev = ~0u, .qid = { 0xff, ~0u, ~0ull }, .mode = 0600,
                          .atime = ~0u, .mtime = ~0u, .length = 3, .name = p9_str_of("g"),
                          .uid = p9_str_of(""), .gid = p9_str_of(""), .muid = p9_str_of(""),
                          .extension = p9_str_of(""), .n_uid = ~0u, .n_gid = ~0u,
                          .n_muid = ~0u };
    walk(&s, 0, 5, "f");
    union p9_arg wst[3] = { { .d = 5 }, { .w = p9_stat_size(&ws, P9_2000_U) }, { .S = &ws } };
    add(&s, P9_TWSTAT, wst);
    union p9_arg rm[1] = { { .d = 5 } };
    add(&s, P9_TREMOVE, rm);
    finish(&s, dir, "dotu");

    /* Plain 9P2000. */
    start(&s, 0, "9P2000", P9_2000);
    walk(&s, 0, 1, "");
    add(&s, P9_TCREATE, c);
    add(&s, P9_TWRITE, w);
    add(&s, P9_TSTAT, st);
    add(&s, P9_TCLUNK, st);
    finish(&s, dir, "9p2000");

    hostile_seeds(dir);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: make-seeds DECODE_DIR SESSION_DIR\n");
        return 2;
    }
    for (int i = 1; i < 3; i++) {
        if (g_mkdir_with_parents(argv[i], 0755) < 0) {
            fprintf(stderr, "make-seeds: %s: %s\n", argv[i], g_strerror(errno));
            return 1;
        }
    }
    decode_seeds(argv[1]);
    session_seeds(argv[2]);
    return 0;
}
