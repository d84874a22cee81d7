#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# make test-systemd: boot one of Debian's kernels of the kernel matrix under
# qemu with this machine's root file system and systemd as PID 1 (boot.sh
# --systemd; no network card), and run scenario.sh in it: aegismon installed
# and run by its unit beside journald and Debian's prometheus-node-exporter.
# usage: run.sh [LINE]       (default 6.1)
# env:   SYSTEMD_TIMEOUT      seconds for the whole guest (default 900; about 4 minutes on an idle
#                             2-CPU machine)
#        SYSTEMD_INSTALL      deb (default: build/pkg's .deb, made by make deb when missing or
#                             older than the tree) or make (make install PREFIX=SYSTEMD_PREFIX)
#        SYSTEMD_PREFIX, SYSTEMD_EXPOSURE_MAX   passed to scenario.sh
#        KERNEL_CACHE         where the kernels are kept (tests/kernels/fetch.sh)
# The guest's output is in build/systemd/out.log, its console in console.log.
set -u
PATH=$PATH:/usr/sbin:/sbin
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
KERNELS=$REPO/tests/kernels
cd "$REPO" || exit 1
line=${1:-6.1}

if [ "$(id -u)" -ne 0 ]; then
	echo "test-systemd: the guest loads BPF and runs systemd: run 'sudo make test-systemd'" >&2
	exit 1
fi
[ -x aegismon ] && [ -x build/tests/fake_agent ] || {
	echo "test-systemd: build first (make all e2e-bins)" >&2
	exit 1
}
for p in prometheus-node-exporter systemd; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		{ echo "test-systemd: $p is not installed (scripts/deps.sh)" >&2; exit 1; }
done
deb=
case ${SYSTEMD_INSTALL:-deb} in
deb)
	deb=$REPO/build/pkg/aegismon_$(cat VERSION)_$(dpkg --print-architecture).deb
	# the package of this tree: make test builds it (tests/pkg), or build it now
	# when it is missing or older than the binary or anything packaged
	if [ ! -f "$deb" ] || [ "$deb" -ot aegismon ] ||
		[ -n "$(find VERSION Makefile bpf user scripts debian docs/man -newer "$deb" -print -quit)" ]; then
		echo "test-systemd: make deb"
		make --no-print-directory deb >"$REPO/build/systemd-deb.log" 2>&1 || {
			tail -20 "$REPO/build/systemd-deb.log"
			echo "test-systemd: make deb failed (build/systemd-deb.log)" >&2
			exit 1
		}
	fi
	;;
make) ;;
*) echo "test-systemd: SYSTEMD_INSTALL is deb or make, not '$SYSTEMD_INSTALL'" >&2; exit 1 ;;
esac
read -r _ kver kdir < <("$KERNELS/fetch.sh" "$line") || {
	echo "test-systemd: could not fetch the $line kernel" >&2
	exit 1
}

out=$REPO/build/systemd
rm -rf "$out"
mkdir -p "$out"
echo "test-systemd: booting $kver ($(cat "$kdir/.version")) with systemd as PID 1"
start=$(date +%s)
# units of this machine that a test guest does not need: they only slow its boot
masks=
for u in postgresql.service prometheus.service apt-daily.service apt-daily-upgrade.service \
	man-db.service e2scrub_all.service e2scrub_reap.service fstrim.service dpkg-db-backup.service \
	logrotate.service; do
	masks+=" systemd.mask=$u"
done
rc=0
"$KERNELS/boot.sh" "$kdir" "$out" --systemd --timeout "${SYSTEMD_TIMEOUT:-900}" --append "$masks" -- \
	env SYSTEMD_DEB="$deb" SYSTEMD_PREFIX="${SYSTEMD_PREFIX:-/usr}" SYSTEMD_EXPOSURE_MAX="${SYSTEMD_EXPOSURE_MAX:-3.5}" \
	bash "$HERE/scenario.sh" || rc=$?
sed 's/^/    /' "$out/out.log" 2>/dev/null
echo "test-systemd: $kver: guest done in $(($(date +%s) - start)) s, status $rc"
if [ "$rc" -ne 0 ]; then
	grep -h '^FAIL \[' "$out/out.log" 2>/dev/null | head -20
	echo "test-systemd: the guest console's end ($out/console.log):"
	tail -30 "$out/console.log" 2>/dev/null | sed 's/^/    /'
	echo "systemd: FAILED"
	exit 1
fi
echo "systemd: passed"
