// SPDX-License-Identifier: GPL-2.0-or-later
/* The stand-in libxengnttab's handle: one for both the mapping (xengnttab) and
 * the sharing (xengntshr) side, as in the real library. */
#ifndef XENEMU_GNTTAB_HANDLE_H
#define XENEMU_GNTTAB_HANDLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "tests/xenemu/shm/emu-shm.h"

/* What to do when a mapping or share is torn down (gntdev's unmap_notify). */
struct emu_unmap_notify {
	bool clear_byte;
	uint32_t offset;  /* byte of the first page cleared */
	bool send_event;
	uint32_t port;    /* caller's local port whose peer is notified */
};

/* One xengnttab_map_* result or one xengntshr_share_* result. */
struct emu_mapping {
	void *addr;
	uint32_t count;
	bool shared_by_us;                 /* xengntshr side: we own the pages */
	struct emu_grant_domain **domains; /* granting domain of each page */
	uint32_t *refs;
	struct emu_unmap_notify notify;
	struct emu_mapping *next;
};

struct xengntdev_handle {
	pthread_mutex_t lock;
	char dir[EMU_DIR_MAX + 1];
	uint32_t domid;
	int fd;                            /* what xengnttab_fd() returns */
	struct emu_grant_domain *domains;  /* cache of opened grant tables */
	struct emu_mapping *mappings;
};

struct xengntdev_handle *emu_gnt_handle_open(void);
/* Undo every mapping / share left, then free the handle. */
int emu_gnt_handle_close(struct xengntdev_handle *h);

/* Reference on domain D's live table (handle lock held); NULL + errno. */
struct emu_grant_domain *emu_gnt_domain_get(struct xengntdev_handle *h, uint32_t domid);
void emu_gnt_domain_put(struct xengntdev_handle *h, struct emu_grant_domain *gd);

/* Reserve count pages of address space, then place each page of the list
 * over it (MAP_FIXED): the result is virtually contiguous. */
void *emu_gnt_map_pages(uint32_t count, struct emu_grant_domain **domains,
			const uint32_t *refs, int prot);

/* Tear down a mapping record: notify, munmap, drop counts (handle lock held). */
void emu_gnt_teardown(struct xengntdev_handle *h, struct emu_mapping *m);

/*
 * A process that maps a grant and exits without unmapping (a confined
 * worker, a crash) leaves map_count raised: Linux's gntdev would unmap at
 * exit.  Each mapper holds a read lock (OFD, gone with its last descriptor)
 * on byte `ref` of the granting domain's page file; the granter reuses a
 * freed ref whose count no live lock backs.
 */
void emu_gnt_hold_ref(const struct emu_grant_domain *gd, uint32_t ref);
bool emu_gnt_ref_held(const struct emu_grant_domain *gd, uint32_t ref);
struct emu_mapping *emu_gnt_find(struct xengntdev_handle *h, void *addr,
				 bool shared_by_us);
void emu_gnt_unlink(struct xengntdev_handle *h, struct emu_mapping *m);

#endif
