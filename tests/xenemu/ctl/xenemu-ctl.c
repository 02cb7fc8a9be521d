// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xenemu-ctl: the emulated Xen's toolstack and inspector.
 *
 *   xenemu-ctl [--dir DIR] create-domain N [NAME]   nodes like libxl + INTRODUCE
 *   xenemu-ctl [--dir DIR] destroy-domain N         RELEASE + rm /local/domain/N
 *   xenemu-ctl [--dir DIR] list-mappings PID        granted pages PID maps
 *   xenemu-ctl [--dir DIR] list-grants N            domain N's grant entries in use
 *   xenemu-ctl [--dir DIR] list-ports N             domain N's event channel ports
 *
 * DIR defaults to $XEN9P_EMU_DIR; xenstore is reached through DIR/xenstored.sock.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <xenstore.h>

#include "tests/xenemu/xenemu.h"

static char *opt_dir;

static const GOptionEntry options[] = {
	{ "dir", 'd', 0, G_OPTION_ARG_FILENAME, &opt_dir,
	  "Emulator directory (default: $XEN9P_EMU_DIR)", "DIR" },
	{ NULL }
};

static gboolean parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s || !g_ascii_isdigit(s[0]))
		return FALSE;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return FALSE;
	*out = (unsigned)v;
	return TRUE;
}

static struct xs_handle *open_dom0(const char *dir)
{
	g_autofree char *sock = g_build_filename(dir, "xenstored.sock", NULL);
	struct xs_handle *xs;

	g_setenv("XENSTORED_PATH", sock, TRUE);
	xs = xs_open(0);
	if (!xs)
		g_printerr("xenemu-ctl: %s: %s\n", sock, g_strerror(errno));
	return xs;
}

static int cmd_domain(const char *dir, gboolean create, unsigned domid, const char *name)
{
	struct xs_handle *xs = open_dom0(dir);
	bool ok;

	if (!xs)
		return 1;
	ok = create ? xenemu_toolstack_create_domain(xs, domid, name)
		    : xenemu_toolstack_destroy_domain(xs, domid);
	if (!ok)
		g_printerr("xenemu-ctl: %s domain %u: %s\n", create ? "create" : "destroy",
			   domid, g_strerror(errno));
	xs_close(xs);
	return ok ? 0 : 1;
}

static int cmd_list_mappings(const char *dir, pid_t pid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) maps = xenemu_list_mappings(dir, pid, &error);
	guint i;

	if (!maps) {
		g_printerr("xenemu-ctl: %s\n", error->message);
		return 1;
	}
	for (i = 0; i < maps->len; i++) {
		const XenEmuMapping *m = &g_array_index(maps, XenEmuMapping, i);

		printf("dom%u ref %u count %u %s %#lx-%#lx%s\n", m->domid, m->first_ref,
		       m->count, m->writable ? "rw" : "ro", (unsigned long)m->start,
		       (unsigned long)m->end, m->deleted ? " destroyed" : "");
	}
	return 0;
}

static int cmd_list_grants(const char *dir, unsigned domid)
{
	static const char *const states[] = { "released", "reserved", "granted" };
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) grants = xenemu_list_grants(dir, domid, &error);
	guint i;

	if (!grants) {
		g_printerr("xenemu-ctl: %s\n", error->message);
		return 1;
	}
	for (i = 0; i < grants->len; i++) {
		const XenEmuGrant *g = &g_array_index(grants, XenEmuGrant, i);

		printf("ref %u %s to dom%u %s maps %u\n", g->ref,
		       g->state < G_N_ELEMENTS(states) ? states[g->state] : "?", g->granted_to,
		       g->writable ? "rw" : "ro", g->map_count);
	}
	return 0;
}

static int cmd_list_ports(const char *dir, unsigned domid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) ports = xenemu_list_ports(dir, domid, &error);
	guint i;

	if (!ports) {
		g_printerr("xenemu-ctl: %s\n", error->message);
		return 1;
	}
	for (i = 0; i < ports->len; i++) {
		const XenEmuPort *p = &g_array_index(ports, XenEmuPort, i);

		if (p->state == 1)
			printf("port %u unbound for dom%u", p->port, p->remote_dom);
		else
			printf("port %u interdomain dom%u:%u", p->port, p->remote_dom,
			       p->remote_port);
		printf(" handle %u%s%s%s\n", p->handle_id, p->masked ? " masked" : "",
		       p->pending ? " pending" : "", p->fired ? " fired" : "");
	}
	return 0;
}

static int usage(GOptionContext *ctx)
{
	g_autofree char *help = g_option_context_get_help(ctx, TRUE, NULL);

	g_printerr("%s", help);
	return 2;
}

int main(int argc, char **argv)
{
	g_autoptr(GOptionContext) ctx = g_option_context_new("COMMAND ARGS");
	g_autoptr(GError) error = NULL;
	char real[PATH_MAX];
	const char *cmd;
	unsigned n;

	g_option_context_add_main_entries(ctx, options, NULL);
	g_option_context_set_summary(ctx,
		"Commands:\n"
		"  create-domain N [NAME]  toolstack nodes for domain N, then INTRODUCE\n"
		"  destroy-domain N        RELEASE domain N, then remove /local/domain/N\n"
		"  list-mappings PID       granted pages process PID has mapped\n"
		"  list-grants N           grant entries of domain N in use or mapped\n"
		"  list-ports N            event channel ports of domain N");
	if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
		g_printerr("xenemu-ctl: %s\n", error->message);
		return 2;
	}
	if (!opt_dir)
		opt_dir = g_strdup(g_getenv("XEN9P_EMU_DIR"));
	if (!opt_dir || !*opt_dir || argc < 3)
		return usage(ctx);
	/* /proc/PID/maps names files by their real path. */
	if (!realpath(opt_dir, real)) {
		g_printerr("xenemu-ctl: %s: %s\n", opt_dir, g_strerror(errno));
		return 1;
	}
	cmd = argv[1];
	if (g_str_equal(cmd, "create-domain") && argc <= 4 && parse_uint(argv[2], 0x7fef, &n))
		return cmd_domain(real, TRUE, n, argc == 4 ? argv[3] : NULL);
	if (g_str_equal(cmd, "destroy-domain") && argc == 3 && parse_uint(argv[2], 0x7fef, &n))
		return cmd_domain(real, FALSE, n, NULL);
	if (g_str_equal(cmd, "list-mappings") && argc == 3 && parse_uint(argv[2], INT_MAX, &n))
		return cmd_list_mappings(real, (pid_t)n);
	if (g_str_equal(cmd, "list-grants") && argc == 3 && parse_uint(argv[2], 0x7fef, &n))
		return cmd_list_grants(real, n);
	if (g_str_equal(cmd, "list-ports") && argc == 3 && parse_uint(argv[2], 0x7fef, &n))
		return cmd_list_ports(real, n);
	return usage(ctx);
}
