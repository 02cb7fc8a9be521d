/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The groups of fsdrv tests, registered by test-fsdrv.c. */
#ifndef XEN9P_TESTS_FSDRV_TESTS_H
#define XEN9P_TESTS_FSDRV_TESTS_H

void fsdrv_tests_basic(void);       /* fsdrv-test-basic.c: every operation */
void fsdrv_tests_escape(void);      /* fsdrv-test-escape.c: symlinks, races, devices */
void fsdrv_tests_blocking(void);    /* fsdrv-test-blocking.c: FIFOs, cancellation, unlinked files */
void fsdrv_tests_limits(void);      /* fsdrv-test-limits.c: quotas, readonly, models, mounts */
void fsdrv_tests_guest(void);       /* fsdrv-test-guest.c: what a guest may do to the export */
void fsdrv_tests_quota(void);       /* fsdrv-test-quota.c: quotas a guest cannot get around */
void fsdrv_tests_mapped(void);      /* fsdrv-test-mapped.c: QEMU's mapped-xattr and mapped-file */

#endif
