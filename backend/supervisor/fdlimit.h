/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's file descriptors: one budget that every device and connection
 * draws from before it may open anything, so one guest cannot leave the others
 * without descriptors (docs/design.md "Limits"), and an accept() that survives
 * running out.
 */
#ifndef XEN9P_FDLIMIT_H
#define XEN9P_FDLIMIT_H

#include <stdbool.h>

/* Descriptors the daemon itself needs (xenstore, grant and event handles,
 * control socket, logs, signalfd, pid file, spares). */
#define FDLIMIT_DAEMON 64
/* What the supervisor holds per device or connection: its worker's pidfd,
 * link and log pipe, and an export descriptor on the way to it.  The files a
 * guest opens are the worker's, within the worker's own limit. */
#define FDLIMIT_DEVICE 8
#define FDLIMIT_CONNECTION 8

/*
 * Raises the soft RLIMIT_NOFILE to the hard one (the administrator's ceiling,
 * systemd's LimitNOFILE, which the daemon never raises) and sets the budget
 * to it minus FDLIMIT_DAEMON.  Returns the limit.
 */
unsigned long fdlimit_init(void);

/* Takes `n` from the budget: false, with *why (g_free) saying so, if it has less. */
bool fdlimit_take(unsigned long n, const char *what, char **why);
void fdlimit_give(unsigned long n);
/* What the budget has left. */
unsigned long fdlimit_available(void);
/* The hard limit (what a worker may raise its own limit to). */
unsigned long fdlimit_hard(void);

/*
 * accept4() for a listening socket polled for readiness, taking `budget`
 * descriptors for the new connection (0: a short-lived one).  A connection
 * that cannot be had (the budget is spent, or the process is out of
 * descriptors: then it is accepted on a spare one) is closed at once and
 * logged at most once a minute, so a readiness loop never spins on it.
 * Returns the new fd, or -1 with errno (EAGAIN: nothing pending, EMFILE:
 * refused).  Give the budget back with fdlimit_give() when it closes.
 */
int fdlimit_accept(int listen_fd, int flags, unsigned long budget, const char *what);

#endif
