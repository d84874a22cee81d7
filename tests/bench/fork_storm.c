// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fork/exit storm: fork + _exit(0) in the child + waitpid, in a loop, in PROCS
 * processes for SECONDS. Prints ops/s (one op = one process created and reaped).
 *
 *     fork_storm [-d SECONDS] [-j PROCS]
 */
#include "storm.h"

static int fork_once(void *arg)
{
	pid_t pid = fork();
	int st;

	(void)arg;
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(0);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	double seconds;
	long procs;

	storm_parse(argc, argv, "", "", &seconds, &procs, NULL);
	return storm_run(seconds, procs, fork_once, NULL);
}
