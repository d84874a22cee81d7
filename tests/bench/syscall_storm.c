// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Mixed syscall load: getppid, read of /dev/zero, write to /dev/null, stat of
 * "/" and clock_gettime, in a loop, in PROCS processes for SECONDS. One op =
 * these five system calls. None of them is traced by aegismon: the row shows
 * the tax a tracer puts on every system call of the host. Any syscall
 * tracepoint (sys_enter_connect included) sends every task through the
 * syscall-tracing slow path, whatever the program filters. clock_gettime goes
 * through syscall() because the vDSO one never enters the kernel.
 *
 *     syscall_storm [-d SECONDS] [-j PROCS]
 */
#include "storm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

static int zero_fd = -1, null_fd = -1;

static int syscall_once(void *arg)
{
	char buf[64];
	struct stat st;
	struct timespec ts;
	int bad = 0;

	(void)arg;
	bad |= getppid() <= 0;
	bad |= read(zero_fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf);
	bad |= write(null_fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf);
	bad |= stat("/", &st) != 0;
	bad |= syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts) != 0;
	return bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	double seconds;
	long procs;

	storm_parse(argc, argv, "", "", &seconds, &procs, NULL);
	/* opened before the fork: every worker shares them (no per-op open) */
	zero_fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (zero_fd < 0 || null_fd < 0) {
		perror("syscall_storm: /dev/zero, /dev/null");
		return 1;
	}
	return storm_run(seconds, procs, syscall_once, NULL);
}
