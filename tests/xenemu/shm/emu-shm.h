// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The shared state of one emulated Xen: files under $XEN9P_EMU_DIR that
 * xenemu-xenstored creates and the stand-in libxengnttab / libxenevtchn map.
 *
 *   $DIR/xenstored.sock          dom0 (privileged) xenstore connections
 *   $DIR/evtchn.table            every domain's event channel ports (mmapped)
 *   $DIR/evtchn/h<N>             AF_UNIX datagram socket of xenevtchn handle N
 *   $DIR/dom<D>/xenstore.sock    domain D's xenstore connections (after INTRODUCE)
 *   $DIR/dom<D>/grant-table      domain D's grant entries (mmapped)
 *   $DIR/dom<D>/grant-pages      the granted pages: page N backs grant ref N
 *
 * Every table starts with a process-shared robust mutex that xenstored
 * initialises; a process that dies holding it does not wedge the others.
 * RELEASE marks the domain's tables dead and unlinks them: whoever still maps
 * the pages keeps a valid mapping of the unlinked file, as with real Xen.
 */
#ifndef XENEMU_EMU_SHM_H
#define XENEMU_EMU_SHM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMU_PAGE_SIZE 4096u
/* Emulated domids are 0..EMU_MAX_DOMAINS-1; real Xen allows up to 0x7fef. */
#define EMU_MAX_DOMAINS 256u
/* 64 grant frames of v1 entries: Xen's default max_grant_frames. */
#define EMU_GRANT_ENTRIES 32768u
/* GNTTAB_NR_RESERVED_ENTRIES: guests never hand out refs 0..7. */
#define EMU_GRANT_FIRST_REF 8u
#define EMU_EVTCHN_PORTS 1024u
#define EMU_DIR_ENV "XEN9P_EMU_DIR"
#define EMU_DOMID_ENV "XEN9P_EMU_DOMID"
/* sockaddr_un.sun_path is 108 bytes; the longest name we add is short. */
#define EMU_DIR_MAX 80u

/* ---- paths and environment (emu-paths.c) ---- */

/* $XEN9P_EMU_DIR made absolute (a daemon may chdir later) into buf;
 * -1 + errno when unset, missing or too long. */
int emu_dir_from_env(char buf[EMU_DIR_MAX + 1]);
/* $XEN9P_EMU_DOMID (default 0), validated; -1 + errno EINVAL when bad. */
int emu_domid_from_env(uint32_t *domid);
/* snprintf into buf; -1 + ENAMETOOLONG when it does not fit. */
int emu_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- shared mutex (emu-paths.c) ---- */

int emu_mutex_init_shared(pthread_mutex_t *m);
void emu_mutex_lock(pthread_mutex_t *m);
void emu_mutex_unlock(pthread_mutex_t *m);

/* ---- grant tables (emu-grant-table.c) ---- */

enum emu_grant_state {
	EMU_GRANT_FREE = 0,  /* reusable once map_count is 0 too */
	EMU_GRANT_RESERVED,  /* being set up by its owner: not mappable yet */
	EMU_GRANT_ACTIVE,    /* granted: mappable by granted_to */
};

struct emu_grant_entry {
	uint8_t state;
	uint8_t writable;
	uint16_t granted_to; /* domid allowed to map it */
	uint32_t map_count;  /* live foreign mappings; the ref is reused only at 0 */
};

#define EMU_GRANT_MAGIC 0x58454e47u /* "XENG" */

struct emu_grant_table {
	uint32_t magic;
	uint32_t domid;
	uint32_t dead;       /* domain released: nothing new is shared or mapped */
	uint32_t next_hint;  /* where the next free-ref search starts */
	pthread_mutex_t lock;
	struct emu_grant_entry entries[EMU_GRANT_ENTRIES];
};

/* One domain's grant table and page file as mapped by one process. */
struct emu_grant_domain {
	uint32_t domid;
	int pages_fd;
	struct emu_grant_table *table;
	unsigned refcount;   /* users inside one stand-in handle */
	struct emu_grant_domain *next;
};

/* xenstored: create dom<D>/ with a fresh table and an empty page file. */
int emu_grant_domain_create(const char *dir, uint32_t domid);
/* xenstored: mark the table dead and unlink dom<D>/'s grant files. */
int emu_grant_domain_destroy(const char *dir, uint32_t domid);
/* Map domain D's table; NULL + errno (ESRCH if the domain does not exist). */
struct emu_grant_domain *emu_grant_domain_open(const char *dir, uint32_t domid);
void emu_grant_domain_close(struct emu_grant_domain *gd);

