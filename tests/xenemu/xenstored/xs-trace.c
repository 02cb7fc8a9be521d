// SPDX-License-Identifier: GPL-2.0-or-later
/* --trace: every request and reply, in the format of `xenstored -T`
 * ("IN 0x<conn> READ (/local/domain/1/name )"). */
#include "config.h"

#include "tests/xenemu/xenstored/xs-server.h"

void xs_trace_msg(XsServer *srv, const char *dir, const XsConn *c, guint32 type,
		  const void *body, guint32 len)
{
	const guint8 *b = body;
	GString *s;
	guint32 i;

	if (!srv->trace)
		return;
	s = g_string_new(NULL);
	g_string_append_printf(s, "%s 0x%x %s (", dir, c->id, xs_op_name(type));
	for (i = 0; i < len; i++) {
		if (b[i] == '\0')
			g_string_append_c(s, ' ');
		else if (b[i] < 0x20 || b[i] >= 0x7f || b[i] == '\\')
			g_string_append_printf(s, "\\x%02x", b[i]);
		else
			g_string_append_c(s, (char)b[i]);
	}
	g_string_append(s, ")\n");
	fputs(s->str, srv->trace);
	fflush(srv->trace);
	g_string_free(s, TRUE);
}

void xs_trace_conn(XsServer *srv, const char *what, const XsConn *c)
{
	if (!srv->trace)
		return;
	fprintf(srv->trace, "%s connection 0x%x dom%u%s\n", what, c->id, c->domid,
		c->privileged ? " privileged" : "");
	fflush(srv->trace);
}
