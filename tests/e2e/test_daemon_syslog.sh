#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# aegismon run: a real rsyslogd on loopback (UDP and TCP inputs, written to a
# file) receives RFC 5424 diagnoses with structured data; with rsyslogd down
# the daemon keeps running and counts the drops, reported in the next message
# once it is back; the JSON log gets every diagnosis; sd_notify READY=1; and
# SIGTERM exits 0 leaving no BPF link behind.
. "$(dirname "$0")/lib.sh"

UDP_PORT=$((20000 + $$ % 10000))
TCP_PORT=$((UDP_PORT + 1))
RSYSLOG_OUT=$WORK/rsyslog.out
RSYSLOG_PID=

start_rsyslog() {
	mkdir -p "$WORK/rsyslog"
	cat >"$WORK/rsyslog.conf" <<CONF
global(workDirectory="$WORK/rsyslog")
module(load="imudp")
input(type="imudp" address="127.0.0.1" port="$UDP_PORT" ruleset="aegis")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$TCP_PORT" ruleset="aegis")
ruleset(name="aegis") {
	action(type="omfile" file="$RSYSLOG_OUT" template="RSYSLOG_SyslogProtocol23Format")
}
CONF
	rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslog.pid" >"$WORK/rsyslogd.log" 2>&1 &
	RSYSLOG_PID=$!
	PIDS+=("$RSYSLOG_PID")
	wait_for 10 sh -c "ss -ltn | grep -q ':$TCP_PORT '" || fail "rsyslogd did not start: $(cat "$WORK/rsyslogd.log")"
}

stop_rsyslog() {
	kill -TERM "$RSYSLOG_PID"
	wait "$RSYSLOG_PID" 2>/dev/null
	RSYSLOG_PID=
}

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_rsyslog
"$FAKE" notifyrecv "$WORK/notify.sock" >"$WORK/notify.out" 2>&1 &
PIDS+=("$!")
wait_for 5 grep -q listening "$WORK/notify.out" || fail "notify receiver did not start"

: >"$ERR"
NOTIFY_SOCKET="$WORK/notify.sock" "$AEGISMON" run --agent-root "$ROOT" --grace 60 \
	--syslog "udp://127.0.0.1:$UDP_PORT" --syslog "tcp://127.0.0.1:$TCP_PORT" \
	--syslog-facility local3 --json-log "$WORK/diag.json" --metrics "$WORK/aegismon.prom" \
	>"$OUT" 2>"$ERR" &
TRACE_PID=$!
wait_for 10 grep -q READY=1 "$WORK/notify.out" || fail "no sd_notify READY=1"

# 1. a real fault reaches rsyslog over UDP and TCP
start_agent AliYunDun exit 3 100
wait_for 10 sh -c "[ \$(grep -c 'agent_exited' '$RSYSLOG_OUT' 2>/dev/null) -ge 2 ]" ||
	fail "agent_exited did not reach rsyslog twice (UDP and TCP): $(cat "$RSYSLOG_OUT" 2>/dev/null)"
