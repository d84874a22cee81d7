#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Runs inside the systemd guest (tests/systemd/run.sh boots it; systemd is
# PID 1, journald owns /dev/log, Debian's prometheus-node-exporter runs as its
# unit): aegismon installed from its .deb (or with `make install` when there is
# no package) and run by its own unit beside a stand-in agent run as transient
# units (aegis.service, aegis-update.service).
# Each item asserts what a user of a stock systemd host relies on; a failure
# prints a FAIL line and the next item still runs.
#   1 install, enable --now, ready      5 the watchdog restarts a hung daemon
#   2 agent_killed in the journal       6 exit status 3 does not loop
#   3 node_exporter serves the metrics  7 systemd-analyze security, probes attached
#   4 a refused reload keeps the daemon 8 dpkg -r stops it, --purge takes the config
# env: SYSTEMD_DEB (the package to install; empty: make install),
# SYSTEMD_PREFIX (default /usr, for make install), SYSTEMD_EXPOSURE_MAX
# (default 3.5: the shipped unit reaches 3.4 with systemd 252)
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SYSTEMD_COLORS=0 SYSTEMD_PAGER=
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=${SYSTEMD_PREFIX:-/usr}
DEB=${SYSTEMD_DEB:-}
[ -z "$DEB" ] || PREFIX=/usr
EXPOSURE_MAX=${SYSTEMD_EXPOSURE_MAX:-3.5}
ROOT=/var/lib/aegis-standin
CLIENT=$ROOT/aegis_client/aegis_12_93/AliYunDun
UPDATE=$ROOT/aegis_update/AliYunDunUpdate
CONF=/etc/aegismon.conf
PROM=/var/lib/prometheus/node-exporter/aegismon.prom
DROPIN=/etc/systemd/system/aegismon.service.d
passed=0 failed=0 failed_items=()

fail() { echo "FAIL [systemd item $item]: $*"; }
note() { echo "   $*"; }

# wait_for SECONDS CMD...: poll CMD every 0.2 s until it succeeds or time runs out
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.2
	done
}

prop() { systemctl show -p "$2" --value "$1"; }
main_pid() { prop aegismon MainPID; }

# run_item N TITLE FUNCTION: one item, counted
run_item() {
	item=$1
	echo "== item $1: $2"
	local t0=$SECONDS
	if "$3"; then
		passed=$((passed + 1))
		echo "ok   [systemd item $1] $2 ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		failed_items+=("$1")
		echo "   (item $1 failed after $((SECONDS - t0)) s)"
	fi
}

# --- the stand-in agent: AliYunDun and AliYunDunUpdate as transient units
install_standin() {
	# a tmpfs, as an agent root on a real disk: on the guest's overlayfs root
	# a file's stat() (the upper layer's device) and what the exec probe sees
	# (the overlay's) differ, and a re-exec'd stand-in would look an impostor
	mkdir -p "$ROOT"
	mount -t tmpfs -o mode=0755 tmpfs "$ROOT"
	mkdir -p "$(dirname "$CLIENT")" "$(dirname "$UPDATE")"
	install -m 0755 "$REPO/build/tests/fake_agent" "$CLIENT"
	install -m 0755 "$REPO/build/tests/fake_agent" "$UPDATE"
}

# start_standin UNIT EXE [ARGS...]: (re)start EXE as the transient UNIT, its pid in $LAST_PID
start_standin() {
	# the killed one is collected (--collect) before its name is free again
	systemctl stop "$1" 2>/dev/null
	systemctl reset-failed "$1" 2>/dev/null
	wait_for 10 sh -c "[ \"\$(systemctl show -p LoadState --value $1)\" != loaded ]"
	systemd-run -q --collect --unit="$1" "${@:2}" || return 1
	wait_for 10 sh -c "[ \"\$(readlink /proc/\$(systemctl show -p MainPID --value $1)/exe)\" = $2 ]" || return 1
	LAST_PID=$(prop "$1" MainPID)
}

