#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make bench: what aegismon costs the host, measured against no tracer, an
# "empty BPF programs" floor, bpftrace and libbpf-tools, all in the same run.
#
#  1. unrelated connect() storm     (a) none (b) aegismon (c) empty programs (d) bpftrace (e) tcpstates
#  2. fork/exit storm               same, (e) exitsnoop
#  2b. unrelated DNS storm          (a) (b) (c): UDP queries for www.example.com and
#                                   their answers on 127.0.0.1:53 in a private network
#                                   namespace (dns_storm), through aegismon's cgroup_skb
#                                   DNS programs and their in-kernel name filter
#  2c. context-switch storm         (a) (b) (e) runqlat: pairs of processes bouncing a byte
#                                   over two pipes (switch_storm), under aegismon's
#                                   scheduler probes (run-queue waits of agent threads)
#  2d. UDP datagram storm           (a) (b) (c) (d): sendto + recv of 64 B on 127.0.0.1
#                                   (udp_storm): the cgroup_skb hooks on every packet
#  2e. mixed syscall load           (a) (b) (c) (d) (e) sigsnoop -k: getppid, read, write,
#                                   stat, clock_gettime (syscall_storm): the tax of any
#                                   syscall tracepoint on every system call of the host
#  1c. paired connect rows         (b) and (c) against (a) in BENCH_PAIRS alternating pairs of
#                                   short runs under the two connect storms: the median
#                                   resolves a few tenths of a percent
#  3. agent connect storm           aegismon events/s delivered and events lost, 1 and 2 processes:
#                                   refused TCP connects to 127.0.0.1; UDP connect() + close
#                                   (connect_storm -u, no packet); one UDP socket connected
#                                   again and again (-u -r): the fastest event source
#  3b. agent restart loop           the stand-in agent (tests/e2e/fake_agent) exec'ing short-lived
#                                   copies of itself as fast as it can, then killed: events/s,
#                                   events lost, diagnosis latency (decisive event's kernel
#                                   time, as the JSON "ts", to the line read from aegismon)
#  3c. correlator                   the agent connect storm recorded (trace --record), then
#                                   'aegismon replay' on one core (taskset): events/s
#  3d. memory growth                'aegismon run' under a steady agent storm (connects and
#                                   restarts) for BENCH_GROWTH_SECONDS: RSS sampled over time
#  4. idle daemon                   CPU%, RSS, start to attached, binary size
#  5. per-probe cost                BPF run-time statistics of aegismon's and the
#                                   empty programs during one more run of each storm
#
# The machine is noisy (2 vCPUs shared with whatever else runs), so the
# configurations alternate with no-tracer runs: A B A C A D A E A, the tracer
# order rotating from round to round, and each tracer run is compared with the
# mean of the two no-tracer runs around it (same round, seconds apart). The
# table gives the median and the min-max of those ratios over the rounds.
# The bench runs at BENCH_NICE (-10) so that background load perturbs it less.
# Pinning (BENCH_PIN=1): the storm of rows 1-2e is one process (BENCH_JOBS)
# pinned with taskset to the last CPU, the tracer and the stand-in agent to
# CPU 0, so that the storm never shares its CPU with them or with a second
# storm process (unpinned 2-process storms spread +-20% between no-tracer runs
# on a 2-vCPU VM; one pinned process +-1-3%).
# Placement as on a production host, where the agent runs in a cgroup of its
# own (systemd's aegis.service): during every configuration of rows 1-2e and 5
# (no tracer included) an idle stand-in agent (tests/e2e/fake_agent as
# AliYunDun under an agent root of the bench) runs in a cgroup the bench makes
# on the cgroup v2 mount (aegismon-bench-agent.PID, removed at the end); aegismon
# gets --agent-root of it; the storms stay in the bench's own cgroup. The empty
# programs mirror aegismon's hooks as its start line says: on the cgroup v2
# root, or, when the line names a scope (aegismon attaching its cgroup programs
# to the agent's cgroups only), on the stand-in agent's cgroup with sockops and
# without the TCP state tracepoints.
# Prints a markdown table and writes tests/bench/results.md.
#
# Environment: BENCH_ROUNDS (8), BENCH_SECONDS per storm run (1),
# BENCH_IDLE_SECONDS (60), BENCH_AGENT_REPS (3), BENCH_JOBS storm processes
# (1), BENCH_PIN (1; 0: no taskset), BENCH_NICE (-10; 0 to leave the priority alone), BENCH_BPFTRACE
# (bpftrace), BENCH_LIBBPF_TOOLS_DIR (where tcpstates and exitsnoop are; default:
# PATH, /usr/sbin, the files of the libbpf-tools package), BENCH_RECORD_SECONDS
# (the recorded agent storm, 4), BENCH_GROWTH_SECONDS (180), BENCH_PAIRS (40)
# and BENCH_PAIR_SECONDS (0.5: the paired runs of section 1c), BENCH_RESULTS
# (the file written, tests/bench/results.md).
#
# BENCH_SMOKE=1 (make bench-smoke, in CI): every path once, in fractions of a
# second (1 round, 0.2 s runs, 1 s idle), the table to BENCH_RESULTS or to
# a temporary file (never tests/bench/results.md); no figure is judged, but the
# exit status is 1 when a path broke (a storm failed, aegismon or the empty
# programs did not attach, a row of ours has no figure, a peer tool that is
# installed did not attach). A full run lists what broke and exits 0.
# Only 127.0.0.1 is used (the DNS storm: 127.0.0.x in a network namespace of
# its own). Every process started here is stopped by its pid.
set -uo pipefail
export LC_NUMERIC=C # a '.' in $EPOCHREALTIME and in awk's numbers

cd "$(dirname "$0")/../.." || exit 1
SMOKE=${BENCH_SMOKE:-0}
if [ "$SMOKE" = 1 ]; then
	ROUNDS=1 SECS=0.2 IDLE_SECS=1 AGENT_REPS=1 RECORD_SECS=0.5 GROWTH_SECS=2 SETTLE=0.2
	PAIRS=1 PAIR_SECS=0.2 PAIR_SETTLE=0.1
else
	ROUNDS=${BENCH_ROUNDS:-8}
	SECS=${BENCH_SECONDS:-1}
	IDLE_SECS=${BENCH_IDLE_SECONDS:-60}
	AGENT_REPS=${BENCH_AGENT_REPS:-3}
	RECORD_SECS=${BENCH_RECORD_SECONDS:-4}
	GROWTH_SECS=${BENCH_GROWTH_SECONDS:-180}
	SETTLE=0.5 # around an agent storm: aegismon's start-up scan, the ring buffer drained
	PAIRS=${BENCH_PAIRS:-40}
	PAIR_SECS=${BENCH_PAIR_SECONDS:-0.5}
	PAIR_SETTLE=0.3
fi
JOBS=${BENCH_JOBS:-1}
NICE=${BENCH_NICE:--10}
PIN=${BENCH_PIN:-1}
NCPU=$(nproc)
LAST_CPU=$((NCPU - 1))
# STORM_PIN, TRACER_PIN: command prefixes (empty without pinning)
STORM_PIN=() TRACER_PIN=()
if [ "$PIN" = 1 ]; then
	if command -v taskset >/dev/null; then
		STORM_PIN=(taskset -c "$LAST_CPU") TRACER_PIN=(taskset -c 0)
	else
		echo "bench: no taskset (util-linux): nothing pinned" >&2
		PIN=0
	fi
fi
B=build/bench
FAKE_AGENT=build/tests/fake_agent
RESULTS=${BENCH_RESULTS:-tests/bench/results.md}
BT_SCRIPT=tests/bench/filter.bt
AEGISMON=./aegismon
BPFTRACE=${BENCH_BPFTRACE:-bpftrace}

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF)" >&2
	exit 3
fi
for f in "$AEGISMON" $B/connect_storm $B/fork_storm $B/switch_storm $B/udp_storm $B/syscall_storm $B/restart_storm \
	$B/empty_probes $B/bpf_stats $FAKE_AGENT; do
	if [ ! -x "$f" ]; then
		echo "bench: $f is missing: run 'make bench'" >&2
		exit 3
	fi
done
KINDS=(connect served fork dns switch udp syscall)

if [ "$NICE" != 0 ]; then
	renice -n "$NICE" -p $$ >/dev/null || echo "bench: cannot renice to $NICE" >&2
fi
TMP=$(mktemp -d /tmp/aegismon-bench.XXXXXX) || exit 1
# the smoke run never writes the committed results
[ "$SMOKE" = 1 ] && [ -z "${BENCH_RESULTS:-}" ] && RESULTS=$TMP/results.md
declare -A LIVE=() # background pids this script started and has not reaped yet

# track_pid: remember the pid of the job just started
track_pid() { LIVE[$1]=1; }

