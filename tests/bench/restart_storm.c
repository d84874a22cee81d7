// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Agent restart loop: as a supervisor would, fork + exec the stand-in agent
 * (tests/e2e/fake_agent installed as .../AliYunDun) with "exit CODE 0" and
 * wait for it, in a loop, in PROCS processes for SECONDS. One op = one agent
 * started and reaped: an exec and an exit of a process named AliYunDun (the
 * exec is by its path, so that the new comm is the agent's name). Prints the
 * line of storm.h; errors are agents that did not exit with CODE.
 *
 *     restart_storm -x AGENT_PATH [-c CODE] [-d SECONDS] [-j PROCS]
 */
#include "storm.h"

static const char *agent_path;
static char exit_code[8] = "1";

static int restart_once(void *arg)
{
	pid_t pid;
	int st;

	(void)arg;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execl(agent_path, "AliYunDun", "exit", exit_code, "0", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == atoi(exit_code) ? 0 : -1;
}

static void restart_opt(int opt, const char *val)
{
	char *end;
	long code;

	switch (opt) {
	case 'x':
		agent_path = val;
		break;
	case 'c':
		code = strtol(val, &end, 10);
		if (*end || code < 0 || code > 125) {
			fprintf(stderr, "restart_storm: bad exit code %s\n", val);
			exit(2);
		}
		snprintf(exit_code, sizeof(exit_code), "%ld", code);
		break;
	}
}

int main(int argc, char **argv)
{
	double seconds;
	long procs;

	storm_parse(argc, argv, "x:c:", " -x AGENT_PATH [-c CODE]", &seconds, &procs, restart_opt);
	if (!agent_path || access(agent_path, X_OK)) {
		fprintf(stderr, "restart_storm: -x AGENT_PATH: an executable stand-in agent, please\n");
		return 2;
	}
	return storm_run(seconds, procs, restart_once, NULL);
}
