#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# connect_blocked_policy from a seccomp filter: a child of the agent installs a
# filter that fails connect() with EPERM (as a unit's SystemCallFilter= or a
# container's profile does). The syscall never runs, so no network probe of
# the connect path sees it: the sys_exit_connect probe does (the address from
# the syscall's saved registers, 5.15+), and
# the diagnosis names seccomp from the child's /proc status. A child that exits
# at once is said to be gone, with no mechanism made up. A replay of the
# session says the same (what was seen live is recorded).
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_server hold
REC=$WORK/session.rec
start_trace --grace 60 --record "$REC"

# the child stays 5 s after its refused connect: time to be looked at; it
# tries again 1.5 s later, as an agent does (the exit probe is attached within
# a second of the filter, when the child is seen confined)
client_agent seccompconnect "$SERVER_IP" 80 5000
first=$LAST_PID
wait_for 5 grep -q '^child ' "$WORK/agent.out" || fail "no child: $(cat "$WORK/agent.out")"
child=$(sed -n 's/^child //p' "$WORK/agent.out" | head -1)
wait_diag connect_blocked_policy ".subject.pid==$child"
c=".subject.pid==$child"
assert_eq "$(diag connect_blocked_policy .policy.mechanism "$c")" seccomp "mechanism"
assert_eq "$(diag connect_blocked_policy .policy.filters "$c")" 1 "filters"
assert_eq "$(diag connect_blocked_policy .subject.errno "$c")" EPERM "errno"
assert_eq "$(diag connect_blocked_policy '.evidence[0].before_hook' "$c")" true "seen before the connect probes"
if kernel_at_least 5 15; then
	# read from the syscall's saved arguments (bpf_task_pt_regs)
	assert_eq "$(diag connect_blocked_policy .subject.daddr "$c")" "$SERVER_IP" "daddr"
	assert_eq "$(diag connect_blocked_policy .subject.dport "$c")" 80 "dport"
else
	assert_eq "$(diag connect_blocked_policy .subject.address_known "$c")" false "address unknown"
fi
assert_match "$(diag connect_blocked_policy .summary "$c")" "a seccomp filter \(1\) confines the process" "summary"
grep -q "failed: Operation not permitted" "$WORK/agent.out" || fail "the child did not get EPERM: $(cat "$WORK/agent.out")"

grep -q "refused-connect probe attached: agent process $child is confined" "$ERR" ||
	grep -q "connect() via syscall tracepoints" "$ERR" ||
	fail "the exit probe was not attached for the confined child: $(cat "$ERR")"
if ! grep -q "connect() via syscall tracepoints" "$ERR" && bpftool perf list >"$WORK/perf.list" 2>/dev/null; then
	grep -Eq "^pid $TRACE_PID +fd [0-9]+: prog_id [0-9]+ +tracepoint +sys_exit_connect" "$WORK/perf.list" ||
		fail "sys_exit_connect is not attached while the child is confined: $(cat "$WORK/perf.list")"
fi

# a child gone before it is looked at: said so, no mechanism invented. After
# the first is done, so its second try is not the last refusal the repeats
# of this endpoint fold into.
wait "$first"
: >"$WORK/agent.out"
client_agent seccompconnect "$SERVER_IP" 80 0
wait_for 5 grep -q '^child ' "$WORK/agent.out" || fail "no second child: $(cat "$WORK/agent.out")"
gone=$(sed -n 's/^child //p' "$WORK/agent.out" | head -1)
wait_diag connect_blocked_policy ".subject.pid==$gone"
g=".subject.pid==$gone"
mech=$(diag connect_blocked_policy .policy.mechanism "$g")
if [ "$mech" = unknown ]; then
	assert_eq "$(diag connect_blocked_policy .policy.process_exited "$g")" true "gone: process_exited"
	assert_match "$(diag connect_blocked_policy .summary "$g")" "exited before it could be inspected" "gone: summary"
else
	# the worker was quicker than the child's exit: then it saw the filter
	assert_eq "$mech" seccomp "gone: mechanism"
fi
stop_trace
ours=".subject.pid==$child or .subject.pid==$gone"
[ "$(count_diag connect_blocked_local "$ours")" = 0 ] || fail "a seccomp refusal taken for a netfilter drop"
[ "$(count_diag connect_blocked_policy "($ours) and .policy.mechanism==\"cgroup_bpf\"")" = 0 ] ||
	fail "a seccomp refusal blamed on a cgroup BPF program"
# the replay: the same words and policy for the child, from the record
"$AEGISMON" replay "$REC" --json >"$WORK/replay.out" 2>"$WORK/replay.err"
live=$(diag connect_blocked_policy '[.summary, .policy]' "$c" | jq -c .)
replayed=$(jq -c -s --arg c "$child" '[.[] | select(.kind=="diagnosis" and .cause=="connect_blocked_policy" and .subject.pid==($c|tonumber))][0] | [.summary, .policy]' "$WORK/replay.out")
assert_eq "$replayed" "$live" "replayed policy"
pass "EPERM from seccomp, named; a child gone before inspection said so; replayed alike"
