// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The emulated xenstored driven through Debian's real libxenstore: nodes,
 * permissions as libxl sets them, watches, transactions, domains, the trace,
 * and malformed wire messages.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <xenstore.h>

#include "tests/xenemu/xenemu.h"

typedef struct {
	XenEmu *emu;
	struct xs_handle *dom0;
	struct xs_handle *dom5;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	f->emu = xenemu_start(data, &error);
	g_assert_no_error(error);
	g_assert_true(xenemu_create_domain(f->emu, 5, "guest", &error));
	g_assert_no_error(error);
	f->dom0 = xenemu_xs_open(f->emu, 0);
	f->dom5 = xenemu_xs_open(f->emu, 5);
	g_assert_nonnull(f->dom0);
	g_assert_nonnull(f->dom5);
}

static void teardown(Fixture *f, gconstpointer data)
{
	xs_close(f->dom0);
	xs_close(f->dom5);
	g_assert_true(xenemu_stop(f->emu));
}

static char *read_str(struct xs_handle *xs, const char *path)
{
	unsigned int len;

	return xs_read(xs, XBT_NULL, path, &len);
}

static void assert_read(struct xs_handle *xs, const char *path, const char *expected)
{
	g_autofree char *v = read_str(xs, path);

	g_assert_nonnull(v);
	g_assert_cmpstr(v, ==, expected);
}

static void assert_read_errno(struct xs_handle *xs, const char *path, int expected)
{
	g_autofree char *v = NULL;

	errno = 0;
	v = read_str(xs, path);
	g_assert_null(v);
	g_assert_cmpint(errno, ==, expected);
}

static bool write_str(struct xs_handle *xs, const char *path, const char *v)
{
	return xs_write(xs, XBT_NULL, path, v, (unsigned)strlen(v));
}

static void assert_write_errno(struct xs_handle *xs, const char *path, int expected)
{
	errno = 0;
	g_assert_false(write_str(xs, path, "x"));
	g_assert_cmpint(errno, ==, expected);
}

static void test_nodes(Fixture *f, gconstpointer data)
{
	static const char binary[] = { 'a', 0, 'b', 0, (char)0xff };
	g_autofree char **dir = NULL;
	g_autofree char *path = NULL;
	g_autofree char *v = NULL;
	unsigned int num, len;

	g_assert_true(write_str(f->dom0, "/test/a", "1"));
	g_assert_true(write_str(f->dom0, "/test/b/c", "2"));
	g_assert_true(xs_mkdir(f->dom0, XBT_NULL, "/test/d"));
	g_assert_true(xs_mkdir(f->dom0, XBT_NULL, "/test/d")); /* exists: fine */
	assert_read(f->dom0, "/test/a", "1");
	assert_read(f->dom0, "/test/b/c", "2");
	assert_read(f->dom0, "/test/b", ""); /* created on the way */
	assert_read(f->dom0, "/test/d", "");

	dir = xs_directory(f->dom0, XBT_NULL, "/test", &num);
	g_assert_nonnull(dir);
	g_assert_cmpuint(num, ==, 3); /* in creation order, as xenstored */
	g_assert_cmpstr(dir[0], ==, "a");
	g_assert_cmpstr(dir[1], ==, "b");
	g_assert_cmpstr(dir[2], ==, "d");

	/* Values are bytes, not strings. */
	g_assert_true(xs_write(f->dom0, XBT_NULL, "/test/bin", binary, sizeof(binary)));
	v = xs_read(f->dom0, XBT_NULL, "/test/bin", &len);
	g_assert_cmpmem(v, len, binary, sizeof(binary));

	/* Relative paths are relative to the caller's /local/domain/N. */
	g_assert_true(write_str(f->dom0, "rel", "dom0"));
	assert_read(f->dom0, "/local/domain/0/rel", "dom0");
	assert_read(f->dom5, "name", "guest");
	path = xs_get_domain_path(f->dom0, 5);
	g_assert_cmpstr(path, ==, "/local/domain/5");

	/* rm takes the subtree; a missing node is fine if its parent exists. */
	g_assert_true(xs_rm(f->dom0, XBT_NULL, "/test/b"));
	assert_read_errno(f->dom0, "/test/b/c", ENOENT);
	assert_read_errno(f->dom0, "/test/b", ENOENT);
	g_assert_true(xs_rm(f->dom0, XBT_NULL, "/test/nothing"));
	errno = 0;
	g_assert_false(xs_rm(f->dom0, XBT_NULL, "/nothing/here"));
	g_assert_cmpint(errno, ==, ENOENT);
	errno = 0;
	g_assert_false(xs_rm(f->dom0, XBT_NULL, "/"));
	g_assert_cmpint(errno, ==, EINVAL);

	/* Malformed paths. */
	assert_read_errno(f->dom0, "/test//a", EINVAL);
	assert_read_errno(f->dom0, "/test/a/", EINVAL);
	assert_read_errno(f->dom0, "/test/a b", EINVAL);
	assert_write_errno(f->dom0, "/test/with.dot", EINVAL);
}

