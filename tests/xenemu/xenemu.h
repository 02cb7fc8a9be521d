// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Helpers for tests and simulators that run against the emulated Xen
 * (libxenemu.a): start / stop an emulator instance, act as a domain, create
 * and destroy domains like a toolstack, run code as another domain in a
 * child process, and inspect grant mappings and event channel ports.
 *
 * Environment understood by the stand-in libraries and by xenemu-xenstored:
 *   XEN9P_EMU_DIR    the instance's directory (required by the stand-ins)
 *   XEN9P_EMU_DOMID  the calling process's domain (default 0)
 *   XENSTORED_PATH   read by the real libxenstore: <dir>/xenstored.sock for
 *                    dom0, <dir>/dom<N>/xenstore.sock for domain N
 *   LD_LIBRARY_PATH  must start with the stand-ins' directory (tests/xenemu/lib)
 */
#ifndef XENEMU_H
#define XENEMU_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct xs_handle;

#define XENEMU_ERROR xenemu_error_quark()
GQuark xenemu_error_quark(void);

/* ---- build locations ---- */

/* Directory holding xenemu-xenstored, xenemu-ctl and lib/: $XEN9P_EMU_BUILDDIR
 * or the build tree this library was compiled in. */
const char *xenemu_builddir(void);
/* <builddir>/lib: put it first in LD_LIBRARY_PATH. */
char *xenemu_standin_libdir(void);
/* Re-exec the running program with the stand-ins first in LD_LIBRARY_PATH
 * unless the loaded libxengnttab / libxenevtchn already are the stand-ins.
 * Call first thing in main(). Aborts if the re-exec did not help. */
void xenemu_reexec_with_standin_libs(char **argv);
/* TRUE when no real libxengnttab.so.1 / libxenevtchn.so.1 is loaded. */
gboolean xenemu_standin_libs_loaded(GError **error);

/* ---- an emulator instance ---- */

typedef struct XenEmu XenEmu;

/* Start xenemu-xenstored in a fresh /tmp/xenemu-XXXXXX (trace_file: its
 * --trace, or NULL) and create dom0's nodes like xen-init-dom0. */
XenEmu *xenemu_start(const char *trace_file, GError **error);
/* SIGTERM, wait, remove the directory. TRUE when xenstored exited 0 and
 * removed its sockets. Set XEN9P_EMU_KEEP=1 to keep the directory. */
gboolean xenemu_stop(XenEmu *emu);
const char *xenemu_dir(const XenEmu *emu);
GPid xenemu_xenstored_pid(const XenEmu *emu);
/* The xenstore socket a process of domain domid connects to. */
char *xenemu_xenstore_path(const XenEmu *emu, unsigned domid);
/* Make this process domain domid: sets the four variables above. */
void xenemu_enter_domain(const XenEmu *emu, unsigned domid);
/* envp plus those variables, for g_spawn*(); free with g_strfreev(). */
char **xenemu_environ(const XenEmu *emu, unsigned domid, char **envp);
/* A libxenstore handle of domain domid (NULL + errno). */
struct xs_handle *xenemu_xs_open(const XenEmu *emu, unsigned domid);
/* Toolstack's domain creation (nodes + INTRODUCE) / destruction. */
gboolean xenemu_create_domain(XenEmu *emu, unsigned domid, const char *name, GError **error);
gboolean xenemu_destroy_domain(XenEmu *emu, unsigned domid, GError **error);

/* ---- what a toolstack writes (xenemu-toolstack.c), over a dom0 handle ---- */

/* Domain 0: name + domid nodes as xen-init-dom0. Domain N: libxl's
 * /local/domain/N layout and permissions, then INTRODUCE. */
bool xenemu_toolstack_create_domain(struct xs_handle *xs, unsigned domid, const char *name);
/* RELEASE, then remove /local/domain/N. */
bool xenemu_toolstack_destroy_domain(struct xs_handle *xs, unsigned domid);

/* ---- inspection (xenemu-inspect.c) ---- */

typedef struct {
	unsigned domid;      /* granting domain */
	uint32_t first_ref;  /* grant ref of the first page (ref N = page N) */
	uint32_t count;      /* pages, consecutive refs */
	bool writable;
	uintptr_t start, end;
	bool deleted;        /* the granting domain was destroyed */
} XenEmuMapping;

/* Granted pages mapped by process pid (its own shared pages included),
 * from /proc/pid/maps. GArray of XenEmuMapping. */
GArray *xenemu_list_mappings(const char *dir, pid_t pid, GError **error);

typedef struct {
	uint32_t ref;
	unsigned state;      /* 1 reserved, 2 granted, 0 released but still mapped */
	unsigned granted_to;
	bool writable;
	unsigned map_count;
} XenEmuGrant;

/* Grant entries of domain domid that are in use or still mapped. */
GArray *xenemu_list_grants(const char *dir, unsigned domid, GError **error);
/* Live foreign mappings of domid's ref (0 for an unused ref); -1 on error. */
int xenemu_grant_map_count(const char *dir, unsigned domid, uint32_t ref);

typedef struct {
	uint32_t port;
	unsigned state;      /* 1 unbound, 2 interdomain */
	unsigned remote_dom, remote_port;
	bool masked, pending, fired;
	unsigned handle_id;
} XenEmuPort;

/* Event channel ports of domain domid that are not free. */
GArray *xenemu_list_ports(const char *dir, unsigned domid, GError **error);

/* ---- code running as another domain, in a child process ---- */

typedef struct XenEmuPeer XenEmuPeer;
typedef int (*XenEmuPeerFn)(XenEmuPeer *self, gpointer data);

/* fork(); the child enters domain domid, runs fn and exits with its result.
 * Parent and child talk in lines. */
XenEmuPeer *xenemu_peer_fork(const XenEmu *emu, unsigned domid, XenEmuPeerFn fn,
			     gpointer data);
gboolean xenemu_peer_send(XenEmuPeer *p, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* The next line (without '\n'), or NULL on EOF / after timeout_ms. */
char *xenemu_peer_recv(XenEmuPeer *p, int timeout_ms);
pid_t xenemu_peer_pid(const XenEmuPeer *p);
/* Parent: wait for the child, free p; the child's exit status (or -1). */
int xenemu_peer_wait(XenEmuPeer *p);

#endif
