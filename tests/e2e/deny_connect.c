// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test helper: attach to a cgroup v2 directory a cgroup/connect4 program that
 * refuses every IPv4 connect() with EPERM, the way third-party security
 * software does without netfilter. Legacy attach: it stays until the cgroup
 * is removed, so the helper can exit.
 *
 *   deny_connect [--multi] CGROUP_DIR
 *
 * Prints "prog_id N name NAME", as the kernel has the program (bpftool's
 * cgroup queries fail on 5.10 with Debian 12's bpftool).
 *
 * --multi attaches with BPF_F_ALLOW_MULTI, so that descendant cgroups may
 * have programs of their own (they run before this one).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

int main(int argc, char **argv)
{
	/* r0 = 0 (deny); exit */
	struct bpf_insn prog[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_CGROUP_INET4_CONNECT);
	int pfd, cfd, multi = argc == 3 && !strcmp(argv[1], "--multi");
	const char *dir = argv[argc - 1];

	if (argc != 2 && !multi) {
		fprintf(stderr, "usage: deny_connect [--multi] CGROUP_DIR\n");
		return 2;
	}
	pfd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "deny_connect4", "GPL", prog, 2, &opts);
	if (pfd < 0) {
		fprintf(stderr, "deny_connect: load: %s\n", strerror(-pfd));
		return 1;
	}
	cfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (cfd < 0 || bpf_prog_attach(pfd, cfd, BPF_CGROUP_INET4_CONNECT, multi ? BPF_F_ALLOW_MULTI : 0)) {
		fprintf(stderr, "deny_connect: attach to %s: %s\n", dir, strerror(errno));
		return 1;
	}
	{
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(pfd, &info, &len)) {
			fprintf(stderr, "deny_connect: prog info: %s\n", strerror(errno));
			return 1;
		}
		printf("prog_id %u name %s\n", info.id, info.name);
	}
	return 0;
}
