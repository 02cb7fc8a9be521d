// SPDX-License-Identifier: GPL-2.0-or-later
/* Where the emulator's programs and stand-in libraries are, and making sure a
 * test runs with the stand-ins rather than Debian's real Xen libraries. */
#include "config.h"

#include <errno.h>
#include <link.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/xenemu/xenemu.h"

#define REEXEC_ENV "XEN9P_EMU_REEXEC"

const char *xenemu_builddir(void)
{
	const char *dir = g_getenv("XEN9P_EMU_BUILDDIR");

	return dir && *dir ? dir : XENEMU_BUILDDIR;
}

char *xenemu_standin_libdir(void)
{
	return g_build_filename(xenemu_builddir(), "lib", NULL);
}

typedef struct {
	char libdir[PATH_MAX];
	GString *wrong;
} LoadedCheck;

static int check_object(struct dl_phdr_info *info, size_t size, void *data)
{
	LoadedCheck *lc = data;
	const char *name = info->dlpi_name;
	char real[PATH_MAX];
	g_autofree char *dir = NULL;

	if (!name || (!g_str_has_suffix(name, "/libxengnttab.so.1") &&
		      !g_str_has_suffix(name, "/libxenevtchn.so.1")))
		return 0;
	if (!realpath(name, real))
		g_strlcpy(real, name, sizeof(real));
	dir = g_path_get_dirname(real);
	if (strcmp(dir, lc->libdir) != 0)
		g_string_append_printf(lc->wrong, " %s", real);
	return 0;
}

gboolean xenemu_standin_libs_loaded(GError **error)
{
	g_autofree char *libdir = xenemu_standin_libdir();
	LoadedCheck lc = { .wrong = g_string_new(NULL) };
	gboolean ok;

	if (!realpath(libdir, lc.libdir))
		g_strlcpy(lc.libdir, libdir, sizeof(lc.libdir));
	dl_iterate_phdr(check_object, &lc);
	ok = lc.wrong->len == 0;
	if (!ok)
		g_set_error(error, XENEMU_ERROR, 0,
			    "real Xen libraries loaded instead of the stand-ins in %s:%s",
			    lc.libdir, lc.wrong->str);
	g_string_free(lc.wrong, TRUE);
	return ok;
}

void xenemu_reexec_with_standin_libs(char **argv)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *libdir = NULL;
	g_autofree char *path = NULL;
	const char *old;

	if (xenemu_standin_libs_loaded(&error))
		return;
	if (g_getenv(REEXEC_ENV))
		g_error("%s (LD_LIBRARY_PATH=%s)", error->message, g_getenv("LD_LIBRARY_PATH"));
	libdir = xenemu_standin_libdir();
	old = g_getenv("LD_LIBRARY_PATH");
	path = old && *old ? g_strconcat(libdir, ":", old, NULL) : g_strdup(libdir);
	g_setenv("LD_LIBRARY_PATH", path, TRUE);
	g_setenv(REEXEC_ENV, "1", TRUE);
	execv("/proc/self/exe", argv);
	g_error("re-exec of %s: %s", argv[0], g_strerror(errno));
}
