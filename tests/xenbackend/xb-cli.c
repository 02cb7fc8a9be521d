// SPDX-License-Identifier: GPL-2.0-or-later
/* The xen9p CLI as an admin runs it, and `xen9p list` parsed (see xb-env.h). */
#include "config.h"

#include "tests/xenbackend/xb-env-private.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* ---- the CLI ---- */

int xb_xen9p(XbEnv *env, char **out, char **err, ...)
{
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, xb_build_path("xen9p"));
    g_ptr_array_add(argv, g_strdup("--control"));
    g_ptr_array_add(argv, g_strdup(env->control));
    va_list ap;
    va_start(ap, err);
    const char *arg;
    while ((arg = va_arg(ap, const char *)))
        g_ptr_array_add(argv, g_strdup(arg));
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    char **envp = xenemu_environ(env->emu, 0, g_get_environ());
    char *o = NULL, *e = NULL;
    int status = -1;
    GError *error = NULL;
    g_spawn_sync(NULL, (char **)argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL, &o, &e,
                 &status, &error);
    g_assert_no_error(error);
    g_strfreev(envp);
    g_ptr_array_free(argv, TRUE);
    if (out)
        *out = o;
    else
        g_free(o);
    if (err)
        *err = e;
    else
        g_free(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

unsigned xb_attach(XbEnv *env, unsigned domid, const char *spec)
{
    char *dom = g_strdup_printf("%u", domid), *out, *err;
    int rc = xb_xen9p(env, &out, &err, "attach", dom, spec, NULL);
    if (rc != 0)
        g_error("xen9p attach %s %s: exit %d: %s", dom, spec, rc, err);
    unsigned devid = (unsigned)g_ascii_strtoull(out, NULL, 10);
    g_free(dom);
    g_free(out);
    g_free(err);
    return devid;
}

void xb_detach(XbEnv *env, unsigned domid, const char *which)
{
    char *dom = g_strdup_printf("%u", domid), *err;
    int rc = xb_xen9p(env, NULL, &err, "detach", dom, which, NULL);
    if (rc != 0)
        g_error("xen9p detach %s %s: exit %d: %s", dom, which, rc, err);
    g_free(dom);
    g_free(err);
}

static void device_free(gpointer p)
{
    XbDevice *d = p;
    g_free(d->tag);
    g_free(d->state);
    g_free(d->error);
    g_free(d->caps);
    g_free(d->seccomp);
    g_free(d);
}

XbList *xb_list(XbEnv *env)
{
    char *out, *err;
    int rc = xb_xen9p(env, &out, &err, "list", "--verbose", NULL);
    if (rc != 0)
        g_error("xen9p list: exit %d: %s", rc, err);
    XbList *l = g_new0(XbList, 1);
    l->rows = g_ptr_array_new_with_free_func(device_free);
    char **lines = g_strsplit(out, "\n", -1);
    bool totals = false;
    for (char **line = lines; *line; line++) {
        if (g_str_has_prefix(*line, "daemon: ")) {
            totals = sscanf(*line, "daemon: pid=%d devices=%u mapped_pages=%u "
                            "event_channels=%u open_files=%" G_GUINT64_FORMAT, &l->pid,
                            &l->devices, &l->mapped_pages, &l->event_channels,
                            &l->open_files) == 5;
            continue;
        }
        if (!**line || g_str_has_prefix(*line, "DOM "))
            continue;
        const char *wk = strstr(*line, "worker: ");
        if (wk && g_str_has_prefix(*line, "      ")) {
            g_assert_cmpuint(l->rows->len, >, 0);
            XbDevice *last = l->rows->pdata[l->rows->len - 1];
            char caps[512] = "", seccomp[16] = "";
            if (sscanf(wk, "worker: pid %d uid %ld capabilities %511s seccomp %15s "
                          "no_new_privs %d crashes %u", &last->worker_pid, &last->worker_uid,
                       caps, seccomp, &last->no_new_privs, &last->crashes) != 6)
                g_assert_cmpint(sscanf(wk, "worker: none crashes: %u", &last->crashes), ==, 1);
            last->caps = g_strdup(caps);
            last->seccomp = g_strdup(seccomp);
            continue;
        }
        char **f = g_strsplit_set(*line, " ", -1);
        GPtrArray *words = g_ptr_array_new();
        for (char **w = f; *w; w++) {
            if (**w)
                g_ptr_array_add(words, *w);
        }
        g_assert_cmpuint(words->len, >=, 5);
        XbDevice *d = g_new0(XbDevice, 1);
        d->dom = (unsigned)g_ascii_strtoull(words->pdata[0], NULL, 10);
        d->dev = (unsigned)g_ascii_strtoull(words->pdata[1], NULL, 10);
        d->tag = g_strdup(words->pdata[2]);
        d->state = g_strdup(words->pdata[3]);
        d->rings = (unsigned)g_ascii_strtoull(words->pdata[4], NULL, 10);
        const char *e = strstr(*line, "  error: ");
        d->error = g_strdup(e ? e + strlen("  error: ") : "");
        g_ptr_array_add(l->rows, d);
        g_ptr_array_free(words, TRUE);
        g_strfreev(f);
    }
    g_strfreev(lines);
    if (!totals)
        g_error("xen9p list: no daemon line in:\n%s", out);
    g_assert_cmpuint(l->devices, ==, l->rows->len);
    g_free(out);
    g_free(err);
    return l;
}

const XbDevice *xb_list_find(const XbList *l, unsigned dom, unsigned dev)
{
    for (guint i = 0; i < l->rows->len; i++) {
        const XbDevice *d = l->rows->pdata[i];
        if (d->dom == dom && d->dev == dev)
            return d;
    }
    return NULL;
}

void xb_list_free(XbList *l)
{
    g_ptr_array_free(l->rows, TRUE);
    g_free(l);
}

