// SPDX-License-Identifier: GPL-2.0-or-later
/* A scripted guest for the grant and event channel tests: a child process
 * acting as one domain (xenemu_peer_fork), answering one line per command. */
#ifndef XENEMU_TEST_AGENT_H
#define XENEMU_TEST_AGENT_H

#include "tests/xenemu/xenemu.h"

/*
 * Commands (answers):
 *   share DOMID COUNT WRITABLE  (refs R...)  pages filled with 0x10 + page index
 *   fill K PAGE BYTE            (ok)         share K = K-th share, from 0
 *   peek K PAGE OFFSET          (byte V)
 *   unshare K                   (ok | err ERRNO)
 *   unbound DOMID               (port P | err ERRNO)
 *   interdomain DOMID PORT      (port P | err ERRNO)
 *   notify PORT / unmask PORT / unbind PORT   (ok | err ERRNO)
 *   pending                     (event P | none)   non-blocking
 *   wait MS                     (event P | none)   poll, then pending
 *   evclose                     (ok)
 *   crash                       exits at once, closing nothing
 *   quit                        closes its handles, exits 0
 */
XenEmuPeer *agent_start(const XenEmu *emu, unsigned domid);
/* Send a command, return its answer (asserts one arrives). */
char *agent_call(XenEmuPeer *agent, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* "quit" and wait: asserts a clean exit. */
void agent_quit(XenEmuPeer *agent);

#endif
