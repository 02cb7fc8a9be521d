/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket between xen9pd and xen9p (8): a unix stream socket (root
 * only); the client sends one command line, words separated by tabs ("list",
 * "rings", "trace", "reload"), the daemon answers with tab-separated lines
 * ("device ...", "ring ...", "trace ...", "reloaded ...", "warning ...",
 * "daemon ...", "error ...") and closes.  Every text field a guest may
 * influence is escaped (xen9p_escape), so no value adds a field or a line.
 * docs/design.md "The control socket" lists each command and answer.
 */
#ifndef XEN9P_CONTROL_SOCKET_H
#define XEN9P_CONTROL_SOCKET_H

#define XEN9P_CONTROL_DEFAULT "/run/xen9pd/control.sock"

#endif