# stop_pid PID: SIGTERM, then SIGKILL after 5 s; reaps it. Only pids of LIVE:
# a reaped pid may belong to someone else by now.
stop_pid() {
	local pid=$1 i
	[ -n "${LIVE[$pid]:-}" ] || return 0
	unset "LIVE[$pid]"
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

AGENT_CG= # the stand-in agent's cgroup, made below
cleanup() {
	local p
	for p in "${!LIVE[@]}"; do
		stop_pid "$p"
	done
	# its processes are gone (stopped and reaped above, or ended by themselves)
	[ -n "$AGENT_CG" ] && [ -d "$AGENT_CG" ] && { rmdir "$AGENT_CG" || echo "bench: cannot remove $AGENT_CG" >&2; }
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# broken WHAT: a bench path that does not work (not a figure over budget)
BROKEN=()
broken() {
	BROKEN+=("$*")
	log "BROKEN: $*"
}
now_s() { date +%s.%N; }

# ---------- environment ----------

if [ ! -d /sys/kernel/tracing/events ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null ||
		log "tracefs is not mounted and cannot be: classic tracepoints will fail"
fi
BPFTOOL=$(PATH="$PATH:/usr/sbin:/sbin" command -v bpftool || true)

# A port on 127.0.0.1 where connect() is refused: the storm reports 0 errors.
PORT=
for p in 1 9 7 13 37 79 1023 47001; do
	out=$($B/connect_storm -d 0.1 -j 1 -p "$p" 2>/dev/null) || continue
	if [ "$(awk '{print $7}' <<<"$out")" = 0 ]; then
		PORT=$p
		break
	fi
done
if [ -z "$PORT" ]; then
	log "no closed port found on 127.0.0.1"
	exit 1
fi

# A libbpf-tools binary (an ELF file, not a bcc python script of the same name).
find_tool() {
	local name=$1 c cands
	if [ -n "${BENCH_LIBBPF_TOOLS_DIR:-}" ]; then
		cands=("$BENCH_LIBBPF_TOOLS_DIR/$name")
	else
		cands=($(command -v "$name" 2>/dev/null) /usr/sbin/"$name"
		       $(dpkg -L libbpf-tools 2>/dev/null | grep "/$name\$"))
	fi
	for c in "${cands[@]}"; do
		if [ -x "$c" ] && [ "$(head -c 4 "$c" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

# A tracer someone else left attached taxes every configuration, the baseline
# included, and hides part of the cost: said in the log and in the results.
STRAY=$(pgrep -a -x aegismon; pgrep -a -x empty_probes; pgrep -a -x bpftrace)
STRAY=$(tr '\n' ';' <<<"$STRAY" | sed 's/;$//')
[ -n "$STRAY" ] && log "WARNING: tracers already running (they stay; the figures carry their cost): $STRAY"
# check_foreign: before each measurement, tracers that are not ours and were
# not there at the start (someone's test run meanwhile): in LATE, said once each
declare -A LATE=()
check_foreign() {
	local pid cmd
	while read -r pid cmd; do
		[ -n "$pid" ] || continue
		[ -n "${LIVE[$pid]:-}" ] || [ -n "${LATE[$pid]:-}" ] && continue
		[[ ";$STRAY;" == *";$pid "* ]] && continue
		LATE[$pid]=$cmd
		log "WARNING: a tracer not started by the bench appeared: $pid $cmd"
	done < <(pgrep -a -x aegismon; pgrep -a -x empty_probes; pgrep -a -x bpftrace)
}

# ---------- the stand-in agent ----------
# Idle, in a cgroup of its own as under systemd, on CPU 0, for rows 1-2e and 5.

STANDIN_ROOT=$TMP/standin
STANDIN_BIN=$STANDIN_ROOT/aegis_client/aegis_12_93/AliYunDun
mkdir -p "$(dirname "$STANDIN_BIN")"
cp "$FAKE_AGENT" "$STANDIN_BIN"
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -z "$CG2" ]; then
	broken "no cgroup v2 mount: the stand-in agent runs in the bench's cgroup"
elif mkdir "$CG2/aegismon-bench-agent.$$"; then
	AGENT_CG=$CG2/aegismon-bench-agent.$$
else
	broken "cannot make a cgroup for the stand-in agent under $CG2"
fi

# in_agent_cg CMD...: exec CMD in the agent's cgroup (the bench's own without
# one). It replaces the shell it runs in: only in a subshell (& or $(...)), where
# the pid of the job is then CMD's.
in_agent_cg() {
	if [ -n "$AGENT_CG" ]; then
		exec sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$AGENT_CG" "$@"
	else
		exec "$@"
	fi
}

STANDIN_PID=
start_standin() {
	in_agent_cg "${TRACER_PIN[@]}" "$STANDIN_BIN" run </dev/null >/dev/null 2>&1 &
	STANDIN_PID=$!
	track_pid "$STANDIN_PID"
	local i
	for ((i = 0; i < 40; i++)); do
		if [ "$(readlink "/proc/$STANDIN_PID/exe" 2>/dev/null)" = "$STANDIN_BIN" ]; then
			[ -z "$AGENT_CG" ] || grep -qx "0::/${AGENT_CG##*/}" "/proc/$STANDIN_PID/cgroup" ||
				broken "the stand-in agent is not in $AGENT_CG: $(grep '^0::' "/proc/$STANDIN_PID/cgroup")"
			return 0
		fi
		sleep 0.05
	done
	broken "the stand-in agent did not start"
	stop_pid "$STANDIN_PID"
	STANDIN_PID=
	return 1
}
start_standin

# ---------- tracers ----------

# The empty programs mirror the hooks aegismon uses here, as its start line
# says (with the stand-in agent known and running, as measured): the
# connect() hooks cgroup/connect4 + connect6 or the syscall tracepoints (its
# fallback), the other set left out; with cgroup/connect and a scope in the
# line (aegismon's cgroup programs on the agent's cgroups, not on the root):
# its cgroup programs on the agent's cgroup, sockops included (no
# cgroup/sock_release: aegismon finds route failures in a map), the TCP state
# tracepoints left out. Otherwise (today's root
# attachment, or --net-scope host) the TCP tracepoints, no sockops/sock_release.
START_ERR=$("${TRACER_PIN[@]}" "$AEGISMON" trace --no-config --agent-root "$STANDIN_ROOT" --duration 0.5 \
	2>&1 >/dev/null)
START_LINE=$(grep 'probes attached' <<<"$START_ERR" | head -1)
SCOPE=root
if grep -q 'scope' <<<"$START_LINE" && ! grep -Eq 'scope[: =]*host' <<<"$START_LINE"; then
	SCOPE=agent
fi
EMPTY_ARGS=()
case $(grep -o 'connect() via [^)]*' <<<"$START_LINE") in
*cgroup*)
	if [ "$SCOPE" = agent ] && [ -n "$AGENT_CG" ]; then
		EMPTY_ARGS+=(-c "$AGENT_CG")
		# -R: aegismon's two companions on the root (cgroup/connect4+6),
		# there only while another connect program runs for the agent
		grep -q 'companions on the root' <<<"$START_ERR" && EMPTY_ARGS+=(-R)
		EMPTY_ARGS+=(-x sys_enter_connect -x sys_exit_connect -x inet_sock_set_state
			-x tcp_retransmit_skb -x tcp_receive_reset -x tcp_destroy_sock -x sock_release)
	else
		EMPTY_ARGS+=(-x sys_enter_connect -x sys_exit_connect -x sockops -x sock_release)
	fi ;;
*) EMPTY_ARGS+=(-x connect4 -x connect6 -x tcp_destroy_sock -x sockops -x sock_release) ;;
esac
# the scheduler probes attached only while the agent waits to run: the idle
# stand-in never does
grep -q 'scheduler probes when the agent waits' <<<"$START_LINE" &&
	EMPTY_ARGS+=(-x sched_wakeup -x sched_wakeup_new -x sched_switch)
# the network probes (sockops on the agent's cgroup, the drop probes) attached
# only while the agent uses the network: the idle stand-in does not
grep -q 'network probes when the agent uses the network' <<<"$START_LINE" &&
	EMPTY_ARGS+=(-x sockops -x kfree_skb -x inet_sk_error_report)
log "aegismon: $START_LINE"
log "scope $SCOPE: empty_probes ${EMPTY_ARGS[*]}"

# wait_line FILE PATTERN TIMEOUT_S PID: until the file has the pattern.
wait_line() {
	local file=$1 pat=$2 timeout=$3 pid=$4 i
	for ((i = 0; i < timeout * 20; i++)); do
		grep -q -- "$pat" "$file" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# cgroup_links PID: "prog_id type hook" for each cgroup BPF link PID holds
# (bpftool perf show does not list those: the DNS programs, cgroup/connect4
# and connect6, sockops, cgroup/sock_release; attach types 0, 1, 10, 11, 3, 34
# of the kernel's enum)
cgroup_links() {
	local pid=$1 fd
	for fd in /proc/"$pid"/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf_link" ] || continue
		awk '/^link_type:/ { t = $2 } /^prog_id:/ { id = $2 } /^attach_type:/ { a = $2 }
			END {
				if (t != "cgroup") exit
				if (a == 0 || a == 1) print id, "cgroup_skb", (a == 0 ? "cgroup_inet_ingress" : "cgroup_inet_egress")
				else if (a == 10 || a == 11) print id, "cgroup_sock_addr", (a == 10 ? "cgroup_inet4_connect" : "cgroup_inet6_connect")
				else if (a == 3) print id, "sock_ops", "cgroup_sock_ops"
				else if (a == 34) print id, "cgroup_sock", "cgroup_inet_sock_release"
				else print id, "cgroup", "cgroup_" a
			}' \
			"/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null
	done
}

# wait_attached PID N TIMEOUT_S: until PID has N attachments (perf ones as
# bpftool lists them, plus cgroup links).
wait_attached() {
	local pid=$1 want=$2 timeout=$3 i n
	[ -n "$BPFTOOL" ] || { sleep 1; return 0; }
	for ((i = 0; i < timeout * 10; i++)); do
		n=$(( $("$BPFTOOL" perf show 2>/dev/null | awk -v p="$pid" '$1 == "pid" && $2 == p' | wc -l) +
			$(cgroup_links "$pid" | wc -l) ))
		[ "$n" -ge "$want" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# attached_count FILE: N of "N probes attached" (11 when the line has no number)
attached_count() { grep -o '[0-9]* probes attached' "$1" 2>/dev/null | awk '{ n = $1 } END { print n ? n : 11 }'; }

# last non-empty line of a file, for n/a reasons
last_line() { grep -v '^[[:space:]]*$' "$1" 2>/dev/null | grep -v RLIMIT_MEMLOCK | tail -1 | cut -c1-120; }

declare -A NA=() # "cfg kind" -> why it could not run
TPID=
# start_tracer CFG KIND: sets TPID; returns 1 and fills NA when it cannot run.
start_tracer() {
	local cfg=$1 kind=$2 name tool err=$TMP/tracer.err
	TPID=
	: >"$err"
	case $cfg in
	none)
		return 0 ;;
	aegismon | armed)
		local extra=()
		# armed: as while the agent uses the network (it is in trouble)
		[ "$cfg" = armed ] && extra=(--net-probes always)
		"${TRACER_PIN[@]}" "$AEGISMON" trace --json --agent-root "$STANDIN_ROOT" "${extra[@]}" >"$TMP/tracer.out" 2>"$err" &
		TPID=$!
		track_pid "$TPID"
		if ! wait_line "$err" "probes attached" 15 "$TPID" ||
			! wait_attached "$TPID" "$(attached_count "$err")" 5; then
			NA["$cfg $kind"]="aegismon did not attach: $(last_line "$err")"
			broken "${NA["$cfg $kind"]}"
			stop_pid "$TPID"
			return 1
		fi ;;
	empty)
		"${TRACER_PIN[@]}" $B/empty_probes "${EMPTY_ARGS[@]}" 2>"$err" &
		TPID=$!
		track_pid "$TPID"
		if ! wait_line "$err" "probes attached" 15 "$TPID" ||
			! wait_attached "$TPID" "$(attached_count "$err")" 5; then
			NA["$cfg $kind"]="empty_probes did not attach: $(last_line "$err")"
			broken "${NA["$cfg $kind"]}"
			stop_pid "$TPID"
			return 1
		fi ;;
	bpftrace)
		if ! command -v "$BPFTRACE" >/dev/null; then
			NA["$cfg $kind"]="$BPFTRACE not installed (Debian package bpftrace)"
			return 1
		fi
		"${TRACER_PIN[@]}" "$BPFTRACE" "$BT_SCRIPT" >"$TMP/tracer.out" 2>"$err" &
		TPID=$!
		track_pid "$TPID"
		# "Attaching N probes..." comes before the attaching: count them
		if ! wait_line "$TMP/tracer.out" "Attaching" 30 "$TPID" ||
			! wait_attached "$TPID" "$(grep -c '^tracepoint:' "$BT_SCRIPT")" 10; then
			NA["$cfg $kind"]="bpftrace did not attach: $(last_line "$err")"
			broken "${NA["$cfg $kind"]}"
			stop_pid "$TPID"
			return 1
		fi ;;
	libbpf-tools)
		local targs=()
		case $kind in
		connect | served) name=tcpstates ;;
		switch) name=runqlat ;;
		# -k: on the kill syscalls' tracepoints, as a signal tracer on
		# kernels without signal_generate would be
		syscall) name=sigsnoop targs=(-k) ;;
		*) name=exitsnoop ;;
		esac
		if ! tool=$(find_tool "$name"); then
			NA["$cfg $kind"]="libbpf-tools $name not found (Debian package libbpf-tools)"
			return 1
		fi
		"${TRACER_PIN[@]}" "$tool" "${targs[@]}" >/dev/null 2>"$err" &
		TPID=$!
		track_pid "$TPID"
		if ! wait_attached "$TPID" 1 10; then
			NA["$cfg $kind"]="$(basename "$tool") did not attach: $(last_line "$err")"
			broken "${NA["$cfg $kind"]}"
			stop_pid "$TPID"
			return 1
		fi
		sleep 0.5 ;; # and the settle below: "give it a second"
	esac
	sleep 0.5 # let the tracer finish its start-up work (aegismon scans /proc)
	return 0
}

