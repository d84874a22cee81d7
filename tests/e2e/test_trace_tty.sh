#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The SRE's session on a terminal (a pty from script(1)): diagnoses in color,
# a status line redrawn in place, and the end-of-session report with the
# verdict first; through a pipe the same session has no escape sequence.
. "$(dirname "$0")/lib.sh"

install_agent AliYunDun
start_agent AliYunDun
victim=$LAST_PID
# the kill once the session shows its status line (the probes are attached)
(
	wait_for 30 grep -q "elapsed" "$WORK/tty.log"
	sleep 0.5
	kill -KILL "$victim"
) &
PIDS+=("$!")
script -qfec "$AEGISMON trace --agent-root $ROOT --grace 60 --duration $(scaled 4) --color always" "$WORK/tty.log" \
	>/dev/null 2>&1
tty=$(cat "$WORK/tty.log")
[[ "$tty" == *$'\r\e[K'* ]] || fail "no status line redrawn in place: $(head -c 600 "$WORK/tty.log" | od -c | head)"
[[ "$tty" == *"probes | "*"events ("*"/s) | "*" lost | "*" diagnoses | 00:0"*" elapsed, 00:0"*" left"* ]] ||
	fail "status line content: $(tr '\r' '\n' <"$WORK/tty.log" | grep elapsed | head -2)"
[[ "$tty" == *$'\e[1;31mCRITICAL agent_killed\e[0m: AliYunDun (pid '"$victim"') killed by SIGKILL'* ]] ||
	fail "no colored diagnosis line"
grep -q "== aegismon report ==" "$WORK/tty.log" || fail "no end-of-session report"
verdict=$(grep -a "^verdict:" "$WORK/tty.log" | sed 's/\x1b\[[0-9;]*m//g')
assert_match "$verdict" "^verdict: agent_killed: AliYunDun \\(pid $victim\\) killed by SIGKILL" "verdict line"
grep -aq "^fix: " "$WORK/tty.log" || fail "no fix under the verdict"
grep -aq "agent processes:" "$WORK/tty.log" || fail "no process lifetimes in the report"

# the same through a pipe: plain lines, no escape sequence at all
start_agent AliYunDun
victim=$LAST_PID
(
	wait_for 30 grep -q "probes attached" "$WORK/pipe.err"
	sleep 0.5
	kill -KILL "$victim"
) &
PIDS+=("$!")
"$AEGISMON" trace --agent-root "$ROOT" --grace 60 --duration "$(scaled 2)" >"$WORK/pipe.log" 2>"$WORK/pipe.err"
grep -q "CRITICAL agent_killed: AliYunDun (pid $victim)" "$WORK/pipe.log" || fail "no diagnosis through the pipe"
if grep -q $'\e' "$WORK/pipe.log"; then fail "escape sequences written to a pipe"; fi
grep -q "^verdict: agent_killed" "$WORK/pipe.log" || fail "no verdict through the pipe"
# --cause and --pid filter what is printed, not what is judged
start_agent AliYunDun
victim=$LAST_PID
(
	wait_for 30 grep -q "probes attached" "$WORK/filter.log"
	sleep 0.5
	kill -KILL "$victim"
) &
PIDS+=("$!")
"$AEGISMON" trace --agent-root "$ROOT" --grace 60 --duration "$(scaled 2)" --cause agent_exited >"$WORK/filter.log" 2>&1
if grep -q "CRITICAL agent_killed" "$WORK/filter.log"; then fail "--cause agent_exited printed a kill"; fi
grep -q "^verdict: agent_killed" "$WORK/filter.log" || fail "the report lost the filtered diagnosis"
pass "tty: colors, status line, report; pipe: plain; filters"
