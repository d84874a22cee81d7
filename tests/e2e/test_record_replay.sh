#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# trace --record, then replay: the same diagnoses, byte for byte, from a
# session with a kill, an exit, a DNS NXDOMAIN, a learned endpoint refusing,
# and a local nft drop (whose rule, found live, the record keeps); a record
# cut short replays up to its last record; garbage is refused.
. "$(dirname "$0")/lib.sh"

REC=$WORK/session.rec
install_agent AliYunDun
net_rig
start_dnsmasq
start_trace --grace 60 --record "$REC" --report "$WORK/live.html"

# lifecycle
start_agent AliYunDun
victim=$LAST_PID
wait_for 5 grep -q "\"pid\":$victim" "$OUT" || fail "no exec event"
kill -KILL "$victim"
wait_diag agent_killed ".subject.pid==$victim"
start_agent AliYunDun exit 7 10
wait_diag agent_exited ".subject.exit_code==7"
# DNS and the network
nsenter --net="/run/netns/$CNS" "$(agent_path AliYunDun)" dns "$SERVER_IP" nx.aegis.aliyun.com >/dev/null 2>&1
wait_diag dns_nxdomain
client_resolve jsrv.aegis.aliyun.com 80
wait_diag connect_refused ".subject.qname==\"jsrv.aegis.aliyun.com\""
in_client nft add table inet aegrec
in_client nft add chain inet aegrec out '{ type filter hook output priority 0; }'
in_client nft add rule inet aegrec out ip daddr "$SERVER_IP" tcp dport 443 drop
client_agent connect "$SERVER_IP" 443 1
wait_diag connect_blocked_local '.subject.dport==443'
[ "$(diag connect_blocked_local '.rules | length' '.subject.dport==443')" -ge 1 ] || fail "no rule named live"
stop_trace
grep -q "recorded [0-9]* records to $REC" "$ERR" || fail "no record written: $(cat "$ERR")"

# the replay prints the same diagnoses and summary, byte for byte
grep -E '"kind":"(diagnosis|summary)"' "$OUT" >"$WORK/live.json"
"$AEGISMON" replay "$REC" --json >"$WORK/replay.out" 2>"$WORK/replay.err"
rc=$?
assert_eq "$rc" 1 "replay exit status (problems were diagnosed)"
grep -E '"kind":"(diagnosis|summary)"' "$WORK/replay.out" >"$WORK/replay.json"
[ "$(wc -l <"$WORK/live.json")" -ge 6 ] || fail "too few live diagnoses to compare"
diff -u "$WORK/live.json" "$WORK/replay.json" >"$WORK/diff.txt" || fail "replay differs from the live run: $(head -40 "$WORK/diff.txt")"
# --events gives the events too, as live
"$AEGISMON" replay "$REC" --json --events | grep '"kind":"event"' >"$WORK/replay_events.json"
grep '"kind":"event"' "$OUT" >"$WORK/live_events.json"
diff -q "$WORK/live_events.json" "$WORK/replay_events.json" >/dev/null || fail "replayed events differ"

# the HTML report: the same from the live run and from the replay; it renders
# in headless Chromium with the SVG timeline's elements, and is screenshotted
"$AEGISMON" replay "$REC" --report "$WORK/replay.html" >/dev/null
cmp -s "$WORK/live.html" "$WORK/replay.html" || fail "HTML reports differ: $(diff "$WORK/live.html" "$WORK/replay.html" | head -20)"
if grep -Eq '(src|href)="(https?:)?//' "$WORK/live.html"; then fail "the report loads external assets"; fi
chrome() { timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
	--user-data-dir="$WORK/chrome" "$@" 2>>"$WORK/chrome.err"; }
chrome --dump-dom "file://$WORK/live.html" >"$WORK/dom.html" || fail "chromium could not render the report: $(tail -5 "$WORK/chrome.err")"
grep -q '<svg id="timeline"' "$WORK/dom.html" || fail "no SVG timeline in the rendered DOM"
[ "$(grep -c '<rect class="proc"' "$WORK/dom.html")" -ge 2 ] || fail "no process bars in the timeline"
grep -q '<g class="diag crit"' "$WORK/dom.html" || fail "no diagnosis marks"
# each mark carries the number of its table row (issue #23)
marks=$(grep -c '<g class="diag ' "$WORK/dom.html")
tags=$(grep -o '<text class="tag" [^>]*>[0-9]*</text></g>' "$WORK/dom.html" | sed 's/.*>\([0-9][0-9]*\)<\/text>.*/\1/' | sort -n | tr '\n' ' ')
assert_eq "$tags" "$(seq -s ' ' 1 "$marks") " "the marks' labels"
for n in $tags; do
	grep -q "<tr id=\"diag-$n\"><td class=\"num\">$n</td>" "$WORK/dom.html" || fail "label $n has no table row"
done
grep -q '<circle class="mark drop"' "$WORK/dom.html" || fail "no drop mark for the nft drop"
grep -q '<circle class="mark fail"' "$WORK/dom.html" || fail "no failure mark"
grep -q 'id="verdict"' "$WORK/dom.html" || fail "no verdict"
chrome --screenshot="$WORK/report.png" --window-size=1100,1000 "file://$WORK/live.html" >/dev/null ||
	fail "no screenshot: $(tail -5 "$WORK/chrome.err")"
[ "$(head -c 8 "$WORK/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "the screenshot is not a PNG"
[ "$(stat -c %s "$WORK/report.png")" -gt 20000 ] || fail "the screenshot is nearly empty"
[ -n "${AEGISMON_KEEP_REPORT:-}" ] && cp "$WORK/live.html" "$WORK/report.png" "$AEGISMON_KEEP_REPORT"/

# filters
n=$("$AEGISMON" replay "$REC" --json --cause agent_killed | grep -c '"kind":"diagnosis"')
assert_eq "$n" 1 "--cause agent_killed"
"$AEGISMON" replay "$REC" --json --pid "$victim" | grep '"kind":"diagnosis"' | jq -e -s "all(.subject.pid==$victim)" >/dev/null ||
	fail "--pid shows other processes"
n=$("$AEGISMON" replay "$REC" --json --since 100000 | grep -c '"kind":"diagnosis"')
assert_eq "$n" 0 "--since after the end"
"$AEGISMON" replay "$REC" | grep -q "agent_killed" || fail "text replay"

# a record cut short (a crash) replays what it holds; garbage is refused
size=$(stat -c %s "$REC")
head -c $((size * 2 / 3)) "$REC" >"$WORK/cut.rec"
"$AEGISMON" replay "$WORK/cut.rec" --json >"$WORK/cut.out" 2>"$WORK/cut.err"
grep -q "no end record" "$WORK/cut.err" || fail "a cut record was not reported: $(cat "$WORK/cut.err")"
grep -q '"cause":"agent_killed"' "$WORK/cut.out" || fail "a cut record lost its first diagnoses"
head -c 4096 /dev/urandom >"$WORK/garbage.rec"
"$AEGISMON" replay "$WORK/garbage.rec" 2>"$WORK/garbage.err"
assert_eq "$?" 2 "exit status on garbage"
grep -q "not an aegismon record file" "$WORK/garbage.err" || fail "garbage: $(cat "$WORK/garbage.err")"
pass "live and replay identical ($(wc -l <"$WORK/live.json") lines), filters, cut record, garbage"
