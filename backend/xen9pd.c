// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen9pd: serves directories to Xen guests as 9P file systems.
 *   xen9pd [options]                          the Xen 9pfs backend (dom0 service)
 *   xen9pd --listen unix:PATH|tcp:A:P --export DIR [options]
 *                                             plain 9P on a socket (tests, debugging)
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "backend/daemon.h"
#include "backend/export_config.h"
#include "backend/fdlimit.h"
#include "backend/log.h"
#include "backend/server.h"
#include "backend/socket_server.h"
#include "backend/trace.h"
#include "backend/xen_backend.h"
#include "fsdrv/fsdrv.h"

static char *opt_listen;
static char *opt_export;
static char *opt_model;
static gboolean opt_readonly;
static gboolean opt_foreground;
static gboolean opt_trace;
static gboolean opt_verbose;
static char *opt_pid_file;
static char *opt_control;

static const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &opt_listen,
      "Serve plain 9P on a socket instead of Xen devices", "unix:PATH|tcp:ADDRESS:PORT" },
    { "export", 'e', 0, G_OPTION_ARG_FILENAME, &opt_export,
      "Directory to serve (socket mode)", "DIR" },
    { "security-model", 'm', 0, G_OPTION_ARG_STRING, &opt_model,
      "none (default) or passthrough (socket mode)", "MODEL" },
    { "readonly", 'r', 0, G_OPTION_ARG_NONE, &opt_readonly, "Refuse every change (socket mode)", NULL },
    { "foreground", 'f', 0, G_OPTION_ARG_NONE, &opt_foreground,
      "Stay in the foreground and log to stderr", NULL },
    { "trace", 't', 0, G_OPTION_ARG_NONE, &opt_trace,
      "Log every 9P request, reply, error and cancel", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose, "Log informational messages", NULL },
    { "pid-file", 'p', 0, G_OPTION_ARG_FILENAME, &opt_pid_file, "Write the daemon's pid here", "PATH" },
    { "control", 'c', 0, G_OPTION_ARG_FILENAME, &opt_control,
      "Control socket for xen9p (Xen mode; default " XEN9P_CONTROL_DEFAULT ")", "PATH" },
    { NULL }
};

static int serve_socket(int stop_fd)
{
    /* The export's open files are one budget for every connection: at most
     * half the descriptors, the rest for the connections themselves. */
    struct fsdrv_config cfg = { .readonly = opt_readonly,
                                .max_open_files = MIN(SOCKET_MAX_OPEN_FILES, fdlimit_available() / 2) };
    char *why = NULL;
    if (!fdlimit_take(cfg.max_open_files, "the export's open files", &why)) {
        g_printerr("xen9pd: %s\n", why);
        g_free(why);
        return 1;
    }
    if (!opt_export) {
        g_printerr("xen9pd: --listen needs --export DIR\n");
        return 2;
    }
    if (!export_model_parse(opt_model ? opt_model : "none", &cfg.model)) {
        g_printerr("xen9pd: unknown security model \"%s\" (none, passthrough)\n", opt_model);
        return 2;
    }
    struct fsdrv_export *exp;
    int err = fsdrv_export_open(opt_export, &cfg, &exp);
    if (err) {
        g_printerr("xen9pd: cannot export %s: %s\n", opt_export, g_strerror(-err));
        return 1;
    }
    GError *error = NULL;
    struct socket_server *srv = socket_server_new(opt_listen, exp, &error);
    if (!srv) {
        g_printerr("xen9pd: %s\n", error->message);
        g_error_free(error);
        fsdrv_export_close(exp);
        return 1;
    }
    g_message("serving %s on %s (security model %s%s)", opt_export, opt_listen,
              opt_model ? opt_model : "none", opt_readonly ? ", read-only" : "");
    if (daemon_ready(opt_foreground, opt_pid_file) < 0) {
        socket_server_free(srv);
        fsdrv_export_close(exp);
        return 1;
    }
    socket_server_run(srv, stop_fd);
    g_message("stopping");
    socket_server_free(srv);
    if (!p9_server_wait_idle(10))
        g_warning("some requests were still running after 10 s");
    fsdrv_export_close(exp);
    return 0;
}

int main(int argc, char **argv)
{
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

    xen9p_log_init("xen9pd", opt_foreground && !as_xen_9pfsd, opt_verbose);
    p9_trace_enabled = opt_trace;
    /* What we create for ourselves (pid file, sockets, export directories)
     * is not writable by others; files created for guests get their exact
     * mode from fsdrv, whatever the umask. */
    umask(022);
    fdlimit_init();
    signal(SIGPIPE, SIG_IGN);
    if (!opt_foreground && !as_xen_9pfsd && daemon_detach() < 0)
        return 1;
    p9_server_init();
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    int stop_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);

    int rc;
    if (opt_listen) {
        rc = serve_socket(stop_fd);
    } else {
        if (opt_export || opt_model || opt_readonly) {
            g_printerr("xen9pd: --export, --security-model and --readonly are for --listen;\n"
                       "Xen devices take them from xenstore (path, security_model)\n");
            return 2;
        }
        struct xen_backend_options o = {
            .control_path = opt_control ? opt_control : XEN9P_CONTROL_DEFAULT,
            .foreground = opt_foreground || as_xen_9pfsd,
            .pid_file = opt_pid_file,
        };
        rc = xen_backend_run(&o, stop_fd);
    }
    daemon_cleanup(opt_pid_file);
    return rc;
}