static void test_directory_part(Fixture *f, gconstpointer data)
{
	g_autofree char **dir = NULL;
	unsigned int num, i;

	/* 300 names of 24 bytes: far beyond one 4096-byte reply, so the real
	 * library gets E2BIG for XS_DIRECTORY and pages with DIRECTORY_PART. */
	for (i = 0; i < 300; i++) {
		g_autofree char *p = g_strdup_printf("/big/child-with-long-name-%04u", i);

		g_assert_true(write_str(f->dom0, p, "v"));
	}
	dir = xs_directory(f->dom0, XBT_NULL, "/big", &num);
	g_assert_nonnull(dir);
	g_assert_cmpuint(num, ==, 300);
	for (i = 0; i < 300; i++) {
		g_autofree char *name = g_strdup_printf("child-with-long-name-%04u", i);

		g_assert_cmpstr(dir[i], ==, name);
	}
}

static void set_perms(struct xs_handle *xs, const char *path, const char *spec)
{
	g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
	guint n = g_strv_length(parts), i;
	g_autofree struct xs_permissions *perms = g_new0(struct xs_permissions, n);

	for (i = 0; i < n; i++) {
		perms[i].id = (unsigned)atoi(parts[i] + 1);
		perms[i].perms = parts[i][0] == 'r' ? XS_PERM_READ : parts[i][0] == 'w'
			? XS_PERM_WRITE : parts[i][0] == 'b' ? XS_PERM_READ | XS_PERM_WRITE
			: XS_PERM_NONE;
	}
	g_assert_true(xs_set_permissions(xs, XBT_NULL, path, perms, n));
}

static char *get_perms(struct xs_handle *xs, const char *path)
{
	g_autofree struct xs_permissions *perms = NULL;
	GString *s = g_string_new(NULL);
	unsigned int num, i;

	perms = xs_get_permissions(xs, XBT_NULL, path, &num);
	if (!perms)
		return g_string_free(s, TRUE);
	for (i = 0; i < num; i++) {
		static const char letters[] = "nrwb";

		g_string_append_printf(s, "%s%c%u", i ? "," : "", letters[perms[i].perms & 3],
				       perms[i].id);
	}
	return g_string_free(s, FALSE);
}

static void assert_perms(struct xs_handle *xs, const char *path, const char *expected)
{
	g_autofree char *p = get_perms(xs, path);

	g_assert_cmpstr(p, ==, expected);
}

