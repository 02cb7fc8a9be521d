// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The sharing side of the stand-in libxengnttab (what a frontend simulator
 * uses, like Linux's gntalloc): fresh zeroed pages granted to one domain.
 * Ref N is backed by page N of our grant-pages file. An unshared ref that a
 * peer still maps is not reused until the peer unmaps it (gntalloc defers
 * the release the same way).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xengnttab.h>

#include "tests/xenemu/standin/gnttab-handle.h"

xengntshr_handle *xengntshr_open(struct xentoollog_logger *logger, unsigned open_flags)
{
	return emu_gnt_handle_open();
}

int xengntshr_close(xengntshr_handle *xgs)
{
	return emu_gnt_handle_close(xgs);
}

int xengntshr_fd(xengntshr_handle *xgs)
{
	return xgs->fd;
}

/* Reserve count free refs (table lock held); 0 or -1 when the table is full. */
static int reserve_refs(const struct emu_grant_domain *own, uint32_t count, uint32_t *refs)
{
	struct emu_grant_table *t = own->table;
	uint32_t found = 0, tried, ref = t->next_hint, i;
	const uint32_t usable = EMU_GRANT_ENTRIES - EMU_GRANT_FIRST_REF;

	for (tried = 0; tried < usable && found < count; tried++) {
		struct emu_grant_entry *e;

		if (ref < EMU_GRANT_FIRST_REF || ref >= EMU_GRANT_ENTRIES)
			ref = EMU_GRANT_FIRST_REF;
		e = &t->entries[ref];
		/* mapped by processes that all exited since: their gntdev let go */
		if (e->state == EMU_GRANT_FREE && e->map_count > 0 && !emu_gnt_ref_held(own, ref))
			e->map_count = 0;
		if (e->state == EMU_GRANT_FREE && e->map_count == 0) {
			e->state = EMU_GRANT_RESERVED;
			refs[found++] = ref;
		}
		ref++;
	}
	if (found == count) {
		t->next_hint = ref;
		return 0;
	}
	for (i = 0; i < found; i++)
		t->entries[refs[i]].state = EMU_GRANT_FREE;
	return -1;
}

/* A new grant starts as a zeroed page, like a page fresh from gntalloc. */
static int zero_page(int fd, uint32_t ref)
{
	static const uint8_t zeros[EMU_PAGE_SIZE];
	off_t off = (off_t)ref * EMU_PAGE_SIZE;

	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, EMU_PAGE_SIZE) == 0)
		return 0;
	return pwrite(fd, zeros, sizeof(zeros), off) == (ssize_t)sizeof(zeros) ? 0 : -1;
}

static void *share(xengntshr_handle *h, uint32_t domid, uint32_t count, uint32_t *refs,
		   int writable, const struct emu_unmap_notify *notify)
{
	struct emu_grant_domain *own;
	struct emu_grant_table *t;
	struct emu_mapping *m = NULL;
	uint32_t i;
	int err = ENOMEM;

	if (count == 0 || count > EMU_GRANT_ENTRIES || !refs || domid >= 0x7ff0) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&h->lock);
	own = emu_gnt_domain_get(h, h->domid);
	if (!own) {
		err = errno;
		goto fail_no_domain;
	}
	t = own->table;
	m = calloc(1, sizeof(*m));
	if (!m || !(m->domains = calloc(count, sizeof(*m->domains))) ||
	    !(m->refs = malloc(count * sizeof(*m->refs))))
		goto fail;
	m->count = count;
	m->shared_by_us = true;
	if (notify)
		m->notify = *notify;

	emu_mutex_lock(&t->lock);
	if (reserve_refs(own, count, m->refs) != 0) {
		emu_mutex_unlock(&t->lock);
		err = ENOSPC;
		goto fail;
	}
	emu_mutex_unlock(&t->lock);

	for (i = 0; i < count; i++) {
		m->domains[i] = own;
		if (zero_page(own->pages_fd, m->refs[i]) != 0) {
			err = errno;
			goto fail_release;
		}
	}
	m->addr = emu_gnt_map_pages(count, m->domains, m->refs, PROT_READ | PROT_WRITE);
	if (!m->addr) {
		err = errno;
		goto fail_release;
	}

	emu_mutex_lock(&t->lock);
	for (i = 0; i < count; i++) {
		struct emu_grant_entry *e = &t->entries[m->refs[i]];

		e->granted_to = (uint16_t)domid;
		e->writable = writable ? 1 : 0;
		e->state = EMU_GRANT_ACTIVE;
		refs[i] = m->refs[i];
	}
	emu_mutex_unlock(&t->lock);

	/* Every page holds a reference on our table; the get above is one. */
	for (i = 1; i < count; i++)
		own->refcount++;
	m->next = h->mappings;
	h->mappings = m;
	pthread_mutex_unlock(&h->lock);
	return m->addr;

fail_release:
	emu_mutex_lock(&t->lock);
	for (i = 0; i < count; i++)
		t->entries[m->refs[i]].state = EMU_GRANT_FREE;
	emu_mutex_unlock(&t->lock);
fail:
	emu_gnt_domain_put(h, own);
	if (m) {
		free(m->domains);
		free(m->refs);
		free(m);
	}
fail_no_domain:
	pthread_mutex_unlock(&h->lock);
	errno = err;
	return NULL;
}

void *xengntshr_share_pages(xengntshr_handle *xgs, uint32_t domid, int count,
			    uint32_t *refs, int writable)
{
	if (count <= 0) {
		errno = EINVAL;
		return NULL;
	}
	return share(xgs, domid, (uint32_t)count, refs, writable, NULL);
}

void *xengntshr_share_page_notify(xengntshr_handle *xgs, uint32_t domid, uint32_t *ref,
				  int writable, uint32_t notify_offset,
				  evtchn_port_t notify_port)
{
	struct emu_unmap_notify n = {
		.clear_byte = notify_offset < EMU_PAGE_SIZE,
		.offset = notify_offset,
		.send_event = notify_port != (evtchn_port_t)-1,
		.port = notify_port,
	};

	return share(xgs, domid, 1, ref, writable, &n);
}

int xengntshr_unshare(xengntshr_handle *xgs, void *start_address, uint32_t count)
{
	struct emu_mapping *m;

	pthread_mutex_lock(&xgs->lock);
	m = emu_gnt_find(xgs, start_address, true);
	if (!m || m->count != count) {
		pthread_mutex_unlock(&xgs->lock);
		errno = EINVAL;
		return -1;
	}
	emu_gnt_unlink(xgs, m);
	emu_gnt_teardown(xgs, m);
	pthread_mutex_unlock(&xgs->lock);
	return 0;
}
