#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Faults and hostile input, for real: the JSON log's disk fills up (the daemon
# keeps running, the file stays JSON lines, the loss is counted and said, and
# writing resumes when space is back); a 10k-process impostor storm (bounded
# memory, a bounded number of diagnoses); a killer whose name carries terminal
# escapes (escaped in text, JSON and syslog); SIGKILL of the daemon leaves no
# BPF object behind.
. "$(dirname "$0")/lib.sh"

SMALL=$WORK/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=64k tmpfs "$SMALL" || fail "cannot mount a small tmpfs"
# the daemon holds a file there: stop it before the unmount, then the rest
umount_small() {
	if [ -n "$TRACE_PID" ]; then
		kill -KILL "$TRACE_PID" 2>/dev/null
		wait "$TRACE_PID" 2>/dev/null
		TRACE_PID=
	fi
	umount "$SMALL" 2>/dev/null || umount -l "$SMALL"
}
trap 'umount_small; cleanup' EXIT

install_agent AliYunDun AliYunDunUpdate
start_agent AliYunDunUpdate
: >"$ERR"
"$AEGISMON" run --no-config --agent-root "$ROOT" --grace 60 --syslog udp://127.0.0.1:9 --ringbuf-size 64 \
	--json-log "$SMALL/diag.json" --metrics "$WORK/m.prom" --json >"$OUT" 2>"$ERR" &
TRACE_PID=$!
wait_for 10 grep -q "probes attached" "$ERR" || fail "aegismon run did not attach"
rss0=$(awk '/VmRSS/ {print $2}' "/proc/$TRACE_PID/status")

# 1. the disk of the JSON log fills up
head -c 60k /dev/zero >"$SMALL/filler" # one 4 KiB page left for the log
for i in $(seq 1 40); do
	start_agent AliYunDun exit $((i % 200 + 1)) 0
	wait "$LAST_PID"
done
wait_for 10 grep -q "cannot write $SMALL/diag.json: No space left on device" "$ERR" ||
	fail "a full disk was not reported: $(cat "$ERR")"
kill -0 "$TRACE_PID" || fail "the daemon died on a full disk"
jq -e . "$SMALL/diag.json" >/dev/null || fail "the JSON log holds a broken line after ENOSPC"
rm -f "$SMALL/filler"
start_agent AliYunDun exit 201 0
wait "$LAST_PID"
sleep 2.2 # past the repeat window: the next exit is written at once
start_agent AliYunDun exit 202 0
wait "$LAST_PID"
wait_for 10 grep -q "is writable again" "$ERR" || fail "no recovery message: $(cat "$ERR")"
wait_for 10 grep -q '"exit_code":202' "$SMALL/diag.json" || fail "lines are not written after the recovery"
jq -e . "$SMALL/diag.json" >/dev/null || fail "the JSON log is not JSON lines after the recovery"
wait_for 10 grep -q '^aegismon_json_log_errors_total [1-9]' "$WORK/m.prom" || fail "lost lines not counted in the metrics"

# 2. an impostor storm: 10000 short-lived processes named AliYunDun outside the root
mkdir -p "$WORK/evil"
install -m 0755 "$FAKE" "$WORK/evil/AliYunDun"
t0=$(now_ms)
"$WORK/evil/AliYunDun" storm 10000 >"$WORK/storm.out" || fail "the storm did not run"
echo "   10000 impostors in $(($(now_ms) - t0)) ms"
sleep 2
kill -0 "$TRACE_PID" || fail "the daemon died in the impostor storm"
n=$(count_diag agent_impostor)
[ "$n" -ge 1 ] && [ "$n" -le 20 ] || fail "$n agent_impostor lines for one storm (want a bounded few)"
rss1=$(awk '/VmRSS/ {print $2}' "/proc/$TRACE_PID/status")
echo "   RSS ${rss0} kB before, ${rss1} kB after the storm"
[ $((rss1 - rss0)) -lt 4096 ] || fail "RSS grew by $((rss1 - rss0)) kB in the storm"

# 3. a killer whose name is a terminal escape
install -m 0755 "$(type -P kill)" "$WORK/"$'\e]0;pwned\a\e[31mkill'
start_agent AliYunDun
victim=$LAST_PID
wait_for 5 grep -q "\"pid\":$victim" "$SMALL/diag.json" "$OUT" 2>/dev/null || sleep 0.3
"$WORK/"$'\e]0;pwned\a\e[31mkill' -KILL "$victim"
wait_diag agent_killed ".subject.pid==$victim"
if grep -q $'\e' "$OUT" "$SMALL/diag.json"; then fail "a raw ESC from a process name reached the JSON output"; fi
grep -q 'killed by SIGKILL from pid [0-9]* (\\u001b]0;pwned\\u0007\\u001b\[31m' "$OUT" || fail "the name is not escaped as expected: $(grep agent_killed "$OUT" | tail -1 | cut -c1-400)"
"$AEGISMON" trace --no-config --agent-root "$ROOT" --duration 2 >"$WORK/text.out" 2>&1 &
tpid=$!
PIDS+=("$tpid")
sleep 0.8
start_agent AliYunDun
victim=$LAST_PID
sleep 0.2
"$WORK/"$'\e]0;pwned\a\e[31mkill' -KILL "$victim"
wait "$tpid"
if grep -q $'\e' "$WORK/text.out"; then fail "a raw ESC reached the terminal output"; fi
grep -q '(\\x1b\]0;pwned\\x07\\x1b\[31m, uid 0)' "$WORK/text.out" || fail "text output does not show the escaped name: $(grep killed "$WORK/text.out" | head -2)"

# 4. the ring buffer full: the reader stopped (SIGSTOP) while an impostor storm
# fills the 64 KiB buffer; the loss is counted and shown in the next diagnosis
overflow_events "events were lost"
wait_for 10 grep -q '^aegismon_events_lost_total [1-9]' "$WORK/m.prom" || fail "lost events not in the metrics"
echo "   ring buffer full: $lost events lost, said in the diagnosis"

# 5. SIGKILL of the daemon: the kernel drops every BPF object it held
bpf_ids() { grep -h "^$1:" /proc/"$TRACE_PID"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un; }
links=$(bpf_ids link_id)
progs=$(bpf_ids prog_id)
[ -n "$links" ] && [ -n "$progs" ] || fail "no BPF objects in the daemon's fds"
kill -KILL "$TRACE_PID"
wait "$TRACE_PID" 2>/dev/null
TRACE_PID=
sleep 0.3
for id in $links; do bpftool link show id "$id" >/dev/null 2>&1 && fail "BPF link $id left after SIGKILL"; done
for id in $progs; do bpftool prog show id "$id" >/dev/null 2>&1 && fail "BPF program $id left after SIGKILL"; done
pass "full disk, impostor storm, escape injection, SIGKILL"