static void test_perms(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	struct xs_handle *dom6;
	struct xs_permissions owner6 = { .id = 6, .perms = XS_PERM_NONE };

	g_assert_true(xenemu_create_domain(f->emu, 6, NULL, &error));
	dom6 = xenemu_xs_open(f->emu, 6);
	g_assert_nonnull(dom6);

	/* The toolstack's layout: the domain dir is readable, not writable. */
	assert_perms(f->dom0, "/local/domain/5", "n0,r5");
	assert_perms(f->dom0, "/local/domain/5/device", "n5");
	assert_read(f->dom5, "/local/domain/5/domid", "5");
	assert_write_errno(f->dom5, "/local/domain/5/name", EACCES);
	assert_write_errno(f->dom5, "/local/domain/5/new", EACCES);

	/* Dom0's nodes and other domains are out of reach; ENOENT is only
	 * told to whoever may read the parent. */
	assert_read_errno(f->dom5, "/local/domain/0/name", EACCES);
	assert_read_errno(f->dom5, "/local/domain/0/missing", EACCES);
	assert_read_errno(f->dom5, "/local/domain/6/name", EACCES);
	assert_read_errno(f->dom5, "/local/domain/5/missing", ENOENT);
	assert_write_errno(f->dom5, "/local/domain/0/x", EACCES);
	assert_write_errno(f->dom5, "/newtop", EACCES);

	/* A domain owns what it creates where it may write. */
	g_assert_true(write_str(f->dom5, "device/mine/key", "v"));
	assert_perms(f->dom0, "/local/domain/5/device/mine", "n5");
	assert_perms(f->dom0, "/local/domain/5/device/mine/key", "n5");

	/* libxl's frontend dir: owned by the domU, backend (dom0) may read;
	 * its backend dir: owned by dom0, the domU may read. */
	g_assert_true(xs_mkdir(f->dom0, XBT_NULL, "/local/domain/5/device/9pfs/0"));
	set_perms(f->dom0, "/local/domain/5/device/9pfs/0", "n5,r0");
	g_assert_true(xs_mkdir(f->dom0, XBT_NULL, "/local/domain/0/backend/9pfs/5/0"));
	set_perms(f->dom0, "/local/domain/0/backend/9pfs/5/0", "n0,r5");
	g_assert_true(write_str(f->dom0, "/local/domain/0/backend/9pfs/5/0/state", "2"));
	assert_perms(f->dom0, "/local/domain/0/backend/9pfs/5/0/state", "n0,r5");

	g_assert_true(write_str(f->dom5, "device/9pfs/0/state", "3"));
	assert_read(f->dom5, "/local/domain/0/backend/9pfs/5/0/state", "2");
	assert_write_errno(f->dom5, "/local/domain/0/backend/9pfs/5/0/state", EACCES);
	assert_write_errno(f->dom5, "/local/domain/0/backend/9pfs/5/0/new", EACCES);
	assert_read_errno(dom6, "/local/domain/0/backend/9pfs/5/0/state", EACCES);
	assert_read_errno(dom6, "/local/domain/5/device/9pfs/0/state", EACCES);
	assert_write_errno(dom6, "/local/domain/5/device/9pfs/0/state", EACCES);

	/* The owner may change permissions but not give the node away. */
	set_perms(f->dom5, "device/9pfs/0/state", "n5,r6");
	assert_read(dom6, "/local/domain/5/device/9pfs/0/state", "3");
	errno = 0;
	g_assert_false(xs_set_permissions(f->dom5, XBT_NULL, "device/9pfs/0/state", &owner6, 1));
	g_assert_cmpint(errno, ==, EPERM);
	errno = 0;
	g_assert_false(xs_set_permissions(dom6, XBT_NULL, "/local/domain/5/device/9pfs/0/state",
					  &owner6, 1));
	g_assert_cmpint(errno, ==, EACCES);

	/* Privileged operations. */
	errno = 0;
	g_assert_false(xs_introduce_domain(f->dom5, 9, 1, 1));
	g_assert_cmpint(errno, ==, EACCES);
	errno = 0;
	g_assert_false(xs_release_domain(f->dom5, 6));
	g_assert_cmpint(errno, ==, EACCES);
	xs_close(dom6);
}

