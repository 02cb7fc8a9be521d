// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The worker's confinement from inside (docs/security.md "Barriers"): a
 * process calls sandbox_enter() as a worker does (in a pid namespace of its
 * own, with an export), then tries one thing a compromised worker would
 * want.  Each try runs in its own process: reaching a host file, opening a
 * socket, mounting, tracing, raising a capability, starting a program or a
 * process, writing outside the export must fail (an error, or death by
 * SIGSYS from the seccomp filter); work on the export must still succeed.
 * Needs root (namespaces, mounts); skipped otherwise.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "backend/worker/sandbox.h"

/* What a try reports through its exit status. */
enum { TRY_REFUSED = 0, TRY_ALLOWED = 1, TRY_SETUP_FAILED = 2 };

typedef int (*try_fn)(void);

static char *export_dir;
static bool seccomp_log;
/* The identity a confined try runs as ((uid_t)-1: root, with the model's capabilities). */
static uid_t run_uid = (uid_t)-1;
/* The export a confined try serves: its model and opt-ins set its capabilities. */
static struct fsdrv_config export_cfg = { .model = FSDRV_MODEL_NONE };

/* Confined as a worker, then `fn`: its answer, as the exit status. */
static void run_confined(try_fn fn)
{
    struct sandbox_policy p = {
        .export_fd = export_tree_of(export_dir),
        .export_cfg = &export_cfg,
        .nofile = 64,
        .xen_domid = -1,
        .seccomp_log = seccomp_log,
        .memory_bytes = 64u << 20,
        .run_uid = run_uid,
        .run_gid = (gid_t)run_uid,
    };
    char *why = NULL;
    if (p.export_fd < 0 || sandbox_enter(&p, &why) < 0) {
        fprintf(stderr, "sandbox_enter: %s\n", why ? why : g_strerror(errno));
        _exit(TRY_SETUP_FAILED);
    }
    _exit(fn());
}

/*
 * `fn` confined in a process of a new pid namespace (as the supervisor
 * starts workers); its wait status, as seen by its parent.
 */
static int try_confined(try_fn fn)
{
    pid_t outer = fork();
    g_assert_cmpint(outer, >=, 0);
    if (outer == 0) {
        if (unshare(CLONE_NEWPID) < 0)
            _exit(TRY_SETUP_FAILED);
        pid_t inner = fork();
        if (inner == 0)
            run_confined(fn);
        int status;
        if (inner < 0 || waitpid(inner, &status, 0) != inner)
            _exit(TRY_SETUP_FAILED);
        if (WIFSIGNALED(status)) {
            /* Passed on as it came: we are no namespace's init. */
            signal(WTERMSIG(status), SIG_DFL);
            raise(WTERMSIG(status));
        }
        _exit(WEXITSTATUS(status));
    }
    int status;
    g_assert_cmpint(waitpid(outer, &status, 0), ==, outer);
    return status;
}

/* `fn` must be refused: an error it reports, or the filter's SIGSYS. */
static void assert_refused(const char *what, try_fn fn)
{
    int status = try_confined(fn);
    if (WIFSIGNALED(status)) {
        g_test_message("%s: killed by signal %d", what, WTERMSIG(status));
        g_assert_cmpint(WTERMSIG(status), ==, SIGSYS);
        return;
    }
    g_assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == TRY_SETUP_FAILED)
        g_error("%s: the sandbox could not be set up", what);
    if (WEXITSTATUS(status) != TRY_REFUSED)
        g_error("%s: allowed inside the sandbox", what);
    g_test_message("%s: refused with an error", what);
}

static void assert_allowed(const char *what, try_fn fn)
{
    int status = try_confined(fn);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != TRY_ALLOWED)
        g_error("%s: refused inside the sandbox (wait status 0x%x)", what, status);
}

/* 1 when the call succeeded, 0 when it failed. */
#define RESULT(ok) ((ok) ? TRY_ALLOWED : TRY_REFUSED)

/* ---- what a compromised worker would try ---- */

static int open_host_file(void)
{
    static const char *const paths[] = {
        "/etc/passwd", "/export/../etc/passwd", "/proc/1/root/etc/passwd",
        "/proc/self/root/etc/passwd", "/proc/self/cwd/etc/passwd",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
        int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            return TRY_ALLOWED;
    }
    return TRY_REFUSED;
}

