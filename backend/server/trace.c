// SPDX-License-Identifier: GPL-2.0-or-later
/* Trace lines built from the message table: field names and formats. */
#include "config.h"

#include "backend/server/trace.h"

#include <string.h>

#include <glib.h>

#include "backend/common/log.h"
#include "backend/server/session.h"

atomic_bool p9_trace_enabled;

/* Appends "name=value" for each field of `fmt`, names from `names`. */
static void append_fields(GString *line, const char *fmt, const char *names,
                          const union p9_arg *a, unsigned dialect)
{
    const char *name = names;
    for (const char *f = fmt; *f; f++) {
        if (*f == '?') {
            if (!(dialect & (P9_2000_U | P9_2000_L)))
                break;
            continue;
        }
        size_t name_len = strcspn(name, " ");
        g_string_append_printf(line, " %.*s=", (int)name_len, name);
        name += name_len + (name[name_len] == ' ');
        switch (*f) {
        case 'b': g_string_append_printf(line, "%u", a->b); break;
        case 'w': g_string_append_printf(line, "%u", a->w); break;
        case 'd': g_string_append_printf(line, "%u", a->d); break;
        case 'q': g_string_append_printf(line, "%" G_GUINT64_FORMAT, a->q); break;
        case 's': g_string_append_printf(line, "\"%.*s\"", (int)MIN(a->s.len, 64), a->s.s); break;
        case 'Q':
            g_string_append_printf(line, "%02x.%x.%" G_GINT64_MODIFIER "x", a->Q.type,
                                   a->Q.version, a->Q.path);
            break;
        case 'D': g_string_append_printf(line, "%u bytes", a->D.count); break;
        case 'T':
            g_string_append_printf(line, "%u[", a->T.n);
            for (unsigned i = 0; i < a->T.n; i++)
                g_string_append_printf(line, "%s\"%.*s\"", i ? " " : "",
                                       (int)MIN(a->T.v[i].len, 64), a->T.v[i].s);
            g_string_append_c(line, ']');
            break;
        case 'R': g_string_append_printf(line, "%u", a->R.n); break;
        case 'S':
            g_string_append_printf(line, "{name=\"%.*s\" mode=%o length=%" G_GUINT64_FORMAT "}",
                                   (int)MIN(a->S->name.len, 64), a->S->name.s, a->S->mode,
                                   a->S->length);
            break;
        }
        a++;
    }
}

static GString *start_line(const char *event, const char *suffix, const struct p9_request *req)
{
    GString *line = g_string_sized_new(160);
    g_string_printf(line, "%s%s %s tag=%u id=%u", event, suffix, req->session->label, req->tag,
                    req->id);
    return line;
}

static void emit(GString *line)
{
    xen9p_log_trace(line->str);
    g_string_free(line, TRUE);
}

void p9_trace_request(const struct p9_request *req)
{
    GString *line = start_line(req->op ? req->op->trace : "v9fs_unknown", "", req);
    if (req->op) {
        if (req->decode_error)
            g_string_append_printf(line, " (malformed: codec error %d)", req->decode_error);
        else
            append_fields(line, req->op->tfmt, req->op->targs, req->in.a, req->dialect);
    }
    emit(line);
}

void p9_trace_reply(const struct p9_request *req, int err)
{
    GString *line = err ? start_line("v9fs_rerror", "", req)
                        : start_line(req->op->trace, "_return", req);
    if (err) {
        g_string_append_printf(line, " %s err=%d", req->op ? req->op->name : "?", -err);
    } else {
        append_fields(line, req->op->rfmt, req->op->rargs, req->out.a, req->dialect);
    }
    emit(line);
}

void p9_trace_cancel(const struct p9_request *req)
{
    GString *line = start_line("v9fs_rcancel", "", req);
    g_string_append_printf(line, " %s", req->op ? req->op->name : "?");
    emit(line);
}