static void test_quotas(Fixture *f, gconstpointer data)
{
	g_autofree char *big = g_strnfill(3000, 'x');
	unsigned i;

	/* Values over 2048 bytes and more than 1000 owned nodes: ENOSPC for a
	 * domU, as real xenstored's default quotas; dom0 is not limited. */
	errno = 0;
	g_assert_false(write_str(f->dom5, "data/big", big));
	g_assert_cmpint(errno, ==, ENOSPC);
	g_assert_true(write_str(f->dom0, "/local/domain/5/data/big", big));
	for (i = 0; i < 1100; i++) {
		g_autofree char *p = g_strdup_printf("data/n%u", i);

		if (!write_str(f->dom5, p, "1"))
			break;
	}
	g_assert_cmpint(errno, ==, ENOSPC);
	g_assert_cmpuint(i, >, 950);
	g_assert_cmpuint(i, <, 1000);
	/* dom0 is not limited, but what it creates there is the domain's too. */
	g_assert_true(write_str(f->dom0, "/local/domain/5/data/by-dom0", "1"));
	errno = 0;
	g_assert_false(write_str(f->dom5, "data/again", "1"));
	g_assert_cmpint(errno, ==, ENOSPC);
	/* Freeing some makes room again. */
	g_assert_true(xs_rm(f->dom5, XBT_NULL, "data/n0"));
	g_assert_true(xs_rm(f->dom5, XBT_NULL, "data/n1"));
	g_assert_true(write_str(f->dom5, "data/again", "1"));
}

/* Next watch event within timeout_ms; NULL if none. */
static char **next_event(struct xs_handle *xs, int timeout_ms)
{
	struct pollfd pfd = { .fd = xs_fileno(xs), .events = POLLIN };
	char **ev = xs_check_watch(xs);

	if (ev)
		return ev;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return NULL;
	return xs_check_watch(xs);
}

static void expect_event(struct xs_handle *xs, const char *path, const char *token)
{
	g_autofree char **ev = next_event(xs, 5000);

	g_assert_nonnull(ev);
	g_assert_cmpstr(ev[XS_WATCH_PATH], ==, path);
	g_assert_cmpstr(ev[XS_WATCH_TOKEN], ==, token);
}

static void expect_no_event(struct xs_handle *xs)
{
	g_autofree char **ev = next_event(xs, 200);

	if (ev)
		g_error("unexpected watch event %s %s", ev[XS_WATCH_PATH], ev[XS_WATCH_TOKEN]);
}

static void test_watches(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	g_assert_true(xs_watch(f->dom0, "/w", "t1"));
	expect_event(f->dom0, "/w", "t1"); /* fires once at registration */
	errno = 0;
	g_assert_false(xs_watch(f->dom0, "/w", "t1"));
	g_assert_cmpint(errno, ==, EEXIST);

	g_assert_true(write_str(f->dom0, "/w/a/b", "1"));
	expect_event(f->dom0, "/w/a/b", "t1"); /* subtree, the written node only */
	expect_no_event(f->dom0);
	g_assert_true(write_str(f->dom0, "/other", "1"));
	expect_no_event(f->dom0);

	/* Removal of an ancestor fires the watch on a removed descendant. */
	g_assert_true(xs_watch(f->dom0, "/w/a/b", "t2"));
	expect_event(f->dom0, "/w/a/b", "t2");
	g_assert_true(xs_rm(f->dom0, XBT_NULL, "/w/a"));
	expect_event(f->dom0, "/w/a/b", "t2");
	expect_event(f->dom0, "/w/a", "t1");
	expect_no_event(f->dom0);

	g_assert_true(xs_unwatch(f->dom0, "/w", "t1"));
	errno = 0;
	g_assert_false(xs_unwatch(f->dom0, "/w", "t1"));
	g_assert_cmpint(errno, ==, ENOENT);
	g_assert_true(write_str(f->dom0, "/w/c", "1"));
	expect_no_event(f->dom0);

	/* A domU's relative watch gets relative paths, and nothing it may not read. */
	g_assert_true(xs_watch(f->dom5, "device", "fe"));
	expect_event(f->dom5, "device", "fe");
	g_assert_true(write_str(f->dom0, "/local/domain/5/device/vif/0", "x"));
	expect_event(f->dom5, "device/vif/0", "fe");
	g_assert_true(xs_watch(f->dom5, "/local/domain/0", "be"));
	expect_event(f->dom5, "/local/domain/0", "be"); /* initial event, unconditionally */
	g_assert_true(write_str(f->dom0, "/local/domain/0/secret/x", "1"));
	expect_no_event(f->dom5);

	/* Domain life cycle. */
	g_assert_true(xs_watch(f->dom0, "@introduceDomain", "intro"));
	expect_event(f->dom0, "@introduceDomain", "intro");
	g_assert_true(xs_watch(f->dom0, "@releaseDomain", "rel"));
	expect_event(f->dom0, "@releaseDomain", "rel");
	g_assert_true(xs_watch(f->dom5, "@releaseDomain", "domu-rel"));
	expect_event(f->dom5, "@releaseDomain", "domu-rel");
	g_assert_true(xenemu_create_domain(f->emu, 7, NULL, &error));
	expect_event(f->dom0, "@introduceDomain", "intro");
	g_assert_true(xenemu_destroy_domain(f->emu, 7, &error));
	expect_event(f->dom0, "@releaseDomain", "rel");
	expect_no_event(f->dom0);
	expect_no_event(f->dom5); /* @releaseDomain is n0 by default */
}

