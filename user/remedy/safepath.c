// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Ownership and permission checks before root executes a file. */
#include "safepath.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.h"

/* Every directory above the file: a writable one lets someone swap it. */
static int check_dirs(const char *file, char *why, size_t whylen)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	snprintf(dir, sizeof(dir), "%s", file);
	while ((slash = strrchr(dir, '/'))) {
		if (slash == dir)
			slash[1] = '\0'; /* "/" itself */
		else
			*slash = '\0';
		if (stat(dir, &st)) {
			snprintf(why, whylen, "cannot stat directory %s: %s", dir, strerror(errno));
			return -1;
		}
		if (st.st_uid != 0) {
			snprintf(why, whylen, "directory %s is owned by uid %u, not root", dir,
				 (unsigned)st.st_uid);
			return -1;
		}
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
			snprintf(why, whylen, "directory %s is writable by group or others (mode %04o)",
				 dir, (unsigned)(st.st_mode & 07777));
			return -1;
		}
		if (!strcmp(dir, "/"))
			break;
	}
	return 0;
}

int safepath_check_exec(const char *path, const char *allowed_dir, char *resolved, size_t rlen,
			char *why, size_t whylen)
{
	char canon[PATH_MAX], allowed[PATH_MAX];
	struct stat st;

	if (!path || path[0] != '/') {
		snprintf(why, whylen, "'%s' is not an absolute path", path ? path : "");
		return -1;
	}
	if (!realpath(path, canon)) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (allowed_dir) {
		if (!realpath(allowed_dir, allowed)) {
			snprintf(why, whylen, "%s: %s", allowed_dir, strerror(errno));
			return -1;
		}
		if (!path_inside(canon, allowed)) {
			snprintf(why, whylen, "%s resolves to %s, outside %s (a symlink that leaves it)",
				 path, canon, allowed);
			return -1;
		}
	}
	if (stat(canon, &st)) {
		snprintf(why, whylen, "%s: %s", canon, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "%s is not a regular file", canon);
		return -1;
	}
	if (st.st_uid != 0) {
		snprintf(why, whylen, "%s is owned by uid %u, not root", canon, (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(why, whylen, "%s is world-writable (mode %04o)", canon,
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (st.st_mode & S_IWGRP) {
		snprintf(why, whylen, "%s is group-writable (mode %04o)", canon,
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (!(st.st_mode & S_IXUSR)) {
		snprintf(why, whylen, "%s is not executable (mode %04o)", canon,
			 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (check_dirs(canon, why, whylen))
		return -1;
	if (resolved)
		snprintf(resolved, rlen, "%s", canon);
	return 0;
}
