#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
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
overflow_events "the perf buffer overflowed"
stop_trace
echo "   perf buffer full: $lost events lost, said in the diagnosis"
pass "lifecycle, network and DNS through the perf buffer; its loss counted"
