// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of fsdrv/: each test gets its own export under /tmp and a
 * canary directory outside it that must stay untouched.  Cases that need
 * root (device nodes, chown, mounts) run when the tests run as root.
 */
#include "config.h"

#include <glib.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "tests/unit/fsdrv-tests.h"

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* Mounts made by the tests stay private to this process. */
    if (unshare(CLONE_NEWNS) == 0)
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    /* As the daemon: the client already applied its own umask. */
    umask(0);

    fsdrv_tests_basic();
    fsdrv_tests_escape();
    fsdrv_tests_blocking();
    fsdrv_tests_limits();
    fsdrv_tests_guest();
    fsdrv_tests_quota();
    fsdrv_tests_mapped();
    return g_test_run();
}
