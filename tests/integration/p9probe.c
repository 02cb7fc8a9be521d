// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p9probe: a minimal synchronous 9P2000.L client over a stream socket,
 * built on backend/proto/p9_client.h, for the integration tests of xen9pd's
 * socket listener (diod's tools cannot use a unix socket).
 *
 *   p9probe unix:PATH|tcp:A.B.C.D:PORT cat FILE    file contents to stdout
 *   p9probe unix:PATH|tcp:A.B.C.D:PORT ls DIR      one name per line
 *   p9probe unix:PATH|tcp:A.B.C.D:PORT hold FILE   one connection driven from stdin
 *
 * hold opens FILE once and clones a fid of the root, keeps both for the whole
 * run, then answers each command line on stdin with one flushed line on
 * stdout, so that a test can restart or upgrade the server between commands
 * and check the same connection and fids still work:
 *
 *   read       reads the whole file through the held fid: "ok SIZE MD5HEX"
 *   start      sends a Tread of the held fid without waiting: "sent TAG"
 *   finish     takes the reply to that read: "ok BYTES"
 *   stat       Tgetattr of the held root fid: "ok"
 *   walk NAME  walks a new fid from the held root fid and clunks it: "ok"
 *   quit       clunks the fids: "bye" (end of input: the same, silently)
 *
 * Exit status: 0, or 1 with the error on stderr ("p9probe: WHAT: MESSAGE"),
 * for hold on stdout instead ("error WHAT: MESSAGE"), in line with the answers.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "backend/proto/p9_client.h"

#define MSIZE 65536u

/* hold's outstanding read; rpc() tags stay below it, so its reply cannot be
 * taken for another request's. */
#define HELD_READ_TAG 0x8000u

enum { ROOT_FID, FILE_FID, DIR_FID, WALK_FID };

struct conn {
    int fd;
    uint32_t msize;         /* MSIZE, then what the server agreed to */
    uint16_t tag;           /* rpc()'s next tag, 1..HELD_READ_TAG-1 */
    uint8_t *buf;           /* MSIZE bytes: the message being sent or received */
    bool read_outstanding;  /* a Tread sent with HELD_READ_TAG, reply not yet taken */
    uint8_t *early_reply;   /* its reply, when it came while waiting for another */
};

/* hold reports failures on stdout: its driver reads them as the answer. */
static bool errors_on_stdout;

static G_GNUC_PRINTF(2, 3) G_GNUC_NORETURN void fail(const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (errors_on_stdout)
        printf("error %s: %s\n", what, message);
    else
        fprintf(stderr, "p9probe: %s: %s\n", what, message);
    exit(1);
}

static G_GNUC_PRINTF(1, 2) void answer(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static int connect_to(const char *address)
{
    int fd = -1;
    if (g_str_has_prefix(address, "unix:")) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(address + 5) >= sizeof(sa.sun_path))
            return -1;
        strcpy(sa.sun_path, address + 5);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            close(fd);
            fd = -1;
        }
    } else if (g_str_has_prefix(address, "tcp:")) {
        const char *colon = strrchr(address + 4, ':');
        if (!colon)
            return -1;
        char *host = g_strndup(address + 4, colon - (address + 4));
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(colon + 1)) };
        if (inet_pton(AF_INET, host, &sa.sin_addr) == 1) {
            fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
                close(fd);
                fd = -1;
            }
        }
        g_free(host);
    }
    return fd;
}

static void io_all(int fd, uint8_t *p, size_t n, bool writing, const char *what)
{
    while (n) {
        /* MSG_NOSIGNAL: a server gone away must be reported, not kill us with SIGPIPE */
        ssize_t done = writing ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
        if (done < 0 && errno == EINTR)
            continue;
        if (done < 0)
            fail(what, "%s", g_strerror(errno));
        if (done == 0)
            fail(what, "connection closed");
        p += done;
        n -= done;
    }
}

