#!/usr/bin/env bash
# make test-kernels: boot Debian's 5.10, 6.1 and 6.12 kernels under qemu (this
# machine's root file system shared in, no network card) and run the e2e suite
# in each; report per kernel and per test.
# usage: run.sh [LINE...]           (default: 5.10 6.1 6.12)
#        run.sh --ratio [LINE...]   instead of the suite, the cost of each
#                                   connect() variant (connect_ratio.sh)
# env:   KERNEL_E2E_ONLY_<LINE>  a test subset for that line (E2E_ONLY syntax,
#                               several names separated by spaces), e.g.
#                               KERNEL_E2E_ONLY_6_1="test_dns test_killed"
#        E2E_ONLY, E2E_EXCLUDE  as for tests/e2e/run.sh, for every kernel
#        KERNEL_CACHE           where the kernels are kept (fetch.sh)
# Prints "kernels: N passed, N failed" (kernels whose suite passed).
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

results=$REPO/build/kernels
mkdir -p "$results"
# The guests run a copy of the tree as it is now: a rebuild while they run
# (they read the host's files live) cannot change what they test. Not under
# /tmp, which is the guest's own tmpfs.
tree=$results/tree
rm -rf "$tree"
mkdir -p "$tree"
tar -C "$REPO" --exclude=./.git --exclude=./build/kernels -cf - . | tar -C "$tree" -xf - || {
	echo "test-kernels: cannot copy the tree to $tree" >&2
	echo "kernels: 0 passed, 1 failed"
	exit 1
}
trap 'rm -rf "$tree"' EXIT
passed=0 failed=0 summary=()
while read -r line kver kdir; do
	out=$results/$kver
	rm -rf "$out"
	mkdir -p "$out"
	if [ -n "$ratio" ]; then
		echo "== kernel $kver ($(cat "$kdir/.version")): connect() variants =="
		(cd "$tree" && "$HERE/boot.sh" "$kdir" "$out" --timeout 1800 -- tests/kernels/connect_ratio.sh)
		rc=$?
		cat "$out/out.log"
		[ "$rc" -eq 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))
		continue
	fi
	# a minimal BTF of this kernel made here, from the kernel package, as a
	# user would for a host without one: test_btf traces with it in the guest
	hostbtf=$tree/build/kbtf-$kver.btf
	kbtf=$("$HERE/kbtf.sh" "$kdir") &&
		bpftool gen min_core_btf "$kbtf" "$hostbtf" "$tree"/build/{lifecycle,netpath,dns,sched}.bpf.o ||
		echo "test-kernels: no minimal BTF for $kver (test_btf will fail)" >&2
	var=KERNEL_E2E_ONLY_${line//./_}
	only=${!var:-${E2E_ONLY:-}}
	echo "== kernel $kver ($(cat "$kdir/.version"))${only:+: only $only} =="
	start=$(date +%s)
	# the suite once per subset name (tests/e2e/run.sh takes one E2E_ONLY)
	cmd='export AEGISMON_TEST_HOST_BTF='"$hostbtf"'; rc=0; for o in '"${only:-''}"'; do E2E_ONLY=$o E2E_EXCLUDE='"${E2E_EXCLUDE:-}"' tests/e2e/run.sh || rc=1; done; exit $rc'
	(cd "$tree" && "$HERE/boot.sh" "$kdir" "$out" --timeout "${KERNEL_TIMEOUT:-2400}" -- bash -c "$cmd")
	rc=$?
	secs=$(($(date +%s) - start))
	sed 's/^/    /' "$out/out.log" 2>/dev/null
	p=$(grep -hE '^e2e: [0-9]+ passed' "$out/out.log" 2>/dev/null | awk '{s+=$2} END {print s+0}')
	f=$(grep -hE '^e2e: [0-9]+ passed' "$out/out.log" 2>/dev/null | awk '{s+=$4} END {print s+0}')
	which=$(grep -h '^failed: ' "$out/out.log" 2>/dev/null | sed 's/^failed: //' | tr '\n' ' ')
	if [ "$rc" -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ]; then
		passed=$((passed + 1))
		summary+=("$kver ($(cat "$kdir/.version")): e2e $p passed, 0 failed in ${secs}s")
	else
		failed=$((failed + 1))
		[ "$rc" -eq 124 ] && which+="(guest timed out) "
		summary+=("$kver ($(cat "$kdir/.version")): e2e $p passed, $f failed in ${secs}s: $which")
	fi
done <<<"$kernels"
if [ ${#summary[@]} -gt 0 ]; then
	echo "== kernel matrix =="
	printf '  %s\n' "${summary[@]}"
fi
echo "kernels: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
