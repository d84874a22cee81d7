#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# third_party_security in the live diagnoses: (1) a kill sent by a known
# security product (a stand-in named like SafeDog's daemon) makes the product
# the primary cause, the kill explained by it; (2) a connect refused by a
# cgroup BPF policy while such a product runs names the product as the likely
# author.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_server hold
start_trace --grace 60

# 1. the product kills the agent
start_agent AliYunDun
victim=$LAST_PID
wait_for 5 grep -q '"type":"exec"' "$OUT" || fail "no exec event for the agent"
install -m 0755 "$(type -P kill)" "$WORK/safedog" # procps kill(1), renamed
"$WORK/safedog" -KILL "$victim"
wait_diag third_party_security ".subject.pid==$victim"
c=".subject.pid==$victim"
assert_eq "$(diag third_party_security .primary "$c")" true "third_party_security is primary"
assert_match "$(diag third_party_security .summary "$c")" "^SafeDog .* killed AliYunDun \\(pid $victim\\) with SIGKILL: its process pid [0-9]+ \\(safedog, uid 0\\)" "summary"
assert_eq "$(diag agent_killed .primary "$c")" false "the kill is not primary"
assert_eq "$(diag agent_killed .explained_by "$c")" third_party_security "the kill is explained"

# 2. a cgroup BPF policy refuses the agent's connect while a product runs
install -m 0755 "$FAKE" "$WORK/yunsuo_agent_service"
"$WORK/yunsuo_agent_service" run >/dev/null 2>&1 &
PIDS+=("$!")
product=$!
make_cg2 "aegismon-e2e-3p-$$"
"$REPO/build/tests/deny_connect" "$CG2" >/dev/null || fail "cannot attach the deny program"
sh -c 'echo $$ > "$1/cgroup.procs" && exec nsenter --net="/run/netns/$2" "$3" connect "$4" 80 1' \
	sh "$CG2" "$CNS" "$(agent_path AliYunDun)" "$SERVER_IP" >"$WORK/agent.out" 2>&1 &
pid=$!
PIDS+=("$pid")
wait_diag connect_blocked_policy ".subject.pid==$pid"
wait_diag third_party_security ".subject.pid==$pid"
assert_match "$(diag third_party_security .summary ".subject.pid==$pid")" "^Yunsuo .* runs here \\(yunsuo_agent_se, pid $product\\): the likely author of connect_blocked_policy" "summary"
stop_trace
pass "a product's kill is its diagnosis; a policy block names the running product"