tracer_label() {
	case $1-$2 in
	none-*) echo "(a) no tracer" ;;
	aegismon-*) echo "(b) aegismon trace" ;;
	armed-*) echo "(b2) aegismon trace, network probes attached (--net-probes always)" ;;
	empty-*) echo "(c) empty BPF programs" ;;
	bpftrace-*) echo "(d) bpftrace" ;;
	libbpf-tools-connect | libbpf-tools-served) echo "(e) libbpf-tools tcpstates" ;;
	libbpf-tools-fork) echo "(e) libbpf-tools exitsnoop" ;;
	libbpf-tools-dns) echo "(e) libbpf-tools" ;;
	libbpf-tools-switch) echo "(e) libbpf-tools runqlat" ;;
	libbpf-tools-syscall) echo "(e) libbpf-tools sigsnoop -k" ;;
	esac
}

# storm KIND ROUND CFG [TAG]: one measurement, appended to raw.tsv (as TAG, by
# default KIND) with its place in the sequence (the ratios pair each tracer
# run with its neighbours).
RAW=$TMP/raw.tsv
: >"$RAW"
SEQ=0
storm() {
	local kind=$1 round=$2 cfg=$3 rec=${4:-$1} out
	local args=(-d "$SECS" -j "$JOBS") bin=$B/${kind}_storm
	[ "$kind" = connect ] && args+=(-p "$PORT")
	# served: whole connections to a listener of its own (connect_storm -s)
	[ "$kind" = served ] && bin=$B/connect_storm args+=(-s)
	check_foreign
	out=$("${STORM_PIN[@]}" $bin "${args[@]}" 2>&1)
	if [ -n "$TPID" ] && ! kill -0 "$TPID" 2>/dev/null; then
		NA["$cfg $kind"]="the tracer died during the run: $(last_line "$TMP/tracer.err")"
		broken "$cfg under the $kind storm: ${NA["$cfg $kind"]}"
		return 1
	fi
	# errors (a lost DNS answer, a fork refused under load) are noise, not a
	# broken path: only no figure at all is
	if ! [[ "$out" =~ ^[1-9][0-9]*\ ops/s ]]; then
		broken "$kind storm under $cfg failed: $(head -c 200 <<<"$out")"
		return 1
	fi
	[ "$(awk '{print $7}' <<<"$out")" = 0 ] || log "$kind storm under $cfg: $(awk '{print $7}' <<<"$out") errors"
	# ops/s, ops per CPU-second of the storm processes
	SEQ=$((SEQ + 1))
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$rec" "$round" "$cfg" \
		"$(awk '{print $1}' <<<"$out")" "$(awk '{print $9}' <<<"$out")" "$SEQ" >>"$RAW"
	printf '  round %d %-8s %-13s %8s ops/s\n' "$round" "$kind" "$cfg" "$(awk '{print $1}' <<<"$out")" >&2
}

# ---------- 1, 2: storms ----------

CFGS=(none aegismon armed empty bpftrace libbpf-tools)
TRACERS=(aegismon armed empty bpftrace libbpf-tools)

# The DNS storm needs its binary and a network namespace of its own.
DNS_NA=
if [ ! -x $B/dns_storm ]; then
	DNS_NA="$B/dns_storm is missing: run 'make bench'"
elif ! out=$($B/dns_storm -d 0.2 -j 1 2>&1) || [ "$(awk '{print $7}' <<<"$out")" != 0 ]; then
	DNS_NA="dns_storm does not run: $(head -1 <<<"$out" | cut -c1-120)"
fi
if [ -n "$DNS_NA" ]; then
	broken "no DNS storm: $DNS_NA"
	for c in none aegismon empty; do NA["$c dns"]=$DNS_NA; done
fi

T_START=$(now_s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "closed port 127.0.0.1:$PORT, $JOBS storm processes$([ "$PIN" = 1 ] && echo " on CPU $LAST_CPU, tracers and the stand-in agent on CPU 0"), $ROUNDS rounds, ${SECS} s runs, nice $NICE, load $LOAD_START"

# kind_runs KIND CFG: whether the storm runs under that configuration (the DNS
# storm under none, aegismon and the empty programs; the context-switch storm
# under none, aegismon and runqlat; the UDP storm without libbpf-tools: none of
# them watches UDP sockets; armed, aegismon with the network probes attached as
# while the agent uses the network, under the two connect storms only)
kind_runs() {
	case $1 in
	dns) [ "$2" = none ] || [ "$2" = aegismon ] || [ "$2" = empty ] ;;
	# armed (the network probes attached for the whole run): the connect rows,
	# where their price shows
	connect | served) true ;;
	switch) [ "$2" = none ] || [ "$2" = aegismon ] || [ "$2" = libbpf-tools ] ;;
	udp) [ "$2" != libbpf-tools ] && [ "$2" != armed ] ;;
	*) [ "$2" != armed ] ;;
	esac
}

