// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Grant tables across processes: a guest (domain 5, a child process) shares
 * pages with the stand-in xengntshr; this process, dom0, maps them through
 * the stand-in libxengnttab like a backend. Checks the bytes both ways, Xen's
 * mapping rules, map counts, unmap, and mappings outliving the domain.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>

#include "tests/xenemu/test-agent.h"

typedef struct {
	XenEmu *emu;
	xengnttab_handle *gt;
	XenEmuPeer *guest;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->emu = xenemu_start(NULL, &error);
	g_assert_no_error(error);
	g_assert_true(xenemu_create_domain(f->emu, 5, "guest", &error));
	g_assert_true(xenemu_create_domain(f->emu, 6, "other", &error));
	xenemu_enter_domain(f->emu, 0);
	f->gt = xengnttab_open(NULL, 0);
	g_assert_nonnull(f->gt);
	f->guest = agent_start(f->emu, 5);
}

/* Total pages of domain domid this process maps (own shares excluded). */
static guint mapped_pages(Fixture *f, unsigned domid)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) maps = xenemu_list_mappings(xenemu_dir(f->emu), getpid(), &error);
	guint i, pages = 0;

	g_assert_no_error(error);
	for (i = 0; i < maps->len; i++) {
		const XenEmuMapping *m = &g_array_index(maps, XenEmuMapping, i);

		if (m->domid == domid)
			pages += m->count;
	}
	return pages;
}

static void teardown(Fixture *f, gconstpointer data)
{
	if (f->guest)
		agent_quit(f->guest);
	g_assert_cmpint(xengnttab_close(f->gt), ==, 0);
	g_assert_cmpuint(mapped_pages(f, 5), ==, 0);
	g_assert_true(xenemu_stop(f->emu));
}

/* "share ..." on the guest; fills refs[count]. */
static void guest_share(Fixture *f, unsigned domid, unsigned count, gboolean writable,
			uint32_t *refs)
{
	g_autofree char *answer = agent_call(f->guest, "share %u %u %d", domid, count, writable);
	g_auto(GStrv) w = g_strsplit(answer, " ", -1);
	unsigned i;

	g_assert_cmpstr(w[0], ==, "refs");
	g_assert_cmpuint(g_strv_length(w), ==, count + 1);
	for (i = 0; i < count; i++) {
		refs[i] = (uint32_t)atoi(w[i + 1]);
		g_assert_cmpuint(refs[i], >=, 8); /* GNTTAB_NR_RESERVED_ENTRIES */
	}
}

static void assert_answer(XenEmuPeer *agent, const char *expected, const char *fmt, ...)
	G_GNUC_PRINTF(3, 4);

static void assert_answer(XenEmuPeer *agent, const char *expected, const char *fmt, ...)
{
	g_autofree char *cmd = NULL;
	g_autofree char *answer = NULL;
	va_list ap;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	answer = agent_call(agent, "%s", cmd);
	g_assert_cmpstr(answer, ==, expected);
}

static int map_count(Fixture *f, uint32_t ref)
{
	return xenemu_grant_map_count(xenemu_dir(f->emu), 5, ref);
}