static void test_transactions(Fixture *f, gconstpointer data)
{
	xs_transaction_t t, t2;
	g_autofree char *v = NULL;
	unsigned int len;

	g_assert_true(write_str(f->dom0, "/tx/x", "0"));
	g_assert_true(xs_watch(f->dom0, "/tx", "tx"));
	expect_event(f->dom0, "/tx", "tx");

	/* Commit: invisible before, visible after, watches fire at commit. */
	t = xs_transaction_start(f->dom0);
	g_assert_cmpuint(t, !=, XBT_NULL);
	g_assert_true(xs_write(f->dom0, t, "/tx/a", "1", 1));
	v = xs_read(f->dom0, t, "/tx/a", &len);
	g_assert_cmpstr(v, ==, "1");
	assert_read_errno(f->dom0, "/tx/a", ENOENT);
	expect_no_event(f->dom0);
	g_assert_true(xs_transaction_end(f->dom0, t, false));
	assert_read(f->dom0, "/tx/a", "1");
	expect_event(f->dom0, "/tx/a", "tx");

	/* Abort: nothing happens. */
	t = xs_transaction_start(f->dom0);
	g_assert_true(xs_write(f->dom0, t, "/tx/b", "1", 1));
	g_assert_true(xs_transaction_end(f->dom0, t, true));
	assert_read_errno(f->dom0, "/tx/b", ENOENT);
	expect_no_event(f->dom0);

	/* A node read inside, changed outside: EAGAIN, nothing applied. */
	t = xs_transaction_start(f->dom0);
	g_free(v);
	v = xs_read(f->dom0, t, "/tx/x", &len);
	g_assert_true(xs_write(f->dom0, t, "/tx/y", "1", 1));
	g_assert_true(write_str(f->dom0, "/tx/x", "changed"));
	expect_event(f->dom0, "/tx/x", "tx");
	errno = 0;
	g_assert_false(xs_transaction_end(f->dom0, t, false));
	g_assert_cmpint(errno, ==, EAGAIN);
	assert_read_errno(f->dom0, "/tx/y", ENOENT);
	expect_no_event(f->dom0);

	/* A node written inside and outside: EAGAIN too. */
	t = xs_transaction_start(f->dom0);
	g_assert_true(xs_write(f->dom0, t, "/tx/z", "in", 2));
	g_assert_true(write_str(f->dom5, "data/unrelated", "1"));
	g_assert_true(write_str(f->dom0, "/tx/z", "out"));
	expect_event(f->dom0, "/tx/z", "tx");
	errno = 0;
	g_assert_false(xs_transaction_end(f->dom0, t, false));
	g_assert_cmpint(errno, ==, EAGAIN);
	assert_read(f->dom0, "/tx/z", "out");

	/* Two transactions on unrelated nodes both commit; changes elsewhere
	 * (a domU's write) do not disturb them. */
	t = xs_transaction_start(f->dom0);
	t2 = xs_transaction_start(f->dom5);
	g_assert_true(xs_write(f->dom0, t, "/tx/z/p", "1", 1));
	g_assert_true(xs_write(f->dom5, t2, "data/q", "2", 1));
	g_assert_true(write_str(f->dom0, "/elsewhere", "1"));
	g_assert_true(xs_transaction_end(f->dom5, t2, false));
	g_assert_true(xs_transaction_end(f->dom0, t, false));
	assert_read(f->dom0, "/tx/z/p", "1");
	assert_read(f->dom0, "/local/domain/5/data/q", "2");
	assert_perms(f->dom0, "/local/domain/5/data/q", "n5");
	expect_event(f->dom0, "/tx/z/p", "tx");

	/* Permissions hold inside transactions. */
	t2 = xs_transaction_start(f->dom5);
	errno = 0;
	g_assert_false(xs_write(f->dom5, t2, "/local/domain/0/x", "1", 1));
	g_assert_cmpint(errno, ==, EACCES);
	g_assert_true(xs_transaction_end(f->dom5, t2, true));

	/* An unknown transaction id. */
	errno = 0;
	g_assert_false(xs_transaction_end(f->dom0, 12345, false));
	g_assert_cmpint(errno, ==, ENOENT);
}

