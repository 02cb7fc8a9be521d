/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The scripted guest's insides, shared by xb-agent.c (the loop, connecting,
 * files) and xb-agent-ring.c (flushes and the transport, raw). */
#ifndef XB_AGENT_PRIVATE_H
#define XB_AGENT_PRIVATE_H

#include <stdint.h>

#include <glib.h>

#include "tests/xenbackend/xb-agent.h"
#include "tools/p9front.h"

struct xs_handle;

struct agent {
    XenEmuPeer *self;
    struct p9front *fs;
    struct xs_handle *xs;
    char *devdir;
    GRand *rand;
    uint32_t next_fid;
};

/* One answer line (newlines in it become spaces). */
void xb_answer(struct agent *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* "err ERRNO WHAT: strerror"; returns err. */
int xb_answer_errno(struct agent *a, int err, const char *what);
/* A number argument (decimal or 0x...). */
uint64_t xb_num(const char *s);

/* Commands of xb-agent-ring.c (see xb-agent.h). */
void xb_cmd_flush_read(struct agent *a, char **argv);
void xb_cmd_flush_open(struct agent *a, char **argv);
void xb_cmd_flush_order(struct agent *a, char **argv);
void xb_cmd_split(struct agent *a, char **argv);
void xb_cmd_raw_size(struct agent *a, char **argv);
void xb_cmd_out_prod_ahead(struct agent *a, char **argv);
void xb_cmd_in_cons_past(struct agent *a, char **argv);
void xb_cmd_storm(struct agent *a, char **argv);
void xb_cmd_stream(struct agent *a, char **argv);
void xb_cmd_bursts(struct agent *a, char **argv);
void xb_cmd_traffic(struct agent *a, char **argv);

#endif
