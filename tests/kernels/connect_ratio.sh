#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The cost of each connect() variant to unrelated work, on the running kernel
# (meant for a guest of tests/kernels/run.sh --ratio): a refused loopback
# connect storm and a getppid storm, each with no tracer, with aegismon's
# default variant attached, and with the syscall tracepoints forced
# (AEGISMON_FORCE_SYSCALL_CONNECT=1), interleaved over ROUNDS rounds. Prints
# the median ratio of each variant to no tracer. Under TCG absolute rates mean
# little; ratios in the same run are what compares.
set -u
cd "$(dirname "$0")/../.."
B=build/bench
rounds=${ROUNDS:-5} dur=${DUR:-2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in aegismon $B/connect_storm $B/syscall_storm; do
	[ -x "$f" ] || { echo "connect_ratio: $f missing (make bench)" >&2; exit 1; }
done

rate() { # rate STORM: ops/s of one run
	case $1 in
	connect) $B/connect_storm -d "$dur" -j 1 ;;
	getppid) $B/syscall_storm -d "$dur" -j 1 ;;
	esac | awk '{print $1}'
}

# traced VARIANT STORM: the storm's rate with a tracer of that variant attached
traced() {
	local pid i env=()
	[ "$1" = syscall ] && env=(AEGISMON_FORCE_SYSCALL_CONNECT=1)
	env "${env[@]}" ./aegismon trace --no-config --agent-root "$tmp/none" >/dev/null 2>"$tmp/err" &
	pid=$!
	for i in $(seq 300); do
		grep -q "probes attached" "$tmp/err" && break
		sleep 0.1
	done
	grep -o "connect() via [^)]*" "$tmp/err" >"$tmp/via.$1"
	rate "$2"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
}

for r in $(seq "$rounds"); do
	for s in connect getppid; do
		base=$(rate $s)
		for v in default syscall; do
			t=$(traced $v $s)
			echo "$s $v $base $t" >>"$tmp/rows"
		done
	done
done
echo "kernel $(uname -r), $rounds rounds of ${dur}s, median of (traced / untraced in the same round):"
for s in connect getppid; do
	for v in default syscall; do
		awk -v s=$s -v v=$v '$1 == s && $2 == v && $3 > 0 { print $4 / $3 }' "$tmp/rows" | sort -n |
			awk -v s=$s -v v="$v ($(cat "$tmp/via.$v"))" '{ a[NR] = $1 } END {
				m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
				printf "  %-8s %-50s %.3f (n=%d, min %.3f, max %.3f)\n", s, v, m, NR, a[1], a[NR] }'
	done
done
