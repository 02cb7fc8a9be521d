// SPDX-License-Identifier: GPL-2.0-or-later
/* A pipelined 9P client over a stream socket (see p9sock.h). */
#include "config.h"

#include "tools/p9sock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#define INBUF (256u * 1024)

struct slot {
    bool sent;
    uint8_t *msg;               /* the reply once it arrived */
    uint32_t size;
};

struct p9sock {
    int fd;
    unsigned dialect;
    uint8_t *out;
    size_t out_cap;
    uint8_t in[INBUF];          /* bytes read past the last whole message */
    size_t in_start, in_end;
    struct slot slots[P9_NOTAG + 1];
};

struct p9sock *p9sock_connect(const char *address, char **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (!g_str_has_prefix(address, "unix:") || strlen(address + 5) >= sizeof(sa.sun_path)) {
        *error = g_strdup_printf("%s: want unix:PATH", address);
        return NULL;
    }
    strcpy(sa.sun_path, address + 5);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        *error = g_strdup_printf("cannot connect to %s: %s", address, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    struct p9sock *s = g_new0(struct p9sock, 1);
    s->fd = fd;
    s->dialect = P9_2000_L;
    return s;
}

void p9sock_close(struct p9sock *s)
{
    if (!s)
        return;
    close(s->fd);
    for (size_t t = 0; t <= P9_NOTAG; t++)
        g_free(s->slots[t].msg);
    g_free(s->out);
    g_free(s);
}

int p9sock_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t done = write(fd, p, n);
        if (done < 0 && errno == EINTR)
            continue;
        if (done <= 0)
            return done < 0 ? -errno : -EPIPE;
        p += done;
        n -= done;
    }
    return 0;
}

int p9sock_send(struct p9sock *s, uint8_t id, const union p9_arg *args, uint16_t *tag)
{
    /* the lowest free tag, as Linux's client takes them */
    unsigned t = P9_NOTAG;
    if (id != P9_TVERSION) {
        for (t = 0; t < P9_NOTAG && s->slots[t].sent; t++)
            ;
        if (t == P9_NOTAG)
            return -EBUSY;
    }
    size_t size = p9c_size(id, s->dialect, args);
    if (!size)
        return -EINVAL;
    if (size > s->out_cap) {
        s->out_cap = size;
        s->out = g_realloc(s->out, size);
    }
    p9c_build(s->out, size, id, (uint16_t)t, s->dialect, args);
    int err = p9sock_write_all(s->fd, s->out, size);
    if (!err) {
        s->slots[t].sent = true;
        *tag = (uint16_t)t;
    }
    return err;
}

/* Fills `p` with `n` bytes: first what is buffered, then straight from the
 * socket when more than a buffer's worth is missing (a large Rread). */
static int take(struct p9sock *s, uint8_t *p, size_t n)
{
    while (n) {
        if (s->in_start == s->in_end) {
            s->in_start = s->in_end = 0;
            bool direct = n >= INBUF;
            ssize_t got = read(s->fd, direct ? p : s->in, direct ? n : INBUF);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                return got < 0 ? -errno : -EPIPE;
            if (direct) {
                p += got;
                n -= (size_t)got;
                continue;
            }
            s->in_end = (size_t)got;
        }
        size_t k = MIN(n, s->in_end - s->in_start);
        memcpy(p, s->in + s->in_start, k);
        s->in_start += k;
        p += k;
        n -= k;
    }
    return 0;
}

/* Reads one reply into its tag's slot. */
static int receive(struct p9sock *s)
{
    uint8_t hdr[P9_HDR_SIZE];
    int err = take(s, hdr, sizeof(hdr));
    if (err)
        return err;
    uint32_t size;
    uint8_t id;
    uint16_t tag;
    p9_get_header(hdr, &size, &id, &tag);
    if (size < P9_HDR_SIZE || !s->slots[tag].sent || s->slots[tag].msg)
        return -EPROTO;
    uint8_t *msg = g_malloc(size);
    memcpy(msg, hdr, sizeof(hdr));
    if ((err = take(s, msg + P9_HDR_SIZE, size - P9_HDR_SIZE))) {
        g_free(msg);
        return err;
    }
    s->slots[tag].msg = msg;
    s->slots[tag].size = size;
    return 0;
}

int p9sock_wait(struct p9sock *s, uint16_t tag, struct p9front_reply *reply)
{
    struct slot *sl = &s->slots[tag];
    if (!sl->sent)
        return -EINVAL;
    for (int err; !sl->msg;)
        if ((err = receive(s)))
            return err;
    *reply = (struct p9front_reply){ .buf = sl->msg, .size = sl->size };
    *sl = (struct slot){ 0 };
    int err = p9c_parse(reply->buf, reply->size, s->dialect, &reply->r) ? -EPROTO : 0;
    if (err) {
        g_free(reply->buf);
        reply->buf = NULL;
    }
    return err;
}

int p9sock_mount(struct p9sock *s, const char *version, uint32_t msize, const char *aname)
{
    struct p9front_reply r;
    union p9_arg a[5] = { { .d = msize }, { .s = p9_str_of(version) } };
    uint16_t tag;
    s->dialect = P9_2000;           /* Tversion/Rversion have no dialect fields */
    int err = p9sock_send(s, P9_TVERSION, a, &tag);
    if (err || (err = p9sock_wait(s, tag, &r)))
        return err;
    bool dotl = r.r.id == P9_RVERSION && strcmp(r.r.body.a[1].s.s, "9P2000.L") == 0;
    msize = r.r.body.a[0].d;
    g_free(r.buf);
    if (!dotl)
        return -EPROTONOSUPPORT;    /* the benchmark's messages are 9P2000.L's */
    s->dialect = P9_2000_L;
    a[0].d = 0;
    a[1].d = P9_NOFID;
    a[2].s = p9_str_of("root");
    a[3].s = p9_str_of(aname);
    a[4].d = 0;
    if ((err = p9sock_send(s, P9_TATTACH, a, &tag)) || (err = p9sock_wait(s, tag, &r)))
        return err;
    err = -r.r.error;
    g_free(r.buf);
    return err ? err : (int)msize;
}
