#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# One clock. A time namespace stands in for a long suspend: with a boottime
# offset, /proc starttimes and CLOCK_BOOTTIME run 100000 s ahead of the
# monotonic clock, as after a suspend; with a monotonic one, aegismon's own
# clock reads are off while the kernel's helpers are not. In each, a
# stand-in agent seeded from /proc is killed: the seed's uptime, the kill's
# uptime and every RFC 3339 time must be right, and the kill must be the
# seeded process's (not a stale slot's, which has no uptime of its own).
. "$(dirname "$0")/lib.sh"

INNER= # aegismon itself, unshare's child

if ! unshare --fork --time true 2>/dev/null; then
	# time namespaces came in 5.6 (CONFIG_TIME_NS): said, not passed silently
	[ -e /proc/self/timens_offsets ] && fail "unshare --time fails on a kernel with time namespaces"
	echo "ok [$TEST_NAME] skipped: no time namespaces on this kernel (CONFIG_TIME_NS, 5.6+)"
	exit 0
fi

# aegismon trace as the first process of a new time namespace (unshare
# --fork); unshare passes no signal on, so stop its child by pid
start_trace_timens() {
	: >"$ERR"
	unshare --fork --kill-child=TERM --time "$@" \
		"$AEGISMON" trace --json --events --agent-root "$ROOT" --grace 1 >"$OUT" 2>"$ERR" &
	TRACE_PID=$!
	wait_for 10 grep -q "probes attached" "$ERR" || fail "aegismon did not attach within 10 s"
	INNER=$(cat /proc/"$TRACE_PID"/task/*/children 2>/dev/null | tr -d ' ')
	[ -n "$INNER" ] || fail "no aegismon under unshare"
	assert_eq "$(cat /proc/"$INNER"/comm)" aegismon "unshare's child"
}

stop_trace_timens() {
	kill -INT "$INNER"
	wait "$TRACE_PID"
	TRACE_RC=$?
	TRACE_PID= INNER=
	grep -q '"kind":"summary"' "$OUT" || fail "no summary line at the end of the trace"
}

inner_cleanup() {
	[ -n "$INNER" ] && kill -TERM "$INNER" 2>/dev/null
	[ -n "${PIN:-}" ] && rm -f "$PIN"
	cleanup
}
trap inner_cleanup EXIT

# every RFC 3339 time ("ts") of events, diagnoses and the summary within the
# session, a few seconds either side (100000 s off is what a mixup gives)
assert_times_now() { # LABEL FROM_S TO_S
	local bad
	bad=$(jq -r -s --argjson a "$(($2 - 5))" --argjson b "$(($3 + 5))" \
		'[.[] | select(.ts) | {k: .kind, t: (.ts | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601), ts}
		  | select(.t < $a or .t > $b) | "\(.k) at \(.ts)"] | .[0:3] | join(", ")' "$OUT")
	[ -z "$bad" ] || fail "$1: times off the wall clock ($(date -u +%FT%TZ)): $bad"
	[ "$(jq -s '[.[] | select(.ts)] | length' "$OUT")" -gt 2 ] || fail "$1: no timed lines"
}

# The probes choose the clock by CO-RE (bpf/maps.bpf.h aegis_now_ns): on a
# kernel without bpf_ktime_get_boot_ns (before 5.8) the call to it sits in a
# branch the relocation makes dead. Made here: a helper no kernel has (id
# 1000) behind an enumerator no kernel's BTF has loads; behind one the BTF
# has, the verifier refuses it (so the check can fail).
BPFTOOL=$(PATH="$PATH:/usr/sbin:/sbin" command -v bpftool) || fail "no bpftool"
PIN=/sys/fs/bpf/aegismon-e2e-clock-$$
dead_cleanup() { rm -f "$PIN"; }
cat >"$WORK/dead.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
enum bpf_func_id___x { ENUMERATOR___x = 1000 };
static long (*no_such_helper)(void) = (void *)1000;
SEC("raw_tp/sched_process_exit")
int dead(void *ctx)
{
	if (bpf_core_enum_value_exists(enum bpf_func_id___x, ENUMERATOR___x))
		return no_such_helper();
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
C
for v in BPF_FUNC_no_such_helper BPF_FUNC_ktime_get_ns; do
	sed "s/ENUMERATOR/$v/g" "$WORK/dead.bpf.c" >"$WORK/$v.bpf.c"
	clang -target bpf -O2 -g -I"$REPO/vmlinux/$(uname -m)" -c "$WORK/$v.bpf.c" -o "$WORK/$v.o" ||
		fail "cannot build the $v object"
done
"$BPFTOOL" prog load "$WORK/BPF_FUNC_no_such_helper.o" "$PIN" >"$WORK/dead.log" 2>&1 ||
	{ dead_cleanup; fail "a helper call in a CO-RE-dead branch was refused: $(tail -3 "$WORK/dead.log")"; }
dead_cleanup
if "$BPFTOOL" prog load "$WORK/BPF_FUNC_ktime_get_ns.o" "$PIN" >"$WORK/live.log" 2>&1; then
	dead_cleanup
	fail "the verifier took an unknown helper in a live branch: this check proves nothing"
fi
grep -q "invalid func unknown#1000" "$WORK/live.log" || fail "refused, but not for the helper: $(tail -3 "$WORK/live.log")"

install_agent AliYunDun

run_case() { # LABEL UNSHARE-OFFSET-OPTIONS...
	local label=$1 t0 t0_s victim elapsed seed_up diag_up exit_up
	shift
	t0=$(now_ms)
	t0_s=$(date -u +%s)
	start_agent AliYunDun
	victim=$LAST_PID
	wait_for 5 grep -q AliYunDun "/proc/$victim/comm" || fail "$label: stand-in agent did not start"
	sleep 0.3 # an uptime of its own before the scan
	start_trace_timens "$@"
	seed_seen() { jq -e -s --argjson p "$victim" '[.[] | select(.kind=="event" and .type=="running" and .pid==$p)] | length > 0' "$OUT" >/dev/null 2>&1; }
	wait_for 5 seed_seen || fail "$label: the start scan did not seed pid $victim"

	kill -KILL "$victim"
	wait "$victim" 2>/dev/null
	wait_diag agent_killed ".subject.pid==$victim"
	elapsed=$(($(now_ms) - t0))
	stop_trace_timens

	seed_up=$(jq -s --argjson p "$victim" '[.[] | select(.kind=="event" and .type=="running" and .pid==$p)][0].uptime_ms // -1' "$OUT")
	[ "$seed_up" -gt 0 ] && [ "$seed_up" -le "$elapsed" ] ||
		fail "$label: the seed's uptime_ms is $seed_up, not within (0, $elapsed] ms"
	exit_up=$(jq -s --argjson p "$victim" '[.[] | select(.kind=="event" and .type=="exit" and .pid==$p)][0].uptime_ms // -1' "$OUT")
	[ "$exit_up" -gt "$seed_up" ] && [ "$exit_up" -le "$elapsed" ] ||
		fail "$label: the exit's uptime_ms (kernel start) is $exit_up, not within ($seed_up, $elapsed] ms"
	# the kill is the seeded process's: its uptime runs from the seed's start
	# (a stale slot would be retired and the kill told without it)
	diag_up=$(diag agent_killed '.subject.uptime_ms // -1' ".subject.pid==$victim")
	[ "$diag_up" -ge "$seed_up" ] && [ "$diag_up" -le "$elapsed" ] ||
		fail "$label: agent_killed's uptime_ms is $diag_up, not within [$seed_up, $elapsed] ms"
	assert_eq "$(diag agent_killed .subject.exe ".subject.pid==$victim")" "$CLIENT_DIR/AliYunDun" "$label: the seeded exe"
	assert_eq "$(diag agent_killed .subject.signal ".subject.pid==$victim")" SIGKILL "$label: signal"
	assert_times_now "$label" "$t0_s" "$(date -u +%s)"
	echo "   $label: seed uptime $seed_up ms, exit uptime $exit_up ms, kill uptime $diag_up ms, within $elapsed ms"
}

run_case "boottime +100000 s (a long suspend)" --boottime 100000
run_case "monotonic +100000 s" --monotonic 100000
# a monotonic clock behind the kernel's: the scan's time before the start
# the kernel tells; half the uptime at most (a clock may not go negative)
up=$(cut -d. -f1 /proc/uptime)
back=$((up / 2 < 3600 ? up / 2 : 3600))
[ "$back" -ge 60 ] && run_case "monotonic -$back s" --monotonic "-$back"
pass "one clock in time namespaces (boottime and monotonic offsets)"
