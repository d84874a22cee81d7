#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# aegismon restart on a running stand-in: --dry-run changes nothing; the real
# run stops AliYunDun and AliYunDunUpdate (never the impostor outside the
# root), starts them detached (clean environment, cwd the version directory,
# own session, stdio on /dev/null) and verifies new pids; the SysV script and
# systemctl of a test sysroot are used when present; unsafe binaries and
# scripts are refused with the reason; usage 2, not root 3.
. "$(dirname "$0")/remedy_lib.sh"

install_agent AliYunDun AliYunDunUpdate
mkdir -p "$ROOT/aegis_client/aegis_12_9" "$ROOT/aegis_client/aegis_11_99" "$ROOT/aegis_client/aegis_x_1"
start_agent AliYunDunUpdate
upd=$LAST_PID
start_agent AliYunDun
dun=$LAST_PID
# an impostor: the agent's name, outside the root
mkdir -p "$WORK/imp"
install -m 0755 "$FAKE" "$WORK/imp/AliYunDun"
"$WORK/imp/AliYunDun" &
imp=$!
PIDS+=("$imp")
wait_for 5 sh -c "[ \$(cat /proc/$dun/comm) = AliYunDun ] && [ \$(cat /proc/$imp/comm) = AliYunDun ]" ||
	fail "stand-ins did not start"

# 1. --dry-run: every step with its argv, nothing changes
"$AEGISMON" restart --agent-root "$ROOT" --dry-run >"$WORK/dry.out" 2>&1
assert_eq "$?" 0 "dry-run exit status"
grep -q "highest version aegis_12_93" "$WORK/dry.out" || fail "dry-run: no version line: $(cat "$WORK/dry.out")"
grep -q "would .*SIGTERM to pid $dun (AliYunDun" "$WORK/dry.out" || fail "dry-run: no stop of AliYunDun"
grep -q "would .*SIGTERM to pid $upd (AliYunDunUpdate" "$WORK/dry.out" || fail "dry-run: no stop of AliYunDunUpdate"
grep -q "pid $imp (AliYunDun, $WORK/imp/AliYunDun) left alone: not the agent (its executable is not an installed agent file)" "$WORK/dry.out" || fail "dry-run: impostor not reported"
grep -q "argv \[\"$CLIENT_DIR/AliYunDun\"\], cwd $CLIENT_DIR" "$WORK/dry.out" || fail "dry-run: no argv/cwd of the start"
kill -0 "$dun" && kill -0 "$upd" || fail "dry-run stopped something"
assert_eq "$(root_pids | sort | tr '\n' ' ')" "$(printf '%s\n' "$dun" "$upd" | sort | tr '\n' ' ')" "processes after dry-run"
"$AEGISMON" restart --agent-root "$ROOT" --dry-run --json >"$WORK/dry.json"
assert_eq "$(jq -s '[.[] | select(.kind=="action" and .dry_run==true)] | length > 5' "$WORK/dry.json")" true "dry-run JSON"
assert_eq "$(jq -r -s '.[-1].outcome' "$WORK/dry.json")" would "dry-run final outcome"
assert_eq "$(jq -r -s '.[-1].method' "$WORK/dry.json")" direct "dry-run method (no aegis.service, no init script here)"
# nothing installed: refused before any method is chosen, and none is named
"$AEGISMON" restart --agent-root "$WORK/nothing-here" --dry-run --json >"$WORK/none.json"
assert_eq "$(jq -r -s '.[-1] | .outcome + " " + (.method // "no method")' "$WORK/none.json")" "failed no method" "restart of nothing names no method"
echo "   dry run: $(grep -c would "$WORK/dry.out") steps, nothing changed"

# 2. the real restart
"$AEGISMON" restart --agent-root "$ROOT" --timeout 5 --json >"$OUT" 2>"$ERR"
rc=$?
assert_eq "$rc" 0 "restart exit status ($(cat "$ERR"))"
assert_eq "$(jq -r -s '.[-1].outcome' "$OUT")" ok "final outcome"
wait_for 3 sh -c "! kill -0 $dun 2>/dev/null || [ \$(awk '{print \$3}' /proc/$dun/stat) = Z ]" || fail "old AliYunDun still runs"
new=$(root_pid_of AliYunDun) || fail "no new AliYunDun"
newupd=$(root_pid_of AliYunDunUpdate) || fail "no new AliYunDunUpdate"
[ "$new" != "$dun" ] && [ "$newupd" != "$upd" ] || fail "same pids after the restart"
assert_eq "$(jq -r -s '[.[] | select(.step=="verify" and .outcome=="ok")][0].detail' "$OUT")" \
	"AliYunDun runs as pid $new from inside $ROOT" "verify step"
kill -0 "$imp" || fail "the impostor was stopped"
# started the clean way
assert_eq "$(readlink "/proc/$new/cwd")" "$CLIENT_DIR" "cwd"
assert_eq "$(tr '\0' '\n' <"/proc/$new/environ")" "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "environment"
# its own session (setsid in the middle child: not ours, and no terminal)
[ "$(awk '{print $6}' "/proc/$new/stat")" != "$(awk '{print $6}' /proc/$$/stat)" ] || fail "same session as the test"
assert_eq "$(awk '{print $7}' "/proc/$new/stat")" 0 "no controlling terminal"
assert_eq "$(ls "/proc/$new/fd" | sort | tr '\n' ' ')" "0 1 2 " "open fds"
assert_eq "$(readlink "/proc/$new/fd/1")" /dev/null "stdout"
assert_eq "$(awk '{print $4}' "/proc/$new/stat")" 1 "re-parented to init (double fork)"
echo "   restarted: AliYunDun $dun -> $new, AliYunDunUpdate $upd -> $newupd"

