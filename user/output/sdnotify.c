// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* sd_notify: one datagram to $NOTIFY_SOCKET (a path or an abstract name). */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void send_state(const char *state, size_t len)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t alen;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(un.sun_path))
		return;
	memcpy(un.sun_path, path, strlen(path));
	if (un.sun_path[0] == '@')
		un.sun_path[0] = '\0'; /* abstract namespace */
	alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, len, MSG_NOSIGNAL, (struct sockaddr *)&un, alen) < 0)
		fprintf(stderr, "aegismon: sd_notify: %s\n", strerror(errno));
	close(fd);
}

void sdnotify(const char *fmt, ...)
{
	char state[4096];
	va_list ap;
	int n;

	if (!getenv("NOTIFY_SOCKET"))
		return;
	va_start(ap, fmt);
	n = vsnprintf(state, sizeof(state), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(state)) {
		/* never half an assignment: cut at the last whole line */
		char *nl = memrchr(state, '\n', sizeof(state) - 1);

		n = nl ? (int)(nl - state) : (int)sizeof(state) - 1;
	}
	send_state(state, (size_t)n);
}

void sdnotify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sdnotify("RELOADING=1\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

uint64_t sdnotify_watchdog_interval_ns(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long us;
	char *end;

	if (!usec || !getenv("NOTIFY_SOCKET"))
		return 0;
	if (pid) {
		errno = 0;
		unsigned long p = strtoul(pid, &end, 10);

		if (errno || *end || p != (unsigned long)getpid())
			return 0; /* meant for another process (a parent that exec'd us) */
	}
	errno = 0;
	us = strtoull(usec, &end, 10);
	if (errno || *end || us == 0 || us > UINT64_MAX / 1000)
		return 0;
	return us * 1000 / 2;
}
