#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The remediation hook (aegismon run --remediation advise): run per diagnosis
# with the diagnosis JSON on stdin and AEGISMON_* in a clean environment, its
# exit status and first output lines logged; killed at --hook-timeout; refused
# with the reason when world-writable, owned by nobody, or a symlink out of
# its directory. Advise mode says what to do and restarts nothing.
. "$(dirname "$0")/remedy_lib.sh"

HOOKS=$WORK/hooks
mkdir -p "$HOOKS" "$WORK/elsewhere"
cat >"$HOOKS/hook" <<SH
#!/bin/sh
cat >"$WORK/hook.\$AEGISMON_CAUSE.stdin"
env >"$WORK/hook.\$AEGISMON_CAUSE.env"
echo "hook saw \$AEGISMON_CAUSE"
[ "\$AEGISMON_CAUSE" = agent_killed ] && exec sleep 30
exit 0
SH
chmod 0755 "$HOOKS/hook"
cp "$HOOKS/hook" "$WORK/elsewhere/hook"

install_agent AliYunDun
start_agent AliYunDun run
start_daemon --remediation advise --remediation-hook "$HOOKS/hook" --hook-timeout 1 --grace 600

# 1. a diagnosis: the hook gets it on stdin and in its environment
start_agent AliYunDun exit 3 50
victim=$LAST_PID
wait_diag agent_exited ".subject.pid==$victim"
wait_action '.action=="hook" and .outcome=="ok" and .cause=="agent_exited"'
assert_eq "$(jq -r -s '[.[] | select(.kind=="action" and .action=="hook" and .outcome=="ok" and .cause=="agent_exited")][0].output' "$OUT")" \
	"hook saw agent_exited" "hook output logged"
assert_eq "$(jq -r -s '[.[] | select(.kind=="action" and .action=="hook" and .outcome=="ok" and .cause=="agent_exited")][0].exit_code' "$OUT")" 0 "hook exit status logged"
stdin=$WORK/hook.agent_exited.stdin
assert_eq "$(jq -r .kind "$stdin")" diagnosis "stdin is the diagnosis JSON"
assert_eq "$(jq -r .subject.exit_code "$stdin")" 3 "stdin exit code"
assert_eq "$(jq -r .subject.pid "$stdin")" "$victim" "stdin pid"
env=$WORK/hook.agent_exited.env
grep -qx "AEGISMON_CAUSE=agent_exited" "$env" || fail "AEGISMON_CAUSE: $(cat "$env")"
grep -qx "AEGISMON_SEVERITY=warning" "$env" || fail "AEGISMON_SEVERITY"
grep -qx "AEGISMON_PID=$victim" "$env" || fail "AEGISMON_PID"
grep -qx "AEGISMON_COMM=AliYunDun" "$env" || fail "AEGISMON_COMM"
grep -qx "AEGISMON_SUMMARY=AliYunDun (pid $victim) exited with code 3.*" "$env" || fail "AEGISMON_SUMMARY: $(grep SUMMARY "$env")"
grep -qx "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$env" || fail "PATH"
grep -q "^AEGISMON_SYSROOT=\|^HOME=" "$env" && fail "the hook inherited our environment"
# advise mode: what to do, and no restart
wait_action '.action=="advise" and .outcome=="advised" and .cause=="agent_exited" and (.advice | test("exited by itself"))'
assert_eq "$(count_action '.action=="restart"')" 0 "restarts in advise mode"

# 2. a hook that hangs is killed at --hook-timeout
kill -TERM "$(root_pid_of AliYunDun)"
wait_diag agent_killed
wait_action '.action=="hook" and .outcome=="timeout" and .cause=="agent_killed"' 5
echo "   hung hook killed: $(jq -r -s '[.[] | select(.kind=="action" and .outcome=="timeout")][0].detail' "$OUT")"

# 3. unsafe hooks are refused, each with its reason
chmod o+w "$HOOKS/hook"
start_agent AliYunDun crash 50
wait_action '.action=="hook" and .outcome=="refused" and .cause=="agent_crashed" and (.detail | test("world-writable"))'
chmod o-w "$HOOKS/hook"
chown nobody "$HOOKS/hook"
start_agent AliYunDun exit 4 50
wait_action '.action=="hook" and .outcome=="refused" and (.detail | test("owned by uid 65534, not root"))'
chown root "$HOOKS/hook"
rm "$HOOKS/hook"
ln -s "$WORK/elsewhere/hook" "$HOOKS/hook"
start_agent AliYunDun exit 5 50
wait_action '.action=="hook" and .outcome=="refused" and (.detail | test("outside '"$HOOKS"'"))'
[ -e "$WORK/hook.agent_crashed.env" ] && fail "a refused hook ran"
stop_daemon
assert_eq "$TRACE_RC" 0 "daemon exit status"
pass "hook gets JSON and environment, is killed at its timeout, unsafe hooks refused; advise restarts nothing"
