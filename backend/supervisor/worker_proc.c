// SPDX-License-Identifier: GPL-2.0-or-later
/* Starting, watching and stopping worker processes (see worker_proc.h). */
#include "config.h"

#include "backend/supervisor/worker_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/common/log.h"
#include "backend/common/worker_link.h"
#include "backend/supervisor/daemon.h"

/* The worker finds its link here (worker_main). */
#define WORKER_LINK_FD 3

extern char **environ;

/* Namespaces a confined worker starts in (docs/security.md "Barriers"). */
#define SANDBOX_NAMESPACES (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)

char *worker_binary_of(const char *argv0)
{
    /* As started: a wrapper script (the lab's) stays in the path, so is the
     * binary an upgrade installed later; /proc/self/exe only as a last resort. */
    if (argv0 && strchr(argv0, '/')) {
        char *real = realpath(argv0, NULL);
        if (real) {
            char *copy = g_strdup(real);
            free(real);
            return copy;
        }
    }
    char *found = argv0 ? g_find_program_in_path(argv0) : NULL;
    if (found)
        return found;
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return g_strdup("/usr/sbin/xen9pd");
    self[n] = '\0';
    return g_strdup(self);
}

static pid_t clone_with_pidfd(uint64_t flags, int *pidfd)
{
    struct clone_args args = {
        .flags = flags | CLONE_PIDFD,
        .pidfd = (uintptr_t)pidfd,
        .exit_signal = SIGCHLD,
    };
    pid_t pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
    /* systemd's RestrictNamespaces= makes clone3 fail with ENOSYS (seccomp
     * cannot see its flags) and checks clone(2)'s instead: the same call
     * through clone(2), whose parent_tid argument receives the pidfd. */
    if (pid < 0 && errno == ENOSYS)
        pid = (pid_t)syscall(SYS_clone, flags | CLONE_PIDFD | SIGCHLD, NULL, pidfd, NULL, 0UL);
    return pid;
}

static struct worker_proc *new_proc(const char *label, const struct log_subject *subject,
                                    pid_t pid, int pidfd, int link, int log)
{
    struct worker_proc *w = g_new0(struct worker_proc, 1);
    w->label = g_strdup(label);
    w->store_name = worker_store_name(label);
    w->subject = subject;
    w->pid = pid;
    w->started = g_get_monotonic_time();
    w->pidfd = pidfd;
    w->link = link;
    w->log = log;
    w->partial = g_string_new(NULL);
    return w;
}

char *worker_store_name(const char *label)
{
    return g_strconcat(WORKER_STORE_PREFIX, label, NULL);
}

/* The pid a pidfd refers to, from its fdinfo; -1 if none. */
static pid_t pid_of_pidfd(int pidfd)
{
    char path[64], *text = NULL;
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return -1;
    const char *line = strstr(text, "\nPid:");
    long pid = line ? strtol(line + strlen("\nPid:"), NULL, 10) : -1;
    g_free(text);
    return pid > 0 ? (pid_t)pid : -1;
}

struct worker_proc *worker_proc_adopt(const char *label, const struct log_subject *subject,
                                      GArray *fds, char **why)
{
    int link = -1, log = -1, pidfd = -1;
    /* Told apart by kind (a store need not keep their order). */
    for (guint i = 0; i < fds->len; i++) {
        int fd = g_array_index(fds, int, i);
        struct stat st;
        if (fstat(fd, &st) < 0)
            continue;
        if (S_ISSOCK(st.st_mode) && link < 0)
            link = fd;
        else if (S_ISFIFO(st.st_mode) && log < 0)
            log = fd;
        else if (pidfd < 0 && pid_of_pidfd(fd) > 0)
            pidfd = fd;
        else
            continue;
        g_array_index(fds, int, i) = -1;
    }
    for (guint i = 0; i < fds->len; i++)
        if (g_array_index(fds, int, i) >= 0)
            close(g_array_index(fds, int, i));
    g_array_free(fds, TRUE);
    if (link < 0 || log < 0 || pidfd < 0) {
        *why = g_strdup("the service manager kept only part of its descriptors");
        if (link >= 0)
            close(link);
        if (log >= 0)
            close(log);
        if (pidfd >= 0)
            close(pidfd);
        return NULL;
    }
    fcntl(log, F_SETFL, O_NONBLOCK);
    struct worker_proc *w = new_proc(label, subject, pid_of_pidfd(pidfd), pidfd, link, log);
    w->adopted = true;
    return w;
}

