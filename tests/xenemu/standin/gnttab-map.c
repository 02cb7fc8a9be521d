// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The mapping side of the stand-in libxengnttab (what a backend uses).
 * Rules as Xen's GNTTABOP_map_grant_ref: the ref is in range, granted, granted
 * to the caller's domain, and writable when PROT_WRITE is asked; otherwise the
 * call fails with EINVAL and nothing at all is mapped.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <xengnttab.h>

#include "tests/xenemu/standin/gnttab-handle.h"

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
	return emu_gnt_handle_open();
}

int xengnttab_close(xengnttab_handle *xgt)
{
	return emu_gnt_handle_close(xgt);
}

int xengnttab_fd(xengnttab_handle *xgt)
{
	return xgt->fd;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
	/* Current Linux gntdev ignores the limit too. */
	return 0;
}

static bool grant_allows(const struct emu_grant_table *t, uint32_t ref,
			 uint32_t mapper, int prot)
{
	const struct emu_grant_entry *e;

	if (t->dead || ref < EMU_GRANT_FIRST_REF || ref >= EMU_GRANT_ENTRIES)
		return false;
	e = &t->entries[ref];
	if (e->state != EMU_GRANT_ACTIVE || e->granted_to != mapper)
		return false;
	return !(prot & PROT_WRITE) || e->writable;
}

/* Take a map count on every page, or on none of them. */
static int claim_pages(struct xengntdev_handle *h, uint32_t count,
		       struct emu_grant_domain **domains, const uint32_t *refs, int prot)
{
	uint32_t i, j;

	for (i = 0; i < count; i++) {
		struct emu_grant_table *t = domains[i]->table;
		bool ok;

		emu_mutex_lock(&t->lock);
		ok = grant_allows(t, refs[i], h->domid, prot);
		if (ok) {
			t->entries[refs[i]].map_count++;
			emu_gnt_hold_ref(domains[i], refs[i]);
		}
		emu_mutex_unlock(&t->lock);
		if (!ok)
			break;
	}
	if (i == count)
		return 0;
	for (j = 0; j < i; j++) {
		struct emu_grant_table *t = domains[j]->table;

		emu_mutex_lock(&t->lock);
		t->entries[refs[j]].map_count--;
		emu_mutex_unlock(&t->lock);
	}
	return -1;
}

static void *map_refs(struct xengntdev_handle *h, uint32_t count, const uint32_t *domids,
		      uint32_t one_domid, const uint32_t *refs, int prot,
		      const struct emu_unmap_notify *notify)
{
	struct emu_mapping *m;
	uint32_t i, got = 0;
	int err = EINVAL;

	if (count == 0 || count > EMU_GRANT_ENTRIES || !refs ||
	    (prot & ~(PROT_READ | PROT_WRITE)) || !(prot & PROT_READ)) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m || !(m->domains = calloc(count, sizeof(*m->domains))) ||
	    !(m->refs = malloc(count * sizeof(*m->refs)))) {
		err = ENOMEM;
		goto fail_alloc;
	}
	m->count = count;
	for (i = 0; i < count; i++)
		m->refs[i] = refs[i];
	if (notify)
		m->notify = *notify;

	pthread_mutex_lock(&h->lock);
	for (got = 0; got < count; got++) {
		uint32_t domid = domids ? domids[got] : one_domid;

		m->domains[got] = emu_gnt_domain_get(h, domid);
		if (!m->domains[got])
			goto fail; /* no such domain: a bad grant, as Xen says */
	}
	if (claim_pages(h, count, m->domains, m->refs, prot) != 0)
		goto fail;
	m->addr = emu_gnt_map_pages(count, m->domains, m->refs, prot);
	if (!m->addr) {
		err = errno;
		for (i = 0; i < count; i++) {
			struct emu_grant_table *t = m->domains[i]->table;

			emu_mutex_lock(&t->lock);
			t->entries[m->refs[i]].map_count--;
			emu_mutex_unlock(&t->lock);
		}
		goto fail;
	}
	m->next = h->mappings;
	h->mappings = m;
	pthread_mutex_unlock(&h->lock);
	return m->addr;

fail:
	for (i = 0; i < got; i++)
		emu_gnt_domain_put(h, m->domains[i]);
	pthread_mutex_unlock(&h->lock);
fail_alloc:
	if (m) {
		free(m->domains);
		free(m->refs);
		free(m);
	}
	errno = err;
	return NULL;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot)
{
	return map_refs(xgt, 1, NULL, domid, &ref, prot, NULL);
}

void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t *domids,
			       uint32_t *refs, int prot)
{
	if (!domids) {
		errno = EINVAL;
		return NULL;
	}
	return map_refs(xgt, count, domids, 0, refs, prot, NULL);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid,
				      uint32_t *refs, int prot)
{
	return map_refs(xgt, count, NULL, domid, refs, prot, NULL);
}

void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt, uint32_t domid, uint32_t ref,
				     int prot, uint32_t notify_offset,
				     evtchn_port_t notify_port)
{
	/* Same encoding as the real library: offset >= page size or port -1
	 * means "no such notification". */
	struct emu_unmap_notify n = {
		.clear_byte = notify_offset < EMU_PAGE_SIZE,
		.offset = notify_offset,
		.send_event = notify_port != (evtchn_port_t)-1,
		.port = notify_port,
	};

	return map_refs(xgt, 1, NULL, domid, &ref, prot, &n);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
	struct emu_mapping *m;

	pthread_mutex_lock(&xgt->lock);
	m = emu_gnt_find(xgt, start_address, false);
	/* Like gntdev: the address must start a mapping of exactly count pages. */
	if (!m || m->count != count) {
		pthread_mutex_unlock(&xgt->lock);
		errno = EINVAL;
		return -1;
	}
	emu_gnt_unlink(xgt, m);
	emu_gnt_teardown(xgt, m);
	pthread_mutex_unlock(&xgt->lock);
	return 0;
}
