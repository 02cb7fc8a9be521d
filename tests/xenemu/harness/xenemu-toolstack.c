// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a toolstack writes to xenstore for a domain's life: xen-init-dom0's
 * nodes for dom0, libxl__domain_make()'s layout and permissions for a domU
 * (domain dir readable by the domain, its writable subdirectories owned by
 * it), INTRODUCE / RELEASE, and removal of /local/domain/N.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <xenstore.h>

#include "tests/xenemu/xenemu.h"

static bool mknod_perms(struct xs_handle *xs, xs_transaction_t t, const char *path,
			struct xs_permissions *perms, unsigned num)
{
	return xs_mkdir(xs, t, path) && xs_set_permissions(xs, t, path, perms, num);
}

static bool write_str(struct xs_handle *xs, xs_transaction_t t, const char *path,
		      const char *value)
{
	return xs_write(xs, t, path, value, (unsigned)strlen(value));
}

static bool create_dom0(struct xs_handle *xs, const char *name)
{
	return write_str(xs, XBT_NULL, "/local/domain/0/name", name ? name : "Domain-0") &&
	       write_str(xs, XBT_NULL, "/local/domain/0/domid", "0");
}

/* One attempt of libxl's transaction; false + errno (EAGAIN: retry). */
static bool write_domu_nodes(struct xs_handle *xs, unsigned domid, const char *name)
{
	struct xs_permissions roperm[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },
		{ .id = domid, .perms = XS_PERM_READ },
	};
	struct xs_permissions rwperm[1] = { { .id = domid, .perms = XS_PERM_NONE } };
	static const char *const rw_dirs[] = {
		"device", "data", "drivers", "feature", "attr", "error", "control/shutdown",
	};
	g_autofree char *dom = g_strdup_printf("/local/domain/%u", domid);
	g_autofree char *domid_str = g_strdup_printf("%u", domid);
	g_autofree char *default_name = g_strdup_printf("domu%u", domid);
	xs_transaction_t t = xs_transaction_start(xs);
	bool ok;
	unsigned i;
	int saved;

	if (t == XBT_NULL)
		return false;
	/* libxl ignores this one: the node is usually not there. */
	xs_rm(xs, t, dom);
	ok = mknod_perms(xs, t, dom, roperm, 2);
	if (ok) {
		g_autofree char *control = g_strconcat(dom, "/control", NULL);

		ok = mknod_perms(xs, t, control, roperm, 2);
	}
	for (i = 0; ok && i < G_N_ELEMENTS(rw_dirs); i++) {
		g_autofree char *p = g_strconcat(dom, "/", rw_dirs[i], NULL);

		ok = mknod_perms(xs, t, p, rwperm, 1);
	}
	if (ok) {
		g_autofree char *p_name = g_strconcat(dom, "/name", NULL);
		g_autofree char *p_domid = g_strconcat(dom, "/domid", NULL);

		ok = write_str(xs, t, p_name, name ? name : default_name) &&
		     write_str(xs, t, p_domid, domid_str);
	}
	if (!ok) {
		saved = errno;
		xs_transaction_end(xs, t, true);
		errno = saved;
		return false;
	}
	return xs_transaction_end(xs, t, false);
}

bool xenemu_toolstack_create_domain(struct xs_handle *xs, unsigned domid, const char *name)
{
	int tries;

	if (domid == 0)
		return create_dom0(xs, name);
	for (tries = 0; tries < 100; tries++) {
		if (write_domu_nodes(xs, domid, name))
			break;
		if (errno != EAGAIN)
			return false;
	}
	if (tries == 100)
		return false;
	/* No real ring page or event channel behind these two numbers. */
	return xs_introduce_domain(xs, domid, 0x1000 + domid, 1);
}

bool xenemu_toolstack_destroy_domain(struct xs_handle *xs, unsigned domid)
{
	g_autofree char *dom = g_strdup_printf("/local/domain/%u", domid);

	if (domid == 0) {
		errno = EINVAL;
		return false;
	}
	return xs_release_domain(xs, domid) && xs_rm(xs, XBT_NULL, dom);
}
