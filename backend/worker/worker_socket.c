// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A worker serving one socket connection (xen9pd --listen): the same
 * confinement as a Xen device's worker, so the socket tests exercise it too.
 * An upgrade hands the connection itself to the next worker (handover.h):
 * the client keeps its connection, its fids and its open files.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "backend/server/server.h"
#include "backend/worker/handover.h"
#include "backend/worker/socket_conn.h"
#include "backend/worker/worker_main.h"

/* One round of the connection's loop: false with *end when it is finished. */
static bool service(struct socket_conn *c, struct wakeup *wake, int link, int timeout_ms,
                    bool *link_ready, const char **end)
{
    short events = socket_conn_events(c);
    struct pollfd p[3] = { { .fd = events ? socket_conn_fd(c) : -1, .events = events },
                           { .fd = wake->fd, .events = POLLIN },
                           { .fd = link, .events = POLLIN } };
    if (poll(p, 3, timeout_ms) < 0) {
        if (errno == EINTR)
            return true;
        *end = g_strerror(errno);
        return false;
    }
    *link_ready = p[2].revents != 0;
    if (p[1].revents)
        wakeup_drain(wake);
    return socket_conn_service(c, p[0].revents, end);
}

/* Stops taking requests and serves until those in flight are answered. */
static bool quiesce(struct socket_conn *c, struct wakeup *wake, char **why)
{
    socket_conn_pause(c, true);
    gint64 deadline = g_get_monotonic_time() + HANDOVER_QUIESCE_MS * 1000;
    const char *end = NULL;
    bool link_ready;
    while (!socket_conn_settled(c)) {
        if (g_get_monotonic_time() > deadline || !service(c, wake, -1, 10, &link_ready, &end)) {
            socket_conn_pause(c, false);
            *why = end ? g_strdup_printf("the connection ended: %s", end)
                       : g_strdup_printf("requests still in flight after %u ms",
                                         HANDOVER_QUIESCE_MS);
            return false;
        }
    }
    return true;
}

/* Hands the connection to the worker at the other end of `sock`: true once it serves. */
static bool hand_over(struct socket_conn *c, struct wakeup *wake, int sock, char **why)
{
    /* The new worker confines itself while we serve: not part of the pause. */
    if (!handover_prepare(sock, why))
        return false;
    gint64 began = g_get_monotonic_time();
    if (!quiesce(c, wake, why))
        return false;
    uint32_t len;
    const uint8_t *input = socket_conn_pending(c, &len);
    GVariantDict f;
    g_variant_dict_init(&f, NULL);
    g_variant_dict_insert_value(&f, "input", g_variant_new_fixed_array(G_VARIANT_TYPE_BYTE,
                                                                       input, len, 1));
    int fd = socket_conn_fd(c);
    if (!link_send(sock, "connection", &f, &fd, 1) ||
        !handover_send_session(sock, socket_conn_session(c), why) || !handover_finish(sock)) {
        if (!*why)
            *why = g_strdup(LINK_HANDOVER_NOT_TAKEN);
        socket_conn_pause(c, false);
        return false;
    }
    g_message("handed over to a new worker (paused %.1f ms)",
              (g_get_monotonic_time() - began) / 1000.0);
    return true;
}

/* The supervisor's message: false when the connection is to end here. */
static bool answer(struct socket_conn *c, struct wakeup *wake, int link, bool *handed_over)
{
    struct link_msg q;
    if (link_recv(link, &q) <= 0)
        return false;
    bool go_on = strcmp(q.name, "stop") != 0;
    if (strcmp(q.name, "hand-over") == 0 && q.nfds == 1) {
        char *why = NULL;
        *handed_over = hand_over(c, wake, q.fds[0], &why);
        handover_report(link, *handed_over, why);
        go_on = !*handed_over;
    }
    link_msg_clear(&q);
    return go_on;
}

/* The connection and the session the old worker handed over, into `c`'s place. */
static struct socket_conn *take_over(struct handover_state *st, struct fsdrv_export *exp,
                                     const char *label, struct wakeup *wake, char **why)
{
    struct link_msg *m = st->connection;
    GVariant *input = m ? g_variant_dict_lookup_value(&m->fields, "input",
                                                      G_VARIANT_TYPE_BYTESTRING) : NULL;
    if (!input || m->nfds != 1) {
        if (input)
            g_variant_unref(input);
        *why = g_strdup("the old worker handed over no connection");
        return NULL;
    }
    struct socket_conn *c = socket_conn_new(m->fds[0], exp, label, wake);
    m->fds[0] = -1;
    gsize len;
    const uint8_t *bytes = g_variant_get_fixed_array(input, &len, 1);
    bool ok = socket_conn_take_input(c, bytes, len);
    g_variant_unref(input);
    if (!ok)
        *why = g_strdup("the handed-over input is larger than a message");
    if (!ok || !handover_restore_session(st, socket_conn_session(c), why)) {
        socket_conn_free(c);
        return NULL;
    }
    return c;
}

int worker_serve_socket(const struct worker_args *a, int link, struct link_msg *msg)
{
    struct fsdrv_config cfg;
    char *why = NULL;
    struct fsdrv_export *exp = NULL;
    bool taking = strcmp(msg->name, "take-over-socket") == 0;
    struct handover_state taken;
    handover_state_init(&taken);
    if (msg->nfds != 2 || !worker_export_config(msg, &cfg)) {
        g_warning("the supervisor's assignment is incomplete");
        return 1;
    }
    int export_fd = msg->fds[0], sock = taking ? -1 : msg->fds[1];
    msg->fds[0] = -1;
    if (!taking)
        msg->fds[1] = -1;
    if ((taking && !handover_receive(msg->fds[1], "prepare", &taken, &why)) ||
        worker_confine_and_open(a, export_fd, -1, &cfg, NULL, NULL, &exp, &why) ||
        (taking && (!link_send_empty(msg->fds[1], "prepared") ||
                    !handover_receive(msg->fds[1], "end", &taken, &why)))) {
        g_warning("%s", why);
        worker_send_failed(link, why);
        g_free(why);
        handover_state_clear(&taken);
        if (sock >= 0)
            close(sock);
        if (exp)
            fsdrv_export_close(exp);
        return 1;
    }
    struct wakeup wake;
    wakeup_init(&wake);
    struct socket_conn *c = taking ? take_over(&taken, exp, a->label, &wake, &why)
                                   : socket_conn_new(sock, exp, a->label, &wake);
    handover_state_clear(&taken);
    if (!c) {
        g_warning("%s", why);
        worker_send_failed(link, why);
        g_free(why);
        fsdrv_export_close(exp);
        wakeup_close(&wake);
        return 1;
    }
    if (taking) {
        link_send_empty(msg->fds[1], "taken");
        g_message("took the connection over");
    }
    link_send_empty(link, "ready");
    const char *end = NULL;
    bool handed_over = false;
    int rc = 0;
    while (!end) {
        bool link_ready = false;
        if (!service(c, &wake, link, -1, &link_ready, &end)) {
            g_info("closed (%s)", end);
            break;
        }
        if (link_ready && !answer(c, &wake, link, &handed_over))
            end = handed_over ? "handed over" : "server stopping";
    }
    if (handed_over)
        socket_conn_forget(c);
    else
        socket_conn_free(c);
    if (!p9_server_wait_idle(5))
        g_warning("some requests were still running after 5 s");
    fsdrv_export_close(exp);
    wakeup_close(&wake);
    return rc;
}
