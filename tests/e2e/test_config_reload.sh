#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The config file of aegismon run: --check-config, a SIGHUP with a valid file
# applied without detaching a probe (a new endpoint is watched from then on),
# a SIGHUP with a broken file rejected with file:line and the running settings
# kept, and size-based rotation of the JSON log. `aegismon reload PID` (the
# unit's ExecReload=) waits for each outcome and fails on a refusal; systemd is
# told RELOADING=1, then READY=1 with the refusal in STATUS=; the watchdog is fed.
. "$(dirname "$0")/lib.sh"

CONF=$WORK/aegismon.conf
JLOG=$WORK/diag.json
# a non-agent client: its connects matter only when the endpoint is watched
PROBE=$WORK/probe-client
install -m 0755 "$FAKE" "$PROBE"

write_conf() { # write_conf ENDPOINT
	cat >"$CONF" <<CONF
# test config
agent-root = $ROOT
endpoint = $1
port = 80
grace = 60
syslog = udp://127.0.0.1:9
json-log = $JLOG
json_log_max_size = 4K
json-log-keep = 2
# the drop probes for the whole run: the link ids below stay the same (on
# demand, the watched connects would attach them)
net-probes = always
CONF
	chmod 0600 "$CONF"
}

# the link ids the daemon holds: a reload must not change them
link_ids() {
	grep -h '^link_id:' /proc/"$TRACE_PID"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -n | tr '\n' ' '
}

probe_connect() { # a refused connect from the client namespace, waited for
	nsenter --net="/run/netns/$CNS" "$PROBE" connect "$SERVER_IP" 80 1 >>"$WORK/probe.out" 2>&1
}

install_agent AliYunDun
net_rig

# 1. --check-config: the effective settings; a bad file fails with file:line
write_conf 192.0.2.99/32
"$AEGISMON" run --config "$CONF" --check-config >"$WORK/check.out" 2>&1 || fail "--check-config rejected a valid file: $(cat "$WORK/check.out")"
grep -qx "endpoint = 192.0.2.99/32" "$WORK/check.out" || fail "--check-config does not show the endpoint: $(cat "$WORK/check.out")"
grep -qx "json-log-max-size = 4K" "$WORK/check.out" || fail "--check-config does not show the rotation size"
printf 'grace = 1\ngraze = 2\n' >"$WORK/bad.conf"
"$AEGISMON" run --config "$WORK/bad.conf" --check-config >"$WORK/check.out" 2>&1
rc=$?
assert_eq "$rc" 2 "exit status of --check-config on a bad file"
grep -q "bad.conf:2: unknown key 'graze' (did you mean 'grace'?)" "$WORK/check.out" || fail "no file:line error: $(cat "$WORK/check.out")"
chmod 0666 "$WORK/bad.conf"
"$AEGISMON" run --config "$WORK/bad.conf" --check-config >"$WORK/check.out" 2>&1
grep -q "writable by group or others" "$WORK/check.out" || fail "a world-writable config was not refused: $(cat "$WORK/check.out")"

# 2. the daemon with an endpoint the probe does not use: its failure is not ours.
# The agent lives in the client namespace: another process's failures count
# only where the agent's sockets live (a user's own namespace is not the agent's)
client_agent run
"$FAKE" notifyrecv "$WORK/notify.sock" >"$WORK/notify.out" 2>&1 &
PIDS+=("$!")
wait_for 5 grep -q listening "$WORK/notify.out" || fail "notify receiver did not start"
: >"$ERR"
# stderr as systemd's journal stream: $JOURNAL_STREAM names the file's device:inode, so
# each line carries its priority ("<N>", read by journald)
NOTIFY_SOCKET="$WORK/notify.sock" WATCHDOG_USEC=1000000 JOURNAL_STREAM=$(stat -c '%d:%i' "$ERR") \
	"$AEGISMON" run --config "$CONF" --json >"$OUT" 2>>"$ERR" &
TRACE_PID=$!
wait_for 10 grep -q "probes attached" "$ERR" || fail "aegismon run did not attach"
links=$(link_ids)
[ -n "$links" ] || fail "no BPF links found in the daemon's fds"
probe_connect
sleep 1
[ "$(count_diag connect_refused)" = 0 ] || fail "a connect to an unwatched address was diagnosed"

# the watchdog (WATCHDOG_USEC=1 s): fed every half interval from the event loop
wait_for 5 sh -c "[ \$(grep -c '^WATCHDOG=1$' '$WORK/notify.out') -ge 3 ]" ||
	fail "the watchdog is not fed: $(cat "$WORK/notify.out")"
grep -q '^STATUS=[0-9]* probes attached; last diagnosis: ' "$WORK/notify.out" ||
	fail "no STATUS= at start: $(cat "$WORK/notify.out")"