# run_cfg ROUND CFG: the storms under one tracer (libbpf-tools: tcpstates for
# the connect storm, exitsnoop for the fork storm, runqlat for the switches).
run_cfg() {
	local r=$1 cfg=$2 kind
	for kind in "${KINDS[@]}"; do
		[ -n "${NA["$cfg $kind"]:-}" ] && continue
		kind_runs "$kind" "$cfg" || continue
		if [ "$kind" = connect ] || [ "$kind" = served ] || [ "$cfg" = libbpf-tools ] || [ -z "$TPID" ]; then
			[ -n "$TPID" ] && stop_pid "$TPID"
			TPID=
			start_tracer "$cfg" "$kind" || { TPID=; continue; }
		fi
		storm "$kind" "$r" "$cfg"
	done
	[ -n "$TPID" ] && stop_pid "$TPID"
	TPID=
}

run_cfg 1 none
for ((r = 1; r <= ROUNDS; r++)); do
	for ((k = 0; k < ${#TRACERS[@]}; k++)); do
		run_cfg "$r" "${TRACERS[$(((k + r - 1) % ${#TRACERS[@]}))]}"
		run_cfg "$r" none
	done
done

# ---------- 1c: paired A/B on the connect rows ----------
# The rows above compare 1 s runs over the rounds: they resolve about 1 %, as
# much as the cgroup hooks of the connect rows cost. Here many short
# alternating pairs (a tracer run, then a no-tracer run; each tracer run
# against the no-tracer runs around it) under aegismon and under the empty
# programs: the median of BENCH_PAIRS ratios resolves a few tenths of a
# percent, the interquartile range gives the spread.

PAIRED_SECS=$SECS
SECS=$PAIR_SECS
for kind in connect served; do
	for cfg in aegismon empty; do
		[ -n "${NA["$cfg $kind"]:-}" ] && continue
		tag="pairs-$kind-$cfg"
		storm "$kind" 0 none "$tag" || continue
		for ((p = 1; p <= PAIRS; p++)); do
			start_tracer "$cfg" "$kind" || break
			sleep "$PAIR_SETTLE" # the tracer's start-up scan, before the run
			storm "$kind" "$p" "$cfg" "$tag"
			stop_pid "$TPID"
			TPID=
			storm "$kind" "$p" none "$tag" || break
		done
	done
done
SECS=$PAIRED_SECS

# ---------- 5: per-probe cost ----------
# One more run of each storm under aegismon and under the empty programs with
# the kernel's BPF run-time statistics on (held by bpf_stats, off when it exits):
# runs per storm op and ns per run of every program. This is the programs' own
# time; the hook dispatch and the syscall tracing slow path are not in it.

PROBES=$TMP/probes.tsv # tracer hook type name kind runs ns
: >"$PROBES"
STORM_OPS=$TMP/storm_ops.tsv # tracer kind ops cpu_ns_per_op
: >"$STORM_OPS"
prog_snapshot() { # ids... -> "id name run_cnt run_time_ns" lines
	"$BPFTOOL" prog show -j 2>/dev/null | jq -r --arg ids " $* " \
		'.[] | .id as $i | select($ids | contains(" \($i) ")) | "\(.id) \(.name) \(.run_cnt // 0) \(.run_time_ns // 0)"'
}
if [ -z "$BPFTOOL" ] || ! command -v jq >/dev/null; then
	NA[probes]="needs bpftool and jq"
	broken "per-probe cost: ${NA[probes]}"
else
	for tracer in aegismon empty; do
		start_tracer "$tracer" connect || { TPID=; NA[probes]=${NA["$tracer connect"]}; break; }
		"$BPFTOOL" perf show 2>/dev/null | awk -v p="$TPID" '$1 == "pid" && $2 == p { print $6, $7, $8 }' >"$TMP/hooks"
		cgroup_links "$TPID" >>"$TMP/hooks"
		$B/bpf_stats 2>"$TMP/stats.err" &
		spid=$!
		track_pid "$spid"
		if ! wait_line "$TMP/stats.err" "bpf_stats: on" 5 "$spid"; then
			NA[probes]="cannot enable BPF statistics: $(last_line "$TMP/stats.err")"
			broken "per-probe cost: ${NA[probes]}"
			stop_pid "$spid"
			stop_pid "$TPID"
			TPID=
			break
		fi
		ids=$(awk '{ print $1 }' "$TMP/hooks" | tr '\n' ' ')
		prog_snapshot $ids >"$TMP/snap0"
		for kind in "${KINDS[@]}"; do
			[ -n "${NA["none $kind"]:-}" ] && continue
			# not in the per-probe table
			[ "$kind" = switch ] || [ "$kind" = udp ] || [ "$kind" = syscall ] || [ "$kind" = served ] && continue
			args=(-d "$SECS" -j "$JOBS")
			[ "$kind" = connect ] && args+=(-p "$PORT")
			out=$("${STORM_PIN[@]}" $B/${kind}_storm "${args[@]}")
			prog_snapshot $ids >"$TMP/snap1"
			awk -v t="$tracer" -v k="$kind" '{ printf "%s\t%s\t%s\t%.0f\n", t, k, $11, ($9 > 0 ? 1e9 / $9 : 0) }' \
				<<<"$out" >>"$STORM_OPS"
			# join: hooks (id type hook) with the deltas of the two snapshots
			awk -v t="$tracer" -v k="$kind" '
				FILENAME == ARGV[1] { type[$1] = $2; hook[$1] = $3; next }
				FILENAME == ARGV[2] { cnt0[$1] = $3; ns0[$1] = $4; next }
				{ printf "%s\t%s\t%s\t%s\t%s\t%d\t%d\n", t, hook[$1], type[$1], $2, k, $3 - cnt0[$1], $4 - ns0[$1] }' \
				"$TMP/hooks" "$TMP/snap0" "$TMP/snap1" >>"$PROBES"
			cp "$TMP/snap1" "$TMP/snap0"
		done
		stop_pid "$spid"
		stop_pid "$TPID"
		TPID=
	done
fi

# the stand-in agent is not part of what follows (agents of their own)
stop_pid "$STANDIN_PID"
STANDIN_PID=

# ---------- 3: agent-related storm ----------
# The agent's storm (connect_storm as AliYunDun under an agent root) in the
# agent's cgroup, as the agent runs under systemd: refused TCP connects to
# 127.0.0.1 (2 events each), UDP connect() + close (-u, one event, no packet),
# one UDP socket connected again and again (-u -r, one event, no socket made).
# aegismon on CPU 0; the storm of 1 process on the last CPU, of 2 unpinned.

AGENT_ROOT=$TMP/agent
AGENT_BIN=$AGENT_ROOT/aegis_client/aegis_12_93/AliYunDun
mkdir -p "$(dirname "$AGENT_BIN")"
cp $B/connect_storm "$AGENT_BIN"
AGENT_TSV=$TMP/agent.tsv
: >"$AGENT_TSV"
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

AGENT_MODES=(tcp udp udpr)
# agent_args MODE: connect_storm's options for the mode
agent_args() {
	case $1 in
	tcp) echo "-p $PORT" ;;
	udp) echo "-u -p $PORT" ;;
	udpr) echo "-u -r -p $PORT" ;;
	esac
}