static struct worker_proc *spawn(const struct worker_options *o, const char *label,
                                 const char *store_name, const struct log_subject *subject,
                                 char **why)
{
    int link[2] = { -1, -1 }, logp[2] = { -1, -1 };
    if (link_pair(link) < 0 || pipe2(logp, O_CLOEXEC) < 0) {
        *why = g_strdup_printf("cannot make the worker's link: %s", g_strerror(errno));
        goto fail;
    }
    /* A worker never waits for its log to be read: while no supervisor
     * reads it (a restart), lines past the pipe's 64 KiB are lost instead. */
    fcntl(logp[1], F_SETFL, O_NONBLOCK);
    /* Everything the child needs is built before the clone: after it, only
     * async-signal-safe calls until exec (the supervisor has threads). */
    const char *argv[16];
    char memory[16];
    unsigned n = 0;
    snprintf(memory, sizeof(memory), "%u", o->memory_mib);
    argv[n++] = "xen9pd";
    argv[n++] = "--worker";
    argv[n++] = "--label";
    argv[n++] = label;
    if (!o->sandbox)
        argv[n++] = "--no-sandbox";
    if (o->seccomp_log)
        argv[n++] = "--seccomp-log";
    if (o->verbose)
        argv[n++] = "--verbose";
    argv[n++] = "--worker-memory";
    argv[n++] = memory;
    if (o->core_dumps)
        argv[n++] = "--worker-core-dumps";
    argv[n] = NULL;
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    sigset_t none;
    sigemptyset(&none);
    int pidfd = -1;
    gint64 started = g_get_monotonic_time();
    pid_t pid = clone_with_pidfd(o->sandbox ? SANDBOX_NAMESPACES : 0, &pidfd);
    if (pid == 0) {
        /* The child: stdin /dev/null, stderr the log pipe, the link on fd 3. */
        if (dup2(devnull, STDIN_FILENO) < 0 || dup2(logp[1], STDOUT_FILENO) < 0 ||
            dup2(logp[1], STDERR_FILENO) < 0 || dup2(link[1], WORKER_LINK_FD) < 0)
            _exit(126);
        syscall(SYS_close_range, WORKER_LINK_FD + 1, ~0u, 0);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(o->binary, (char *const *)argv, environ);
        _exit(127);
    }
    int saved = errno;
    if (devnull >= 0)
        close(devnull);
    if (pid < 0) {
        *why = g_strdup_printf("cannot start a worker: %s", g_strerror(saved));
        goto fail;
    }
    close(link[1]);
    close(logp[1]);
    fcntl(logp[0], F_SETFL, O_NONBLOCK);
    struct worker_proc *w = new_proc(label, subject, pid, pidfd, link[0], logp[0]);
    w->started = started;
    g_free(w->store_name);
    w->store_name = g_strdup(store_name);
    /* Kept by the service manager too: a worker outlives a restart of the
     * supervisor, which takes it back (worker_proc_adopt). */
    int kept[3] = { w->link, w->log, w->pidfd };
    daemon_store_fds(w->store_name, kept, 3);
    return w;
fail:
    for (int i = 0; i < 2; i++) {
        if (link[i] >= 0)
            close(link[i]);
        if (logp[i] >= 0)
            close(logp[i]);
    }
    return NULL;
}

struct worker_proc *worker_proc_spawn(const struct worker_options *o, const char *label,
                                      const struct log_subject *subject, char **why)
{
    char *name = worker_store_name(label);
    struct worker_proc *w = spawn(o, label, name, subject, why);
    g_free(name);
    return w;
}

void worker_proc_relay_log(struct worker_proc *w)
{
    char buf[4096];
    ssize_t n;
    while ((n = read(w->log, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                xen9p_log_relay(w->subject, w->label, w->partial->str);
                g_string_truncate(w->partial, 0);
            } else if (w->partial->len < 4096) {
                /* A longer line is cut: a worker cannot make us hold more. */
                g_string_append_c(w->partial, buf[i]);
            }
        }
    }
}

