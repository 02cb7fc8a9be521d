// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Data through the rings under load: many requests in flight on both rings,
 * random sizes up to msize, several fids at once, a 64 MiB file checked both
 * ways (guest -> dom0 and dom0 -> guest), 9P2000.L and 9P2000.u, the Linux
 * frontend's two order-9 rings and Mini-OS's single order-4 ring, and a
 * request published in two index moves.  The frontend counts every reply
 * Linux would reject (wrong tag, published in pieces, after its Rflush).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tests/xenbackend/xb-9p.h"
#include "tests/xenbackend/xb-env.h"

#define T (4 * XB_TIMEOUT_MS)

typedef struct {
    XbEnv *env;
    char *share;
    XbAgent *guest;
    unsigned devid;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    f->env = xb_env_new();
    f->share = xb_mkdir(f->env, "share");
    xb_create_domain(f->env, 1);
    xb_daemon_start(f->env, false);
    char *spec = g_strdup_printf("tag=data,path=%s", f->share);
    f->devid = xb_attach(f->env, 1, spec);
    g_free(spec);
    f->guest = xb_agent_start(f->env, 1);
}

static void teardown(Fixture *f, gconstpointer data)
{
    xb_agent_assert_clean(f->guest);
    xb_agent_close(f->guest);
    xb_env_free(f->env);
    g_free(f->share);
}

static char *file_sha256(const char *path)
{
    FILE *in = fopen(path, "rb");
    g_assert_nonnull(in);
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    guchar buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        g_checksum_update(sum, buf, n);
    fclose(in);
    char *hex = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
    return hex;
}

/* The file dom0 sees holds exactly pattern `seed`. */
static void assert_host_file(Fixture *f, const char *name, uint64_t size, uint64_t seed)
{
    char *path = g_build_filename(f->share, name, NULL);
    char *got = file_sha256(path), *want = xb_pattern_sha256(size, seed);
    g_assert_cmpstr(got, ==, want);
    g_free(path);
    g_free(got);
    g_free(want);
}

static void mount(Fixture *f, const char *profile, const char *version, unsigned msize,
                  unsigned want_msize)
{
    g_free(xb_agent_ok(f->guest, T, "connect device/9pfs/%u %s", f->devid, profile));
    char *got = xb_agent_ok(f->guest, T, "mount %s %u", version, msize);
    g_assert_cmpuint(g_ascii_strtoull(got, NULL, 10), ==, want_msize);
    g_free(got);
}

/* Writes and verifies `files` files at once with `inflight` requests in flight. */
static void load(Fixture *f, unsigned files, uint64_t size, unsigned inflight, uint64_t seed)
{
    g_free(xb_agent_ok(f->guest, T, "multi %u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " %u",
                       files, size, seed, inflight));
    for (unsigned i = 0; i < files; i++) {
        char *name = g_strdup_printf("multi-%u", i);
        assert_host_file(f, name, size, seed + i);
        g_free(name);
    }
    g_free(xb_agent_ok(f->guest, T, "write single %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                       " %u", size, seed + 99, inflight));
    char *sha = xb_agent_ok(f->guest, T, "verify single %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                            " %u", size, seed + 99, inflight);
    char *want = xb_pattern_sha256(size, seed + 99);
    g_assert_cmpstr(sha, ==, want);
    assert_host_file(f, "single", size, seed + 99);
    g_free(sha);
    g_free(want);
}

static void test_linux_load(Fixture *f, gconstpointer data)
{
    mount(f, "linux", "9P2000.L", 512 << 10, 512 << 10);
    load(f, 6, 3000000, 64, 100);
}

static void test_linux_dotu(Fixture *f, gconstpointer data)
{
    mount(f, "linux", "9P2000.u", 512 << 10, 512 << 10);
    load(f, 4, 2000000, 32, 200);
}

/* Mini-OS: one ring of order 4 caps msize at the 32 KiB of one direction (A.8). */
static void test_minios(Fixture *f, gconstpointer data)
{
    mount(f, "minios", "9P2000.u", 512 << 10, 32 << 10);
    load(f, 4, 1000000, 16, 300);
}

/* 64 MiB each way, checked by SHA-256 on the other side. */
static void test_big_file(Fixture *f, gconstpointer data)
{
    const uint64_t size = 64ull << 20;
    mount(f, "linux", "9P2000.L", 512 << 10, 512 << 10);
    g_free(xb_agent_ok(f->guest, T, "write big-out %" G_GUINT64_FORMAT " 500 16", size));
    assert_host_file(f, "big-out", size, 500);
    char *path = g_build_filename(f->share, "big-in", NULL);
    GError *error = NULL;
    g_assert_true(xb_pattern_write_file(path, size, 501, &error));
    g_assert_no_error(error);
    char *sha = xb_agent_ok(f->guest, T, "verify big-in %" G_GUINT64_FORMAT " 501 16", size);
    char *host = file_sha256(path);
    g_assert_cmpstr(sha, ==, host);
    g_free(sha);
    g_free(host);
    g_free(path);
}

/* A frontend may make a request visible in pieces; the backend waits for the rest (A.7). */
static void test_split_publish(Fixture *f, gconstpointer data)
{
    mount(f, "linux", "9P2000.L", 512 << 10, 512 << 10);
    g_free(xb_agent_ok(f->guest, T, "split"));
    g_free(xb_agent_ok(f->guest, T, "write after-split 100000 7 4"));
    g_free(xb_agent_ok(f->guest, T, "verify after-split 100000 7 4"));
}

/* Replies completing together, then a lone one: every reply must wake the
 * ring's thread (a lost wake-up leaves the lone reply unpublished). */
static void test_bursts(Fixture *f, gconstpointer data)
{
    g_free(xb_agent_ok(f->guest, T, "connect device/9pfs/%u linux timeout=3000", f->devid));
    g_free(xb_agent_ok(f->guest, T, "mount 9P2000.L 524288"));
    char *worst = xb_agent_ok(f->guest, T, "bursts 4000 16");
    g_test_message("slowest lone request: %s ms", worst);
    g_free(worst);
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add("/xenbackend/data/linux-load", Fixture, NULL, setup, test_linux_load, teardown);
    g_test_add("/xenbackend/data/linux-9p2000.u", Fixture, NULL, setup, test_linux_dotu,
               teardown);
    g_test_add("/xenbackend/data/minios", Fixture, NULL, setup, test_minios, teardown);
    g_test_add("/xenbackend/data/64mib", Fixture, NULL, setup, test_big_file, teardown);
    g_test_add("/xenbackend/data/bursts", Fixture, NULL, setup, test_bursts, teardown);
    g_test_add("/xenbackend/data/split-publish", Fixture, NULL, setup, test_split_publish,
               teardown);
    return g_test_run();
}
