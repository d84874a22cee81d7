// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Keeps the kernel's BPF run-time statistics (run_cnt, run_time_ns of every
 * program, as `bpftool prog show` prints them) enabled while it runs: holds the
 * BPF_ENABLE_STATS file descriptor until SIGINT or SIGTERM. Unlike the
 * kernel.bpf_stats_enabled sysctl, the statistics go off by themselves when this
 * process ends, however it ends. Prints "bpf_stats: on" on stderr when they are.
 *
 *     bpf_stats
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

int main(int argc, char **argv)
{
	sigset_t set;
	int fd, sig = 0;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: bpf_stats\n");
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0) {
		fprintf(stderr, "bpf_stats: BPF_ENABLE_STATS: %s\n", strerror(-fd));
		return 3;
	}
	fprintf(stderr, "bpf_stats: on\n");
	sigwait(&set, &sig);
	close(fd);
	return 0;
}
