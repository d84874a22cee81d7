#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make test-kernels: boot Debian's 5.10, 6.1 and 6.12 kernels under qemu (this
# machine's root file system shared in, no network card) and run the e2e suite
# in each; report per kernel and per test.
# usage: run.sh [LINE...]           (default: 5.10 6.1 6.12)
#        run.sh --ratio [LINE...]   instead of the suite, the cost of each
#                                   connect() variant (connect_ratio.sh)
# env:   KERNEL_E2E_ONLY_<LINE>  the tests for that line, names separated by
#                               spaces, e.g. KERNEL_E2E_ONLY_6_1="test_oom
#                               test_killed"; default: subsets.sh
#        KERNEL_E2E_ALL=1       the whole suite on every kernel
#        E2E_EXCLUDE            as for tests/e2e/run.sh, for every kernel
#        KERNEL_JOBS            guests at once (default: the CPUs); a guest
#                               keeps about one CPU busy under TCG
#        KERNEL_CACHE           where the kernels are kept (fetch.sh)
# Prints "kernels: N passed, N failed" (guests whose tests all passed). A test
# that fails in a guest runs once more (E2E_RETRY, tests/e2e/run.sh): emulated
# guests compete for the CPU; the summary names the tests that passed only so.
set -u
PATH=$PATH:/usr/sbin:/sbin
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
cd "$REPO"
ratio=
if [ "${1:-}" = --ratio ]; then
	ratio=1
	shift
