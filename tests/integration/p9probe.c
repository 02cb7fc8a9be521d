// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * p9probe: a minimal synchronous 9P2000.L client over a stream socket,
 * built on backend/proto/p9_client.h, for the integration tests of xen9pd's
 * socket listener (diod's tools cannot use a unix socket).
 *
 *   p9probe unix:PATH|tcp:A.B.C.D:PORT cat FILE    file contents to stdout
 *   p9probe unix:PATH|tcp:A.B.C.D:PORT ls DIR      one name per line
 *
 * Exit status: 0, or 1 with the server's error on stderr.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include "backend/proto/p9_client.h"

#define MSIZE 65536u

struct conn {
    int fd;
    uint16_t tag;
    uint8_t *buf;
};

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

static bool io_all(int fd, uint8_t *p, size_t n, bool writing)
{
    while (n) {
        ssize_t done = writing ? write(fd, p, n) : read(fd, p, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return false;
        p += done;
        n -= done;
    }
    return true;
}

/* One request, its reply decoded into `out` (valid until the next call). */
static int rpc(struct conn *c, uint8_t id, const union p9_arg *a, struct p9c_reply *out)
{
    uint16_t tag = id == P9_TVERSION ? P9_NOTAG : c->tag++;
    size_t size = p9c_build(c->buf, MSIZE, id, tag, P9_2000_L, a);
    if (!size || !io_all(c->fd, c->buf, size, true) || !io_all(c->fd, c->buf, P9_HDR_SIZE, false)) {
        fprintf(stderr, "p9probe: connection failed\n");
        exit(1);
    }
    uint32_t rsize;
    uint8_t rid;
    uint16_t rtag;
    p9_get_header(c->buf, &rsize, &rid, &rtag);
    if (rsize < P9_HDR_SIZE || rsize > MSIZE ||
        !io_all(c->fd, c->buf + P9_HDR_SIZE, rsize - P9_HDR_SIZE, false) ||
        p9c_parse(c->buf, rsize, P9_2000_L, out) != 0 || rtag != tag) {
        fprintf(stderr, "p9probe: bad reply to message %u\n", id);
        exit(1);
    }
    if (out->error)
        return out->error;
    if (rid != id + 1) {
        fprintf(stderr, "p9probe: reply %u to message %u\n", rid, id);
        exit(1);
    }
    return 0;
}

static void check(int err, const char *what, const char *path)
{
    if (err) {
        fprintf(stderr, "p9probe: %s %s: %s\n", what, path, g_strerror(err));
        exit(1);
    }
}

/* Walks fid 0 (the root) to `path` as fid 1. */
static int walk(struct conn *c, const char *path, struct p9c_reply *r)
{
    gchar **parts = g_strsplit(path, "/", -1);
    struct p9_str names[P9_MAXWELEM];
    unsigned n = 0;
    for (gchar **p = parts; *p; p++) {
        if (**p && n < P9_MAXWELEM)
            names[n++] = p9_str_of(*p);
    }
    union p9_arg a[3] = { { .d = 0 }, { .d = 1 } };
    a[2].T.n = n;
    a[2].T.v = names;
    int err = rpc(c, P9_TWALK, a, r);
    if (!err && r->body.a[0].R.n != n)
        err = ENOENT;
    g_strfreev(parts);
    return err;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[2], "cat") != 0 && strcmp(argv[2], "ls") != 0)) {
        fprintf(stderr, "usage: p9probe unix:PATH|tcp:A.B.C.D:PORT cat FILE|ls DIR\n");
        return 2;
    }
    struct conn c = { .fd = connect_to(argv[1]), .tag = 1, .buf = g_malloc(MSIZE) };
    if (c.fd < 0) {
        fprintf(stderr, "p9probe: cannot connect to %s: %s\n", argv[1], g_strerror(errno));
        return 1;
    }
    struct p9c_reply *r = g_new(struct p9c_reply, 1);
    union p9_arg v[2] = { { .d = MSIZE }, { .s = p9_str_of("9P2000.L") } };
    check(rpc(&c, P9_TVERSION, v, r), "version", "");
    if (strcmp(r->body.a[1].s.s, "9P2000.L") != 0)
        check(EPROTO, "version", r->body.a[1].s.s);
    union p9_arg at[5] = { { .d = 0 }, { .d = P9_NOFID }, { .s = p9_str_of("") },
                           { .s = p9_str_of("") }, { .d = getuid() } };
    check(rpc(&c, P9_TATTACH, at, r), "attach", "");
    check(walk(&c, argv[3], r), "walk", argv[3]);
    bool list = strcmp(argv[2], "ls") == 0;
    union p9_arg o[2] = { { .d = 1 }, { .d = list ? P9_DOTL_RDONLY | P9_DOTL_DIRECTORY
                                                  : P9_DOTL_RDONLY } };
    check(rpc(&c, P9_TLOPEN, o, r), "open", argv[3]);
    uint64_t offset = 0;
    for (;;) {
        union p9_arg rd[3] = { { .d = 1 }, { .q = offset }, { .d = MSIZE - P9_IOHDR_SIZE } };
        check(rpc(&c, list ? P9_TREADDIR : P9_TREAD, rd, r), "read", argv[3]);
        uint32_t count = r->body.a[0].D.count;
        const uint8_t *data = r->body.a[0].D.ptr;
        if (count == 0)
            break;
        if (!list) {
            fwrite(data, 1, count, stdout);
            offset += count;
            continue;
        }
        /* qid[13] offset[8] type[1] name[s], back to back */
        uint8_t *entries = g_memdup2(data, count);
        for (uint32_t pos = 0; pos < count;) {
            uint16_t len = count - pos >= 24 ? entries[pos + 22] | entries[pos + 23] << 8 : 0;
            struct p9_args e;
            if (count - pos < 24 || p9_decode(entries + pos, 24 + len, "Qqbs", P9_2000_L, &e)) {
                fprintf(stderr, "p9probe: bad directory entry\n");
                return 1;
            }
            if (strcmp(e.a[3].s.s, ".") && strcmp(e.a[3].s.s, ".."))
                printf("%s\n", e.a[3].s.s);
            offset = e.a[1].q;
            pos += 24 + len;
        }
        g_free(entries);
    }
    union p9_arg cl[1] = { { .d = 1 } };
    check(rpc(&c, P9_TCLUNK, cl, r), "clunk", argv[3]);
    close(c.fd);
    g_free(r);
    g_free(c.buf);
    return 0;
}
