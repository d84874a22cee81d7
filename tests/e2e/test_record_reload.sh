#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# A SIGHUP reload during trace --record is recorded, and replay applies it
# where it happened: flap-count 10 from the config file at the start (three
# runs of the agent: no agent_flapping), then the file says flap-count 2 and
# SIGHUP; the next restart is agent_flapping live. The replay of the record
# gives the same diagnoses and summary, byte for byte: with the header's
# flap-count 10 throughout it would give no agent_flapping at all.
. "$(dirname "$0")/lib.sh"

REC=$WORK/session.rec
CONF=$WORK/aegismon.conf

write_conf() { # write_conf FLAP_COUNT
	cat >"$CONF" <<CONF
# test config: only the restart thresholds (the agent root is on the command line)
grace = 60
flap-window = 120
flap-count = $1
CONF
	chmod 0600 "$CONF"
}

# run_agent N: AliYunDun runs and exits (code 1) N times, one after the other
run_agent() {
	local i
	for i in $(seq "$1"); do
		start_agent AliYunDun exit 1 100
		wait "$LAST_PID"
	done
}

exits_seen() { # exits_seen N: the trace has printed N exit events
	[ "$(jq -s '[.[] | select(.kind=="event" and .type=="exit")] | length' "$OUT")" -ge "$1" ]
}

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
write_conf 10
start_trace --config "$CONF" --record "$REC"

# three runs, two restarts: under flap-count 10, no flapping
run_agent 3
wait_for 10 exits_seen 3 || fail "the three exits were not seen"
assert_eq "$(count_diag agent_flapping)" 0 "agent_flapping under flap-count 10"

# the file now says flap-count 2: reloaded, and the next restart is flapping
write_conf 2
kill -HUP "$TRACE_PID"
wait_for 5 grep -q "reloaded $CONF: thresholds" "$ERR" || fail "no reload message: $(cat "$ERR")"
run_agent 1
wait_diag agent_flapping '.subject.process=="AliYunDun"'
assert_match "$(diag agent_flapping .summary)" 'AliYunDun restarted 2 times within [0-9]+ s' "live summary"
stop_trace
grep -q "recorded [0-9]* records to $REC" "$ERR" || fail "no record written: $(cat "$ERR")"

# the replay: the same diagnoses and summary, the flapping included
grep -E '"kind":"(diagnosis|summary)"' "$OUT" >"$WORK/live.json"
"$AEGISMON" replay "$REC" --json >"$WORK/replay.out" 2>"$WORK/replay.err"
rc=$?
assert_eq "$rc" 1 "replay exit status (problems were diagnosed)"
[ -s "$WORK/replay.err" ] && fail "replay complained: $(cat "$WORK/replay.err")"
grep -E '"kind":"(diagnosis|summary)"' "$WORK/replay.out" >"$WORK/replay.json"
grep -q '"cause":"agent_flapping"' "$WORK/replay.json" ||
	fail "the replay has no agent_flapping: the reload was not applied: $(cat "$WORK/replay.json")"
diff -u "$WORK/live.json" "$WORK/replay.json" >"$WORK/diff.txt" ||
	fail "replay differs from the live run: $(head -40 "$WORK/diff.txt")"
pass "reload recorded and replayed ($(wc -l <"$WORK/live.json") identical lines, agent_flapping after the reload)"
