// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * svc-standin: as much of systemd's service manager (252) as a Type=notify
 * service with a descriptor store (FileDescriptorStoreMax=) needs, so tests
 * can restart or kill xen9pd and check that its workers outlive it.
 *
 *   svc-standin --log FILE [--restart-delay-ms N] -- COMMAND [ARG...]
 *
 * COMMAND runs with $NOTIFY_SOCKET (sd_notify(3)); what it stores there
 * (FDSTORE=1, FDNAME=, FDSTOREREMOVE=1) comes back at its next start as
 * descriptors 3.. with $LISTEN_FDS, $LISTEN_FDNAMES and $LISTEN_PID
 * (sd_listen_fds(3)).  It is started again whenever it exits (Restart=always).
 * SIGUSR1 is `systemctl restart`, SIGUSR2 a crash (SIGKILL to COMMAND),
 * SIGTERM or SIGINT `systemctl stop`.  As a child subreaper it inherits and
 * reaps the workers of a dead COMMAND.  FILE gets one line per event, each
 * from a single write():
 *   notify-socket PATH, started pid=N fds=K, ready pid=N, stopping pid=N,
 *   store NAME count=K total=T, remove NAME count=K total=T, hangup NAME
 *   total=T, bad-name, truncated, exited pid=N code=C, exited pid=N signal=S,
 *   released count=K, children-left N, stopped
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#define MAX_FDS_PER_MESSAGE 64
#define NOTIFY_BUFFER_MAX 4096          /* systemd's limit for one message */
#define FDNAME_MAX 255
#define STOP_TIMEOUT_US (10 * G_USEC_PER_SEC)

struct stored_fd {
    int fd;
    char *name;
};

enum request { REQUEST_NONE, REQUEST_RESTART, REQUEST_STOP };

struct standin {
    int log_fd, notify_fd, signal_fd;
    char *notify_path;
    char **command;
    gint64 restart_delay_us;
    /* struct stored_fd, oldest first.  systemd 252 hands them back newest
     * first, and one message's in no set order: a service cannot rely on it. */
    GArray *store;
    pid_t main_pid;             /* 0 while COMMAND is not running */
    bool exit_expected;         /* we asked COMMAND to go: no automatic restart */
    gint64 restart_at;          /* monotonic time of the automatic restart; 0: none */
    enum request request;       /* from a signal, for the main loop to act on */
};

G_GNUC_PRINTF(2, 3)
static void log_event(struct standin *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *line = g_strconcat(text, "\n", NULL);
    /* One write() a line (O_APPEND): a reader never sees half of one. */
    if (write(s->log_fd, line, strlen(line)) < 0)
        g_printerr("svc-standin: cannot log: %s\n", g_strerror(errno));
    g_free(line);
    g_free(text);
}

static void close_fds(const int *fds, int n)
{
    for (int i = 0; i < n; i++)
        close(fds[i]);
}

/* sd_notify(3): ASCII without control characters or ':', at most 255. */
static bool fdname_is_valid(const char *name)
{
    size_t len = 0;
    for (const char *p = name; *p; p++, len++)
        if (*p < ' ' || *p > '~' || *p == ':')
            return false;
    return len <= FDNAME_MAX;
}

/* Whether two descriptors are one open file, as systemd's same_fd() asks. */
static bool same_open_file(int a, int b)
{
    pid_t self = getpid();
    return syscall(SYS_kcmp, self, self, KCMP_FILE, a, b) == 0;
}

/* Takes `fd`; false if the store holds that open file already (systemd
 * drops such duplicates). */
static bool store_add(struct standin *s, int fd, const char *name)
{
    for (guint i = 0; i < s->store->len; i++) {
        if (same_open_file(g_array_index(s->store, struct stored_fd, i).fd, fd)) {
            close(fd);
            return false;
        }
    }
    struct stored_fd entry = { .fd = fd, .name = g_strdup(name) };
    g_array_append_val(s->store, entry);
    return true;
}

