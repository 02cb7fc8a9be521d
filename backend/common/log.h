/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the daemon's messages go: stderr (--foreground), the systemd journal
 * (when stderr is the journal's stream, as under the unit: each message with
 * its priority and, for a device's, the fields XEN9P_DEVICE, XEN9P_DOMID and
 * XEN9P_TAG), or syslog.  Code logs with GLib's g_message()/g_warning()/
 * g_info()/g_debug(), or xen9p_log_about() for a device; this installs the
 * writer that routes them.
 */
#ifndef XEN9P_LOG_H
#define XEN9P_LOG_H

#include <stdbool.h>

#include <glib.h>

/* `verbose` also shows g_info(); g_debug() needs G_MESSAGES_DEBUG. */
void xen9p_log_init(const char *ident, bool to_stderr, bool verbose);

/*
 * While a detached daemon starts, its warnings and errors also go to the
 * starting terminal's stderr, so a failed start says why where it was
 * typed, not only in syslog (daemon.c turns this off once it serves).
 */
void xen9p_log_copy_to_stderr(bool on);

/* Whether g_info() messages are shown from now on (a reload changes it). */
void xen9p_log_set_verbose(bool verbose);

/*
 * A worker's logging: every message and trace line goes to stderr, a pipe to
 * the supervisor, as one line "<P>text" (P a syslog priority, or T for a trace
 * line); the supervisor relays it (xen9p_log_relay) where its own log goes.
 */
void xen9p_log_init_worker(bool verbose);
/* Who a message is about: a device, as journal fields. */
struct log_subject {
    char device[24];            /* XEN9P_DEVICE: "3/0" */
    char domid[12];             /* XEN9P_DOMID */
    char *tag;                  /* XEN9P_TAG, escaped (xen9p_escape); NULL: not known yet */
};

/* A message about `subject` (may be NULL): g_message() and its kin with fields. */
void xen9p_log_about(const struct log_subject *subject, GLogLevelFlags level,
                     const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Relays one line a worker wrote, tagged with the worker's `label`, about `subject` (may be NULL). */
void xen9p_log_relay(const struct log_subject *subject, const char *label, const char *line);

/* A trace line: always written when tracing is on (trace.c). */
void xen9p_log_trace(const char *line);

/*
 * `s` fit for one log line or one field of the control socket's
 * tab-separated lines (g_free): backslash, control characters (tab, newline)
 * and DEL become C escapes, the rest is kept.  For text a guest may have
 * written (its tag).
 */
char *xen9p_escape(const char *s);

#endif