static void send_request(struct conn *c, const char *what, uint8_t id, uint16_t tag,
                         const union p9_arg *a)
{
    size_t size = p9c_build(c->buf, c->msize, id, tag, P9_2000_L, a);
    if (!size)
        fail(what, "message %u does not fit in %u bytes", id, c->msize);
    io_all(c->fd, c->buf, size, true, what);
}

/* The next whole message, into c->buf; returns its size. */
static uint32_t recv_message(struct conn *c, const char *what)
{
    uint32_t size;
    uint8_t id;
    uint16_t tag;
    io_all(c->fd, c->buf, P9_HDR_SIZE, false, what);
    p9_get_header(c->buf, &size, &id, &tag);
    if (size < P9_HDR_SIZE || size > c->msize)
        fail(what, "reply of %" PRIu32 " bytes", size);
    io_all(c->fd, c->buf + P9_HDR_SIZE, size - P9_HDR_SIZE, false, what);
    return size;
}

/* Decodes the message in c->buf as the reply to `id`; the server's error fails. */
static void parse_reply(struct conn *c, const char *what, uint8_t id, uint32_t size,
                        struct p9c_reply *out)
{
    if (p9c_parse(c->buf, size, P9_2000_L, out) != 0)
        fail(what, "bad reply to message %u", id);
    if (out->error)
        fail(what, "%s", g_strerror(out->error));
    if (out->id != id + 1)
        fail(what, "reply %u to message %u", out->id, id);
}

/*
 * Waits for the reply to request `id` sent with `tag`, decoded into `out`
 * (valid until the next message).  The held read's reply may come first: it
 * is kept for finish.
 */
static void recv_reply(struct conn *c, const char *what, uint8_t id, uint16_t tag,
                       struct p9c_reply *out)
{
    for (;;) {
        uint32_t size = recv_message(c, what), rsize;
        uint8_t rid;
        uint16_t rtag;
        p9_get_header(c->buf, &rsize, &rid, &rtag);
        if (rtag == tag) {
            parse_reply(c, what, id, size, out);
            return;
        }
        if (rtag != HELD_READ_TAG || !c->read_outstanding || c->early_reply)
            fail(what, "reply %u with unexpected tag %u", rid, rtag);
        c->early_reply = g_memdup2(c->buf, size);
    }
}

static uint16_t next_tag(struct conn *c)
{
    uint16_t tag = c->tag;
    c->tag = c->tag % (HELD_READ_TAG - 1) + 1;
    return tag;
}

/* One request and its reply, decoded into `out` (valid until the next call). */
static void rpc(struct conn *c, const char *what, uint8_t id, const union p9_arg *a,
                struct p9c_reply *out)
{
    uint16_t tag = id == P9_TVERSION ? P9_NOTAG : next_tag(c);
    send_request(c, what, id, tag, a);
    recv_reply(c, what, id, tag, out);
}

/* Sends a Tread or Treaddir of `fid` at `offset`, as much as the msize allows. */
static void send_read(struct conn *c, const char *what, uint8_t id, uint32_t fid,
                      uint64_t offset, uint16_t tag)
{
    union p9_arg a[3] = { { .d = fid }, { .q = offset }, { .d = c->msize - P9_IOHDR_SIZE } };
    send_request(c, what, id, tag, a);
}

/* The payload of the reply in `r` to send_read(). */
static struct p9_data read_payload(struct conn *c, const char *what, struct p9c_reply *r)
{
    struct p9_data d = r->body.a[0].D;
    if (d.count > c->msize - P9_IOHDR_SIZE)
        fail(what, "%" PRIu32 " bytes read, at most %" PRIu32 " asked", d.count,
             c->msize - P9_IOHDR_SIZE);
    return d;
}

static struct p9_data read_at(struct conn *c, const char *what, uint8_t id, uint32_t fid,
                              uint64_t offset, struct p9c_reply *r)
{
    uint16_t tag = next_tag(c);
    send_read(c, what, id, fid, offset, tag);
    recv_reply(c, what, id, tag, r);
    return read_payload(c, what, r);
}

