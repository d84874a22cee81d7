#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Who counts as the agent is what the kernel vouches for, not a name or a
# path (issue 20, items 1 and 2). An unprivileged user (uid 65534):
#  1. runs the real, installed AliYunDun under PTRACE_TRACEME and leaves it
#     stopped, then root kills the real agent: the restart is not skipped
#     for the stopped copy, and the copy is never stopped by the restart;
#  2. execs a symlink named AliYunDunMonitor to the installed binary and
#     kills it: no agent_killed, no restart;
# and root:
#  3. execs a copy from outside the install through a path that reads as
#     inside the agent root (".."), exiting at once, 8 times: no
#     agent_exited, no agent_flapping (the old code took the execve() path
#     once /proc/PID/exe was gone).
. "$(dirname "$0")/remedy_lib.sh"

chmod 0755 "$WORK" # the attacker may run the installed binary, as on a host
install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun
dun=$LAST_PID
start_daemon --remediation restart --restart-delay 0.3 --restart-max 3 --grace 60

NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups)

# 1. the installed binary, traced and stopped at its exec, as uid 65534
"${NOBODY[@]}" /usr/bin/python3 -c 'import ctypes, os, sys
ctypes.CDLL(None).ptrace(0, 0, None, None)  # PTRACE_TRACEME: stopped at exec
os.execv(sys.argv[1], [sys.argv[1]])' "$CLIENT_DIR/AliYunDun" &
traced=$!
PIDS+=("$traced")
wait_diag agent_impostor ".subject.pid==$traced"
assert_match "$(diag agent_impostor .summary ".subject.pid==$traced")" "uid 65534\\) is not the agent: it does not run as root" \
	"the traced copy's verdict"
assert_eq "$(awk '/^State:/ {print $2}' "/proc/$traced/status")" t "the copy is stopped by its tracer"

kill -KILL "$dun"
wait_diag agent_killed ".subject.pid==$dun"
wait_action '.action=="restart" and .step==null and .outcome=="ok"' 15
assert_eq "$(count_action '.action=="restart" and (.detail // "" | test("without us"))')" 0 \
	"restarts skipped for the impostor"
kill -0 "$traced" 2>/dev/null || fail "the restart stopped the attacker's copy"
jq -e -s --arg p "$traced" '[.[] | select(.kind=="action" and .step=="stop" and .outcome=="skipped"
	and (.detail | test("pid \($p) .*not the agent")))] | length > 0' "$OUT" >/dev/null ||
	fail "the restart did not say it left the copy alone"
new=
for p in $(root_pids); do
	[ "$p" != "$traced" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = AliYunDun ] && new=$p
done
[ -n "$new" ] || fail "no new AliYunDun after the restart"
kill -KILL "$traced"
wait "$traced" 2>/dev/null
restarts=$(count_action '.action=="restart" and .outcome=="scheduled"')

# 2. a symlink named after the Monitor, to the installed binary, run and
# killed by uid 65534
mkdir -p "$WORK/nobody"
ln -s "$CLIENT_DIR/AliYunDun" "$WORK/nobody/AliYunDunMonitor"
"${NOBODY[@]}" "$WORK/nobody/AliYunDunMonitor" &
mon=$!
PIDS+=("$mon")
wait_diag agent_impostor ".subject.pid==$mon"
"${NOBODY[@]}" kill -KILL "$mon"
wait "$mon" 2>/dev/null
sleep 1
assert_eq "$(count_diag agent_killed ".subject.pid==$mon")" 0 "agent_killed for the user's copy"
assert_eq "$(count_action '.action=="restart" and .outcome=="scheduled"')" "$restarts" \
	"restarts after the user killed its own copy"

# 3. a path that reads as inside the root, to a file that is not installed,
# gone before /proc can be read
mkdir -p "$WORK/elsewhere"
install -m 0755 "$FAKE" "$WORK/elsewhere/AliYunDun"
via="$ROOT/../elsewhere/AliYunDun"
for _ in 1 2 3 4 5 6 7 8; do
	"$via" exit 0
done
wait_for 5 has_diag agent_impostor '.summary | test("not an installed file")' ||
	fail "the copy run through $via was not judged"
sleep 1
assert_eq "$(count_diag agent_exited)" 0 "agent_exited for the copy"
assert_eq "$(count_diag agent_flapping)" 0 "agent_flapping for the copy"
assert_eq "$(count_action '.action=="restart" and .outcome=="scheduled"')" "$restarts" \
	"restarts for the copy"
kill -0 "$new" || fail "the restarted agent was stopped"
stop_daemon
pass "traced and symlinked copies of the installed binary, and a planted path, are impostors"