static void store_drop(struct standin *s, guint i)
{
    struct stored_fd *entry = &g_array_index(s->store, struct stored_fd, i);
    close(entry->fd);
    g_free(entry->name);
    g_array_remove_index(s->store, i);
}

static void store_message_fds(struct standin *s, const char *name, const int *fds, int nfds)
{
    if (!fdname_is_valid(name)) {
        log_event(s, "bad-name");
        close_fds(fds, nfds);
        return;
    }
    int added = 0;
    for (int i = 0; i < nfds; i++)
        added += store_add(s, fds[i], name);
    log_event(s, "store %s count=%d total=%u", name, added, s->store->len);
}

static void remove_named(struct standin *s, const char *name)
{
    if (!name || !fdname_is_valid(name)) {
        log_event(s, "bad-name");
        return;
    }
    int removed = 0;
    for (guint i = s->store->len; i-- > 0;) {
        if (strcmp(g_array_index(s->store, struct stored_fd, i).name, name) == 0) {
            store_drop(s, i);
            removed++;
        }
    }
    log_event(s, "remove %s count=%d total=%u", name, removed, s->store->len);
}

/* One notification: newline-separated KEY=VALUE; the descriptors are ours. */
static void handle_message(struct standin *s, const char *text, const int *fds, int nfds)
{
    bool fdstore = false, fdstore_remove = false;
    const char *name = NULL;
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (strcmp(*l, "READY=1") == 0)
            log_event(s, "ready pid=%d", (int)s->main_pid);
        else if (strcmp(*l, "STOPPING=1") == 0)
            log_event(s, "stopping pid=%d", (int)s->main_pid);
        else if (strcmp(*l, "FDSTORE=1") == 0)
            fdstore = true;
        else if (strcmp(*l, "FDSTOREREMOVE=1") == 0)
            fdstore_remove = true;
        else if (!name && g_str_has_prefix(*l, "FDNAME="))
            name = *l + strlen("FDNAME=");
    }
    int unused = nfds;
    /* As in systemd, a removal wins over a store in the same message. */
    if (fdstore_remove) {
        remove_named(s, name);
    } else if (fdstore) {
        store_message_fds(s, name ? name : "stored", fds, nfds);
        unused = 0;
    }
    close_fds(fds, unused);
    g_strfreev(lines);
}

static int take_fds(struct msghdr *mh, int *fds)
{
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < count && n < MAX_FDS_PER_MESSAGE; i++)
            memcpy(&fds[n++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    return n;
}

/* Reads every datagram waiting on the notification socket. */
static void read_notifications(struct standin *s)
{
    for (;;) {
        char text[NOTIFY_BUFFER_MAX + 1];
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_PER_MESSAGE)];
        } control;
        struct iovec iov = { .iov_base = text, .iov_len = NOTIFY_BUFFER_MAX };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                             .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
        ssize_t n = recvmsg(s->notify_fd, &mh, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
        if (n < 0)
            return;
        int fds[MAX_FDS_PER_MESSAGE];
        int nfds = take_fds(&mh, fds);
        if (n > NOTIFY_BUFFER_MAX || (mh.msg_flags & MSG_CTRUNC)) {
            log_event(s, "truncated");
            close_fds(fds, nfds);
            continue;
        }
        text[n] = '\0';
        handle_message(s, text, fds, nfds);
    }
}

/* Like systemd: a stored descriptor that hangs up or fails leaves the store.
 * `p` polled the store's entries in order, before anything changed it. */
static void drop_hung_up(struct standin *s, const struct pollfd *p, guint n)
{
    for (guint i = n; i-- > 0;) {
        if (!(p[i].revents & (POLLHUP | POLLERR)))
            continue;
        char *name = g_strdup(g_array_index(s->store, struct stored_fd, i).name);
        store_drop(s, i);
        log_event(s, "hangup %s total=%u", name, s->store->len);
        g_free(name);
    }
}

