/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the parts of the test harness (xb-*.c) share behind xb-env.h. */
#ifndef XB_ENV_PRIVATE_H
#define XB_ENV_PRIVATE_H

#include <sys/types.h>

#include "tests/xenbackend/xb-env.h"

struct xs_handle;

struct XbEnv {
    XenEmu *emu;
    char *dir;
    char *control, *log, *pid_file;
    GPid daemon;
    GPid manager;                   /* the service manager xen9pd runs under, or 0 */
    char *manager_log;
    unsigned long daemon_nofile;    /* 0, or the open-file limit the daemon starts with */
    char *daemon_option;            /* NULL, or one more option for the next daemon */
    struct xs_handle *xs;
    GPtrArray *agents;
};

struct XbAgent {
    XbEnv *env;
    XenEmuPeer *peer;
    unsigned domid;
};

/* Processes killed (SIGKILL) if a failed assertion aborts the test. */
void xb_remember_child(pid_t pid);
void xb_forget_child(pid_t pid);
/* A file of the build tree ($top_builddir, or the one the tests were built in). */
char *xb_build_path(const char *rel);

#endif
