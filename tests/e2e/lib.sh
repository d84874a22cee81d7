# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
# Shared rig for e2e tests: a temporary agent root with the stand-in agent,
# aegismon trace in the background, bounded waits, JSON assertions, and a
# cleanup that runs also when a test fails. Tests only start processes of
# their own and stop them by pid.
set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AEGISMON=$REPO/aegismon
FAKE=$REPO/build/tests/fake_agent
TEST_NAME=$(basename "$0" .sh)

WORK=$(mktemp -d "/tmp/aegismon-e2e.$TEST_NAME.XXXXXX")
ROOT=$WORK/aegis
OUT=$WORK/trace.json
ERR=$WORK/trace.err
CLIENT_DIR=$ROOT/aegis_client/aegis_12_93
PIDS=()
CGROUPS=()
TRACE_PID=

fail() {
	echo "FAIL [$TEST_NAME]: $*" >&2
	if [ -s "$OUT" ]; then echo "--- trace output:" >&2; cat "$OUT" >&2; fi
	if [ -s "$ERR" ]; then echo "--- trace stderr:" >&2; cat "$ERR" >&2; fi
	exit 1
}

cleanup() {
	local p cg
	declare -F net_cleanup >/dev/null && net_cleanup
	if [ -n "$TRACE_PID" ] && kill -0 "$TRACE_PID" 2>/dev/null; then
		kill -TERM "$TRACE_PID" 2>/dev/null
		wait_for 30 trace_gone || kill -KILL "$TRACE_PID" 2>/dev/null
		wait "$TRACE_PID" 2>/dev/null
	fi
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for cg in "${CGROUPS[@]}"; do
		# move stragglers out, then remove
		if [ -f "$cg/cgroup.procs" ]; then
			while read -r p; do kill -KILL "$p" 2>/dev/null; done < "$cg/cgroup.procs"
		fi
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$cg" 2>/dev/null && break; sleep 0.2; done
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" -eq 0 ] || fail "e2e tests load BPF programs and must run as root"
[ -x "$AEGISMON" ] || fail "$AEGISMON not built (make)"
[ -x "$FAKE" ] || fail "$FAKE not built (make e2e-bins)"

# install the stand-in agent: install_agent AliYunDun AliYunDunUpdate ...
install_agent() {
	local name
	mkdir -p "$CLIENT_DIR" "$ROOT/aegis_update"
	for name in "$@"; do
		case "$name" in
		AliYunDunUpdate) install -m 0755 "$FAKE" "$ROOT/aegis_update/$name" ;;
		*) install -m 0755 "$FAKE" "$CLIENT_DIR/$name" ;;
		esac
	done
}

agent_path() {
	case "$1" in
	AliYunDunUpdate) echo "$ROOT/aegis_update/$1" ;;
	*) echo "$CLIENT_DIR/$1" ;;
	esac
}

# start_agent NAME [ARGS...]: runs in the background; its pid is in $LAST_PID
start_agent() {
	local name=$1
	shift
	"$(agent_path "$name")" "$@" &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# exec_done PID NAME: has process PID become the installed NAME (its exec
# done)? For a test that must see it running, on a loaded host too.
exec_done() {
	[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(agent_path "$2")" ]
}

# start_trace [EXTRA OPTIONS...]: aegismon trace --json, waits until attached
start_trace() {
	: >"$ERR"
	"$AEGISMON" trace --json --events --agent-root "$ROOT" "$@" >"$OUT" 2>"$ERR" &
	TRACE_PID=$!
	wait_for 10 grep -q "probes attached" "$ERR" || fail "aegismon did not attach within 10 s"
	if grep -q "failed to attach" "$ERR"; then fail "a probe failed to attach"; fi
	check_fallbacks "$ERR"
}

# scaled SECONDS: a session length for a machine E2E_TIME_SCALE times slower
# than this one (the kernel matrix's emulated guests set it)
scaled() { echo $(($1 * ${E2E_TIME_SCALE:-1})); }

# kernel_at_least MAJOR MINOR: is the running kernel that version or newer?
kernel_at_least() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	[ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "${minor%%[!0-9]*}" -ge "$2" ]; }
}