bool worker_proc_reap(struct worker_proc *w)
{
    if (w->exited)
        return true;
    siginfo_t info = { 0 };
    struct rusage ru = { 0 };
    /* The system call's fifth argument (glibc's waitid has none): its CPU time. */
    if (syscall(SYS_waitid, P_PIDFD, w->pidfd, &info, WEXITED | WNOHANG, &ru) < 0) {
        /* Started by an earlier supervisor, it is not our child: its pidfd
         * says it has exited, its parent (the service manager) reaps it. */
        struct pollfd p = { .fd = w->pidfd, .events = POLLIN };
        if (errno != ECHILD || poll(&p, 1, 0) != 1)
            return false;
        w->exited = true;
        w->status = -1;
        worker_proc_relay_log(w);
        return true;
    }
    if (info.si_pid == 0)
        return false;
    w->exited = true;
    w->cpu_user_us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
    w->cpu_system_us = (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
    w->status = info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0)
                                           : (info.si_status & 0x7f);
    /* Whatever it wrote last is in the pipe still. */
    worker_proc_relay_log(w);
    return true;
}

char *worker_proc_describe_exit(const struct worker_proc *w)
{
    if (w->status == -1)
        return g_strdup("exited (how is unknown: an earlier xen9pd started it)");
    if (WIFEXITED(w->status))
        return g_strdup_printf("exited with status %d", WEXITSTATUS(w->status));
    int sig = WTERMSIG(w->status);
    return g_strdup_printf("killed by signal %d (%s)", sig, strsignal(sig));
}

char *worker_proc_describe_cpu(const struct worker_proc *w)
{
    return g_strdup_printf("CPU %.1f ms user, %.1f ms system", w->cpu_user_us / 1000.0,
                           w->cpu_system_us / 1000.0);
}

static bool wait_exit(struct worker_proc *w, unsigned timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    while (!worker_proc_reap(w)) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            return false;
        struct pollfd p[2] = { { .fd = w->pidfd, .events = POLLIN },
                               { .fd = w->log, .events = POLLIN } };
        if (poll(p, 2, (int)left) > 0 && (p[1].revents & POLLIN))
            worker_proc_relay_log(w);
    }
    return true;
}

bool worker_proc_stop(struct worker_proc *w, unsigned timeout_ms)
{
    if (w->exited)
        return true;
    link_send_empty(w->link, "stop");
    if (wait_exit(w, timeout_ms))
        return true;
    g_warning("%s: the worker did not stop within %u ms: killing it", w->label, timeout_ms);
    syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0);
    return wait_exit(w, 5000);
}

static void release(struct worker_proc *w)
{
    close(w->pidfd);
    close(w->link);
    close(w->log);
    g_string_free(w->partial, TRUE);
    g_free(w->label);
    g_free(w->store_name);
    g_free(w);
}

void worker_proc_free(struct worker_proc *w)
{
    if (!w)
        return;
    if (!w->exited) {
        syscall(SYS_pidfd_send_signal, w->pidfd, SIGKILL, NULL, 0);
        wait_exit(w, 5000);
    }
    daemon_unstore_fds(w->store_name);
    release(w);
}

void worker_proc_hand_over(struct worker_proc *w)
{
    if (w)
        release(w);
}

bool worker_proc_confinement(pid_t pid, struct worker_confinement *out)
{
    char path[64], *text = NULL;
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if (pid <= 0 || !g_file_get_contents(path, &text, NULL, NULL))
        return false;
    *out = (struct worker_confinement){ .uid = -1, .seccomp = -1, .no_new_privs = -1 };
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        long real, effective;
        unsigned long long caps;
        if (sscanf(*l, "Uid: %ld %ld", &real, &effective) == 2)
            out->uid = effective;
        else if (sscanf(*l, "CapEff: %llx", &caps) == 1)
            out->cap_eff = caps;
        else if (sscanf(*l, "Seccomp: %d", &out->seccomp) != 1)
            sscanf(*l, "NoNewPrivs: %d", &out->no_new_privs);
    }
    g_strfreev(lines);
    g_free(text);
    return true;
}

