/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared harness of the bench storms: parse -d SECONDS and -j PROCS, fork the
 * workers, release them together, let each run its operation in a loop until
 * the deadline, and print the summed rate on stdout:
 *
 *     <ops/s> ops/s <procs> procs <seconds> s <errors> errors <ops/cpu-s> ops/cpu-s <ops> ops
 *
 * The last figure divides the ops by the CPU time (user + system) the workers
 * and their reaped children used: less sensitive to other load on the host.
 */
#ifndef AEGISMON_BENCH_STORM_H
#define AEGISMON_BENCH_STORM_H

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STORM_MAX_PROCS 256

struct storm_slot {
	uint64_t ops;
	uint64_t errors;
	uint64_t elapsed_ns;
};

/* One operation; returns 0 when it went as expected, -1 otherwise. */
typedef int (*storm_op_fn)(void *arg);

static uint64_t storm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void storm_worker(struct storm_slot *slot, int start_fd, double seconds,
			 storm_op_fn op, void *arg)
{
	char c;
	uint64_t t0, deadline, now, ops = 0, errors = 0;

	/* the parent closes its end to release every worker at once */
	while (read(start_fd, &c, 1) < 0 && errno == EINTR)
		;
	t0 = storm_now_ns();
	deadline = t0 + (uint64_t)(seconds * 1e9);
	do {
		for (int i = 0; i < 32; i++) {
			if (op(arg))
				errors++;
			ops++;
		}
		now = storm_now_ns();
	} while (now < deadline);
	slot->ops = ops;
	slot->errors = errors;
	slot->elapsed_ns = now - t0;
}

static void storm_usage(const char *prog, const char *extra)
{
	fprintf(stderr, "usage: %s [-d SECONDS] [-j PROCS]%s\n", prog, extra);
	exit(2);
}

/* Runs the storm; returns the exit status for main. */
static int storm_run(double seconds, long procs, storm_op_fn op, void *arg)
{
	struct storm_slot *slots;
	int start[2];
	double rate = 0, cpu = 0;
	uint64_t errors = 0, total_ops = 0;
	struct rusage ru;
	pid_t pids[STORM_MAX_PROCS];
	int status = 0;

	slots = mmap(NULL, sizeof(*slots) * (size_t)procs, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (slots == MAP_FAILED || pipe(start)) {
		perror("storm: setup");
		return 1;
	}
	for (long i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("storm: fork");
			return 1;
		}
		if (pids[i] == 0) {
			close(start[1]);
			storm_worker(&slots[i], start[0], seconds, op, arg);
			_exit(0);
		}
	}
	close(start[0]);
	close(start[1]);
	for (long i = 0; i < procs; i++) {
		int st;

		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			status = 1;
		if (slots[i].elapsed_ns)
			rate += (double)slots[i].ops * 1e9 / (double)slots[i].elapsed_ns;
		errors += slots[i].errors;
	}
	if (getrusage(RUSAGE_CHILDREN, &ru) == 0) {
		cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	}
	for (long i = 0; i < procs; i++)
		total_ops += slots[i].ops;
	printf("%.0f ops/s %ld procs %.1f s %llu errors %.0f ops/cpu-s %llu ops\n", rate, procs,
	       seconds, (unsigned long long)errors, cpu > 0 ? (double)total_ops / cpu : 0.0,
	       (unsigned long long)total_ops);
	return status;
}

/* Parses -d and -j plus the storm's own options (handled by `other`). */
static void storm_parse(int argc, char **argv, const char *optstring, const char *extra,
			double *seconds, long *procs, void (*other)(int opt, const char *val))
{
	char opts[64];
	int opt;

	*seconds = 3.0;
	*procs = sysconf(_SC_NPROCESSORS_ONLN);
	if (*procs < 1)
		*procs = 1;
	snprintf(opts, sizeof(opts), "d:j:h%s", optstring);
	while ((opt = getopt(argc, argv, opts)) != -1) {
		char *end;

		switch (opt) {
		case 'd':
			*seconds = strtod(optarg, &end);
			if (*end || *seconds <= 0 || *seconds > 3600)
				storm_usage(argv[0], extra);
			break;
		case 'j':
			*procs = strtol(optarg, &end, 10);
			if (*end || *procs < 1 || *procs > STORM_MAX_PROCS)
				storm_usage(argv[0], extra);
			break;
		case 'h':
			storm_usage(argv[0], extra);
			break;
		default:
			if (!other || !strchr(optstring, opt))
				storm_usage(argv[0], extra);
			other(opt, optarg);
		}
	}
	if (optind != argc)
		storm_usage(argv[0], extra);
}

#endif /* AEGISMON_BENCH_STORM_H */
