#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# cpu_saturated: one busy loop per CPU, started here, for longer than a
# 3-second window; the diagnosis carries the host figures, the agent's own
# share and the busy loops as the top consumers.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun
agent=$LAST_PID
wait_for 5 grep -q AliYunDun "/proc/$agent/comm" || fail "stand-in agent did not start"
# bad values are usage errors (exit 2) that name the option
"$AEGISMON" trace --cpu-threshold 0 >/dev/null 2>"$WORK/usage.err"
assert_eq "$?" 2 "exit status of --cpu-threshold 0"
grep -q -- "--cpu-threshold: '0' is not a percentage (1-100)" "$WORK/usage.err" || fail "usage message: $(cat "$WORK/usage.err")"
"$AEGISMON" trace --starve-threshold 5ms >/dev/null 2>&1
assert_eq "$?" 2 "exit status of --starve-threshold 5ms"
# a kernel that refuses the scheduler object: named, and the rest runs
AEGISMON_TEST_NO_SCHED=1 "$AEGISMON" trace --json --events --agent-root "$ROOT" --duration "$(scaled 3)" >"$WORK/nosched.out" 2>"$WORK/nosched.err"
grep -Eq "[0-9]+ probes attached.*1 failed to attach: scheduler probes \(Operation not supported\)" "$WORK/nosched.err" \
	|| fail "no-scheduler run: $(cat "$WORK/nosched.err")"
jq -e -s '[.[] | select(.type=="resources")][0] | .runq == null and .cpu_busy_pct != null' "$WORK/nosched.out" >/dev/null \
	|| fail "no-scheduler run: no resources sample without runq"

start_trace --resource-window 3
# calm first: a few samples without the loops must not make it
wait_for 10 jq -e -s '[.[] | select(.type=="resources")] | length >= 2' "$OUT" >/dev/null \
	|| fail "no resources samples"

loops=()
for _ in $(seq "$(nproc)"); do
	"$FAKE" spin &
	loops+=("$!")
	PIDS+=("$!")
done
wait_diag cpu_saturated true 15
for p in "${loops[@]}"; do kill -KILL "$p"; wait "$p" 2>/dev/null; done

assert_eq "$(diag cpu_saturated .severity)" warning "severity"
assert_eq "$(diag cpu_saturated .subject.process)" host "subject"
assert_eq "$(diag cpu_saturated 'all(.evidence[]; .type=="resources" and .cpu_busy_pct >= 95)')" true "every evidence sample at >= 95% busy"
assert_eq "$(diag cpu_saturated '.evidence[-1].ncpu')" "$(nproc)" "ncpu"
assert_eq "$(diag cpu_saturated '.evidence[-1].agent_processes >= 1')" true "agent processes sampled"
assert_eq "$(diag cpu_saturated '.evidence[-1].agent_rss_kib > 0')" true "agent RSS"
[ "$(diag cpu_saturated '.evidence[-1].psi_cpu_some_avg10')" != "" ] || fail "no PSI cpu figure"
top=$(diag cpu_saturated '[.evidence[-1].top_cpu[].pid] | map(tostring) | join(" ")')
found=0
for p in "${loops[@]}"; do [[ " $top " == *" $p "* ]] && found=1; done
[ "$found" = 1 ] || fail "top CPU consumers ($top) do not name a busy loop (${loops[*]})"
assert_match "$(diag cpu_saturated .summary)" '^host CPU busy >= 95.0% for 3 s \(min [0-9.]+%, mean [0-9.]+%; load [0-9.]+ on [0-9]+ CPUs\); agent: .* RSS; top: ' "summary"
[ "$(count_diag cpu_saturated)" = 1 ] || fail "reported more than once"
stop_trace
pass "cpu_saturated by $(nproc) busy loops, top: $top"