# The connect() hook the README's kernel matrix promises for the running
# kernel: cgroup/connect4+6 from 5.18 (bpf_get_retval), fexit before it where
# BPF trampolines attach (the matrix's Debian kernels have them), else the
# syscall tracepoints; AEGISMON_FORCE_* switches as the loader reads them.
kernel_connect_hook() {
	if [ -n "${AEGISMON_FORCE_SYSCALL_CONNECT:-}" ]; then
		echo "syscall tracepoints"
	elif kernel_at_least 5 18; then
		echo "cgroup/connect4+6"
	elif [ -n "${AEGISMON_FORCE_NO_TRAMPOLINE:-}" ]; then
		echo "syscall tracepoints"
	else
		echo "fexit __sys_connect"
	fi
}

# Does this kernel get the agent scope by default? It needs connect() by the
# cgroup hooks (5.18); before, the network programs serve the host (README,
# "Kernel support").
kernel_agent_scope() { [ "$(kernel_connect_hook)" = "cgroup/connect4+6" ]; }

# check_fallbacks FILE: under an AEGISMON_FORCE_* switch (the fallback tests
# run scenarios with them), the start line in FILE names the fallback in use
check_fallbacks() {
	if [ -n "${AEGISMON_FORCE_PERFBUF:-}" ] && ! grep -q "fallbacks:.*perf buffer" "$1"; then
		fail "AEGISMON_FORCE_PERFBUF is set but the perf buffer is not in use"
	fi
	if [ -n "${AEGISMON_FORCE_CLASSIC_TP:-}" ] && ! grep -q "fallbacks:.*classic tracepoints" "$1"; then
		fail "AEGISMON_FORCE_CLASSIC_TP is set but the classic tracepoints are not in use"
	fi
	if [ -n "${AEGISMON_FORCE_NO_DROP_REASON:-}" ] && ! grep -q "fallbacks:.*netfilter drops by site" "$1"; then
		fail "AEGISMON_FORCE_NO_DROP_REASON is set but drops are not told by site"
	fi
	# the connect() path: test_net_paths/policy expect the cgroup hooks here,
	# test_fallback_connect the syscall tracepoints
	if [ -n "${E2E_EXPECT_CONNECT:-}" ] && ! grep -q "connect() via $E2E_EXPECT_CONNECT" "$1"; then
		fail "connect() is not traced via $E2E_EXPECT_CONNECT: $(head -1 "$1")"
	fi
	return 0
}

# overflow_events WHAT: with the reader stopped (SIGSTOP), a storm of the
# impostor at $WORK/evil/AliYunDun overflows the event buffer; the loss must
# show in the diagnosis of the next agent exit (WHAT: for the failure
# message); the count is left in $lost
overflow_events() {
	kill -STOP "$TRACE_PID"
	"$WORK/evil/AliYunDun" storm 2000 >/dev/null
	kill -CONT "$TRACE_PID"
	sleep 0.6 # the loss counter reaches the correlator with the next 250 ms tick
	start_agent AliYunDun exit 77 0
	wait "$LAST_PID"
	wait_diag agent_exited ".subject.exit_code==77"
	lost=$(diag agent_exited .events_lost ".subject.exit_code==77")
	[ "$lost" -gt 0 ] || fail "$1 but the diagnosis says events_lost=$lost"
}

