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
    /* Many files at once: more than xl's default of 5 open files. */
    char *spec = g_strdup_printf("tag=data,path=%s,max-open-files=256", f->share);
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

/* KEY=value summed over the rings of device 1/devid, from `xen9p rings`. */
static uint64_t ring_stat(Fixture *f, const char *key, bool max)
{
    char *out = NULL;
    g_assert_cmpint(xb_xen9p(f->env, &out, NULL, "rings", NULL), ==, 0);
    char **lines = g_strsplit(out, "\n", -1);
    char *prefix = g_strdup_printf("%s=", key), *dev = g_strdup_printf("device\t1\t%u\t", f->devid);
    bool mine = false;
    uint64_t v = 0;
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "device\t"))
            mine = g_str_has_prefix(*l, dev);
        if (!mine || !g_str_has_prefix(*l, "ring\t"))
            continue;
        char **words = g_strsplit_set(*l, " \t", -1);
        for (char **w = words; *w; w++) {
            if (g_str_has_prefix(*w, prefix)) {
                uint64_t x = g_ascii_strtoull(*w + strlen(prefix), NULL, 10);
                v = max ? MAX(v, x) : v + x;
            }
        }
        g_strfreev(words);
    }
    g_strfreev(lines);
    g_free(prefix);
    g_free(dev);
    g_free(out);
    return v;
}

/*
 * What hung real Linux guests in the lab (issue 9) and what the Xen lab's
 * stress runs: guest processes, each with one request at a time as Linux's
 * client issues them, several on each ring, tags reused at once; requests of
 * msize (two fill a request ring), replies larger than a quarter of the ring
 * and replies of msize (the reply ring fills and replies wait for room),
 * files 8 times the ring.  Every byte is checked on both sides, the frontend
 * counts every reply Linux would choke on, and xen9pd's ring counters show
 * that both directions really filled up.
 */
static void test_linux_processes(Fixture *f, gconstpointer data)
{
    const uint64_t size = 8ull << 20, seed = 700;
    const unsigned msize = 512 << 10;
    mount(f, "linux", "9P2000.L", msize, msize);
    g_free(xb_agent_ok(f->guest, T, "procs write %u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                       " 4 4", msize - P9_IOHDR_SIZE, size, seed));
    for (unsigned i = 0; i < 4; i++) {
        char *name = g_strdup_printf("proc-%u", i);
        assert_host_file(f, name, size, seed + i);
        g_free(name);
    }
    uint64_t ring_bytes = ring_stat(f, "size", true);
    g_assert_cmpuint(ring_bytes, ==, 1u << 20);
    g_assert_cmpuint(ring_stat(f, "out_peak", true), >, ring_bytes / 2);
    /* 300 KiB replies (more than a quarter ring), msize replies, then small ones. */
    const unsigned counts[] = { 300 << 10, msize - P9_HDR_SIZE - 4, 4096 };
    for (unsigned c = 0; c < G_N_ELEMENTS(counts); c++) {
        uint64_t bytes = counts[c] == 4096 ? 1 << 20 : size;
        g_free(xb_agent_ok(f->guest, T, "procs read %u %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT
                           " 8 4", counts[c], bytes, seed));
    }
    g_assert_cmpuint(ring_stat(f, "reply_waits", false), >, 0);
    /* Reads the ring thread ran went straight into the ring, checked all the same. */
    g_assert_cmpuint(ring_stat(f, "in_place", false), >, 0);
    char *stats = xb_agent_ok(f->guest, T, "stats");
    g_test_message("frontend: %s; reply waits %" G_GUINT64_FORMAT, stats,
                   ring_stat(f, "reply_waits", false));
    g_assert_cmpstr(stats, ==, "wrong_tag=0 split=0 after_flush=0 wrong_ring=0 broken=0");
    g_free(stats);
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
    g_test_add("/xenbackend/data/linux-processes", Fixture, NULL, setup, test_linux_processes,
               teardown);
    g_test_add("/xenbackend/data/split-publish", Fixture, NULL, setup, test_split_publish,
               teardown);
    return g_test_run();
}
