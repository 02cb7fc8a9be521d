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

/* The opt-ins set in `cfg` as the keys name them, each after ", " ("" if none); g_free. */
char *export_optins_text(const struct fsdrv_config *cfg);

#endif
