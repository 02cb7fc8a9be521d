// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen9pd as systemd runs it (backend/xen9pd.service): the unit names the
 * installed daemon by its absolute path, and Type=notify works: the daemon
 * sends READY=1 with its pid on $NOTIFY_SOCKET once it serves, STOPPING=1
 * when it stops, and its workers do not inherit the socket; its listening
 * socket goes into the descriptor store (FDSTORE=1, "listen"), and the unit
 * keeps workers across restarts (KillMode=process, a store); `systemctl
 * reload` runs `xen9p reload`.  The configuration file it ships parses; one
 * that does not stops the start, saying why.  And it refuses to export
 * dom0's root.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

static const char *builddir(void)
{
    const char *d = g_getenv("top_builddir");
    return d ? d : ".";
}

static const char *srcdir(void)
{
    const char *d = g_getenv("top_srcdir");
    return d ? d : ".";
}

static void test_unit_file(void)
{
    char *path = g_build_filename(builddir(), "backend", "xen9pd.service", NULL), *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    /* every placeholder substituted (the system call groups are @name, no closing @) */
    g_assert_false(g_regex_match_simple("@[A-Za-z_]+@|%[A-Z]+%", text, 0, 0));
    char **lines = g_strsplit(text, "\n", -1);
    const char *exec = NULL, *reload = NULL, *after = "", *before = "";
    bool notify = false, kill_main_only = false, fd_store = false, stop_closes = false,
         restart_hands_over = false;
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "After="))
            after = *l + strlen("After=");
        if (g_str_has_prefix(*l, "Before="))
            before = *l + strlen("Before=");
        if (g_str_has_prefix(*l, "ExecStart="))
            exec = *l + strlen("ExecStart=");
        if (g_str_has_prefix(*l, "ExecReload="))
            reload = *l + strlen("ExecReload=");
        notify |= strcmp(*l, "Type=notify") == 0;
        /* A restart leaves the workers serving (docs/operations.md): systemd
         * keeps their descriptors and signals only the supervisor. */
        kill_main_only |= strcmp(*l, "KillMode=process") == 0;
        /* A stop closes every device (SIGINT), a restart hands over (SIGTERM). */
        stop_closes |= strcmp(*l, "KillSignal=SIGINT") == 0;
        restart_hands_over |= strcmp(*l, "RestartKillSignal=SIGTERM") == 0;
        fd_store |= g_str_has_prefix(*l, "FileDescriptorStoreMax=") &&
                    atoi(*l + strlen("FileDescriptorStoreMax=")) >= 3 * 256;
    }
    g_assert_nonnull(exec);
    g_assert_true(g_path_is_absolute(exec));
    g_assert_true(g_str_has_suffix(exec, "/xen9pd --foreground"));
    g_assert_nonnull(reload);
    g_assert_true(g_path_is_absolute(reload));
    g_assert_true(g_str_has_suffix(reload, "/xen9p reload"));
    g_assert_true(notify);
    g_assert_true(kill_main_only);
    g_assert_true(fd_store);
    g_assert_true(stop_closes);
    g_assert_true(restart_hands_over);
    /* after xenstore and /proc/xen as upstream Xen's units and Debian's
     * xen.service provide them, before the guests xendomains starts */
    char **deps = g_strsplit(after, " ", -1);
    g_assert_true(g_strv_contains((const char *const *)deps, "xenstored.service"));
    g_assert_true(g_strv_contains((const char *const *)deps, "proc-xen.mount"));
    g_assert_true(g_strv_contains((const char *const *)deps, "xen.service"));
    g_strfreev(deps);
    g_assert_cmpstr(before, ==, "xendomains.service");
    g_strfreev(lines);
    g_free(text);
    g_free(path);
}

/* Descriptor store requests seen by next_message: "NAME:COUNT" each. */
static GPtrArray *stored;

/* The next datagram on `fd` within 10 s, or NULL.  Descriptor store requests
 * (FDSTORE=1, with their descriptors) are noted in `stored` and skipped. */
static char *next_message(int fd)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 10000) != 1)
            return NULL;
        char buf[512];
        union {
            struct cmsghdr align;
            char space[CMSG_SPACE(sizeof(int) * 8)];
        } control;
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                             .msg_controllen = sizeof(control.space) };
        ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
        if (n < 0)
            return NULL;
        unsigned nfds = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
                continue;
            int *fds = (int *)CMSG_DATA(c);
            for (unsigned i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, nfds++)
                close(fds[i]);
        }
        char *msg = g_strndup(buf, (gsize)n);
        if (!g_str_has_prefix(msg, "FDSTORE=1\nFDNAME="))
            return msg;
        g_ptr_array_add(stored, g_strdup_printf("%s:%u", msg + strlen("FDSTORE=1\nFDNAME="),
                                                nfds));
        g_free(msg);
    }
}

