// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loads tests/bench/empty.bpf.c, attaches every program, prints
 * "empty_probes: N probes attached in X ms" on stderr and waits for SIGINT or
 * SIGTERM. The "empty BPF programs" row of the bench.
 *
 *     empty_probes [-v] [-c CGROUP_DIR [-R]] [-x HOOK]... [HOOK...]
 *
 * With HOOKs (tracepoint names: sys_enter_connect, kfree_skb, ...; egress and
 * ingress for the cgroup_skb programs, connect4 and connect6 for the
 * cgroup/connect ones, sockops, sock_release) only those programs are loaded:
 * the cost of one hook at a time. -x HOOK leaves that one out (repeatable):
 * the bench mirrors aegismon's connect() hooks, the syscall tracepoints or the
 * cgroup programs, and leaves the other set out. The cgroup programs
 * (cgroup_skb, cgroup/connect4, connect6, sockops, cgroup/sock_release) go on
 * the cgroup v2 root as aegismon's do, or with -c on CGROUP_DIR (a cgroup v2
 * directory: the agent's cgroup, where aegismon puts them when it watches only
 * the agent), each with a BPF link (several programs may share the hook).
 * -R also puts the connect4 and connect6 programs on the root, as aegismon's
 * agent scope does with its two companions there.
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
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

#define MAX_EXCLUDED 24
#define MAX_CGROUP_LINKS 12

/* Is the program's hook (the last part of its section) one of hooks? */
static int listed(const struct bpf_program *prog, char **hooks, int nhooks)
{
	const char *sec = bpf_program__section_name(prog);
	const char *tp = strrchr(sec, '/');

	tp = tp ? tp + 1 : sec;
	for (int i = 0; i < nhooks; i++)
		if (strcmp(tp, hooks[i]) == 0)
			return 1;
	return 0;
}

/* The cgroup v2 root (a cgroup2 mount), or -1. */
static int open_cgroup2_root(void)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int fd = -1;

	if (!f)
		return -1;
	while ((m = getmntent(f)))
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			fd = open(m->mnt_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			break;
		}
	endmntent(f);
	return fd;
}

/* Programs attached to a cgroup (by us, below), not by the skeleton. */
static int is_cgroup_prog(const struct bpf_program *prog)
{
	enum bpf_prog_type t = bpf_program__type(prog);

	return t == BPF_PROG_TYPE_CGROUP_SKB || t == BPF_PROG_TYPE_CGROUP_SOCK_ADDR ||
	       t == BPF_PROG_TYPE_SOCK_OPS || t == BPF_PROG_TYPE_CGROUP_SOCK;
}

int main(int argc, char **argv)
{
	struct bpf_link *cg_links[MAX_CGROUP_LINKS] = { NULL };
	char *excluded[MAX_EXCLUDED];
	int cg_fd = -1, ncg = 0, nexcl = 0;
	struct empty_bpf *skel;
	struct bpf_program *prog;
	const char *cg_dir = NULL;
	int companions = 0, root_fd = -1;
	sigset_t set;
	double t0 = now_ms();
	int n = 0, sig = 0, argi = 1;

	if (argi < argc && strcmp(argv[argi], "-v") == 0) {
		verbose = 1;
		argi++;
	}
	if (argi + 1 < argc && strcmp(argv[argi], "-c") == 0) {
		cg_dir = argv[argi + 1];
		argi += 2;
		if (argi < argc && strcmp(argv[argi], "-R") == 0) {
			companions = 1;
			argi++;
		}
	}
	while (argi + 1 < argc && strcmp(argv[argi], "-x") == 0 && nexcl < MAX_EXCLUDED) {
		excluded[nexcl++] = argv[argi + 1];
		argi += 2;
	}
	if (argi < argc && argv[argi][0] == '-') {
		fprintf(stderr, "usage: %s [-v] [-c CGROUP_DIR [-R]] [-x HOOK]... [HOOK...]\n", argv[0]);
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
		if ((argi < argc && !listed(prog, argv + argi, argc - argi)) ||
		    listed(prog, excluded, nexcl)) {
			bpf_program__set_autoload(prog, false);
			bpf_program__set_autoattach(prog, false);
		} else {
			n++;
		}
		if (is_cgroup_prog(prog))
			bpf_program__set_autoattach(prog, false); /* below, on the cgroup */
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
	bpf_object__for_each_program(prog, skel->obj) {
		if (!is_cgroup_prog(prog) || !bpf_program__autoload(prog) || ncg == MAX_CGROUP_LINKS)
			continue;
		if (cg_fd < 0)
			cg_fd = cg_dir ? open(cg_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
				       : open_cgroup2_root();
		cg_links[ncg] = cg_fd >= 0 ? bpf_program__attach_cgroup(prog, cg_fd) : NULL;
		if (!cg_links[ncg]) {
			fprintf(stderr, "empty_probes: %s: cannot attach to %s%s: %s\n",
				bpf_program__name(prog), cg_dir ? cg_dir : "the cgroup v2 root",
				cg_fd < 0 && !cg_dir ? " (no cgroup2 mount)" : "", strerror(errno));
			for (int i = 0; i < ncg; i++)
				bpf_link__destroy(cg_links[i]);
			empty_bpf__destroy(skel);
			return 3;
		}
		ncg++;
		if (!companions || bpf_program__type(prog) != BPF_PROG_TYPE_CGROUP_SOCK_ADDR ||
		    ncg == MAX_CGROUP_LINKS)
			continue;
		if (root_fd < 0)
			root_fd = open_cgroup2_root();
		cg_links[ncg] = root_fd >= 0 ? bpf_program__attach_cgroup(prog, root_fd) : NULL;
		if (!cg_links[ncg]) {
			fprintf(stderr, "empty_probes: %s: cannot attach to the cgroup v2 root: %s\n",
				bpf_program__name(prog), strerror(errno));
			for (int i = 0; i < ncg; i++)
				bpf_link__destroy(cg_links[i]);
			empty_bpf__destroy(skel);
			return 3;
		}
		ncg++;
	}
	fprintf(stderr, "empty_probes: %d probes attached in %.1f ms\n", n, now_ms() - t0);
	sigwait(&set, &sig);
	for (int i = 0; i < ncg; i++)
		bpf_link__destroy(cg_links[i]);
	if (cg_fd >= 0)
		close(cg_fd);
	if (root_fd >= 0)
		close(root_fd);
	empty_bpf__destroy(skel);
	return 0;
}
