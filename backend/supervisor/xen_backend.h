/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The Xen 9pfs backend: the daemon's main loop in Xen mode. */
#ifndef XEN9P_XEN_BACKEND_H
#define XEN9P_XEN_BACKEND_H

#include <stdbool.h>

#include "backend/common/control_socket.h"
#include "backend/supervisor/settings.h"
#include "backend/supervisor/worker_proc.h"

struct xen_backend_options {
    const char *control_path;
    bool foreground;
    const char *pid_file;
    struct worker_options *workers;     /* how devices' workers start; a reload updates it */
    const char *config_path;            /* what `reload` reads again */
    bool config_required;               /* named on the command line: it must exist */
    const struct settings *cmdline;     /* what the command line set: wins over the file */
    struct settings *settings;          /* in effect; a reload replaces it */
};

/* Serves every 9pfs device in xenstore until `stop_fd` is readable. Exit code. */
int xen_backend_run(const struct xen_backend_options *opts, int stop_fd);

#endif