# 3. reload with the server's network as the endpoint: now it is watched;
# `aegismon reload` returns once it is done, with what changed
write_conf 100.100.77.0/24
"$AEGISMON" reload "$TRACE_PID" >"$WORK/reload.out" 2>&1
assert_eq "$?" 0 "aegismon reload of a valid file"
grep -q "reloaded $CONF: endpoints" "$WORK/reload.out" || fail "aegismon reload did not say what changed: $(cat "$WORK/reload.out")"
grep -q "reloaded $CONF: endpoints" "$ERR" || fail "no reload message"
grep -A2 '^RELOADING=1$' "$WORK/notify.out" | grep -q '^MONOTONIC_USEC=[0-9]*$' ||
	fail "no RELOADING=1 with MONOTONIC_USEC: $(cat "$WORK/notify.out")"
assert_eq "$(link_ids)" "$links" "BPF links after a reload"
probe_connect
wait_diag connect_refused ".subject.daddr==\"$SERVER_IP\""

# 4. a broken file is refused; the running settings (the new endpoint) stay
printf '# broken\nendpoint = 100.100.77.0/24\ngrace = soon\n' >"$CONF"
"$AEGISMON" reload "$TRACE_PID" >"$WORK/reload.out" 2>&1
assert_eq "$?" 1 "aegismon reload of a broken file"
grep -q "reload refused, the running settings stay: $CONF:3: grace: 'soon'" "$WORK/reload.out" ||
	fail "aegismon reload did not say why: $(cat "$WORK/reload.out")"
grep -q "reload refused, the running settings stay: $CONF:3: grace: 'soon'" "$ERR" ||
	fail "the broken file was not refused with file:line"
# priorities on the journal stream: a refusal at warning, an applied reload at notice, the
# start line at info (no prefix: journald's default)
grep -q "^<4>aegismon: reload refused, the running settings stay" "$ERR" ||
	fail "the refused reload is not at <4> on the journal stream: $(grep 'reload refused' "$ERR")"
grep -q "^<5>aegismon: reloaded $CONF: endpoints" "$ERR" ||
	fail "the applied reload is not at <5> on the journal stream: $(grep 'reloaded' "$ERR")"
grep -q "^aegismon: [0-9]* probes attached" "$ERR" ||
	fail "the start line is not plain info on the journal stream: $(grep 'probes attached' "$ERR")"
# the last STATUS= (WATCHDOG=1 keeps coming after it)
grep '^STATUS=' "$WORK/notify.out" | tail -1 | grep -q "; reload refused, the running settings stay: $CONF:3" ||
	fail "the refusal is not in the last STATUS=: $(grep '^STATUS=' "$WORK/notify.out" | tail -2)"
# a wrong pid is refused, not signalled
"$AEGISMON" reload "${PIDS[0]}" >"$WORK/reload.out" 2>&1
assert_eq "$?" 2 "aegismon reload of a process that is not aegismon"
grep -q "not aegismon" "$WORK/reload.out" || fail "wrong pid: $(cat "$WORK/reload.out")"
kill -0 "$TRACE_PID" || fail "the daemon died on a broken config"
assert_eq "$(link_ids)" "$links" "BPF links after a refused reload"
before=$(count_diag connect_refused)
sleep 2.2 # past the repeat window of the first diagnosis
probe_connect
wait_for 10 sh -c "[ \$(jq -s '[.[] | select(.kind==\"diagnosis\" and .cause==\"connect_refused\")] | length' '$OUT') -gt $before ]" ||
	fail "after a refused reload the endpoint is no longer watched"

# 5. rotation: agent exits fill the 4 KiB log; at most json-log-keep files are kept
for i in 1 2 3 4 5 6 7 8; do
	start_agent AliYunDun exit $i 10
	wait "$LAST_PID"
done
# repeats are aggregated after a burst: the last one counts all eight
wait_diag agent_exited ".count==8" 15 # told when the 10 s repeat window ends
[ -s "$JLOG.1" ] || fail "the JSON log was not rotated (ls: $(ls "$WORK"))"
[ -e "$JLOG.3" ] && fail "more rotated files than json-log-keep"
for f in "$JLOG" "$JLOG.1" "$JLOG.2"; do
	[ -e "$f" ] || continue
	jq -e . "$f" >/dev/null || fail "$f holds a broken JSON line"
	size=$(stat -c %s "$f")
	[ "$size" -lt 8192 ] || fail "$f is $size bytes: rotation at 4K did not happen"
	assert_eq "$(stat -c %a "$f")" 640 "mode of $f"
done

kill -TERM "$TRACE_PID"
wait "$TRACE_PID"
rc=$?
assert_eq "$rc" 0 "exit status after SIGTERM"
[ -e "/run/aegismon/reload.$TRACE_PID" ] && fail "the reload status file outlived the daemon"
TRACE_PID=
pass "check-config, reload applied and refused (aegismon reload, RELOADING/READY/STATUS), watchdog, links kept, rotation"
