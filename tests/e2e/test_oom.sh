#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# agent_oom_killed: AliYunDun in a memory cgroup limited to 32 MiB allocates
# until the OOM killer picks it. The cgroup and its limit are named (cgroup v2,
# or v1's memory controller on a hybrid host), and a replay says the same.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
make_memcg "aegismon-e2e-oom-$$" $((32 * 1024 * 1024))
start_trace --grace 60 --record "$WORK/rec"
# join the cgroup, then become the agent (exec keeps the pid)
sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" oom' sh "$CG" "$(agent_path AliYunDun)" &
pid=$!
PIDS+=("$pid")
wait_diag agent_oom_killed ".subject.pid==$pid" 30
c=".subject.pid==$pid"
assert_eq "$(diag agent_oom_killed .subject.signal "$c")" SIGKILL "signal"
assert_match "$(diag agent_oom_killed .summary "$c")" "AliYunDun \\(pid $pid\\) killed by the OOM killer" "summary"
assert_eq "$(diag agent_oom_killed '[.evidence[].type] | index("oom_victim") != null' "$c")" true "oom_victim evidence"
[ "$(count_diag agent_killed ".subject.pid==$pid")" = 0 ] || fail "the OOM kill was also reported as a plain kill"
# the limit was the cause, not the host's memory: named
rel="/${CG##*/}"
assert_eq "$(diag agent_oom_killed .memcg.path "$c")" "$rel" "the memory cgroup"
assert_eq "$(diag agent_oom_killed .memcg.max_bytes "$c")" $((32 * 1024 * 1024)) "its limit"
[ "$(diag agent_oom_killed .memcg.limit_hits "$c")" -ge 1 ] || fail "the limit was never reached: $(diag agent_oom_killed .memcg "$c")"
assert_match "$(diag agent_oom_killed .summary "$c")" "its memory cgroup $rel reached its limit \\(32 MiB\\)" "summary names the limit"
assert_match "$(diag agent_oom_killed .advice "$c")" "MemoryMax=" "advice for a cgroup limit"
stop_trace
"$AEGISMON" replay "$WORK/rec" --json >"$WORK/replay.json" 2>"$WORK/replay.err" || true
live=$(diag agent_oom_killed '[.summary, .memcg]' "$c" | jq -c .)
replayed=$(jq -c -s --argjson p "$pid" '[.[] | select(.kind=="diagnosis" and .cause=="agent_oom_killed" and .subject.pid==$p)][0] | [.summary, .memcg]' "$WORK/replay.json")
assert_eq "$replayed" "$live" "the replay's OOM diagnosis"
pass "OOM kill in a memory cgroup"
