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
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "backend/common/log.h"

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

static void notify_service_manager(const char *state)
{
    if (!notify_socket)
        return;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t len = strlen(notify_socket);
    if (len >= sizeof(sa.sun_path) || (notify_socket[0] != '/' && notify_socket[0] != '@')) {
        g_warning("NOTIFY_SOCKET \"%s\" is not a socket path", notify_socket);
        return;
    }
    memcpy(sa.sun_path, notify_socket, len);
    if (sa.sun_path[0] == '@')
        sa.sun_path[0] = '\0';     /* an abstract socket */
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
                         (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
        g_warning("cannot tell the service manager \"%s\": %s", state, g_strerror(errno));
    if (fd >= 0)
        close(fd);
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
    if (getenv("NOTIFY_SOCKET")) {
        notify_socket = g_strdup(getenv("NOTIFY_SOCKET"));
        unsetenv("NOTIFY_SOCKET");
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
