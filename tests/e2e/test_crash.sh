#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# agent_crashed: AliYunDun dereferences NULL (SIGSEGV from the kernel), and a
# second one calls abort() (SIGABRT it raises itself).
. "$(dirname "$0")/lib.sh"

ulimit -c 0
install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_trace --grace 60
start_agent AliYunDun crash 200
crasher=$LAST_PID
wait_diag agent_crashed ".subject.pid==$crasher"
c=".subject.pid==$crasher"
assert_eq "$(diag agent_crashed .subject.signal "$c")" SIGSEGV "signal"
assert_match "$(diag agent_crashed .summary "$c")" 'crashed with SIGSEGV' "summary"
assert_eq "$(diag agent_crashed '.evidence[0].si_code > 0' "$c")" true "kernel-generated fault (si_code > 0)"
[ "$(count_diag agent_killed)" = 0 ] || fail "a crash was reported as a kill"

start_agent AliYunDun abort 100
aborter=$LAST_PID
wait_diag agent_crashed ".subject.pid==$aborter"
assert_eq "$(diag agent_crashed .subject.signal ".subject.pid==$aborter")" SIGABRT "abort signal"

stop_trace
pass "SIGSEGV and SIGABRT are crashes"