# journal_has MATCH... -- PATTERN: does journalctl MATCH... print a line with PATTERN?
journal_has() {
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	journalctl --no-pager -q -o cat "${args[@]}" 2>/dev/null | grep -q -- "$2"
}

# start_line: the start line of the running instance ("N probes attached ...")
start_line() {
	journalctl --no-pager -q -o cat _SYSTEMD_INVOCATION_ID="$(prop aegismon InvocationID)" 2>/dev/null |
		grep -m1 "probes attached"
}

# wait_ready: active, with its start line in the journal
wait_ready() {
	wait_for 60 systemctl is-active -q aegismon || return 1
	wait_for 20 sh -c "journalctl --no-pager -q -o cat _SYSTEMD_INVOCATION_ID=\$(systemctl show -p InvocationID --value aegismon) | grep -q 'probes attached'"
}

write_config() {
	cat >"$CONF" <<CONF
# written by tests/systemd/scenario.sh
agent-root = $ROOT
grace = 5
metrics = $PROM
CONF
	chmod 0644 "$CONF"
}

# --- 1: the package (or make install), enable --now, ready
install_deb() {
	local out st rc=0
	# the host image's policy-rc.d (exit 101) would keep the maintainer
	# scripts from stopping the unit on removal (item 8); a stock host has
	# none. The guest's root is an overlay: the host keeps its file.
	rm -f /usr/sbin/policy-rc.d
	# man-db's dpkg trigger rebuilds the whole index: minutes under emulation, no assertion here
	rm -f /var/lib/man-db/auto-update
	out=$(dpkg -i "$DEB" 2>&1) || { fail "dpkg -i $DEB: $out"; return 1; }
	st=$(dpkg-query -W -f='${Status} ${Version}' aegismon 2>&1)
	note "dpkg: aegismon $st"
	[ "${st% *}" = "install ok installed" ] || { fail "dpkg-query: aegismon is '$st'"; rc=1; }
	grep -q "aegismon $(cat "$REPO/VERSION")" <<<"$(/usr/sbin/aegismon version 2>&1)" ||
		{ fail "/usr/sbin/aegismon version is not VERSION $(cat "$REPO/VERSION"): $(/usr/sbin/aegismon version 2>&1 | head -1)"; rc=1; }
	[ "$(prop aegismon FragmentPath)" = /lib/systemd/system/aegismon.service ] ||
		{ fail "the unit is not the package's /lib/systemd/system/aegismon.service: $(prop aegismon FragmentPath)"; rc=1; }
	# installed, not enabled or started: the operator reviews the config first
	[ "$(systemctl is-enabled aegismon 2>&1)" = disabled ] ||
		{ fail "the package left aegismon $(systemctl is-enabled aegismon 2>&1), not disabled"; rc=1; }
	systemctl is-active -q aegismon && { fail "the package started aegismon"; rc=1; }
	return $rc
}
install_make() {
	local out
	make -s -C "$REPO" -q aegismon || { fail "the build is not up to date: build on the host first (make all e2e-bins)"; return 1; }
	out=$(make -s -C "$REPO" install PREFIX="$PREFIX" 2>&1) || { fail "make install PREFIX=$PREFIX: $out"; return 1; }
}
item_install() {
	local exec rc=0
	if [ -n "$DEB" ]; then
		install_deb || rc=1
	else
		install_make || return 1
	fi
	write_config
	"$PREFIX/sbin/aegismon" run --check-config >/tmp/check-config.out 2>&1 ||
		{ fail "the test's config does not pass --check-config: $(cat /tmp/check-config.out)"; return 1; }
	systemctl daemon-reload
	exec=$(prop aegismon ExecStart)
	case $exec in
	*"path=$PREFIX/sbin/aegismon "*) ;;
	*)
		fail "the installed unit's ExecStart is not $PREFIX/sbin/aegismon: $exec"
		rc=1
		# the rest of the scenario with the install the unit expects
		make -s -C "$REPO" install >/dev/null 2>&1
		systemctl daemon-reload
		;;
	esac
	systemctl enable --now aegismon >/tmp/enable.out 2>&1 ||
		{ fail "systemctl enable --now aegismon: $(cat /tmp/enable.out)"; systemctl status --no-pager aegismon | tail -15; return 1; }
	wait_ready || { fail "aegismon not active with its start line within the limits: $(systemctl is-active aegismon)"; systemctl status --no-pager aegismon | tail -15; return 1; }
	note "$(start_line)"
	note "status: $(prop aegismon StatusText)"
	systemctl is-enabled -q aegismon || { fail "aegismon is not enabled"; rc=1; }
	return $rc
}

