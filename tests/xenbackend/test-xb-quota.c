// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The quota keys libxl writes for type=xen_9pfsd (protocol A.2, D.1),
 * set with `xen9p attach` and enforced on the guest's requests: max-files
 * (EDQUOT, files already in the export count), max-open-files (EMFILE),
 * max-space in MiB (EDQUOT after a short write), and auto-delete (the
 * oldest closed file makes room, an open one is spared).  And what a guest
 * tried to get around them (docs/design.md "Limits"): writing and truncating
 * through a file it removed, making directories with max-files.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/xenbackend/xb-env.h"

#define T XB_TIMEOUT_MS

typedef struct {
    XbEnv *env;
    char *share;
    XbAgent *guest;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    f->env = xb_env_new();
    f->share = xb_mkdir(f->env, "share");
    xb_create_domain(f->env, 1);
    xb_daemon_start(f->env, false);
    f->guest = xb_agent_start(f->env, 1);
}

static void teardown(Fixture *f, gconstpointer data)
{
    xb_agent_assert_clean(f->guest);
    xb_agent_close(f->guest);
    xb_env_free(f->env);
    g_free(f->share);
}

static void attach_with(Fixture *f, const char *quota)
{
    char *spec = g_strdup_printf("tag=quota,path=%s,%s", f->share, quota);
    unsigned devid = xb_attach(f->env, 1, spec);
    g_free(spec);
    char *be = xb_backend_dir(1, devid);
    /* The keys a toolstack would have written, as xen9pd reads them. */
    char **kv = g_strsplit_set(quota, ",=", -1);
    for (char **k = kv; k[0] && k[1]; k += 2) {
        char *v = xb_read(f->env, "%s/%s", be, k[0]);
        g_assert_cmpstr(v, ==, k[1]);
        g_free(v);
    }
    g_strfreev(kv);
    g_free(be);
    xb_agent_mount(f->guest, devid, false);
}

static void host_file(Fixture *f, const char *name, const char *contents)
{
    char *path = g_build_filename(f->share, name, NULL);
    g_assert_true(g_file_set_contents(path, contents, -1, NULL));
    g_free(path);
}

static bool host_has(Fixture *f, const char *name)
{
    char *path = g_build_filename(f->share, name, NULL);
    bool found = g_file_test(path, G_FILE_TEST_EXISTS);
    g_free(path);
    return found;
}

static guint64 host_size(Fixture *f, const char *name)
{
    char *path = g_build_filename(f->share, name, NULL);
    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_free(path);
    return (guint64)st.st_size;
}

/* The answer is "err ERRNO ..." with this errno. */
static void expect_errno(Fixture *f, int want, const char *cmd)
{
    char *answer = xb_agent_call(f->guest, T, "%s", cmd);
    char *prefix = g_strdup_printf("err %d ", want);
    if (!g_str_has_prefix(answer, prefix))
        g_error("\"%s\" answered \"%s\", expected errno %d", cmd, answer, want);
    g_free(prefix);
    g_free(answer);
}

/* Files already in the export count: one on the host + two new = max-files. */
static void test_max_files(Fixture *f, gconstpointer data)
{
    host_file(f, "old", "from dom0");
    attach_with(f, "max-files=3");
    g_free(xb_agent_ok(f->guest, T, "create a"));
    g_free(xb_agent_ok(f->guest, T, "create b"));
    expect_errno(f, EDQUOT, "create c");
    g_assert_false(host_has(f, "c"));
    g_free(xb_agent_ok(f->guest, T, "remove a"));
    g_free(xb_agent_ok(f->guest, T, "create c"));
    expect_errno(f, EDQUOT, "create d");
}

static void test_max_open_files(Fixture *f, gconstpointer data)
{
    host_file(f, "f1", "1");
    host_file(f, "f2", "2");
    host_file(f, "f3", "3");
    attach_with(f, "max-open-files=2");
    char *fid1 = xb_agent_ok(f->guest, T, "open f1");
    g_free(xb_agent_ok(f->guest, T, "open f2"));
    expect_errno(f, EMFILE, "open f3");
    g_free(xb_agent_ok(f->guest, T, "clunk %s", fid1));
    g_free(xb_agent_ok(f->guest, T, "open f3"));
    g_free(fid1);
}

/* 1 MiB: a 2 MiB write stops short of it with EDQUOT; freed space is usable again. */
static void test_max_space(Fixture *f, gconstpointer data)
{
    attach_with(f, "max-space=1");
    char *answer = xb_agent_call(f->guest, T, "fill big %u", 2u << 20);
    unsigned err;
    guint64 written;
    g_assert_cmpint(sscanf(answer, "err %u %" G_GUINT64_FORMAT, &err, &written), ==, 2);
    g_assert_cmpuint(err, ==, EDQUOT);
    g_assert_cmpuint(written, <=, 1u << 20);
    g_assert_cmpuint(written, >=, 1u << 19);
    g_assert_cmpuint(host_size(f, "big"), ==, written);
    g_free(answer);
    g_free(xb_agent_ok(f->guest, T, "remove big"));
    char *ok = xb_agent_ok(f->guest, T, "fill again %u", 3u << 18);
    g_assert_cmpuint(g_ascii_strtoull(ok, NULL, 10), ==, 3u << 18);
    g_free(ok);
}

