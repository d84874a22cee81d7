#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Volume an unprivileged user can make does not crowd out the agent's own
# causes (issue 20, item 5):
#  1. 400 hard links of one file, each named AliYunDun, run by uid 65534:
#     one user's impostors are one subject, folded into a count;
#  2. impostors of 70 different uids with a slow hook: the real agent's kill
#     still reaches the hook (a warning waiting for it gives way), and the
#     report, whose table holds 64 subjects, keeps the kill as its verdict.
. "$(dirname "$0")/remedy_lib.sh"

chmod 0755 "$WORK"
install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun
dun=$LAST_PID
HOOKS=$WORK/hooks
mkdir -p "$HOOKS"
cat >"$HOOKS/hook" <<SH
#!/bin/sh
echo "\$AEGISMON_CAUSE" >>"$WORK/hook.log"
sleep 0.5
SH
chmod 0755 "$HOOKS/hook"
start_daemon --remediation advise --remediation-hook "$HOOKS/hook" --hook-timeout 5 --grace 600 \
	--json-log "$WORK/diag.json"

# 1. 400 hard links, one user
mkdir -p "$WORK/nobody"
install -m 0755 -o 65534 -g 65534 "$FAKE" "$WORK/nobody/bin"
for i in $(seq 1 400); do
	mkdir "$WORK/nobody/d$i"
	ln "$WORK/nobody/bin" "$WORK/nobody/d$i/AliYunDun"
done
chown -R 65534:65534 "$WORK/nobody"
setpriv --reuid 65534 --regid 65534 --clear-groups sh -c '
	for i in $(seq 1 400); do "$1/d$i/AliYunDun" exit 0; done' sh "$WORK/nobody"
# ours only: other tests of the machine may run impostors meanwhile
mine='.kind=="diagnosis" and .cause=="agent_impostor" and (.summary | contains("'"$WORK/nobody/"'"))'
folded() { jq -s "[.[] | select($mine) | .count] | max // 0" "$1"; }
# the repeats past the burst are held and said, folded, when the dedup
# interval (10 s) ends
wait_for 15 sh -c "[ \$(jq -s '[.[] | select($mine) | .count] | max // 0' '$OUT') -ge 100 ]" ||
	fail "no folded agent_impostor for the hard links (count $(folded "$OUT"))"
lines=$(jq -s "[.[] | select($mine)] | length" "$OUT")
[ "$lines" -le 4 ] || fail "400 hard links gave $lines agent_impostor lines (one user: the burst and one fold)"
folded=$(folded "$OUT")
assert_eq "$(jq -s "[.[] | select($mine)] | length" "$WORK/diag.json")" "$lines" "agent_impostor lines in the JSON log"
echo "   400 hard links: $lines agent_impostor lines, the last with count $folded"

# 2. impostors of 70 uids, running (the hook is slow: they queue), then the
# real agent is killed
run_users() { # one running impostor for each uid 61001..61070
	imps=()
	for u in $(seq 61001 61070); do
		setpriv --reuid "$u" --regid "$u" --clear-groups "$WORK/nobody/d1/AliYunDun" &
		imps+=("$!")
		PIDS+=("$!")
	done
	wait_for 10 sh -c "[ \$(jq -s '[.[] | select(.kind==\"diagnosis\" and .cause==\"agent_impostor\" and .subject.uid >= 61001)] | length' '$OUT') -ge 70 ]" ||
		fail "the 70 users' impostors were not all reported"
}
stop_users() {
	for p in "${imps[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
}
run_users
kill -KILL "$dun"
wait_diag agent_killed ".subject.pid==$dun"
wait_action '.action=="hook" and .outcome=="started" and .cause=="agent_killed"' 20
assert_eq "$(count_action '.action=="hook" and .outcome=="dropped" and .cause=="agent_killed"')" 0 \
	"the kill's hook dropped"
[ "$(count_action '.action=="hook" and .outcome=="dropped" and .cause=="agent_impostor"')" -ge 1 ] ||
	fail "no impostor gave way in the full hook queue"
stop_users
stop_daemon

# 3. the same in a trace session with a report: its table holds 64 subjects
start_agent AliYunDun
dun=$LAST_PID
start_trace --grace 600 --report "$WORK/report.html"
run_users
kill -KILL "$dun"
wait_diag agent_killed ".subject.pid==$dun"
stop_users
stop_trace
[ -s "$WORK/report.html" ] || fail "no report written"
grep -q 'id="verdict"><b>Verdict: agent_killed' "$WORK/report.html" ||
	fail "the report's verdict is not the kill: $(grep -o 'id="verdict"><b>Verdict: [a-z_]*' "$WORK/report.html")"
grep -q "left out less severe subjects" "$WORK/report.html" || fail "the report did not say it left subjects out"
pass "hard links folded per user; a full hook queue and a full report keep the agent's kill"
