// SPDX-License-Identifier: GPL-2.0-or-later
/* Export lifetime and counters. */
#include "config.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "fsdrv/internal.h"
#include "fsdrv/quota.h"

/*
 * Half the descriptors the process may have beyond the export's open files
 * (a confined worker's limit leaves it SANDBOX_FD_OVERHEAD of them), within
 * [8, FSDRV_MAX_HANDLES].
 */
static unsigned default_handles(const struct fsdrv_config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
        return FSDRV_MAX_HANDLES;
    uint64_t spare = rl.rlim_cur > cfg->max_open_files ? rl.rlim_cur - cfg->max_open_files : 0;
    if (!cfg->max_open_files)
        spare = rl.rlim_cur / 2;
    return (unsigned)CLAMP(spare / 2, 8, FSDRV_MAX_HANDLES);
}

int fsdrv_export_open(const char *dir, const struct fsdrv_config *cfg,
                      struct fsdrv_export **out)
{
    if (!dir || dir[0] != '/' || !cfg || !out)
        return -EINVAL;
    const struct fsdrv_model_ops *model = fsdrv_model_lookup(cfg->model);
    if (!model)
        return -EINVAL;

    /* The administrator's path may contain symlinks; the client's never do. */
    int fd = FSDRV_NOINTR(open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (fd < 0)
        return -errno;
    struct stat st;
    if (FSDRV_NOINTR(fstat(fd, &st)) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }

    /* Files are reopened through /proc/self/fd: without /proc nothing works. */
    char proc[FSDRV_PROC_PATH_MAX];
    fsdrv_proc_path(proc, fd, NULL);
    int probe = FSDRV_NOINTR(open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (probe < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    close(probe);

    struct fsdrv_export *exp = g_new0(struct fsdrv_export, 1);
    exp->root_fd = fd;
    exp->root_dev = st.st_dev;
    exp->root_ino = st.st_ino;
    exp->cfg = *cfg;
    exp->model = model;
    exp->root = fsdrv_node_new_root(fd);
    exp->store = fsdrv_store_new(cfg->max_handles ? cfg->max_handles : default_handles(cfg),
                                 cfg->max_node_bytes ? cfg->max_node_bytes
                                                     : FSDRV_MAX_NODE_BYTES);
    atomic_init(&exp->open_files, 0);
    fsdrv_ids_init(&exp->ids, st.st_dev);
    exp->local = fsdrv_fd_fs_kind(fd) != FSDRV_FS_REMOTE;
    fsdrv_resolve_init(exp);
    fsdrv_quota_init(exp);
    *out = exp;
    return 0;
}

void fsdrv_export_close(struct fsdrv_export *exp)
{
    if (!exp)
        return;
    fsdrv_quota_fini(exp);
    fsdrv_ids_fini(&exp->ids);
    fsdrv_node_unref(exp->root);
    fsdrv_store_release(exp->store);
    close(exp->root_fd);
    g_free(exp);
}

const struct fsdrv_config *fsdrv_export_config(const struct fsdrv_export *exp)
{
    return &exp->cfg;
}

bool fsdrv_export_uses_openat2(const struct fsdrv_export *exp)
{
    return exp->use_openat2;
}

void fsdrv_export_usage(struct fsdrv_export *exp, struct fsdrv_usage *out)
{
    out->open_files = atomic_load_explicit(&exp->open_files, memory_order_relaxed);
    out->handles = fsdrv_store_handles(exp->store);
    out->node_bytes = fsdrv_store_bytes(exp->store);
    fsdrv_quota_usage(exp, &out->files, &out->space, &out->counting);
}
