// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Find a way into a network namespace known only by its inode. */
#include "netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* path's namespace if it is inum. Checked again on the fd: a /proc/PID whose
 * process exits in between may be another process's (and namespace) by the open. */
static int open_if(const char *path, uint32_t inum)
{
	struct stat st;
	int fd;

	if (stat(path, &st) || (uint32_t)st.st_ino != inum)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || (uint32_t)st.st_ino != inum) {
		close(fd);
		return -1;
	}
	return fd;
}

int netns_open_by_inode(uint32_t inum)
{
	char path[300];
	struct dirent *de;
	DIR *d;
	int fd;

	if (!inum)
		return -1;
	fd = open_if("/proc/self/ns/net", inum);
	if (fd >= 0)
		return fd;
	d = opendir("/run/netns");
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
			fd = open_if(path, inum);
			if (fd >= 0)
				break;
		}
		closedir(d);
		if (fd >= 0)
			return fd;
	}
	d = opendir("/proc");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char *end;

		if (strtol(de->d_name, &end, 10) <= 0 || *end)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/net", de->d_name);
		fd = open_if(path, inum);
		if (fd >= 0)
			break;
	}
	closedir(d);
	return fd;
}
