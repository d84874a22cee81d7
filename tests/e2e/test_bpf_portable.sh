#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The BPF objects hold nothing old kernels refuse before they run it: no
# global data (5.2) and no loop (5.3), in both builds (ring buffer and perf
# buffer). The DNS objects may loop: their name walk is bounded loops
# (5.3), and the family needs cgroup_skb and 5.3 anyway. The
# checker itself must catch both (a loop and a global made here).
. "$(dirname "$0")/lib.sh"

CHECK=$REPO/build/tests/bpf_portable
[ -x "$CHECK" ] || fail "$CHECK not built (make e2e-bins)"
objs=("$REPO"/build/*.bpf.o)
[ "${#objs[@]}" -ge 8 ] || fail "expected 4 objects in 2 builds, found ${#objs[@]}"
strict=() loops=()
for o in "${objs[@]}"; do
	case "$(basename "$o")" in
	dns*) loops+=("$o") ;;
	*) strict+=("$o") ;;
	esac
done
"$CHECK" "${strict[@]}" --allow-loops "${loops[@]}" 2>"$WORK/check.err" || fail "$(cat "$WORK/check.err")"

# the checker's own test: it must refuse both
VMLINUX_DIR=$REPO/vmlinux/$(uname -m)
cat >"$WORK/bad.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
int counter = 1;
SEC("raw_tp/sched_process_exit")
int spin(void *ctx)
{
	volatile int i, n = 0;

	for (i = 0; i < counter; i++)
		n += i;
	return n;
}
char LICENSE[] SEC("license") = "GPL";
C
clang -target bpf -O2 -g -I"$VMLINUX_DIR" -c "$WORK/bad.bpf.c" -o "$WORK/bad.bpf.o" || fail "cannot build the bad object"
if "$CHECK" "$WORK/bad.bpf.o" 2>"$WORK/bad.err"; then fail "the checker accepted a loop and a global"; fi
grep -q "global data" "$WORK/bad.err" || fail "no global data found: $(cat "$WORK/bad.err")"
grep -q "a loop" "$WORK/bad.err" || fail "no loop found: $(cat "$WORK/bad.err")"
pass "${#objs[@]} objects: no global data; no loop outside the DNS name walk"
