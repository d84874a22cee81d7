#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Files written as root where another user can plant names (issue #20, item
# 6). uid 65534 plants, in a sticky world-writable directory: a FIFO at the
# metrics file and at the temporary name the old code used (<path>.tmp.<pid>),
# then a symlink to a root-only file, a file of its own and a FIFO at each of
# --json-log, --record and --report. The daemon is not blocked (a kill of the
# agent is diagnosed, the metrics file is written, SIGTERM ends it within
# 5 s); nothing is written through a planted name; each refusal is an exit 2
# naming the path; replay --report refuses a symlink to a root-only file.
. "$(dirname "$0")/lib.sh"

nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }

# the attacker's directory: sticky and world-writable, like /tmp
chmod 0711 "$WORK"
SHARED=$WORK/shared
mkdir "$SHARED"
chmod 1777 "$SHARED"
SECRET=$WORK/secret.conf
echo "root only $$" >"$SECRET"
chmod 0600 "$SECRET"
secret_sum=$(sha256sum <"$SECRET")
secret_intact() {
	[ "$(sha256sum <"$SECRET")" = "$secret_sum" ] || fail "$1: the root-only file was written through a symlink"
	assert_eq "$(stat -c %a:%u "$SECRET")" 600:0 "$1: mode and owner of the root-only file"
}

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
start_agent AliYunDun
victim=$LAST_PID

# 1. the daemon, metrics in the shared directory: a FIFO at the metrics path
# before the start, and at the old temporary name once its pid is known (its
# first metrics write comes after the probes attach, much later)
METRICS=$SHARED/aegismon.prom
nobody mkfifo -m 0666 "$METRICS" || fail "uid 65534 cannot plant a FIFO"
: >"$ERR"
"$AEGISMON" run --json --agent-root "$ROOT" --grace 60 --syslog "udp://127.0.0.1:9" \
	--metrics "$METRICS" --json-log "$WORK/diag.json" >"$OUT" 2>"$ERR" &
DAEMON=$!
PIDS+=("$DAEMON") # killed with SIGKILL by the cleanup if it hangs (the old code did)
nobody mkfifo -m 0666 "$METRICS.tmp.$DAEMON"
wait_for 10 grep -q "probes attached" "$ERR" || fail "the daemon did not attach within 10 s"

# not blocked: a real event is diagnosed, and reaches the metrics file
t0=$(now_ms)
kill -KILL "$victim"
wait "$victim" 2>/dev/null
wait_diag agent_killed ".subject.pid==$victim"
echo "   kill to diagnosis with the planted FIFOs: $(($(now_ms) - t0)) ms"
wait_for 8 grep -q '^aegismon_diagnoses_total{cause="agent_killed"} 1$' "$METRICS" ||
	fail "metrics: no agent_killed count ($(ls -l "$SHARED"))"
[ -f "$METRICS" ] && [ ! -p "$METRICS" ] || fail "the metrics path is not a regular file"
# readable by an unprivileged collector, and root's
assert_eq "$(stat -c %a:%u "$METRICS")" 644:0 "mode and owner of the metrics file"
nobody cat "$METRICS" >/dev/null || fail "uid 65534 cannot read the metrics file"
[ -p "$METRICS.tmp.$DAEMON" ] || fail "the planted FIFO at the old temporary name was replaced or removed"
# no temporary file left: only the metrics file and the planted FIFO
assert_eq "$(ls -A "$SHARED" | sort | tr '\n' ' ')" "aegismon.prom aegismon.prom.tmp.$DAEMON " "the shared directory"
# the directory others can write is said, once, although the file was written again
sleep 5.5
assert_eq "$(grep -c "warning: directory $SHARED " "$ERR")" 1 "warnings about the shared directory"
assert_eq "$(stat -c %a "$WORK/diag.json")" 640 "JSON log mode"

