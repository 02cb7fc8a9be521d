// SPDX-License-Identifier: GPL-2.0-or-later
/* A worker's confinement (see sandbox.h and docs/security.md "Barriers"). */
#include "config.h"

#include "backend/worker/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/prctl.h>
#include <linux/securebits.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <xen/xen.h>
#include <xen/evtchn.h>
#include <xentoolcore.h>

#include <glib.h>

/* The new root is built on a tmpfs mounted here, in our own mount namespace. */
#define STAGING "/tmp"

static int fail(char **why, int err, const char *what)
{
    *why = g_strdup_printf("%s: %s", what, g_strerror(err));
    return -err;
}

#define CHECK(call, what)                                                                       \
    do {                                                                                        \
        if ((call) < 0)                                                                         \
            return fail(why, errno, what);                                                      \
    } while (0)

/* ---- the root: nothing of the host but the export ---------------------------- */

static int enter_root(int export_fd, char **why)
{
    /* Our own mount, network, IPC and host-name namespaces even when the
     * spawner gave us none (a test program): fresh ones are as good. */
    CHECK(unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS), "unshare");
    CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), "making mounts private");
    CHECK(mount("tmpfs", STAGING, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "mode=0755,size=64k"), "mounting the new root");
    CHECK(mkdir(STAGING SANDBOX_EXPORT_PATH, 0755), "making the export's mount point");
    CHECK(mkdir(STAGING "/proc", 0555), "making /proc");
    CHECK(mkdir(STAGING "/old", 0700), "making the old root's mount point");
    /* The export comes as a detached copy of its mount tree (open_tree: a
     * mount of another namespace cannot be bound here), submounts included.
     * A slave: mounts the administrator adds later below a shared export
     * reach the worker, nothing the worker does reaches the host. */
    CHECK(move_mount(export_fd, "", AT_FDCWD, STAGING SANDBOX_EXPORT_PATH,
                     MOVE_MOUNT_F_EMPTY_PATH), "attaching the export");
    CHECK(mount(NULL, STAGING SANDBOX_EXPORT_PATH, NULL, MS_REC | MS_SLAVE, NULL),
          "making the export a slave mount");
    /* The proc of our own pid namespace: fsdrv reopens files through /proc/self/fd. */
    CHECK(mount("proc", STAGING "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL),
          "mounting /proc");
    CHECK(chdir(STAGING), "chdir");
    if (syscall(SYS_pivot_root, ".", "old") == 0) {
        CHECK(chdir("/"), "chdir /");
        CHECK(umount2("/old", MNT_DETACH), "unmounting the host's root");
        CHECK(rmdir("/old"), "removing the old root's mount point");
    } else if (errno == EINVAL) {
        /* The host runs from its initramfs (rootfs cannot be pivoted away, as in
         * the lab's dom0): the new root moves over it instead, and the old one
         * stays beneath, reachable by no path, no descriptor and no capability. */
        CHECK(rmdir("old"), "removing the old root's mount point");
        CHECK(mount(".", "/", NULL, MS_MOVE, NULL), "moving the new root");
        CHECK(chroot("."), "chroot");
        CHECK(chdir("/"), "chdir /");
    } else {
        return fail(why, errno, "pivot_root");
    }
    CHECK(mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV |
                                     MS_NOEXEC, NULL), "making the new root read-only");
    return 0;
}

int export_tree_of(const char *dir)
{
    return open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
}

/* ---- Landlock: a second wall around the export ----------------------------- */

static int landlock_allow(int ruleset, const char *path, uint64_t access)
{
    struct landlock_path_beneath_attr rule = { .allowed_access = access };
    rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
    if (rule.parent_fd < 0)
        return -1;
    int rc = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
    int saved = errno;
    close(rule.parent_fd);
    errno = saved;
    return rc;
}

/* 1 if in force, 0 if this kernel has no Landlock, -errno on failure. */
static int enter_landlock(char **why)
{
    int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 0)
        return errno == ENOSYS || errno == EOPNOTSUPP ? 0 : fail(why, errno, "landlock");
    uint64_t all = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                   LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
                   LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                   LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
                   LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
                   LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                   LANDLOCK_ACCESS_FS_MAKE_SYM;
#ifdef LANDLOCK_ACCESS_FS_REFER
    if (abi >= 2)
        all |= LANDLOCK_ACCESS_FS_REFER;
#endif
#ifdef LANDLOCK_ACCESS_FS_TRUNCATE
    if (abi >= 3)
        all |= LANDLOCK_ACCESS_FS_TRUNCATE;