static void main_exited(struct standin *s, int status)
{
    if (WIFEXITED(status))
        log_event(s, "exited pid=%d code=%d", (int)s->main_pid, WEXITSTATUS(status));
    else
        log_event(s, "exited pid=%d signal=%d", (int)s->main_pid, WTERMSIG(status));
    s->main_pid = 0;
    if (!s->exit_expected)
        s->restart_at = g_get_monotonic_time() + s->restart_delay_us;
}

/* Reaps every child that has exited; false once we have no child at all. */
static bool reap_children(struct standin *s)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid < 0)
            return errno != ECHILD;
        if (pid == 0)
            return true;
        if (pid == s->main_pid)
            main_exited(s, status);
    }
}

static void read_signals(struct standin *s)
{
    struct signalfd_siginfo si;
    while (read(s->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGCHLD)
            reap_children(s);
        else if (si.ssi_signo == SIGUSR2 && s->main_pid)
            kill(s->main_pid, SIGKILL);
        else if (si.ssi_signo == SIGUSR1 && s->request == REQUEST_NONE)
            s->request = REQUEST_RESTART;
        else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
            s->request = REQUEST_STOP;
    }
}

/* Waits up to timeout_ms (-1: no limit) for something to happen; handles it. */
static void dispatch(struct standin *s, int timeout_ms)
{
    guint n = s->store->len;
    struct pollfd *p = g_new0(struct pollfd, n + 2);
    p[0] = (struct pollfd){ .fd = s->signal_fd, .events = POLLIN };
    p[1] = (struct pollfd){ .fd = s->notify_fd, .events = POLLIN };
    for (guint i = 0; i < n; i++)
        p[2 + i].fd = g_array_index(s->store, struct stored_fd, i).fd;  /* events 0: hangups */
    if (poll(p, n + 2, timeout_ms) > 0) {
        drop_hung_up(s, p + 2, n);
        /* Before any SIGCHLD: what COMMAND sent just before it exited. */
        read_notifications(s);
        read_signals(s);
    }
    g_free(p);
}

static int ms_until(gint64 when)
{
    gint64 left = when - g_get_monotonic_time();
    return left <= 0 ? 0 : (int)MIN((left + 999) / 1000, G_MAXINT);
}

/* The store's descriptors onto 3, 4, ...: all first copied above that range,
 * so that no move overwrites one still to be moved. */
static void pass_stored_fds(struct standin *s, guint n)
{
    int *high = g_new(int, n);
    for (guint i = 0; i < n; i++)
        high[i] = fcntl(g_array_index(s->store, struct stored_fd, i).fd, F_DUPFD_CLOEXEC, 3 + (int)n);
    for (guint i = 0; i < n; i++)
        if (high[i] < 0 || dup2(high[i], 3 + (int)i) < 0)  /* dup2 clears FD_CLOEXEC */
            _exit(126);
}

/* In the child.  We have a single thread, so it may still allocate. */
G_GNUC_NORETURN
static void exec_command(struct standin *s, char **env, guint n)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setsid();                   /* a session of its own, as systemd gives a service */
    if (n > 0) {
        char pid[16];
        g_snprintf(pid, sizeof(pid), "%d", (int)getpid());
        env = g_environ_setenv(env, "LISTEN_PID", pid, TRUE);
        pass_stored_fds(s, n);
    }
    /* Nothing else of ours or of whoever started us, as under systemd. */
    syscall(SYS_close_range, 3 + n, ~0u, 0);
    execvpe(s->command[0], s->command, env);
    fprintf(stderr, "svc-standin: cannot run %s: %s\n", s->command[0], strerror(errno));
    _exit(127);
}

