#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# The BTF of a kernel unpacked by fetch.sh, read from its image without
# booting it (the .BTF section of the vmlinux inside the bzImage), as a raw
# BTF file: KERNEL_DIR/vmlinux.btf, made once.
# usage: kbtf.sh KERNEL_DIR   prints the path
set -euo pipefail
kdir=$1
kver=$(basename "$kdir")
out=$kdir/vmlinux.btf
if [ ! -s "$out" ]; then
	img=$kdir/boot/vmlinuz-$kver
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	# the first compressed stream in the image that unpacks to an ELF
	for m in 'xz:\xfd7zXZ\x00' 'zstd:\x28\xb5\x2f\xfd' 'gzip:\x1f\x8b\x08'; do
		tool=${m%%:*}
		for off in $(LC_ALL=C grep -obUaP "${m#*:}" "$img" | cut -d: -f1 | head -5); do
			tail -c +$((off + 1)) "$img" | "$tool" -dc 2>/dev/null >"$tmp" || true
			if [ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = 177ELF ]; then
				bpftool btf dump file "$tmp" format raw >/dev/null 2>&1 || continue
				# raw BTF out of the ELF's .BTF section
				objcopy -O binary --only-section=.BTF "$tmp" "$out.tmp" && mv "$out.tmp" "$out"
				break 2
			fi
		done
	done
	[ -s "$out" ] || { echo "kbtf.sh: no BTF found in $img" >&2; exit 1; }
fi
echo "$out"