static void test_share_and_map(Fixture *f, gconstpointer data)
{
	uint32_t refs[4];
	uint8_t *p, *q;
	unsigned i;

	guest_share(f, 0, 4, TRUE, refs);
	p = xengnttab_map_domain_grant_refs(f->gt, 4, 5, refs, PROT_READ | PROT_WRITE);
	g_assert_nonnull(p);
	for (i = 0; i < 4; i++) {
		/* Contiguous: page i of the mapping is the guest's page i. */
		g_assert_cmpuint(p[i * 4096], ==, 0x10 + i);
		g_assert_cmpuint(p[i * 4096 + 4095], ==, 0x10 + i);
		g_assert_cmpint(map_count(f, refs[i]), ==, 1);
		p[i * 4096 + 100] = (uint8_t)(0xa0 + i);
	}
	g_assert_cmpuint(mapped_pages(f, 5), ==, 4);
	for (i = 0; i < 4; i++) {
		g_autofree char *expect = g_strdup_printf("byte %u", 0xa0 + i);

		assert_answer(f->guest, expect, "peek 0 %u 100", i);
	}
	/* The guest writes, we see it at once. */
	assert_answer(f->guest, "ok", "fill 0 2 119");
	g_assert_cmpuint(p[2 * 4096 + 7], ==, 119);

	/* A second, single-page mapping of one of them counts too. */
	q = xengnttab_map_grant_ref(f->gt, 5, refs[1], PROT_READ);
	g_assert_nonnull(q);
	g_assert_cmpuint(q[100], ==, 0xa1);
	g_assert_cmpint(map_count(f, refs[1]), ==, 2);
	g_assert_cmpint(xengnttab_unmap(f->gt, q, 1), ==, 0);
	g_assert_cmpint(map_count(f, refs[1]), ==, 1);

	/* unmap needs the exact start and count of a mapping. */
	errno = 0;
	g_assert_cmpint(xengnttab_unmap(f->gt, p, 3), ==, -1);
	g_assert_cmpint(errno, ==, EINVAL);
	errno = 0;
	g_assert_cmpint(xengnttab_unmap(f->gt, p + 4096, 1), ==, -1);
	g_assert_cmpint(errno, ==, EINVAL);
	g_assert_cmpint(xengnttab_unmap(f->gt, p, 4), ==, 0);
	for (i = 0; i < 4; i++)
		g_assert_cmpint(map_count(f, refs[i]), ==, 0);
	g_assert_cmpuint(mapped_pages(f, 5), ==, 0);
	assert_answer(f->guest, "ok", "unshare 0");
}

static void assert_map_fails(Fixture *f, uint32_t count, const uint32_t *domids,
			     const uint32_t *refs, int prot)
{
	guint before = mapped_pages(f, 5);
	void *p;

	errno = 0;
	p = xengnttab_map_grant_refs(f->gt, count, (uint32_t *)domids, (uint32_t *)refs, prot);
	g_assert_null(p);
	g_assert_cmpint(errno, ==, EINVAL);
	g_assert_cmpuint(mapped_pages(f, 5), ==, before); /* nothing mapped */
}

static void test_bad_maps(Fixture *f, gconstpointer data)
{
	uint32_t rw[1], ro[1], other[1];
	uint32_t five[3] = { 5, 5, 5 };
	void *p;

	guest_share(f, 0, 1, TRUE, rw);
	guest_share(f, 0, 1, FALSE, ro);
	guest_share(f, 6, 1, TRUE, other);

	/* Out of range, never granted, reserved. */
	assert_map_fails(f, 1, five, (uint32_t[]){ 1u << 20 }, PROT_READ);
	assert_map_fails(f, 1, five, (uint32_t[]){ rw[0] + 1000 }, PROT_READ);
	assert_map_fails(f, 1, five, (uint32_t[]){ 0 }, PROT_READ);
	/* Granted to domain 6, not to us. */
	assert_map_fails(f, 1, five, other, PROT_READ);
	/* Read-only grant asked writable. */
	assert_map_fails(f, 1, five, ro, PROT_READ | PROT_WRITE);
	/* No such domain (9), and a bad ref in the middle: nothing mapped. */
	assert_map_fails(f, 1, (uint32_t[]){ 9 }, rw, PROT_READ);
	assert_map_fails(f, 3, five, (uint32_t[]){ rw[0], other[0], ro[0] }, PROT_READ);
	g_assert_cmpint(map_count(f, rw[0]), ==, 0);
	g_assert_cmpint(map_count(f, ro[0]), ==, 0);

	/* The read-only grant maps read-only. */
	p = xengnttab_map_grant_ref(f->gt, 5, ro[0], PROT_READ);
	g_assert_nonnull(p);
	g_assert_cmpuint(((uint8_t *)p)[0], ==, 0x10);
	g_assert_cmpint(xengnttab_unmap(f->gt, p, 1), ==, 0);

	/* After unshare the ref is no longer mappable. */
	assert_answer(f->guest, "ok", "unshare 0");
	assert_map_fails(f, 1, five, rw, PROT_READ);

	/* The calls the emulator does not provide. */
	errno = 0;
	g_assert_cmpint(xengnttab_grant_copy(f->gt, 0, NULL), ==, -1);
	g_assert_cmpint(errno, ==, ENOSYS);
}

