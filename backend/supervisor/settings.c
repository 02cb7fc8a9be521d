// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's settings and its configuration file (see settings.h). */
#include "config.h"

#include "backend/supervisor/settings.h"
#include "backend/common/export_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define GROUP "xen9pd"

static const char *const known_keys[] = {
    "verbose", "trace", "worker-memory", "worker-core-dumps", "export-roots", NULL,
};

static bool read_bool(GKeyFile *kf, const char *path, const char *key, bool *out, GError **error)
{
    if (!g_key_file_has_key(kf, GROUP, key, NULL))
        return true;
    GError *e = NULL;
    gboolean v = g_key_file_get_boolean(kf, GROUP, key, &e);
    if (e) {
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                    "%s: %s: not true or false", path, key);
        g_error_free(e);
        return false;
    }
    *out = v;
    return true;
}

/* An absolute directory name with no "..": what a share's path may be, "/" too. */
static bool root_acceptable(const char *root)
{
    return !export_path_problem(root) || export_path_is_host_root(root);
}

bool settings_load(const char *path, bool must_exist, struct settings *out, GError **error)
{
    memset(out, 0, sizeof(*out));
    out->worker_memory_mib = -1;
    GKeyFile *kf = g_key_file_new();
    GError *e = NULL;
    bool ok = false;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
        if (!must_exist && g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_error_free(e);
            g_key_file_free(kf);
            return true;
        }
        g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_PARSE, "%s: %s", path, e->message);
        g_error_free(e);
        goto out;
    }
    /* A typo must not pass for a setting that silently does nothing. */
    gsize ngroups;
    char **groups = g_key_file_get_groups(kf, &ngroups);
    for (gsize i = 0; i < ngroups; i++) {
        if (strcmp(groups[i], GROUP) != 0) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND,
                        "%s: unknown section [%s] (only [" GROUP "])", path, groups[i]);
            g_strfreev(groups);
            goto out;
        }
    }
    g_strfreev(groups);
    char **keys = g_key_file_get_keys(kf, GROUP, NULL, NULL);
    for (char **k = keys; k && *k; k++) {
        if (!g_strv_contains(known_keys, *k)) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND,
                        "%s: unknown key \"%s\"", path, *k);
            g_strfreev(keys);
            goto out;
        }
    }
    g_strfreev(keys);
    if (!read_bool(kf, path, "verbose", &out->verbose, error) ||
        !read_bool(kf, path, "trace", &out->trace, error) ||
        !read_bool(kf, path, "worker-core-dumps", &out->worker_core_dumps, error))
        goto out;
    if (g_key_file_has_key(kf, GROUP, "worker-memory", NULL)) {
        char *v = g_key_file_get_value(kf, GROUP, "worker-memory", NULL);
        guint64 mib;
        bool number = v && g_ascii_string_to_unsigned(g_strstrip(v), 10, 0, 1 << 20, &mib, NULL);
        g_free(v);
        if (!number) {
            g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                        "%s: worker-memory: not a number of MiB (0 to 1048576)", path);
            goto out;
        }
        out->worker_memory_mib = (int)mib;
    }
    if (g_key_file_has_key(kf, GROUP, "export-roots", NULL)) {
        char **roots = g_key_file_get_string_list(kf, GROUP, "export-roots", NULL, NULL);
        GPtrArray *kept = g_ptr_array_new();
        for (char **r = roots; r && *r; r++) {
            g_strstrip(*r);
            if (!**r)
                continue;
            if (!root_acceptable(*r)) {
                g_set_error(error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                            "%s: export-roots: \"%s\" is not an absolute directory name "
                            "without \"..\"", path, *r);
                g_ptr_array_free(kept, TRUE);
                g_strfreev(roots);
                goto out;
            }
            g_ptr_array_add(kept, g_canonicalize_filename(*r, "/"));
        }
        g_strfreev(roots);
        g_ptr_array_add(kept, NULL);
        out->export_roots = (char **)g_ptr_array_free(kept, FALSE);
    }
    ok = true;
out:
    g_key_file_free(kf);
    if (!ok)
        settings_clear(out);
    return ok;
}

void settings_merge(const struct settings *cmdline, const struct settings *file,
                    struct settings *out)
{
    out->verbose = cmdline->verbose || file->verbose;
    out->trace = cmdline->trace || file->trace;
    out->worker_core_dumps = cmdline->worker_core_dumps || file->worker_core_dumps;
    out->worker_memory_mib = cmdline->worker_memory_mib >= 0 ? cmdline->worker_memory_mib
                             : file->worker_memory_mib >= 0 ? file->worker_memory_mib
                                                            : SETTINGS_DEFAULT_WORKER_MEMORY_MIB;
    out->export_roots = g_strdupv(file->export_roots);
}

void settings_clear(struct settings *s)
{
    g_strfreev(s->export_roots);
    s->export_roots = NULL;
}

/* `path` is `root` or lies below it (both canonical). */
static bool under(const char *path, const char *root)
{
    size_t n = strlen(root);
    return strcmp(root, "/") == 0 ||
           (strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

static bool under_any(char **roots, const char *path, bool resolve)
{
    for (char **r = roots; *r; r++) {
        char *real = resolve ? realpath(*r, NULL) : NULL;
        bool in = under(path, real ? real : *r);
        free(real);
        if (in)
            return true;
    }
    return false;
}

bool settings_export_allowed(const struct settings *s, const char *path)
{
    if (!s->export_roots)
        return true;
    char *lexical = g_canonicalize_filename(path, "/");
    bool ok = under_any(s->export_roots, lexical, false);
    g_free(lexical);
    /* A symbolic link under a root may lead out of it. */
    char *real = ok ? realpath(path, NULL) : NULL;
    if (real)
        ok = under_any(s->export_roots, real, true);
    free(real);
    return ok;
}

char *settings_describe(const struct settings *s)
{
    char *roots = s->export_roots ? g_strjoinv(";", s->export_roots) : g_strdup("*");
    char *text = g_strdup_printf("verbose=%s trace=%s worker-memory=%d worker-core-dumps=%s "
                                 "export-roots=%s", s->verbose ? "yes" : "no",
                                 s->trace ? "yes" : "no", s->worker_memory_mib,
                                 s->worker_core_dumps ? "yes" : "no", roots);
    g_free(roots);
    return text;
}

void settings_to_workers(const struct settings *s, struct worker_options *workers)
{
    workers->verbose = s->verbose;
    workers->trace = s->trace;
    workers->memory_mib = (unsigned)s->worker_memory_mib;
    workers->core_dumps = s->worker_core_dumps;
}
