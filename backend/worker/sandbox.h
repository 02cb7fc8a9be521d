/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A worker's confinement (docs/security.md "Barriers"), entered once its
 * device is set up and before it parses a guest's byte:
 *  - mount namespace whose root is an empty read-only tmpfs holding the export
 *    (bind mount, at SANDBOX_EXPORT_PATH) and a proc of its own pid namespace,
 *    the host's tree unmounted (pivot_root); the namespaces themselves (mount,
 *    pid, net, ipc, uts) come with the process (worker_proc.c);
 *  - Landlock, where the kernel has it: file access only beneath the export
 *    and /proc;
 *  - no_new_privs; only the capabilities the security model and the
 *    export's opt-ins need (none for the mapped models, which also run as an
 *    unprivileged uid), the bounding set cleared, the securebits locked;
 *  - rlimits: open files sized from max-open-files, memory (RLIMIT_DATA), no
 *    core dumps unless asked for;
 *  - the Xen handles restricted to the guest's domain (before the rest);
 *  - a seccomp allow-list: any other system call kills the process (or, for
 *    debugging, is logged).
 */
#ifndef XEN9P_SANDBOX_H
#define XEN9P_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fsdrv/fsdrv.h"

/* Where the export is inside a confined worker. */
#define SANDBOX_EXPORT_PATH "/export"
/* Descriptors a worker needs beyond its open files: rings, event channels,
 * the link, the log, the export, worker threads' eventfds, and a quarter of
 * them for the inode store's handles (fsdrv.h FSDRV_MAX_HANDLES). */
#define SANDBOX_FD_OVERHEAD 64

struct sandbox_policy {
    int export_fd;              /* the export: a detached mount tree (export_tree_of) */
    const struct fsdrv_config *export_cfg;  /* its model and opt-ins: the capabilities */
    unsigned long nofile;       /* RLIMIT_NOFILE */
    int xen_domid;              /* >= 0: restrict the Xen handles to it */
    bool seccomp_log;           /* log forbidden calls instead of killing */
    uint64_t memory_bytes;      /* RLIMIT_DATA, 0: none */
    bool core_dumps;            /* keep RLIMIT_CORE and stay dumpable */
    /* The identity it serves as: (uid_t)-1 keeps root's (with the model's
     * capabilities); another uid runs with no capability at all. */
    uid_t run_uid;
    gid_t run_gid;
    /* Called once the Xen handles are restricted, before any other barrier:
     * a handle taken over from another worker is restricted already, and
     * restricting it again would fail (NULL: nothing to call). */
    void (*after_xen_restrict)(void *ctx);
    void *hook_ctx;
};

/*
 * Confines the calling process (single-threaded: before any thread starts)
 * as above.  0, or -errno with *why (g_free) saying which barrier failed: the
 * caller must not go on serving then.
 */
int sandbox_enter(const struct sandbox_policy *p, char **why);

/*
 * A detached copy of the mount tree at `dir` (open_tree, submounts included),
 * what a worker's sandbox attaches as its export; -1 with errno.
 */
int export_tree_of(const char *dir);

/*
 * The capabilities a worker serving an export of `cfg` keeps (a bit mask of
 * 1 << CAP_*): its model's, CAP_FSETID only with allow_setid, CAP_MKNOD
 * only with allow_devices (docs/security.md "Per security model").
 */
uint64_t sandbox_capabilities(const struct fsdrv_config *cfg);

/*
 * Who a worker serving the export `export_fd` of `cfg` runs as: root
 * ((uid_t)-1, with sandbox_capabilities) for none and passthrough; for the
 * mapped models the export's owner, which must not be root.  0, or -errno
 * with *why (g_free).
 */
int sandbox_identity(int export_fd, const struct fsdrv_config *cfg, uid_t *uid, gid_t *gid,
                     char **why);

#endif
