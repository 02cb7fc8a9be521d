// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xenemu-xenstored: the emulated Xen's xenstored. Creates the emulator
 * directory ($XEN9P_EMU_DIR or --dir) with the shared grant / event channel
 * state, serves dom0 on <dir>/xenstored.sock and each introduced domain N on
 * <dir>/dom<N>/xenstore.sock, until SIGTERM / SIGINT.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/xenemu/shm/emu-shm.h"
#include "tests/xenemu/xenstored/xs-server.h"

static char *opt_dir;
static char *opt_trace;
static char *opt_pid_file;
static gboolean opt_daemon;
static gboolean opt_exit_with_parent;

static const GOptionEntry options[] = {
	{ "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir,
	  "Emulator directory (default: $" EMU_DIR_ENV ")", "DIR" },
	{ "trace", 'T', 0, G_OPTION_ARG_FILENAME, &opt_trace,
	  "Log every request and reply to FILE, like xenstored -T", "FILE" },
	{ "pid-file", 'p', 0, G_OPTION_ARG_FILENAME, &opt_pid_file,
	  "Write the daemon's pid to FILE once it serves", "FILE" },
	{ "daemon", 'D', 0, G_OPTION_ARG_NONE, &opt_daemon,
	  "Detach; return once the sockets accept connections", NULL },
	{ "exit-with-parent", 0, 0, G_OPTION_ARG_NONE, &opt_exit_with_parent,
	  "Shut down when the parent process dies (test harnesses)", NULL },
	{ NULL }
};

/* Another instance already answering on this socket? */
static gboolean socket_in_use(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	gboolean used;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return FALSE;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return FALSE;
	used = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0;
	close(fd);
	return used;
}

static char *prepare_dir(const char *dir, GError **error)
{
	char real[PATH_MAX];

	if (g_mkdir_with_parents(dir, 0755) != 0 || !realpath(dir, real)) {
		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s",
			    dir, g_strerror(errno));
		return NULL;
	}
	if (strlen(real) > EMU_DIR_MAX) {
		g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NAMETOOLONG,
			    "%s: longer than %u bytes (unix socket paths are short)", real,
			    EMU_DIR_MAX);
		return NULL;
	}
	return g_strdup(real);
}

static gboolean on_signal(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

static void serve(XsServer *srv)
{
	GMainLoop *loop = g_main_loop_new(NULL, FALSE);
	guint i;

	srv->listen_src = xs_listen_source(srv, srv->listen_fd, 0, TRUE);
	g_unix_signal_add(SIGTERM, on_signal, loop);
	g_unix_signal_add(SIGINT, on_signal, loop);
	g_main_loop_run(loop);

	for (i = 0; i < srv->conns->len; i++)
		xs_conn_close(g_ptr_array_index(srv->conns, i));
	g_hash_table_destroy(srv->domains); /* closes and unlinks their sockets */
	g_source_destroy(srv->listen_src);
	g_source_unref(srv->listen_src);
	close(srv->listen_fd);
	g_main_loop_unref(loop);
}

static gboolean write_pid_file(GError **error)
{
	g_autofree char *pid = g_strdup_printf("%d\n", (int)getpid());

	return !opt_pid_file || g_file_set_contents(opt_pid_file, pid, -1, error);
}

int main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("- emulated xenstored for xen9p tests");
	g_autoptr(GError) error = NULL;
	g_autofree char *sock_path = NULL;
	XsServer srv = { 0 };
	int ready[2] = { -1, -1 };

	g_option_context_add_main_entries(ctx, options, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("xenemu-xenstored: %s\n", error->message);
		return 2;
	}
	if (!opt_dir)
		opt_dir = g_strdup(g_getenv(EMU_DIR_ENV));
	if (!opt_dir || !*opt_dir) {
		g_printerr("xenemu-xenstored: no directory: use --dir or $%s\n", EMU_DIR_ENV);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* A test that crashes must not leave its emulator behind. */
	if (opt_exit_with_parent &&
	    (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)) {
		g_printerr("xenemu-xenstored: parent gone\n");
		return 1;
	}

	srv.dir = prepare_dir(opt_dir, &error);
	if (!srv.dir) {
		g_printerr("xenemu-xenstored: %s\n", error->message);
		return 1;
	}
	sock_path = g_strdup_printf("%s/xenstored.sock", srv.dir);
	if (socket_in_use(sock_path)) {
		g_printerr("xenemu-xenstored: %s: another instance is serving\n", sock_path);
		return 1;
	}
	if (emu_evtchn_table_create(srv.dir) != 0 || emu_grant_domain_create(srv.dir, 0) != 0) {
		g_printerr("xenemu-xenstored: %s: cannot create the shared state: %s\n",
			   srv.dir, g_strerror(errno));
		return 1;
	}
	srv.listen_fd = xs_listen_socket(sock_path);
	if (srv.listen_fd < 0) {
		g_printerr("xenemu-xenstored: %s: %s\n", sock_path, g_strerror(errno));
		return 1;
	}
	if (opt_trace) {
		srv.trace = fopen(opt_trace, "ae");
		if (!srv.trace) {
			g_printerr("xenemu-xenstored: %s: %s\n", opt_trace, g_strerror(errno));
			return 1;
		}
	}
	srv.tree = xs_tree_new();
	srv.conns = g_ptr_array_new();
	srv.domains = g_hash_table_new_full(NULL, NULL, NULL, xs_domain_free);
	/* Special nodes: dom0's alone until someone sets their permissions. */
	xs_perms_parse(&srv.introduce_perms, "n0", 1);
	xs_perms_parse(&srv.release_perms, "n0", 1);

	if (opt_daemon) {
		pid_t pid;
		char ok = 0;

		/* Fork before GLib starts threads; the socket already listens. */
		if (pipe2(ready, O_CLOEXEC) != 0) {
			g_printerr("xenemu-xenstored: pipe: %s\n", g_strerror(errno));
			return 1;
		}
		pid = fork();
		if (pid < 0) {
			g_printerr("xenemu-xenstored: fork: %s\n", g_strerror(errno));
			return 1;
		}
		if (pid > 0) {
			close(ready[1]);
			return read(ready[0], &ok, 1) == 1 && ok == 1 ? 0 : 1;
		}
		close(ready[0]);
		setsid();
		/* Let $(...) in a script return: keep only stderr. */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			close(null);
		}
	}
	if (!write_pid_file(&error)) {
		g_printerr("xenemu-xenstored: %s\n", error->message);
		return 1;
	}
	if (opt_daemon) {
		char ok = 1;

		if (write(ready[1], &ok, 1) != 1)
			return 1;
		close(ready[1]);
	}
	serve(&srv);

	unlink(sock_path);
	if (opt_pid_file)
		unlink(opt_pid_file);
	if (srv.trace)
		fclose(srv.trace);
	return 0;
}