for ((r = 1; r <= AGENT_REPS; r++)); do
	for mode in "${AGENT_MODES[@]}"; do
		for j in 1 2; do
			[ -n "${NA["agent $mode $j"]:-}" ] && continue
			# smoke: the UDP modes' path is the same with 1 and 2 processes
			if [ "$SMOKE" = 1 ] && [ "$mode" != tcp ] && [ "$j" = 2 ]; then
				NA["agent $mode $j"]="not in the smoke run"
				continue
			fi
			"${TRACER_PIN[@]}" "$AEGISMON" trace --json --agent-root "$AGENT_ROOT" --endpoint 127.0.0.0/8 \
				>"$TMP/agent.out" 2>"$TMP/agent.err" &
			apid=$!
			track_pid "$apid"
			if ! wait_line "$TMP/agent.err" "probes attached" 15 "$apid"; then
				NA["agent $mode $j"]="aegismon did not attach: $(last_line "$TMP/agent.err")"
				broken "agent storm $mode -j $j: ${NA["agent $mode $j"]}"
				stop_pid "$apid"
				continue
			fi
			sleep "$SETTLE"
			pin=()
			[ "$j" = 1 ] && pin=("${STORM_PIN[@]}")
			check_foreign
			c0=$(cpu_ticks "$apid")
			# shellcheck disable=SC2046 # the options are words
			out=$(in_agent_cg "${pin[@]}" "$AGENT_BIN" -d "$SECS" -j "$j" $(agent_args "$mode"))
			sleep "$SETTLE" # let it drain the ring buffer
			c1=$(cpu_ticks "$apid")
			stop_pid "$apid"
			sum=$(grep '"kind":"summary"' "$TMP/agent.out" | tail -1)
			if [ -z "$sum" ]; then
				NA["agent $mode $j"]="no summary from aegismon: $(last_line "$TMP/agent.err")"
				broken "agent storm $mode -j $j: ${NA["agent $mode $j"]}"
				continue
			fi
			if ! [[ "$out" =~ ^[1-9][0-9]*\ ops/s ]] || [ "$(awk '{print $7}' <<<"$out")" != 0 ]; then
				broken "agent storm $mode -j $j: connect_storm failed or had errors: $(head -c 200 <<<"$out")"
			fi
			events=$(jq -r .events <<<"$sum")
			lost=$(jq -r .events_lost <<<"$sum")
			cpu=$(awk -v d=$((c1 - c0)) -v t="$CLK_TCK" -v s="$SECS" -v w="$SETTLE" 'BEGIN { printf "%.0f", d / t / (s + w) * 100 }')
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$j" "$r" \
				"$(awk -v e="$events" -v s="$SECS" 'BEGIN { printf "%.0f", e / s }')" \
				"$lost" "$(awk '{print $1}' <<<"$out")" "$cpu" "$(awk '{print $11}' <<<"$out")" >>"$AGENT_TSV"
			log "agent storm $mode -j $j: $events events, $lost lost, agent $(awk '{print $1}' <<<"$out") connects/s ($(awk '{print $11}' <<<"$out") in all), aegismon ${cpu}% CPU"
		done
	done
done

# ---------- 3b: agent restart loop ----------
# The stand-in agent under an agent root of its own, restarted as fast as
# restart_storm can (RESTART_JOBS = nproc supervisors, unpinned: fork, exec AliYunDun that exits 1 at
# once, wait) for SECS: an exec and an exit per restart, agent_exited and
# agent_flapping. Halfway, a long-running AliYunDun is killed with SIGKILL by
# this script: agent_killed, a decisive event with a clean kernel time, made
# while the storm runs. aegismon's stdout goes through a
# FIFO to stamp_lines, which stamps each line with the wall clock when it is
# read: the latency of a diagnosis is that stamp minus its "ts" (the kernel
# time of the event that made it, mapped to the wall clock; milliseconds,
# truncated, so a figure may be up to 1 ms high). Relative figures only: no
# absolute time is asserted anywhere.

RESTART_ROOT=$TMP/restart
RESTART_BIN=$RESTART_ROOT/aegis_client/aegis_12_93/AliYunDun
mkdir -p "$(dirname "$RESTART_BIN")"
cp "$FAKE_AGENT" "$RESTART_BIN"
RESTART_JOBS=$NCPU
RESTART_TSV=$TMP/restart.tsv # rep events/s lost restarts/s diagnoses aegismon-cpu% restarts-errors
LATENCY_TSV=$TMP/latency.tsv # rep cause latency-ms
: >"$RESTART_TSV"
: >"$LATENCY_TSV"

stamp_lines() {
	local l
	while IFS= read -r l; do
		printf '%s\t%s\n' "$EPOCHREALTIME" "$l"
	done
}

# diag_latency FILE: "cause latency_ms" for each first diagnosis (count 1) of a
# stamped file. Repeats are left out: past a small burst, the correlator holds
# them back and reports them aggregated when the dedup interval (10 s) ends or
# the session does, by design (a restart loop must not flood the outputs).
diag_latency() {
	jq -R -r 'split("\t") as [$t, $j] | ($j | fromjson? // {}) as $d
		| select($d.kind == "diagnosis" and $d.count == 1)
		| "\($d.cause) \((($t | tonumber) - (($d.ts[0:19] + "Z") | fromdateiso8601)
			- (($d.ts[20:23] | tonumber) / 1000)) * 1000 | . * 10 | round / 10)"' "$1"
}

# restart_loop REP: one measurement, appended to RESTART_TSV and LATENCY_TSV
restart_loop() {
	local r=$1 apid lpid vpid c0 c1 sum out fifo=$TMP/diag.fifo
	rm -f "$fifo"
	mkfifo "$fifo" || { broken "restart loop: mkfifo"; return 1; }
	stamp_lines <"$fifo" >"$TMP/restart.out" &
	lpid=$!
	track_pid "$lpid"
	"$AEGISMON" trace --json --agent-root "$RESTART_ROOT" --grace 30 --flap-count 3 \
		--flap-window 60 >"$fifo" 2>"$TMP/restart.err" &
	apid=$!
	track_pid "$apid"
	if ! wait_line "$TMP/restart.err" "probes attached" 15 "$apid"; then
		NA[restart]="aegismon did not attach: $(last_line "$TMP/restart.err")"
		broken "restart loop: ${NA[restart]}"
		stop_pid "$apid"
		stop_pid "$lpid"
		return 1
	fi
	"$RESTART_BIN" run >/dev/null 2>&1 &
	vpid=$!
	track_pid "$vpid"
	sleep 0.5
	c0=$(cpu_ticks "$apid")
	out=$(
		$B/restart_storm -x "$RESTART_BIN" -d "$SECS" -j "$RESTART_JOBS" &
		sleep "$(awk -v s="$SECS" 'BEGIN { print s / 2 }')"
		kill -KILL "$vpid"
		wait
	)
	wait "$vpid" 2>/dev/null
	unset "LIVE[$vpid]"
	sleep 1 # the ring buffer drained, the last diagnoses written
	c1=$(cpu_ticks "$apid")
	stop_pid "$apid"
	# the stamper ends at the end of aegismon's output
	wait "$lpid" 2>/dev/null
	unset "LIVE[$lpid]"
	sum=$(cut -f2- "$TMP/restart.out" | grep '"kind":"summary"' | tail -1)
	if [ -z "$sum" ]; then
		NA[restart]="no summary from aegismon: $(last_line "$TMP/restart.err")"
		broken "restart loop: ${NA[restart]}"
		return 1
	fi
	if ! grep -q '"cause":"agent_killed"' "$TMP/restart.out"; then
		NA[restart]="no agent_killed diagnosis for the killed storm"
		broken "restart loop: ${NA[restart]}"
	fi
	if ! [[ "$out" =~ ^[1-9][0-9]*\ ops/s ]]; then
		broken "restart loop: restart_storm failed: $(head -c 200 <<<"$out")"
	fi
	diag_latency "$TMP/restart.out" | awk -v r="$r" '{ print r "\t" $1 "\t" $2 }' >>"$LATENCY_TSV"
	jq -r --arg r "$r" --arg s "$SECS" --arg ops "$(awk '{ print $1 "\t" $7 }' <<<"$out")" \
		--arg cpu "$(awk -v d=$((c1 - c0)) -v t="$CLK_TCK" -v s="$SECS" 'BEGIN { printf "%.0f", d / t / (s + 1) * 100 }')" \
		'"\($r)\t\(.events / ($s | tonumber) | round)\t\(.events_lost)\t\($ops | split("\t")[0])\t\(.diagnoses)\t\($cpu)\t\($ops | split("\t")[1])"' \
		<<<"$sum" >>"$RESTART_TSV"
	log "restart loop: $(tail -1 "$RESTART_TSV" | awk -F'\t' '{ print $2 " events/s, " $3 " lost, " $4 " restarts/s, " $5 " diagnoses, aegismon " $6 "% CPU" }')"
}

for ((r = 1; r <= AGENT_REPS; r++)); do
	restart_loop "$r"
done

# ---------- 3c: correlator throughput ----------
# The agent connect storm once more, recorded; then the replay of that record
# on one CPU (the last one), JSON to /dev/null, three times: records per
# second of wall time, and per second of the replay's own CPU time (utime +
# stime, less sensitive to the other load of the machine).

REC=$TMP/storm.rec
REPLAY_TSV=$TMP/replay.tsv # run records real user sys
: >"$REPLAY_TSV"
REC_RECORDS=
"$AEGISMON" trace --json --agent-root "$AGENT_ROOT" --endpoint 127.0.0.0/8 --record "$REC" \
	>/dev/null 2>"$TMP/record.err" &
apid=$!
track_pid "$apid"
if wait_line "$TMP/record.err" "probes attached" 15 "$apid"; then
	sleep 0.5
	"$AGENT_BIN" -d "$RECORD_SECS" -j 2 -p "$PORT" >/dev/null
	sleep 0.5
	stop_pid "$apid"
	REC_RECORDS=$(grep -o 'recorded [0-9]* records' "$TMP/record.err" | awk '{ print $2 }')
fi
stop_pid "$apid"
if [ -z "$REC_RECORDS" ] || [ "$REC_RECORDS" -lt 1 ]; then
	NA[replay]="no record made: $(last_line "$TMP/record.err")"
	broken "correlator: ${NA[replay]}"
