// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A worker serving one socket connection (xen9pd --listen): the same
 * confinement as a Xen device's worker, so the socket tests exercise it too.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "backend/server/server.h"
#include "backend/worker/socket_conn.h"
#include "backend/worker/worker_main.h"

int worker_serve_socket(const struct worker_args *a, int link, struct link_msg *msg)
{
    struct fsdrv_config cfg;
    char *why = NULL;
    struct fsdrv_export *exp = NULL;
    if (msg->nfds != 2 || !worker_export_config(msg, &cfg)) {
        g_warning("the supervisor's assignment is incomplete");
        return 1;
    }
    int export_fd = msg->fds[0], sock = msg->fds[1];
    msg->fds[0] = msg->fds[1] = -1;
    if (worker_confine_and_open(a, export_fd, -1, &cfg, &exp, &why)) {
        g_warning("%s", why);
        g_free(why);
        close(sock);
        return 1;
    }
    struct wakeup wake;
    wakeup_init(&wake);
    struct socket_conn *c = socket_conn_new(sock, exp, a->label, &wake);
    link_send_empty(link, "ready");
    const char *end = NULL;
    int rc = 0;
    while (!end) {
        short events = socket_conn_events(c);
        struct pollfd p[3] = { { .fd = events ? sock : -1, .events = events },
                               { .fd = wake.fd, .events = POLLIN },
                               { .fd = link, .events = POLLIN } };
        if (poll(p, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            end = g_strerror(errno);
            rc = 1;
            break;
        }
        if (p[2].revents) {
            struct link_msg q;
            if (link_recv(link, &q) <= 0 || strcmp(q.name, "stop") == 0)
                end = "server stopping";
            link_msg_clear(&q);
        }
        if (p[1].revents)
            wakeup_drain(&wake);
        if (!end && !socket_conn_service(c, p[0].revents, &end))
            g_info("closed (%s)", end);
    }
    socket_conn_free(c);
    if (!p9_server_wait_idle(5))
        g_warning("some requests were still running after 5 s");
    fsdrv_export_close(exp);
    wakeup_close(&wake);
    return rc;
}
