// SPDX-License-Identifier: GPL-2.0-or-later
/* The supervisor <-> worker messages (see worker_link.h). */
#include "config.h"

#include "backend/common/worker_link.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MSG_TYPE "(sa{sv})"

void link_attach_fds(struct msghdr *mh, void *control, const int *fds, unsigned nfds)
{
    if (!nfds)
        return;
    memset(control, 0, CMSG_SPACE(sizeof(int) * nfds));
    mh->msg_control = control;
    mh->msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    struct cmsghdr *c = CMSG_FIRSTHDR(mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
}

int link_pair(int fds[2])
{
    return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds);
}

bool link_send(int sock, const char *name, GVariantDict *dict, const int *fds, unsigned nfds)
{
    GVariantDict empty;
    if (!dict) {
        g_variant_dict_init(&empty, NULL);
        dict = &empty;
    }
    GVariant *v = g_variant_ref_sink(g_variant_new("(s@a{sv})", name, g_variant_dict_end(dict)));
    gsize size = g_variant_get_size(v);
    bool ok = false;
    if (size <= LINK_MAX_PACKET && nfds <= LINK_MAX_FDS) {
        struct iovec iov = { .iov_base = (void *)g_variant_get_data(v), .iov_len = size };
        union {
            char buf[CMSG_SPACE(sizeof(int) * LINK_MAX_FDS)];
            struct cmsghdr align;
        } control;
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        link_attach_fds(&mh, control.buf, fds, nfds);
        ssize_t n;
        while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
            ;
        ok = n == (ssize_t)size;
    } else {
        errno = EMSGSIZE;
    }
    g_variant_unref(v);
    return ok;
}

bool link_send_empty(int sock, const char *name)
{
    return link_send(sock, name, NULL, NULL, 0);
}

static void close_fds(const int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        close(fds[i]);
}

int link_recv(int sock, struct link_msg *msg)
{
    memset(msg, 0, sizeof(*msg));
    uint8_t *buf = g_malloc(LINK_MAX_PACKET);
    struct iovec iov = { .iov_base = buf, .iov_len = LINK_MAX_PACKET };
    union {
        char buf[CMSG_SPACE(sizeof(int) * LINK_MAX_FDS)];
        struct cmsghdr align;
    } control;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof(control.buf) };
    ssize_t n;
    while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n <= 0) {
        g_free(buf);
        return n == 0 ? 0 : -1;
    }
    int fds[LINK_MAX_FDS];
    unsigned nfds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        unsigned k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int got[LINK_MAX_FDS * 2];
        k = MIN(k, G_N_ELEMENTS(got));
        memcpy(got, CMSG_DATA(c), k * sizeof(int));
        for (unsigned i = 0; i < k; i++) {
            if (nfds < LINK_MAX_FDS)
                fds[nfds++] = got[i];
            else
                close(got[i]);
        }
    }
    /* Untrusted bytes: GVariant checks them (normal form) as they are read. */
    GVariant *v = g_variant_ref_sink(
        g_variant_new_from_data(G_VARIANT_TYPE(MSG_TYPE), buf, n, FALSE, g_free, buf));
    bool ok = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) == 0 && g_variant_is_normal_form(v);
    if (ok) {
        GVariant *dict;
        const char *name;
        g_variant_get(v, "(&s@a{sv})", &name, &dict);
        msg->name = g_strdup(name);
        g_variant_dict_init(&msg->fields, dict);
        g_variant_unref(dict);
        memcpy(msg->fds, fds, nfds * sizeof(int));
        msg->nfds = nfds;
    } else {
        close_fds(fds, nfds);
        errno = EPROTO;
    }
    g_variant_unref(v);
    return ok ? 1 : -1;
}

void link_msg_clear(struct link_msg *msg)
{
    if (!msg->name)
        return;
    g_free(msg->name);
    g_variant_dict_clear(&msg->fields);
    close_fds(msg->fds, msg->nfds);
    memset(msg, 0, sizeof(*msg));
}

bool link_wait_readable(int sock, gint64 deadline)
{
    for (;;) {
        gint64 left = deadline - g_get_monotonic_time();
        struct pollfd p = { .fd = sock, .events = POLLIN };
        int n = poll(&p, 1, left > 0 ? (int)(left / 1000) : 0);
        if (n >= 0 || errno != EINTR)
            return n > 0;
    }
}

bool link_readable(int sock)
{
    return link_wait_readable(sock, 0);
}

bool link_get_u32(struct link_msg *msg, const char *key, uint32_t *out)
{
    return g_variant_dict_lookup(&msg->fields, key, "u", out);
}

bool link_get_u64(struct link_msg *msg, const char *key, uint64_t *out)
{
    guint64 v;
    if (!g_variant_dict_lookup(&msg->fields, key, "t", &v))
        return false;
    *out = v;
    return true;
}

bool link_get_bool(struct link_msg *msg, const char *key, bool *out)
{
    gboolean v;
    if (!g_variant_dict_lookup(&msg->fields, key, "b", &v))
        return false;
    *out = v;
    return true;
}

char *link_get_str(struct link_msg *msg, const char *key)
{
    char *s = NULL;
    return g_variant_dict_lookup(&msg->fields, key, "s", &s) ? s : NULL;
}

uint32_t *link_get_u32s(struct link_msg *msg, const char *key, gsize *n)
{
    GVariant *v = g_variant_dict_lookup_value(&msg->fields, key, G_VARIANT_TYPE("au"));
    if (!v)
        return NULL;
    const uint32_t *data = g_variant_get_fixed_array(v, n, sizeof(uint32_t));
    uint32_t *copy = g_memdup2(data, *n * sizeof(uint32_t));
    g_variant_unref(v);
    return copy;
}