# --- 2: a SIGKILL from a shell, seen in journalctl -t and by field
item_killed() {
	local victim rc=0
	victim=$(prop aegis MainPID)
	[ "$victim" -gt 0 ] 2>/dev/null || { fail "the stand-in AliYunDun (aegis.service) is not running"; return 1; }
	kill -KILL "$victim"
	wait_for 30 journal_has AEGISMON_KIND=diagnosis AEGISMON_CAUSE=agent_killed AEGISMON_PID="$victim" -- . ||
		{ fail "no journal entry with AEGISMON_KIND=diagnosis AEGISMON_CAUSE=agent_killed AEGISMON_PID=$victim within 30 s"; rc=1; }
	wait_for 5 journal_has -t aegismon -- "agent_killed\|killed by SIGKILL" ||
		{ fail "journalctl -t aegismon shows no agent_killed"; rc=1; }
	local v
	v=$(journalctl --no-pager -q -o verbose AEGISMON_KIND=diagnosis AEGISMON_CAUSE=agent_killed AEGISMON_PID="$victim" -n 1 2>/dev/null)
	if [ -n "$v" ]; then
		grep -q "^ *SYSLOG_IDENTIFIER=aegismon$" <<<"$v" || { fail "the entry has no SYSLOG_IDENTIFIER=aegismon"; rc=1; }
		grep -q "^ *AEGISMON_SEVERITY=critical$" <<<"$v" || { fail "the entry has no AEGISMON_SEVERITY=critical"; rc=1; }
		grep -q "^ *PRIORITY=2$" <<<"$v" || { fail "the entry's PRIORITY is not 2 (crit): $(grep PRIORITY= <<<"$v")"; rc=1; }
		grep -q "^ *MESSAGE=.*SIGKILL" <<<"$v" || { fail "the entry's MESSAGE does not name SIGKILL: $(grep MESSAGE= <<<"$v")"; rc=1; }
		grep -q '^ *AEGISMON_JSON={.*"cause":"agent_killed"' <<<"$v" || { fail "the entry has no AEGISMON_JSON with the diagnosis"; rc=1; }
		grep -q "^ *_SYSTEMD_UNIT=aegismon.service$" <<<"$v" || { fail "the entry is not from aegismon.service"; rc=1; }
	fi
	# for the README: what an operator sees right after the kill
	sleep 1
	journalctl --no-pager -t aegismon -n 5 >/tmp/readme-journal.txt 2>&1
	echo "$v" >/tmp/readme-verbose.txt
	return $rc
}

