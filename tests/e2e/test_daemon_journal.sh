#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# aegismon run beside a real systemd-journald (Debian's, started in a mount
# namespace of the test's own with /run and /var/log/journal on tmpfs, so the
# host's are untouched): with no --syslog the daemon finds journald's socket
# and logs natively; `journalctl -t aegismon` and `journalctl
# AEGISMON_CAUSE=agent_killed` find the diagnosis with its fields; a killer
# named to forge a field forges nothing; with journald down the daemon goes
# on and counts the loss, reported (AEGISMON_DROPPED) once journald is back.
if [ -z "${AEGIS_JOURNAL_NS:-}" ]; then
	AEGIS_JOURNAL_NS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

JOURNALD_PID=
mount -t tmpfs -o mode=0755 tmpfs /run || fail "tmpfs on /run"
mkdir -p /var/log/journal && mount -t tmpfs tmpfs /var/log/journal || fail "tmpfs on /var/log/journal"

start_journald() {
	/lib/systemd/systemd-journald >"$WORK/journald.log" 2>&1 &
	JOURNALD_PID=$!
	PIDS+=("$JOURNALD_PID")
	wait_for 10 test -S /run/systemd/journal/socket || fail "journald did not start: $(cat "$WORK/journald.log")"
}

stop_journald() {
	kill -TERM "$JOURNALD_PID"
	wait "$JOURNALD_PID" 2>/dev/null
	rm -f /run/systemd/journal/socket # as a stopped journald.socket leaves it: gone
}

# jfield CAUSE-MATCH FIELD: the field of the last aegismon entry matching
jfield() {
	# shellcheck disable=SC2086 # the match may be several words
	journalctl --no-pager -o json -t aegismon $1 | tail -1 | jq -r ".$2 // empty"
}

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_journald

# no --syslog: journald's socket is there, so the journal it is
: >"$ERR"
"$AEGISMON" run --no-config --agent-root "$ROOT" --grace 60 --json-log "$WORK/diag.json" >"$OUT" 2>"$ERR" &
TRACE_PID=$!
wait_for 10 grep -q "probes attached" "$ERR" || fail "aegismon run did not attach"

# 1. a kill, from a killer whose name tries to end its field and add one
start_agent AliYunDun
victim=$LAST_PID
wait_for 5 exec_done "$victim" AliYunDun || fail "stand-in agent did not start"
sleep 0.3 # its exec reaches the daemon before the kill
killer="$WORK/k"$'\n'"PRIORITY=7"
cp /bin/kill "$killer"
"$killer" -KILL "$victim"
wait_for 10 sh -c "journalctl --no-pager -t aegismon AEGISMON_CAUSE=agent_killed -o json | grep -q ." ||
	fail "agent_killed not in the journal: $(journalctl --no-pager -t aegismon -n 20 2>&1)"
journalctl --no-pager -t aegismon -n 3 >"$WORK/journal.txt"
echo "   journalctl -t aegismon: $(grep agent_killed -m1 "$WORK/journal.txt")"
m="AEGISMON_CAUSE=agent_killed AEGISMON_KIND=diagnosis"
assert_eq "$(jfield "$m" AEGISMON_PID)" "$victim" "AEGISMON_PID"
assert_eq "$(jfield "$m" AEGISMON_SIGNAL)" SIGKILL "AEGISMON_SIGNAL"
assert_eq "$(jfield "$m" AEGISMON_SEVERITY)" critical "AEGISMON_SEVERITY"
assert_eq "$(jfield "$m" AEGISMON_PROCESS)" AliYunDun "AEGISMON_PROCESS"
assert_eq "$(jfield "$m" PRIORITY)" 2 "PRIORITY (critical)"
assert_eq "$(jfield "$m" SYSLOG_FACILITY)" 3 "SYSLOG_FACILITY (daemon)"
assert_eq "$(jfield "$m" _PID)" "$TRACE_PID" "_PID (journald's own, trusted)"
assert_eq "$(jfield "$m" AEGISMON_SENDER_COMM)" 'k\x0aPRIORITY=7' "the killer's name, escaped"
assert_match "$(jfield "$m" MESSAGE)" "^agent_killed: AliYunDun \\(pid $victim\\) killed by SIGKILL from pid [0-9]+" "MESSAGE: the cause and the summary"
assert_eq "$(jfield "$m" AEGISMON_JSON | jq -r .subject.pid)" "$victim" "AEGISMON_JSON"
# one PRIORITY, not the forged one beside it (journald would keep both as an array)
assert_eq "$(journalctl --no-pager -o json -t aegismon AEGISMON_CAUSE=agent_killed AEGISMON_KIND=diagnosis | tail -1 | jq -r '.PRIORITY | type')" string "a single PRIORITY"
journalctl --no-pager -t aegismon -p crit | grep -q agent_killed || fail "journalctl -p crit does not find it"

# 2. journald down: the daemon goes on, the loss is counted
stop_journald
start_agent AliYunDun exit 3 10
wait "$LAST_PID"
wait_for 10 grep -q '"exit_code":3' "$WORK/diag.json" || fail "the exit was not diagnosed with journald down"
kill -0 "$TRACE_PID" || fail "the daemon died with journald"

# 3. back: the next entry says how many were lost
start_journald
sleep 1.2 # past the reconnect backoff
start_agent AliYunDun exit 4 10
wait "$LAST_PID"
wait_for 10 sh -c "journalctl --no-pager -t aegismon AEGISMON_EXIT_CODE=4 -o json | grep -q ." ||
	fail "no entry after journald came back: $(journalctl --no-pager -t aegismon -n 20 2>&1)"
dropped=$(jfield AEGISMON_EXIT_CODE=4 AEGISMON_DROPPED)
[ -n "$dropped" ] && [ "$dropped" -ge 1 ] || fail "no AEGISMON_DROPPED after the outage: '$dropped'"

kill -TERM "$TRACE_PID"
wait "$TRACE_PID"
assert_eq "$?" 0 "exit status on SIGTERM"
TRACE_PID=
stop_journald
pass "journald native: fields, filtered by AEGISMON_CAUSE, a forged field refused, outage counted"
