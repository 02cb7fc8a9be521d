// SPDX-License-Identifier: GPL-2.0-or-later
/* Routes GLib's log calls to stderr or syslog (see log.h). */
#include "config.h"

#include "backend/common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

static bool log_to_stderr = true;
static bool log_journal;        /* stderr is the journal's stream: fields go with each line */
static bool log_relay;          /* a worker: "<P>text" lines for the supervisor */
static bool log_verbose;
static const char *log_ident = "xen9p";
static bool log_copy_to_stderr;

static int syslog_priority(GLogLevelFlags level)
{
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return LOG_ERR;
    if (level & G_LOG_LEVEL_WARNING)
        return LOG_WARNING;
    if (level & G_LOG_LEVEL_MESSAGE)
        return LOG_NOTICE;
    if (level & G_LOG_LEVEL_INFO)
        return LOG_INFO;
    return LOG_DEBUG;
}

/* Whether stderr is the journal's stream: systemd names it in $JOURNAL_STREAM
 * ("DEV:INODE" of the descriptor) for programs to switch to its native protocol. */
static bool stderr_is_journal(void)
{
    const char *named = getenv("JOURNAL_STREAM");
    unsigned long dev, ino;
    struct stat st;
    return named && sscanf(named, "%lu:%lu", &dev, &ino) == 2 &&
           fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/* The journal's native protocol (GLib speaks it): false if the journal did not take it. */
static bool send_journal(int priority, const char *text, const struct log_subject *s)
{
    char prio[2] = { (char)('0' + priority), '\0' };
    GLogField f[6] = {
        { "MESSAGE", text, -1 }, { "PRIORITY", prio, -1 },
        { "SYSLOG_IDENTIFIER", log_ident, -1 },
    };
    gsize n = 3;
    if (s) {
        f[n++] = (GLogField){ "XEN9P_DEVICE", s->device, -1 };
        f[n++] = (GLogField){ "XEN9P_DOMID", s->domid, -1 };
        if (s->tag)
            f[n++] = (GLogField){ "XEN9P_TAG", s->tag, -1 };
    }
    return g_log_writer_journald(G_LOG_LEVEL_MESSAGE, f, n, NULL) == G_LOG_WRITER_HANDLED;
}

/* priority -1: a trace line. */
static void write_line(int priority, const char *text, const struct log_subject *subject)
{
    if (log_relay) {
        /* One write per line: the pipe keeps lines up to PIPE_BUF whole. */
        char *line = priority < 0 ? g_strdup_printf("<T>%s\n", text)
                                  : g_strdup_printf("<%d>%s\n", priority, text);
        ssize_t n = write(STDERR_FILENO, line, strlen(line));
        (void)n;
        g_free(line);
        return;
    }
    if (priority < 0)
        priority = LOG_INFO;
    if (log_journal && send_journal(priority, text, subject))
        return;
    if (!log_to_stderr) {
        syslog(priority, "%s", text);
        if (log_copy_to_stderr && priority <= LOG_WARNING)
            fprintf(stderr, "%s: %s\n", log_ident, text);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    /* One fprintf per line: stdio locks the stream, so lines never interleave. */
    fprintf(stderr, "%02d:%02d:%02d.%03ld %s[%d]: %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, log_ident, (int)getpid(), text);
}

/* A message at `level`, unless the settings drop that level. */
static void emit(GLogLevelFlags level, const char *domain, const char *message,
                 const struct log_subject *subject)
{
    if ((level & G_LOG_LEVEL_DEBUG) && g_log_writer_default_would_drop(level, domain))
        return;
    if ((level & G_LOG_LEVEL_INFO) && !log_verbose)
        return;
    write_line(syslog_priority(level), message, subject);
}

static GLogWriterOutput writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                               gpointer unused)
{
    const char *message = NULL, *domain = NULL;
    for (gsize i = 0; i < n; i++) {
        if (strcmp(fields[i].key, "MESSAGE") == 0)
            message = fields[i].value;
        else if (strcmp(fields[i].key, "GLIB_DOMAIN") == 0)
            domain = fields[i].value;
    }
    if (!message)
        return G_LOG_WRITER_UNHANDLED;
    emit(level, domain, message, NULL);
    return G_LOG_WRITER_HANDLED;
}

void xen9p_log_about(const struct log_subject *subject, GLogLevelFlags level,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    emit(level, NULL, message, subject);
    g_free(message);
}

void xen9p_log_init(const char *ident, bool to_stderr, bool verbose)
{
    log_ident = ident;
    log_to_stderr = to_stderr;
    log_verbose = verbose;
    /* Under systemd (StandardError=journal): the journal, with fields. */
    log_journal = to_stderr && stderr_is_journal();
    if (!to_stderr)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    g_log_set_writer_func(writer, NULL, NULL);
}

void xen9p_log_set_verbose(bool verbose)
{
    log_verbose = verbose;
}

void xen9p_log_copy_to_stderr(bool on)
{
    log_copy_to_stderr = on;
}

void xen9p_log_init_worker(bool verbose)
{
    log_relay = true;
    log_verbose = verbose;
    g_log_set_writer_func(writer, NULL, NULL);
}

void xen9p_log_relay(const struct log_subject *subject, const char *label, const char *line)
{
    int priority = LOG_WARNING;
    const char *text = line;
    if (line[0] == '<' && line[1] && line[2] == '>') {
        priority = line[1] == 'T' ? -1 : line[1] >= '0' && line[1] <= '7' ? line[1] - '0'
                                                                            : LOG_WARNING;
        text = line + 3;
    }
    if (priority >= LOG_INFO && !log_verbose)
        return;     /* informational, not asked for (traces have priority -1) */
    /* A compromised worker writes what it likes: one escaped line, labelled
     * (trace lines carry their device already). */
    char *safe = xen9p_escape(text);
    char *tagged = priority < 0 ? NULL : g_strdup_printf("%s: %s", label, safe);
    write_line(priority, tagged ? tagged : safe, subject);
    g_free(tagged);
    g_free(safe);
}

void xen9p_log_trace(const char *line)
{
    write_line(-1, line, NULL);
}

char *xen9p_escape(const char *s)
{
    GString *out = g_string_sized_new(strlen(s));
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\': g_string_append(out, "\\\\"); break;
        case '\t': g_string_append(out, "\\t"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(out, "\\%03o", *p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    return g_string_free(out, FALSE);
}
