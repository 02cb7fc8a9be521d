// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's descriptor budget (see fdlimit.h). */
#include "config.h"

#include "backend/supervisor/fdlimit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#define LOG_INTERVAL_US (60 * G_USEC_PER_SEC)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long budget, promised, hard;
static int spare_fd = -1;
static gint64 last_logged = G_MININT64 / 2;

unsigned long fdlimit_init(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
            getrlimit(RLIMIT_NOFILE, &rl);
    }
    pthread_mutex_lock(&lock);
    hard = rl.rlim_max;
    budget = rl.rlim_cur > FDLIMIT_DAEMON ? rl.rlim_cur - FDLIMIT_DAEMON : 0;
    if (spare_fd < 0)
        spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pthread_mutex_unlock(&lock);
    g_info("file descriptors: limit %lu, %lu for devices and connections",
           (unsigned long)rl.rlim_cur, budget);
    return rl.rlim_cur;
}

bool fdlimit_take(unsigned long n, const char *what, char **why)
{
    pthread_mutex_lock(&lock);
    bool ok = n <= budget - promised;
    if (ok)
        promised += n;
    else
        *why = g_strdup_printf("not enough file descriptors for %s: it needs %lu, %lu of the "
                               "daemon's %lu are promised to other devices and connections "
                               "(raise xen9pd's open-file limit or lower max-open-files)",
                               what, n, promised, budget);
    pthread_mutex_unlock(&lock);
    return ok;
}

void fdlimit_give(unsigned long n)
{
    pthread_mutex_lock(&lock);
    promised -= n <= promised ? n : promised;
    pthread_mutex_unlock(&lock);
}

unsigned long fdlimit_hard(void)
{
    pthread_mutex_lock(&lock);
    unsigned long h = hard;
    pthread_mutex_unlock(&lock);
    return h;
}

unsigned long fdlimit_available(void)
{
    pthread_mutex_lock(&lock);
    unsigned long left = budget - promised;
    pthread_mutex_unlock(&lock);
    return left;
}

/* Logs a refused connection, at most once a minute. */
static void refused(const char *what, const char *why)
{
    pthread_mutex_lock(&lock);
    gint64 now = g_get_monotonic_time();
    bool log = now - last_logged >= LOG_INTERVAL_US;
    if (log)
        last_logged = now;
    pthread_mutex_unlock(&lock);
    if (log)
        g_warning("%s: connections are refused: %s (logged at most once a minute)", what, why);
}

int fdlimit_accept(int listen_fd, int flags, unsigned long want, const char *what)
{
    int fd = accept4(listen_fd, NULL, NULL, flags);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
        int err = errno;
        /* Give the spare back to take the connection off the queue, then drop it. */
        pthread_mutex_lock(&lock);
        if (spare_fd >= 0) {
            close(spare_fd);
            int dropped = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (dropped >= 0)
                close(dropped);
            spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        }
        pthread_mutex_unlock(&lock);
        refused(what, g_strerror(err));
        errno = EMFILE;
        return -1;
    }
    if (fd < 0 || want == 0)
        return fd;
    char *why = NULL;
    if (!fdlimit_take(want, "a new connection", &why)) {
        close(fd);
        refused(what, why);
        g_free(why);
        errno = EMFILE;
        return -1;
    }
    return fd;
}
