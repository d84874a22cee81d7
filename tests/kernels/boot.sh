#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Boot one of Debian's kernels under qemu with this machine's root file system
# (read-only over virtio-9p, a tmpfs overlay on top) and run a command in it.
# usage: boot.sh KERNEL_DIR OUT_DIR [--mem MiB] [--timeout S] [--systemd]
#                [--append KERNEL_ARGS] -- COMMAND...
#   KERNEL_DIR  a kernel unpacked by fetch.sh
#   OUT_DIR     written by the guest (mounted at /kout): the command's output
#               in out.log, its exit status in rc; console.log is the serial console
#   --systemd   systemd is PID 1 (not guest-init.sh): a unit wanted by
#               multi-user.target, ordered after it, runs the command, then
#               powers the guest off (tests/systemd)
#   --append    more kernel command-line arguments (e.g. systemd.mask=UNIT)
# Exit status: the command's, or 124 when the guest did not finish in time.
# The guest has no network card (-nic none): it cannot reach anything but itself.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

kdir=$1 out=$2
shift 2
mem=4096 timeout=1800 systemd='' append=''
while [ $# -gt 0 ]; do
	case $1 in
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--systemd) systemd=1; shift ;;
	--append) append="$append $2"; shift 2 ;;
	--) shift; break ;;
	*) echo "boot.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "boot.sh: no command" >&2; exit 2; }
kver=$(basename "$kdir")
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out/rc" "$out/out.log"
# the command runs as given, from the directory boot.sh was called in
{
	printf 'cd %q\n' "$PWD"
	printf '%q ' "$@"
	echo
} >"$out/cmd.sh"
if [ -n "$systemd" ]; then
	# copied into the guest's /etc/systemd/system by the initramfs' init
	cat >"$out/aegis-guest.service" <<'UNIT'
[Unit]
Description=aegismon test guest: /kout/cmd.sh, then power off
After=multi-user.target

[Service]
Type=oneshot
TimeoutStartSec=infinity
Environment=HOME=/root LANG=C.UTF-8 TERM=dumb
ExecStart=/bin/bash -c 'bash /kout/cmd.sh >/kout/out.log 2>&1; echo $? >/kout/rc; sync'
ExecStart=/bin/systemctl poweroff -f
UNIT
fi

initrd=$kdir/initramfs-$(cat "$HERE/initramfs.sh" "$HERE/guest-init.sh" | md5sum | cut -c1-8).cpio.gz
if [ ! -e "$initrd" ]; then
	"$HERE/initramfs.sh" "$kdir" "$initrd.$$"
	mv "$initrd.$$" "$initrd"
fi

cmdline="console=ttyS0 panic=-1 quiet loglevel=4 aegis.kver=$kver aegis.kdir=$kdir aegis.helper=$HERE/guest-init.sh"
[ -z "$systemd" ] || cmdline+=" aegis.init=systemd"
cmdline+=$append
nproc=$(nproc)
status=0
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 -nic none \
	-machine q35 -accel tcg,thread=multi -cpu max -smp "$nproc" -m "$mem" \
	-nographic -no-reboot -serial "file:$out/console.log" -monitor none \
	-kernel "$kdir/boot/vmlinuz-$kver" -initrd "$initrd" -append "$cmdline" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-virtfs local,path="$out",mount_tag=kout,security_model=none,multidevs=remap \
	</dev/null >/dev/null || status=$?
if [ ! -e "$out/rc" ]; then
	[ "$status" -eq 124 ] && echo "boot.sh: $kver: no result within ${timeout}s" >&2 ||
		echo "boot.sh: $kver: guest ended without a result (qemu status $status); see $out/console.log" >&2
	tail -20 "$out/console.log" >&2 || true
	exit 124
fi
exit "$(cat "$out/rc")"
