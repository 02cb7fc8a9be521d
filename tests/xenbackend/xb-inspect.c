// SPDX-License-Identifier: GPL-2.0-or-later
/* What a process holds: fds, granted pages, event channels (see xb-env.h). */
#include "config.h"

#include "tests/xenbackend/xb-env-private.h"

#include <stdlib.h>
#include <string.h>

/* ---- resources ---- */

/* The stand-in libxengnttab keeps one fd per granting domain it has mapped
 * from (its grant-pages file) for the handle's life, where gntdev has one fd
 * per handle: those are the emulator's, not the daemon's. */
static bool emulator_fd(XbEnv *env, const char *target)
{
    return target && g_str_has_prefix(target, xenemu_dir(env->emu)) &&
           (g_str_has_suffix(target, "/grant-pages") ||
            g_str_has_suffix(target, "/grant-pages (deleted)"));
}

unsigned xb_fd_count(XbEnv *env, GPid pid)
{
    char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
    GDir *dir = g_dir_open(path, 0, NULL);
    g_assert_nonnull(dir);
    unsigned n = 0;
    const char *name;
    while ((name = g_dir_read_name(dir))) {
        char *link = g_build_filename(path, name, NULL);
        char *target = g_file_read_link(link, NULL);
        if (!emulator_fd(env, target))
            n++;
        g_free(target);
        g_free(link);
    }
    g_dir_close(dir);
    g_free(path);
    return n;
}

/* "fd -> target" of every open fd, to say which one leaked. */
static void log_fds(GPid pid)
{
    char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
    GDir *dir = g_dir_open(path, 0, NULL);
    const char *name;
    while (dir && (name = g_dir_read_name(dir))) {
        char *link = g_build_filename(path, name, NULL);
        char *target = g_file_read_link(link, NULL);
        g_test_message("xen9pd fd %s -> %s", name, target ? target : "?");
        g_free(target);
        g_free(link);
    }
    if (dir)
        g_dir_close(dir);
    g_free(path);
}

unsigned xb_wait_fd_count(XbEnv *env, GPid pid, unsigned want, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    unsigned n;
    while ((n = xb_fd_count(env, pid)) != want && g_get_monotonic_time() < deadline)
        g_usleep(10000);
    if (n != want)
        log_fds(pid);
    return n;
}

/* pid and every process below it (xen9pd's workers are its children).
 * A task's "children" lists only what that thread started, so every
 * thread is read. */
static void collect_tree(GPid pid, GArray *out)
{
    g_array_append_val(out, pid);
    char *task_dir = g_strdup_printf("/proc/%d/task", (int)pid);
    GDir *tasks = g_dir_open(task_dir, 0, NULL);
    const char *tid;
    while (tasks && (tid = g_dir_read_name(tasks))) {
        char *path = g_strdup_printf("%s/%s/children", task_dir, tid);
        char *children = NULL;
        if (g_file_get_contents(path, &children, NULL, NULL)) {
            char **ids = g_strsplit(g_strstrip(children), " ", -1);
            for (char **id = ids; *id; id++) {
                if (**id)
                    collect_tree((GPid)atoi(*id), out);
            }
            g_strfreev(ids);
        }
        g_free(children);
        g_free(path);
    }
    if (tasks)
        g_dir_close(tasks);
    g_free(task_dir);
}

unsigned xb_mapped_pages(XbEnv *env, GPid pid, int domid)
{
    GArray *tree = g_array_new(FALSE, FALSE, sizeof(GPid));
    collect_tree(pid, tree);
    unsigned pages = 0;
    for (guint t = 0; t < tree->len; t++) {
        GError *error = NULL;
        GArray *maps = xenemu_list_mappings(xenemu_dir(env->emu),
                                            g_array_index(tree, GPid, t), &error);
        if (!maps) {
            g_error_free(error);    /* exited meanwhile */
            continue;
        }
        for (guint i = 0; i < maps->len; i++) {
            const XenEmuMapping *m = &g_array_index(maps, XenEmuMapping, i);
            if (domid < 0 || m->domid == (unsigned)domid)
                pages += m->count;
        }
        g_array_free(maps, TRUE);
    }
    g_array_free(tree, TRUE);
    return pages;
}

unsigned xb_bound_ports(XbEnv *env, int domid)
{
    GError *error = NULL;
    GArray *ports = xenemu_list_ports(xenemu_dir(env->emu), 0, &error);
    g_assert_no_error(error);
    unsigned n = 0;
    for (guint i = 0; i < ports->len; i++) {
        const XenEmuPort *p = &g_array_index(ports, XenEmuPort, i);
        if (p->state == 2 && (domid < 0 || p->remote_dom == (unsigned)domid))
            n++;
    }
    g_array_free(ports, TRUE);
    return n;
}