else
	REPLAY_CPU=$(($(nproc) - 1))
	for i in 1 2 3; do
		TIMEFORMAT='%R %U %S'
		{ time taskset -c "$REPLAY_CPU" "$AEGISMON" replay "$REC" --json >/dev/null 2>"$TMP/replay.err"; } 2>"$TMP/replay.time"
		rc=$?
		unset TIMEFORMAT
		# 0: nothing diagnosed, 1: problems diagnosed (the refused connects)
		if [ "$rc" -gt 1 ]; then
			NA[replay]="replay failed ($rc): $(last_line "$TMP/replay.err")"
			broken "correlator: ${NA[replay]}"
			break
		fi
		printf '%s\t%s\t%s\n' "$i" "$REC_RECORDS" "$(tr ' ' '\t' <"$TMP/replay.time")" >>"$REPLAY_TSV"
	done
	log "correlator: $REC_RECORDS records ($(stat -c %s "$REC") bytes) replayed in $(awk -F'\t' '{ printf "%s s ", $3 }' "$REPLAY_TSV")on CPU $REPLAY_CPU"
fi
rm -f "$REC"

# ---------- 3d: memory growth ----------
# 'aegismon run' (the daemon, JSON log on) watching both agent roots while the
# connect storm (1 process) and the restart loop run for GROWTH_SECS: its RSS
# sampled 20 times. Bounded state means a flat line after the warm-up.

GROWTH_TSV=$TMP/growth.tsv # seconds rss-kib
: >"$GROWTH_TSV"
GROWTH_EVENTS=
"$AEGISMON" run --no-config --json --syslog udp://127.0.0.1:9 --json-log "$TMP/growth.json" \
	--agent-root "$AGENT_ROOT" --agent-root "$RESTART_ROOT" --endpoint 127.0.0.0/8 \
	>"$TMP/growth.out" 2>"$TMP/growth.err" &
gpid=$!
track_pid "$gpid"
if wait_line "$TMP/growth.err" "probes attached" 15 "$gpid"; then
	sleep 0.5
	"$AGENT_BIN" -d "$GROWTH_SECS" -j 1 -p "$PORT" >/dev/null &
	spid=$!
	track_pid "$spid"
	$B/restart_storm -x "$RESTART_BIN" -d "$GROWTH_SECS" -j 1 >/dev/null &
	rpid=$!
	track_pid "$rpid"
	t0=$(now_s)
	step=$(awk -v s="$GROWTH_SECS" 'BEGIN { print s / 20 }')
	for ((i = 1; i <= 20; i++)); do
		sleep "$step"
		kill -0 "$gpid" 2>/dev/null || break
		printf '%s\t%s\n' "$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')" \
			"$(awk '/^VmRSS/ { print $2 }' "/proc/$gpid/status")" >>"$GROWTH_TSV"
	done
	# both storms end by themselves at GROWTH_SECS
	wait "$rpid" "$spid" 2>/dev/null
	unset "LIVE[$rpid]" "LIVE[$spid]"
	sleep 0.5
	kill -0 "$gpid" 2>/dev/null || NA[growth]="the daemon died: $(last_line "$TMP/growth.err")"
	stop_pid "$gpid"
	GROWTH_EVENTS=$(grep '"kind":"summary"' "$TMP/growth.out" | tail -1 | jq -r .events 2>/dev/null)
else
	NA[growth]="aegismon run did not attach: $(last_line "$TMP/growth.err")"
	stop_pid "$gpid"
fi
if [ -n "${NA[growth]:-}" ] || [ "$(wc -l <"$GROWTH_TSV")" -lt 2 ] || [ -z "$GROWTH_EVENTS" ]; then
	NA[growth]=${NA[growth]:-"too few samples or no summary: $(last_line "$TMP/growth.err")"}
	broken "memory growth: ${NA[growth]}"
fi

# ---------- 4: idle daemon, start-up, size ----------

ATTACH_MS=()
for i in 1 2 3 4 5; do
	"$AEGISMON" trace --json --duration 0.3 >/dev/null 2>"$TMP/start.err" &
	spid=$!
	track_pid "$spid"
	wait "$spid" 2>/dev/null
	unset "LIVE[$spid]"
	ms=$(grep -o 'attached in [0-9.]* ms' "$TMP/start.err" | awk '{print $3}')
	[ -n "$ms" ] && ATTACH_MS+=("$ms")
done

IDLE_CPU=n/a IDLE_RSS=n/a IDLE_EVENTS=n/a
# the daemon as systemd runs it: every output on (syslog to a loopback port
# nobody listens on, the JSON log, the metrics file rewritten every 5 s)
"$AEGISMON" run --no-config --json --syslog udp://127.0.0.1:9 --json-log "$TMP/idle.json" \
	--metrics "$TMP/idle.prom" >"$TMP/idle.out" 2>"$TMP/idle.err" &
ipid=$!
track_pid "$ipid"
if wait_line "$TMP/idle.err" "probes attached" 15 "$ipid"; then
	sleep 1 # the start-up scan of /proc is not idle time
	c0=$(cpu_ticks "$ipid")
	t0=$(now_s)
	sleep "$IDLE_SECS"
	c1=$(cpu_ticks "$ipid")
	t1=$(now_s)
	IDLE_RSS=$(awk '/VmRSS/ { printf "%.1f MiB", $2 / 1024 }' "/proc/$ipid/status")
	IDLE_CPU=$(awk -v d=$((c1 - c0)) -v t="$CLK_TCK" -v a="$t0" -v b="$t1" \
		'BEGIN { printf "%.3f%% (%d ticks in %.1f s)", d / t / (b - a) * 100, d, b - a }')
	stop_pid "$ipid"
	IDLE_EVENTS=$(grep '"kind":"summary"' "$TMP/idle.out" | jq -r .events)
else
	stop_pid "$ipid"
fi
BIN_SIZE=$(stat -c %s "$AEGISMON")
[ "$IDLE_CPU" = n/a ] && broken "idle daemon: $(last_line "$TMP/idle.err")"
[ ${#ATTACH_MS[@]} -gt 0 ] || broken "start to attached: no 'attached in N ms' from aegismon: $(last_line "$TMP/start.err")"

# ---------- report ----------

# stats: numbers on stdin -> "median min max" (nothing when empty)
stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[1], v[NR] }'
}

# ratios KIND CFG COLUMN: each run of CFG divided by the mean of the no-tracer
# runs just before and just after it
ratios() {
	awk -F'\t' -v k="$1" -v c="$2" -v col="$3" '
		$1 != k { next }
		$3 == "none" { nb++; bseq[nb] = $6; bval[nb] = $col }
		$3 == c { nv++; vseq[nv] = $6; vval[nv] = $col }
		END {
			for (i = 1; i <= nv; i++) {
				before = after = 0
				for (j = 1; j <= nb; j++) {
					if (bseq[j] < vseq[i]) before = bval[j]
					else if (bseq[j] > vseq[i] && !after) after = bval[j]
				}
				if (before > 0 && after > 0) base = (before + after) / 2
				else base = before + after
				if (base > 0) print vval[i] / base
			}
		}' "$RAW"
}

# ratio_row KIND TITLE [CFG LABEL]...: the figure row of an unrelated workload:
# aegismon's median ratio (min-max), then the other configurations' medians
ratio_row() {
	local kind=$1 title=$2 m lo hi om others=
	shift 2
	while [ $# -ge 2 ]; do
		read -r om _ <<<"$(ratios "$kind" "$1" 4 | stats)"
		others+="; $2 $(if [ -n "${om:-}" ]; then printf '%.3f' "$om"; else echo "n/a"; fi)"
		shift 2
	done
	read -r m lo hi <<<"$(ratios "$kind" aegismon 4 | stats)"
	if [ -n "${m:-}" ]; then
		echo "| $title: aegismon throughput ratio to no tracer, median (min-max) | $(printf '%.3f (%.3f-%.3f)' "$m" "$lo" "$hi")$others | >= 0.98 (unrelated workload) |"
	else
		echo "| $title: aegismon throughput ratio to no tracer | n/a: ${NA["aegismon $kind"]:-no run} | >= 0.98 (unrelated workload) |"
	fi
}

# quartiles: median, first and third quartile and count of numbers, one a line
quartiles() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		print m, v[int((NR + 3) / 4)], v[int((3 * NR + 3) / 4)], NR }'
}

# pair_row KIND TITLE: the figure row of section 1c: aegismon's and the empty
# programs' median ratio (interquartile range, pairs) over the paired runs
pair_row() {
	local kind=$1 title=$2 cfg m q1 q3 n cell cells=()
	for cfg in aegismon empty; do
		read -r m q1 q3 n <<<"$(ratios "pairs-$kind-$cfg" "$cfg" 4 | quartiles)"
		if [ -n "${m:-}" ]; then
			cell=$(printf '%.3f (%.3f-%.3f, %d pairs)' "$m" "$q1" "$q3" "$n")
		else
			cell="n/a: ${NA["$cfg $kind"]:-no run}"
		fi
		cells+=("$cell")
	done
	echo "| $title, ${PAIR_SECS} s pairs: aegismon throughput ratio to no tracer, median (interquartile range) | ${cells[0]}; empty programs ${cells[1]} | >= 0.98 (unrelated workload) |"
}

