#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Install every build and test dependency of aegismon from Debian's archive.
# A no-op when everything is present; safe to run repeatedly.
set -euo pipefail

packages=(
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
	libcmocka-dev libjansson-dev pkg-config libclang-rt-dev
	# make deb, make rpm and their test (tests/pkg)
	debhelper lintian rpm dpkg-dev
	cppcheck clang-tidy valgrind nftables iproute2 dnsmasq-base rsyslog psmisc procps jq util-linux bpftrace libbpf-tools
	logrotate systemd chromium fonts-dejavu-core
	# the JSON schema check of every e2e test (docs/schema/)
	python3 python3-jsonschema
	# the man page lint and the zsh completion test (tests/docs)
	mandoc zsh
	# the kernel matrix (make test-kernels): Debian's kernels booted under qemu
	qemu-system-x86 busybox-static kmod cpio xz-utils
	# promtool, for the alert rules' tests (tests/prometheus); its server is not started
	prometheus
	# the systemd guest (make test-systemd) runs Debian's node_exporter as a unit
	prometheus-node-exporter
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
apt-get update -qq
# a postinst must not start a service (prometheus from its init script on a
# host without systemd, node_exporter too): invoke-rc.d asks policy-rc.d, 101 means no
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}"
