// SPDX-License-Identifier: GPL-2.0-or-later
/* libxenstore conveniences (see xen_store.h). */
#include "config.h"

#include "backend/common/xen_store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

char *xstore_read(struct xs_handle *xs, const char *path)
{
    unsigned int len;
    char *v = xs_read(xs, XBT_NULL, path, &len);
    if (!v)
        return NULL;
    char *copy = g_strndup(v, len);
    free(v);
    return copy;
}

bool xstore_read_uint(struct xs_handle *xs, const char *path, unsigned long max,
                      unsigned long *out)
{
    char *v = xstore_read(xs, path);
    if (!v)
        return false;
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    bool ok = *v >= '0' && *v <= '9' && *end == '\0' && errno == 0 && n <= max;
    g_free(v);
    if (ok)
        *out = n;
    return ok;
}

/* libxl's permissions for a device node: the owner, and one reader. */
static bool set_owned(struct xs_handle *xs, xs_transaction_t t, const char *path,
                      unsigned owner, unsigned reader)
{
    struct xs_permissions perms[2] = {
        { .id = owner, .perms = XS_PERM_NONE },
        { .id = reader, .perms = XS_PERM_READ },
    };
    return xs_set_permissions(xs, t, path, perms, owner == reader ? 1 : 2);
}

bool xstore_write_owned(struct xs_handle *xs, xs_transaction_t t, const char *path,
                        const char *value, unsigned owner, unsigned reader)
{
    return xs_write(xs, t, path, value, strlen(value)) && set_owned(xs, t, path, owner, reader);
}

bool xstore_write_child(struct xs_handle *xs, xs_transaction_t t, const char *dir,
                        const char *key, const char *value, unsigned owner, unsigned reader)
{
    char *path = g_strdup_printf("%s/%s", dir, key);
    bool ok = xstore_write_owned(xs, t, path, value, owner, reader);
    g_free(path);
    return ok;
}

bool xstore_mkdir_owned(struct xs_handle *xs, xs_transaction_t t, const char *path,
                        unsigned owner, unsigned reader)
{
    return xs_mkdir(xs, t, path) && set_owned(xs, t, path, owner, reader);
}

void xstore_rm_tidy(struct xs_handle *xs, xs_transaction_t t, const char *path)
{
    xs_rm(xs, t, path);
    char *parent = g_path_get_dirname(path);
    unsigned int n;
    char **left = xs_directory(xs, t, parent, &n);
    if (left && n == 0)
        xs_rm(xs, t, parent);
    free(left);
    g_free(parent);
}

unsigned long xstore_next_index(struct xs_handle *xs, const char *dir_a, const char *dir_b)
{
    unsigned long next = 0;
    const char *dirs[] = { dir_a, dir_b };
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++) {
        char **children = xstore_directory(xs, dirs[i]);
        for (char **c = children; c && *c; c++) {
            char *end;
            unsigned long n = strtoul(*c, &end, 10);
            if (!*end && n >= next)
                next = n + 1;
        }
        g_strfreev(children);
    }
    return next;
}

char **xstore_directory(struct xs_handle *xs, const char *path)
{
    unsigned int n;
    char **list = xs_directory(xs, XBT_NULL, path, &n);
    if (!list)
        return NULL;
    char **copy = g_new0(char *, n + 1);
    for (unsigned i = 0; i < n; i++)
        copy[i] = g_strdup(list[i]);
    free(list);
    return copy;
}

bool xstore_transact(struct xs_handle *xs, xstore_body body, void *ctx)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        xs_transaction_t t = xs_transaction_start(xs);
        if (t == XBT_NULL)
            return false;
        if (!body(xs, t, ctx)) {
            int saved = errno;
            xs_transaction_end(xs, t, true);
            errno = saved;
            return false;
        }
        if (xs_transaction_end(xs, t, false))
            return true;
        if (errno != EAGAIN)
            return false;
    }
    errno = EAGAIN;
    return false;
}

bool xstore_begin_close(struct xs_handle *xs, xs_transaction_t t, const char *bedir)
{
    char *online = g_strdup_printf("%s/online", bedir), *state = g_strdup_printf("%s/state", bedir);
    unsigned int len;
    char *cur = xs_read(xs, t, state, &len);
    bool closed = cur && len == 1 && cur[0] == '6';
    bool ok = xs_write(xs, t, online, "0", 1) && (closed || xs_write(xs, t, state, "5", 1));
    free(cur);
    g_free(online);
    g_free(state);
    return ok;
}

static bool begin_close_body(struct xs_handle *xs, xs_transaction_t t, void *bedir)
{
    return xstore_begin_close(xs, t, bedir);
}

bool xstore_close_device(struct xs_handle *xs, const char *bedir)
{
    return xstore_transact(xs, begin_close_body, (void *)bedir);
}
