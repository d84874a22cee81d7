#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# connect_blocked_policy: a cgroup BPF program (as security software installs)
# refuses the agent's connect() with EPERM; netfilter drops nothing. The
# diagnosis names the program (id and name as the kernel has them) and the
# cgroup it is attached at, never one of aegismon's own programs.
. "$(dirname "$0")/lib.sh"
# the hook the kernel matrix promises for this kernel (cgroup/connect4+6 from
# 5.18); test_fallback_connect.sh runs the same through the syscall tracepoints
: "${E2E_EXPECT_CONNECT:=$(kernel_connect_hook)}"

install_agent AliYunDun
net_rig
start_server hold
make_cg2 "aegismon-e2e-policy-$$"
"$REPO/build/tests/deny_connect" "$CG2" >"$WORK/deny.out" || fail "cannot attach the deny program"
# its id and name as the kernel has them (bpftool's cgroup queries fail on
# 5.10 with Debian 12's bpftool)
read -r _ deny_id _ deny_name <"$WORK/deny.out"
[[ "$deny_id" =~ ^[0-9]+$ ]] && [ "$deny_name" = deny_connect4 ] || fail "the deny program: $(cat "$WORK/deny.out")"
start_trace --grace 60
# join the cgroup, enter the client namespace, become the agent: one pid throughout;
# it stays after its connect, to be looked at
sh -c 'echo $$ > "$1/cgroup.procs" && exec nsenter --net="/run/netns/$2" "$3" connectstay "$4" 80 0' \
	sh "$CG2" "$CNS" "$(agent_path AliYunDun)" "$SERVER_IP" >"$WORK/agent.out" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_diag connect_blocked_policy ".subject.pid==$pid"
c=".subject.pid==$pid"
assert_eq "$(diag connect_blocked_policy .subject.errno "$c")" EPERM "errno"
assert_eq "$(diag connect_blocked_policy .subject.daddr "$c")" "$SERVER_IP" "daddr"
assert_match "$(diag connect_blocked_policy .advice "$c")" "cgroup BPF" "advice"
assert_eq "$(diag connect_blocked_policy .policy.mechanism "$c")" cgroup_bpf "mechanism"
assert_eq "$(diag connect_blocked_policy .policy.prog_id "$c")" "$deny_id" "the program's id"
assert_eq "$(diag connect_blocked_policy .policy.prog_name "$c")" "$deny_name" "the program's name"
assert_eq "$(diag connect_blocked_policy .policy.cgroup "$c")" "$CG2" "the cgroup it is attached at"
assert_match "$(diag connect_blocked_policy .summary "$c")" \
	"cgroup BPF program $deny_id '$deny_name' on $CG2 refuses it" "summary"
# aegismon's own programs (the fds it holds) are never named
own=$(grep -h '^prog_id:' /proc/"$TRACE_PID"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u)
[ -n "$own" ] || fail "cannot list aegismon's own programs"
for id in $(jq -r 'select(.kind=="diagnosis" and .policy.prog_id) | .policy.prog_id' "$OUT"); do
	if grep -qx "$id" <<<"$own"; then fail "aegismon's own program $id named as the refuser"; fi
done
grep -q "Operation not permitted" "$WORK/agent.out" || fail "the agent did not get EPERM: $(cat "$WORK/agent.out")"
# an agent under no seccomp filter and no confining label cannot be refused
# before the network probes: the syscall exit probe, which would tax every
# syscall of the host, stays detached
grep -q "refused-connect probe attached" "$ERR" && fail "the exit probe was attached for an unconfined agent"
# (the syscall path, a fallback, has its own tracepoints on connect: not this)
if ! grep -q "connect() via syscall tracepoints" "$ERR" && bpftool perf list >"$WORK/perf.list" 2>/dev/null; then
	grep -Eq "^pid $TRACE_PID +fd [0-9]+: prog_id [0-9]+ +tracepoint +sys_exit_connect" "$WORK/perf.list" &&
		fail "sys_exit_connect is attached with no confined agent"
fi
stop_trace
[ "$(count_diag connect_blocked_local ".subject.pid==$pid")" = 0 ] || fail "policy refusal taken for a netfilter drop"
pass "EPERM from cgroup BPF program $deny_id '$deny_name', named"