# SIGTERM: exits 0 within 5 s
( sleep 5; kill -KILL "$DAEMON" 2>/dev/null && echo killed >"$WORK/watchdog" ) &
WATCHDOG=$!
kill -TERM "$DAEMON"
wait "$DAEMON"
rc=$?
kill "$WATCHDOG" 2>/dev/null
wait "$WATCHDOG" 2>/dev/null
[ -e "$WORK/watchdog" ] && fail "the daemon did not exit within 5 s of SIGTERM"
assert_eq "$rc" 0 "daemon exit status on SIGTERM"
rm -f "$SHARED"/*

# 2. --json-log, --record, --report at a planted symlink (to a root-only
# file), a file of uid 65534's and a FIFO: refused at start, exit 2, the path
# and the reason named, nothing written
refused() { # refused OPTION NAME WHAT REASON
	local path=$SHARED/$2 rc
	timeout 30 "$AEGISMON" trace --duration 2 --agent-root "$ROOT" "--$1" "$path" \
		>"$WORK/refused.out" 2>"$WORK/refused.err"
	rc=$?
	[ "$rc" = 2 ] || fail "--$1 at $3: exit status $rc, not 2 ($(cat "$WORK/refused.err"))"
	grep -q -- "--$1 $path $4" "$WORK/refused.err" ||
		fail "--$1 at $3: no clear refusal naming the path: $(cat "$WORK/refused.err")"
}
for opt in json-log record report; do
	name=out.$opt
	nobody ln -s "$SECRET" "$SHARED/$name"
	refused "$opt" "$name" "a symlink" "is a symbolic link"
	secret_intact "--$opt"
	[ -L "$SHARED/$name" ] || fail "--$opt: the planted symlink was replaced"
	rm -f "$SHARED/$name"

	nobody sh -c "echo theirs >'$SHARED/$name' && chmod 0666 '$SHARED/$name'"
	refused "$opt" "$name" "a file of uid 65534" "is owned by uid 65534, not root"
	assert_eq "$(cat "$SHARED/$name")" theirs "--$opt: the planted file's content"
	assert_eq "$(stat -c %a:%u "$SHARED/$name")" 666:65534 "--$opt: the planted file's mode and owner"
	rm -f "$SHARED/$name"

	nobody mkfifo -m 0666 "$SHARED/$name"
	t0=$(now_ms)
	refused "$opt" "$name" "a FIFO" "is a FIFO"
	[ $(($(now_ms) - t0)) -lt 10000 ] || fail "--$opt at a FIFO took $(($(now_ms) - t0)) ms"
	rm -f "$SHARED/$name"
done
echo "   json-log, record, report: symlink, foreign file and FIFO refused with exit 2"

# 3. the same files where only root writes: made, with their modes
"$AEGISMON" trace --duration 1 --agent-root "$ROOT" --json --record "$WORK/s.rec" \
	--report "$WORK/s.html" --json-log "$WORK/s.json" >/dev/null 2>"$WORK/good.err"
rc=$?
[ "$rc" -le 1 ] || fail "trace with safe output paths: exit $rc ($(cat "$WORK/good.err"))"
grep -q "warning" "$WORK/good.err" && fail "a warning for a directory only root writes: $(cat "$WORK/good.err")"
assert_eq "$(stat -c %a "$WORK/s.rec")" 640 "record mode"
assert_eq "$(stat -c %a "$WORK/s.json")" 640 "JSON log mode"
assert_eq "$(stat -c %a "$WORK/s.html")" 644 "report mode"
grep -q '<svg id="timeline"' "$WORK/s.html" || fail "the report was not written"

# 4. replay --report at a symlink to a root-only file (it overwrote one), at a
# file of uid 65534's and at a FIFO: refused, exit 2, nothing written
replay_refused() { # replay_refused WHAT REASON
	local rc
	timeout 30 "$AEGISMON" replay "$WORK/s.rec" --report "$SHARED/r.html" >/dev/null 2>"$WORK/replay.err"
	rc=$?
	[ "$rc" = 2 ] || fail "replay --report at $1: exit status $rc, not 2 ($(cat "$WORK/replay.err"))"
	grep -q -- "--report $SHARED/r.html $2" "$WORK/replay.err" ||
		fail "replay --report at $1: no clear refusal: $(cat "$WORK/replay.err")"
}
nobody ln -s "$SECRET" "$SHARED/r.html"
replay_refused "a symlink" "is a symbolic link"
secret_intact "replay --report"
rm -f "$SHARED/r.html"
nobody sh -c "echo theirs >'$SHARED/r.html'"
replay_refused "a file of uid 65534" "is owned by uid 65534"
assert_eq "$(cat "$SHARED/r.html")" theirs "replay --report: the planted file's content"
rm -f "$SHARED/r.html"
nobody mkfifo -m 0666 "$SHARED/r.html"
replay_refused "a FIFO" "is a FIFO"
rm -f "$SHARED/r.html"
"$AEGISMON" replay "$WORK/s.rec" --report "$WORK/r.html" >/dev/null 2>&1
cmp -s "$WORK/s.html" "$WORK/r.html" || fail "replay --report to a safe path differs from the live report"
pass "planted FIFOs, symlinks and files refused or replaced; the daemon never blocked"
