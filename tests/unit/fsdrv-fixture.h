/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test fixture for fsdrv: a fresh export directory under /tmp per test,
 * a canary directory beside it (outside the export) that must stay
 * untouched, and the four variants every operation runs under (two
 * security models x openat2 / per-component walk).
 */
#ifndef XEN9P_TESTS_FSDRV_FIXTURE_H
#define XEN9P_TESTS_FSDRV_FIXTURE_H

#include <glib.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "fsdrv/fsdrv.h"

struct fsdrv_variant {
    const char *name;
    enum fsdrv_model model;
    bool no_openat2;
};

struct fx {
    const struct fsdrv_variant *v;
    char *top;                  /* /tmp/fsdrv-test-XXXXXX */
    char *root;                 /* top/export: the export */
    char *canary;               /* top/canary: outside, must stay untouched */
    int rootfd;                 /* the test's own fd of the export, for host checks */
    struct fsdrv_config cfg;
    struct fsdrv_export *exp;
    struct fsdrv_node *rootnode;
    GPtrArray *mounts;          /* host paths mounted by the test */
    GHashTable *canary_snap;
    int inotify_fd;             /* watches on the canary */
};

/* Like g_assert_cmpuint, printing modes in octal. */
#define fx_assert_mode(a, op, b)                                               \
    do {                                                                       \
        unsigned fx_a_ = (a), fx_b_ = (b);                                     \
        if (!(fx_a_ op fx_b_))                                                 \
            g_error("%s:%d: %s: 0%o %s 0%o failed", __FILE__, __LINE__, #a,    \
                    fx_a_, #op, fx_b_);                                        \
    } while (0)

/* A node's path from the root (fsdrv_node_path), NULL once unnamed. */
#define fx_assert_path(node, want)                                             \
    do {                                                                       \
        g_autofree char *fx_p_ = fsdrv_node_path(node);                        \
        g_assert_cmpstr(fx_p_, ==, (want));                                    \
    } while (0)

typedef void (*fx_test_fn)(struct fx *fx, gconstpointer variant);

/* Registers `fn` as /fsdrv/<variant>/<name> for every variant. */
void fx_add(const char *name, fx_test_fn fn);
/* Registers `fn` as /fsdrv/<variant>/<name> for the mapped models (both walks). */
void fx_add_mapped(const char *name, fx_test_fn fn);
/* Registers `fn` once, as /fsdrv/<name> with the passthrough/openat2 variant. */
void fx_add_once(const char *name, fx_test_fn fn);

/* Closes the export and opens it again with fx->cfg (after a test changed it),
 * and waits for the quota's count. */
void fx_reopen(struct fx *fx);

bool fx_is_root(void);
char *fx_path(struct fx *fx, const char *rel);
void fx_write(struct fx *fx, const char *rel, const void *data, size_t len);
void fx_mkdir(struct fx *fx, const char *rel);
void fx_symlink(struct fx *fx, const char *target, const char *rel);
/* lstat beneath the export: 0 or -errno. */
int fx_lstat(struct fx *fx, const char *rel, struct stat *st);
bool fx_exists(struct fx *fx, const char *rel);
/*
 * Asserts the host owner of what `cred` made or was given (as root only):
 * the requester's under passthrough, the daemon's under none.
 */
void fx_assert_owner(struct fx *fx, const char *rel, const struct fsdrv_cred *cred);
/* Waits until the quota's first count is done (fsdrv_export_usage). */
void fx_wait_count(struct fx *fx);
/* Sets a file's mtime (and atime) to `sec` seconds. */
void fx_set_mtime(struct fx *fx, const char *rel, time_t sec);

/* Walks `rel` ("" = root, "a/b") component by component, asserting success. */
struct fsdrv_node *fx_walk(struct fx *fx, const char *rel, struct stat *st);
/* The same, returning -errno of the failing step (node left NULL). */
int fx_walk_err(struct fx *fx, const char *rel, struct fsdrv_node **out);

/* Whether a listxattr list of `len` bytes holds `name`. */
bool fx_list_has(const char *list, ssize_t len, const char *name);

/* A name of exactly `len` characters. */
char *fx_long_name(size_t len);

/* Asserts the canary tree is byte-for-byte and inode-for-inode unchanged. */
void fx_check_canary(struct fx *fx);

#endif
