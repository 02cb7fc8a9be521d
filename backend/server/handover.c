// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A session carried to another process (a worker upgrade, docs/operations.md
 * "Upgrading workers"): its negotiated version and msize, and every fid with
 * its node (path and handle), its open file (descriptor and state) and its
 * xattr buffer.  The fields are named (a{sv}), so a newer worker can read an
 * older one's state: P9_SESSION_STATE_VERSION changes only when a field's
 * meaning does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "backend/server/session.h"

bool p9_session_idle(struct p9_session *s)
{
    pthread_mutex_lock(&s->lock);
    bool idle = s->all == NULL;
    pthread_mutex_unlock(&s->lock);
    return idle;
}

void p9_session_save_header(struct p9_session *s, GVariantDict *out)
{
    pthread_mutex_lock(&s->lock);
    g_variant_dict_insert(out, "state-version", "u", (uint32_t)P9_SESSION_STATE_VERSION);
    g_variant_dict_insert(out, "dialect", "u", (uint32_t)s->dialect);
    g_variant_dict_insert(out, "msize", "u", s->msize);
    g_variant_dict_insert(out, "fids", "u", atomic_load(&s->fids.count));
    pthread_mutex_unlock(&s->lock);
}

bool p9_session_restore_header(struct p9_session *s, GVariantDict *in, uint32_t *nfids,
                               char **why)
{
    uint32_t version, dialect, msize;
    if (!g_variant_dict_lookup(in, "state-version", "u", &version) ||
        !g_variant_dict_lookup(in, "dialect", "u", &dialect) ||
        !g_variant_dict_lookup(in, "msize", "u", &msize) ||
        !g_variant_dict_lookup(in, "fids", "u", nfids)) {
        *why = g_strdup("the session's state lacks its version, dialect, msize or fid count");
        return false;
    }
    if (version > P9_SESSION_STATE_VERSION) {
        *why = g_strdup_printf("session state version %u is newer than this worker's (%u)",
                               version, P9_SESSION_STATE_VERSION);
        return false;
    }
    if ((dialect != P9_DIALECT_NONE && dialect != P9_2000 && dialect != P9_2000_U &&
         dialect != P9_2000_L) || msize < P9_MIN_MSIZE || msize > s->cfg.max_msize ||
        *nfids > s->cfg.max_fids) {
        *why = g_strdup_printf("session state out of range (dialect %u, msize %u, %u fids)",
                               dialect, msize, *nfids);
        return false;
    }
    pthread_mutex_lock(&s->lock);
    s->dialect = dialect;
    s->msize = msize;
    pthread_mutex_unlock(&s->lock);
    return true;
}

/* One fid's fields and descriptors (dup'ed); false if it cannot travel. */
static bool save_fid(struct p9_fid *fid, p9_fid_saver save, void *ctx)
{
    GVariantDict d;
    int fds[2];
    unsigned nfds = 0;
    bool ok = true;
    g_variant_dict_init(&d, NULL);
    pthread_mutex_lock(&fid->lock);
    g_variant_dict_insert(&d, "num", "u", fid->num);
    g_variant_dict_insert(&d, "uid", "u", (uint32_t)fid->uid);
    g_variant_dict_insert(&d, "kind", "u", (uint32_t)fid->kind);
    g_variant_dict_insert(&d, "orclose", "b", (gboolean)fid->remove_on_clunk);
    g_variant_dict_insert(&d, "iounit", "u", fid->iounit);
    g_variant_dict_insert(&d, "dir-offset", "t", (guint64)fid->dir_byte_offset);
    g_variant_dict_insert(&d, "dir-cookie", "t", (guint64)fid->dir_cookie);
    char *path = fsdrv_node_path(fid->node);
    if (path)
        g_variant_dict_insert(&d, "path", "s", path);
    g_free(path);
    int handle = fsdrv_node_dup_handle(fid->node);
    if (handle >= 0) {
        g_variant_dict_insert(&d, "handle", "u", nfds);
        fds[nfds++] = handle;
    }
    if (fid->file) {
        struct fsdrv_file_state st;
        fsdrv_file_save(fid->file, &st);
        int fd = fcntl(st.fd, F_DUPFD_CLOEXEC, 0);
        ok = fd >= 0;
        if (ok) {
            g_variant_dict_insert(&d, "file", "u", nfds);
            fds[nfds++] = fd;
            g_variant_dict_insert(&d, "flags", "i", st.flags);
            g_variant_dict_insert(&d, "stash", "i", st.fifo_stash);
            g_variant_dict_insert(&d, "stream", "b", (gboolean)st.stream);
        }
    }
    if (fid->kind != FID_FILE) {
        g_variant_dict_insert(&d, "xattr-name", "s", fid->xattr_name ? fid->xattr_name : "");
        g_variant_dict_insert_value(&d, "xattr", g_variant_new_fixed_array(
                                        G_VARIANT_TYPE_BYTE, fid->xattr_buf ? fid->xattr_buf : (uint8_t *)"",
                                        fid->xattr_buf ? fid->xattr_size : 0, 1));
        g_variant_dict_insert(&d, "xattr-filled", "t", (guint64)fid->xattr_filled);
        g_variant_dict_insert(&d, "xattr-flags", "i", fid->xattr_flags);
    }
    pthread_mutex_unlock(&fid->lock);
    ok = ok && save(ctx, &d, fds, nfds);
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);
    g_variant_dict_clear(&d);
    return ok;
}

