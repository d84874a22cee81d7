#!/usr/bin/env bash
# The metrics textfile as node_exporter's collector reads it (Debian runs it
# as user prometheus): the daemon, under the unit's UMask=0027, replaces an
# older 0640 file with a 0644 one that uid 65534 reads; the file is valid
# exposition text (promtool check metrics) with aegismon_build_info (the
# version and ABI 'aegismon version' prints), aegismon_agent_processes for the
# three core names, aegismon_diagnosis_active for every cause (agent_killed
# 1 from the kill until the agent runs again) and the time it was written.
# make install puts the alert rules where the README says.
. "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || fail "promtool not found (Debian's prometheus package: scripts/deps.sh)"
install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun
victim=$LAST_PID
wait_for 5 exec_done "$victim" AliYunDun || fail "stand-in agent did not start"

# a textfile directory like /var/lib/prometheus/node-exporter: root's, 0755
chmod 0755 "$WORK"
TEXTDIR=$WORK/textfile
mkdir -m 0755 "$TEXTDIR"
PROM=$TEXTDIR/aegismon.prom
printf 'aegismon_old 1\n' >"$PROM"
chmod 0640 "$PROM" # what an older aegismon left: the collector cannot read it
as_collector() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
as_collector cat "$PROM" >/dev/null 2>&1 && fail "uid 65534 reads a 0640 root file: the test proves nothing"

: >"$ERR"
(umask 0027 && exec "$AEGISMON" run --no-config --agent-root "$ROOT" --grace 60 \
	--syslog "unix:$WORK/no-syslog.sock" --json-log "$WORK/diag.json" --metrics "$PROM" \
	>"$OUT" 2>"$ERR") &
TRACE_PID=$!
wait_for 15 grep -q '^aegismon_build_info' "$PROM" || fail "no metrics written: $(cat "$PROM")"

# 0644 whatever the umask, readable by the collector's uid
assert_eq "$(stat -c '%a %u' "$PROM")" "644 0" "mode and owner of the metrics file"
assert_eq "$(stat -c %a "$WORK/diag.json")" 640 "the JSON log keeps its own mode"
as_collector cat "$PROM" >"$WORK/read.prom" 2>"$WORK/read.err" ||
	fail "uid 65534 cannot read the metrics file: $(cat "$WORK/read.err")"
grep -q '^aegismon_old' "$WORK/read.prom" && fail "the old file's content is still there"

# valid exposition text
promtool check metrics <"$WORK/read.prom" >"$WORK/lint.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$WORK/lint.out")"

# build_info: what 'aegismon version' says
read -r _ version _ _ abi <<<"$("$AEGISMON" version)"
abi=${abi%)}
line=$(grep '^aegismon_build_info' "$WORK/read.prom")
assert_match "$line" "^aegismon_build_info\\{version=\"$version\",abi=\"$abi\",bpf_features=\"(ringbuf|perfbuf),(raw_tp|classic_tp),connect_[a-z_]+,drop_(reason|site),[a-z_]+,(agent|host)_scope\"\\} 1\$" "build_info"
echo "   $line"

# the processes by name, the Monitor not installed included
grep -q '^aegismon_agent_processes{name="AliYunDun"} 1$' "$WORK/read.prom" || fail "agent_processes AliYunDun: $(grep processes "$WORK/read.prom")"
grep -q '^aegismon_agent_processes{name="AliYunDunMonitor"} 0$' "$WORK/read.prom" || fail "agent_processes AliYunDunMonitor"
grep -q '^aegismon_agent_processes{name="AliYunDunUpdate"} 1$' "$WORK/read.prom" || fail "agent_processes AliYunDunUpdate"
grep -q '^aegismon_agent_up{process="AliYunDun"} 1$' "$WORK/read.prom" || fail "agent_up is kept"

# every cause has its active gauge, none active while all is well
causes=$(grep -c '^aegismon_diagnoses_total{cause=' "$WORK/read.prom")
assert_eq "$(grep -c '^aegismon_diagnosis_active{cause="[a-z_]*",severity="\(critical\|warning\|info\)"} [01]$' "$WORK/read.prom")" "$causes" "diagnosis_active lines (one per cause)"
# (a concurrent test's stand-in agent is an impostor to this daemon: that one may be)
active=$(grep '^aegismon_diagnosis_active{.*} 1$' "$WORK/read.prom" | grep -v 'cause="agent_impostor"')
[ -z "$active" ] || fail "active while the agent runs: $active"

# written just now
written=$(sed -n 's/^aegismon_last_update_timestamp_seconds \([0-9]*\)$/\1/p' "$WORK/read.prom")
[ -n "$written" ] || fail "no aegismon_last_update_timestamp_seconds"
age=$(($(date +%s) - written))
[ "$age" -ge 0 ] && [ "$age" -le 30 ] || fail "last update $written is $age s from now"

# killed: active until it runs again
kill -KILL "$victim"
wait "$victim" 2>/dev/null
active_is() { grep -q "^aegismon_diagnosis_active{cause=\"agent_killed\",severity=\"critical\"} $1\$" "$PROM"; }
wait_for 10 active_is 1 || fail "agent_killed not active after the kill: $(grep active "$PROM")"
grep -q '^aegismon_agent_processes{name="AliYunDun"} 0$' "$PROM" || fail "agent_processes after the kill"
start_agent AliYunDun
wait_for 10 active_is 0 || fail "agent_killed still active with the agent running again: $(grep -E "agent_killed|processes|timestamp" "$PROM")"
grep -q '^aegismon_agent_processes{name="AliYunDun"} 1$' "$PROM" || fail "agent_processes after the restart"
assert_eq "$(stat -c %a "$PROM")" 644 "mode after rewrites"

kill -TERM "$TRACE_PID"
wait "$TRACE_PID"
rc=$?
TRACE_PID=
assert_eq "$rc" 0 "daemon exit status"

# make install: the rules next to the binary's prefix, valid
DEST=$WORK/dest
make -s -C "$REPO" install DESTDIR="$DEST" PREFIX=/usr >"$WORK/install.out" 2>&1 ||
	fail "make install failed: $(cat "$WORK/install.out")"
RULES=$DEST/usr/share/aegismon/aegismon.rules.yml
assert_eq "$(stat -c %a "$RULES" 2>/dev/null)" 644 "installed rules file"
promtool check rules "$RULES" >"$WORK/rules.out" 2>&1 || fail "installed rules: $(cat "$WORK/rules.out")"

pass "0644 under umask 0027 replacing a 0640 file, read by uid 65534, promtool-clean, build_info, agent_processes, diagnosis_active through a kill, rules installed"
