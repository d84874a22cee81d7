// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Context-switch storm: PAIRS pairs of processes bounce one byte over two
 * pipes (ping-pong) for SECONDS. Every round trip is two wakeups and at least
 * two context switches: the hot path of the scheduler tracepoints
 * (sched_wakeup, sched_switch) under aegismon's run-queue probes. Prints the
 * line of storm.h (one op = one round trip; ops/cpu-s counts both processes).
 *
 *     switch_storm [-d SECONDS] [-j PAIRS]
 */
#include "storm.h"

/* One pair: fork the ponger, bounce until the deadline, reap the ponger. */
static void pair(struct storm_slot *slot, int start_fd, double seconds)
{
	int ping[2], pong[2];
	uint64_t t0, now, deadline, ops = 0, errors = 0;
	pid_t pid;
	char c = 'x';

	if (pipe(ping) || pipe(pong))
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid == 0) { /* the ponger: echo until the pinger closes its end */
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	while (read(start_fd, &c, 1) < 0 && errno == EINTR)
		;
	t0 = storm_now_ns();
	deadline = t0 + (uint64_t)(seconds * 1e9);
	do {
		for (int i = 0; i < 32; i++, ops++)
			if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
				errors++;
		now = storm_now_ns();
	} while (now < deadline);
	close(ping[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	slot->ops = ops;
	slot->errors = errors;
	slot->elapsed_ns = now - t0;
	_exit(errors ? 1 : 0);
}

int main(int argc, char **argv)
{
	struct storm_slot *slots;
	pid_t pids[STORM_MAX_PROCS];
	uint64_t errors = 0, total = 0;
	double seconds, rate = 0, cpu = 0;
	struct rusage ru;
	int start[2], status = 0;
	long procs;

	(void)storm_run; /* the shared runner: pairs need their own */
	storm_parse(argc, argv, "", "", &seconds, &procs, NULL);
	slots = mmap(NULL, sizeof(*slots) * (size_t)procs, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED || pipe(start)) {
		perror("switch_storm: setup");
		return 1;
	}
	for (long i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("switch_storm: fork");
			return 1;
		}
		if (pids[i] == 0) {
			close(start[1]);
			pair(&slots[i], start[0], seconds);
		}
	}
	close(start[0]);
	close(start[1]); /* releases every pair at once */
	for (long i = 0; i < procs; i++) {
		int st;

		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			status = 1;
		if (slots[i].elapsed_ns)
			rate += (double)slots[i].ops * 1e9 / (double)slots[i].elapsed_ns;
		errors += slots[i].errors;
		total += slots[i].ops;
	}
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0)
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("%.0f ops/s %ld procs %.1f s %llu errors %.0f ops/cpu-s %llu ops\n", rate, procs,
	       seconds, (unsigned long long)errors, cpu > 0 ? (double)total / cpu : 0.0,
	       (unsigned long long)total);
	return status;
}
