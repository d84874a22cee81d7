#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# --btf FILE (kernels without /sys/kernel/btf/vmlinux): a minimal BTF made with
# bpftool gen min_core_btf for our objects carries every CO-RE relocation;
# trace attaches every probe with it and diagnoses a real kill; version
# --features reports the kernel's offers and the variant of each probe family
# (switches included); every fallback loads with the minimal BTF too; a
# missing file is exit 3.
. "$(dirname "$0")/lib.sh"

BPFTOOL=$(PATH="$PATH:/usr/sbin:/sbin" command -v bpftool) || fail "no bpftool"
"$BPFTOOL" gen min_core_btf /sys/kernel/btf/vmlinux "$WORK/min.btf" \
	"$REPO"/build/lifecycle.bpf.o "$REPO"/build/netpath.bpf.o "$REPO"/build/dns.bpf.o \
	"$REPO"/build/sched.bpf.o || fail "bpftool gen min_core_btf failed"
echo "   minimal BTF: $(stat -c %s "$WORK/min.btf") bytes"

# how many probes this kernel attaches at start with its own BTF (the load
# check of version --features): the minimal BTF must attach as many
full_count() {
	"$AEGISMON" version --features | sed -n 's/^  \([0-9]*\) probes attached in .*/\1/p'
}
want=$(full_count)
[ -n "$want" ] && [ "$want" -gt 0 ] || fail "version --features made no load check: $("$AEGISMON" version --features | tail -8)"

install_agent AliYunDun
start_agent AliYunDun
victim=$LAST_PID
start_trace --btf "$WORK/min.btf" --grace 60
probes=$(grep -o '[0-9]* probes attached in [0-9.]* ms' "$ERR")
echo "   with --btf: $probes (with the kernel's BTF: $want)"
assert_match "$probes" "^$want probes" "every probe attached with the minimal BTF (sockops, the drop and scheduler probes come on demand)"
kill -KILL "$victim"
wait_diag agent_killed ".subject.pid==$victim"
stop_trace

# the kernel matrix (tests/kernels/run.sh) also hands in a minimal BTF made on
# another host from this kernel's package, as README tells a user to make one:
# it serves as well as the kernel's own
if [ -n "${AEGISMON_TEST_HOST_BTF:-}" ]; then
	[ -s "$AEGISMON_TEST_HOST_BTF" ] || fail "no minimal BTF from the host at $AEGISMON_TEST_HOST_BTF"
	start_agent AliYunDun
	victim=$LAST_PID
	start_trace --btf "$AEGISMON_TEST_HOST_BTF" --grace 60
	assert_match "$(grep -o '[0-9]* probes attached' "$ERR")" "^$want probes" "every probe attached with the host-made BTF"
	kill -KILL "$victim"
	wait_diag agent_killed ".subject.pid==$victim"
	stop_trace
	echo "   a minimal BTF made on the host for $(uname -r): $(stat -c %s "$AEGISMON_TEST_HOST_BTF") bytes, $want probes"
fi

# an old kernel without BTF (ALinux 2, 4.19: no ring buffer, no drop reason):
# the minimal BTF serves the perf-buffer build and the classic tracepoints too
start_agent AliYunDun
victim=$LAST_PID
export AEGISMON_FORCE_PERFBUF=1 AEGISMON_FORCE_CLASSIC_TP=1 AEGISMON_FORCE_NO_DROP_REASON=1 AEGISMON_FORCE_SYSCALL_CONNECT=1
want=$(full_count)
start_trace --btf "$WORK/min.btf" --grace 60
unset AEGISMON_FORCE_PERFBUF AEGISMON_FORCE_CLASSIC_TP AEGISMON_FORCE_NO_DROP_REASON AEGISMON_FORCE_SYSCALL_CONNECT
assert_match "$(grep -o '[0-9]* probes attached' "$ERR")" "^$want probes" "every fallback probe attached with the minimal BTF"
kill -KILL "$victim"
wait_diag agent_killed ".subject.pid==$victim"
stop_trace

"$AEGISMON" trace --no-config --btf "$WORK/nonexistent.btf" --duration 1 >/dev/null 2>"$WORK/nobtf.err"
assert_eq "$?" 3 "exit status with a missing --btf file"
grep -q -- "--btf $WORK/nonexistent.btf: No such file" "$WORK/nobtf.err" || fail "no clear error: $(cat "$WORK/nobtf.err")"

"$AEGISMON" version --features >"$WORK/features.out" || fail "version --features failed"
# what every kernel of the matrix has (5.10 and later), then what the README's
# kernel matrix says of this one
by_kernel=()
if [ "$(kernel_connect_hook)" = "cgroup/connect4+6" ]; then
	by_kernel=("kfree_skb drop reason \\(5\\.17\\) *yes" "SKB_DROP_REASON_NETFILTER_DROP *[0-9]"
		"network    agent scope, TCP state by sockops" "drops      kfree_skb with its NETFILTER_DROP reason: kfree_skb has it"
		"connect\\(\\) via cgroup/connect4\\+6: cgroup/connect4\\+6 with bpf_get_retval"
		"socket errors by raw_tp inet_sk_error_report: the kernel has the tracepoint")
else
	by_kernel=("kfree_skb drop reason \\(5\\.17\\) *no" "BPF trampolines, fentry/fexit \\(5\\.5\\) *yes"
		"network    host scope, TCP state by raw_tp" "drops      kfree_skb, netfilter drops told by site .*: kfree_skb has no NETFILTER_DROP reason"
		"connect\\(\\) via fexit __sys_connect .*: no bpf_get_retval in cgroup programs .*; the kernel has BPF trampolines"
		"socket errors by fentry sock_def_error_report: no inet_sk_error_report tracepoint")
fi
for want in "BPF ring buffer \\(5\\.8\\) *yes" "output     ring buffer: the kernel has it" "lifecycle  raw_tp .*: the kernel has them" \
	"dns        cgroup_skb .*name walk: bounded loops" "scheduler  raw_tp sched_wakeup" \
	"lifecycle  loaded" "network    loaded" "dns        loaded" "scheduler  loaded" "[0-9]+ probes attached in" \
	"${by_kernel[@]}"; do
	grep -Eq "$want" "$WORK/features.out" || fail "version --features lacks '$want': $(cat "$WORK/features.out")"
done
# the variant each family uses follows the switches, and says why
AEGISMON_FORCE_PERFBUF=1 AEGISMON_FORCE_CLASSIC_TP=1 AEGISMON_FORCE_NO_DROP_REASON=1 \
	AEGISMON_FORCE_SYSCALL_CONNECT=1 "$AEGISMON" version --features >"$WORK/forced.out" || fail "version --features failed"
for want in "output     perf buffer: forced by AEGISMON_FORCE_PERFBUF" \
	"lifecycle  classic tracepoints .*: forced by AEGISMON_FORCE_CLASSIC_TP" \
	"drops      .*told by site .*: forced by AEGISMON_FORCE_NO_DROP_REASON" \
	"network    host scope, TCP state by raw_tp .*" \
	"tcp_receive_reset: the agent scope needs connect\(\) by cgroup/connect4\+6" \
	"connect\(\) via the syscall tracepoints .*: forced by AEGISMON_FORCE_SYSCALL_CONNECT"; do
	grep -Eq "$want" "$WORK/forced.out" || fail "version --features lacks '$want': $(cat "$WORK/forced.out")"
done
"$AEGISMON" version --features --btf "$WORK/min.btf" | grep -q "^BTF: $WORK/min.btf" || fail "--features ignores --btf"
pass "--btf with a minimal BTF, version --features"