static void test_unshare_while_mapped(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) grants = NULL;
	uint32_t ref[1], again[1];
	uint8_t *p;

	guest_share(f, 0, 1, TRUE, ref);
	p = xengnttab_map_grant_ref(f->gt, 5, ref[0], PROT_READ | PROT_WRITE);
	g_assert_nonnull(p);
	assert_answer(f->guest, "ok", "unshare 0");
	/* Released by the guest but still ours until we unmap: not reused. */
	grants = xenemu_list_grants(xenemu_dir(f->emu), 5, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(grants->len, ==, 1);
	g_assert_cmpuint(g_array_index(grants, XenEmuGrant, 0).ref, ==, ref[0]);
	g_assert_cmpuint(g_array_index(grants, XenEmuGrant, 0).state, ==, 0);
	g_assert_cmpuint(g_array_index(grants, XenEmuGrant, 0).map_count, ==, 1);
	guest_share(f, 0, 1, TRUE, again);
	g_assert_cmpuint(again[0], !=, ref[0]);
	g_assert_cmpuint(p[0], ==, 0x10);
	g_assert_cmpint(xengnttab_unmap(f->gt, p, 1), ==, 0);
	g_assert_cmpint(map_count(f, ref[0]), ==, 0);
}

static void test_domain_destroy(Fixture *f, gconstpointer data)
{
	g_autofree char *answer = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GArray) maps = NULL;
	uint32_t refs[2];
	uint8_t *p;

	guest_share(f, 0, 2, TRUE, refs);
	p = xengnttab_map_domain_grant_refs(f->gt, 2, 5, refs, PROT_READ | PROT_WRITE);
	g_assert_nonnull(p);
	g_assert_true(xenemu_destroy_domain(f->emu, 5, &error));
	g_assert_no_error(error);

	/* Like Xen: the pages stay mapped, and valid, until we unmap them. */
	g_assert_cmpuint(p[4096], ==, 0x11);
	p[4096] = 0x55;
	g_assert_cmpuint(p[4096], ==, 0x55);
	maps = xenemu_list_mappings(xenemu_dir(f->emu), getpid(), &error);
	g_assert_cmpuint(maps->len, >=, 1);
	g_assert_true(g_array_index(maps, XenEmuMapping, 0).deleted);
	g_assert_cmpuint(mapped_pages(f, 5), ==, 2);
	/* Nothing new can be mapped from a dead domain. */
	assert_map_fails(f, 1, (uint32_t[]){ 5 }, refs, PROT_READ);
	g_assert_cmpint(xengnttab_unmap(f->gt, p, 2), ==, 0);
	g_assert_cmpuint(mapped_pages(f, 5), ==, 0);
	/* The guest process of the dead domain can no longer share. */
	answer = agent_call(f->guest, "share 0 1 1");
	g_assert_true(g_str_has_prefix(answer, "err "));
}

static void test_unmap_notify(Fixture *f, gconstpointer data)
{
	g_autofree char *answer = NULL;
	xenevtchn_handle *xce = xenevtchn_open(NULL, 0);
	uint32_t ref[1];
	int guest_port, port;
	uint8_t *p;

	g_assert_nonnull(xce);
	answer = agent_call(f->guest, "unbound 0");
	g_assert_true(sscanf(answer, "port %d", &guest_port) == 1);
	port = xenevtchn_bind_interdomain(xce, 5, (evtchn_port_t)guest_port);
	g_assert_cmpint(port, >, 0);
	guest_share(f, 0, 1, TRUE, ref);
	assert_answer(f->guest, "ok", "fill 0 0 7");

	p = xengnttab_map_grant_ref_notify(f->gt, 5, ref[0], PROT_READ | PROT_WRITE, 42,
					   (evtchn_port_t)port);
	g_assert_nonnull(p);
	g_assert_cmpuint(p[42], ==, 7);
	g_assert_cmpint(xengnttab_unmap(f->gt, p, 1), ==, 0);
	/* gntdev's unmap_notify: the byte cleared, the peer notified. */
	assert_answer(f->guest, "byte 0", "peek 0 0 42");
	assert_answer(f->guest, "byte 7", "peek 0 0 43");
	g_free(answer);
	answer = agent_call(f->guest, "wait 5000");
	g_assert_cmpint(atoi(answer + strlen("event ")), ==, guest_port);
	g_assert_true(g_str_has_prefix(answer, "event "));
	xenevtchn_close(xce);
}

