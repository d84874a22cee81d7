#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The verdict names the cause of the outage (issue #23): the agent is killed,
# then an impostor under the agent's name (an unprivileged user's copy) has
# its connects refused beside it. The impostor's refusals are its own
# (subject.impostor), never the verdict, though they come last and are as
# severe; agent_not_running names the kill by its id; the JSON summary and
# the text report of the replay say agent_killed.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
net_rig
start_server hold
start_trace --grace 1 --record "$WORK/rec"
# the agent, connected to its endpoint (this arms the network probes)
client_agent connectstay "$SERVER_IP" 80 300
agent=$LAST_PID
wait_for 5 grep -q "connected" "$WORK/agent.out" || fail "the stand-in agent did not connect: $(cat "$WORK/agent.out")"

kill -KILL "$agent"
wait "$agent" 2>/dev/null
wait_diag agent_killed ".subject.pid==$agent"
kill_id=$(diag agent_killed .id ".subject.pid==$agent")
assert_match "$kill_id" '^[0-9]+$' "the kill's id"

# the impostor: uid 65534's copy outside the agent root, in the same
# namespace, where nothing listens on 443
chmod o+x "$WORK"
mkdir -p "$WORK/elsewhere"
install -m 0755 "$FAKE" "$WORK/elsewhere/AliYunDun"
nsenter --net="/run/netns/$CNS" setpriv --reuid 65534 --regid 65534 --clear-groups \
	"$WORK/elsewhere/AliYunDun" connect "$SERVER_IP" 443 3 300 >"$WORK/impostor.out" 2>&1 &
imp=$!
PIDS+=("$imp")
wait_diag agent_impostor ".subject.pid==$imp"
wait_diag connect_refused ".subject.pid==$imp"
c=".subject.pid==$imp"
assert_eq "$(diag connect_refused .subject.impostor "$c")" true "the refusal's subject is the impostor"
assert_eq "$(diag connect_refused .subject.verified "$c")" false "nothing vouches for the impostor"
wait "$imp" 2>/dev/null

# not back within the grace: explained by the kill, by its id (the one at
# the start, before the stand-in ran, is the other, primary)
nr='.subject.process=="AliYunDun" and .primary==false'
wait_diag agent_not_running "$nr" 5
assert_eq "$(diag agent_not_running .explained_by "$nr")" agent_killed "explained_by"
assert_eq "$(diag agent_not_running .explained_by_id "$nr")" "$kill_id" "explained_by_id"

stop_trace
assert_eq "$TRACE_RC" 1 "trace exit status"
summary=$(jq -c -s '[.[] | select(.kind=="summary")][0]' "$OUT")
assert_eq "$(jq -r .verdict <<<"$summary")" fail "summary verdict"
assert_eq "$(jq -r .verdict_cause <<<"$summary")" agent_killed "the summary's verdict_cause"
assert_eq "$(jq -r .verdict_id <<<"$summary")" "$kill_id" "the summary's verdict_id"
assert_match "$(jq -r .verdict_summary <<<"$summary")" "^AliYunDun \\(pid $agent\\) killed by SIGKILL" "the summary's verdict_summary"

# the text report of the same session (replayed) leads with the kill
"$AEGISMON" replay "$WORK/rec" >"$WORK/replay.txt" 2>"$WORK/replay.err"
grep -q "^verdict: agent_killed: AliYunDun (pid $agent) killed by SIGKILL" "$WORK/replay.txt" ||
	fail "the report's verdict is not the kill: $(grep '^verdict' "$WORK/replay.txt")"
grep -q "connect_refused .*AliYunDun (pid $imp) .*\[an impostor's, not the agent's\]" "$WORK/replay.txt" ||
	fail "the report does not set the impostor's refusal apart: $(grep connect_refused "$WORK/replay.txt")"
pass "impostor's refusals beside the agent's kill: the verdict is the kill"
