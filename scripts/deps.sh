#!/usr/bin/env bash
# Install every build and test dependency of aegismon from Debian's archive.
# A no-op when everything is present; safe to run repeatedly.
set -euo pipefail

packages=(
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
	libcmocka-dev libjansson-dev pkg-config libclang-rt-dev
	cppcheck clang-tidy valgrind nftables iproute2 dnsmasq-base rsyslog psmisc procps jq util-linux bpftrace libbpf-tools
	logrotate systemd chromium fonts-dejavu-core
	# the kernel matrix (make test-kernels): Debian's kernels booted under qemu
	qemu-system-x86 busybox-static kmod cpio xz-utils
	# the systemd guest (make test-systemd) runs Debian's node_exporter as a
	# unit; promtool checks the shipped alert rules
	prometheus-node-exporter prometheus
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}" >&2
	echo "deps.sh: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 3
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Test dependencies are installed, never started: without a policy-rc.d
# refusing it (exit 101), a host without systemd as PID 1 gets node_exporter,
# prometheus (and rsyslogd) running from their init scripts. One already there
# is the machine's own and stays.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# deps.sh: installing test dependencies, start nothing\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
