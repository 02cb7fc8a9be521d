// SPDX-License-Identifier: GPL-2.0-or-later
/* The socket transport's supervisor side (see socket_server.h). */
#include "config.h"

#include "backend/supervisor/socket_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/supervisor/control.h"
#include "backend/supervisor/daemon.h"
#include "backend/supervisor/fdlimit.h"
#include "backend/worker/sandbox.h"
#include "backend/common/worker_link.h"
#include "backend/worker/worker_main.h"
#include "backend/supervisor/worker_proc.h"

struct socket_server {
    int listen_fd;
    char *unix_path;
    char *export_dir;               /* each worker gets its own copy of its mount tree */
    struct fsdrv_config cfg;
    struct worker_options workers;
    GPtrArray *procs;               /* struct worker_proc, one per connection */
    unsigned next_id;
};

/* ---- listening ---- */

static int listen_unix(const char *path, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        goto fail;
    /* A stale socket from an earlier run may be replaced; any other file may not. */
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
        goto fail;
    return fd;
fail:
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot listen on unix:%s: %s",
                path, g_strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

static int listen_tcp(const char *hostport, GError **error)
{
    const char *colon = strrchr(hostport, ':');
    char *host = colon ? g_strndup(hostport, colon - hostport) : NULL;
    char *end = NULL;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    int fd = -1;
    if (!host || *end || port == 0 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "bad TCP address \"%s\" (want tcp:A.B.C.D:PORT)", hostport);
        g_free(host);
        return -1;
    }
    g_free(host);
    int one = 1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot listen on tcp:%s: %s",
                    hostport, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* What the service manager keeps of ours: the listener, each connection's worker. */
#define LISTEN_STORE_NAME "listen"
#define CONN_LABEL "conn"

/* Connections an earlier supervisor handed a worker go on being served. */
static void adopt_connections(struct socket_server *srv)
{
    char **names = daemon_stored_names(WORKER_STORE_PREFIX CONN_LABEL);
    for (char **name = names; *name; name++) {
        const char *label = *name + strlen(WORKER_STORE_PREFIX);
        unsigned long id = strtoul(label + strlen(CONN_LABEL), NULL, 10);
        char *why = NULL;
        struct worker_proc *w = worker_proc_adopt(label, NULL, daemon_take_stored(*name), &why);
        if (!w) {
            g_warning("%s: cannot take its worker back: %s", label, why);
            daemon_unstore_fds(*name);
            g_free(why);
            continue;
        }
        /* Counted like a connection accepted here (worker_gone gives it back). */
        if (!fdlimit_take(FDLIMIT_CONNECTION, label, &why)) {
            g_warning("%s: %s", label, why);
            g_free(why);
        }
        g_ptr_array_add(srv->procs, w);
        srv->next_id = MAX(srv->next_id, (unsigned)id);
        g_message("%s: taken back (worker %d serves on)", label, (int)w->pid);
    }
    g_strfreev(names);
}

struct socket_server *socket_server_new(const char *spec, const char *export_dir,
                                        const struct fsdrv_config *cfg,
                                        const struct worker_options *workers, GError **error)
{
    struct stat st;
    if (stat(export_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        int err = errno ? errno : ENOTDIR;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(err), "cannot export %s: %s",
                    export_dir, g_strerror(err));
        return NULL;
    }
    int fd;
    char *unix_path = NULL;
    GArray *kept = daemon_take_stored(LISTEN_STORE_NAME);
    bool reused = kept && kept->len == 1;
    if (reused) {
        /* A restart: the socket clients connect to never closed. */
        fd = g_array_index(kept, int, 0);
        g_array_free(kept, TRUE);
        fcntl(fd, F_SETFL, O_NONBLOCK);
        if (g_str_has_prefix(spec, "unix:"))
            unix_path = g_strdup(spec + 5);
    } else {
        if (kept) {
            g_warning("the service manager kept %u listening sockets: making a new one",
                      kept->len);
            daemon_unstore_fds(LISTEN_STORE_NAME);
            for (guint i = 0; i < kept->len; i++)
                close(g_array_index(kept, int, i));
            g_array_free(kept, TRUE);
        }
        if (g_str_has_prefix(spec, "unix:")) {
            fd = listen_unix(spec + 5, error);
            unix_path = g_strdup(spec + 5);
        } else if (g_str_has_prefix(spec, "tcp:")) {
            fd = listen_tcp(spec + 4, error);
        } else {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "unknown listen address \"%s\" (want unix:PATH or tcp:ADDRESS:PORT)", spec);
            fd = -1;
        }
    }
    if (fd < 0) {
        g_free(unix_path);
        return NULL;
    }
    if (!reused)
        daemon_store_fds(LISTEN_STORE_NAME, &fd, 1);
    struct socket_server *srv = g_new0(struct socket_server, 1);
    srv->listen_fd = fd;
    srv->unix_path = unix_path;
    srv->export_dir = g_strdup(export_dir);
    srv->cfg = *cfg;
    srv->workers = *workers;
    srv->procs = g_ptr_array_new();
    adopt_connections(srv);
    return srv;
}

