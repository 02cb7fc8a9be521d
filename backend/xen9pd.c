// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen9pd: serves directories to Xen guests as 9P file systems.
 *   xen9pd [options]                          the Xen 9pfs backend (dom0 service)
 *   xen9pd --listen unix:PATH|tcp:A:P --export DIR [options]
 *                                             plain 9P on a socket (tests, debugging)
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "backend/supervisor/daemon.h"
#include "backend/common/export_config.h"
#include "backend/supervisor/fdlimit.h"
#include "backend/common/log.h"
#include "backend/worker/sandbox.h"
#include "backend/server/server.h"
#include "backend/supervisor/control.h"
#include "backend/supervisor/socket_server.h"
#include "backend/worker/worker_main.h"
#include "backend/supervisor/worker_proc.h"
#include "backend/supervisor/xen_backend.h"
#include "fsdrv/fsdrv.h"

static char *opt_listen;
static char *opt_export;
static char *opt_model;
static gboolean opt_readonly;
static gboolean opt_allow_acl;
static gboolean opt_allow_setid;
static gboolean opt_allow_devices;
static gboolean opt_foreground;
static gboolean opt_trace;
static gboolean opt_verbose;
static char *opt_pid_file;
static char *opt_control;
static gint opt_max_open_files;
static gboolean opt_no_sandbox;
static gboolean opt_seccomp_log;
static gint opt_worker_memory = -1;
static char *opt_config;
static gboolean opt_worker_core_dumps;
static gboolean opt_worker;
static char *opt_label;

static const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &opt_listen,
      "Serve plain 9P on a socket instead of Xen devices", "unix:PATH|tcp:ADDRESS:PORT" },
    { "export", 'e', 0, G_OPTION_ARG_FILENAME, &opt_export,
      "Directory to serve (socket mode)", "DIR" },
    { "security-model", 'm', 0, G_OPTION_ARG_STRING, &opt_model,
      "none (default) or passthrough (socket mode)", "MODEL" },
    { "readonly", 'r', 0, G_OPTION_ARG_NONE, &opt_readonly, "Refuse every change (socket mode)", NULL },
    { "allow-acl", 0, 0, G_OPTION_ARG_NONE, &opt_allow_acl,
      "Clients may set POSIX ACLs, not only user.* attributes (socket mode)", NULL },
    { "allow-setid", 0, 0, G_OPTION_ARG_NONE, &opt_allow_setid,
      "Set-user-ID and set-group-ID bits reach the host (socket mode)", NULL },
    { "allow-devices", 0, 0, G_OPTION_ARG_NONE, &opt_allow_devices,
      "Clients may make character and block device nodes (socket mode)", NULL },
    { "foreground", 'f', 0, G_OPTION_ARG_NONE, &opt_foreground,
      "Stay in the foreground and log to stderr", NULL },
    { "trace", 't', 0, G_OPTION_ARG_NONE, &opt_trace,
      "Log every 9P request, reply, error and cancel of every device (xen9p trace switches "
      "it per device)", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Log informational messages", NULL },
    { "pid-file", 'p', 0, G_OPTION_ARG_FILENAME, &opt_pid_file, "Write the daemon's pid here", "PATH" },
    { "control", 'c', 0, G_OPTION_ARG_FILENAME, &opt_control,
      "Control socket for xen9p (default " XEN9P_CONTROL_DEFAULT "; with --listen, only if "
      "given)", "PATH" },
    { "max-open-files", 0, 0, G_OPTION_ARG_INT, &opt_max_open_files,
      "Files a connection may hold open (with --listen; default 4096, within the open-file "
      "limit)", "N" },
    { "no-sandbox", 0, 0, G_OPTION_ARG_NONE, &opt_no_sandbox,
      "Workers run unconfined (debugging only: a guest's bug is then dom0's)", NULL },
    { "seccomp-log", 0, 0, G_OPTION_ARG_NONE, &opt_seccomp_log,
      "A worker's forbidden system call is logged, not fatal (debugging)", NULL },
    { "worker-memory", 0, 0, G_OPTION_ARG_INT, &opt_worker_memory,
      "A worker's memory limit in MiB (RLIMIT_DATA; default 512, 0: none)", "MIB" },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &opt_config,
      "Configuration file (default " XEN9P_CONFIG_DEFAULT "; options given here win over it)",
      "PATH" },
    { "worker-core-dumps", 0, 0, G_OPTION_ARG_NONE, &opt_worker_core_dumps,
      "A worker that crashes may dump core (it may hold guest data)", NULL },
    /* How the supervisor starts a worker (worker_proc.c). */
    { "worker", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, &opt_worker, NULL, NULL },
    { "label", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_STRING, &opt_label, NULL, NULL },
    { NULL }
};

