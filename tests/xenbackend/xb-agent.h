/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A scripted guest for the Xen backend tests: a child process acting as one
 * emulated domain (xenemu_peer_fork) that drives a p9front frontend and
 * answers each command line with one line, "ok ..." or "err ...".
 *
 *   connect DEVDIR linux|minios [order=N] [badref] [initialising] [timeout=MS]
 *   mount VERSION MSIZE               ok MSIZE
 *   close                             the polite close (Closing, Closed): ok MS
 *   abandon                           vanishes without a word
 *   await-close MS                    waits for the backend's Closing or Closed,
 *                                     then closes as Linux does: ok STATE
 *   stats                             ok wrong_tag=N split=N after_flush=N wrong_ring=N
 *                                     broken=0|1
 *   stat                              Tgetattr / Tstat of the root
 *   write PATH SIZE SEED INFLIGHT     pattern SEED, pipelined, random sizes
 *   verify PATH SIZE SEED INFLIGHT    reads back, byte for byte: ok SHA256
 *   multi N SIZE SEED INFLIGHT        N files (N fids at once), written then verified,
 *                                     requests interleaved over the files
 *   create PATH | remove PATH         ok | err ERRNO
 *   open PATH                         keeps a fid open: ok FID | err ERRNO
 *   clunk FID
 *   fill PATH SIZE                    sequential writes: ok WRITTEN | err ERRNO WRITTEN
 *   fill-unlinked PATH SIZE           the same after removing PATH, the fid kept open:
 *                                     ok WRITTEN FID | err ERRNO WRITTEN FID
 *   truncate FID SIZE                 Tsetattr of the size (9P2000.L)
 *   mkdirs PREFIX N                   Tmkdir PREFIX0..: ok MADE REFUSED (refused: EDQUOT)
 *   flush-read FIFO                   a Tread blocked on FIFO, flushed from the
 *                                     other ring: ok OLDTAG FLUSHTAG
 *   flush-open FIFO                   the same with a Tlopen blocked on FIFO
 *   flush-order                       reply left unconsumed on ring 0, Tflush on
 *                                     ring 1 (see xb-agent.c): ok OLDTAG FLUSHTAG
 *   split                             a request published in two index moves
 *   raw-size SIZE                     a bare 9P header with this size field, ring 0
 *   out-prod-ahead                    ring 0's out_prod moved 1 GiB ahead
 *   in-cons-past                      every ring's in_cons moved past in_prod, then a request
 *   storm MS                          notifies every ring as fast as it can: ok COUNT
 *   stream PATH SIZE                  answers "started" once writes are in flight,
 *                                     then the final line when done (or never)
 *   traffic                           writes and verifies files until "stop": ok ROUNDS MAX_MS
 *   bursts ROUNDS BURST               BURST requests at once, then one alone, ROUNDS
 *                                     times: ok MAX_MS (of the lone requests)
 *   quit
 */
#ifndef XB_AGENT_H
#define XB_AGENT_H

#include "tests/xenemu/xenemu.h"

/* The child's side: xenemu_peer_fork(emu, domid, xb_agent_main, NULL). */
int xb_agent_main(XenEmuPeer *self, gpointer data);

#endif
