#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A fleet's log path, as a host forwards it: aegismon run sends RFC 5424 to the
# host's rsyslogd (here a relay in the test's client namespace, reached by its
# unix socket), which forwards it with omfwd over TCP (octet-counted) to a
# central rsyslogd (in the server namespace). The central copy keeps the
# MSGID, the structured data and the JSON message intact, and it parses there
# as RFC 5424 with the fields a pipeline routes on.
. "$(dirname "$0")/lib.sh"

PORT=$((30000 + $$ % 10000))
CENTRAL_OUT=$WORK/central.log

start_rsyslogd() { # start_rsyslogd NAME NETNS CONF
	mkdir -p "$WORK/$1"
	ip netns exec "$2" rsyslogd -n -f "$3" -i "$WORK/$1/pid" >"$WORK/$1.log" 2>&1 &
	PIDS+=("$!")
}

net_rig
# the central receiver: TCP, every message as RFC 5424 into a file, and the
# structured data's fields as a pipeline would pick them (JSON of the parsed message)
cat >"$WORK/central.conf" <<CONF
global(workDirectory="$WORK/central")
module(load="imtcp")
input(type="imtcp" address="$SERVER_IP" port="$PORT" ruleset="central")
template(name="fields" type="list") {
	property(name="msgid") constant(value=" ")
	property(name="app-name") constant(value=" ")
	property(name="structured-data") constant(value="\\n")
}
ruleset(name="central") {
	action(type="omfile" file="$CENTRAL_OUT" template="RSYSLOG_SyslogProtocol23Format")
	action(type="omfile" file="$WORK/central.fields" template="fields")
}
CONF
start_rsyslogd central "$SNS" "$WORK/central.conf"
wait_for 10 sh -c "ip netns exec '$SNS' ss -ltn | grep -q ':$PORT '" ||
	fail "the central rsyslogd did not start: $(cat "$WORK/central.log")"

# the host's relay: the local socket in, omfwd over TCP out (RFC 5424 framing kept)
cat >"$WORK/relay.conf" <<CONF
global(workDirectory="$WORK/relay")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$WORK/relay.sock" UseSpecialParser="off" ParseHostname="on"
      UseSysTimeStamp="off" ruleset="fwd")
ruleset(name="fwd") {
	action(type="omfwd" target="$SERVER_IP" port="$PORT" protocol="tcp"
	       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format")
}
CONF
start_rsyslogd relay "$CNS" "$WORK/relay.conf"
wait_for 10 test -S "$WORK/relay.sock" || fail "the relay rsyslogd did not start: $(cat "$WORK/relay.log")"

install_agent AliYunDun
: >"$ERR"
"$AEGISMON" run --no-config --agent-root "$ROOT" --grace 60 --syslog "unix:$WORK/relay.sock" \
	--syslog-facility local4 >"$OUT" 2>"$ERR" &
TRACE_PID=$!
wait_for 10 grep -q "probes attached" "$ERR" || fail "aegismon run did not attach"
start_agent AliYunDun
victim=$LAST_PID
wait_for 5 exec_done "$victim" AliYunDun || fail "stand-in agent did not start"
sleep 0.3
kill -KILL "$victim"
wait_for 15 grep -q " agent_killed " "$CENTRAL_OUT" ||
	fail "agent_killed did not reach the central rsyslogd: relay: $(cat "$WORK/relay.log") central: $(cat "$CENTRAL_OUT" 2>/dev/null)"
line=$(grep -m1 " agent_killed " "$CENTRAL_OUT")
echo "   central: ${line:0:240}"
# local4 (20) * 8 + critical (2) = 162, kept through the relay
assert_match "$line" "^<162>1 [0-9T:.+-]+Z? [^ ]+ aegismon [0-9]+ agent_killed \\[aegismon@32473 cause=\"agent_killed\" severity=\"critical\" primary=\"true\" process=\"AliYunDun\" pid=\"$victim\" count=\"1\" signal=\"SIGKILL\"" \
	"header and structured data after the relay"
json=${line#*\] }
assert_eq "$(echo "$json" | jq -r .subject.pid)" "$victim" "the JSON message after the relay"
assert_eq "$(echo "$json" | jq -r .host)" "$(hostname)" "the JSON message names its host"
fields=$(grep -m1 "^agent_killed " "$WORK/central.fields")
assert_match "$fields" "^agent_killed aegismon \\[aegismon@32473 cause=\"agent_killed\"" "parsed at the central rsyslogd: MSGID, APP-NAME, SD"
kill -TERM "$TRACE_PID"
wait "$TRACE_PID"
assert_eq "$?" 0 "exit status on SIGTERM"
TRACE_PID=
pass "host relay (imuxsock, omfwd TCP octet-counted) to a central rsyslogd: structured data and JSON intact"
