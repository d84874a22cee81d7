#!/usr/bin/env bash
# Every probe family again through the perf buffer, as on a kernel before 5.8
# (no BPF ring buffer): AEGISMON_FORCE_PERFBUF=1. The scenarios exercise the
# lifecycle, network and DNS objects of the perf build; then a perf buffer
# overflowing (reader stopped, a 64 KiB buffer, an impostor storm) must show
# as events_lost in the next diagnosis, as a full ring buffer does.
set -u
export AEGISMON_FORCE_PERFBUF=1 FALLBACK="perf buffer"
"$(dirname "$0")/scenarios.sh" test_killed test_crash test_net_refused test_net_blocked \
	test_dns_answers || exit 1

. "$(dirname "$0")/lib.sh"
install_agent AliYunDun
mkdir -p "$WORK/evil"
install -m 0755 "$FAKE" "$WORK/evil/AliYunDun"
start_trace --grace 60 --ringbuf-size 64
kill -STOP "$TRACE_PID"
"$WORK/evil/AliYunDun" storm 2000 >/dev/null
kill -CONT "$TRACE_PID"
sleep 0.6 # the loss counter reaches the correlator with the next 250 ms tick
start_agent AliYunDun exit 77 0
wait "$LAST_PID"
wait_diag agent_exited ".subject.exit_code==77"
lost=$(diag agent_exited .events_lost ".subject.exit_code==77")
[ "$lost" -gt 0 ] || fail "the perf buffer overflowed but the diagnosis says events_lost=$lost"
stop_trace
echo "   perf buffer full: $lost events lost, said in the diagnosis"
pass "lifecycle, network and DNS through the perf buffer; its loss counted"