/* Any process but itself in its /proc (the host's would be there). */
static int see_host_processes(void)
{
    GDir *d = g_dir_open("/proc", 0, NULL);
    unsigned others = 0;
    const char *name;
    while (d && (name = g_dir_read_name(d)))
        others += g_ascii_isdigit(name[0]) && atoi(name) != getpid();
    if (d)
        g_dir_close(d);
    return RESULT(!d || others > 0);
}

static int open_inet_socket(void)
{
    return RESULT(socket(AF_INET, SOCK_STREAM, 0) >= 0);
}

static int open_unix_socket(void)
{
    return RESULT(socket(AF_UNIX, SOCK_STREAM, 0) >= 0);
}

static int mount_tmpfs(void)
{
    return RESULT(mount("tmpfs", "/export", "tmpfs", 0, NULL) == 0);
}

static int trace_a_process(void)
{
    return RESULT(ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0);
}

static int raise_capability(void)
{
    struct __user_cap_header_struct head = { .version = _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct data[2] = { { 0 } };
    data[0].effective = data[0].permitted = 1u << CAP_SYS_ADMIN;
    return RESULT(syscall(SYS_capset, &head, data) == 0);
}

static int raise_ambient_capability(void)
{
    return RESULT(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SYS_ADMIN, 0, 0) == 0);
}

static int run_program(void)
{
    char *argv[] = { "/bin/true", NULL };
    execve(argv[0], argv, argv + 1);
    return TRY_REFUSED;
}

static int start_process(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    return RESULT(pid > 0);
}

/* With the calls the filter allows: the read-only root and Landlock refuse. */
static int write_outside_export(void)
{
    return RESULT(mkdirat(AT_FDCWD, "/escape", 0700) == 0 ||
                  openat(AT_FDCWD, "/escape-file", O_CREAT | O_WRONLY | O_CLOEXEC, 0600) >= 0 ||
                  openat(AT_FDCWD, "/proc/escape", O_CREAT | O_WRONLY | O_CLOEXEC, 0600) >= 0);
}

static int raise_file_limit(void)
{
    struct rlimit rl = { 1 << 20, 1 << 20 };
    return RESULT(setrlimit(RLIMIT_NOFILE, &rl) == 0);
}

/* More private memory than RLIMIT_DATA (64 MiB here) allows. */
static int take_more_memory(void)
{
    size_t size = 128u << 20;
    char *p = malloc(size);
    if (p)
        memset(p, 1, size);
    return RESULT(p != NULL);
}

/* ---- what a worker must still do ---- */

