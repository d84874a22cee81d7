// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Test helper: check BPF objects for what old kernels refuse, before any
 * kernel sees them.
 *   - global data (.data, .rodata, .bss, .kconfig maps): kernels before 5.2
 *     have none, and libbpf 1.1 then fails every program that uses it;
 *   - loops (a back edge in a program's control flow): verifiers before 5.3
 *     refuse them. A callback given to bpf_loop is its own subprogram and
 *     needs 5.17 anyway.
 *
 *   bpf_portable [--allow-loops] OBJ...
 *                           exit 0 when every object is clean, 1 otherwise;
 *                           --allow-loops: for the objects after it, which
 *                           need a newer kernel anyway (the DNS family, 5.3)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

enum { WHITE, GREY, BLACK };

static bool is_jump(const struct bpf_insn *in)
{
	unsigned cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

/* Successors of instruction i (at most two); a call returns to the next one. */
static int successors(const struct bpf_insn *insns, size_t n, size_t i, size_t out[2])
{
	const struct bpf_insn *in = &insns[i];
	size_t next = i + (in->code == (BPF_LD | BPF_IMM | BPF_DW) ? 2 : 1);
	int k = 0;

	if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_EXIT)
		return 0;
	if (is_jump(in)) {
		long t = (long)i + 1 + in->off;

		if (t >= 0 && (size_t)t < n)
			out[k++] = (size_t)t;
		if (BPF_OP(in->code) == BPF_JA)
			return k;
	}
	if (next < n)
		out[k++] = next;
	return k;
}

/* Depth-first search without recursion; a grey target is a back edge. */
static bool has_loop(const struct bpf_insn *insns, size_t n, size_t *from, size_t *to)
{
	unsigned char *color = calloc(n, 1);
	size_t *stack = calloc(n, sizeof(*stack)), *edge = calloc(n, sizeof(*edge));
	size_t sp = 0;
	bool loop = false;

	if (!color || !stack || !edge || n == 0)
		goto out;
	stack[sp++] = 0;
	color[0] = GREY;
	while (sp && !loop) {
		size_t u = stack[sp - 1], succ[2];
		int k = successors(insns, n, u, succ);

		if (edge[u] >= (size_t)k) {
			color[u] = BLACK;
			sp--;
			continue;
		}
		size_t v = succ[edge[u]++];

		if (color[v] == GREY) {
			*from = u;
			*to = v;
			loop = true;
		} else if (color[v] == WHITE) {
			color[v] = GREY;
			stack[sp++] = v;
		}
	}
out:
	free(color);
	free(stack);
	free(edge);
	return loop;
}

static int check(const char *path, bool allow_loops)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);
	struct bpf_program *prog;
	struct bpf_map *map;
	int bad = 0;

	if (!obj) {
		fprintf(stderr, "%s: cannot open\n", path);
		return 1;
	}
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map)) {
			fprintf(stderr, "%s: global data (%s): kernels before 5.2 cannot load it\n", path,
				bpf_map__name(map));
			bad = 1;
		}
	}
	bpf_object__for_each_program(prog, obj) {
		size_t from, to;

		if (!allow_loops && has_loop(bpf_program__insns(prog), bpf_program__insn_cnt(prog), &from, &to)) {
			fprintf(stderr, "%s: %s: a loop (insn %zu back to %zu): verifiers before 5.3 refuse it\n",
				path, bpf_program__name(prog), from, to);
			bad = 1;
		}
	}
	bpf_object__close(obj);
	return bad;
}

int main(int argc, char **argv)
{
	bool allow_loops = false;
	int bad = 0;

	libbpf_set_print(NULL);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--allow-loops"))
			allow_loops = true;
		else
			bad |= check(argv[i], allow_loops);
	}
	return bad;
}