static void test_domains(Fixture *f, gconstpointer data)
{
	g_autofree char *sock9 = xenemu_xenstore_path(f->emu, 9);
	g_autofree char *v = NULL;
	struct xs_handle *dom9;

	g_assert_true(xs_is_domain_introduced(f->dom0, 0));
	g_assert_true(xs_is_domain_introduced(f->dom0, 5));
	g_assert_false(xs_is_domain_introduced(f->dom0, 9));
	g_assert_false(g_file_test(sock9, G_FILE_TEST_EXISTS));

	g_assert_true(xs_introduce_domain(f->dom0, 9, 1234, 3));
	g_assert_true(xs_is_domain_introduced(f->dom0, 9));
	g_assert_true(g_file_test(sock9, G_FILE_TEST_EXISTS));
	dom9 = xenemu_xs_open(f->emu, 9);
	g_assert_nonnull(dom9);
	g_assert_true(xs_mkdir(f->dom0, XBT_NULL, "/local/domain/9"));
	set_perms(f->dom0, "/local/domain/9", "n0,r9");
	g_assert_true(write_str(f->dom0, "/local/domain/9/name", "nine"));
	assert_read(dom9, "name", "nine");

	/* Release: its connections close, its socket goes. */
	g_assert_true(xs_release_domain(f->dom0, 9));
	g_assert_false(xs_is_domain_introduced(f->dom0, 9));
	g_assert_false(g_file_test(sock9, G_FILE_TEST_EXISTS));
	v = read_str(dom9, "name");
	g_assert_null(v);
	xs_close(dom9);
	g_assert_null(xenemu_xs_open(f->emu, 9));
	errno = 0;
	g_assert_false(xs_release_domain(f->dom0, 9));
	g_assert_cmpint(errno, ==, ENOENT);
	/* Nodes are the toolstack's business: still there. */
	assert_read(f->dom0, "/local/domain/9/name", "nine");
}

static void test_trace(Fixture *f, gconstpointer data)
{
	g_autofree char *contents = NULL;
	g_autofree char *v = read_str(f->dom0, "/local/domain/5/name");

	g_assert_cmpstr(v, ==, "guest");
	g_assert_true(g_file_get_contents(data, &contents, NULL, NULL));
	g_assert_true(g_regex_match_simple("^IN 0x[0-9a-f]+ READ \\(/local/domain/5/name \\)$",
					   contents, G_REGEX_MULTILINE, 0));
	g_assert_true(g_regex_match_simple("^OUT 0x[0-9a-f]+ READ \\(guest\\)$", contents,
					   G_REGEX_MULTILINE, 0));
	g_assert_true(g_regex_match_simple("^OUT 0x[0-9a-f]+ INTRODUCE \\(OK \\)$", contents,
					   G_REGEX_MULTILINE, 0));
	g_assert_true(g_regex_match_simple("^CREATE connection 0x[0-9a-f]+ dom5$", contents,
					   G_REGEX_MULTILINE, 0));
}

/* A raw connection, for what libxenstore never sends. */
static int raw_connect(Fixture *f)
{
	g_autofree char *path = xenemu_xenstore_path(f->emu, 0);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	g_assert_cmpint(fd, >=, 0);
	g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
	g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
	return fd;
}

