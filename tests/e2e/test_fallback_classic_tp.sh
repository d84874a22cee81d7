#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The lifecycle causes again with the lifecycle probes on classic tracepoints
# (sched:*, signal:signal_generate, oom:mark_victim), as on a kernel without
# raw tracepoints: AEGISMON_FORCE_CLASSIC_TP=1. lib.sh checks that the
# fallback is in use in each scenario.
set -u
export AEGISMON_FORCE_CLASSIC_TP=1 FALLBACK="classic tracepoints"
"$(dirname "$0")/scenarios.sh" test_exit test_killed test_crash test_oom test_not_running \
	test_flapping test_impostor || exit 1

# fork: a classic tracepoint gives the child's pid only; the child must be
# found (a process) and a new thread must not be taken for one
. "$(dirname "$0")/lib.sh"
install_agent AliYunDun
start_trace --grace 60
start_agent AliYunDun threads
tpid=$LAST_PID
start_agent AliYunDun storm 3
spid=$LAST_PID
wait "$spid"
forks() { jq -s --argjson p "$1" '[.[] | select(.kind=="event" and .type=="fork" and .ppid==$p)] | length' "$OUT"; }
wait_for 5 test "$(forks "$spid")" -ge 3 || fail "3 forks of the storm expected, saw $(forks "$spid")"
[ "$(forks "$tpid")" = 0 ] || fail "threads of pid $tpid were reported as forks"
stop_trace
pass "lifecycle causes on classic tracepoints; forks, not threads"
