/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A worker process: serves one Xen device or one socket connection, and
 * nothing else (docs/design.md "Processes").  It reads its assignment from
 * the link (fd 3), sets the device up while it still may (maps the rings,
 * binds the event channels), confines itself (sandbox.h), then serves until
 * the supervisor says stop, the guest breaks its device, or the link closes.
 */
#ifndef XEN9P_WORKER_MAIN_H
#define XEN9P_WORKER_MAIN_H

#include <stdbool.h>

#include "backend/common/worker_link.h"
#include "fsdrv/fsdrv.h"

struct worker_args {
    const char *label;
    bool sandbox;
    bool seccomp_log;
    unsigned memory_mib;        /* RLIMIT_DATA, 0: none */
    bool core_dumps;
};

/* The process's exit status. */
int worker_main(const struct worker_args *a);

/* What every assignment carries about its export (worker_main.c). */
bool worker_export_config(struct link_msg *msg, struct fsdrv_config *cfg);
/* The sender's side of the same (the supervisor). */
void worker_put_export_config(GVariantDict *d, const struct fsdrv_config *cfg);

/* "failed" {why}: the supervisor logs why the worker gives up (then it exits). */
void worker_send_failed(int link, const char *why);

/*
 * After the device set-up and before any guest byte is parsed: confines the
 * process to the export (its descriptor `export_fd`), per `cfg`'s model, its
 * Xen handles to `xen_domid` (-1: it has none), and opens the export there;
 * `after_restrict` (may be NULL) runs once the Xen handles are restricted,
 * before the other barriers (sandbox_policy).  0, or -errno with *why (g_free).
 */
int worker_confine_and_open(const struct worker_args *a, int export_fd, int xen_domid,
                            const struct fsdrv_config *cfg, void (*after_restrict)(void *),
                            void *hook_ctx, struct fsdrv_export **out, char **why);

/*
 * Serving one Xen device (worker_xen.c), one socket connection
 * (worker_socket.c): "serve-*" from the start, "take-over-*" from a worker
 * handing it over (handover.h), whose state channel comes as the last fd.
 */
int worker_serve_xen(const struct worker_args *a, int link, struct link_msg *msg);
int worker_serve_socket(const struct worker_args *a, int link, struct link_msg *msg);

#endif
