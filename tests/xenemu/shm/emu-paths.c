// SPDX-License-Identifier: GPL-2.0-or-later
/* Environment, paths and the process-shared mutex of the emulator's state. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/xenemu/shm/emu-shm.h"

int emu_dir_from_env(char buf[EMU_DIR_MAX + 1])
{
	const char *dir = getenv(EMU_DIR_ENV);
	char real[PATH_MAX];
	struct stat st;

	if (!dir || !*dir) {
		errno = ENOENT;
		return -1;
	}
	if (!realpath(dir, real))
		return -1;
	if (strlen(real) > EMU_DIR_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (stat(real, &st) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	strcpy(buf, real);
	return 0;
}

int emu_domid_from_env(uint32_t *domid)
{
	const char *s = getenv(EMU_DOMID_ENV);
	char *end;
	unsigned long v;

	if (!s || !*s) {
		*domid = 0;
		return 0;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v >= EMU_MAX_DOMAINS) {
		errno = EINVAL;
		return -1;
	}
	*domid = (uint32_t)v;
	return 0;
}

int emu_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int emu_mutex_init_shared(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;
	int rc;

	rc = pthread_mutexattr_init(&attr);
	if (!rc)
		rc = pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	if (!rc)
		rc = pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
	if (rc) {
		errno = rc;
		return -1;
	}
	return 0;
}

void emu_mutex_lock(pthread_mutex_t *m)
{
	/* A holder that died left the tables as they were at its death: each
	 * update is a few stores, so carry on rather than wedge every user. */
	if (pthread_mutex_lock(m) == EOWNERDEAD)
		pthread_mutex_consistent(m);
}

void emu_mutex_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}
