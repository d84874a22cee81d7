#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# memory_exhausted, for real: the threshold is set a few points above what the
# host uses now, and a process started here allocates and touches enough
# memory to cross it (at most ~10% of MemTotal, never near the 40% limit);
# the diagnosis carries MemAvailable/MemTotal, the agent's RSS, and names the
# allocating process as the top RSS consumer.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun
total=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
avail=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
used_pct=$(((total - avail) * 100 / total))
threshold=$((used_pct + 4))
# to threshold + 3 points: margin for what other processes free meanwhile
mib=$(((threshold + 3) * total / 100 / 1024 - (total - avail) / 1024))
[ "$mib" -le $((total * 10 / 100 / 1024)) ] || fail "would allocate $mib MiB, more than 10% of MemTotal"
echo "   used ${used_pct}% now, threshold ${threshold}%, allocating $mib MiB"

start_trace --resource-window 3 --memory-threshold "$threshold"
wait_for 10 jq -e -s '[.[] | select(.type=="resources")] | length >= 2' "$OUT" >/dev/null \
	|| fail "no resources samples"
has_diag memory_exhausted && fail "memory_exhausted before any allocation"

"$FAKE" hog "$mib" >"$WORK/hog.out" &
hog=$!
PIDS+=("$hog")
wait_for 20 grep -q held "$WORK/hog.out" || fail "the allocation did not finish: $(cat "$WORK/hog.out")"
wait_diag memory_exhausted true 15
# the diagnosis may come while the allocation still runs (a slow, sanitized
# or busy host): its RSS figure is judged against what was in use then
hog_rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$hog/status")
kill -KILL "$hog"
wait "$hog" 2>/dev/null

assert_eq "$(diag memory_exhausted .severity)" warning "severity"
assert_eq "$(diag memory_exhausted .subject.process)" host "subject"
assert_eq "$(diag memory_exhausted "all(.evidence[]; .type==\"resources\" and .mem_used_pct >= $threshold)")" true "every evidence sample at >= ${threshold}% used"
assert_eq "$(diag memory_exhausted '.evidence[-1].mem_total_kib')" "$total" "MemTotal"
assert_eq "$(diag memory_exhausted '.evidence[-1].mem_available_kib < .evidence[-1].mem_total_kib')" true "MemAvailable"
assert_eq "$(diag memory_exhausted '.evidence[-1].agent_processes >= 1 and .evidence[-1].agent_rss_kib > 0')" true "agent RSS"
assert_eq "$(diag memory_exhausted '.evidence[-1].top_rss[0].pid')" "$hog" "largest RSS is the allocating process"
# at least half of what became used since the start, at most what it held at the end
assert_eq "$(diag memory_exhausted ".evidence[-1] | .top_rss[0].rss_kib * 2 >= $avail - .mem_available_kib and .top_rss[0].rss_kib <= $hog_rss")" true \
	"its RSS ($(diag memory_exhausted ".evidence[-1].top_rss[0].rss_kib") KiB; $((avail / 1024)) MiB were available at the start, $((hog_rss / 1024)) MiB held at the end)"
assert_match "$(diag memory_exhausted .summary)" "^host memory exhausted for 3 s: [0-9.]+% used \\(threshold ${threshold}\\.0%\\), .* available of .*; top: fake_agent \\(pid $hog\\)" "summary"
stop_trace
pass "memory_exhausted by a $mib MiB allocation (threshold ${threshold}%)"
