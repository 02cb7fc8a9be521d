// SPDX-License-Identifier: GPL-2.0-or-later
/* Daemonising with a readiness handshake, so "xen9pd" returns only once it serves. */
#include "config.h"

#include "backend/supervisor/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "backend/common/log.h"
#include "backend/common/worker_link.h"

static int ready_fd = -1;
static int pid_fd = -1;         /* open and locked while we run */

int daemon_detach(void)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        g_printerr("xen9pd: pipe: %s\n", g_strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        g_printerr("xen9pd: fork: %s\n", g_strerror(errno));
        return -1;
    }
    if (pid > 0) {
        close(pipefd[1]);
        char ok;
        ssize_t n;
        while ((n = read(pipefd[0], &ok, 1)) < 0 && errno == EINTR)
            ;
        /* The child reports its errors itself (syslog, and our stderr until ready). */
        _exit(n == 1 ? 0 : 1);
    }
    close(pipefd[0]);
    ready_fd = pipefd[1];
    setsid();
    if (chdir("/") < 0)
        return -1;
    /* stderr stays the starting terminal's until the daemon serves: a
     * failed start says why there (daemon_ready lets go of it). */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    xen9p_log_copy_to_stderr(true);
    return 0;
}

/* systemd's notification socket (Type=notify), taken out of the environment
 * the workers inherit. */
static char *notify_socket;
/* What the service manager's descriptor store gave back at our start:
 * name -> GArray of descriptors, until taken. */
static GHashTable *stored;

static bool notify_with_fds(const char *state, const int *fds, unsigned nfds)
{
    if (!notify_socket)
        return false;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len = strlen(notify_socket);
    if (len >= sizeof(sa.sun_path) || (notify_socket[0] != '/' && notify_socket[0] != '@')) {
        g_warning("NOTIFY_SOCKET \"%s\" is not a socket path", notify_socket);
        return false;
    }
    memcpy(sa.sun_path, notify_socket, len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';     /* an abstract socket */
    struct iovec iov = { .iov_base = (void *)state, .iov_len = strlen(state) };
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * DAEMON_STORE_MAX_FDS)];
    } control;
    struct msghdr mh = { .msg_name = &sa,
                         .msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len),
                         .msg_iov = &iov, .msg_iovlen = 1 };
    g_assert(nfds <= DAEMON_STORE_MAX_FDS);
    link_attach_fds(&mh, control.buf, fds, nfds);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0 && sendmsg(fd, &mh, MSG_NOSIGNAL) >= 0;
    if (!ok)
        g_warning("cannot tell the service manager \"%s\": %s", state, g_strerror(errno));
    if (fd >= 0)
        close(fd);
    return ok;
}

static void notify_service_manager(const char *state)
{
    notify_with_fds(state, NULL, 0);
}

static void free_fd_array(gpointer p)
{
    GArray *fds = p;
    for (guint i = 0; i < fds->len; i++)
        close(g_array_index(fds, int, i));
    g_array_free(fds, TRUE);
}

/* sd_listen_fds(3)'s variables: descriptors 3.. with their names, for us only. */
static void take_listen_fds(void)
{
    const char *count = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
    const char *names = getenv("LISTEN_FDNAMES");
    char *end = NULL;
    unsigned long n = count ? strtoul(count, &end, 10) : 0;
    bool ours = pid && strtol(pid, NULL, 10) == (long)getpid();
    if (count && ours && *end == '\0' && n > 0 && n < 65536) {
        char **name = g_strsplit(names ? names : "", ":", -1);
        stored = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_fd_array);
        guint given = g_strv_length(name);
        for (unsigned long i = 0; i < n; i++) {
            int fd = 3 + (int)i;
            fcntl(fd, F_SETFD, FD_CLOEXEC);
            const char *key = i < given && *name[i] ? name[i] : "unknown";
            GArray *fds = g_hash_table_lookup(stored, key);
            if (!fds) {
                fds = g_array_new(FALSE, FALSE, sizeof(int));
                g_hash_table_insert(stored, g_strdup(key), fds);
            }
            g_array_append_val(fds, fd);
        }
        g_strfreev(name);
    }
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDNAMES");
}

