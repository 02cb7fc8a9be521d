// SPDX-License-Identifier: GPL-2.0-or-later
/* A worker's start: its assignment, its export, its confinement (see worker_main.h). */
#include "config.h"

#include "backend/worker/worker_main.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "backend/common/export_config.h"
#include "backend/server/trace.h"
#include "backend/worker/sandbox.h"

#define LINK_FD 3

void worker_put_export_config(GVariantDict *d, const struct fsdrv_config *cfg)
{
    g_variant_dict_insert(d, "model", "u", (uint32_t)cfg->model);
    g_variant_dict_insert(d, "readonly", "b", (gboolean)cfg->readonly);
    g_variant_dict_insert(d, "max-files", "t", (guint64)cfg->max_files);
    g_variant_dict_insert(d, "max-open-files", "t", (guint64)cfg->max_open_files);
    g_variant_dict_insert(d, "max-space", "t", (guint64)cfg->max_space);
    g_variant_dict_insert(d, "auto-delete", "b", (gboolean)cfg->auto_delete);
    g_variant_dict_insert(d, "allow-acl", "b", (gboolean)cfg->allow_acl);
    g_variant_dict_insert(d, "allow-setid", "b", (gboolean)cfg->allow_setid);
    g_variant_dict_insert(d, "allow-devices", "b", (gboolean)cfg->allow_devices);
}

bool worker_export_config(struct link_msg *msg, struct fsdrv_config *cfg)
{
    uint32_t model;
    memset(cfg, 0, sizeof(*cfg));
    return link_get_u32(msg, "model", &model) && (cfg->model = model, true) &&
           link_get_bool(msg, "readonly", &cfg->readonly) &&
           link_get_u64(msg, "max-files", &cfg->max_files) &&
           link_get_u64(msg, "max-open-files", &cfg->max_open_files) &&
           link_get_u64(msg, "max-space", &cfg->max_space) &&
           link_get_bool(msg, "auto-delete", &cfg->auto_delete) &&
           link_get_bool(msg, "allow-acl", &cfg->allow_acl) &&
           link_get_bool(msg, "allow-setid", &cfg->allow_setid) &&
           link_get_bool(msg, "allow-devices", &cfg->allow_devices);
}

void worker_send_failed(int link, const char *why)
{
    GVariantDict dict;
    g_variant_dict_init(&dict, NULL);
    g_variant_dict_insert(&dict, "why", "s", why);
    link_send(link, "failed", &dict, NULL, 0);
}

int worker_confine_and_open(const struct worker_args *a, int export_fd, int xen_domid,
                            const struct fsdrv_config *cfg, void (*after_restrict)(void *),
                            void *hook_ctx, struct fsdrv_export **out, char **why)
{
    char path[64];
    if (a->sandbox) {
        uid_t uid;
        gid_t gid;
        int err = sandbox_identity(export_fd, cfg, &uid, &gid, why);
        if (err)
            return err;
        struct sandbox_policy policy = {
            .export_fd = export_fd,
            .export_cfg = cfg,
            .nofile = cfg->max_open_files + SANDBOX_FD_OVERHEAD,
            .xen_domid = xen_domid,
            .memory_bytes = (uint64_t)a->memory_mib << 20,
            .core_dumps = a->core_dumps,
            .seccomp_log = a->seccomp_log,
            .run_uid = uid,
            .run_gid = gid,
            .after_xen_restrict = after_restrict,
            .hook_ctx = hook_ctx,
        };
        err = sandbox_enter(&policy, why);
        if (err)
            return err;
        g_info("confined: uid %u, capabilities %#" PRIx64 ", %s model", (unsigned)getuid(),
               uid == (uid_t)-1 ? sandbox_capabilities(cfg) : 0, export_model_name(cfg->model));
        snprintf(path, sizeof(path), "%s", SANDBOX_EXPORT_PATH);
    } else {
        if (after_restrict)
            after_restrict(hook_ctx);
        /* Unconfined (debugging): the export as the supervisor opened it. */
        snprintf(path, sizeof(path), "/proc/self/fd/%d", export_fd);
    }
    /* Confined, the handles' share of the descriptors is known (and the
     * filter has no getrlimit for fsdrv to find it). */
    struct fsdrv_config opened = *cfg;
    if (a->sandbox && !opened.max_handles)
        opened.max_handles = SANDBOX_FD_OVERHEAD / 4;
    int err = fsdrv_export_open(path, &opened, out);
    if (err)
        *why = g_strdup_printf("cannot open the export: %s", g_strerror(-err));
    return err;
}

/*
 * A worker is the init of its pid namespace, and the kernel ignores a
 * signal sent to an init that has no handler for it: SIGSEGV from outside
 * (an administrator's, a test's) would do nothing.  This handler ends the
 * process as a crash would: a fault of its own, with the default action back
 * in place (SA_RESETHAND), which the kernel delivers even to an init.  A
 * real fault returns here and faults again.
 */
static void die_like_a_fault(int sig, siginfo_t *info, void *context)
{
    static char *volatile nowhere;
    (void)sig;
    (void)context;
    if (info->si_code <= 0)
        *nowhere = 0;
}

static void handle_crash_signals(void)
{
    struct sigaction sa = { .sa_sigaction = die_like_a_fault,
                            .sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
}

int worker_main(const struct worker_args *a)
{
    handle_crash_signals();
    /* Request and reply buffers of up to an msize (about 1 MiB) come and go
     * with every large read or write: from the heap, kept for the next one,
     * rather than a fresh mmap whose pages fault in on every request. */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    struct link_msg msg;
    int got = link_recv(LINK_FD, &msg);
    if (got <= 0) {
        g_warning("no assignment from the supervisor (%s)",
                  got == 0 ? "link closed" : g_strerror(errno));
        return 1;
    }
    /* Whether to trace every 9P message (xen9p trace switches it later). */
    bool trace = false;
    link_get_bool(&msg, "trace", &trace);
    atomic_store_explicit(&p9_trace_enabled, trace, memory_order_relaxed);
    int rc;
    if (strcmp(msg.name, "serve-xen") == 0 || strcmp(msg.name, "take-over-xen") == 0)
        rc = worker_serve_xen(a, LINK_FD, &msg);
    else if (strcmp(msg.name, "serve-socket") == 0 || strcmp(msg.name, "take-over-socket") == 0)
        rc = worker_serve_socket(a, LINK_FD, &msg);
    else {
        g_warning("unknown assignment \"%s\"", msg.name);
        rc = 1;
    }
    link_msg_clear(&msg);
    return rc;
}
