/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The supervisor's hold on one worker process: started by exec'ing the
 * daemon's own binary in worker mode (fresh address space), in new mount,
 * pid, network, IPC and UTS namespaces unless sandboxing is off; reached
 * through a link socket (worker_link.h); its stderr a pipe whose lines the
 * supervisor relays to its own log; its exit watched through a pidfd
 * (docs/design.md "Processes").
 */
#ifndef XEN9P_WORKER_PROC_H
#define XEN9P_WORKER_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

#include "backend/common/log.h"

struct worker_options {
    const char *binary;         /* what to exec */
    bool sandbox;               /* namespaces here, confinement in the worker */
    bool seccomp_log;           /* a forbidden call is logged, not fatal (debugging) */
    bool verbose;
    bool trace;                 /* devices start traced (their assignment says so) */
    unsigned memory_mib;        /* RLIMIT_DATA of a confined worker, 0: none */
    bool core_dumps;            /* a confined worker may dump core */
};

struct worker_proc {
    char *label;                /* "3/0", "conn 2": what its log lines carry */
    char *store_name;           /* its descriptors' name in the service manager's store */
    bool adopted;               /* started by an earlier supervisor: not our child */
    const struct log_subject *subject;  /* its device's journal fields, or NULL */
    pid_t pid;                  /* in our pid namespace */
    gint64 started;             /* g_get_monotonic_time() at the spawn */
    int pidfd;                  /* readable once it has exited */
    int link;                   /* our end of the link (blocking, close-on-exec) */
    int log;                    /* its stderr (non-blocking) */
    GString *partial;           /* a log line not yet ended */
    bool exited;
    int status;                 /* wait status, once exited; -1: unknown (adopted) */
    uint64_t cpu_user_us, cpu_system_us;    /* its CPU time, once exited */
};

/* Starts a worker; NULL and *why (g_free) on failure. */
struct worker_proc *worker_proc_spawn(const struct worker_options *o, const char *label,
                                      const struct log_subject *subject, char **why);

/*
 * A worker an earlier supervisor started, taken back from the descriptors
 * the service manager kept for it (its link, log pipe and pidfd, in any
 * order; the array is consumed).  NULL and *why if some are missing.
 */
struct worker_proc *worker_proc_adopt(const char *label, const struct log_subject *subject,
                                      GArray *fds, char **why);

/*
 * Replaces `old` by a worker of the binary installed now (docs/operations.md
 * "Upgrading workers"): the new one gets `assignment` with `fields`, a
 * duplicate of `export_fd` and one end of a state channel, the old one
 * "hand-over" with the other end; the old one hands its state over and
 * exits once the new one serves.  Returns the new worker (the caller frees
 * `old` with worker_proc_hand_over: it has exited), or NULL and *why with the
 * old one serving on.
 */
struct worker_proc *worker_proc_upgrade(const struct worker_options *o, struct worker_proc *old,
                                        const char *assignment, GVariantDict *fields,
                                        int export_fd, char **why);

/* Where a worker's descriptors are kept: WORKER_STORE_PREFIX + its label (g_free). */
#define WORKER_STORE_PREFIX "worker/"
char *worker_store_name(const char *label);

/* Relays what the worker wrote to stderr (call when `log` is readable). */
void worker_proc_relay_log(struct worker_proc *w);

/* Collects its exit status if it has exited (non-blocking): true once exited. */
bool worker_proc_reap(struct worker_proc *w);

/* "exited with status 3", "killed by signal 11 (Segmentation fault)", ... (g_free). */
char *worker_proc_describe_exit(const struct worker_proc *w);
/* "CPU 12.5 ms user, 30.1 ms system": what it used, once exited (g_free). */
char *worker_proc_describe_cpu(const struct worker_proc *w);

/*
 * Asks it to stop ("stop"), waits up to timeout_ms for its exit, then kills
 * it (SIGKILL) and waits again; true if it is gone (reaped).
 */
bool worker_proc_stop(struct worker_proc *w, unsigned timeout_ms);

/* Kills it if still running, reaps, closes everything (the service
 * manager's copies too), frees. */
void worker_proc_free(struct worker_proc *w);

/* The supervisor goes, the worker stays (a restart): closes our descriptors
 * only; the service manager's copies keep it reachable for the next one. */
void worker_proc_hand_over(struct worker_proc *w);

/*
 * What an administrator checks of a running worker, read from outside in
 * /proc/PID/status: its effective uid, effective capabilities, seccomp mode
 * (0 none, 1 strict, 2 filter) and no_new_privs.  False if it is gone.
 */
struct worker_confinement {
    long uid;
    uint64_t cap_eff;
    int seccomp;
    int no_new_privs;
};
bool worker_proc_confinement(pid_t pid, struct worker_confinement *out);

/* The binary the workers run: the daemon's own, as it was started. */
char *worker_binary_of(const char *argv0);

#endif