/* The proof of concept: 256 MiB through a removed file's fid, with max-space=1. */
static void test_unlinked_space(Fixture *f, gconstpointer data)
{
    attach_with(f, "max-space=1");
    char *answer = xb_agent_call(f->guest, T, "fill-unlinked hidden %u", 256u << 20);
    unsigned err, fid;
    guint64 written;
    g_assert_cmpint(sscanf(answer, "err %u %" G_GUINT64_FORMAT " %u", &err, &written, &fid), ==, 3);
    g_free(answer);
    g_assert_cmpuint(err, ==, EDQUOT);
    g_assert_cmpuint(written, <=, 1u << 20);
    g_assert_false(host_has(f, "hidden"));
    /* Truncating it past the quota is refused as well. */
    char *cmd = g_strdup_printf("truncate %u %u", fid, 256u << 20);
    expect_errno(f, EDQUOT, cmd);
    g_free(cmd);
    /* It holds the space until its clunk. */
    answer = xb_agent_call(f->guest, T, "fill next %u", 512u << 10);
    g_assert_cmpint(sscanf(answer, "err %u %" G_GUINT64_FORMAT, &err, &written), ==, 2);
    g_assert_cmpuint(err, ==, EDQUOT);
    g_assert_cmpuint(written, <, 64u << 10);
    g_free(answer);
    g_free(xb_agent_ok(f->guest, T, "clunk %u", fid));
    char *ok = xb_agent_ok(f->guest, T, "fill again %u", 3u << 18);
    g_assert_cmpuint(g_ascii_strtoull(ok, NULL, 10), ==, 3u << 18);
    g_free(ok);
}

/* The proof of concept: 5000 directories with max-files=2. */
static void test_directories(Fixture *f, gconstpointer data)
{
    attach_with(f, "max-files=2");
    char *ok = xb_agent_ok(f->guest, T, "mkdirs d 5000");
    g_assert_cmpstr(ok, ==, "2 4998");
    g_free(ok);
    g_assert_true(host_has(f, "d1"));
    g_assert_false(host_has(f, "d2"));
    expect_errno(f, EDQUOT, "create file");
}

/* auto-delete + max-files: the oldest closed file goes, an open one stays. */
static void test_auto_delete_files(Fixture *f, gconstpointer data)
{
    attach_with(f, "max-files=2,auto-delete=1");
    g_free(xb_agent_ok(f->guest, T, "write a 1000 1 1"));
    g_usleep(20000);
    g_free(xb_agent_ok(f->guest, T, "write b 1000 2 1"));
    g_usleep(20000);
    g_free(xb_agent_ok(f->guest, T, "write c 1000 3 1"));
    g_assert_false(host_has(f, "a"));
    g_assert_true(host_has(f, "b"));
    g_assert_true(host_has(f, "c"));
    /* b is the oldest, but open: c goes instead. */
    char *fid = xb_agent_ok(f->guest, T, "open b");
    g_usleep(20000);
    g_free(xb_agent_ok(f->guest, T, "write d 1000 4 1"));
    g_assert_true(host_has(f, "b"));
    g_assert_false(host_has(f, "c"));
    g_assert_true(host_has(f, "d"));
    g_free(xb_agent_ok(f->guest, T, "verify b 1000 2 1"));
    g_free(xb_agent_ok(f->guest, T, "clunk %s", fid));
    g_free(fid);
}

/* auto-delete + max-space: a write that does not fit deletes the oldest file. */
static void test_auto_delete_space(Fixture *f, gconstpointer data)
{
    attach_with(f, "max-space=1,auto-delete=1");
    g_free(xb_agent_ok(f->guest, T, "write x %u 1 4", 600u << 10));
    g_usleep(20000);
    g_free(xb_agent_ok(f->guest, T, "write y %u 2 4", 300u << 10));
    g_usleep(20000);
    g_free(xb_agent_ok(f->guest, T, "write z %u 3 4", 400u << 10));
    g_assert_false(host_has(f, "x"));
    g_free(xb_agent_ok(f->guest, T, "verify y %u 2 4", 300u << 10));
    g_free(xb_agent_ok(f->guest, T, "verify z %u 3 4", 400u << 10));
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add("/xenbackend/quota/max-files", Fixture, NULL, setup, test_max_files, teardown);
    g_test_add("/xenbackend/quota/max-open-files", Fixture, NULL, setup, test_max_open_files,
               teardown);
    g_test_add("/xenbackend/quota/max-space", Fixture, NULL, setup, test_max_space, teardown);
    g_test_add("/xenbackend/quota/unlinked-space", Fixture, NULL, setup, test_unlinked_space,
               teardown);
    g_test_add("/xenbackend/quota/directories", Fixture, NULL, setup, test_directories,
               teardown);
    g_test_add("/xenbackend/quota/auto-delete-files", Fixture, NULL, setup,
               test_auto_delete_files, teardown);
    g_test_add("/xenbackend/quota/auto-delete-space", Fixture, NULL, setup,
               test_auto_delete_space, teardown);
    return g_test_run();
}
