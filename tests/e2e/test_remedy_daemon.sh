#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# aegismon run --remediation restart: the stand-in's failed connect to a
# loopback endpoint is a network cause (the restart is refused, with the
# advice); SIGKILL of AliYunDun is restarted after the policy delay by a
# child of the daemon (the loop keeps running); the new AliYunDun connects to
# the endpoint the test now listens on and agent_online is reported. Actions
# reach stdout, the JSON log and syslog (a real rsyslogd on loopback).
. "$(dirname "$0")/remedy_lib.sh"

PORT=$((30000 + $$ % 10000))
UDP_PORT=$((PORT + 1))
RSYSLOG_OUT=$WORK/rsyslog.out
mkdir -p "$WORK/rsyslog"
cat >"$WORK/rsyslog.conf" <<CONF
global(workDirectory="$WORK/rsyslog")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$UDP_PORT" ruleset="aegis")
ruleset(name="aegis") {
	action(type="omfile" file="$RSYSLOG_OUT" template="RSYSLOG_SyslogProtocol23Format")
}
CONF
rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslog.pid" >"$WORK/rsyslogd.log" 2>&1 &
PIDS+=("$!")
wait_for 10 sh -c "ss -lun | grep -q '127.0.0.1:$UDP_PORT '" || fail "rsyslogd did not start"

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
upd=$LAST_PID
# 1. nothing listens yet: connect_refused (2 s after the start, the daemon
# attached by then; longer on a slower machine), a network cause: no restart
start_agent AliYunDun connectstay 127.0.0.1 "$PORT" $((2000 * ${E2E_TIME_SCALE:-1}))
old=$LAST_PID
# --net-probes always: one loopback connect each, refused faster than sockops
# would come on demand
start_daemon --remediation restart --restart-delay 0.5 --restart-max 3 --grace 60 --net-probes always \
	--endpoint 127.0.0.1/32 --port "$PORT" --syslog "udp://127.0.0.1:$UDP_PORT" --json-log "$WORK/diag.json"
wait_diag connect_refused ".subject.pid==$old"
wait_action '.action=="restart" and .outcome=="refused" and .cause=="connect_refused"'
assert_match "$(jq -r -s '[.[] | select(.kind=="action" and .cause=="connect_refused")][0].advice' "$OUT")" \
	'nothing listens there' "the refusal carries the cause's advice"
sleep 1
assert_eq "$(count_action '.action=="restart" and .outcome=="scheduled"')" 0 "restarts for a network cause"

# 2. the endpoint listens; the restarted agent will connect to it
"$FAKE" serve 127.0.0.1 "$PORT" hold >"$WORK/server.out" 2>&1 &
PIDS+=("$!")
wait_for 5 grep -q listening "$WORK/server.out" || fail "listener did not start"
# an update arrived meanwhile: the restart runs the highest version, found at restart time
NEW_DIR=$ROOT/aegis_client/aegis_12_94
mkdir -p "$NEW_DIR"
install -m 0755 "$FAKE" "$NEW_DIR/AliYunDun"
echo "connect 127.0.0.1 $PORT 1" >"$NEW_DIR/fake_agent.mode"

t0=$(now_ms)
kill -KILL "$old"
wait_diag agent_killed ".subject.pid==$old"
wait_action '.action=="restart" and .outcome=="scheduled" and .cause=="agent_killed"'
assert_eq "$(jq -r -s '[.[] | select(.kind=="action" and .outcome=="scheduled")][0].delay_ms' "$OUT")" 500 "first delay"
wait_action '.action=="restart" and .step==null and .outcome=="ok"' 15
echo "   kill to verified restart: $(($(now_ms) - t0)) ms (policy delay 500 ms)"
new=$(root_pid_of AliYunDun) || fail "no AliYunDun after the restart"
[ "$new" != "$old" ] || fail "same pid"
assert_eq "$(readlink "/proc/$new/exe")" "$NEW_DIR/AliYunDun" "the restart runs the highest version"
wait_action ".step==\"verify\" and .outcome==\"ok\" and (.detail | test(\"AliYunDun runs as pid $new \"))"
# the updater we stopped is back too; its SIGTERM from our restart is not a reason to restart again
root_pid_of AliYunDunUpdate >/dev/null || fail "AliYunDunUpdate not restarted"
wait_action ".outcome==\"skipped\" and .cause==\"agent_killed\" and .pid==$upd and (.detail | test(\"own restart\"))"

# 3. the new agent connects: agent_online
wait_diag agent_online ".subject.pid==$new" 10
echo "   kill to agent_online: $(($(now_ms) - t0)) ms"
sleep 1
assert_eq "$(count_action '.action=="restart" and .outcome=="started"')" 1 "restarts"
kill -0 "$TRACE_PID" || fail "the daemon died"

# actions in the JSON log and in syslog (MSGID action, structured data)
assert_eq "$(jq -s '[.[] | select(.kind=="action" and .outcome=="scheduled")] | length' "$WORK/diag.json")" 1 "JSON log actions"
wait_for 5 grep -q ' action \[aegismon@32473 action="restart" outcome="ok"' "$RSYSLOG_OUT" ||
	fail "no restart action in syslog: $(grep action "$RSYSLOG_OUT")"
line=$(grep -m1 'outcome="scheduled"' "$RSYSLOG_OUT")
assert_match "$line" '^<29>1 .* aegismon [0-9]+ action \[aegismon@32473 action="restart" outcome="scheduled" cause="agent_killed" process="AliYunDun" pid="[0-9]+"\] \{"kind":"action"' "syslog action line"

# 4. an SRE's 'aegismon restart' kills the agent too: when the daemon's
# restart is due, the agent runs again, so the daemon leaves it alone
"$AEGISMON" restart --agent-root "$ROOT" --timeout 5 >"$WORK/manual.out" 2>&1 || fail "manual restart: $(cat "$WORK/manual.out")"
manual=$(root_pid_of AliYunDun) || fail "no AliYunDun after the manual restart"
wait_action '.outcome=="skipped" and (.detail | test("runs again \\(pid [0-9]+\\) without us"))' 5
assert_eq "$(count_action '.action=="restart" and .outcome=="started"')" 1 "restarts after the manual one"
assert_eq "$(root_pid_of AliYunDun)" "$manual" "the manually restarted agent is left alone"

stop_daemon
assert_eq "$TRACE_RC" 0 "daemon exit status"
pass "network cause refused with advice; SIGKILL -> restart in 0.5 s -> agent_online; actions to JSON log and syslog; a manual restart is not redone"