static int work_on_export(void)
{
    int dir = open("/export", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return TRY_REFUSED;
    int fd = openat(dir, "made-inside", O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    char buf[5] = "";
    bool ok = fd >= 0 && write(fd, "hello", 5) == 5 && pread(fd, buf, 5, 0) == 5 &&
              memcmp(buf, "hello", 5) == 0 && mkdirat(dir, "subdir", 0700) == 0 &&
              renameat(dir, "made-inside", dir, "subdir/moved") == 0;
    return RESULT(ok);
}

/* ---- what only an export's opt-ins allow ---- */
/* (docs/security.md "What a guest may do to the export") */

/* A node of /dev/null's numbers: CAP_MKNOD, allow-devices only. */
static int make_device_node(void)
{
    int dir = open("/export", O_PATH | O_DIRECTORY | O_CLOEXEC);
    bool made = dir >= 0 && mknodat(dir, "null", S_IFCHR | 0600, makedev(1, 3)) == 0;
    if (made)
        unlinkat(dir, "null", 0);
    return RESULT(made);
}

/* A set-group-ID bit for a group the worker is not in survives chmod only
 * with CAP_FSETID (allow-setid); CAP_CHOWN gives the file that group. */
static int keep_foreign_setgid(void)
{
    int dir = open("/export", O_PATH | O_DIRECTORY | O_CLOEXEC);
    int fd = dir < 0 ? -1 : openat(dir, "sgid", O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    struct stat st;
    bool kept = fd >= 0 && fchown(fd, (uid_t)-1, 4242) == 0 && fchmod(fd, 02755) == 0 &&
                fstat(fd, &st) == 0 && (st.st_mode & S_ISGID);
    if (fd >= 0)
        unlinkat(dir, "sgid", 0);
    return RESULT(kept);
}

/* ---- the tests ---- */

static void test_refused(gconstpointer data)
{
    static const struct {
        const char *what;
        try_fn fn;
    } tries[] = {
        { "open a host file", open_host_file },
        { "see a host process", see_host_processes },
        { "open an inet socket", open_inet_socket },
        { "open a unix socket", open_unix_socket },
        { "mount", mount_tmpfs },
        { "ptrace", trace_a_process },
        { "raise a capability (capset)", raise_capability },
        { "raise an ambient capability", raise_ambient_capability },
        { "run a program", run_program },
        { "start a process", start_process },
        { "write outside the export", write_outside_export },
        { "raise its open-file limit", raise_file_limit },
        { "take more memory than its limit", take_more_memory },
    };
    (void)data;
    for (size_t i = 0; i < G_N_ELEMENTS(tries); i++)
        assert_refused(tries[i].what, tries[i].fn);
}

static void test_export_usable(gconstpointer data)
{
    (void)data;
    assert_allowed("work on the export", work_on_export);
    char *moved = g_build_filename(export_dir, "subdir", "moved", NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(moved, &text, NULL, NULL));
    g_assert_cmpstr(text, ==, "hello");
    g_free(text);
    g_unlink(moved);
    g_free(moved);
    char *sub = g_build_filename(export_dir, "subdir", NULL);
    g_rmdir(sub);
    g_free(sub);
}

/* Each model's capabilities, and the two an opt-in adds (docs/security.md "Per security model"). */
static void test_capabilities(gconstpointer data)
{
    (void)data;
    const uint64_t base = 1ull << CAP_DAC_OVERRIDE | 1ull << CAP_DAC_READ_SEARCH |
                          1ull << CAP_FOWNER;
    struct fsdrv_config cfg = { .model = FSDRV_MODEL_NONE };
    g_assert_cmphex(sandbox_capabilities(&cfg), ==, base);
    g_assert_cmphex(base, ==, 0xe);
    cfg.model = FSDRV_MODEL_PASSTHROUGH;
    g_assert_cmphex(sandbox_capabilities(&cfg), ==, base | 1ull << CAP_CHOWN);
    cfg.allow_acl = true;       /* ACLs need nothing more than fowner */
    g_assert_cmphex(sandbox_capabilities(&cfg), ==, base | 1ull << CAP_CHOWN);
    cfg.allow_setid = true;
    g_assert_cmphex(sandbox_capabilities(&cfg), ==,
                    base | 1ull << CAP_CHOWN | 1ull << CAP_FSETID);
    cfg = (struct fsdrv_config){ .model = FSDRV_MODEL_NONE, .allow_devices = true };
    g_assert_cmphex(sandbox_capabilities(&cfg), ==, base | 1ull << CAP_MKNOD);
    /* the mapped models: nothing, whatever the opt-ins */
    cfg = (struct fsdrv_config){ .model = FSDRV_MODEL_MAPPED_XATTR, .allow_setid = true,
                                 .allow_devices = true, .allow_acl = true };
    g_assert_cmphex(sandbox_capabilities(&cfg), ==, 0);
    cfg.model = FSDRV_MODEL_MAPPED_FILE;
    g_assert_cmphex(sandbox_capabilities(&cfg), ==, 0);
}

/* Who serves: root for none and passthrough; the export's owner, never root, for the mapped models. */
static void test_identity(gconstpointer data)
{
    (void)data;
    char *dir = g_dir_make_tmp("sandbox-identity-XXXXXX", NULL), *why = NULL;
    g_assert_nonnull(dir);
    int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    g_assert_cmpint(fd, >=, 0);
    uid_t uid;
    gid_t gid;
    struct fsdrv_config cfg = { .model = FSDRV_MODEL_PASSTHROUGH };
    g_assert_cmpint(sandbox_identity(fd, &cfg, &uid, &gid, &why), ==, 0);
    g_assert_cmpuint(uid, ==, (uid_t)-1);
    cfg.model = FSDRV_MODEL_MAPPED_FILE;
    if (geteuid() == 0) {
        g_assert_cmpint(sandbox_identity(fd, &cfg, &uid, &gid, &why), ==, -EPERM);
        g_assert_nonnull(strstr(why, "belongs to root"));
        g_free(why);
        g_assert_cmpint(chown(dir, 4321, 8765), ==, 0);
    }
    struct stat st;
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    g_assert_cmpint(sandbox_identity(fd, &cfg, &uid, &gid, &why), ==, 0);
    g_assert_cmpuint(uid, ==, st.st_uid);
    g_assert_cmpuint(gid, ==, st.st_gid);
    close(fd);
    g_rmdir(dir);
    g_free(dir);
}

/* Confined: a device node and a foreign set-group-ID bit only with their opt-ins. */
static void test_opt_ins(gconstpointer data)
{
    (void)data;
    export_cfg = (struct fsdrv_config){ .model = FSDRV_MODEL_PASSTHROUGH };
    assert_refused("make a device node without allow-devices", make_device_node);
    assert_refused("keep a set-group-ID bit without allow-setid", keep_foreign_setgid);
    export_cfg.allow_devices = true;
    assert_allowed("make a device node with allow-devices", make_device_node);
    export_cfg.allow_setid = true;
    assert_allowed("keep a set-group-ID bit with allow-setid", keep_foreign_setgid);
    export_cfg = (struct fsdrv_config){ .model = FSDRV_MODEL_NONE };
}

/* A line of /proc/self/status, after its "Name:" (g_free), or NULL. */
static char *status_field(const char *name)
{
    char *text = NULL, *value = NULL;
    if (!g_file_get_contents("/proc/self/status", &text, NULL, NULL))
        return NULL;
    const char *line = strstr(text, name);
    if (line) {
        line += strlen(name);
        value = g_strstrip(g_strndup(line, strcspn(line, "\n")));
    }
    g_free(text);
    return value;
}

static bool status_is(const char *name, const char *want)
{
    char *got = status_field(name);
    bool same = got && strcmp(got, want) == 0;
    if (!same)
        fprintf(stderr, "%s '%s', want '%s'\n", name, got ? got : "(none)", want);
    g_free(got);
    return same;
}

/* As the unprivileged uid (the filter refuses setuid and capset outright:
 * what is left to check is the state it is in): no capability, no root id,
 * no group, its own files only. */
static int unprivileged_worker(void)
{
    if (!status_is("CapEff:", "0000000000000000") || !status_is("CapPrm:", "0000000000000000") ||
        !status_is("CapBnd:", "0000000000000000") ||
        !status_is("Uid:", "65534\t65534\t65534\t65534") ||
        !status_is("Gid:", "65534\t65534\t65534\t65534") || !status_is("Groups:", ""))
        return TRY_REFUSED;
    int own = openat(AT_FDCWD, "/export/mine", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (own < 0)
        return TRY_REFUSED;
    close(own);
    unlink("/export/mine");
    /* root's file beside it: no CAP_DAC_OVERRIDE to read it */
    return RESULT(open("/export/roots", O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES);
}

/* run_uid (the mapped models): the worker keeps no capability and no root identity. */
static void test_unprivileged(gconstpointer data)
{
    (void)data;
    char *saved = export_dir;
    export_dir = g_build_filename(saved, "unprivileged", NULL);
    g_assert_cmpint(g_mkdir(export_dir, 0700), ==, 0);
    g_assert_cmpint(chown(export_dir, 65534, 65534), ==, 0);
    char *roots = g_build_filename(export_dir, "roots", NULL);
    g_assert_true(g_file_set_contents(roots, "root's", -1, NULL));
    g_assert_cmpint(chmod(roots, 0600), ==, 0);
    run_uid = 65534;
    assert_allowed("an unprivileged worker with no capability", unprivileged_worker);
    run_uid = (uid_t)-1;
    g_unlink(roots);
    g_rmdir(export_dir);
    g_free(roots);
    g_free(export_dir);
    export_dir = saved;
}

/* --seccomp-log: a forbidden call is let through (and logged by the kernel). */
static void test_seccomp_log(gconstpointer data)
{
    (void)data;
    seccomp_log = true;
    assert_allowed("open a unix socket, seccomp logging only", open_unix_socket);
    seccomp_log = false;
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/sandbox/capabilities", NULL, test_capabilities);
    g_test_add_data_func("/sandbox/identity", NULL, test_identity);
    if (geteuid() != 0) {
        g_test_skip("needs root (namespaces and mounts)");
        return g_test_run();
    }
    export_dir = g_dir_make_tmp("sandbox-export-XXXXXX", NULL);
    g_assert_nonnull(export_dir);
    g_test_add_data_func("/sandbox/refused", NULL, test_refused);
    g_test_add_data_func("/sandbox/export-usable", NULL, test_export_usable);
    g_test_add_data_func("/sandbox/seccomp-log", NULL, test_seccomp_log);
    g_test_add_data_func("/sandbox/opt-ins", NULL, test_opt_ins);
    g_test_add_data_func("/sandbox/unprivileged", NULL, test_unprivileged);
    int rc = g_test_run();
    g_rmdir(export_dir);
    g_free(export_dir);
    return rc;
}
