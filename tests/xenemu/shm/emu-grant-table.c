// SPDX-License-Identifier: GPL-2.0-or-later
/* Per-domain grant table files: creation (xenstored), mapping (stand-in libs). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/xenemu/shm/emu-shm.h"

static int create_table_file(const char *tmp, const char *final, uint32_t domid)
{
	struct emu_grant_table *t;
	int fd, saved;

	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (ftruncate(fd, sizeof(*t)) != 0)
		goto fail;
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (t == MAP_FAILED)
		goto fail;
	t->domid = domid;
	t->next_hint = EMU_GRANT_FIRST_REF;
	if (emu_mutex_init_shared(&t->lock) != 0) {
		saved = errno;
		munmap(t, sizeof(*t));
		errno = saved;
		goto fail;
	}
	t->magic = EMU_GRANT_MAGIC;
	munmap(t, sizeof(*t));
	close(fd);
	/* Openers see either no table or a complete one. */
	return rename(tmp, final);
fail:
	saved = errno;
	close(fd);
	unlink(tmp);
	errno = saved;
	return -1;
}

int emu_grant_domain_create(const char *dir, uint32_t domid)
{
	char path[256], tmp[256];
	int fd;

	if (emu_path(path, sizeof(path), "%s/dom%u", dir, domid) != 0)
		return -1;
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return -1;
	if (emu_path(path, sizeof(path), "%s/dom%u/grant-pages", dir, domid) != 0)
		return -1;
	unlink(path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	/* Sparse: a page costs memory only once it is written. */
	if (ftruncate(fd, (off_t)EMU_GRANT_ENTRIES * EMU_PAGE_SIZE) != 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	if (emu_path(path, sizeof(path), "%s/dom%u/grant-table", dir, domid) != 0 ||
	    emu_path(tmp, sizeof(tmp), "%s/dom%u/grant-table.new", dir, domid) != 0)
		return -1;
	return create_table_file(tmp, path, domid);
}

int emu_grant_domain_destroy(const char *dir, uint32_t domid)
{
	struct emu_grant_domain *gd;
	char path[256];

	gd = emu_grant_domain_open(dir, domid);
	if (gd) {
		emu_mutex_lock(&gd->table->lock);
		gd->table->dead = 1;
		emu_mutex_unlock(&gd->table->lock);
		emu_grant_domain_close(gd);
	}
	if (emu_path(path, sizeof(path), "%s/dom%u/grant-table", dir, domid) == 0)
		unlink(path);
	if (emu_path(path, sizeof(path), "%s/dom%u/grant-pages", dir, domid) == 0)
		unlink(path);
	if (emu_path(path, sizeof(path), "%s/dom%u", dir, domid) == 0)
		rmdir(path);
	return 0;
}

struct emu_grant_domain *emu_grant_domain_open(const char *dir, uint32_t domid)
{
	struct emu_grant_domain *gd;
	char path[256];
	struct stat st;
	int fd, saved;

	if (domid >= EMU_MAX_DOMAINS) {
		errno = ESRCH;
		return NULL;
	}
	if (emu_path(path, sizeof(path), "%s/dom%u/grant-table", dir, domid) != 0)
		return NULL;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			errno = ESRCH;
		return NULL;
	}
	gd = calloc(1, sizeof(*gd));
	if (!gd)
		goto fail_fd;
	gd->domid = domid;
	gd->pages_fd = -1;
	if (fstat(fd, &st) != 0)
		goto fail;
	if ((size_t)st.st_size != sizeof(*gd->table)) {
		errno = EINVAL;
		goto fail;
	}
	gd->table = mmap(NULL, sizeof(*gd->table), PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
	if (gd->table == MAP_FAILED) {
		gd->table = NULL;
		goto fail;
	}
	close(fd);
	fd = -1;
	if (gd->table->magic != EMU_GRANT_MAGIC || gd->table->domid != domid) {
		errno = EINVAL;
		goto fail;
	}
	if (gd->table->dead) {
		errno = ESRCH;
		goto fail;
	}
	if (emu_path(path, sizeof(path), "%s/dom%u/grant-pages", dir, domid) != 0)
		goto fail;
	gd->pages_fd = open(path, O_RDWR | O_CLOEXEC);
	if (gd->pages_fd < 0) {
		if (errno == ENOENT)
			errno = ESRCH;
		goto fail;
	}
	gd->refcount = 1;
	return gd;
fail:
	saved = errno;
	emu_grant_domain_close(gd);
	if (fd >= 0)
		close(fd);
	errno = saved;
	return NULL;
fail_fd:
	saved = errno;
	if (fd >= 0)
		close(fd);
	errno = saved;
	return NULL;
}

void emu_grant_domain_close(struct emu_grant_domain *gd)
{
	if (!gd)
		return;
	if (gd->table)
		munmap(gd->table, sizeof(*gd->table));
	if (gd->pages_fd >= 0)
		close(gd->pages_fd);
	free(gd);
}