fi
lines=("$@")
[ ${#lines[@]} -gt 0 ] || lines=(5.10 6.1 6.12)

if [ "$(id -u)" -ne 0 ]; then
	echo "test-kernels: the e2e suite in the guests needs root: run 'sudo make test-kernels'" >&2
	echo "kernels: 0 passed, 1 failed"
	exit 1
fi
[ -x aegismon ] && [ -x build/tests/fake_agent ] || {
	echo "test-kernels: build first (make e2e-bins)" >&2
	echo "kernels: 0 passed, 1 failed"
	exit 1
}
if ! kernels=$("$HERE/fetch.sh" "${lines[@]}"); then
	echo "test-kernels: could not fetch the kernels" >&2
	echo "kernels: 0 passed, ${#lines[@]} failed"
	exit 1
fi
. "$HERE/subsets.sh"

results=$REPO/build/kernels
mkdir -p "$results"
# The guests run a copy of the tree as it is now: a rebuild while they run
# (they read the host's files live) cannot change what they test. Not under
# /tmp, /run or /dev/shm, which are the guest's own tmpfs: a checkout there
# (a clone in /tmp) gets its copy in /var/tmp.
case "$results/" in
/tmp/* | /run/* | /dev/shm/*) tree=$(mktemp -d /var/tmp/aegismon-kernels-tree.XXXXXX) ;;
*) tree=$results/tree ;;
esac
rm -rf "$tree"
mkdir -p "$tree"
tar -C "$REPO" --exclude=./.git --exclude=./build/kernels -cf - . | tar -C "$tree" -xf - || {
	echo "test-kernels: cannot copy the tree to $tree" >&2
	echo "kernels: 0 passed, 1 failed"
	exit 1
}
trap 'rm -rf "$tree"; kill $(jobs -p) 2>/dev/null' EXIT

# One guest, in the background: its results in build/kernels/KVER[-SHARD].
run_guest() {
	local kver=$1 kdir=$2 out=$3 list=$4 hostbtf cmd start
	rm -rf "$out"
	mkdir -p "$out"
	start=$(date +%s)
	if [ -n "$ratio" ]; then
		(cd "$tree" && "$HERE/boot.sh" "$kdir" "$out" --timeout 1800 -- tests/kernels/connect_ratio.sh)
		echo $? >"$out/status"
		echo $(($(date +%s) - start)) >"$out/secs"
		return
	fi
	hostbtf=$tree/build/kbtf-$kver.btf
	[ -s "$hostbtf" ] || echo "test-kernels: no minimal BTF for $kver (test_btf will fail)" >"$out/btf.err"
	# what the kernel offers and the variant of each family, loaded for real
	# (features.txt), then the tests
	cmd='./aegismon version --features >/kout/features.txt 2>&1
export AEGISMON_TEST_HOST_BTF='"$hostbtf"' E2E_LIST="'"$list"'" E2E_TIME_SCALE=3 E2E_RETRY=1
tests/e2e/run.sh'
	(cd "$tree" && "$HERE/boot.sh" "$kdir" "$out" --timeout "${KERNEL_TIMEOUT:-3000}" -- bash -c "$cmd")
	echo $? >"$out/status"
	echo $(($(date +%s) - start)) >"$out/secs"
}

# the guests: "LINE KVER KDIR OUT TEST..." per line
plan=$(while read -r line kver kdir; do
	if [ -n "$ratio" ]; then
		echo "$line $kver $kdir $results/$kver"
		continue
	fi
	kernel_plan "$line" | while read -r shard list; do
		[ "$shard" = - ] && shard=
		echo "$line $kver $kdir $results/$kver${shard:+-$shard} $list"
	done
done <<<"$kernels")
# A minimal BTF of each kernel made here, from the kernel package, as a user
# would for a host without one: test_btf traces with it in the guest.
while read -r line kver kdir; do
	kbtf=$("$HERE/kbtf.sh" "$kdir") &&
		bpftool gen min_core_btf "$kbtf" "$tree/build/kbtf-$kver.btf" \
			"$tree"/build/{lifecycle,netpath,dns,sched}.bpf.o >/dev/null
done <<<"$kernels"
jobs_max=${KERNEL_JOBS:-$(nproc)}
while read -r line kver kdir out list; do
	while [ "$(jobs -pr | wc -l)" -ge "$jobs_max" ]; do sleep 1; done
	echo "test-kernels: booting $kver ($(cat "$kdir/.version")) for $(basename "$out")"
	run_guest "$kver" "$kdir" "$out" "$list" &
	sleep 2
done <<<"$plan"
wait

passed=0 failed=0 summary=()
while read -r line kver kdir out list; do
	rc=$(cat "$out/status" 2>/dev/null || echo 1)
	secs=$(cat "$out/secs" 2>/dev/null || echo 0)
	name="$(basename "$out") ($(cat "$kdir/.version"))"
	if [ -n "$ratio" ]; then
		echo "== $name: connect() variants =="
		cat "$out/out.log" 2>/dev/null
		[ "$rc" -eq 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))
		continue
	fi
	echo "== $name: $list =="
	cat "$out/btf.err" 2>/dev/null
	sed 's/^/    /' "$out/out.log" 2>/dev/null
	echo "  variants and load check (version --features):"
	sed -n '/^probe families/,$p' "$out/features.txt" 2>/dev/null | grep -v "switches:\|AEGISMON_FORCE" | sed 's/^/    /'
	attach=$(sed -n 's/^  \([0-9]* probes attached in [0-9.]* ms\).*/\1/p' "$out/features.txt" 2>/dev/null)
	p=$(grep -hE '^e2e: [0-9]+ passed' "$out/out.log" 2>/dev/null | awk '{s+=$2} END {print s+0}')
	f=$(grep -hE '^e2e: [0-9]+ passed' "$out/out.log" 2>/dev/null | awk '{s+=$4} END {print s+0}')
	# the e2e runner's own line, not a test's output that happens to start so
	which=$(grep -h '^failed: test_' "$out/out.log" 2>/dev/null | sed 's/^failed: //' | tr '\n' ' ')
	want=$(echo $list | wc -w)
	flaky=$(grep -h '^flaky: ' "$out/out.log" 2>/dev/null | sed 's/^flaky: //')
	if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -eq "$want" ]; then
		passed=$((passed + 1))
		summary+=("$name: e2e $p passed, 0 failed in ${secs}s; ${attach:-no load check}${flaky:+; passed on a second run: $flaky}")
	else
		failed=$((failed + 1))
		if [ "$rc" -eq 124 ]; then
			# the runner's total never came: the tests that ended (their
			# timing lines) and the one under way when time ran out
			ended=$(sed -n 's/^   (\(test_[a-z0-9_]*\)\.sh: [0-9]* ms)$/\1/p' "$out/out.log" 2>/dev/null)
			running=
			for t in $list; do
				grep -qx "$t" <<<"$ended" || { running=$t; break; }
			done
			which+="(guest timed out after $(grep -c . <<<"$ended") of $want tests${running:+, in $running}) "
		elif [ "$p" -ne "$want" ] && [ "$f" -eq 0 ]; then
			which+="($p of $want tests ran) "
		fi
		summary+=("$name: e2e $p passed, $f failed in ${secs}s; ${attach:-no load check}: $which")
		# why, where the end of a long log is all a reader may get (CI)
		while IFS= read -r why; do
			summary+=("    ${why:0:300}")
		done < <(grep -h '^FAIL \[' "$out/out.log" 2>/dev/null | head -5)
	fi
done <<<"$plan"
if [ ${#summary[@]} -gt 0 ]; then
	echo "== kernel matrix =="
	printf '  %s\n' "${summary[@]}"
fi
echo "kernels: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