TABLE=$TMP/table.md
{
	echo "| workload | configuration | ops/s median | ratio to no tracer: median | min-max | n | CPU-normalized ratio: median (min-max) |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
	for kind in "${KINDS[@]}"; do
		case $kind in
		connect) wl="1. connect() to 127.0.0.1:$PORT (refused), $JOBS procs" ;;
		served) wl="1b. a whole connection on 127.0.0.1: connect, accept, a byte each way, close, $JOBS procs" ;;
		fork) wl="2. fork + exit + wait, $JOBS procs" ;;
		dns) wl="2b. DNS query + answer, UDP 127.0.0.x:53 (www.example.com, not watched; private netns), $JOBS procs" ;;
		switch) wl="2c. pipe ping-pong round trip (2 wakeups, 2+ context switches), $JOBS pairs" ;;
		udp) wl="2d. UDP sendto + recv, 64 B on 127.0.0.1, $JOBS procs" ;;
		syscall) wl="2e. mixed syscalls (getppid, read, write, stat, clock_gettime), $JOBS procs" ;;
		esac
		for cfg in "${CFGS[@]}"; do
			kind_runs "$kind" "$cfg" || continue
			label=$(tracer_label "$cfg" "$kind")
			read -r ops _ <<<"$(awk -F'\t' -v k=$kind -v c="$cfg" '$1 == k && $3 == c { print $4 }' "$RAW" | stats)"
			n=$(awk -F'\t' -v k=$kind -v c="$cfg" '$1 == k && $3 == c' "$RAW" | wc -l)
			if [ -z "${ops:-}" ]; then
				echo "| $wl | $label | n/a | n/a | ${NA["$cfg $kind"]:-no run} | 0 | |"
				continue
			fi
			if [ "$cfg" = none ]; then
				read -r _ omin omax <<<"$(awk -F'\t' -v k=$kind '$1 == k && $3 == "none" { print $4 }' "$RAW" | stats)"
				echo "| $wl | $label | $(printf '%.0f' "$ops") | 1 | ops/s $(printf '%.0f-%.0f' "$omin" "$omax") | $n | 1 |"
				continue
			fi
			read -r m lo hi <<<"$(ratios $kind "$cfg" 4 | stats)"
			read -r cm clo chi <<<"$(ratios $kind "$cfg" 5 | stats)"
			note=${NA["$cfg $kind"]:+ (${NA["$cfg $kind"]})}
			echo "| $wl | $label$note | $(printf '%.0f' "$ops") | $(printf '%.3f' "$m") | $(printf '%.3f-%.3f' "$lo" "$hi") | $n | $(printf '%.3f (%.3f-%.3f)' "$cm" "$clo" "$chi") |"
		done
	done
	echo
	echo "| figure | value | budget |"
	echo "| --- | --- | --- |"
	ratio_row connect "1. connect() storm to a closed port (unrelated)" armed "network probes attached" empty "empty programs" bpftrace bpftrace libbpf-tools tcpstates
	ratio_row served "1b. whole-connection storm (unrelated)" armed "network probes attached" empty "empty programs" bpftrace bpftrace libbpf-tools tcpstates
	pair_row connect "1c. connect() storm to a closed port (unrelated), paired"
	pair_row served "1c. whole-connection storm (unrelated), paired"
	ratio_row fork "2. fork/exit storm (unrelated)" empty "empty programs" bpftrace bpftrace libbpf-tools exitsnoop
	read -r dm dlo dhi <<<"$(ratios dns aegismon 4 | stats)"
	read -r em _ <<<"$(ratios dns empty 4 | stats)"
	if [ -n "${dm:-}" ]; then
		echo "| 2b. DNS storm (non-Aegis names): aegismon throughput ratio to no tracer, median (min-max) | $(printf '%.3f (%.3f-%.3f)' "$dm" "$dlo" "$dhi"); empty programs $(if [ -n "${em:-}" ]; then printf '%.3f' "$em"; else echo n/a; fi) | >= 0.97 |"
	else
		echo "| 2b. DNS storm (non-Aegis names): aegismon throughput ratio to no tracer | n/a: ${NA["aegismon dns"]:-no run} | >= 0.97 |"
	fi
	read -r sm slo shi <<<"$(ratios switch aegismon 4 | stats)"
	read -r rm _ <<<"$(ratios switch libbpf-tools 4 | stats)"
	if [ -n "${sm:-}" ]; then
		echo "| 2c. context-switch storm: aegismon throughput ratio to no tracer, median (min-max) | $(printf '%.3f (%.3f-%.3f)' "$sm" "$slo" "$shi"); libbpf-tools runqlat $(if [ -n "${rm:-}" ]; then printf '%.3f' "$rm"; else echo "n/a: ${NA["libbpf-tools switch"]:-no run}"; fi) | >= 0.98 (unrelated workload) |"
	else
		echo "| 2c. context-switch storm: aegismon throughput ratio to no tracer | n/a: ${NA["aegismon switch"]:-no run} | >= 0.98 (unrelated workload) |"
	fi
	ratio_row udp "2d. UDP datagram storm" empty "empty programs"
	ratio_row syscall "2e. mixed syscall load" empty "empty programs" libbpf-tools "sigsnoop -k"
	for mode in "${AGENT_MODES[@]}"; do
		case $mode in
		tcp) what="refused TCP connects to 127.0.0.1 (2 events each)" ;;
		udp) what="UDP socket + connect + close (connect_storm -u, 1 event each)" ;;
		udpr) what="one UDP socket per process connected again and again (connect_storm -u -r, 1 event each)" ;;
		esac
		for j in 1 2; do
			sel='$1 == m && $2 == j'
			read -r em elo ehi <<<"$(awk -F'\t' -v m=$mode -v j=$j "$sel { print \$4 }" "$AGENT_TSV" | stats)"
			if [ -z "${em:-}" ]; then
				echo "| 3. agent connect storm, $what, $j proc: events/s delivered | n/a: ${NA["agent $mode $j"]:-no run} | >= 200k/s, 0 lost |"
				continue
			fi
			lost=$(awk -F'\t' -v m=$mode -v j=$j "$sel { s += \$5 } END { print s + 0 }" "$AGENT_TSV")
			read -r om _ <<<"$(awk -F'\t' -v m=$mode -v j=$j "$sel { print \$6 }" "$AGENT_TSV" | stats)"
			read -r cm _ <<<"$(awk -F'\t' -v m=$mode -v j=$j "$sel { print \$7 }" "$AGENT_TSV" | stats)"
			n=$(awk -F'\t' -v m=$mode -v j=$j "$sel" "$AGENT_TSV" | wc -l)
			echo "| 3. agent connect storm, $what, $j proc$([ "$j" = 1 ] && [ "$PIN" = 1 ] && echo ", pinned"): events/s delivered (median, min-max of $n) | $(printf '%.0f (%.0f-%.0f)' "$em" "$elo" "$ehi"); events_lost $lost in total; agent $(printf '%.0f' "$om") connects/s; aegismon ${cm}% CPU | >= 200k/s, 0 lost |"
		done
	done
	# 3b: restart loop
	read -r em elo ehi <<<"$(awk -F'\t' '{ print $2 }' "$RESTART_TSV" | stats)"
	if [ -n "${em:-}" ]; then
		lost=$(awk -F'\t' '{ s += $3 } END { print s + 0 }' "$RESTART_TSV")
		read -r rm _ <<<"$(awk -F'\t' '{ print $4 }' "$RESTART_TSV" | stats)"
		read -r cm _ <<<"$(awk -F'\t' '{ print $6 }' "$RESTART_TSV" | stats)"
		n=$(wc -l <"$RESTART_TSV")
		echo "| 3b. agent restart loop ($RESTART_JOBS supervisors restarting the stand-in AliYunDun, exit 1 at once): events/s delivered (median, min-max of $n) | $(printf '%.0f (%.0f-%.0f)' "$em" "$elo" "$ehi"); events_lost $lost in total; $(printf '%.0f' "$rm") restarts/s; aegismon ${cm}% CPU | 0 lost |"
	else
		echo "| 3b. agent restart loop: events/s delivered | n/a: ${NA[restart]:-no run} | 0 lost |"
	fi
	read -r lm llo lhi <<<"$(awk -F'\t' '{ print $3 }' "$LATENCY_TSV" | stats)"
	if [ -n "${lm:-}" ]; then
		read -r km _ khi <<<"$(awk -F'\t' '$2 == "agent_killed" { print $3 }' "$LATENCY_TSV" | stats)"
		echo "| 3b. cause to diagnosis under the restart loop: event time (JSON ts) to the line read, the $(wc -l <"$LATENCY_TSV") first diagnoses (count 1): median (min-max) | $(printf '%.1f ms (%.1f-%.1f)' "$lm" "$llo" "$lhi"); agent_killed $(if [ -n "${km:-}" ]; then printf '%.1f ms (max %.1f)' "$km" "$khi"; else echo n/a; fi) | < 1 s |"
	else
		echo "| 3b. cause to diagnosis under the restart loop | n/a: ${NA[restart]:-no diagnosis} | < 1 s |"
	fi
	# 3c: correlator
	read -r wm wlo whi <<<"$(awk -F'\t' '$3 > 0 { print $2 / $3 }' "$REPLAY_TSV" | stats)"
	if [ -n "${wm:-}" ]; then
		read -r um _ <<<"$(awk -F'\t' '$4 + $5 > 0 { print $2 / ($4 + $5) }' "$REPLAY_TSV" | stats)"
		echo "| 3c. correlator: \`aegismon replay --json\` of a recorded agent connect storm ($REC_RECORDS records), one CPU: events/s (median, min-max of $(wc -l <"$REPLAY_TSV")) | $(printf '%.2fM (%.2fM-%.2fM); %.2fM per CPU-second' "$(awk -v x="$wm" 'BEGIN { print x / 1e6 }')" "$(awk -v x="$wlo" 'BEGIN { print x / 1e6 }')" "$(awk -v x="$whi" 'BEGIN { print x / 1e6 }')" "$(awk -v x="$um" 'BEGIN { print x / 1e6 }')") | >= 2M/s on one core |"
	else
		echo "| 3c. correlator: replay events/s on one core | n/a: ${NA[replay]:-no run} | >= 2M/s on one core |"
	fi
	# 3d: memory growth
	if [ -z "${NA[growth]:-}" ] && [ -s "$GROWTH_TSV" ]; then
		awk -F'\t' -v secs="$GROWTH_SECS" -v ev="$GROWTH_EVENTS" '
			{ t[NR] = $1; r[NR] = $2; if ($2 > max) max = $2 }
			END {
				q = int(NR / 4) + 1 # after the warm-up quarter
				printf "| 3d. memory growth: `aegismon run` under the agent connect storm + restart loop, %s s, %d events: VmRSS at %.0f s, at the end, max, growth from there to the end | %.1f MiB, %.1f MiB, %.1f MiB; %+d KiB | bounded: no growth with time |\n",
					secs, ev, t[q], r[q] / 1024, r[NR] / 1024, max / 1024, r[NR] - r[q]
			}' "$GROWTH_TSV"
	else
		echo "| 3d. memory growth of \`aegismon run\` under a steady agent storm | n/a: ${NA[growth]:-no run} | bounded: no growth with time |"
	fi
	read -r am alo ahi <<<"$(printf '%s\n' "${ATTACH_MS[@]}" | stats)"
	echo "| 4. idle daemon (\`aegismon run\`, all outputs), ${IDLE_SECS} s: CPU (utime+stime) | $IDLE_CPU; $IDLE_EVENTS events | < 0.1% of a core |"
	echo "| 4. idle daemon: RSS (VmRSS) | $IDLE_RSS | < 10 MiB |"
	if [ -n "${am:-}" ]; then
		echo "| 4. start to all probes attached (median of ${#ATTACH_MS[@]}, min-max) | $(printf '%.1f ms (%.1f-%.1f)' "$am" "$alo" "$ahi") | < 150 ms |"
	else
		echo "| 4. start to all probes attached | n/a | < 150 ms |"
	fi
	echo "| 4. binary size | $BIN_SIZE bytes ($(awk -v s="$BIN_SIZE" 'BEGIN { printf "%.0f", s / 1024 }') KiB) | - |"
	echo
	if [ -n "${NA[probes]:-}" ] || [ ! -s "$PROBES" ]; then
		echo "5. per-probe cost: n/a (${NA[probes]:-no data})"
	else
		echo "| 5. hook (type) | aegismon program | runs per connect | ns/run aegismon | ns/run empty | runs per fork | ns/run aegismon | ns/run empty | runs per DNS op | ns/run aegismon | ns/run empty |"
		echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
		awk -F'\t' '
			FILENAME == ARGV[1] { ops[$1, $2] = $3; cpu[$1, $2] = $4; next }
			{
				key = $2
				if (!(key in seen)) { seen[key] = 1; order[++n] = key; type[key] = $3 }
				if ($1 == "aegismon") name[key] = $4
				runs[$1, key, $5] = $6; ns[$1, key, $5] = $7
				total[$1, $5] += $7
			}
			function per(t, k, kind) { return ops[t, kind] > 0 ? runs[t, k, kind] / ops[t, kind] : 0 }
			function tot(t, kind) { return ops[t, kind] > 0 ? total[t, kind] / ops[t, kind] : 0 }
			function nsrun(t, k, kind) { return runs[t, k, kind] > 0 ? sprintf("%.0f", ns[t, k, kind] / runs[t, k, kind]) : "-" }
			END {
				for (i = 1; i <= n; i++) {
					k = order[i]
					printf "| %s (%s) | %s | %.2f | %s | %s | %.2f | %s | %s | %.2f | %s | %s |\n", k, type[k], name[k],
						per("aegismon", k, "connect"), nsrun("aegismon", k, "connect"), nsrun("empty", k, "connect"),
						per("aegismon", k, "fork"), nsrun("aegismon", k, "fork"), nsrun("empty", k, "fork"),
						per("aegismon", k, "dns"), nsrun("aegismon", k, "dns"), nsrun("empty", k, "dns")
				}
				printf "| **all programs, ns per storm op** | | | **%.0f** | **%.0f** | | **%.0f** | **%.0f** | | **%.0f** | **%.0f** |\n",
					tot("aegismon", "connect"), tot("empty", "connect"), tot("aegismon", "fork"), tot("empty", "fork"),
					tot("aegismon", "dns"), tot("empty", "dns")
				print ""
				for (j = 1; j <= 3; j++) {
					kind = j == 1 ? "connect" : j == 2 ? "fork" : "dns"
					c = cpu["aegismon", kind]
					if (c > 0)
						printf "%s op: %.0f ns of CPU with aegismon attached; its programs take %.0f ns of it, %.0f ns more than the empty ones (%.1f%%).\n",
							kind, c, tot("aegismon", kind), tot("aegismon", kind) - tot("empty", kind),
							(tot("aegismon", kind) - tot("empty", kind)) / c * 100
				}
			}' "$STORM_OPS" "$PROBES"
	fi
} >"$TABLE"