# 3. unsafe binaries are refused, nothing is stopped
chmod o+w "$CLIENT_DIR/AliYunDun"
"$AEGISMON" restart --agent-root "$ROOT" >"$WORK/ww.out" 2>&1
assert_eq "$?" 1 "exit status for a world-writable agent binary"
grep -q "check *refused .*world-writable" "$WORK/ww.out" || fail "no refusal: $(cat "$WORK/ww.out")"
grep -q "FAILED: unsafe agent binary" "$WORK/ww.out" || fail "no failure reason"
kill -0 "$new" || fail "a refused restart stopped the agent"
chmod o-w "$CLIENT_DIR/AliYunDun"
mv "$CLIENT_DIR/AliYunDun" "$WORK/imp/real"
ln -s "$WORK/imp/real" "$CLIENT_DIR/AliYunDun"
"$AEGISMON" restart --agent-root "$ROOT" >"$WORK/link.out" 2>&1
assert_eq "$?" 1 "exit status for a symlink out of the root"
grep -q "refused .*outside $ROOT" "$WORK/link.out" || fail "symlink not refused: $(cat "$WORK/link.out")"
rm "$CLIENT_DIR/AliYunDun"
mv "$WORK/imp/real" "$CLIENT_DIR/AliYunDun"

# 4. a SysV script in the test sysroot: stop/start through it
mkdir -p "$AEGISMON_SYSROOT/etc/init.d"
cat >"$AEGISMON_SYSROOT/etc/init.d/aegis" <<SH
#!/bin/sh
echo "\$@" >>"$WORK/initd.log"
setsid "$CLIENT_DIR/AliYunDun" </dev/null >/dev/null 2>&1 &
SH
chmod 0700 "$AEGISMON_SYSROOT/etc/init.d/aegis"
"$AEGISMON" restart --agent-root "$ROOT" --timeout 5 >"$WORK/sysv.out" 2>&1
assert_eq "$?" 0 "SysV restart exit status ($(cat "$WORK/sysv.out"))"
grep -q "method *ok *sysv: $AEGISMON_SYSROOT/etc/init.d/aegis" "$WORK/sysv.out" || fail "method not sysv"
assert_eq "$(cat "$WORK/initd.log")" restart "init script argv"
sysv=$(root_pid_of AliYunDun) || fail "no AliYunDun after the SysV restart"
[ "$sysv" != "$new" ] || fail "SysV restart kept the old pid"
# a group-writable script is refused
chmod 0770 "$AEGISMON_SYSROOT/etc/init.d/aegis"
"$AEGISMON" restart --agent-root "$ROOT" >"$WORK/sysvbad.out" 2>&1
assert_eq "$?" 1 "group-writable init script"
grep -q "refused .*group-writable" "$WORK/sysvbad.out" || fail "init script not refused: $(cat "$WORK/sysvbad.out")"

# 5. systemd in the test sysroot (a stand-in systemctl): 'systemctl restart aegis'
mkdir -p "$AEGISMON_SYSROOT/run/systemd/system" "$AEGISMON_SYSROOT/etc/systemd/system" "$AEGISMON_SYSROOT/usr/bin"
echo "[Service]" >"$AEGISMON_SYSROOT/etc/systemd/system/aegis.service"
cat >"$AEGISMON_SYSROOT/usr/bin/systemctl" <<SH
#!/bin/sh
echo "\$@" >>"$WORK/systemctl.log"
setsid "$CLIENT_DIR/AliYunDun" </dev/null >/dev/null 2>&1 &
SH
chmod 0755 "$AEGISMON_SYSROOT/usr/bin/systemctl"
"$AEGISMON" restart --agent-root "$ROOT" --dry-run >"$WORK/sd.out" 2>&1
grep -q "would *run $AEGISMON_SYSROOT/usr/bin/systemctl (argv: $AEGISMON_SYSROOT/usr/bin/systemctl restart aegis)" "$WORK/sd.out" ||
	fail "dry-run does not show the systemctl argv: $(cat "$WORK/sd.out")"
"$AEGISMON" restart --agent-root "$ROOT" --timeout 5 >"$WORK/sd2.out" 2>&1
assert_eq "$?" 0 "systemd restart ($(cat "$WORK/sd2.out"))"
assert_eq "$(cat "$WORK/systemctl.log")" "restart aegis" "systemctl argv"

# 6. usage and environment errors
"$AEGISMON" restart --bogus >/dev/null 2>&1
assert_eq "$?" 2 "unknown option"
"$AEGISMON" restart --timeout abc >/dev/null 2>&1
assert_eq "$?" 2 "bad timeout"
setpriv --reuid=65534 --regid=65534 --clear-groups "$AEGISMON" restart --agent-root "$ROOT" >/dev/null 2>"$WORK/nonroot.err"
assert_eq "$?" 3 "not root"
grep -q "must run as root" "$WORK/nonroot.err" || fail "no not-root message"
# no install: a failure with the reason
"$AEGISMON" restart --agent-root "$WORK/none" >"$WORK/none.out" 2>&1
assert_eq "$?" 1 "no install"
grep -q "not installed" "$WORK/none.out" || fail "no reason for a missing install"
pass "dry run, restart (direct, SysV, systemd), impostor spared, unsafe files refused, exit codes"
