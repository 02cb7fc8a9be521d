/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One Xen 9pfs device (a backend directory backend/xen_9pfs/<domid>/<devid>):
 * its configuration from xenstore, the xenbus handshake of
 * docs/xen-transport.md C.1, its rings and its 9P session.
 */
#ifndef XEN9P_XEN_DEVICE_H
#define XEN9P_XEN_DEVICE_H

#include <pthread.h>
#include <stdbool.h>

#include <xengnttab.h>
#include <xenstore.h>

#include "fsdrv/fsdrv.h"

/* What we offer (C.1 step 3): Linux needs >= 2 rings, 9 is the protocol's largest order. */
#define XEN_MAX_RINGS 4
#define XEN_MAX_RING_ORDER 9

/* Where the daemon lives: shared by its devices, used from the main thread. */
struct xen_host {
    struct xs_handle *xs;
    xengnttab_handle *xgt;
    unsigned self;              /* our domain id */
    char *root;                 /* /local/domain/<self>/backend/xen_9pfs */
    int fail_fd;                /* eventfd: a ring thread reported a broken ring */
};

enum xen_device_phase {
    DEV_NEW,                    /* just found */
    DEV_INIT_WAIT,              /* advertised, waiting for the frontend */
    DEV_CONNECTED,
    DEV_CLOSING,                /* disconnected, waiting for the frontend to close */
    DEV_CLOSED,                 /* may come back if the frontend probes again */
    DEV_FAILED,                 /* configuration error: Closed with an error node */
};

struct xen_ring;
struct p9_session;

struct xen_device {
    struct xen_host *host;
    unsigned domid, devid;
    char *label;                /* "domid/devid" */
    char *be_path, *fe_path;
    char *fe_watch;             /* the frontend state node we watch */
    char *tag, *path;
    char *tag_shown;            /* the tag with control characters escaped (logs, list) */
    struct fsdrv_config cfg;
    enum xen_device_phase phase;
    int written_state;          /* the XenbusState we wrote last */
    char *error;                /* why it failed, also in the error node */
    struct fsdrv_export *export;
    unsigned long fd_budget;    /* descriptors promised to it (fdlimit_take) */
    struct p9_session *session;
    unsigned nrings;
    struct xen_ring *rings[XEN_MAX_RINGS];
    pthread_mutex_t fail_lock;  /* a ring thread's report */
    char *fail_reason;
    bool gone;                  /* the backend directory was removed */
};

struct xen_device *xen_device_new(struct xen_host *host, unsigned domid, unsigned devid);

/* Reads the device's xenstore state and moves the handshake on. */
void xen_device_update(struct xen_device *dev);

/* A ring thread reported a broken ring: the device ends (Closing + error). */
void xen_device_check_failure(struct xen_device *dev);

/* The guest's domain is gone: release everything, forget the frontend. */
void xen_device_domain_gone(struct xen_device *dev);

/* The daemon stops: disconnect, tell the frontend (Closing). */
void xen_device_shutdown(struct xen_device *dev);

/* Releases everything (the backend directory is gone or the daemon exits). */
void xen_device_free(struct xen_device *dev);

const char *xen_device_phase_name(enum xen_device_phase phase);

struct xen_device_stats {
    uint64_t requests, replies, bytes_in, bytes_out;
    uint64_t inflight;
    unsigned mapped_pages;
    unsigned event_channels;
    uint64_t open_files;
};
void xen_device_get_stats(struct xen_device *dev, struct xen_device_stats *out);

#endif
