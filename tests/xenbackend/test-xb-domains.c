// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Many guests at once: eight domains with a Linux-like device each, two of
 * them with a second, Mini-OS-like device, all moving data at the same
 * time.  Every device's files hold exactly what its guest wrote, and
 * `xen9p list` accounts for every ring (pages mapped, channels bound).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tests/xenbackend/xb-9p.h"
#include "tests/xenbackend/xb-env.h"

#define T (6 * XB_TIMEOUT_MS)
#define DOMAINS 8
#define STUBS 2
#define FILE_SIZE 1500000u
#define LINUX_PAGES (2 * (1 + 512))
#define MINIOS_PAGES (1 + 16)

struct device {
    unsigned domid, devid;
    bool minios;
    char *dir;
    XbAgent *guest;
    uint64_t seed;
};

static char *file_sha256(const char *path)
{
    char *data;
    gsize len;
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    char *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)data, len);
    g_free(data);
    return hex;
}

static void test_many_domains(void)
{
    XbEnv *env = xb_env_new();
    xb_daemon_start(env, false);
    struct device devs[DOMAINS + STUBS];
    for (unsigned i = 0; i < G_N_ELEMENTS(devs); i++) {
        struct device *d = &devs[i];
        d->minios = i >= DOMAINS;
        d->domid = d->minios ? i - DOMAINS + 1 : i + 1;
        d->seed = 1000 * (i + 1);
        if (!d->minios)
            xb_create_domain(env, d->domid);
        char *name = g_strdup_printf("dom%u-%s", d->domid, d->minios ? "stub" : "main");
        d->dir = xb_mkdir(env, name);
        char *spec = g_strdup_printf("tag=%s,path=%s", d->minios ? "stub" : "main", d->dir);
        d->devid = xb_attach(env, d->domid, spec);
        g_free(spec);
        g_free(name);
        d->guest = xb_agent_start(env, d->domid);
        xb_agent_mount(d->guest, d->devid, d->minios);
    }
    XbList *l = xb_list(env);
    g_assert_cmpuint(l->devices, ==, DOMAINS + STUBS);
    g_assert_cmpuint(l->mapped_pages, ==, DOMAINS * LINUX_PAGES + STUBS * MINIOS_PAGES);
    g_assert_cmpuint(l->event_channels, ==, DOMAINS * 2 + STUBS);
    for (guint i = 0; i < l->rows->len; i++) {
        const XbDevice *row = l->rows->pdata[i];
        g_assert_cmpstr(row->state, ==, "Connected");
    }
    xb_list_free(l);
    GPid daemon = xb_daemon_pid(env);
    for (unsigned dom = 1; dom <= DOMAINS; dom++) {
        bool stub = dom <= STUBS;
        g_assert_cmpuint(xb_mapped_pages(env, daemon, (int)dom), ==,
                         LINUX_PAGES + (stub ? MINIOS_PAGES : 0));
        g_assert_cmpuint(xb_bound_ports(env, (int)dom), ==, 2 + (stub ? 1 : 0));
    }

    /* Everyone at once: two files each, written then verified. */
    gint64 start = g_get_monotonic_time();
    for (unsigned i = 0; i < G_N_ELEMENTS(devs); i++)
        xb_agent_send(devs[i].guest, "multi 2 %u %" G_GUINT64_FORMAT " 16", FILE_SIZE,
                      devs[i].seed);
    for (unsigned i = 0; i < G_N_ELEMENTS(devs); i++) {
        char *answer = xb_agent_recv(devs[i].guest, T);
        if (g_strcmp0(answer, "ok") != 0)
            g_error("domain %u device %u: %s", devs[i].domid, devs[i].devid, answer);
        g_free(answer);
    }
    g_test_message("%u devices moved %u MB each way in %.1f s", DOMAINS + STUBS,
                   (DOMAINS + STUBS) * 2 * FILE_SIZE / 1000000,
                   (g_get_monotonic_time() - start) / 1e6);
    for (unsigned i = 0; i < G_N_ELEMENTS(devs); i++) {
        for (unsigned k = 0; k < 2; k++) {
            char *path = g_strdup_printf("%s/multi-%u", devs[i].dir, k);
            char *got = file_sha256(path), *want = xb_pattern_sha256(FILE_SIZE, devs[i].seed + k);
            g_assert_cmpstr(got, ==, want);
            g_free(path);
            g_free(got);
            g_free(want);
        }
        xb_agent_assert_clean(devs[i].guest);
    }
    for (unsigned i = 0; i < G_N_ELEMENTS(devs); i++) {
        xb_agent_close(devs[i].guest);
        xb_agent_kill(devs[i].guest);
        g_free(devs[i].dir);
    }
    l = xb_list(env);
    g_assert_cmpuint(l->mapped_pages, ==, 0);
    g_assert_cmpuint(l->event_channels, ==, 0);
    xb_list_free(l);
    g_assert_cmpuint(xb_mapped_pages(env, daemon, -1), ==, 0);
    g_assert_cmpuint(xb_bound_ports(env, -1), ==, 0);
    xb_env_free(env);
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add_func("/xenbackend/domains/eight-at-once", test_many_domains);
    return g_test_run();
}