static int serve_socket(int stop_fd, const struct worker_options *workers)
{
    /* Each connection's worker opens at most this many files, within the
     * open-file limit the administrator gave the daemon. */
    struct fsdrv_config cfg = { .readonly = opt_readonly, .allow_acl = opt_allow_acl,
                                .allow_setid = opt_allow_setid,
                                .allow_devices = opt_allow_devices };
    unsigned long room = fdlimit_hard() > 2 * SANDBOX_FD_OVERHEAD
                             ? fdlimit_hard() - SANDBOX_FD_OVERHEAD : SANDBOX_FD_OVERHEAD;
    if (opt_max_open_files < 0) {
        g_printerr("xen9pd: --max-open-files cannot be negative\n");
        return 2;
    }
    if ((unsigned long)opt_max_open_files > room) {
        g_printerr("xen9pd: --max-open-files=%d needs %lu descriptors in each worker, more than "
                   "the open-file limit of %lu (raise ulimit -Hn or lower it)\n",
                   opt_max_open_files, (unsigned long)opt_max_open_files + SANDBOX_FD_OVERHEAD,
                   fdlimit_hard());
        return 1;
    }
    cfg.max_open_files = opt_max_open_files ? (uint64_t)opt_max_open_files
                                            : MIN(SOCKET_MAX_OPEN_FILES, room);
    if (!opt_export) {
        g_printerr("xen9pd: --listen needs --export DIR\n");
        return 2;
    }
    if (export_path_is_host_root(opt_export)) {
        g_printerr("xen9pd: --export \"%s\" " EXPORT_ROOT_PROBLEM "\n", opt_export);
        return 2;
    }
    if (!export_model_parse(opt_model ? opt_model : "none", &cfg.model)) {
        g_printerr("xen9pd: unknown security model \"%s\" (" EXPORT_MODEL_NAMES ")\n",
                   opt_model);
        return 2;
    }
    GError *error = NULL;
    struct socket_server *srv = socket_server_new(opt_listen, opt_export, &cfg, workers, &error);
    if (!srv) {
        g_printerr("xen9pd: %s\n", error->message);
        g_error_free(error);
        return 1;
    }
    char *optins = export_optins_text(&cfg);
    g_message("serving %s on %s (security model %s%s%s%s)", opt_export, opt_listen,
              opt_model ? opt_model : "none", opt_readonly ? ", read-only" : "", optins,
              workers->sandbox ? "" : ", workers NOT confined");
    g_free(optins);
    struct control *control = NULL;
    if (opt_control) {
        control = control_open(opt_control, socket_server_command, srv, &error);
        if (!control) {
            g_printerr("xen9pd: %s\n", error->message);
            g_error_free(error);
            socket_server_free(srv, false);
            return 1;
        }
    }
    if (daemon_ready(opt_foreground, opt_pid_file) < 0) {
        control_close(control);
        socket_server_free(srv, false);
        return 1;
    }
    daemon_drop_unclaimed_stored();
    socket_server_run(srv, stop_fd, control);
    g_message("stopping");
    control_close(control);
    socket_server_free(srv, daemon_stop_hands_over(stop_fd));
    return 0;
}

