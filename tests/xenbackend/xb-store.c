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

#include "backend/common/xen_store.h"

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

struct toolstack_job {
    const char *fe, *be, *feid, *tag;
    const char *const *keys;
    struct xs_permissions *fe_perms, *be_perms;
};

/* The nodes libxl writes for a new device, any old ones of that id gone. */
static bool toolstack_add(struct xs_handle *xs, xs_transaction_t t, void *ctx)
{
    const struct toolstack_job *j = ctx;
    xs_rm(xs, t, j->fe);
    xs_rm(xs, t, j->be);
    bool ok = write_owned(xs, t, j->fe, NULL, NULL, j->fe_perms) &&
              write_owned(xs, t, j->fe, "backend", j->be, j->fe_perms) &&
              write_owned(xs, t, j->fe, "backend-id", "0", j->fe_perms) &&
              write_owned(xs, t, j->fe, "state", "1", j->fe_perms) &&
              write_owned(xs, t, j->fe, "tag", j->tag, j->fe_perms) &&
              write_owned(xs, t, j->be, NULL, NULL, j->be_perms) &&
              write_owned(xs, t, j->be, "frontend", j->fe, j->be_perms) &&
              write_owned(xs, t, j->be, "frontend-id", j->feid, j->be_perms) &&
              write_owned(xs, t, j->be, "online", "1", j->be_perms) &&
              write_owned(xs, t, j->be, "state", "1", j->be_perms);
    for (const char *const *k = j->keys; ok && k && *k; k++) {
        char **kv = g_strsplit(*k, "=", 2);
        g_assert_nonnull(kv[1]);
        ok = write_owned(xs, t, j->be, kv[0], kv[1], j->be_perms);
        g_strfreev(kv);
    }
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
    struct toolstack_job j = { fe, be, feid, tag, keys, fe_perms, be_perms };
    g_assert_true(xstore_transact(env->xs, toolstack_add, &j));
    g_free(fe);
    g_free(be);
}

int xb_toolstack_remove(XbEnv *env, unsigned domid, unsigned devid, int timeout_ms)
{
    char *fe = xb_frontend_dir(domid, devid), *be = xb_backend_dir(domid, devid);
    char *state = g_strdup_printf("%s/state", be);
    g_assert_true(xstore_close_device(env->xs, be));
    int reached = xb_wait_state(env, state, "6", timeout_ms);
    xs_rm(env->xs, XBT_NULL, fe);
    xs_rm(env->xs, XBT_NULL, be);
    g_free(state);
    g_free(fe);
    g_free(be);
    return reached;
}