/* ---- connections: each one a worker ---- */

static void accept_connection(struct socket_server *srv)
{
    int fd = fdlimit_accept(srv->listen_fd, SOCK_CLOEXEC | SOCK_NONBLOCK, FDLIMIT_CONNECTION,
                            "9P socket");
    if (fd < 0) {
        if (errno != EAGAIN && errno != EINTR && errno != EMFILE)
            g_warning("accept: %s", g_strerror(errno));
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   /* fails harmlessly on unix */
    char *label = g_strdup_printf(CONN_LABEL "%u", ++srv->next_id), *why = NULL;
    struct worker_proc *w = worker_proc_spawn(&srv->workers, label, NULL, &why);
    if (w) {
        GVariantDict d;
        g_variant_dict_init(&d, NULL);
        worker_put_export_config(&d, &srv->cfg);
        g_variant_dict_insert(&d, "trace", "b", (gboolean)srv->workers.trace);
        int fds[2] = { export_tree_of(srv->export_dir), fd };
        if (fds[0] < 0 || !link_send(w->link, "serve-socket", &d, fds, 2)) {
            why = g_strdup_printf("cannot hand the connection over: %s", g_strerror(errno));
            worker_proc_free(w);
            w = NULL;
        }
        if (fds[0] >= 0)
            close(fds[0]);
    }
    close(fd);  /* the worker has its own copy */
    if (w) {
        g_ptr_array_add(srv->procs, w);
        g_info("%s: connected (worker %d)", label, (int)w->pid);
    } else {
        fdlimit_give(FDLIMIT_CONNECTION);
        g_warning("%s: refused: %s", label, why);
        g_free(why);
    }
    g_free(label);
}

static void worker_gone(struct socket_server *srv, struct worker_proc *w)
{
    char *how = worker_proc_describe_exit(w), *cpu = worker_proc_describe_cpu(w);
    if (WIFEXITED(w->status) && WEXITSTATUS(w->status) == 0)
        g_info("%s: closed (worker %d %s, %s)", w->label, (int)w->pid, how, cpu);
    else
        g_warning("%s: worker %d %s", w->label, (int)w->pid, how);
    g_free(how);
    g_free(cpu);
    g_ptr_array_remove_fast(srv->procs, w);
    worker_proc_free(w);
    fdlimit_give(FDLIMIT_CONNECTION);
}

/* Replaces a connection's worker by one of the binary installed now. */
static void upgrade_connection(struct socket_server *srv, guint i, GString *out)
{
    struct worker_proc *old = srv->procs->pdata[i];
    GVariantDict d;
    g_variant_dict_init(&d, NULL);
    worker_put_export_config(&d, &srv->cfg);
    g_variant_dict_insert(&d, "trace", "b", (gboolean)srv->workers.trace);
    int export_fd = export_tree_of(srv->export_dir);
    char *why = NULL;
    gint64 began = g_get_monotonic_time();
    struct worker_proc *w = export_fd < 0 ? NULL
        : worker_proc_upgrade(&srv->workers, old, "take-over-socket", &d, export_fd, &why);
    if (export_fd < 0)
        why = g_strdup_printf("cannot open %s: %s", srv->export_dir, g_strerror(errno));
    else
        close(export_fd);
    g_variant_dict_clear(&d);
    if (!w) {
        g_warning("%s: upgrade failed, worker %d serves on: %s", old->label, (int)old->pid, why);
        g_string_append_printf(out, "failed\t%s\t%s\n", old->label, why);
        g_free(why);
        return;
    }
    double ms = (g_get_monotonic_time() - began) / 1000.0;
    g_message("%s: upgraded, worker %d took over from %d in %.1f ms", old->label, (int)w->pid,
              (int)old->pid, ms);
    g_string_append_printf(out, "upgraded\t%s\t%d\t%d\t%.1f\n", old->label, (int)old->pid,
                           (int)w->pid, ms);
    srv->procs->pdata[i] = w;
    worker_proc_hand_over(old);
}

void socket_server_command(const char *command, GString *out, void *ctx)
{
    struct socket_server *srv = ctx;
    char **words = g_strsplit(command, "\t", 3);
    guint n = g_strv_length(words);
    if (n == 1 && strcmp(words[0], "list") == 0) {
        for (guint i = 0; i < srv->procs->len; i++) {
            struct worker_proc *w = srv->procs->pdata[i];
            g_string_append_printf(out, "connection\t%s\t%d\n", w->label, (int)w->pid);
        }
    } else if (n >= 1 && strcmp(words[0], "upgrade") == 0) {
        /* "upgrade", "upgrade LABEL" or xen9p's "upgrade * *" (all). */
        const char *which = n >= 2 ? words[1] : "*";
        unsigned tried = 0;
        for (guint i = 0; i < srv->procs->len; i++) {
            struct worker_proc *w = srv->procs->pdata[i];
            if (strcmp(which, "*") == 0 || strcmp(which, w->label) == 0) {
                upgrade_connection(srv, i, out);
                tried++;
            }
        }
        if (!tried && strcmp(which, "*") != 0)
            g_string_append(out, "error\tno such connection\n");
    } else {
        g_string_append_printf(out, "error\tunknown command \"%s\" (list, upgrade)\n",
                               words[0] ? words[0] : "");
    }
    g_strfreev(words);
}

void socket_server_run(struct socket_server *srv, int stop_fd, struct control *control)
{
    GArray *fds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    for (;;) {
        g_array_set_size(fds, 3 + 2 * srv->procs->len);
        struct pollfd *p = (struct pollfd *)fds->data;
        p[0] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
        p[1] = (struct pollfd){ .fd = srv->listen_fd, .events = POLLIN };
        p[2] = (struct pollfd){ .fd = control ? control_fd(control) : -1, .events = POLLIN };
        for (guint i = 0; i < srv->procs->len; i++) {
            struct worker_proc *w = srv->procs->pdata[i];
            p[3 + 2 * i] = (struct pollfd){ .fd = w->log, .events = POLLIN };
            p[4 + 2 * i] = (struct pollfd){ .fd = w->pidfd, .events = POLLIN };
        }
        if (poll(p, fds->len, -1) < 0) {
            if (errno == EINTR)
                continue;
            g_warning("poll: %s", g_strerror(errno));
            break;
        }
        if (p[0].revents)
            break;
        /* Snapshot: a worker gone reorders the array. */
        guint n = srv->procs->len;
        struct worker_proc **snapshot = g_memdup2(srv->procs->pdata, n * sizeof(*snapshot));
        for (guint i = 0; i < n; i++) {
            if (p[3 + 2 * i].revents)
                worker_proc_relay_log(snapshot[i]);
            if (p[4 + 2 * i].revents && worker_proc_reap(snapshot[i]))
                worker_gone(srv, snapshot[i]);
        }
        g_free(snapshot);
        if (p[1].revents)
            accept_connection(srv);
        if (p[2].revents)
            control_serve(control);
    }
    g_array_free(fds, TRUE);
}

void socket_server_free(struct socket_server *srv, bool hand_over)
{
    if (hand_over)
        g_message("%u connections go on: the service manager keeps them for the next xen9pd",
                  srv->procs->len);
    while (srv->procs->len) {
        struct worker_proc *w = srv->procs->pdata[0];
        if (hand_over) {
            g_ptr_array_remove_index_fast(srv->procs, 0);
            worker_proc_hand_over(w);
            continue;
        }
        worker_proc_stop(w, 5000);
        worker_gone(srv, w);
    }
    g_ptr_array_free(srv->procs, TRUE);
    close(srv->listen_fd);
    g_free(srv->export_dir);
    if (!hand_over)
        daemon_unstore_fds(LISTEN_STORE_NAME);
    if (srv->unix_path && !hand_over)
        unlink(srv->unix_path);
    g_free(srv->unix_path);
    g_free(srv);
}