static char **command_environment(struct standin *s)
{
    char **env = g_get_environ();
    env = g_environ_setenv(env, "NOTIFY_SOCKET", s->notify_path, TRUE);
    env = g_environ_unsetenv(env, "LISTEN_PID");
    env = g_environ_unsetenv(env, "LISTEN_FDS");
    env = g_environ_unsetenv(env, "LISTEN_FDNAMES");
    guint n = s->store->len;
    if (n == 0)
        return env;
    char **names = g_new0(char *, n + 1);
    for (guint i = 0; i < n; i++)
        names[i] = g_array_index(s->store, struct stored_fd, i).name;
    char *joined = g_strjoinv(":", names), *count = g_strdup_printf("%u", n);
    env = g_environ_setenv(env, "LISTEN_FDS", count, TRUE);
    env = g_environ_setenv(env, "LISTEN_FDNAMES", joined, TRUE);
    g_free(count);
    g_free(joined);
    g_free(names);
    return env;
}

static void start_command(struct standin *s)
{
    guint n = s->store->len;
    char **env = command_environment(s);
    pid_t pid = fork();
    if (pid == 0)
        exec_command(s, env, n);
    g_strfreev(env);
    s->restart_at = 0;
    if (pid < 0) {
        g_printerr("svc-standin: cannot fork: %s\n", g_strerror(errno));
        s->restart_at = g_get_monotonic_time() + s->restart_delay_us;
        return;
    }
    s->main_pid = pid;
    log_event(s, "started pid=%d fds=%u", (int)pid, n);
}

/* SIGTERM to COMMAND, SIGKILL if it is still there after 10 s; returns once
 * it is reaped, without starting it again. */
static void terminate_command(struct standin *s)
{
    if (!s->main_pid)
        return;
    s->exit_expected = true;
    kill(s->main_pid, SIGTERM);
    gint64 deadline = g_get_monotonic_time() + STOP_TIMEOUT_US;
    bool killed = false;
    while (s->main_pid) {
        if (!killed && g_get_monotonic_time() >= deadline) {
            kill(s->main_pid, SIGKILL);
            killed = true;
        }
        dispatch(s, killed ? -1 : ms_until(deadline));
    }
    s->exit_expected = false;
}

static void release_store(struct standin *s)
{
    guint n = s->store->len;
    while (s->store->len)
        store_drop(s, s->store->len - 1);
    log_event(s, "released count=%u", n);
}

/* Our children now (zombies aside), from /proc. */
static GArray *child_pids(void)
{
    GArray *pids = g_array_new(FALSE, FALSE, sizeof(pid_t));
    GDir *dir = g_dir_open("/proc", 0, NULL);
    const char *entry;
    while (dir && (entry = g_dir_read_name(dir))) {
        if (!g_ascii_isdigit(entry[0]))
            continue;
        char *path = g_strdup_printf("/proc/%s/stat", entry), *text = NULL;
        /* After the parenthesised name: " state ppid ..." */
        const char *end = g_file_get_contents(path, &text, NULL, NULL) ? strrchr(text, ')') : NULL;
        char state;
        int ppid;
        if (end && sscanf(end + 1, " %c %d", &state, &ppid) == 2 && ppid == getpid() && state != 'Z') {
            pid_t pid = (pid_t)atoi(entry);
            g_array_append_val(pids, pid);
        }
        g_free(text);
        g_free(path);
    }
    if (dir)
        g_dir_close(dir);
    return pids;
}

/* SIGKILL to every child until none is left, including those re-parented
 * to us meanwhile. */
static void kill_children(struct standin *s)
{
    GArray *pids = child_pids();
    log_event(s, "children-left %u", pids->len);
    for (;;) {
        for (guint i = 0; i < pids->len; i++)
            kill(g_array_index(pids, pid_t, i), SIGKILL);
        g_array_free(pids, TRUE);
        if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD)
            return;
        pids = child_pids();
    }
}

/* `systemctl stop`: COMMAND, then the store, then whatever workers remain. */
static void stop(struct standin *s)
{
    terminate_command(s);
    release_store(s);
    gint64 deadline = g_get_monotonic_time() + STOP_TIMEOUT_US;
    while (reap_children(s)) {
        if (g_get_monotonic_time() >= deadline) {
            kill_children(s);
            break;
        }
        dispatch(s, ms_until(deadline));
    }
    log_event(s, "stopped");
}

