// SPDX-License-Identifier: GPL-2.0-or-later
/* Looking into the emulator: which granted pages a process maps (from
 * /proc/PID/maps), a domain's grant entries and event channel ports. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tests/xenemu/shm/emu-shm.h"
#include "tests/xenemu/xenemu.h"

/* "<dir>/dom<N>/grant-pages" (maybe " (deleted)") -> N. */
static gboolean parse_pages_path(const char *dir, const char *path, unsigned *domid,
				 bool *deleted)
{
	g_autofree char *prefix = g_strconcat(dir, "/dom", NULL);
	const char *p;
	char *end;
	unsigned long d;

	if (!g_str_has_prefix(path, prefix))
		return FALSE;
	p = path + strlen(prefix);
	d = strtoul(p, &end, 10);
	if (end == p || strncmp(end, "/grant-pages", 12) != 0)
		return FALSE;
	end += 12;
	*deleted = strcmp(end, " (deleted)") == 0;
	if (*end && !*deleted)
		return FALSE;
	*domid = (unsigned)d;
	return TRUE;
}

GArray *xenemu_list_mappings(const char *dir, pid_t pid, GError **error)
{
	g_autofree char *maps_path = g_strdup_printf("/proc/%d/maps", (int)pid);
	g_autofree char *contents = NULL;
	g_auto(GStrv) lines = NULL;
	GArray *out;
	guint i;

	if (!g_file_get_contents(maps_path, &contents, NULL, error))
		return NULL;
	out = g_array_new(FALSE, TRUE, sizeof(XenEmuMapping));
	lines = g_strsplit(contents, "\n", -1);
	for (i = 0; lines[i]; i++) {
		uintmax_t start, end, offset;
		char perms[8], path[4096];
		XenEmuMapping m = { 0 };
		int n = 0;

		/* start-end perms offset dev inode path */
		if (sscanf(lines[i], "%jx-%jx %7s %jx %*s %*s %n", &start, &end, perms, &offset,
			   &n) < 4 || n == 0)
			continue;
		g_strlcpy(path, lines[i] + n, sizeof(path));
		if (!parse_pages_path(dir, path, &m.domid, &m.deleted))
			continue;
		m.first_ref = (uint32_t)(offset / EMU_PAGE_SIZE);
		m.count = (uint32_t)((end - start) / EMU_PAGE_SIZE);
		m.writable = perms[1] == 'w';
		m.start = (uintptr_t)start;
		m.end = (uintptr_t)end;
		g_array_append_val(out, m);
	}
	return out;
}

static struct emu_grant_domain *open_grants(const char *dir, unsigned domid, GError **error)
{
	struct emu_grant_domain *gd = emu_grant_domain_open(dir, domid);

	if (!gd)
		g_set_error(error, XENEMU_ERROR, errno, "domain %u grant table: %s", domid,
			    g_strerror(errno));
	return gd;
}

GArray *xenemu_list_grants(const char *dir, unsigned domid, GError **error)
{
	struct emu_grant_domain *gd = open_grants(dir, domid, error);
	GArray *out;
	uint32_t ref;

	if (!gd)
		return NULL;
	out = g_array_new(FALSE, TRUE, sizeof(XenEmuGrant));
	emu_mutex_lock(&gd->table->lock);
	for (ref = 0; ref < EMU_GRANT_ENTRIES; ref++) {
		const struct emu_grant_entry *e = &gd->table->entries[ref];
		XenEmuGrant g;

		if (e->state == EMU_GRANT_FREE && e->map_count == 0)
			continue;
		g.ref = ref;
		g.state = e->state;
		g.granted_to = e->granted_to;
		g.writable = e->writable;
		g.map_count = e->map_count;
		g_array_append_val(out, g);
	}
	emu_mutex_unlock(&gd->table->lock);
	emu_grant_domain_close(gd);
	return out;
}

int xenemu_grant_map_count(const char *dir, unsigned domid, uint32_t ref)
{
	struct emu_grant_domain *gd = emu_grant_domain_open(dir, domid);
	int count;

	if (!gd)
		return -1;
	if (ref >= EMU_GRANT_ENTRIES) {
		emu_grant_domain_close(gd);
		errno = EINVAL;
		return -1;
	}
	emu_mutex_lock(&gd->table->lock);
	count = (int)gd->table->entries[ref].map_count;
	emu_mutex_unlock(&gd->table->lock);
	emu_grant_domain_close(gd);
	return count;
}

GArray *xenemu_list_ports(const char *dir, unsigned domid, GError **error)
{
	struct emu_evtchn_ctx *ctx;
	GArray *out;
	uint32_t port;

	if (domid >= EMU_MAX_DOMAINS) {
		g_set_error(error, XENEMU_ERROR, EINVAL, "domain %u: out of range", domid);
		return NULL;
	}
	ctx = emu_evtchn_ctx_open(dir);
	if (!ctx) {
		g_set_error(error, XENEMU_ERROR, errno, "%s: event channels: %s", dir,
			    g_strerror(errno));
		return NULL;
	}
	out = g_array_new(FALSE, TRUE, sizeof(XenEmuPort));
	emu_mutex_lock(&ctx->table->lock);
	emu_evtchn_reap_dead(ctx);
	for (port = 1; port < EMU_EVTCHN_PORTS; port++) {
		const struct emu_evtchn_port *p = &ctx->table->doms[domid].ports[port];
		XenEmuPort e;

		if (p->state == EMU_PORT_FREE)
			continue;
		e.port = port;
		e.state = p->state;
		e.remote_dom = p->remote_dom;
		e.remote_port = p->remote_port;
		e.masked = p->masked;
		e.pending = p->pending;
		e.fired = p->fired;
		e.handle_id = p->handle_id;
		g_array_append_val(out, e);
	}
	emu_mutex_unlock(&ctx->table->lock);
	emu_evtchn_ctx_close(ctx);
	return out;
}
