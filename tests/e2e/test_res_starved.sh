#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# agent_starved: the stand-in agent wakes every 5 ms and works 2 ms of CPU.
# Control: free to run, its run-queue waits are short and nothing is said.
# Then it is moved into a CPU cgroup with a 1% quota (1 ms per 100 ms: cpu.max
# on cgroup v2, cpu.cfs_quota_us on a v1 cpu hierarchy): its threads wait for
# the quota and agent_starved is diagnosed with the latency histogram.
. "$(dirname "$0")/lib.sh"

# make_cpucg NAME [PERIOD_US]: a CPU-limited cgroup with a quota of 1 ms per
# period (100 ms: 1%); its procs file in $CPU_PROCS
make_cpucg() {
	local period=${2:-100000}
	local v2
	v2=$(findmnt -n -t cgroup2 -o TARGET | head -1)
	if [ -n "$v2" ] && grep -qw cpu "$v2/cgroup.controllers" 2>/dev/null; then
		grep -qw cpu "$v2/cgroup.subtree_control" || echo +cpu >"$v2/cgroup.subtree_control"
		mkdir "$v2/$1" || fail "cannot create cgroup $v2/$1"
		CGROUPS+=("$v2/$1")
		echo "1000 $period" >"$v2/$1/cpu.max" || fail "cannot set cpu.max"
		CPU_PROCS=$v2/$1/cgroup.procs
	elif [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
		mkdir "/sys/fs/cgroup/cpu/$1" || fail "cannot create cgroup /sys/fs/cgroup/cpu/$1"
		CGROUPS+=("/sys/fs/cgroup/cpu/$1")
		echo "$period" >"/sys/fs/cgroup/cpu/$1/cpu.cfs_period_us"
		echo 1000 >"/sys/fs/cgroup/cpu/$1/cpu.cfs_quota_us" || fail "cannot set the CPU quota"
		CPU_PROCS=/sys/fs/cgroup/cpu/$1/cgroup.procs
	else
		fail "no CPU cgroup controller (v2 cpu.max or v1 cpu.cfs_quota_us) on this host"
	fi
}

# agent_samples N: at least N resources samples with the agent running
agent_samples() {
	[ "$(jq -s '[.[] | select(.type=="resources" and .agent_processes >= 1)] | length' "$OUT" 2>/dev/null)" -ge "$1" ]
}

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
make_cpucg "aegismon-e2e-starve-$$"
start_trace --resource-window 3 --starve-threshold 20
start_agent AliYunDun wakework 5 2000
agent=$LAST_PID

# control: 5 seconds free to run: no diagnosis, and the scheduler probes
# stay detached (the agent's mean run-queue wait is far below a tenth of
# the threshold), so the host's context switches do not pay for them
wait_for 15 agent_samples 5 || fail "no resources samples of the agent"
has_diag agent_starved && fail "agent_starved without a CPU limit (control run)"
grep -q "scheduler probes attached" "$ERR" && fail "scheduler probes attached while the agent ran freely"
[ "$(jq -s '[.[] | select(.type=="resources" and .runq != null)] | length' "$OUT")" = 0 ] ||
	fail "run-queue samples while the scheduler probes should be detached"

echo "$agent" >"$CPU_PROCS" || fail "cannot move the agent into the CPU cgroup"
wait_for 10 grep -q "scheduler probes attached: the agent's threads wait" "$ERR" ||
	fail "the scheduler probes were not attached when the agent began to wait"
wait_diag agent_starved true 15

assert_eq "$(diag agent_starved .severity)" warning "severity"
assert_eq "$(diag agent_starved .subject.process)" agent "subject"
assert_eq "$(diag agent_starved 'all(.evidence[]; .runq.p90_us >= 20000)')" true "p90 wait >= the threshold in the evidence"
assert_eq "$(diag agent_starved '.evidence[-1].runq.count > 0 and (.evidence[-1].runq.hist_log2_us | length) >= 15')" true "histogram"
assert_eq "$(diag agent_starved '.evidence[-1].agent_processes >= 1')" true "agent processes"
assert_match "$(diag agent_starved .summary)" '^agent threads waited to run: p90 run-queue wait at or above the threshold 20 ms \([0-9]+% of [0-9]+ waits now\) in every second for 3 s' "summary"
assert_eq "$(diag agent_starved '.evidence[-1].runq | .threshold_us == 20000 and .at_or_over_threshold * 10 >= .count')" true "waits over the threshold counted in the kernel"
[ "$(count_diag cpu_saturated)" = 0 ] || echo "   (note: the host CPU was saturated meanwhile)"
# free again: the probes are detached after the calm samples
echo "$agent" >"$(dirname "$CPU_PROCS")/../cgroup.procs" 2>/dev/null || kill -TERM "$agent"
wait_for 20 grep -q "scheduler probes detached" "$ERR" || fail "the scheduler probes stayed attached once the agent was free"
stop_trace
p90=$(diag agent_starved '.evidence[-1].runq.p90_us')
kill -TERM "$agent" 2>/dev/null
wait "$agent" 2>/dev/null

# the default threshold, 100 ms, against waits of about 119 ms (1 ms of CPU
# per 120 ms): in the log2 slot [65, 131) ms, whose lower bound a comparison
# by slot would take, so that only a count against the threshold itself says it
make_cpucg "aegismon-e2e-starve2-$$" 120000
start_trace --resource-window 3
start_agent AliYunDun wakework 5 2000
agent=$LAST_PID
echo "$agent" >"$CPU_PROCS" || fail "cannot move the agent into the CPU cgroup"
wait_diag agent_starved true 20
assert_match "$(diag agent_starved .summary)" 'at or above the threshold 100 ms \([0-9]+% of' "default threshold: summary"
assert_eq "$(diag agent_starved '.evidence[-1].runq.threshold_us')" 100000 "default threshold: the kernel's threshold"
echo "   default threshold: p90 slot from $(diag agent_starved '.evidence[-1].runq.p90_us') us, $(diag agent_starved '.evidence[-1].runq | "\(.at_or_over_threshold) of \(.count)"') waits at or above 100 ms"
kill -TERM "$agent"
stop_trace
pass "agent_starved under a 1% CPU quota (p90 $p90 us), and at the default 100 ms threshold; scheduler probes only while it waited"