static void run(struct standin *s)
{
    start_command(s);
    while (s->request != REQUEST_STOP) {
        if (s->request == REQUEST_RESTART) {
            s->request = REQUEST_NONE;
            terminate_command(s);
            if (s->request == REQUEST_NONE)
                start_command(s);
            continue;
        }
        if (s->restart_at && g_get_monotonic_time() >= s->restart_at)
            start_command(s);
        dispatch(s, s->restart_at ? ms_until(s->restart_at) : -1);
    }
    stop(s);
}

/* The signals we act on, read from a signalfd instead of being delivered. */
static int signal_fd_for_our_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    int signals[] = { SIGCHLD, SIGUSR1, SIGUSR2, SIGTERM, SIGINT };
    for (size_t i = 0; i < G_N_ELEMENTS(signals); i++)
        sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -1;
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int bind_notify_socket(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Options before "--", COMMAND after it; false (said why) if they are not right. */
static bool parse_args(int argc, char **argv, char **log_path, int *delay_ms, char ***command)
{
    GOptionEntry entries[] = {
        { "log", 0, 0, G_OPTION_ARG_FILENAME, log_path, "Append one line per event to FILE", "FILE" },
        { "restart-delay-ms", 0, 0, G_OPTION_ARG_INT, delay_ms,
          "Start COMMAND again N ms after it exits (200)", "N" },
        { NULL }
    };
    int split = 1;
    while (split < argc && strcmp(argv[split], "--") != 0)
        split++;
    char **options = g_new0(char *, split + 1);
    memcpy(options, argv, sizeof(char *) * (size_t)split);
    int noptions = split;
    GOptionContext *context = g_option_context_new("-- COMMAND [ARG...]");
    g_option_context_set_summary(context, "Runs COMMAND as systemd runs a Type=notify service "
                                          "with a file descriptor store.");
    g_option_context_add_main_entries(context, entries, NULL);
    GError *error = NULL;
    bool ok = g_option_context_parse(context, &noptions, &options, &error);
    if (error)
        g_printerr("svc-standin: %s\n", error->message);
    ok = ok && noptions == 1 && split + 1 < argc && *log_path && *delay_ms >= 0;
    if (!ok)
        g_printerr("usage: svc-standin --log FILE [--restart-delay-ms N] -- COMMAND [ARG...]\n");
    *command = argv + split + 1;
    g_clear_error(&error);
    g_option_context_free(context);
    g_free(options);
    return ok;
}

int main(int argc, char **argv)
{
    char *log_path = NULL, **command = NULL;
    int delay_ms = 200;
    /* First: a stop signal from now on is handled, not fatal. */
    int signal_fd = signal_fd_for_our_signals();
    if (!parse_args(argc, argv, &log_path, &delay_ms, &command))
        return 2;
    struct standin s = { .signal_fd = signal_fd, .command = command,
                         .restart_delay_us = (gint64)delay_ms * 1000,
                         .store = g_array_new(FALSE, FALSE, sizeof(struct stored_fd)) };
    GError *error = NULL;
    char *dir = g_dir_make_tmp("svc-standin-XXXXXX", &error);
    s.notify_path = dir ? g_build_filename(dir, "notify", NULL) : NULL;
    s.log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    s.notify_fd = dir ? bind_notify_socket(s.notify_path) : -1;
    if (signal_fd < 0 || !dir || s.log_fd < 0 || s.notify_fd < 0 ||
        prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
        g_printerr("svc-standin: cannot set up: %s\n", error ? error->message : g_strerror(errno));
        return 1;
    }
    log_event(&s, "notify-socket %s", s.notify_path);
    run(&s);
    g_unlink(s.notify_path);
    g_rmdir(dir);
    return 0;
}
