// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* What this kernel lets us attach, asked of the kernel itself. */
#include "kcaps.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

bool kcaps_tracepoint(const char *category, const char *name, const char *btf_path)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[256], type[128];
	struct btf *btf;
	bool yes;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		snprintf(path, sizeof(path), "%s/events", roots[i]);
		if (access(path, F_OK) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/events/%s/%s", roots[i], category, name);
		return access(path, F_OK) == 0;
	}
	btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!btf)
		return false;
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	yes = btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF) > 0;
	btf__free(btf);
	return yes;
}

int kcaps_trampoline(const char *func, char *why, size_t len)
{
	/* r0 = 0; exit */
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct btf *btf = btf__load_vmlinux_btf();
	int id, prog, link;

	if (!btf) {
		snprintf(why, len, "no kernel BTF");
		return 0;
	}
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	btf__free(btf);
	if (id <= 0) {
		snprintf(why, len, "%s is not in the kernel's BTF", func);
		return 0;
	}
	struct bpf_prog_load_opts opts = {
		.sz = sizeof(opts),
		.expected_attach_type = BPF_TRACE_FENTRY,
		.attach_btf_id = (__u32)id,
	};

	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "aegis_probe", "GPL", insns, 2, &opts);
	if (prog < 0) {
		snprintf(why, len, "an fentry program does not load (%s)", strerror(errno));
		return 0;
	}
	link = bpf_raw_tracepoint_open(NULL, prog);
	if (link < 0) {
		snprintf(why, len, "an fentry program does not attach (%s)", strerror(errno));
		close(prog);
		return 0;
	}
	close(link);
	close(prog);
	snprintf(why, len, "fentry attaches");
	return 1;
}