static void test_close_unmaps(Fixture *f, gconstpointer data)
{
	xengnttab_handle *gt2 = xengnttab_open(NULL, 0);
	uint32_t refs[3];

	g_assert_nonnull(gt2);
	guest_share(f, 0, 3, FALSE, refs);
	g_assert_nonnull(xengnttab_map_domain_grant_refs(gt2, 3, 5, refs, PROT_READ));
	g_assert_nonnull(xengnttab_map_grant_ref(gt2, 5, refs[0], PROT_READ));
	g_assert_cmpint(map_count(f, refs[0]), ==, 2);
	g_assert_cmpuint(mapped_pages(f, 5), ==, 4);
	g_assert_cmpint(xengnttab_close(gt2), ==, 0);
	g_assert_cmpint(map_count(f, refs[0]), ==, 0);
	g_assert_cmpuint(mapped_pages(f, 5), ==, 0);
}

/* A mapper that exits without unmapping (a confined worker does) lets go as
 * gntdev would: the ref is free again once its granter unshares it. */
static void test_exit_unmaps(Fixture *f, gconstpointer data)
{
	uint32_t ref[1];
	int ready[2];
	char c;
	pid_t child;
	int status;

	guest_share(f, 0, 1, TRUE, ref);
	g_assert_cmpint(pipe(ready), ==, 0);
	child = fork();
	g_assert_cmpint(child, >=, 0);
	if (child == 0) {
		xengnttab_handle *gt = xengnttab_open(NULL, 0);

		if (!gt || !xengnttab_map_grant_ref(gt, 5, ref[0], PROT_READ) ||
		    write(ready[1], "m", 1) != 1)
			_exit(1);
		pause();
	}
	close(ready[1]);
	g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
	close(ready[0]);
	g_assert_cmpint(map_count(f, ref[0]), ==, 1);
	g_assert_cmpint(kill(child, SIGKILL), ==, 0);
	g_assert_cmpint(waitpid(child, &status, 0), ==, child);
	assert_answer(f->guest, "ok", "unshare 0");
	g_assert_cmpint(map_count(f, ref[0]), ==, 0);
}

int main(int argc, char **argv)
{
	xenemu_reexec_with_standin_libs(argv);
	g_test_init(&argc, &argv, NULL);
	g_test_add("/xenemu/gnttab/share-and-map", Fixture, NULL, setup, test_share_and_map,
		   teardown);
	g_test_add("/xenemu/gnttab/bad-maps", Fixture, NULL, setup, test_bad_maps, teardown);
	g_test_add("/xenemu/gnttab/unshare-while-mapped", Fixture, NULL, setup,
		   test_unshare_while_mapped, teardown);
	g_test_add("/xenemu/gnttab/domain-destroy", Fixture, NULL, setup, test_domain_destroy,
		   teardown);
	g_test_add("/xenemu/gnttab/unmap-notify", Fixture, NULL, setup, test_unmap_notify,
		   teardown);
	g_test_add("/xenemu/gnttab/close-unmaps", Fixture, NULL, setup, test_close_unmaps,
		   teardown);
	g_test_add("/xenemu/gnttab/exit-unmaps", Fixture, NULL, setup, test_exit_unmaps,
		   teardown);
	return g_test_run();
}
