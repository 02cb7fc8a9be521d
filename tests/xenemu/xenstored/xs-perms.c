// SPDX-License-Identifier: GPL-2.0-or-later
/* Node permissions: the n/r/w/b wire strings and real xenstored's rule of who
 * gets what (perm_for_conn()). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/xenemu/xenstored/xs-tree.h"

void xs_perms_copy(XsPerms *dst, const XsPerms *src)
{
	dst->num = src->num;
	dst->p = g_memdup2(src->p, sizeof(*src->p) * src->num);
}

void xs_perms_clear(XsPerms *p)
{
	g_free(p->p);
	p->p = NULL;
	p->num = 0;
}

static gboolean parse_one(const char *s, struct xs_permissions *out)
{
	char *end;
	unsigned long id;

	switch (s[0]) {
	case 'n': out->perms = XS_PERM_NONE; break;
	case 'r': out->perms = XS_PERM_READ; break;
	case 'w': out->perms = XS_PERM_WRITE; break;
	case 'b': out->perms = XS_PERM_READ | XS_PERM_WRITE; break;
	default: return FALSE;
	}
	if (!g_ascii_isdigit(s[1]))
		return FALSE;
	id = strtoul(s + 1, &end, 10);
	if (*end || id > 0xffff)
		return FALSE;
	out->id = (unsigned int)id;
	return TRUE;
}

gboolean xs_perms_parse(XsPerms *out, const char *strings, guint nstr)
{
	const char *s = strings;
	guint i;

	out->num = 0;
	out->p = NULL;
	if (nstr == 0)
		return FALSE;
	out->p = g_new0(struct xs_permissions, nstr);
	for (i = 0; i < nstr; i++) {
		if (!parse_one(s, &out->p[i])) {
			xs_perms_clear(out);
			return FALSE;
		}
		s += strlen(s) + 1;
	}
	out->num = nstr;
	return TRUE;
}

void xs_perms_format(const XsPerms *p, GByteArray *out)
{
	static const char letters[] = { 'n', 'r', 'w', 'b' };
	guint i;

	for (i = 0; i < p->num; i++) {
		char buf[16];
		int n = snprintf(buf, sizeof(buf), "%c%u",
				 letters[p->p[i].perms & (XS_PERM_READ | XS_PERM_WRITE)],
				 p->p[i].id);

		g_byte_array_append(out, (const guint8 *)buf, (guint)n + 1);
	}
}

guint xs_perms_for(const XsPerms *p, guint domid, gboolean privileged)
{
	const guint all = XS_PERM_READ | XS_PERM_WRITE | XS_PERM_OWNER;
	guint i;

	/* Owners and tools get it all... */
	if (privileged || p->p[0].id == domid)
		return all;
	for (i = 1; i < p->num; i++)
		if (!(p->p[i].perms & XS_PERM_IGNORE) && p->p[i].id == domid)
			return p->p[i].perms & (XS_PERM_READ | XS_PERM_WRITE);
	return p->p[0].perms & (XS_PERM_READ | XS_PERM_WRITE);
}
