/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Becoming a daemon: detach, report readiness to the starting parent, pid file. */
#ifndef XEN9P_DAEMON_H
#define XEN9P_DAEMON_H

#include <stdbool.h>

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

/* Tells systemd STOPPING=1; removes the pid file, if this process wrote it. */
void daemon_cleanup(const char *pid_file);

#endif