/* Send one message, return the reply body (type in *type), NULL on EOF. */
static char *raw_call(int fd, uint32_t type, const void *body, uint32_t len, uint32_t *rtype)
{
	struct xsd_sockmsg hdr = { .type = type, .req_id = 77, .len = len };
	struct xsd_sockmsg rh;
	char *reply;

	g_assert_cmpint(send(fd, &hdr, sizeof(hdr), MSG_NOSIGNAL), ==, sizeof(hdr));
	/* The server may hang up half-way through an oversized body. */
	if (len)
		(void)!send(fd, body, len, MSG_NOSIGNAL);
	if (read(fd, &rh, sizeof(rh)) != sizeof(rh))
		return NULL;
	g_assert_cmpuint(rh.req_id, ==, 77);
	reply = g_malloc0(rh.len + 1);
	g_assert_cmpint(read(fd, reply, rh.len), ==, (ssize_t)rh.len);
	*rtype = rh.type;
	return reply;
}

static void test_wire_errors(Fixture *f, gconstpointer data)
{
	int fd = raw_connect(f);
	g_autofree char *big = g_malloc0(XENSTORE_PAYLOAD_MAX + 1);
	char *r;
	uint32_t type;

	r = raw_call(fd, 200, "x", 2, &type);
	g_assert_cmpuint(type, ==, XS_ERROR);
	g_assert_cmpstr(r, ==, "ENOSYS");
	g_free(r);
	r = raw_call(fd, XS_READ, "/local", 6, &type); /* no terminating NUL */
	g_assert_cmpuint(type, ==, XS_ERROR);
	g_assert_cmpstr(r, ==, "EINVAL");
	g_free(r);
	r = raw_call(fd, XS_READ, "/a\0/b", 6, &type); /* two strings */
	g_assert_cmpuint(type, ==, XS_ERROR);
	g_assert_cmpstr(r, ==, "EINVAL");
	g_free(r);
	r = raw_call(fd, XS_SET_PERMS, "/local\0x5", 9, &type);
	g_assert_cmpuint(type, ==, XS_ERROR);
	g_assert_cmpstr(r, ==, "EINVAL");
	g_free(r);
	r = raw_call(fd, XS_GET_DOMAIN_PATH, "12", 3, &type);
	g_assert_cmpuint(type, ==, XS_GET_DOMAIN_PATH);
	g_assert_cmpstr(r, ==, "/local/domain/12");
	g_free(r);
	/* Oversized payloads end the connection, like real xenstored. */
	r = raw_call(fd, XS_WRITE, big, XENSTORE_PAYLOAD_MAX + 1, &type);
	g_assert_null(r);
	close(fd);
	/* The server is still fine. */
	assert_read(f->dom0, "/local/domain/5/name", "guest");
}

int main(int argc, char **argv)
{
	g_autofree char *trace = g_strdup_printf("/tmp/xenemu-trace-%d.log", (int)getpid());
	int rc;

	g_test_init(&argc, &argv, NULL);
	g_test_add("/xenemu/xenstore/nodes", Fixture, NULL, setup, test_nodes, teardown);
	g_test_add("/xenemu/xenstore/directory-part", Fixture, NULL, setup, test_directory_part,
		   teardown);
	g_test_add("/xenemu/xenstore/perms", Fixture, NULL, setup, test_perms, teardown);
	g_test_add("/xenemu/xenstore/quotas", Fixture, NULL, setup, test_quotas, teardown);
	g_test_add("/xenemu/xenstore/watches", Fixture, NULL, setup, test_watches, teardown);
	g_test_add("/xenemu/xenstore/transactions", Fixture, NULL, setup, test_transactions,
		   teardown);
	g_test_add("/xenemu/xenstore/domains", Fixture, NULL, setup, test_domains, teardown);
	g_test_add("/xenemu/xenstore/trace", Fixture, trace, setup, test_trace, teardown);
	g_test_add("/xenemu/xenstore/wire-errors", Fixture, NULL, setup, test_wire_errors,
		   teardown);
	rc = g_test_run();
	unlink(trace);
	return rc;
}
