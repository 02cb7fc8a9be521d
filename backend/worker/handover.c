// SPDX-License-Identifier: GPL-2.0-or-later
/* A worker's state carried to the next one (see handover.h). */
#include "config.h"

#include "backend/worker/handover.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "backend/server/server.h"

/* Fids and their descriptors wait in the new worker until all have come. */
#define HANDOVER_MAX_MESSAGES (1u << 20)

static bool send_fid(void *ctx, GVariantDict *fields, const int *fds, unsigned nfds)
{
    return link_send(*(int *)ctx, "fid", fields, fds, nfds);
}

bool handover_send_session(int sock, struct p9_session *s, char **why)
{
    GVariantDict header;
    g_variant_dict_init(&header, NULL);
    p9_session_save_header(s, &header);
    bool ok = link_send(sock, "session", &header, NULL, 0) &&
              p9_session_save_fids(s, send_fid, &sock);
    if (!ok)
        *why = g_strdup_printf("cannot send the session's state: %s", g_strerror(errno));
    return ok;
}

void handover_report(int link, bool handed_over, char *why)
{
    GVariantDict a;
    g_variant_dict_init(&a, NULL);
    if (why) {
        g_variant_dict_insert(&a, "why", "s", why);
        g_warning("hand-over failed, serving on: %s", why);
    }
    link_send(link, handed_over ? "handed-over" : "hand-over-failed", &a, NULL, 0);
    g_free(why);
}

/* Sends `name`, then true if the answer is `want` (within HANDOVER_TAKE_MS). */
static bool exchange(int sock, const char *name, const char *want)
{
    if (!link_send_empty(sock, name))
        return false;
    struct link_msg answer;
    if (!link_wait_readable(sock, g_get_monotonic_time() + HANDOVER_TAKE_MS * 1000) ||
        link_recv(sock, &answer) <= 0)
        return false;
    bool ok = strcmp(answer.name, want) == 0;
    link_msg_clear(&answer);
    return ok;
}

bool handover_prepare(int sock, char **why)
{
    if (exchange(sock, "prepare", "prepared"))
        return true;
    *why = g_strdup(LINK_HANDOVER_NOT_TAKEN);
    return false;
}

bool handover_finish(int sock)
{
    return exchange(sock, "end", "taken");
}

static void free_msg(gpointer p)
{
    link_msg_clear(p);
    g_free(p);
}

void handover_state_init(struct handover_state *st)
{
    memset(st, 0, sizeof(*st));
    st->channels = g_ptr_array_new_with_free_func(free_msg);
    st->rings = g_ptr_array_new_with_free_func(free_msg);
    st->fids = g_ptr_array_new_with_free_func(free_msg);
}

bool handover_receive(int sock, const char *until, struct handover_state *st, char **why)
{
    gint64 deadline = g_get_monotonic_time() + HANDOVER_TAKE_MS * 1000;
    for (unsigned n = 0; n < HANDOVER_MAX_MESSAGES; n++) {
        struct link_msg *m = g_new0(struct link_msg, 1);
        if (!link_wait_readable(sock, deadline) || link_recv(sock, m) <= 0) {
            g_free(m);
            *why = g_strdup_printf("the old worker stopped handing over (no \"%s\")", until);
            return false;
        }
        if (strcmp(m->name, until) == 0) {
            free_msg(m);
            bool complete = strcmp(until, "end") != 0 || st->session.name;
            if (!complete)
                *why = g_strdup("the old worker handed over no session");
            return complete;
        }
        if (strcmp(m->name, "session") == 0 && !st->session.name) {
            st->session = *m;
            g_free(m);
        } else if (strcmp(m->name, "channel") == 0) {
            g_ptr_array_add(st->channels, m);
        } else if (strcmp(m->name, "ring") == 0) {
            g_ptr_array_add(st->rings, m);
        } else if (strcmp(m->name, "fid") == 0) {
            g_ptr_array_add(st->fids, m);
        } else if (strcmp(m->name, "connection") == 0 && !st->connection) {
            st->connection = m;
        } else {
            *why = g_strdup_printf("unexpected \"%s\" in the handed-over state", m->name);
            free_msg(m);
            return false;
        }
    }
    *why = g_strdup("the handed-over state has no end");
    return false;
}

bool handover_restore_session(struct handover_state *st, struct p9_session *s, char **why)
{
    uint32_t nfids;
    if (!p9_session_restore_header(s, &st->session.fields, &nfids, why))
        return false;
    if (nfids != st->fids->len) {
        *why = g_strdup_printf("%u fids announced, %u came", nfids, st->fids->len);
        return false;
    }
    for (guint i = 0; i < st->fids->len; i++) {
        struct link_msg *m = st->fids->pdata[i];
        if (!p9_session_restore_fid(s, &m->fields, m->fds, m->nfds, why))
            return false;
    }
    return true;
}

void handover_state_clear(struct handover_state *st)
{
    if (st->channels)
        g_ptr_array_free(st->channels, TRUE);
    if (st->rings)
        g_ptr_array_free(st->rings, TRUE);
    if (st->fids)
        g_ptr_array_free(st->fids, TRUE);
    if (st->connection)
        free_msg(st->connection);
    link_msg_clear(&st->session);
    memset(st, 0, sizeof(*st));
}
