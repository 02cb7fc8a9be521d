/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Names the administrator writes (options, xenstore keys) for an export's settings. */
#ifndef XEN9P_EXPORT_CONFIG_H
#define XEN9P_EXPORT_CONFIG_H

#include <stdbool.h>

#include "fsdrv/fsdrv.h"

/*
 * "none", "passthrough", "mapped-xattr" (alias "mapped"), "mapped-file", as
 * QEMU and libxl spell them; export_model_name gives "mapped-xattr".
 */
bool export_model_parse(const char *name, enum fsdrv_model *out);
/* For messages that list them. */
#define EXPORT_MODEL_NAMES "none, passthrough, mapped-xattr (or mapped), mapped-file"
const char *export_model_name(enum fsdrv_model model);

/*
 * Why `path` cannot be a device's export (xl's `path` key, xen9p attach), as
 * words that follow `path "P" ` in a message, or NULL: it is not absolute, it
 * has a ".." component, or it is dom0's root however spelt ("/", "//", "/./"),
 * which would hand a guest the whole file system (an administrator who means
 * it bind-mounts / on a directory and exports that).
 */
const char *export_path_problem(const char *path);
/* Only the last of those: xen9pd --listen --export also takes relative paths. */
bool export_path_is_host_root(const char *path);
#define EXPORT_ROOT_PROBLEM "would give the guest dom0's whole file system " \
    "(bind-mount what you mean to share on a directory and export that)"

/* The opt-ins set in `cfg` as the keys name them, each after ", " ("" if none); g_free. */
char *export_optins_text(const struct fsdrv_config *cfg);

#endif
