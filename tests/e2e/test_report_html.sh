#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The HTML report told well (issue #23), rendered in headless Chromium: three
# agent processes killed in one instant and an impostor (uid 65534's copy of
# the agent under its name, run from /tmp). Every diagnosis mark carries the
# number of its table row, visible, labels never cover each other, nothing is
# cut at the right edge of a page-wide window; the impostor's bar is in the
# impostors' lane below the agent's, hatched, labelled with its file and uid;
# printed to PDF the page is A4; live and replayed reports are identical.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
start_trace --grace 60 --record "$WORK/rec" --report "$WORK/live.html"
agents=()
for _ in 1 2 3; do
	start_agent AliYunDun
	agents+=("$LAST_PID")
done
for p in "${agents[@]}"; do
	wait_for 5 grep -q "\"pid\":$p" "$OUT" || fail "no exec event for $p"
done
kill -KILL "${agents[@]}"
wait "${agents[@]}" 2>/dev/null
for p in "${agents[@]}"; do
	wait_diag agent_killed ".subject.pid==$p"
done

# the impostor: an unprivileged user's copy under /tmp
chmod o+x "$WORK"
install -m 0755 "$FAKE" "$WORK/AliYunDun"
setpriv --reuid 65534 --regid 65534 --clear-groups "$WORK/AliYunDun" run >/dev/null 2>&1 &
imp=$!
PIDS+=("$imp")
wait_diag agent_impostor ".subject.pid==$imp"
stop_trace

"$AEGISMON" replay "$WORK/rec" --report "$WORK/replay.html" >/dev/null
cmp -s "$WORK/live.html" "$WORK/replay.html" || fail "HTML reports differ: $(diff "$WORK/live.html" "$WORK/replay.html" | head -20)"
if grep -Eq '(src|href)="(https?:)?//' "$WORK/live.html"; then fail "the report loads external assets"; fi

chrome() { timeout 60 chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
	--user-data-dir="$WORK/chrome" "$@" 2>>"$WORK/chrome.err"; }

# the layout, measured by Chromium in a window as wide as an A4 page's text
# (186 mm at 96 px per inch)
{ sed 's|</body></html>||' "$WORK/live.html"; printf '<script>\n'; cat "$(dirname "$0")/report_check.js"
  printf '</script>\n</body></html>\n'; } >"$WORK/check.html"
chrome --window-size=703,1000 --dump-dom "file://$WORK/check.html" >"$WORK/dom.html" ||
	fail "chromium could not render the report: $(tail -5 "$WORK/chrome.err")"
check=$(sed -n '/<pre id="aegis-check">/,/<\/pre>/p' "$WORK/dom.html")
[ -n "$check" ] || fail "the layout check did not run: $(tail -5 "$WORK/chrome.err")"
if grep -q FAIL <<<"$check"; then fail "layout: $(grep FAIL <<<"$check")"; fi
n=$(grep -c '^label [0-9]* ' <<<"$check")
[ "$n" -ge 4 ] || fail "$n labelled marks, expected the 3 kills and the impostor: $check"
[ "$(grep -c '^label [0-9]* agent_killed$' <<<"$check")" -ge 3 ] || fail "the kills are not labelled: $check"
grep -q '^label [0-9]* agent_impostor$' <<<"$check" || fail "the impostor's diagnosis is not labelled: $check"
grep -q "^impostor label impostor: $WORK/AliYunDun (uid 65534)\$" <<<"$check" ||
	fail "no impostor label with its file and uid: $check"
# the impostor's bar is the impostor's, the agents' are not
grep -q "<rect class=\"proc impostor\" [^>]*><title>pid $imp " "$WORK/dom.html" || fail "the impostor's bar is not in the impostor lane"
if grep -q "<rect class=\"proc\" [^>]*><title>pid $imp " "$WORK/dom.html"; then fail "the impostor is drawn as the agent"; fi
for p in "${agents[@]}"; do
	grep -q "<rect class=\"proc\" [^>]*><title>pid $p " "$WORK/dom.html" || fail "agent $p is not drawn as the agent"
done

# printed: A4 (595 x 842 points), a sane number of pages
chrome --no-pdf-header-footer --print-to-pdf="$WORK/report.pdf" "file://$WORK/live.html" >/dev/null 2>&1 ||
	fail "chromium could not print the report: $(tail -5 "$WORK/chrome.err")"
[ -n "${AEGISMON_KEEP_REPORT:-}" ] && cp "$WORK/live.html" "$WORK/report.pdf" "$AEGISMON_KEEP_REPORT"/
[ "$(head -c 5 "$WORK/report.pdf")" = "%PDF-" ] || fail "the print is not a PDF"
boxes=$(grep -a -o '/MediaBox *\[[^]]*\]' "$WORK/report.pdf" | tr -d '[]' | awk '{ printf "%.0fx%.0f\n", $4, $5 }' | sort -u)
assert_eq "$boxes" "595x842" "the printed page size"
pages=$(grep -a -c -E '/Type */Page([^s]|$)' "$WORK/report.pdf")
[ "$pages" -ge 1 ] && [ "$pages" -le 3 ] || fail "$pages printed pages"
pass "$n marks labelled as their rows, the impostor apart, A4 ($pages page(s)), live = replay"
