// SPDX-License-Identifier: GPL-2.0-or-later
/* One Xen backend test's world (see xb-env.h): the emulator, the work
 * directory, xen9pd, and the children to take along if a test aborts. */
#include "config.h"

#include "tests/xenbackend/xb-env-private.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenstore.h>

/* ---- children to kill if a test aborts (async-signal-safe list) ---- */

#define MAX_CHILDREN 64
static volatile pid_t children[MAX_CHILDREN];

void xb_remember_child(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (!children[i]) {
            children[i] = pid;
            return;
        }
    }
}

void xb_forget_child(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (children[i] == pid)
            children[i] = 0;
    }
}

/* A failed assertion aborts: take the daemon, the guests and xenstored along. */
static void on_abort(int sig)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (children[i] > 0)
            kill(children[i], SIGKILL);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void xb_init(int *argc, char ***argv)
{
    xenemu_reexec_with_standin_libs(*argv);
    g_test_init(argc, argv, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGABRT, on_abort);
}

static const char *builddir(void)
{
    const char *top = g_getenv("top_builddir");
    return top && *top ? top : XB_BUILDDIR;
}

char *xb_build_path(const char *rel)
{
    return g_build_filename(builddir(), rel, NULL);
}

/* ---- the environment ---- */

XbEnv *xb_env_new(void)
{
    XbEnv *env = g_new0(XbEnv, 1);
    char tmpl[] = "/tmp/xenbackend-XXXXXX";
    g_assert_nonnull(mkdtemp(tmpl));
    env->dir = g_strdup(tmpl);
    env->control = g_build_filename(env->dir, "control.sock", NULL);
    env->log = g_build_filename(env->dir, "xen9pd.log", NULL);
    env->pid_file = g_build_filename(env->dir, "xen9pd.pid", NULL);
    env->agents = g_ptr_array_new();
    GError *error = NULL;
    env->emu = xenemu_start(NULL, &error);
    g_assert_no_error(error);
    xb_remember_child(xenemu_xenstored_pid(env->emu));
    env->xs = xenemu_xs_open(env->emu, 0);
    g_assert_nonnull(env->xs);
    g_test_message("work directory %s, emulator %s", env->dir, xenemu_dir(env->emu));
    return env;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

static int wait_exit(GPid pid, int timeout_ms);

void xb_env_free(XbEnv *env)
{
    while (env->agents->len)
        xb_agent_kill(env->agents->pdata[0]);
    if (env->manager) {
        /* systemctl stop: the daemon hands over, the store is released, the workers end. */
        kill(env->manager, SIGTERM);
        int status = wait_exit(env->manager, 30000);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        env->manager = env->daemon = 0;
    } else if (env->daemon) {
        int status = xb_daemon_stop(env, SIGTERM, 10000);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    }
    xs_close(env->xs);
    GPid xenstored = xenemu_xenstored_pid(env->emu);
    g_assert_true(xenemu_stop(env->emu));
    xb_forget_child(xenstored);
    if (!g_getenv("XEN9P_EMU_KEEP"))
        nftw(env->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    g_ptr_array_free(env->agents, TRUE);
    g_free(env->control);
    g_free(env->daemon_option);
    g_free(env->manager_log);
    g_free(env->log);
    g_free(env->pid_file);
    g_free(env->dir);
    g_free(env);
}

const char *xb_dir(XbEnv *env)
{
    return env->dir;
}

XenEmu *xb_emu(XbEnv *env)
{
    return env->emu;
}

char *xb_mkdir(XbEnv *env, const char *name)
{
    char *path = g_build_filename(env->dir, name, NULL);
    g_assert_cmpint(g_mkdir_with_parents(path, 0755), ==, 0);
    return path;
}

void xb_create_domain(XbEnv *env, unsigned domid)
{
    GError *error = NULL;
    char *name = g_strdup_printf("guest%u", domid);
    g_assert_true(xenemu_create_domain(env->emu, domid, name, &error));
    g_assert_no_error(error);
    g_free(name);
}

void xb_destroy_domain(XbEnv *env, unsigned domid)
{
    GError *error = NULL;
    g_assert_true(xenemu_destroy_domain(env->emu, domid, &error));
    g_assert_no_error(error);
}

/* ---- xen9pd ---- */

static void child_dies_with_parent(gpointer data)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    const unsigned long *nofile = data;
    if (nofile && *nofile) {
        struct rlimit rl = { *nofile, *nofile };
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void xb_daemon_limit_fds(XbEnv *env, unsigned long nofile)
{
    env->daemon_nofile = nofile;
}

void xb_daemon_option(XbEnv *env, const char *option)
{
    g_free(env->daemon_option);
    env->daemon_option = g_strdup(option);
}

static GPid spawn_logged(XbEnv *env, char **argv, const char *log)
{
    char **envp = xenemu_environ(env->emu, 0, g_get_environ());
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    g_assert_cmpint(fd, >=, 0);
    GError *error = NULL;
    GPid pid = 0;
    g_spawn_async_with_fds(NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, child_dies_with_parent,
                           &env->daemon_nofile, &pid, -1, fd, fd, &error);
    g_assert_no_error(error);
    close(fd);
    g_strfreev(envp);
    xb_remember_child(pid);
    return pid;
}

/* Waits for pid's exit up to timeout_ms: its wait status, or -1. */
static int wait_exit(GPid pid, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            xb_forget_child(pid);
            return status;
        }
        if (r < 0 || g_get_monotonic_time() > deadline)
            return -1;
        g_usleep(5000);
    }
}

GPid xb_daemon_start(XbEnv *env, bool trace)
{
    g_assert_cmpint(env->daemon, ==, 0);
    char *prog = xb_build_path("xen9pd");
    /* XB_TRACE=1: every test's daemon traces (to read a failure's log). */
    trace = trace || g_getenv("XB_TRACE");
    char *argv[] = { prog, "--foreground", "--control", env->control, "--pid-file",
                     env->pid_file, env->daemon_option, trace ? "--trace" : NULL, NULL };
    if (!env->daemon_option) {
        argv[6] = argv[7];
        argv[7] = NULL;
    }
    unlink(env->pid_file);     /* a killed daemon leaves it behind */
    GPid pid = spawn_logged(env, argv, env->log);
    g_free(prog);
    for (int waited = 0; !g_file_test(env->pid_file, G_FILE_TEST_EXISTS); waited += 10) {
        int status = wait_exit(pid, 0);
        if (status != -1 || waited > 10000) {
            char *log = xb_daemon_log(env);
            g_printerr("%s", log);
            g_free(log);
            g_error("xen9pd did not start (status %d)", status);
        }
        g_usleep(10000);
    }
    env->daemon = pid;
    /* The pid file comes just before the main loop: one answer proves the loop runs. */
    XbList *l = xb_list(env);
    g_assert_cmpint(l->pid, ==, pid);
    xb_list_free(l);
    return pid;
}

/* The pid in the pid file once it names a daemon other than `not` that answers. */
static GPid wait_serving(XbEnv *env, GPid not)
{
    for (int waited = 0; waited < 20000; waited += 10) {
        char *text = NULL;
        GPid pid = 0;
        if (g_file_get_contents(env->pid_file, &text, NULL, NULL))
            pid = (GPid)strtol(text, NULL, 10);
        g_free(text);
        if (pid > 0 && pid != not && kill(pid, 0) == 0) {
            XbList *l = xb_list(env);
            bool same = l->pid == pid;
            xb_list_free(l);
            if (same)
                return pid;
        }
        g_usleep(10000);
    }
    char *log = xb_daemon_log(env);
    g_printerr("%s", log);
    g_free(log);
    g_error("xen9pd did not come back under its service manager");
}

GPid xb_daemon_start_managed(XbEnv *env)
{
    g_assert_cmpint(env->daemon, ==, 0);
    char *manager = xb_build_path("tests/integration/svc-standin");
    char *prog = xb_build_path("xen9pd");
    env->manager_log = g_build_filename(env->dir, "manager.log", NULL);
    char *argv[] = { manager, "--log", env->manager_log, "--", prog, "--foreground",
                     "--control", env->control, "--pid-file", env->pid_file, NULL };
    unlink(env->pid_file);
    env->manager = spawn_logged(env, argv, env->log);
    env->daemon = wait_serving(env, 0);
    g_free(manager);
    g_free(prog);
    return env->daemon;
}

GPid xb_daemon_restart(XbEnv *env, bool crash)
{
    g_assert_cmpint(env->manager, >, 0);
    GPid old = env->daemon;
    kill(env->manager, crash ? SIGUSR2 : SIGUSR1);
    env->daemon = wait_serving(env, old);
    return env->daemon;
}

GPid xb_daemon_manager(XbEnv *env)
{
    return env->manager;
}

int xb_daemon_run_second(XbEnv *env, char **output)
{
    char *prog = xb_build_path("xen9pd");
    char *control = g_build_filename(env->dir, "second.sock", NULL);
    char *log = g_build_filename(env->dir, "second.log", NULL);
    char *argv[] = { prog, "--foreground", "--control", control, NULL };
    GPid pid = spawn_logged(env, argv, log);
    int status = wait_exit(pid, 5000);
    if (status == -1) {
        kill(pid, SIGKILL);
        wait_exit(pid, 5000);
    }
    if (output)
        g_file_get_contents(log, output, NULL, NULL);
    g_free(prog);
    g_free(control);
    g_free(log);
    return status;
}

GPid xb_daemon_pid(XbEnv *env)
{
    return env->daemon;
}

int xb_daemon_stop(XbEnv *env, int sig, int timeout_ms)
{
    g_assert_cmpint(env->daemon, >, 0);
    kill(env->daemon, sig);
    int status = wait_exit(env->daemon, timeout_ms);
    if (status == -1) {
        kill(env->daemon, SIGKILL);
        wait_exit(env->daemon, 5000);
    }
    env->daemon = 0;
    return status;
}

char *xb_daemon_log(XbEnv *env)
{
    char *text = NULL;
    if (!g_file_get_contents(env->log, &text, NULL, NULL))
        text = g_strdup("");
    return text;
}

void xb_assert_daemon_alive(XbEnv *env)
{
    g_assert_cmpint(env->daemon, >, 0);
    if (env->manager) {
        g_assert_cmpint(kill(env->daemon, 0), ==, 0);
        return;
    }
    int status;
    g_assert_cmpint(waitpid(env->daemon, &status, WNOHANG), ==, 0);
}