bool p9_session_save_fids(struct p9_session *s, p9_fid_saver save, void *ctx)
{
    bool ok = true;
    for (unsigned i = 0; i < P9_FID_SHARDS && ok; i++) {
        /* A snapshot: the session is idle, nothing changes the table meanwhile. */
        pthread_mutex_lock(&s->fids.shard[i].lock);
        GList *fids = g_hash_table_get_values(s->fids.shard[i].fids);
        for (GList *l = fids; l; l = l->next)
            p9_fid_ref(l->data);
        pthread_mutex_unlock(&s->fids.shard[i].lock);
        for (GList *l = fids; l; l = l->next) {
            ok = ok && save_fid(l->data, save, ctx);
            p9_fid_unref(l->data);
        }
        g_list_free(fids);
    }
    return ok;
}

/* Descriptor number `key` of the message (taken: -1 left in its place), or -1. */
static int take_fd(GVariantDict *in, const char *key, int *fds, unsigned nfds)
{
    uint32_t i;
    if (!g_variant_dict_lookup(in, key, "u", &i) || i >= nfds)
        return -1;
    int fd = fds[i];
    fds[i] = -1;
    return fd;
}

static int restore_xattr(struct p9_fid *fid, GVariantDict *in)
{
    const char *name = NULL;
    GVariant *value = g_variant_dict_lookup_value(in, "xattr", G_VARIANT_TYPE_BYTESTRING);
    guint64 filled = 0;
    gint32 flags = 0;
    if (!value || !g_variant_dict_lookup(in, "xattr-name", "&s", &name) ||
        !g_variant_dict_lookup(in, "xattr-filled", "t", &filled) ||
        !g_variant_dict_lookup(in, "xattr-flags", "i", &flags)) {
        if (value)
            g_variant_unref(value);
        return -EINVAL;
    }
    gsize size;
    const uint8_t *bytes = g_variant_get_fixed_array(value, &size, 1);
    int err = filled > size ? -EINVAL : 0;
    if (!err) {
        fid->xattr_name = *name ? g_strdup(name) : NULL;
        fid->xattr_buf = g_malloc0(size ? size : 1);
        memcpy(fid->xattr_buf, bytes, size);
        fid->xattr_size = size;
        fid->xattr_filled = filled;
        fid->xattr_flags = flags;
    }
    g_variant_unref(value);
    return err;
}

bool p9_session_restore_fid(struct p9_session *s, GVariantDict *in, int *fds, unsigned nfds,
                            char **why)
{
    uint32_t num, uid, kind, iounit;
    gboolean orclose;
    guint64 dir_offset, dir_cookie;
    const char *path = NULL;
    if (!g_variant_dict_lookup(in, "num", "u", &num) ||
        !g_variant_dict_lookup(in, "uid", "u", &uid) ||
        !g_variant_dict_lookup(in, "kind", "u", &kind) || kind > FID_XATTR_WRITE ||
        !g_variant_dict_lookup(in, "orclose", "b", &orclose) ||
        !g_variant_dict_lookup(in, "iounit", "u", &iounit) ||
        !g_variant_dict_lookup(in, "dir-offset", "t", &dir_offset) ||
        !g_variant_dict_lookup(in, "dir-cookie", "t", &dir_cookie)) {
        *why = g_strdup("a fid's state is incomplete");
        return false;
    }
    g_variant_dict_lookup(in, "path", "&s", &path);
    struct fsdrv_export *exp = s->cfg.export;
    struct fsdrv_file *file = NULL;
    int err = 0, file_fd = take_fd(in, "file", fds, nfds);
    if (file_fd >= 0) {
        struct fsdrv_file_state st = { .fd = file_fd, .fifo_stash = -1 };
        gboolean stream = FALSE;
        g_variant_dict_lookup(in, "flags", "i", &st.flags);
        g_variant_dict_lookup(in, "stash", "i", &st.fifo_stash);
        g_variant_dict_lookup(in, "stream", "b", &stream);
        st.stream = stream;
        err = fsdrv_file_restore(exp, &st, &file);
    }
    struct fsdrv_node *node = NULL;
    if (!err)
        err = fsdrv_node_restore(exp, path, take_fd(in, "handle", fds, nfds), file, &node);
    if (err) {
        *why = g_strdup_printf("fid %u: %s: %s", num, path ? path : "(a file whose name is gone)",
                               g_strerror(-err));
        fsdrv_close(file);
        return false;
    }
    struct p9_fid *fid = p9_fid_new(num, uid, node);
    fid->kind = kind;
    fid->remove_on_clunk = orclose;
    fid->iounit = iounit;
    fid->dir_byte_offset = dir_offset;
    fid->dir_cookie = dir_cookie;
    fid->file = file;
    if (file)
        atomic_store(&fid->local_file, fsdrv_file_is_local(file));
    if (!err && kind != FID_FILE)
        err = restore_xattr(fid, in);
    if (!err)
        err = p9_fid_charge(s, fid, sizeof(*fid) + fid->xattr_size);
    if (!err)
        err = p9_session_put_fid(s, fid);
    p9_fid_unref(fid);
    if (err)
        *why = g_strdup_printf("fid %u: %s", num, err == -EBADF ? "twice in the state"
                                                                : g_strerror(-err));
    return !err;
}