/* Walks `fid` along the '/'-separated `path` to `newfid` ("" clones it). */
static void walk(struct conn *c, const char *what, uint32_t fid, uint32_t newfid,
                 const char *path, struct p9c_reply *r)
{
    gchar **parts = g_strsplit(path, "/", -1);
    struct p9_str names[P9_MAXWELEM];
    unsigned n = 0;
    for (gchar **p = parts; *p; p++) {
        if (**p && n < P9_MAXWELEM)
            names[n++] = p9_str_of(*p);
    }
    union p9_arg a[3] = { { .d = fid }, { .d = newfid } };
    a[2].T.n = n;
    a[2].T.v = names;
    rpc(c, what, P9_TWALK, a, r);
    g_strfreev(parts);
    /* a walk stopped short names the first component it could not reach */
    if (r->body.a[0].R.n != n)
        fail(what, "%s", g_strerror(ENOENT));
}

static void lopen(struct conn *c, const char *what, uint32_t fid, uint32_t flags,
                  struct p9c_reply *r)
{
    union p9_arg a[2] = { { .d = fid }, { .d = flags } };
    rpc(c, what, P9_TLOPEN, a, r);
}

static void clunk(struct conn *c, const char *what, uint32_t fid, struct p9c_reply *r)
{
    union p9_arg a[1] = { { .d = fid } };
    rpc(c, what, P9_TCLUNK, a, r);
}

/* Negotiates 9P2000.L and attaches ROOT_FID. */
static void session_start(struct conn *c, struct p9c_reply *r)
{
    union p9_arg v[2] = { { .d = MSIZE }, { .s = p9_str_of("9P2000.L") } };
    rpc(c, "version", P9_TVERSION, v, r);
    if (strcmp(r->body.a[1].s.s, "9P2000.L") != 0)
        fail("version", "server offers %s", r->body.a[1].s.s);
    if (r->body.a[0].d <= P9_IOHDR_SIZE)
        fail("version", "msize %" PRIu32, r->body.a[0].d);
    c->msize = MIN(r->body.a[0].d, MSIZE);
    union p9_arg at[5] = { { .d = ROOT_FID }, { .d = P9_NOFID }, { .s = p9_str_of("") },
                           { .s = p9_str_of("") }, { .d = getuid() } };
    rpc(c, "attach", P9_TATTACH, at, r);
}

/* cat or ls: what = "cat FILE" or "ls DIR". */
static void dump(struct conn *c, const char *what, const char *path, bool list,
                 struct p9c_reply *r)
{
    walk(c, what, ROOT_FID, FILE_FID, path, r);
    lopen(c, what, FILE_FID, list ? P9_DOTL_RDONLY | P9_DOTL_DIRECTORY : P9_DOTL_RDONLY, r);
    uint64_t offset = 0;
    for (;;) {
        struct p9_data d = read_at(c, what, list ? P9_TREADDIR : P9_TREAD, FILE_FID, offset, r);
        if (d.count == 0)
            break;
        if (!list) {
            fwrite(d.ptr, 1, d.count, stdout);
            offset += d.count;
            continue;
        }
        /* qid[13] offset[8] type[1] name[s], back to back */
        uint8_t *entries = g_memdup2(d.ptr, d.count);
        for (uint32_t pos = 0; pos < d.count;) {
            uint16_t len = d.count - pos >= 24 ? entries[pos + 22] | entries[pos + 23] << 8 : 0;
            struct p9_args e;
            if (d.count - pos < 24 ||
                p9_decode(entries + pos, 24 + len, "Qqbs", P9_2000_L, &e))
                fail(what, "bad directory entry");
            if (strcmp(e.a[3].s.s, ".") && strcmp(e.a[3].s.s, ".."))
                printf("%s\n", e.a[3].s.s);
            offset = e.a[1].q;
            pos += 24 + len;
        }
        g_free(entries);
    }
    clunk(c, what, FILE_FID, r);
}

