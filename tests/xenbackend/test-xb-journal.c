// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Logs under systemd (backend/common/log.h): when xen9pd's stderr is the
 * journal's stream ($JOURNAL_STREAM names it), each message goes to the
 * journal's socket with its real priority and, for a device, the fields
 * XEN9P_DEVICE, XEN9P_DOMID and XEN9P_TAG; a worker's lines (its trace) carry
 * their device's fields too.  The journal here is a socket of the test's own,
 * at /run/systemd/journal/socket in a private mount namespace (root only).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "tests/xenbackend/xb-env.h"

#define T XB_TIMEOUT_MS
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

/* A journal of our own: false (and why) if this process cannot have one. */
static bool private_journal(int *sock, char **why)
{
    if (unshare(CLONE_NEWNS) < 0) {
        *why = g_strdup_printf("unshare(CLONE_NEWNS): %s (needs root)", g_strerror(errno));
        return false;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
        mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") < 0) {
        *why = g_strdup_printf("mount: %s", g_strerror(errno));
        return false;
    }
    g_assert_cmpint(g_mkdir_with_parents("/run/systemd/journal", 0755), ==, 0);
    *sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
    g_assert_cmpint(bind(*sock, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
    int big = 1 << 22;
    setsockopt(*sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    return true;
}

/* Every entry the journal socket received so far (each a KEY -> value table). */
static void drain(int sock, GPtrArray *entries, int wait_ms)
{
    struct pollfd p = { .fd = sock, .events = POLLIN };
    char buf[65536];
    while (poll(&p, 1, wait_ms) == 1) {
        ssize_t n = recv(sock, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            break;
        buf[n] = '\0';
        GHashTable *e = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        char **lines = g_strsplit(buf, "\n", -1);
        for (char **l = lines; *l; l++) {
            char *eq = strchr(*l, '=');
            if (eq)
                g_hash_table_insert(e, g_strndup(*l, eq - *l), g_strdup(eq + 1));
        }
        g_strfreev(lines);
        g_ptr_array_add(entries, e);
        wait_ms = 200;
    }
}

/* The first entry whose MESSAGE contains `needle`, waiting up to 10 s for it. */
static GHashTable *entry_with(int sock, GPtrArray *entries, const char *needle)
{
    for (int round = 0; round < 50; round++) {
        for (guint i = 0; i < entries->len; i++) {
            const char *m = g_hash_table_lookup(entries->pdata[i], "MESSAGE");
            if (m && strstr(m, needle))
                return entries->pdata[i];
        }
        drain(sock, entries, 200);
    }
    g_error("no journal entry with \"%s\" (%u entries)", needle, entries->len);
}

static void assert_field(GHashTable *e, const char *key, const char *value)
{
    g_assert_cmpstr(g_hash_table_lookup(e, key), ==, value);
}

static void test_journal_fields(void)
{
    int sock = -1;
    char *why = NULL;
    if (!private_journal(&sock, &why)) {
        g_test_skip(why);
        g_free(why);
        return;
    }
    XbEnv *env = xb_env_new();
    char *share = xb_mkdir(env, "share");
    /* stderr, the file the harness logs to, is "the journal's stream" */
    char *log = g_build_filename(xb_dir(env), "xen9pd.log", NULL);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    struct stat st;
    g_assert_cmpint(fstat(fd, &st), ==, 0);
    close(fd);
    char *stream = g_strdup_printf("%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
    g_setenv("JOURNAL_STREAM", stream, TRUE);
    xb_create_domain(env, 1);
    xb_daemon_start(env, false);
    g_unsetenv("JOURNAL_STREAM");

    char *spec = g_strdup_printf("tag=jtag,path=%s", share);
    unsigned dev = xb_attach(env, 1, spec);
    XbAgent *guest = xb_agent_start(env, 1);
    xb_agent_mount(guest, dev, false);
    char *devname = g_strdup_printf("1/%u", dev), *out = NULL;
    g_assert_cmpint(xb_xen9p(env, &out, NULL, "trace", "1", "jtag", "on", NULL), ==, 0);
    g_free(out);
    g_free(xb_agent_ok(guest, T, "stat"));
    /* a device a toolstack misconfigured: a warning */
    static const char *const bad[] = { "path=relative", NULL };
    xb_toolstack_add(env, 1, 5, "bad", bad);

    GPtrArray *entries = g_ptr_array_new_with_free_func((GDestroyNotify)g_hash_table_unref);
    GHashTable *e = entry_with(sock, entries, "serving 9pfs devices under");
    assert_field(e, "PRIORITY", "5");
    assert_field(e, "SYSLOG_IDENTIFIER", "xen9pd");
    g_assert_null(g_hash_table_lookup(e, "XEN9P_DEVICE"));
    e = entry_with(sock, entries, "tag \"jtag\" serves");
    assert_field(e, "PRIORITY", "5");
    assert_field(e, "XEN9P_DEVICE", devname);
    assert_field(e, "XEN9P_DOMID", "1");
    assert_field(e, "XEN9P_TAG", "jtag");
    /* the worker's trace, relayed: its device's fields, informational */
    char *getattr = g_strdup_printf("v9fs_getattr %s tag=", devname);
    e = entry_with(sock, entries, getattr);
    assert_field(e, "PRIORITY", "6");
    assert_field(e, "XEN9P_DEVICE", devname);
    assert_field(e, "XEN9P_TAG", "jtag");
    e = entry_with(sock, entries, "is not absolute");
    assert_field(e, "PRIORITY", "4");
    assert_field(e, "XEN9P_DEVICE", "1/5");
    assert_field(e, "XEN9P_DOMID", "1");
    assert_field(e, "XEN9P_TAG", "bad");
    /* and none of it went to stderr as well */
    char *text = xb_daemon_log(env);
    g_assert_null(strstr(text, "tag \"jtag\" serves"));
    g_free(text);

    g_ptr_array_free(entries, TRUE);
    g_free(getattr);
    xb_agent_close(guest);
    xb_env_free(env);
    close(sock);
    g_free(devname);
    g_free(spec);
    g_free(stream);
    g_free(log);
    g_free(share);
}

int main(int argc, char **argv)
{
    xb_init(&argc, &argv);
    g_test_add_func("/xenbackend/journal/fields", test_journal_fields);
    return g_test_run();
}
