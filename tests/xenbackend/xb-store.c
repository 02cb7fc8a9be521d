// SPDX-License-Identifier: GPL-2.0-or-later
/* xenstore as dom0 sees it, and a toolstack writing devices as libxl does
 * (docs/xen-transport.md D.1, D.2; see xb-env.h). */
#include "config.h"

#include "tests/xenbackend/xb-env-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

/* ---- xenstore ---- */

static char *read_path(XbEnv *env, const char *path)
{
    unsigned int len;
    char *v = xs_read(env->xs, XBT_NULL, path, &len);
    char *copy = v ? g_strndup(v, len) : NULL;
    free(v);
    return copy;
}

char *xb_read(XbEnv *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *path = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *v = read_path(env, path);
    g_free(path);
    return v;
}

bool xb_exists(XbEnv *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *path = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    char *v = read_path(env, path);
    g_free(path);
    g_free(v);
    return v != NULL;
}

void xb_write(XbEnv *env, const char *path, const char *value)
{
    g_assert_true(xs_write(env->xs, XBT_NULL, path, value, (unsigned)strlen(value)));
}

void xb_rm(XbEnv *env, const char *path)
{
    g_assert_true(xs_rm(env->xs, XBT_NULL, path));
}

static bool state_in(int state, const char *states)
{
    char **list = g_strsplit(states, ",", -1);
    bool found = false;
    for (char **s = list; *s; s++)
        found |= atoi(*s) == state;
    g_strfreev(list);
    return found;
}

int xb_wait_state(XbEnv *env, const char *path, const char *states, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        char *v = read_path(env, path);
        int state = v ? atoi(v) : -1;
        g_free(v);
        if (state_in(state, states) || g_get_monotonic_time() > deadline)
            return state;
        g_usleep(5000);
    }
}

bool xb_wait_gone(XbEnv *env, const char *path, int timeout_ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        char *v = read_path(env, path);
        g_free(v);
        if (!v)
            return true;
        if (g_get_monotonic_time() > deadline)
            return false;
        g_usleep(5000);
    }
}

char *xb_backend_dir(unsigned domid, unsigned devid)
{
    return g_strdup_printf("/local/domain/0/backend/xen_9pfs/%u/%u", domid, devid);
}

char *xb_frontend_dir(unsigned domid, unsigned devid)
{
    return g_strdup_printf("/local/domain/%u/device/9pfs/%u", domid, devid);
}

static bool write_owned(struct xs_handle *xs, xs_transaction_t t, const char *dir,
                        const char *key, const char *value, struct xs_permissions *perms)
{
    char *path = key ? g_strdup_printf("%s/%s", dir, key) : g_strdup(dir);
    bool ok = (key ? xs_write(xs, t, path, value, (unsigned)strlen(value))
                   : xs_mkdir(xs, t, path)) &&
              xs_set_permissions(xs, t, path, perms, 2);
    g_free(path);
    return ok;
}

void xb_toolstack_add(XbEnv *env, unsigned domid, unsigned devid, const char *tag,
                      const char *const *keys)
{
    char *fe = xb_frontend_dir(domid, devid), *be = xb_backend_dir(domid, devid);
    char feid[16];
    snprintf(feid, sizeof(feid), "%u", domid);
    struct xs_permissions fe_perms[2] = { { domid, XS_PERM_NONE }, { 0, XS_PERM_READ } };
    struct xs_permissions be_perms[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
    bool done = false;
    for (int attempt = 0; attempt < 16 && !done; attempt++) {
        xs_transaction_t t = xs_transaction_start(env->xs);
        xs_rm(env->xs, t, fe);
        xs_rm(env->xs, t, be);
        bool ok = write_owned(env->xs, t, fe, NULL, NULL, fe_perms) &&
                  write_owned(env->xs, t, fe, "backend", be, fe_perms) &&
                  write_owned(env->xs, t, fe, "backend-id", "0", fe_perms) &&
                  write_owned(env->xs, t, fe, "state", "1", fe_perms) &&
                  write_owned(env->xs, t, fe, "tag", tag, fe_perms) &&
                  write_owned(env->xs, t, be, NULL, NULL, be_perms) &&
                  write_owned(env->xs, t, be, "frontend", fe, be_perms) &&
                  write_owned(env->xs, t, be, "frontend-id", feid, be_perms) &&
                  write_owned(env->xs, t, be, "online", "1", be_perms) &&
                  write_owned(env->xs, t, be, "state", "1", be_perms);
        for (const char *const *k = keys; ok && k && *k; k++) {
            char **kv = g_strsplit(*k, "=", 2);
            g_assert_nonnull(kv[1]);
            ok = write_owned(env->xs, t, be, kv[0], kv[1], be_perms);
            g_strfreev(kv);
        }
        g_assert_true(ok);
        done = xs_transaction_end(env->xs, t, false);
        g_assert_true(done || errno == EAGAIN);
    }
    g_assert_true(done);
    g_free(fe);
    g_free(be);
}

int xb_toolstack_remove(XbEnv *env, unsigned domid, unsigned devid, int timeout_ms)
{
    char *fe = xb_frontend_dir(domid, devid), *be = xb_backend_dir(domid, devid);
    char *online = g_strdup_printf("%s/online", be), *state = g_strdup_printf("%s/state", be);
    bool done = false;
    for (int attempt = 0; attempt < 16 && !done; attempt++) {
        xs_transaction_t t = xs_transaction_start(env->xs);
        unsigned int len;
        char *cur = xs_read(env->xs, t, state, &len);
        xs_write(env->xs, t, online, "0", 1);
        if (!cur || strcmp(cur, "6") != 0)
            xs_write(env->xs, t, state, "5", 1);
        free(cur);
        done = xs_transaction_end(env->xs, t, false);
    }
    g_assert_true(done);
    int reached = xb_wait_state(env, state, "6", timeout_ms);
    xs_rm(env->xs, XBT_NULL, fe);
    xs_rm(env->xs, XBT_NULL, be);
    g_free(online);
    g_free(state);
    g_free(fe);
    g_free(be);
    return reached;
}