#endif
    struct landlock_ruleset_attr attr = { .handled_access_fs = all };
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
    if (ruleset < 0)
        return fail(why, errno, "landlock ruleset");
    int rc = 0;
    if (landlock_allow(ruleset, SANDBOX_EXPORT_PATH, all & ~LANDLOCK_ACCESS_FS_EXECUTE) < 0 ||
        landlock_allow(ruleset, "/proc", LANDLOCK_ACCESS_FS_READ_FILE |
                                             LANDLOCK_ACCESS_FS_READ_DIR) < 0 ||
        syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
        rc = fail(why, errno, "landlock rules");
    close(ruleset);
    return rc < 0 ? rc : 1;
}

/* ---- capabilities --------------------------------------------------------- */

uint64_t sandbox_capabilities(const struct fsdrv_config *cfg)
{
    /* The export's owner, with nothing more (sandbox_identity). */
    if (fsdrv_model_is_mapped(cfg->model))
        return 0;
    /* Files the guest made keep the guest's modes: the worker reaches them as
     * root reaches anything (the guest's kernel checks permissions), and sets
     * their modes, times and ACLs whoever owns them. */
    uint64_t keep = 1ull << CAP_DAC_OVERRIDE | 1ull << CAP_DAC_READ_SEARCH | 1ull << CAP_FOWNER;
    if (cfg->model == FSDRV_MODEL_PASSTHROUGH)
        keep |= 1ull << CAP_CHOWN;      /* files carry the guest's owners */
    /* The opt-ins of docs/security.md "What a guest may do to the export".
     * Set-id bits need no CAP_SETUID or CAP_SETGID (nothing changes our
     * ids), but the kernel drops S_ISGID from a chmod by whoever is not in
     * the file's group, and both bits from a file we write or truncate,
     * unless we have CAP_FSETID. */
    if (cfg->allow_setid)
        keep |= 1ull << CAP_FSETID;
    if (cfg->allow_devices)
        keep |= 1ull << CAP_MKNOD;
    return keep;
}

static int last_cap(void)
{
    int cap = CAP_LAST_CAP;
    while (prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0)
        cap++;
    return cap;
}

/* No supplementary groups, then the uid and gid: still with root's
 * capabilities, which NO_SETUID_FIXUP keeps until capset drops them. */
static int enter_identity(uid_t uid, gid_t gid, char **why)
{
    CHECK(setgroups(0, NULL), "dropping supplementary groups");
    CHECK(setresgid(gid, gid, gid), "changing the gid");
    CHECK(setresuid(uid, uid, uid), "changing the uid");
    return 0;
}

static int enter_capabilities(uint64_t keep, uid_t uid, gid_t gid, char **why)
{
    if (uid != (uid_t)-1)
        keep = 0;       /* another identity: nothing at all */
    /* Root's capabilities do not come back on exec or uid changes, and the
     * bits cannot be unset again. */
    CHECK(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_SETUID_FIXUP |
                                       SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NOROOT |
                                       SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                       SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0),
          "securebits");
    CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing ambient capabilities");
    for (int cap = 0; cap <= last_cap(); cap++) {
        if (!(keep & 1ull << cap))
            CHECK(prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "dropping from the bounding set");
    }
    if (uid != (uid_t)-1) {
        int rc = enter_identity(uid, gid, why);
        if (rc < 0)
            return rc;
    }
    struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct data[2] = { { 0 } };
    data[0].effective = data[0].permitted = (uint32_t)keep;
    data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
    CHECK(syscall(SYS_capset, &head, data), "capset");
    return 0;
}

int sandbox_identity(int export_fd, const struct fsdrv_config *cfg, uid_t *uid, gid_t *gid,
                     char **why)
{
    *uid = (uid_t)-1;
    *gid = (gid_t)-1;
    if (!fsdrv_model_is_mapped(cfg->model))
        return 0;
    struct stat st;
    CHECK(fstat(export_fd, &st), "the export's owner");
    if (st.st_uid == 0) {
        *why = g_strdup("the export belongs to root: under a mapped model the worker runs as "
                        "the export's owner, with no capability; give the export to an "
                        "unprivileged account (chown -R)");
        return -EPERM;
    }
    *uid = st.st_uid;
    *gid = st.st_gid;
    return 0;
}

/* ---- seccomp: an allow-list ----------------------------------------------- */

/* What a worker calls once confined: file operations on open descriptors and
 * beneath the export, memory, threads, time, its link and the Xen handles. */
