// SPDX-License-Identifier: GPL-2.0-or-later
/* Handle life cycle, grant-table cache and mapping teardown of the stand-in
 * libxengnttab (shared by the xengnttab and xengntshr sides). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/xenemu/standin/gnttab-handle.h"

struct xengntdev_handle *emu_gnt_handle_open(void)
{
	struct xengntdev_handle *h;
	struct emu_grant_domain *own;
	char dir[EMU_DIR_MAX + 1];
	uint32_t domid;
	int saved;

	if (emu_dir_from_env(dir) != 0 || emu_domid_from_env(&domid) != 0)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&h->lock, NULL);
	strcpy(h->dir, dir);
	h->domid = domid;
	h->fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (h->fd < 0)
		goto fail;
	/* Our own domain must exist: a process runs inside a live domain. */
	own = emu_gnt_domain_get(h, domid);
	if (!own)
		goto fail;
	emu_gnt_domain_put(h, own);
	return h;
fail:
	saved = errno;
	if (h->fd >= 0)
		close(h->fd);
	pthread_mutex_destroy(&h->lock);
	free(h);
	errno = saved;
	return NULL;
}

int emu_gnt_handle_close(struct xengntdev_handle *h)
{
	struct emu_grant_domain *gd, *next;

	if (!h)
		return 0;
	pthread_mutex_lock(&h->lock);
	/* Unlike gntdev, whose VMAs outlive the fd, the emulator cannot see a
	 * later munmap(): closing the handle unmaps what it still holds. */
	while (h->mappings) {
		struct emu_mapping *m = h->mappings;

		emu_gnt_unlink(h, m);
		emu_gnt_teardown(h, m);
	}
	for (gd = h->domains; gd; gd = next) {
		next = gd->next;
		emu_grant_domain_close(gd);
	}
	h->domains = NULL;
	pthread_mutex_unlock(&h->lock);
	pthread_mutex_destroy(&h->lock);
	close(h->fd);
	free(h);
	return 0;
}

static void cache_drop(struct xengntdev_handle *h, struct emu_grant_domain *gd)
{
	struct emu_grant_domain **pp;

	for (pp = &h->domains; *pp; pp = &(*pp)->next) {
		if (*pp == gd) {
			*pp = gd->next;
			gd->next = NULL;
			emu_gnt_domain_put(h, gd);
			return;
		}
	}
}

struct emu_grant_domain *emu_gnt_domain_get(struct xengntdev_handle *h, uint32_t domid)
{
	struct emu_grant_domain *gd;

	for (gd = h->domains; gd; gd = gd->next) {
		if (gd->domid != domid)
			continue;
		if (!__atomic_load_n(&gd->table->dead, __ATOMIC_ACQUIRE)) {
			gd->refcount++;
			return gd;
		}
		/* Released (and maybe re-introduced since): forget this copy;
		 * mappings of it keep their own references. */
		cache_drop(h, gd);
		break;
	}
	gd = emu_grant_domain_open(h->dir, domid);
	if (!gd)
		return NULL;
	gd->next = h->domains;
	h->domains = gd;
	gd->refcount++; /* one for the cache, one for the caller */
	return gd;
}

void emu_gnt_domain_put(struct xengntdev_handle *h, struct emu_grant_domain *gd)
{
	struct emu_grant_domain *c;

	if (--gd->refcount > 0)
		return;
	for (c = h->domains; c; c = c->next)
		if (c == gd)
			return; /* still cached: cannot happen while the cache holds a ref */
	emu_grant_domain_close(gd);
}

void *emu_gnt_map_pages(uint32_t count, struct emu_grant_domain **domains,
			const uint32_t *refs, int prot)
{
	size_t len = (size_t)count * EMU_PAGE_SIZE;
	uint8_t *base;
	uint32_t i;

	base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	for (i = 0; i < count; i++) {
		void *p = mmap(base + (size_t)i * EMU_PAGE_SIZE, EMU_PAGE_SIZE, prot,
			       MAP_SHARED | MAP_FIXED, domains[i]->pages_fd,
			       (off_t)refs[i] * EMU_PAGE_SIZE);

		if (p == MAP_FAILED) {
			int saved = errno;

			munmap(base, len);
			errno = saved;
			return NULL;
		}
	}
	return base;
}

static void notify_event(struct xengntdev_handle *h, uint32_t port)
{
	struct emu_evtchn_ctx *ctx = emu_evtchn_ctx_open(h->dir);

	if (!ctx)
		return;
	emu_mutex_lock(&ctx->table->lock);
	emu_evtchn_send(ctx, h->domid, port);
	emu_mutex_unlock(&ctx->table->lock);
	emu_evtchn_ctx_close(ctx);
}

void emu_gnt_teardown(struct xengntdev_handle *h, struct emu_mapping *m)
{
	uint32_t i;

	if (m->notify.clear_byte)
		((volatile uint8_t *)m->addr)[m->notify.offset] = 0;
	munmap(m->addr, (size_t)m->count * EMU_PAGE_SIZE);
	if (m->notify.send_event)
		notify_event(h, m->notify.port);
	for (i = 0; i < m->count; i++) {
		struct emu_grant_domain *gd = m->domains[i];
		struct emu_grant_entry *e = &gd->table->entries[m->refs[i]];

		emu_mutex_lock(&gd->table->lock);
		if (m->shared_by_us) {
			e->state = EMU_GRANT_FREE; /* reused once map_count is 0 */
			if (e->map_count > 0 && !emu_gnt_ref_held(gd, m->refs[i]))
				e->map_count = 0; /* its mappers all exited */
		} else if (e->map_count > 0)
			e->map_count--;
		emu_mutex_unlock(&gd->table->lock);
		emu_gnt_domain_put(h, gd);
	}
	free(m->domains);
	free(m->refs);
	free(m);
}

void emu_gnt_hold_ref(const struct emu_grant_domain *gd, uint32_t ref)
{
	struct flock l = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = ref, .l_len = 1 };

	(void)fcntl(gd->pages_fd, F_OFD_SETLK, &l);
}

bool emu_gnt_ref_held(const struct emu_grant_domain *gd, uint32_t ref)
{
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = ref, .l_len = 1 };

	/* When the check itself fails, assume a holder: never reuse a mapped page. */
	return fcntl(gd->pages_fd, F_OFD_GETLK, &l) != 0 || l.l_type != F_UNLCK;
}

struct emu_mapping *emu_gnt_find(struct xengntdev_handle *h, void *addr, bool shared_by_us)
{
	struct emu_mapping *m;

	for (m = h->mappings; m; m = m->next)
		if (m->addr == addr && m->shared_by_us == shared_by_us)
			return m;
	return NULL;
}

void emu_gnt_unlink(struct xengntdev_handle *h, struct emu_mapping *m)
{
	struct emu_mapping **pp;

	for (pp = &h->mappings; *pp; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			m->next = NULL;
			return;
		}
	}
}
