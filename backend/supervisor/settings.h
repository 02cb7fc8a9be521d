/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the administrator sets for the daemon as a whole: on the command line
 * or in the configuration file (/etc/xen9p/xen9pd.conf, docs/man/xen9pd.8
 * "CONFIGURATION"), which `xen9p reload` (systemctl reload) reads again
 * without touching a share (docs/design.md "Configuration and reload").
 */
#ifndef XEN9P_SETTINGS_H
#define XEN9P_SETTINGS_H

#include <stdbool.h>

#include <glib.h>

#include "backend/supervisor/worker_proc.h"

struct settings {
    bool verbose;               /* log informational messages */
    bool trace;                 /* devices start traced (xen9p trace switches one) */
    int worker_memory_mib;      /* RLIMIT_DATA of a confined worker; -1: not set */
    bool worker_core_dumps;
    char **export_roots;        /* devices' paths must lie under one; NULL: anywhere but / */
};

#define SETTINGS_DEFAULT_WORKER_MEMORY_MIB 512
/* XEN9P_SYSCONFDIR: configure's sysconfdir (/etc for the Debian package). */
#define XEN9P_CONFIG_DEFAULT XEN9P_SYSCONFDIR "/xen9p/xen9pd.conf"

/*
 * Reads the file at `path` into *out.  A file that does not exist reads as
 * empty unless `must_exist`; one that cannot be read or parsed, an unknown
 * key or a bad value is an error naming the file, the key and why.
 */
bool settings_load(const char *path, bool must_exist, struct settings *out, GError **error);

/*
 * The settings in effect: what the command line set (a true flag, a memory
 * limit), else the file's, else the defaults.  export-roots only exist in
 * the file.  *out owns copies (settings_clear).
 */
void settings_merge(const struct settings *cmdline, const struct settings *file,
                    struct settings *out);

void settings_clear(struct settings *s);

/*
 * Whether a device may export `path` (absolute, already accepted by
 * export_path_problem): under one of the export roots, compared component
 * by component and, where the path exists, through its symbolic links.
 */
bool settings_export_allowed(const struct settings *s, const char *path);

/* The workers' options these settings decide (verbosity, tracing, memory, core dumps). */
void settings_to_workers(const struct settings *s, struct worker_options *workers);

/* "verbose=no trace=no worker-memory=512 worker-core-dumps=no export-roots=*" (g_free). */
char *settings_describe(const struct settings *s);

#endif
