// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loads tests/bench/empty.bpf.c, attaches every program, prints
 * "empty_probes: N probes attached in X ms" on stderr and waits for SIGINT or
 * SIGTERM. The "empty BPF programs" row of the bench.
 *
 *     empty_probes [-v] [HOOK...]
 *
 * With HOOKs (tracepoint names: sys_enter_connect, kfree_skb, ...) only those
 * programs are loaded: the cost of one hook at a time.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "empty.skel.h"

static int verbose;

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Is the program's tracepoint (the last part of its section) one of hooks? */
static int wanted(const struct bpf_program *prog, char **hooks, int nhooks)
{
	const char *sec = bpf_program__section_name(prog);
	const char *tp = strrchr(sec, '/');

	tp = tp ? tp + 1 : sec;
	for (int i = 0; i < nhooks; i++)
		if (strcmp(tp, hooks[i]) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct empty_bpf *skel;
	struct bpf_program *prog;
	sigset_t set;
	double t0 = now_ms();
	int n = 0, sig = 0, argi = 1;

	if (argi < argc && strcmp(argv[argi], "-v") == 0) {
		verbose = 1;
		argi++;
	}
	if (argi < argc && argv[argi][0] == '-') {
		fprintf(stderr, "usage: %s [-v] [HOOK...]\n", argv[0]);
		return 2;
	}
	/* block the stop signals before anything can be attached */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	libbpf_set_print(print_fn);

	skel = empty_bpf__open();
	if (!skel) {
		fprintf(stderr, "empty_probes: open failed: %s\n", strerror(errno));
		return 3;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		if (argi < argc && !wanted(prog, argv + argi, argc - argi)) {
			bpf_program__set_autoload(prog, false);
			bpf_program__set_autoattach(prog, false);
		} else {
			n++;
		}
	}
	if (!n) {
		fprintf(stderr, "empty_probes: no program matches\n");
		empty_bpf__destroy(skel);
		return 2;
	}
	if (empty_bpf__load(skel)) {
		fprintf(stderr, "empty_probes: load failed: %s\n", strerror(errno));
		empty_bpf__destroy(skel);
		return 3;
	}
	if (empty_bpf__attach(skel)) {
		fprintf(stderr, "empty_probes: attach failed: %s\n", strerror(errno));
		empty_bpf__destroy(skel);
		return 3;
	}
	fprintf(stderr, "empty_probes: %d probes attached in %.1f ms\n", n, now_ms() - t0);
	sigwait(&set, &sig);
	empty_bpf__destroy(skel);
	return 0;
}
