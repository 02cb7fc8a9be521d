// SPDX-License-Identifier: GPL-2.0-or-later
/* Security model names and opt-ins (see export_config.h). */
#include "config.h"

#include "backend/common/export_config.h"

#include <string.h>

#include <glib.h>

static const struct { const char *name; enum fsdrv_model model; } models[] = {
    { "none", FSDRV_MODEL_NONE },
    { "passthrough", FSDRV_MODEL_PASSTHROUGH },
    { "mapped-xattr", FSDRV_MODEL_MAPPED_XATTR },
    { "mapped", FSDRV_MODEL_MAPPED_XATTR },      /* QEMU's and xl's older name */
    { "mapped-file", FSDRV_MODEL_MAPPED_FILE },
};

bool export_model_parse(const char *name, enum fsdrv_model *out)
{
    for (size_t i = 0; i < G_N_ELEMENTS(models); i++) {
        if (strcmp(name, models[i].name) == 0) {
            *out = models[i].model;
            return true;
        }
    }
    return false;
}

const char *export_model_name(enum fsdrv_model model)
{
    for (size_t i = 0; i < G_N_ELEMENTS(models); i++) {
        if (models[i].model == model)
            return models[i].name;
    }
    return "?";
}

/* An absolute path's components: is one of them "..", are all empty or "."? */
static void scan_components(const char *path, bool *dotdot, bool *root)
{
    char **parts = g_strsplit(path, "/", -1);
    *dotdot = false;
    *root = true;
    for (char **p = parts; *p; p++) {
        *dotdot |= strcmp(*p, "..") == 0;
        *root &= **p == '\0' || strcmp(*p, ".") == 0;
    }
    g_strfreev(parts);
}

const char *export_path_problem(const char *path)
{
    if (path[0] != '/')
        return "is not absolute";
    bool dotdot, root;
    scan_components(path, &dotdot, &root);
    return dotdot ? "contains \"..\"" : root ? EXPORT_ROOT_PROBLEM : NULL;
}

bool export_path_is_host_root(const char *path)
{
    bool dotdot, root;
    if (path[0] != '/')
        return false;
    scan_components(path, &dotdot, &root);
    return root;
}

char *export_optins_text(const struct fsdrv_config *cfg)
{
    return g_strconcat(cfg->allow_acl ? ", allow-acl" : "",
                       cfg->allow_setid ? ", allow-setid" : "",
                       cfg->allow_devices ? ", allow-devices" : "", NULL);
}
