/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The world of one Xen backend test (dom0's side): an emulated Xen of its
 * own, the production xen9pd running against it, the xen9p CLI, a
 * toolstack that writes device nodes as libxl does, scripted guests
 * (xb-agent.h) and what a test looks at afterwards: xenstore nodes, the
 * daemon's grant mappings, event channels and file descriptors.
 *
 * Everything lives in /tmp/xenbackend-XXXXXX (exports, logs, the control
 * socket), removed at the end unless XEN9P_EMU_KEEP is set.
 */
#ifndef XB_ENV_H
#define XB_ENV_H

#include <stdbool.h>

#include <glib.h>

#include "tests/xenemu/xenemu.h"

#define XB_TIMEOUT_MS 20000

typedef struct XbEnv XbEnv;
typedef struct XbAgent XbAgent;

/* In main(), before g_test_init: the stand-in Xen libraries must be loaded. */
void xb_init(int *argc, char ***argv);

XbEnv *xb_env_new(void);
/* Stops agents, the daemon (asserting a clean SIGTERM exit) and the emulator. */
void xb_env_free(XbEnv *env);

const char *xb_dir(XbEnv *env);
XenEmu *xb_emu(XbEnv *env);
/* A new directory under the work directory (an export); g_free. */
char *xb_mkdir(XbEnv *env, const char *name);
void xb_create_domain(XbEnv *env, unsigned domid);
void xb_destroy_domain(XbEnv *env, unsigned domid);

/* ---- xen9pd ---- */

/* Starts xen9pd (Xen mode, --foreground, --trace if asked or XB_TRACE is set) and waits until it
 * serves (its pid file appears); asserts it did.  Its pid. */
GPid xb_daemon_start(XbEnv *env, bool trace);
/*
 * xen9pd under a service manager with a descriptor store, as systemd runs it
 * (tests/integration/svc-standin): its workers outlive its restarts.  Waits
 * until it serves; its pid.  xb_env_free stops the manager (systemctl stop).
 */
GPid xb_daemon_start_managed(XbEnv *env);
/* The manager restarts xen9pd: SIGTERM first (systemctl restart) or SIGKILL
 * (`crash`); waits until the next one serves.  Its pid. */
GPid xb_daemon_restart(XbEnv *env, bool crash);
/* The manager's pid: the workers' ancestor across restarts. */
GPid xb_daemon_manager(XbEnv *env);
/* The open-file limit (soft and hard) the next xb_daemon_start gives xen9pd. */
void xb_daemon_limit_fds(XbEnv *env, unsigned long nofile);
/* One more option for the next xb_daemon_start ("--no-sandbox"), or NULL. */
void xb_daemon_option(XbEnv *env, const char *option);
/* Starts another xen9pd with its own control socket; returns its exit status
 * (it is expected to refuse) and its stderr (g_free). */
int xb_daemon_run_second(XbEnv *env, char **output);
GPid xb_daemon_pid(XbEnv *env);
/* Sends sig and waits for the exit (timeout_ms); the wait status, or -1. */
int xb_daemon_stop(XbEnv *env, int sig, int timeout_ms);
/* The daemon's log so far (g_free). */
char *xb_daemon_log(XbEnv *env);
/* Asserts the daemon still runs. */
void xb_assert_daemon_alive(XbEnv *env);

/* ---- the xen9p CLI ---- */

/* Runs xen9p --control SOCK ARGS...; its exit code; stdout/stderr if asked. */
int xb_xen9p(XbEnv *env, char **out, char **err, ...) G_GNUC_NULL_TERMINATED;
/* `xen9p attach DOMID SPEC`, asserted to succeed: the device id. */
unsigned xb_attach(XbEnv *env, unsigned domid, const char *spec);
/* `xen9p detach DOMID WHICH`, asserted to succeed. */
void xb_detach(XbEnv *env, unsigned domid, const char *which);

typedef struct {
    unsigned dom, dev, rings;
    char *tag, *state, *error;
    /* Its worker (`xen9p list --verbose`): pid 0 if none. */
    int worker_pid, no_new_privs;
    long worker_uid;
    char *caps, *seccomp;       /* "dac_override,fowner", "filter" */
    unsigned crashes;
} XbDevice;

typedef struct {
    unsigned devices, mapped_pages, event_channels;
    guint64 open_files;
    int pid;
    GPtrArray *rows;            /* XbDevice */
} XbList;

/* `xen9p list`, parsed (asserts it worked). */
XbList *xb_list(XbEnv *env);
const XbDevice *xb_list_find(const XbList *l, unsigned dom, unsigned dev);
void xb_list_free(XbList *l);

/* ---- xenstore, as dom0 ---- */

char *xb_read(XbEnv *env, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
bool xb_exists(XbEnv *env, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void xb_write(XbEnv *env, const char *path, const char *value);
void xb_rm(XbEnv *env, const char *path);
/* Polls `path` until it reads one of the states in `states` ("5,6"); the
 * state read last (-1: missing). */
int xb_wait_state(XbEnv *env, const char *path, const char *states, int timeout_ms);
/* Polls until `path` does not exist. */
bool xb_wait_gone(XbEnv *env, const char *path, int timeout_ms);
char *xb_backend_dir(unsigned domid, unsigned devid);
char *xb_frontend_dir(unsigned domid, unsigned devid);

/* What libxl writes for p9 = [ 'type=xen_9pfsd,...' ] (protocol D.2): the
 * frontend and backend directories; `keys` are the backend's "KEY=VALUE"
 * (path, security_model, quotas), NULL-terminated. */
void xb_toolstack_add(XbEnv *env, unsigned domid, unsigned devid, const char *tag,
                      const char *const *keys);
/* libxl's removal: online=0 + Closing, wait for Closed (timeout_ms), remove
 * both directories.  The state the backend reached. */
int xb_toolstack_remove(XbEnv *env, unsigned domid, unsigned devid, int timeout_ms);

/* ---- resources held by a process ---- */

/* pid's open file descriptors, not counting the emulator's own (see xb-env.c). */
unsigned xb_fd_count(XbEnv *env, GPid pid);
/* Granted pages of `domid` (-1: of any domain) that pid and its descendants
 * (xen9pd's workers) map. */
unsigned xb_mapped_pages(XbEnv *env, GPid pid, int domid);
/* Dom0's interdomain event channels bound to `domid` (-1: to any domain). */
unsigned xb_bound_ports(XbEnv *env, int domid);
/* Waits until pid's fd count is `want` (settling after a teardown). */
unsigned xb_wait_fd_count(XbEnv *env, GPid pid, unsigned want, int timeout_ms);

/* ---- guests ---- */

XbAgent *xb_agent_start(XbEnv *env, unsigned domid);
void xb_agent_send(XbAgent *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The next answer line (g_free); NULL after timeout_ms. */
char *xb_agent_recv(XbAgent *a, int timeout_ms);
/* Sends a command, returns its answer (asserts one came). */
char *xb_agent_call(XbAgent *a, int timeout_ms, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* The same, asserting the answer starts with "ok"; the rest (g_free). */
char *xb_agent_ok(XbAgent *a, int timeout_ms, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* connect + mount; asserts both worked. */
void xb_agent_mount(XbAgent *a, unsigned devid, bool minios);
/* The polite close, asserted to finish without waiting out a timeout. */
void xb_agent_close(XbAgent *a);
/* Asserts the frontend counted nothing Linux would complain about. */
void xb_agent_assert_clean(XbAgent *a);
/* The guest dies: SIGKILL, reaped. */
void xb_agent_kill(XbAgent *a);
GPid xb_agent_pid(XbAgent *a);

#endif