/* hold's commands; false at quit or the end of input. */
static bool hold_command(struct conn *c, char *line, struct p9c_reply *r)
{
    if (strcmp(line, "read") == 0) {
        GChecksum *md5 = g_checksum_new(G_CHECKSUM_MD5);
        uint64_t size = 0;
        for (;;) {
            struct p9_data d = read_at(c, line, P9_TREAD, FILE_FID, size, r);
            if (d.count == 0)
                break;
            g_checksum_update(md5, d.ptr, d.count);
            size += d.count;
        }
        answer("ok %" PRIu64 " %s", size, g_checksum_get_string(md5));
        g_checksum_free(md5);
    } else if (strcmp(line, "start") == 0) {
        if (c->read_outstanding)
            fail(line, "a read is already outstanding");
        send_read(c, line, P9_TREAD, FILE_FID, 0, HELD_READ_TAG);
        c->read_outstanding = true;
        answer("sent %u", HELD_READ_TAG);
    } else if (strcmp(line, "finish") == 0) {
        if (!c->read_outstanding)
            fail(line, "no read outstanding");
        if (c->early_reply) {
            uint32_t size;
            uint8_t id;
            uint16_t tag;
            p9_get_header(c->early_reply, &size, &id, &tag);
            memcpy(c->buf, c->early_reply, size);
            g_clear_pointer(&c->early_reply, g_free);
            parse_reply(c, line, P9_TREAD, size, r);
        } else {
            recv_reply(c, line, P9_TREAD, HELD_READ_TAG, r);
        }
        c->read_outstanding = false;
        answer("ok %" PRIu32, read_payload(c, line, r).count);
    } else if (strcmp(line, "stat") == 0) {
        union p9_arg a[2] = { { .d = DIR_FID }, { .q = P9_GETATTR_BASIC } };
        rpc(c, line, P9_TGETATTR, a, r);
        if (!(r->body.a[1].Q.type & P9_QTDIR))
            fail(line, "the root is no longer a directory");
        answer("ok");
    } else if (g_str_has_prefix(line, "walk ")) {
        walk(c, line, DIR_FID, WALK_FID, line + 5, r);
        clunk(c, line, WALK_FID, r);
        answer("ok");
    } else if (strcmp(line, "quit") == 0) {
        return false;
    } else {
        fail(line, "unknown command");
    }
    return true;
}

static void hold(struct conn *c, const char *path, struct p9c_reply *r)
{
    g_autofree char *what = g_strdup_printf("hold %s", path);
    walk(c, what, ROOT_FID, FILE_FID, path, r);
    lopen(c, what, FILE_FID, P9_DOTL_RDONLY, r);
    walk(c, what, ROOT_FID, DIR_FID, "", r);
    char *line = NULL;
    size_t cap = 0;
    bool quit = false;
    while (!quit && getline(&line, &cap, stdin) >= 0) {
        g_strstrip(line);
        if (*line)
            quit = !hold_command(c, line, r);
    }
    const char *end = quit ? "quit" : "end of input";
    clunk(c, end, FILE_FID, r);
    clunk(c, end, DIR_FID, r);
    clunk(c, end, ROOT_FID, r);
    if (quit)
        answer("bye");
    free(line);
}

int main(int argc, char **argv)
{
    const char *command = argc == 4 ? argv[2] : "";
    bool list = strcmp(command, "ls") == 0, holding = strcmp(command, "hold") == 0;
    if (!list && !holding && strcmp(command, "cat") != 0) {
        fprintf(stderr, "usage: p9probe unix:PATH|tcp:A.B.C.D:PORT cat FILE|ls DIR|hold FILE\n");
        return 2;
    }
    errors_on_stdout = holding;
    struct conn c = { .fd = connect_to(argv[1]), .msize = MSIZE, .tag = 1,
                      .buf = g_malloc(MSIZE) };
    if (c.fd < 0)
        fail("connect", "%s: %s", argv[1], g_strerror(errno));
    struct p9c_reply *r = g_new(struct p9c_reply, 1);
    session_start(&c, r);
    if (holding) {
        hold(&c, argv[3], r);
    } else {
        g_autofree char *what = g_strdup_printf("%s %s", command, argv[3]);
        dump(&c, what, argv[3], list, r);
    }
    close(c.fd);
    g_free(c.early_reply);
    g_free(r);
    g_free(c.buf);
    return 0;
}