# stop_trace: SIGINT, wait, exit status in $TRACE_RC
# trace_gone: the session has ended (a zombie not yet waited for counts)
trace_gone() {
	local stat
	stat=$(cat "/proc/$TRACE_PID/stat" 2>/dev/null) || return 0
	stat=${stat##*) }
	[ "${stat%% *}" = Z ]
}

# where each of the session's threads waits: for a session that does not end
trace_threads() {
	local t
	for t in /proc/"$TRACE_PID"/task/*; do
		echo "[$(cat "$t/comm" 2>/dev/null) in $(cat "$t/wchan" 2>/dev/null)]"
	done | tr '\n' ' '
}

# stop_trace: SIGINT, and the session must end (its held diagnoses, at most
# 10 s, and the summary) within 30 s; a hang fails here, not at the test's limit
stop_trace() {
	local threads
	kill -INT "$TRACE_PID"
	if ! wait_for 30 trace_gone; then
		threads=$(trace_threads)
		kill -KILL "$TRACE_PID"
		wait "$TRACE_PID" 2>/dev/null
		TRACE_PID=
		fail "aegismon did not end within $(scaled 30) s of SIGINT; its threads: $threads"
	fi
	wait "$TRACE_PID"
	TRACE_RC=$?
	TRACE_PID=
	grep -q '"kind":"summary"' "$OUT" || fail "no summary line at the end of the trace"
}

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds or time runs out
# (by the clock: a check that itself takes time, jq on an emulated machine,
# must not stretch the limit); a slower machine (E2E_TIME_SCALE) gets longer
wait_for() {
	local limit=$1 end
	shift
	end=$((${EPOCHREALTIME/./} + limit * 1000000 * ${E2E_TIME_SCALE:-1}))
	while :; do
		"$@" && return 0
		[ "${EPOCHREALTIME/./}" -ge "$end" ] && return 1
		sleep 0.05
	done
}

has_diag() { # has_diag CAUSE [JQ-CONDITION]
	jq -e -s --arg c "$1" "[.[] | select(.kind==\"diagnosis\" and .cause==\$c and (${2:-true}))] | length > 0" "$OUT" >/dev/null 2>&1
}

# wait_diag CAUSE [JQ-CONDITION] [SECONDS]
wait_diag() {
	wait_for "${3:-10}" has_diag "$1" "${2:-true}" || fail "no $1 diagnosis${2:+ with $2} within ${3:-10} s"
}

# diag CAUSE JQ-EXPR [JQ-CONDITION]: value of JQ-EXPR on the first matching diagnosis
diag() {
	jq -r -s --arg c "$1" "[.[] | select(.kind==\"diagnosis\" and .cause==\$c and (${3:-true}))][0] | $2" "$OUT"
}

count_diag() { # count_diag CAUSE [JQ-CONDITION]
	jq -s --arg c "$1" "[.[] | select(.kind==\"diagnosis\" and .cause==\$c and (${2:-true}))] | length" "$OUT"
}

assert_eq() { # assert_eq ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

assert_match() { # assert_match ACTUAL REGEX WHAT
	[[ "$1" =~ $2 ]] || fail "$3: '$1' does not match /$2/"
}

# ms since the epoch, for the latency figures tests print (never asserted)
now_ms() { date +%s%3N; }

# Every JSON line the test's files hold (trace output, JSON logs, check and
# hook captures) against the published schema (docs/schema/).
validate_schema() {
	local files out
	mapfile -d '' -t files < <(find "$WORK" -maxdepth 3 -type f -size -64M -print0 2>/dev/null)
	[ ${#files[@]} -gt 0 ] || return 0
	out=$(/usr/bin/python3 "$REPO/tests/e2e/validate_json.py" "$REPO/docs/schema/aegismon.schema.json" \
		"${files[@]}" 2>&1) || fail "output does not match docs/schema/aegismon.schema.json: $out"
}

pass() {
	validate_schema
	echo "ok [$TEST_NAME] $*"
	exit 0
}

# make_memcg NAME LIMIT_BYTES: a memory cgroup (v2 where the memory controller
# is on the unified hierarchy, else v1), without swap; path in $CG
make_memcg() {
	local name=$1 limit=$2 base
	if grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		base=/sys/fs/cgroup
		grep -qw memory "$base/cgroup.subtree_control" || echo +memory >"$base/cgroup.subtree_control"
		CG=$base/$name
		mkdir "$CG" || fail "cannot create cgroup $CG"
		CGROUPS+=("$CG")
		echo "$limit" >"$CG/memory.max"
		[ -f "$CG/memory.swap.max" ] && echo 0 >"$CG/memory.swap.max"
	elif [ -d /sys/fs/cgroup/memory ]; then
		CG=/sys/fs/cgroup/memory/$name
		mkdir "$CG" || fail "cannot create cgroup $CG"
		CGROUPS+=("$CG")
		echo "$limit" >"$CG/memory.limit_in_bytes"
		[ -f "$CG/memory.memsw.limit_in_bytes" ] && echo "$limit" >"$CG/memory.memsw.limit_in_bytes"
		echo 0 >"$CG/memory.swappiness" 2>/dev/null
	else
		fail "no memory cgroup controller on this host"
	fi
}

# ---- network rig ----
# Two namespaces made by the test: the client (where the stand-in agent runs)
# at 192.0.2.1 and the server ("the endpoint") at 100.100.77.2, inside the
# default Aegis CIDR 100.100.0.0/16, joined by one veth pair. Neither has a
# default route; net_rig refuses to go on if a route could leave them.
SERVER_IP=100.100.77.2
CLIENT_IP=192.0.2.1
NETNS=()
NETNS_ETC=()

net_cleanup() {
	local ns
	for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	for ns in "${NETNS_ETC[@]}"; do rm -rf "$ns"; done
}

net_rig() {
	CNS=aegc-$$
	SNS=aegs-$$
	ip netns add "$CNS" || fail "cannot create namespace $CNS"
	NETNS+=("$CNS")
	ip netns add "$SNS" || fail "cannot create namespace $SNS"
	NETNS+=("$SNS")
	ip link add "vc$$" netns "$CNS" type veth peer name "vs$$" netns "$SNS" || fail "cannot create veth"
	ip -n "$CNS" link set lo up
	ip -n "$SNS" link set lo up
	ip -n "$CNS" addr add "$CLIENT_IP/24" dev "vc$$"
	ip -n "$SNS" addr add "$SERVER_IP/24" dev "vs$$"
	ip -n "$CNS" link set "vc$$" up
	ip -n "$SNS" link set "vs$$" up
	ip -n "$CNS" route add "$SERVER_IP/32" dev "vc$$"
	ip -n "$SNS" route add "$CLIENT_IP/32" dev "vs$$"
	# short protocol timeouts in the client: a SYN timeout in about 3 s
	ip netns exec "$CNS" sysctl -qw net.ipv4.tcp_syn_retries=1
	net_check_isolated
}

# the safety check: no default route, and the endpoint only via our veth
net_check_isolated() {
	local ns
	for ns in "$CNS" "$SNS"; do
		[ -z "$(ip -n "$ns" route show default)" ] || fail "namespace $ns has a default route"
		[ -z "$(ip -n "$ns" -6 route show default)" ] || fail "namespace $ns has an IPv6 default route"
	done
	ip -n "$CNS" route get "$SERVER_IP" | grep -q "dev vc$$" || fail "the endpoint is not reached through the test veth"
	[ "$(ip -n "$CNS" -o link show | grep -vc -e ' lo:' -e "vc$$")" = 0 ] || fail "unexpected links in $CNS"
}

# net_far_rig [MTU]: a third namespace ($FNS, a listener's $FAR_IP) behind the
# server namespace, which routes between the two (the client reaches it via
# the server); its link has MTU bytes (default: the veth's); no default route
net_far_rig() {
	FNS=aegf-$$
	FAR_IP=100.100.78.2
	ip netns add "$FNS" || fail "cannot create namespace $FNS"
	NETNS+=("$FNS")
	ip link add "vr$$" netns "$SNS" ${1:+mtu "$1"} type veth peer name "vf$$" netns "$FNS" ${1:+mtu "$1"} ||
		fail "cannot create the far veth"
	ip -n "$FNS" link set lo up
	ip -n "$SNS" addr add 100.100.78.1/24 dev "vr$$"
	ip -n "$FNS" addr add "$FAR_IP/24" dev "vf$$"
	ip -n "$SNS" link set "vr$$" up
	ip -n "$FNS" link set "vf$$" up
	ip -n "$FNS" route add "$CLIENT_IP/32" via 100.100.78.1 dev "vf$$"
	ip -n "$CNS" route add "$FAR_IP/32" via "$SERVER_IP" dev "vc$$"
	ip netns exec "$SNS" sysctl -qw net.ipv4.ip_forward=1
	[ -z "$(ip -n "$FNS" route show default)" ] || fail "namespace $FNS has a default route"
	net_check_isolated
	ip -n "$CNS" route get "$FAR_IP" | grep -q "via $SERVER_IP dev vc$$" || fail "the far endpoint is not reached through the test veth"
}

# in_client CMD...: run in the client namespace (background with &)
# nsenter execs in place (ip netns exec forks), so $! is the program itself
in_client() { nsenter --net="/run/netns/$CNS" "$@"; }
in_server() { nsenter --net="/run/netns/$SNS" "$@"; }

# start_server reset|hold [PORT]: a listener at the endpoint address
start_server() {
	nsenter --net="/run/netns/$SNS" "$FAKE" serve "$SERVER_IP" "${2:-80}" "$1" >"$WORK/server.out" 2>&1 &
	PIDS+=("$!")
	wait_for 5 grep -q listening "$WORK/server.out" || fail "server did not start"
}

# client_agent ARGS...: the stand-in AliYunDun in the client namespace; output in $WORK/agent.out
client_agent() {
	# nsenter directly, not through a function: $! must be the agent's pid
	nsenter --net="/run/netns/$CNS" "$(agent_path AliYunDun)" "$@" >>"$WORK/agent.out" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}

# make_cg2 NAME: a cgroup v2 directory (on the unified mount of a hybrid host); path in $CG2
make_cg2() {
	local base
	base=$(findmnt -n -t cgroup2 -o TARGET | head -1)
	[ -n "$base" ] || fail "no cgroup v2 mount"
	CG2=$base/$1
	mkdir "$CG2" || fail "cannot create cgroup $CG2"
	CGROUPS+=("$CG2")
}

# ---- DNS rig ----
# dnsmasq in the server namespace at $SERVER_IP:53 with the Aegis names this
# test needs; a broken upstream (SERVFAIL) on 127.0.0.1:5399 behind it; the
# client's resolv.conf in /etc/netns/$CNS (used by `ip netns exec`).
start_dnsmasq() {
	nsenter --net="/run/netns/$SNS" "$FAKE" dnsserve 127.0.0.1 5399 2 >"$WORK/upstream.out" 2>&1 &
	PIDS+=("$!")
	wait_for 5 grep -qs listening "$WORK/upstream.out" || fail "broken upstream did not start"
	nsenter --net="/run/netns/$SNS" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
		--bind-interfaces --listen-address="$SERVER_IP" --port=53 --user=root \
		--pid-file="$WORK/dnsmasq.pid" --log-facility="$WORK/dnsmasq.log" \
		--address=/jsrv.aegis.aliyun.com/"$SERVER_IP" \
		--address=/jsrv2.aegis.aliyun.com/"$SERVER_IP" \
		--address=/update2.aegis.aliyun.com/"$SERVER_IP" \
		--address=/sink.aegis.aliyun.com/0.0.0.0 \
		--address=/nx.aegis.aliyun.com/ \
		--server=/sf.aegis.aliyun.com/127.0.0.1#5399 &
	PIDS+=("$!")
	wait_for 5 nsenter --net="/run/netns/$CNS" "$FAKE" dns "$SERVER_IP" jsrv.aegis.aliyun.com \
		>/dev/null || fail "dnsmasq did not start"
	mkdir -p "/etc/netns/$CNS"
	NETNS_ETC+=("/etc/netns/$CNS")
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$SERVER_IP" >"/etc/netns/$CNS/resolv.conf"
}

# the agent, resolving through glibc with the namespace's resolv.conf
client_resolve() {
	ip netns exec "$CNS" "$(agent_path AliYunDun)" resolve "$@" >>"$WORK/agent.out" 2>&1 &
	LAST_PID=$!
	PIDS+=("$LAST_PID")
}
