# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Helpers for the remediation tests, on top of lib.sh. Restarted agents are
# not children of the test: they are found by executable (inside $ROOT) and
# stopped by pid when the test ends. No test touches the host's services:
# AEGISMON_SYSROOT points the service detection at an empty test directory.
. "$(dirname "$0")/lib.sh"

export AEGISMON_SYSROOT=$WORK/sysroot
mkdir -p "$AEGISMON_SYSROOT"

# pids of live processes whose executable is inside $ROOT
root_pids() {
	local d exe
	for d in /proc/[0-9]*; do
		exe=$(readlink "$d/exe" 2>/dev/null) || continue
		case "$exe" in "$ROOT"/*) ;; *) continue ;; esac
		[ "$(awk '{print $3}' "$d/stat" 2>/dev/null)" = Z ] && continue
		echo "${d#/proc/}"
	done
}

# pid of the running instance of NAME (comm) inside $ROOT, or nothing
root_pid_of() {
	local p
	for p in $(root_pids); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$1" ] && { echo "$p"; return 0; }
	done
	return 1
}

remedy_cleanup() {
	local p
	for p in $(root_pids); do kill -KILL "$p" 2>/dev/null; done
	cleanup
}
trap remedy_cleanup EXIT

# has_action JQ-CONDITION: an action line in $OUT matches
has_action() {
	jq -e -s "[.[] | select(.kind==\"action\" and ($1))] | length > 0" "$OUT" >/dev/null 2>&1
}
wait_action() { # wait_action JQ-CONDITION [SECONDS]
	wait_for "${2:-10}" has_action "$1" || fail "no action with $1 within ${2:-10} s"
}
count_action() {
	jq -s "[.[] | select(.kind==\"action\" and ($1))] | length" "$OUT"
}

# start_daemon OPTIONS...: aegismon run --json in the background, waits until attached
start_daemon() {
	: >"$ERR"
	"$AEGISMON" run --json --no-config --agent-root "$ROOT" "$@" >"$OUT" 2>"$ERR" &
	TRACE_PID=$!
	wait_for 10 grep -q "probes attached" "$ERR" || fail "aegismon run did not attach within 10 s"
}

stop_daemon() {
	kill -TERM "$TRACE_PID"
	wait "$TRACE_PID"
	TRACE_RC=$?
	TRACE_PID=
}
