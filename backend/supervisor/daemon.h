/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Becoming a daemon: detach, report readiness to the starting parent, pid file. */
#ifndef XEN9P_DAEMON_H
#define XEN9P_DAEMON_H

#include <stdbool.h>

#include <glib.h>

/*
 * Forks; the parent waits until the child calls daemon_ready() and exits 0,
 * or exits 1 if the child dies first.  Call before starting threads.
 */
int daemon_detach(void);

/*
 * Writes the pid file (mode 0644, holding a flock(2) lock for as long as the
 * daemon runs), tells systemd (READY=1 on $NOTIFY_SOCKET, for Type=notify)
 * and releases a waiting parent.  -1 on failure
 * (logged), for instance when another daemon holds the file's lock.
 */
int daemon_ready(bool foreground, const char *pid_file);

/* Tells systemd a reload begins (RELOADING=1) or ended (READY=1). */
void daemon_reloading(bool begins);

/*
 * Takes what the service manager put in our environment, before anything
 * else runs: $NOTIFY_SOCKET (kept from the workers) and the descriptors its
 * store hands back to a restarted daemon ($LISTEN_FDS, $LISTEN_FDNAMES).
 */
void daemon_take_service_environment(void);

/*
 * The service manager's file descriptor store (systemd's FDSTORE=1, the
 * unit's FileDescriptorStoreMax=): what the daemon puts there outlives it,
 * and comes back to the next daemon under the same name (docs/operations.md).
 * Without $NOTIFY_SOCKET these do nothing.
 */
#define DAEMON_STORE_MAX_FDS 8
bool daemon_has_fd_store(void);
void daemon_store_fds(const char *name, const int *fds, unsigned nfds);
void daemon_unstore_fds(const char *name);
/* The descriptors stored under `name` at our start (the caller owns them), or NULL. */
GArray *daemon_take_stored(const char *name);
/* The names, starting with `prefix`, of what is still to be taken (g_strfreev). */
char **daemon_stored_names(const char *prefix);
/* Whatever nobody took: closed and removed from the store (logged). */
void daemon_drop_unclaimed_stored(void);

/*
 * Reads the stop signal(s) from the signalfd `stop_fd`: true if it was
 * SIGTERM and a service manager keeps our descriptors, so the workers go on
 * serving for the next daemon (a restart); false for SIGINT/SIGHUP or without
 * a store: every device closes.
 */
bool daemon_stop_hands_over(int stop_fd);

/* Tells systemd STOPPING=1; removes the pid file, if this process wrote it. */
void daemon_cleanup(const char *pid_file);

#endif
