// SPDX-License-Identifier: GPL-2.0-or-later
/* Calls of the real libxengnttab that the emulator does not provide: present
 * with the right version node so binaries link and load, failing with ENOSYS. */
#include "config.h"

#include <errno.h>
#include <xengnttab.h>

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
			 xengnttab_grant_copy_segment_t *segs)
{
	errno = ENOSYS;
	return -1;
}

int xengnttab_dmabuf_exp_from_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t flags,
				   uint32_t count, const uint32_t *refs, uint32_t *fd)
{
	errno = ENOSYS;
	return -1;
}

int xengnttab_dmabuf_exp_wait_released(xengnttab_handle *xgt, uint32_t fd,
				       uint32_t wait_to_ms)
{
	errno = ENOSYS;
	return -1;
}

int xengnttab_dmabuf_imp_to_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t fd,
				 uint32_t count, uint32_t *refs)
{
	errno = ENOSYS;
	return -1;
}

int xengnttab_dmabuf_imp_release(xengnttab_handle *xgt, uint32_t fd)
{
	errno = ENOSYS;
	return -1;
}