line=$(grep -m1 agent_exited "$RSYSLOG_OUT")
# local3 (19) * 8 + warning (4) = 156; RFC 5424 version 1; MSGID = cause; SD-ID
assert_match "$line" '^<156>1 [0-9T:.+-]+Z? ' "PRI and version"
assert_match "$line" ' aegismon [0-9]+ agent_exited \[aegismon@32473 cause="agent_exited" severity="warning" primary="true" process="AliYunDun" pid="[0-9]+" count="1" exit_code="3"' "header and structured data"
echo "   rsyslog received: ${line:0:300}"
json=${line#*\] }
assert_eq "$(echo "$json" | jq -r .cause)" agent_exited "message is the JSON diagnosis"
assert_eq "$(jq -r -s '[.[] | select(.cause=="agent_exited")][0].subject.exit_code' "$WORK/diag.json")" 3 "JSON log"
[ "$(stat -c %a "$WORK/diag.json")" = 640 ] || fail "JSON log mode is $(stat -c %a "$WORK/diag.json"), not 640"

# the metrics file (rewritten every 5 s) counts it and shows the agent's state
wait_for 8 grep -q '^aegismon_diagnoses_total{cause="agent_exited"} 1$' "$WORK/aegismon.prom" ||
	fail "metrics: no agent_exited count: $(cat "$WORK/aegismon.prom" 2>/dev/null)"
grep -q '^aegismon_agent_up{process="AliYunDunUpdate"} 1$' "$WORK/aegismon.prom" || fail "metrics: AliYunDunUpdate not up"
grep -q '^aegismon_agent_up{process="AliYunDun"} 0$' "$WORK/aegismon.prom" || fail "metrics: AliYunDun not down"
# as many as the start line says (9 in the agent scope; more in the host scope of kernels before 5.18)
attached=$(grep -o '[0-9]* probes attached' "$ERR" | head -1 | cut -d' ' -f1)
grep -q "^aegismon_probes{state=\"attached\"} $attached\$" "$WORK/aegismon.prom" || fail "metrics: probes (start line: $attached)"
# on demand in the agent scope; in the host scope (kernels before 5.18) always there
if grep -q "network scope: agent" "$ERR"; then
	grep -q '^aegismon_net_probes_attached 0$' "$WORK/aegismon.prom" || fail "metrics: network probes attached while the agent made no network activity"
else
	grep -q '^aegismon_net_probes_attached 1$' "$WORK/aegismon.prom" || fail "metrics: network probes not attached in the host scope"
fi
# the stand-in runs in the test's cgroup, the root here: the probes serve the host
grep -q '^aegismon_network_scope{where="host"} 1$' "$WORK/aegismon.prom" || fail "metrics: network scope"
grep -q '^aegismon_scheduler_probes_attached 0$' "$WORK/aegismon.prom" || fail "metrics: scheduler probes"
[ "$(stat -c %a "$WORK/aegismon.prom")" = 644 ] || fail "metrics mode (readable by an unprivileged collector)"

# 2. rsyslogd down: the daemon keeps running and counts the drop
stop_rsyslog
start_agent AliYunDun exit 4 50
wait_for 10 sh -c "[ \$(grep -c '\"exit_code\":4' '$WORK/diag.json') -ge 1 ]" || fail "second fault not diagnosed"
kill -0 "$TRACE_PID" || fail "the daemon died with its syslog receiver"

# 3. back: after the reconnect backoff the next message carries dropped=
start_rsyslog
sleep 1.2
start_agent AliYunDun exit 5 50
wait_for 10 grep -q 'exit_code="5"' "$RSYSLOG_OUT" || fail "third fault did not arrive after rsyslogd came back"
grep 'exit_code="5"' "$RSYSLOG_OUT" | grep -q 'dropped="[1-9]' || fail "no dropped= count after the outage: $(grep 'exit_code="5"' "$RSYSLOG_OUT")"

# 4. SIGTERM: exit 0, STOPPING=1, none of the daemon's BPF links, programs
# or maps left (their ids, read from its fds; other tracers may run meanwhile)
bpf_ids() { # bpf_ids link_id|prog_id|map_id
	grep -h "^$1:" /proc/"$TRACE_PID"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un
}
link_ids=$(bpf_ids link_id)
prog_ids=$(bpf_ids prog_id)
map_ids=$(bpf_ids map_id)
[ -n "$link_ids" ] && [ -n "$prog_ids" ] && [ -n "$map_ids" ] || fail "no BPF objects found in the daemon's fds"
kill -TERM "$TRACE_PID"
wait "$TRACE_PID"
rc=$?
TRACE_PID=
assert_eq "$rc" 0 "daemon exit status on SIGTERM"
grep -q STOPPING=1 "$WORK/notify.out" || fail "no STOPPING=1"
sleep 0.2 # the kernel frees the objects after the last reference goes
for id in $link_ids; do bpftool link show id "$id" >/dev/null 2>&1 && fail "BPF link $id left after exit"; done
for id in $prog_ids; do bpftool prog show id "$id" >/dev/null 2>&1 && fail "BPF program $id left after exit"; done
for id in $map_ids; do bpftool map show id "$id" >/dev/null 2>&1 && fail "BPF map $id left after exit"; done
[ -z "$(ls /sys/fs/bpf 2>/dev/null | grep -i aegis)" ] || fail "something pinned under /sys/fs/bpf"
grep -q '^aegismon_syslog_dropped_total [1-9]' "$WORK/aegismon.prom" || fail "metrics: syslog drops not counted"
pass "rsyslog UDP+TCP, outage counted, JSON log, metrics, sd_notify, clean exit"