static const char *const allowed_calls[] = {
    /* files */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
    "preadv2", "pwritev2", "lseek", "close", "openat", "openat2", "newfstatat", "fstat",
    "statx", "getdents64", "mkdirat", "mknodat", "symlinkat", "linkat", "renameat",
    "renameat2", "unlinkat", "readlinkat", "fchmod", "fchmodat", "fchown", "fchownat",
    "ftruncate", "fallocate", "fsync", "fdatasync", "utimensat", "fgetxattr", "fsetxattr",
    "flistxattr", "fremovexattr", "getxattr", "setxattr", "listxattr", "removexattr",
    "lgetxattr", "lsetxattr", "llistxattr", "lremovexattr", "fstatfs", "statfs", "fcntl",
    "flock", "dup", "dup3",
    /* by path, beneath the export only (Landlock, the mount namespace): what
     * unlinkat already allows, for libraries that still call it */
    "unlink",
    /* memory */
    "mmap", "munmap", "mprotect", "madvise", "mremap", "brk",
    /* threads, signals, time */
    "futex", "set_robust_list", "get_robust_list", "rseq", "gettid", "getpid", "tgkill",
    "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "sigaltstack", "sched_yield",
    "sched_getaffinity", "clock_gettime", "clock_getres", "clock_nanosleep", "nanosleep",
    /* what the vDSO answers elsewhere is a system call in a Xen PV dom0 (its
     * clock source has no vDSO page): GLib's log timestamps use gettimeofday */
    "gettimeofday", "time", "getcpu",
    "getrandom", "exit", "exit_group", "membarrier",
    /* waiting, the link to the supervisor, the event channels */
    "poll", "ppoll", "eventfd2", "sendmsg", "recvmsg", "sendto", "recvfrom",
    "getuid", "geteuid", "getgid", "getegid",
};

static int enter_seccomp(bool log_only, char **why)
{
    scmp_filter_ctx ctx = seccomp_init(log_only ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return fail(why, ENOMEM, "seccomp");
    /* A binary search over the system call numbers rather than a chain of
     * some hundred comparisons: every request makes several calls. */
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    for (size_t i = 0; i < G_N_ELEMENTS(allowed_calls) && rc == 0; i++) {
        int nr = seccomp_syscall_resolve_name(allowed_calls[i]);
        if (nr != __NR_SCMP_ERROR)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
    }
    /* Threads only: clone with CLONE_THREAD.  clone3's flags sit behind a
     * pointer no filter can read: ENOSYS, and glibc falls back to clone. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* Thread names (GLib) and nothing else of prctl. */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
    /* The one Xen request a running device makes: notify its guest.  Its
     * rings and channels go with the process (worker_xen.c). */
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                              SCMP_A1(SCMP_CMP_EQ, IOCTL_EVTCHN_NOTIFY));
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc < 0 ? fail(why, -rc, "seccomp") : 0;
}

/* ---- all together --------------------------------------------------------- */

int sandbox_enter(const struct sandbox_policy *p, char **why)
{
    int rc;
    /* Xen handles first: restricting needs calls the filter will refuse. */
    if (p->xen_domid >= 0)
        CHECK(xentoolcore_restrict_all((domid_t)p->xen_domid), "restricting the Xen handles");
    if (p->after_xen_restrict)
        p->after_xen_restrict(p->hook_ctx);
    if ((rc = enter_root(p->export_fd, why)) < 0)
        return rc;
    struct rlimit files = { p->nofile, p->nofile }, core = { 0, 0 };
    CHECK(setrlimit(RLIMIT_NOFILE, &files), "limiting open files");
    if (p->memory_bytes) {
        /* Private writable memory: heap, thread stacks, buffers; not the
         * shared ring pages, not address space merely reserved. */
        struct rlimit data = { p->memory_bytes, p->memory_bytes };
        CHECK(setrlimit(RLIMIT_DATA, &data), "limiting memory");
    }
    if (!p->core_dumps) {
        /* A core file would hold guest data; not dumpable also keeps other
         * dom0 processes of the same uid out of /proc/PID/mem. */
        CHECK(setrlimit(RLIMIT_CORE, &core), "limiting core dumps");
        CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "making the process not dumpable");
    }
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
    if ((rc = enter_landlock(why)) < 0)
        return rc;
    if ((rc = enter_capabilities(sandbox_capabilities(p->export_cfg), p->run_uid, p->run_gid,
                                 why)) < 0)
        return rc;
    return enter_seccomp(p->seccomp_log, why);
}