void daemon_take_service_environment(void)
{
    if (getenv("NOTIFY_SOCKET")) {
        notify_socket = g_strdup(getenv("NOTIFY_SOCKET"));
        unsetenv("NOTIFY_SOCKET");
    }
    take_listen_fds();
}

bool daemon_has_fd_store(void)
{
    return notify_socket != NULL;
}

void daemon_store_fds(const char *name, const int *fds, unsigned nfds)
{
    if (!notify_socket)
        return;
    char *state = g_strdup_printf("FDSTORE=1\nFDNAME=%s", name);
    notify_with_fds(state, fds, nfds);
    g_free(state);
}

void daemon_unstore_fds(const char *name)
{
    if (!notify_socket)
        return;
    char *state = g_strdup_printf("FDSTOREREMOVE=1\nFDNAME=%s", name);
    notify_service_manager(state);
    g_free(state);
}

GArray *daemon_take_stored(const char *name)
{
    gpointer key = NULL, fds = NULL;
    if (!stored || !g_hash_table_steal_extended(stored, name, &key, &fds))
        return NULL;
    g_free(key);
    return fds;
}

char **daemon_stored_names(const char *prefix)
{
    GPtrArray *out = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    if (stored) {
        g_hash_table_iter_init(&it, stored);
        while (g_hash_table_iter_next(&it, &key, NULL))
            if (g_str_has_prefix(key, prefix))
                g_ptr_array_add(out, g_strdup(key));
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

void daemon_drop_unclaimed_stored(void)
{
    if (!stored)
        return;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, stored);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        g_message("the service manager kept descriptors \"%s\" that nothing claims: closed",
                  (const char *)key);
        daemon_unstore_fds(key);
    }
    g_hash_table_destroy(stored);
    stored = NULL;
}

bool daemon_stop_hands_over(int stop_fd)
{
    struct signalfd_siginfo si;
    bool term = false;
    while (read(stop_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        term |= si.ssi_signo == SIGTERM;
    return term && notify_socket != NULL;
}

int daemon_ready(bool foreground, const char *pid_file)
{
    if (pid_file) {
        /* 0644, and locked (flock) for as long as we run: a second daemon, or
         * an administrator's `flock -n`, can tell the file names a live one. */
        int fd = open(pid_file, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        char line[32];
        int len = snprintf(line, sizeof(line), "%d\n", (int)getpid());
        if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || ftruncate(fd, 0) < 0 ||
            fchmod(fd, 0644) < 0 || write(fd, line, len) != len) {
            int err = errno;
            g_warning("cannot write pid file %s: %s", pid_file,
                      err == EWOULDBLOCK ? "another process holds its lock" : g_strerror(err));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        pid_fd = fd;
    }
    char *ready = g_strdup_printf("READY=1\nMAINPID=%d", (int)getpid());
    notify_service_manager(ready);
    g_free(ready);
    if (!foreground && ready_fd >= 0) {
        xen9p_log_copy_to_stderr(false);
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) {
            dup2(null, STDERR_FILENO);
            close(null);
        }
        char ok = 1;
        while (write(ready_fd, &ok, 1) < 0 && errno == EINTR)
            ;
        close(ready_fd);
        ready_fd = -1;
    }
    return 0;
}

void daemon_reloading(bool begins)
{
    if (!begins) {
        notify_service_manager("READY=1");
        return;
    }
    /* systemd 253 and later match the reload to its request by the time. */
    char *state = g_strdup_printf("RELOADING=1\nMONOTONIC_USEC=%" G_GINT64_FORMAT,
                                  g_get_monotonic_time());
    notify_service_manager(state);
    g_free(state);
}

void daemon_cleanup(const char *pid_file)
{
    notify_service_manager("STOPPING=1");
    if (pid_fd < 0)
        return;     /* never written (or another daemon's): not ours to remove */
    if (pid_file)
        unlink(pid_file);
    close(pid_fd);
    pid_fd = -1;
}