/* ---- event channels (emu-evtchn-table.c) ---- */

enum emu_port_state {
	EMU_PORT_FREE = 0,
	EMU_PORT_UNBOUND,     /* allocated for remote_dom to bind to */
	EMU_PORT_INTERDOMAIN, /* connected to remote_dom:remote_port */
};

struct emu_evtchn_port {
	uint8_t state;
	uint8_t masked;   /* delivered and not yet unmasked */
	uint8_t pending;  /* notified while masked: re-delivered at unmask */
	uint8_t fired;    /* delivered, waiting for xenevtchn_pending() */
	uint16_t remote_dom;
	uint16_t reserved;
	uint32_t remote_port;
	uint32_t handle_id; /* xenevtchn handle that bound it */
};

struct emu_evtchn_domain {
	uint32_t alive;
	uint32_t incarnation; /* bumped at every INTRODUCE of this domid */
	struct emu_evtchn_port ports[EMU_EVTCHN_PORTS];
};

#define EMU_EVTCHN_MAGIC 0x58454e45u /* "XENE" */

struct emu_evtchn_table {
	uint32_t magic;
	uint32_t next_handle_id;
	pthread_mutex_t lock;
	struct emu_evtchn_domain doms[EMU_MAX_DOMAINS];
};

/* The table as mapped by one process, plus a socket to ring doorbells. */
/* Handles a context has a connected doorbell socket to (emu_evtchn_connect). */
#define EMU_EVTCHN_CONNECTED_MAX 16

struct emu_evtchn_ctx {
	char dir[EMU_DIR_MAX + 1];
	int send_fd;
	struct emu_evtchn_table *table;
	struct {
		uint32_t handle_id;
		int fd;
	} connected[EMU_EVTCHN_CONNECTED_MAX];
	unsigned nconnected;
};

/* xenstored: create evtchn.table and evtchn/ with dom0 alive. */
int emu_evtchn_table_create(const char *dir);
struct emu_evtchn_ctx *emu_evtchn_ctx_open(const char *dir);
void emu_evtchn_ctx_close(struct emu_evtchn_ctx *ctx);
/* Path of handle N's socket. */
int emu_evtchn_handle_path(const struct emu_evtchn_ctx *ctx, uint32_t handle_id,
			   char *buf, size_t len);

/* The functions below expect the table lock to be held. */

/* Domain alive in that incarnation (incarnation 0 = any). */
bool emu_evtchn_domain_ok(struct emu_evtchn_ctx *ctx, uint32_t domid,
			  uint32_t incarnation);
struct emu_evtchn_port *emu_evtchn_port_get(struct emu_evtchn_ctx *ctx,
					    uint32_t domid, uint32_t port);
/* Lowest free port of domid (never 0, reserved as in Xen); 0 when full. */
uint32_t emu_evtchn_port_alloc(struct emu_evtchn_ctx *ctx, uint32_t domid);
/* Close a port; an interdomain peer goes back to unbound, as in Xen. */
void emu_evtchn_port_close(struct emu_evtchn_ctx *ctx, uint32_t domid, uint32_t port);
/* Raise an event on domid:port (mask at delivery, like Linux's evtchn driver). */
void emu_evtchn_raise(struct emu_evtchn_ctx *ctx, uint32_t domid, uint32_t port);
/* EVTCHNOP_send from domid:port: raises the peer of an interdomain port,
 * does nothing for an unbound one. 0 or errno. */
int emu_evtchn_send(struct emu_evtchn_ctx *ctx, uint32_t domid, uint32_t port);
/* Closes the ports of every handle whose process died without closing it, as
 * the kernel closes an evtchn fd's ports when the process goes. */
void emu_evtchn_reap_dead(struct emu_evtchn_ctx *ctx);
/* Ring handle_id's doorbell for port; a vanished handle's ports are closed. */
void emu_evtchn_doorbell(struct emu_evtchn_ctx *ctx, uint32_t handle_id, uint32_t port);
/*
 * Connects a doorbell socket to handle_id's now, so later events reach it
 * without a path lookup: a process that confines itself afterwards (a new
 * mount namespace, as xen9pd's workers do) can still ring it.  Best effort.
 */
void emu_evtchn_connect(struct emu_evtchn_ctx *ctx, uint32_t handle_id);

/* xenstored: INTRODUCE / RELEASE. */
int emu_evtchn_domain_set_alive(const char *dir, uint32_t domid, bool alive);

#endif