# --- 3: Debian's node_exporter (its own unit, user prometheus) serves our textfile
# (one scrape runs every collector: seconds under emulation, more on a busy host)
metrics() { curl -s --max-time 30 http://localhost:9100/metrics; }
scrape() { # into /tmp/metrics.txt; succeeds once agent_killed is counted
	metrics >/tmp/metrics.txt
	grep -Eq '^aegismon_diagnoses_total\{cause="agent_killed"\} [1-9]' /tmp/metrics.txt
}
item_metrics() {
	local rc=0 user
	wait_for 30 systemctl is-active -q prometheus-node-exporter ||
		{ fail "prometheus-node-exporter.service is not active: $(systemctl is-active prometheus-node-exporter)"; return 1; }
	user=$(ps -o user= -p "$(prop prometheus-node-exporter MainPID)")
	[ "$user" = prometheus ] || { fail "node_exporter runs as '$user', not prometheus"; rc=1; }
	[ -e "$PROM" ] || { fail "the daemon wrote no $PROM"; rc=1; }
	wait_for 60 scrape ||
		{ fail "localhost:9100/metrics has no aegismon_diagnoses_total{cause=\"agent_killed\"} >= 1 ($(wc -l </tmp/metrics.txt) lines scraped)"; rc=1; }
	grep -E '^aegismon_|^node_textfile' /tmp/metrics.txt | grep -v '^aegismon_diagnoses_total{.*} 0$' >/tmp/readme-metrics.txt
	grep -q '^node_textfile_scrape_error 0$' /tmp/metrics.txt ||
		{ fail "node_exporter cannot read the textfile: '$(grep '^node_textfile_scrape_error' /tmp/metrics.txt)' (ls: $(ls -l "$PROM"))"; rc=1; }
	return $rc
}

# --- 4: a broken config: the reload is refused, the daemon keeps its settings
item_reload() {
	local pid0 rc=0 rrc=0 status victim
	start_standin aegis.service "$CLIENT" || { fail "cannot restart the stand-in AliYunDun"; return 1; }
	victim=$LAST_PID
	pid0=$(main_pid)
	cp "$CONF" /tmp/aegismon.conf.good
	echo "grace = soon" >>"$CONF"
	systemctl reload aegismon >/tmp/reload.out 2>&1 || rrc=$?
	status=$(prop aegismon StatusText)
	note "systemctl reload: exit $rrc: $(tr '\n' ' ' </tmp/reload.out)"
	note "STATUS: $status"
	if [ "$rrc" -eq 0 ] && ! grep -qi "refused" <<<"$status"; then
		fail "the reload of a broken config succeeded and STATUS= does not say it was refused"
		rc=1
	fi
	grep -qi "refused" <<<"$status" || { fail "STATUS= does not report the refused reload: '$status'"; rc=1; }
	grep -q "aegismon.conf" <<<"$status" || { fail "STATUS= does not name the file of the error: '$status'"; rc=1; }
	systemctl status --no-pager aegismon 2>&1 | grep -q "Status: \".*refused" ||
		{ fail "systemctl status shows no Status: line with the refusal"; rc=1; }
	journal_has -u aegismon -- "grace" || { fail "the journal does not say what was wrong (grace = soon)"; rc=1; }
	systemctl is-active -q aegismon || { fail "the daemon is not active after the refused reload: $(systemctl is-active aegismon)"; return 1; }
	[ "$(main_pid)" = "$pid0" ] || { fail "the daemon was restarted (MainPID $pid0 -> $(main_pid))"; rc=1; }
	# the old settings: the agent root of the running config still watched
	kill -KILL "$victim"
	wait_for 30 journal_has AEGISMON_KIND=diagnosis AEGISMON_CAUSE=agent_killed AEGISMON_PID="$victim" -- . ||
		{ fail "the second kill (pid $victim) was not diagnosed after the refused reload"; rc=1; }
	# repaired: the next reload is applied, and says so
	cp /tmp/aegismon.conf.good "$CONF"
	systemctl reload aegismon >/tmp/reload.out 2>&1 || { fail "the reload of the repaired config failed: $(cat /tmp/reload.out)"; rc=1; }
	grep -qi refused <<<"$(prop aegismon StatusText)" && { fail "STATUS= still says refused after a good reload: $(prop aegismon StatusText)"; rc=1; }
	return $rc
}

# --- 5: the watchdog: fed while running, a stopped daemon is killed and restarted
item_watchdog() {
	local pid0 pid1 n0 rc=0
	mkdir -p "$DROPIN"
	# TimeoutAbortSec: the watchdog's SIGABRT stays pending in a stopped
	# process; SIGKILL follows it after this (default: TimeoutStopSec, 90 s)
	printf '[Service]\nWatchdogSec=5s\nTimeoutAbortSec=5s\n' >"$DROPIN/50-test-watchdog.conf"
	systemctl daemon-reload
	systemctl restart aegismon || { fail "restart with WatchdogSec=5s failed"; rm -f "$DROPIN/50-test-watchdog.conf"; systemctl daemon-reload; return 1; }
	wait_ready || { fail "not ready after the restart with WatchdogSec=5s"; rc=1; }
	pid0=$(main_pid)
	n0=$(prop aegismon NRestarts)
	note "WatchdogUSec=$(prop aegismon WatchdogUSec), MainPID $pid0"
	sleep 12 # more than two watchdog periods: a daemon that does not feed it is killed here
	if [ "$(main_pid)" != "$pid0" ] || [ "$(prop aegismon NRestarts)" != "$n0" ]; then
		fail "the running daemon does not feed the watchdog (MainPID $pid0 -> $(main_pid), NRestarts $n0 -> $(prop aegismon NRestarts))"
		rc=1
		wait_ready
		pid0=$(main_pid)
		n0=$(prop aegismon NRestarts)
	fi
	kill -STOP "$pid0"
	restarted() { pid1=$(main_pid); [ "$pid1" != "$pid0" ] && [ "$pid1" -gt 0 ] && systemctl is-active -q aegismon; }
	if ! wait_for 60 restarted; then
		fail "the stopped daemon (pid $pid0) was not restarted within 60 s: $(systemctl is-active aegismon), MainPID $(main_pid)"
		kill -CONT "$pid0" 2>/dev/null
		rc=1
	else
		note "MainPID $pid0 -> $pid1, NRestarts $n0 -> $(prop aegismon NRestarts)"
		[ "$(prop aegismon NRestarts)" -gt "$n0" ] || { fail "NRestarts did not grow"; rc=1; }
	fi
	journal_has -u aegismon -- "Watchdog timeout" || { fail "the journal does not say 'Watchdog timeout'"; rc=1; }
	note "$(journalctl --no-pager -q -u aegismon -o cat | grep -m1 'Watchdog timeout')"
	# item 6 stops it next: no restart without the drop-in here
	rm -f "$DROPIN/50-test-watchdog.conf"
	systemctl daemon-reload
	return $rc
}

# --- 6: exit status 3 (the kernel cannot support it): failed, no restart loop
item_exit3() {
	local rc=0 st
	systemctl stop aegismon
	systemctl reset-failed aegismon 2>/dev/null
	mkdir -p "$DROPIN"
	# the unit's own sandbox hides the kernel's BTF: 'run' cannot work, exit 3
	printf '[Service]\nInaccessiblePaths=/sys/kernel/btf\n' >"$DROPIN/50-test-nobtf.conf"
	systemctl daemon-reload
	systemctl start aegismon >/tmp/start.out 2>&1 && { fail "aegismon started without the kernel's BTF"; rc=1; }
	sleep 10 # twice RestartSec=5s: a restart would have come
	st=$(prop aegismon ExecMainStatus)
	note "ActiveState=$(prop aegismon ActiveState) Result=$(prop aegismon Result) ExecMainStatus=$st NRestarts=$(prop aegismon NRestarts)"
	note "$(journalctl --no-pager -q -u aegismon -o cat | grep -m1 'exposes no BTF')"
	[ "$st" = 3 ] || { fail "ExecMainStatus is $st, not 3"; rc=1; }
	[ "$(prop aegismon ActiveState)" = failed ] || { fail "the unit is $(prop aegismon ActiveState), not failed"; rc=1; }
	[ "$(prop aegismon NRestarts)" = 0 ] || { fail "exit status 3 was restarted $(prop aegismon NRestarts) times (RestartPreventExitStatus=2 3)"; rc=1; }
	journal_has -u aegismon -- "exposes no BTF" || { fail "the journal does not say why (no BTF)"; rc=1; }
	# the reason is an error to the journal (journalctl -p err), the start line information only
	journal_has -u aegismon -p err -- "exposes no BTF" ||
		{ fail "'exposes no BTF' is not in journalctl -p err"; rc=1; }
	journal_has -u aegismon -p warning -- "probes attached" &&
		{ fail "the start line reached the journal at warning or above"; rc=1; }
	systemctl stop aegismon 2>/dev/null
	rm -f "$DROPIN/50-test-nobtf.conf"
	systemctl daemon-reload
	systemctl reset-failed aegismon
	systemctl start aegismon || { fail "aegismon does not start again without the drop-in"; return 1; }
	wait_ready || { fail "not ready after the exit-3 drop-in was removed"; rc=1; }
	return $rc
}

# --- 7: the hardening's exposure, and every probe attached under it
probe_counts() { # LINE -> "ATTACHED FAILED"
	local a f
	a=$(sed -n 's/^aegismon: \([0-9]*\) probes attached.*/\1/p' <<<"$1")
	f=$(sed -n 's/.*; \([0-9]*\) failed to attach.*/\1/p' <<<"$1")
	echo "${a:-0} ${f:-0}"
}
item_security() {
	local rc=0 score line a f ba bf
	systemd-analyze security --no-pager aegismon.service >/tmp/security.out 2>&1
	score=$(sed -n 's/.*Overall exposure level for aegismon.service: \([0-9.]*\).*/\1/p' /tmp/security.out)
	note "systemd-analyze security: $(grep 'Overall exposure' /tmp/security.out)"
	grep '✗' /tmp/security.out | sed 's/^/      /' | head -40
	if [ -z "$score" ]; then
		fail "no exposure level from systemd-analyze security: $(tail -3 /tmp/security.out)"
		rc=1
	elif ! awk -v s="$score" -v m="$EXPOSURE_MAX" 'BEGIN { exit !(s <= m) }'; then
		fail "exposure $score is above $EXPOSURE_MAX"
		rc=1
	fi
	line=$(start_line)
	read -r a f <<<"$(probe_counts "$line")"
	read -r ba bf <<<"$(probe_counts "$BASELINE")"
	note "in the unit:    $line"
	note "outside it:     $BASELINE"
	[ "$a" -gt 0 ] || { fail "no start line with the probes of the unit's daemon"; return 1; }
	[ "$f" -le "$bf" ] || { fail "$f probes failed to attach in the unit, $bf outside it: the hardening costs probes"; rc=1; }
	[ "$a" -ge "$ba" ] || { fail "$a probes attached in the unit, $ba outside it"; rc=1; }
	# the network probes come on demand: the agent connects (to a closed
	# loopback port), they must attach under the sandbox too
	if grep -q "network probes when the agent uses the network" <<<"$line"; then
		start_standin aegis.service "$CLIENT" connectstay 127.0.0.1 9 0 || { fail "cannot restart the stand-in AliYunDun"; return 1; }
		local inv
		inv=$(prop aegismon InvocationID)
		if wait_for 20 journal_has _SYSTEMD_INVOCATION_ID="$inv" -- "network probes attached\|cannot attach the network probes" &&
			journal_has _SYSTEMD_INVOCATION_ID="$inv" -- "network probes attached"; then
			note "$(journalctl --no-pager -q -o cat _SYSTEMD_INVOCATION_ID="$inv" | grep -m1 'network probes attached')"
		else
			fail "the on-demand network probes did not attach in the unit: $(journalctl --no-pager -q -o cat _SYSTEMD_INVOCATION_ID="$inv" | grep -m1 'cannot attach the network probes')"
			rc=1
		fi
	fi
	return $rc
}

# --- 8: the package's removal stops the daemon and keeps the edited config; purge takes it
item_remove() {
	local rc=0 pid out
	pid=$(main_pid)
	[ "$pid" -gt 0 ] 2>/dev/null || { fail "aegismon is not running before the removal"; rc=1; }
	out=$(dpkg -r aegismon 2>&1) || { fail "dpkg -r aegismon: $out"; return 1; }
	systemctl is-active -q aegismon && { fail "aegismon is still active after dpkg -r"; rc=1; }
	[ "$pid" -gt 0 ] 2>/dev/null && kill -0 "$pid" 2>/dev/null && { fail "the daemon (pid $pid) still runs after dpkg -r"; rc=1; }
	[ -e /usr/sbin/aegismon ] && { fail "/usr/sbin/aegismon is still there after dpkg -r"; rc=1; }
	grep -q "^agent-root = $ROOT$" "$CONF" 2>/dev/null ||
		{ fail "dpkg -r did not keep the edited $CONF"; rc=1; }
	out=$(dpkg --purge aegismon 2>&1) || { fail "dpkg --purge aegismon: $out"; return 1; }
	[ -e "$CONF" ] && { fail "$CONF is still there after dpkg --purge"; rc=1; }
	[ "$(dpkg-query -W -f='${Status}' aegismon 2>/dev/null)" = "" ] ||
		dpkg-query -W -f='${Status}' aegismon 2>/dev/null | grep -q 'not-installed' ||
		{ fail "dpkg still lists aegismon after --purge: $(dpkg-query -W -f='${Status}' aegismon 2>&1)"; rc=1; }
	return $rc
}

echo "guest: $(uname -r), $(systemctl --version | head -1), $(systemctl is-system-running)"
install_standin
start_standin aegis-update.service "$UPDATE" || echo "FAIL [systemd setup]: cannot start the stand-in AliYunDunUpdate"
start_standin aegis.service "$CLIENT" || echo "FAIL [systemd setup]: cannot start the stand-in AliYunDun"
# what the same kernel attaches outside any unit: the baseline of item 7
BASELINE=$("$REPO/aegismon" trace --no-config --agent-root "$ROOT" --duration 2 2>&1 >/dev/null | grep -m1 "probes attached")

if [ -n "$DEB" ]; then
	run_item 1 "dpkg -i $(basename "$DEB"), systemctl enable --now aegismon" item_install
else
	run_item 1 "make install PREFIX=$PREFIX, systemctl enable --now aegismon" item_install
fi
run_item 2 "agent_killed in journalctl -t aegismon and AEGISMON_CAUSE=" item_killed
run_item 3 "node_exporter serves aegismon's metrics" item_metrics
run_item 4 "a broken config: reload refused, old settings kept" item_reload
run_item 5 "the watchdog restarts a stopped daemon" item_watchdog
run_item 6 "exit status 3 does not loop" item_exit3
run_item 7 "systemd-analyze security <= $EXPOSURE_MAX, every probe attached" item_security

echo "== what a user sees (for the README)"
echo "\$ journalctl -t aegismon -n 5      # right after the kill (item 2)"
cat /tmp/readme-journal.txt 2>/dev/null
echo "\$ journalctl AEGISMON_CAUSE=agent_killed AEGISMON_KIND=diagnosis -o verbose -n 1"
cat /tmp/readme-verbose.txt 2>/dev/null
echo "\$ curl -s localhost:9100/metrics | grep -E '^aegismon_|^node_textfile'   # (item 3; zero diagnosis counters left out)"
cat /tmp/readme-metrics.txt 2>/dev/null
echo "\$ systemctl status aegismon"
systemctl status --no-pager aegismon | head -12
# last: it takes the daemon away
[ -z "$DEB" ] || run_item 8 "dpkg -r stops the daemon and keeps the config, --purge removes it" item_remove

echo "systemd: $passed passed, $failed failed${failed_items[*]:+ (items ${failed_items[*]})}"
[ "$failed" -eq 0 ]