static void test_notify(void)
{
    char *dir = g_dir_make_tmp("xen9p-notify-XXXXXX", NULL);
    g_assert_nonnull(dir);
    char *sock = g_build_filename(dir, "notify", NULL), *export = g_build_filename(dir, "export", NULL);
    g_assert_cmpint(g_mkdir(export, 0700), ==, 0);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    g_assert_cmpuint(strlen(sock), <, sizeof(sa.sun_path));
    strcpy(sa.sun_path, sock);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);

    char *prog = g_build_filename(builddir(), "xen9pd", NULL);
    char *listen = g_strdup_printf("unix:%s/9p.sock", dir);
    /* with the configuration file we ship: it parses */
    char *config = g_build_filename(srcdir(), "backend", "xen9pd.conf", NULL);
    char *argv[] = { prog, "--listen", listen, "--export", export, "--foreground",
                     "--config", config, NULL };
    char **envp = g_environ_setenv(g_get_environ(), "NOTIFY_SOCKET", sock, TRUE);
    GPid pid;
    GError *error = NULL;
    g_assert_true(g_spawn_async(NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                &error));
    g_assert_no_error(error);

    stored = g_ptr_array_new_with_free_func(g_free);
    char *msg = next_message(fd), *want = g_strdup_printf("READY=1\nMAINPID=%d", (int)pid);
    g_assert_cmpstr(msg, ==, want);
    /* The listening socket is kept by the service manager across restarts. */
    g_assert_cmpuint(stored->len, ==, 1);
    g_assert_cmpstr(stored->pdata[0], ==, "listen:1");
    g_free(msg);
    g_free(want);
    /* ready means serving: the socket is there */
    char *listening = g_strdup_printf("%s/9p.sock", dir);
    g_assert_true(g_file_test(listening, G_FILE_TEST_EXISTS));
    g_assert_cmpint(kill(pid, SIGTERM), ==, 0);
    msg = next_message(fd);
    g_assert_cmpstr(msg, ==, "STOPPING=1");
    g_free(msg);
    int status;
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    g_ptr_array_free(stored, TRUE);
    close(fd);
    g_unlink(sock);
    g_rmdir(export);
    g_unlink(listening);
    g_free(listening);
    g_rmdir(dir);
    g_strfreev(envp);
    g_free(listen);
    g_free(config);
    g_free(prog);
    g_free(export);
    g_free(sock);
    g_free(dir);
}

/* An administrator's slip: exporting dom0's root is refused, saying why. */
static void test_host_root_refused(void)
{
    char *prog = g_build_filename(builddir(), "xen9pd", NULL), *err = NULL;
    char *argv[] = { prog, "--listen", "unix:/nonexistent/9p.sock", "--export", "/./",
                     "--foreground", NULL };
    int status;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err, &status, &error));
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 2);
    g_assert_nonnull(strstr(err, "dom0's whole file system"));
    g_free(err);
    g_free(prog);
}

/* Detached (no --foreground), a start that fails says why on the starting
 * terminal's stderr and exits 1, not only in syslog. */
static void test_detached_failure_reported(void)
{
    char *dir = g_dir_make_tmp("xen9p-detach-XXXXXX", NULL);
    char *prog = g_build_filename(builddir(), "xen9pd", NULL), *err = NULL;
    char *control = g_build_filename(dir, "control.sock", NULL);
    char *argv[] = { prog, "--control", control, NULL };
    char **envp = g_environ_setenv(g_get_environ(), "XENSTORED_PATH", "/nonexistent/xenstored",
                                   TRUE);
    int status;
    GError *error = NULL;
    g_assert_true(g_spawn_sync(NULL, argv, envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                               &err, &status, &error));
    g_assert_no_error(error);
    g_test_message("stderr: %s", err);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    g_assert_nonnull(strstr(err, "xenstore"));
    g_strfreev(envp);
    g_free(err);
    g_free(control);
    g_free(prog);
    g_rmdir(dir);
    g_free(dir);
}

/* A configuration file that does not parse, or is missing when named: exit 2, saying why. */
static void test_config_refused(void)
{
    char *dir = g_dir_make_tmp("xen9p-config-XXXXXX", NULL);
    char *conf = g_build_filename(dir, "xen9pd.conf", NULL);
    static const struct { const char *text, *why; } cases[] = {
        { "[xen9pd]\nworker-memory=lots\n", "worker-memory: not a number" },
        { "[xen9pd]\nexport-roots=srv\n", "export-roots: \"srv\" is not an absolute" },
        { "[xen9pd]\ntrace=maybe\n", "trace: not true or false" },
        { "[xen9p]\n", "unknown section [xen9p]" },
        { "verbose=true\n", "xen9pd.conf" },
        { NULL, "No such file" },
    };
    char *prog = g_build_filename(builddir(), "xen9pd", NULL);
    char *control = g_build_filename(dir, "control.sock", NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_unlink(conf);
        if (cases[i].text)
            g_assert_true(g_file_set_contents(conf, cases[i].text, -1, NULL));
        char *argv[] = { prog, "--foreground", "--control", control, "--config", conf, NULL };
        char *err = NULL;
        int status;
        GError *error = NULL;
        g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                   NULL, &err, &status, &error));
        g_assert_no_error(error);
        g_test_message("%s", err);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 2);
        g_assert_nonnull(strstr(err, cases[i].why));
        g_free(err);
    }
    g_unlink(conf);
    g_rmdir(dir);
    g_free(control);
    g_free(prog);
    g_free(conf);
    g_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/service/unit-file", test_unit_file);
    g_test_add_func("/service/notify", test_notify);
    g_test_add_func("/service/host-root-refused", test_host_root_refused);
    g_test_add_func("/service/config-refused", test_config_refused);
    g_test_add_func("/service/detached-failure-reported", test_detached_failure_reported);
    return g_test_run();
}
