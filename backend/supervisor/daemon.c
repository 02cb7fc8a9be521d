// SPDX-License-Identifier: GPL-2.0-or-later
/* Daemonising with a readiness handshake, so "xen9pd" returns only once it serves. */
#include "config.h"

#include "backend/supervisor/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

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
        /* The child reports its errors itself (to syslog). */
        _exit(n == 1 ? 0 : 1);
    }
    close(pipefd[0]);
    ready_fd = pipefd[1];
    setsid();
    if (chdir("/") < 0)
        return -1;
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
    return 0;
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
    if (!foreground && ready_fd >= 0) {
        char ok = 1;
        while (write(ready_fd, &ok, 1) < 0 && errno == EINTR)
            ;
        close(ready_fd);
        ready_fd = -1;
    }
    return 0;
}

void daemon_cleanup(const char *pid_file)
{
    if (pid_fd < 0)
        return;     /* never written (or another daemon's): not ours to remove */
    if (pid_file)
        unlink(pid_file);
    close(pid_fd);
    pid_fd = -1;
}
