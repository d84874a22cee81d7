#!/usr/bin/env bash
# connect_blocked_policy: a cgroup BPF program (as security software installs)
# refuses the agent's connect() with EPERM; netfilter drops nothing.
. "$(dirname "$0")/lib.sh"
# the hook the kernel matrix promises for this kernel (cgroup/connect4+6 from
# 5.18); test_fallback_connect.sh runs the same through the syscall tracepoints
: "${E2E_EXPECT_CONNECT:=$(kernel_connect_hook)}"

install_agent AliYunDun
net_rig
start_server hold
make_cg2 "aegismon-e2e-policy-$$"
"$REPO/build/tests/deny_connect" "$CG2" || fail "cannot attach the deny program"
start_trace --grace 60
# join the cgroup, enter the client namespace, become the agent: one pid throughout
sh -c 'echo $$ > "$1/cgroup.procs" && exec nsenter --net="/run/netns/$2" "$3" connect "$4" 80 1' \
	sh "$CG2" "$CNS" "$(agent_path AliYunDun)" "$SERVER_IP" >"$WORK/agent.out" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_diag connect_blocked_policy ".subject.pid==$pid"
c=".subject.pid==$pid"
assert_eq "$(diag connect_blocked_policy .subject.errno "$c")" EPERM "errno"
assert_eq "$(diag connect_blocked_policy .subject.daddr "$c")" "$SERVER_IP" "daddr"
assert_match "$(diag connect_blocked_policy .advice "$c")" "cgroup BPF" "advice"
grep -q "Operation not permitted" "$WORK/agent.out" || fail "the agent did not get EPERM: $(cat "$WORK/agent.out")"
stop_trace
[ "$(count_diag connect_blocked_local)" = 0 ] || fail "policy refusal taken for a netfilter drop"
pass "EPERM from cgroup BPF"