/* The next message of `w` named `a` or `b` within `timeout_ms` (others, such
 * as a "ready" nobody read, are dropped; the logs of both are relayed
 * meanwhile): 1 and *msg, 0 when its link closed, -1 on timeout. */
static int wait_message(struct worker_proc *w, struct worker_proc *other, const char *a,
                        const char *b, unsigned timeout_ms, struct link_msg *msg)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        gint64 left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            return -1;
        struct pollfd p[3] = { { .fd = w->link, .events = POLLIN },
                               { .fd = w->log, .events = POLLIN },
                               { .fd = other->log, .events = POLLIN } };
        if (poll(p, 3, (int)left) <= 0)
            continue;
        if (p[1].revents)
            worker_proc_relay_log(w);
        if (p[2].revents)
            worker_proc_relay_log(other);
        if (!p[0].revents)
            continue;
        if (link_recv(w->link, msg) <= 0)
            return 0;
        if (strcmp(msg->name, a) == 0 || strcmp(msg->name, b) == 0)
            return 1;
        link_msg_clear(msg);
    }
}

/* How long an upgrade may take before the new worker is given up. */
#define UPGRADE_TIMEOUT_MS 45000

struct worker_proc *worker_proc_upgrade(const struct worker_options *o, struct worker_proc *old,
                                        const char *assignment, GVariantDict *fields,
                                        int export_fd, char **why)
{
    int state[2];
    if (link_pair(state) < 0) {
        *why = g_strdup_printf("cannot make the state channel: %s", g_strerror(errno));
        return NULL;
    }
    /* Kept under a name of its own until it serves: a supervisor restart
     * meanwhile finds no device of that name and lets it go. */
    char *next_name = g_strconcat(old->store_name, ".next", NULL);
    struct worker_proc *w = spawn(o, old->label, next_name, old->subject, why);
    g_free(next_name);
    int to_new[2] = { export_fd, state[1] };
    bool sent = w && link_send(w->link, assignment, fields, to_new, 2) &&
                link_send(old->link, "hand-over", NULL, &state[0], 1);
    close(state[0]);
    close(state[1]);
    if (w && !sent)
        *why = g_strdup_printf("cannot reach a worker: %s", g_strerror(errno));
    struct link_msg msg = { 0 };
    bool ready = sent && wait_message(w, old, "ready", "failed", UPGRADE_TIMEOUT_MS, &msg) > 0 &&
                 strcmp(msg.name, "ready") == 0;
    char *new_why = sent && !ready && msg.name ? link_get_str(&msg, "why") : NULL;
    link_msg_clear(&msg);
    /* The old worker's word: handed over, or why not (it serves on). */
    char *old_why = NULL;
    if (sent && wait_message(old, w, "handed-over", "hand-over-failed", ready ? 5000 : 1000,
                             &msg) > 0 && strcmp(msg.name, "hand-over-failed") == 0)
        old_why = link_get_str(&msg, "why");
    link_msg_clear(&msg);
    if (!ready) {
        /* The first cause: the old worker could not let go, or the new one failed. */
        if (!*why && old_why && !g_str_has_prefix(old_why, LINK_HANDOVER_NOT_TAKEN))
            *why = g_steal_pointer(&old_why);
        else if (!*why && new_why)
            *why = g_strdup_printf("the new worker failed: %s", new_why);
        else if (!*why)
            *why = g_strdup("the new worker did not start serving");
        g_free(new_why);
        g_free(old_why);
        worker_proc_free(w);
        return NULL;
    }
    g_free(old_why);
    g_free(new_why);
    /* The old one exits once the new one took over. */
    if (!wait_exit(old, 5000)) {
        syscall(SYS_pidfd_send_signal, old->pidfd, SIGKILL, NULL, 0);
        wait_exit(old, 5000);
    }
    daemon_unstore_fds(old->store_name);
    daemon_unstore_fds(w->store_name);
    g_free(w->store_name);
    w->store_name = g_strdup(old->store_name);
    int kept[3] = { w->link, w->log, w->pidfd };
    daemon_store_fds(w->store_name, kept, 3);
    return w;
}