ELAPSED=$(awk -v a="$T_START" -v b="$(now_s)" 'BEGIN { printf "%.0f", b - a }')
{
	echo "# aegismon bench results"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), kernel $(uname -r), $(nproc) CPUs, $(git describe --always --dirty 2>/dev/null || echo '?'),"
	echo "$ROUNDS rounds, ${SECS} s per storm run, no-tracer runs between tracer runs (A B A C A D A E A, order"
	echo "rotating per round), nice $NICE, load average at start $LOAD_START, bench time ${ELAPSED} s."
	echo "Generated by \`make bench\` (tests/bench/run.sh)."
	echo
	if [ "$PIN" = 1 ]; then
		echo "Rows 1-2e: $JOBS storm process(es) pinned (taskset) to CPU $LAST_CPU; the tracer and the stand-in agent pinned to CPU 0."
	else
		echo "Rows 1-2e: $JOBS storm process(es), nothing pinned (BENCH_PIN=0)."
	fi
	echo "During every configuration of rows 1-2e and 5, the no-tracer one included, an idle stand-in agent (fake_agent as"
	echo "AliYunDun under an agent root of the bench, passed to aegismon with --agent-root) runs in a cgroup of its own"
	echo "(${AGENT_CG:-none: it could not be made}), as the agent does under systemd; the storms run in the bench's cgroup."
	echo "aegismon's start line: \`${START_LINE:-none}\`; scope $SCOPE: the empty programs are \`empty_probes ${EMPTY_ARGS[*]}\`."
	[ -n "$STRAY" ] && echo "WARNING: tracers were already running when the bench started (their cost is in every figure): $STRAY."
	if [ ${#LATE[@]} -gt 0 ]; then
		echo -n "WARNING: tracers not started by the bench appeared during the run (figures from then on carry their cost):"
		for p in "${!LATE[@]}"; do echo -n " $p ${LATE[$p]};"; done
		echo
	fi
	echo
	echo "Ratios are to the mean of the no-tracer runs just before and after (1.000 = no cost). The CPU-normalized ratio"
	echo "divides ops by the CPU time of the storm processes (utime+stime), which is less sensitive to other"
	echo "load on the machine; it does not include the tracer's own user-space CPU."
	echo
	cat "$TABLE"
	echo
	echo "<details><summary>raw measurements</summary>"
	echo
	echo '```'
	echo "# storm round configuration ops/s ops/cpu-s seq"
	cat "$RAW"
	echo "# agent storm: mode procs rep events/s lost connects/s aegismon-cpu% connects"
	cat "$AGENT_TSV"
	echo "# start to attached (ms): ${ATTACH_MS[*]}"
	echo "# restart loop: rep events/s lost restarts/s diagnoses aegismon-cpu%"
	cat "$RESTART_TSV"
	echo "# diagnosis latency: rep cause ms"
	cat "$LATENCY_TSV"
	echo "# replay: run records real-s user-s sys-s"
	cat "$REPLAY_TSV"
	echo "# memory growth: seconds VmRSS-KiB"
	cat "$GROWTH_TSV"
	echo '```'
	echo
	echo "</details>"
} >"$RESULTS"

cat "$TABLE"
log "wrote $RESULTS in ${ELAPSED} s"
if [ ${#BROKEN[@]} -gt 0 ]; then
	log "${#BROKEN[@]} bench path(s) broken:"
	printf '  %s\n' "${BROKEN[@]}" >&2
	[ "$SMOKE" = 1 ] && exit 1
fi
[ "$SMOKE" = 1 ] && log "smoke: every path ran"
exit 0
