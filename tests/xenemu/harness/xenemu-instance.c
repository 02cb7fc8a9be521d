// SPDX-License-Identifier: GPL-2.0-or-later
/* One emulator instance for a test: its directory, its xenstored process and
 * the environment that makes a process one of its domains. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "tests/xenemu/xenemu.h"

G_DEFINE_QUARK(xenemu-error-quark, xenemu_error)

struct XenEmu {
	char *dir;
	char *pid_file;
	GPid pid;
};

const char *xenemu_dir(const XenEmu *emu)
{
	return emu->dir;
}

GPid xenemu_xenstored_pid(const XenEmu *emu)
{
	return emu->pid;
}

char *xenemu_xenstore_path(const XenEmu *emu, unsigned domid)
{
	if (domid == 0)
		return g_build_filename(emu->dir, "xenstored.sock", NULL);
	return g_strdup_printf("%s/dom%u/xenstore.sock", emu->dir, domid);
}

static char *library_path(void)
{
	g_autofree char *libdir = xenemu_standin_libdir();
	const char *old = g_getenv("LD_LIBRARY_PATH");

	if (!old || !*old)
		return g_steal_pointer(&libdir);
	if (g_str_has_prefix(old, libdir) &&
	    (old[strlen(libdir)] == ':' || old[strlen(libdir)] == '\0'))
		return g_strdup(old);
	return g_strconcat(libdir, ":", old, NULL);
}

char **xenemu_environ(const XenEmu *emu, unsigned domid, char **envp)
{
	g_autofree char *domid_str = g_strdup_printf("%u", domid);
	g_autofree char *xs_path = xenemu_xenstore_path(emu, domid);
	g_autofree char *ld_path = library_path();
	char **env = g_strdupv(envp);

	env = g_environ_setenv(env, "XEN9P_EMU_DIR", emu->dir, TRUE);
	env = g_environ_setenv(env, "XEN9P_EMU_DOMID", domid_str, TRUE);
	env = g_environ_setenv(env, "XENSTORED_PATH", xs_path, TRUE);
	env = g_environ_setenv(env, "LD_LIBRARY_PATH", ld_path, TRUE);
	return env;
}

void xenemu_enter_domain(const XenEmu *emu, unsigned domid)
{
	g_autofree char *domid_str = g_strdup_printf("%u", domid);
	g_autofree char *xs_path = xenemu_xenstore_path(emu, domid);
	g_autofree char *ld_path = library_path();

	g_setenv("XEN9P_EMU_DIR", emu->dir, TRUE);
	g_setenv("XEN9P_EMU_DOMID", domid_str, TRUE);
	g_setenv("XENSTORED_PATH", xs_path, TRUE);
	g_setenv("LD_LIBRARY_PATH", ld_path, TRUE);
}

struct xs_handle *xenemu_xs_open(const XenEmu *emu, unsigned domid)
{
	g_autofree char *old = g_strdup(g_getenv("XENSTORED_PATH"));
	g_autofree char *path = xenemu_xenstore_path(emu, domid);
	struct xs_handle *xs;
	int saved;

	/* libxenstore reads XENSTORED_PATH at every xs_open(). */
	g_setenv("XENSTORED_PATH", path, TRUE);
	xs = xs_open(0);
	saved = errno;
	if (old)
		g_setenv("XENSTORED_PATH", old, TRUE);
	else
		g_unsetenv("XENSTORED_PATH");
	errno = saved;
	return xs;
}

static gboolean dom0_call(XenEmu *emu, unsigned domid, const char *name, gboolean create,
			  GError **error)
{
	struct xs_handle *xs = xenemu_xs_open(emu, 0);
	gboolean ok;

	if (!xs) {
		g_set_error(error, XENEMU_ERROR, errno, "xs_open(%s): %s", emu->dir,
			    g_strerror(errno));
		return FALSE;
	}
	ok = create ? xenemu_toolstack_create_domain(xs, domid, name)
		    : xenemu_toolstack_destroy_domain(xs, domid);
	if (!ok)
		g_set_error(error, XENEMU_ERROR, errno, "%s domain %u: %s",
			    create ? "create" : "destroy", domid, g_strerror(errno));
	xs_close(xs);
	return ok;
}

gboolean xenemu_create_domain(XenEmu *emu, unsigned domid, const char *name, GError **error)
{
	return dom0_call(emu, domid, name, TRUE, error);
}

gboolean xenemu_destroy_domain(XenEmu *emu, unsigned domid, GError **error)
{
	return dom0_call(emu, domid, NULL, FALSE, error);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

static void free_emu(XenEmu *emu)
{
	if (!g_getenv("XEN9P_EMU_KEEP"))
		nftw(emu->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	g_free(emu->dir);
	g_free(emu->pid_file);
	g_free(emu);
}

/* Wait for pid, up to timeout_ms; its wait status or -1. */
static int wait_child(GPid pid, int timeout_ms)
{
	int status, waited;

	for (waited = 0; waited <= timeout_ms; waited += 10) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		g_usleep(10000);
	}
	return -1;
}

XenEmu *xenemu_start(const char *trace_file, GError **error)
{
	char tmpl[] = "/tmp/xenemu-XXXXXX";
	g_autofree char *prog = g_build_filename(xenemu_builddir(), "xenemu-xenstored", NULL);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	XenEmu *emu;
	int waited, status;

	if (!mkdtemp(tmpl)) {
		g_set_error(error, XENEMU_ERROR, errno, "mkdtemp: %s", g_strerror(errno));
		return NULL;
	}
	emu = g_new0(XenEmu, 1);
	emu->dir = g_strdup(tmpl);
	emu->pid_file = g_build_filename(emu->dir, "xenstored.pid", NULL);
	g_ptr_array_add(argv, prog);
	g_ptr_array_add(argv, "--dir");
	g_ptr_array_add(argv, emu->dir);
	g_ptr_array_add(argv, "--pid-file");
	g_ptr_array_add(argv, emu->pid_file);
	g_ptr_array_add(argv, "--exit-with-parent");
	if (trace_file) {
		g_ptr_array_add(argv, "--trace");
		g_ptr_array_add(argv, (char *)trace_file);
	}
	g_ptr_array_add(argv, NULL);
	if (!g_spawn_async(NULL, (char **)argv->pdata, NULL,
			   G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
			   &emu->pid, error)) {
		free_emu(emu);
		return NULL;
	}
	/* The pid file appears once the socket accepts connections. */
	for (waited = 0; !g_file_test(emu->pid_file, G_FILE_TEST_EXISTS); waited += 10) {
		if (waited > 10000 || waitpid(emu->pid, &status, WNOHANG) == emu->pid) {
			g_set_error(error, XENEMU_ERROR, 0, "%s did not start", prog);
			kill(emu->pid, SIGKILL);
			wait_child(emu->pid, 1000);
			free_emu(emu);
			return NULL;
		}
		g_usleep(10000);
	}
	if (!xenemu_create_domain(emu, 0, "Domain-0", error)) {
		xenemu_stop(emu);
		return NULL;
	}
	return emu;
}

gboolean xenemu_stop(XenEmu *emu)
{
	g_autofree char *sock = NULL;
	gboolean clean;
	int status;

	if (!emu)
		return TRUE;
	kill(emu->pid, SIGTERM);
	status = wait_child(emu->pid, 10000);
	if (status == -1) {
		kill(emu->pid, SIGKILL);
		wait_child(emu->pid, 1000);
	}
	sock = xenemu_xenstore_path(emu, 0);
	clean = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		!g_file_test(sock, G_FILE_TEST_EXISTS);
	free_emu(emu);
	return clean;
}
