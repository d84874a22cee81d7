#!/usr/bin/env bash
# agent_oom_killed: AliYunDun in a memory cgroup limited to 32 MiB allocates
# until the OOM killer picks it.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
make_memcg "aegismon-e2e-oom-$$" $((32 * 1024 * 1024))
start_trace --grace 60
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
stop_trace
pass "OOM kill in a memory cgroup"
