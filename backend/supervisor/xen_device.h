/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One Xen 9pfs device (a backend directory backend/xen_9pfs/<domid>/<devid>):
 * its configuration from xenstore and the xenbus handshake of
 * docs/xen-transport.md C.1.  Its rings and its 9P session live in a worker
 * process of its own (worker_xen.c), started when the frontend is ready and
 * watched by the supervisor's loop (docs/design.md "Processes").
 */
#ifndef XEN9P_XEN_DEVICE_H
#define XEN9P_XEN_DEVICE_H

#include <stdbool.h>

#include <glib.h>

#include <xenstore.h>

#include "backend/supervisor/settings.h"
#include "backend/supervisor/worker_proc.h"

#include "fsdrv/fsdrv.h"

/* What we offer (C.1 step 3): Linux needs >= 2 rings, 9 is the protocol's largest order. */
#define XEN_MAX_RINGS 4
#define XEN_MAX_RING_ORDER 9

/* Where the daemon lives: shared by its devices, used from the main thread. */
struct xen_host {
    struct xs_handle *xs;
    unsigned self;              /* our domain id */
    char *root;                 /* /local/domain/<self>/backend/xen_9pfs */
    const struct worker_options *workers;
    const struct settings *settings;    /* the daemon's: export roots */
};

enum xen_device_phase {
    DEV_NEW,                    /* just found */
    DEV_INIT_WAIT,              /* advertised, waiting for the frontend */
    DEV_CONNECTING,             /* its worker maps the rings */
    DEV_CONNECTED,
    DEV_CLOSING,                /* disconnected, waiting for the frontend to close */
    DEV_CLOSED,                 /* may come back if the frontend probes again */
    DEV_FAILED,                 /* configuration error: Closed with an error node */
};

struct xen_device {
    struct xen_host *host;
    unsigned domid, devid;
    char *label;                /* "domid/devid" */
    char *be_path, *fe_path;
    char *fe_watch;             /* the frontend state node we watch */
    char *tag, *path;
    char *tag_shown;            /* the tag with control characters escaped (logs, list) */
    struct log_subject subject; /* its journal fields (tag: tag_shown) */
    struct fsdrv_config cfg;
    enum xen_device_phase phase;
    int written_state;          /* the XenbusState we wrote last */
    char *error;                /* why it failed, also in the error node */
    unsigned long fd_budget;    /* descriptors promised to it (fdlimit_take) */
    struct worker_proc *worker; /* serving it (DEV_CONNECTING, DEV_CONNECTED) */
    unsigned nrings;
    bool trace;                 /* its worker logs every 9P message (xen9p trace) */
    unsigned crashes;           /* workers lost without being asked to stop */
    gint64 retry_after;         /* monotonic µs: no new worker before (a crash backoff) */
    bool gone;                  /* the backend directory was removed */
};

struct xen_device *xen_device_new(struct xen_host *host, unsigned domid, unsigned devid);

/* Reads the device's xenstore state and moves the handshake on. */
void xen_device_update(struct xen_device *dev);

/* Its worker wrote or closed its link, or exited: reads what it said (ready,
 * failed, or an exit the supervisor did not ask for) and moves the state on. */
void xen_device_worker_event(struct xen_device *dev);

/* The guest's domain is gone: release everything, forget the frontend. */
void xen_device_domain_gone(struct xen_device *dev);

/*
 * A new supervisor takes back the device's worker `w` from an earlier one
 * (a restart): configured from xenstore as usual, but not advertised again;
 * connected (or connecting) as the backend state in xenstore says.
 */
void xen_device_adopt(struct xen_device *d, struct worker_proc *w);

/*
 * Replaces its worker by one of the binary installed now, which takes the
 * rings, channels, fids and open files over; false and *why (the old one
 * serves on) if that cannot be done (docs/operations.md "Upgrading workers").
 */
bool xen_device_upgrade(struct xen_device *d, char **why);

/* The daemon restarts: its worker serves on for the next one (nothing written). */
void xen_device_hand_over(struct xen_device *d);

/* The daemon stops: disconnect, tell the frontend (Closing). */
void xen_device_shutdown(struct xen_device *dev);

/* Releases everything (the backend directory is gone or the daemon exits). */
void xen_device_free(struct xen_device *dev);

const char *xen_device_phase_name(enum xen_device_phase phase);

/*
 * Switches the tracing of its 9P messages: a serving worker switches at once
 * (true), otherwise its next worker starts that way (false).
 */
bool xen_device_set_trace(struct xen_device *dev, bool on);

struct xen_device_stats {
    uint64_t requests, replies, bytes_in, bytes_out;
    uint64_t inflight;
    unsigned mapped_pages;
    unsigned event_channels;
    uint64_t open_files;
};
/* Asks its worker (1 s at most): zeros when it has none or does not answer. */
void xen_device_get_stats(struct xen_device *dev, struct xen_device_stats *out);
/* Its worker's ring lines ("ring\tN\t..."), appended to `out`. */
void xen_device_describe_rings(struct xen_device *dev, GString *out);

#endif