/* A worker: one device or one connection, confined (worker_main.c). */
static int run_worker(void)
{
    xen9p_log_init_worker(opt_verbose);
    signal(SIGPIPE, SIG_IGN);
    struct worker_args a = { .label = opt_label ? opt_label : "worker",
                             .sandbox = !opt_no_sandbox, .seccomp_log = opt_seccomp_log,
                             .memory_mib = (unsigned)opt_worker_memory,
                             .core_dumps = opt_worker_core_dumps };
    return worker_main(&a);
}

int main(int argc, char **argv)
{
    /* the administrator's locale: GLib prints UTF-8 messages and --help in it */
    setlocale(LC_ALL, "");
    GError *error = NULL;
    GOptionContext *ctx = g_option_context_new("- Xen 9pfs backend daemon");
    g_option_context_set_summary(ctx,
        "Without --listen, serves the 9pfs devices of Xen guests found in xenstore\n"
        "(backend/xen_9pfs, as libxl writes them for p9 = [ 'type=xen_9pfsd,...' ]).\n"
        "With --listen, serves one directory as plain 9P on a socket.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr("xen9pd: %s\n", error->message);
        return 2;
    }
    g_option_context_free(ctx);
    /* Installed under the name libxl spawns for type=xen_9pfsd (xen-9pfsd),
     * we behave as that daemon does: Xen mode, in the foreground, syslog. */
    char *self = g_path_get_basename(argv[0]);
    bool as_xen_9pfsd = strcmp(self, "xen-9pfsd") == 0;
    g_free(self);
    if (argc > 1) {
        g_printerr("xen9pd: unexpected argument \"%s\"\n", argv[1]);
        return 2;
    }
    if (opt_worker_memory < -1) {
        g_printerr("xen9pd: --worker-memory cannot be negative\n");
        return 2;
    }
    if (opt_worker)
        return run_worker();
    daemon_take_service_environment();
    /* The command line's settings win over the configuration file's. */
    struct settings cmdline = {
        .verbose = opt_verbose, .trace = opt_trace, .worker_memory_mib = opt_worker_memory,
        .worker_core_dumps = opt_worker_core_dumps,
    }, file, settings;
    const char *config_path = opt_config ? opt_config : XEN9P_CONFIG_DEFAULT;
    if (!settings_load(config_path, opt_config != NULL, &file, &error)) {
        g_printerr("xen9pd: %s\n", error->message);
        return 2;
    }
    settings_merge(&cmdline, &file, &settings);
    settings_clear(&file);
    struct worker_options workers = {
        .binary = worker_binary_of(argv[0]), .sandbox = !opt_no_sandbox,
        .seccomp_log = opt_seccomp_log,
    };
    settings_to_workers(&settings, &workers);

    xen9p_log_init("xen9pd", opt_foreground && !as_xen_9pfsd, settings.verbose);
    /* What we create for ourselves (pid file, sockets, export directories)
     * is not writable by others; files created for guests get their exact
     * mode from fsdrv, whatever the umask. */
    umask(022);
    fdlimit_init();
    signal(SIGPIPE, SIG_IGN);
    if (!opt_foreground && !as_xen_9pfsd && daemon_detach() < 0)
        return 1;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    int stop_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);

    int rc;
    if (opt_listen) {
        rc = serve_socket(stop_fd, &workers);
    } else {
        if (opt_export || opt_model || opt_readonly || opt_allow_acl || opt_allow_setid ||
            opt_allow_devices) {
            g_printerr("xen9pd: --export, --security-model, --readonly and --allow-* are for "
                       "--listen;\nXen devices take them from xenstore (path, security_model, "
                       "allow-acl, allow-setid, allow-devices)\n");
            return 2;
        }
        struct xen_backend_options o = {
            .control_path = opt_control ? opt_control : XEN9P_CONTROL_DEFAULT,
            .foreground = opt_foreground || as_xen_9pfsd,
            .pid_file = opt_pid_file,
            .workers = &workers,
            .config_path = config_path,
            .config_required = opt_config != NULL,
            .cmdline = &cmdline,
            .settings = &settings,
        };
        rc = xen_backend_run(&o, stop_fd);
    }
    daemon_cleanup(opt_pid_file);
    settings_clear(&settings);
    g_free((char *)workers.binary);
    return rc;
}
