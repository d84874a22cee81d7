#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# Build the initramfs of a kernel unpacked by fetch.sh: busybox-static, the
# modules that reach the host's root over virtio-9p, and an init that mounts it
# read-only with a tmpfs overlay, then hands over to guest-init.sh (or, with
# aegis.init=systemd, to systemd with boot.sh's unit: boot.sh --systemd).
# usage: initramfs.sh KERNEL_DIR OUTPUT
set -euo pipefail
kdir=$1 output=$2
kver=$(basename "$kdir")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,dev,proc,sys,mnt/lower,mnt/rw,mnt/root,modules}
cp /bin/busybox "$work/bin/busybox"
for c in sh mount mkdir insmod switch_root cat echo ln poweroff sleep; do
	ln -s busybox "$work/bin/$c"
done
# modules in load order, each once; compressed ones unpacked (busybox insmod
# takes plain ELF only)
n=0
modprobe -d "$kdir" -S "$kver" -a --show-depends virtio_pci 9pnet_virtio 9p overlay |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r ko; do
	n=$((n + 1))
	dst=$work/modules/$(printf '%02d' "$n")-$(basename "${ko%.xz}")
	case $ko in
	*.xz) xz -dc "$ko" >"$dst" ;;
	*.zst) zstd -qdc "$ko" >"$dst" ;;
	*) cp "$ko" "$dst" ;;
	esac
done

cat >"$work/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /modules/*.ko; do insmod "$m" 2>/dev/null; done
helper= init=
for a in $(cat /proc/cmdline); do
	case $a in
	aegis.helper=*) helper=${a#aegis.helper=} ;;
	aegis.init=*) init=${a#aegis.init=} ;;
	esac
done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro,cache=loose hostroot /mnt/lower || exec sh
mount -t tmpfs -o size=2g tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay /mnt/root || exec sh
mkdir -p /mnt/root/kout
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 kout /mnt/root/kout
umount /proc /sys /dev 2>/dev/null
if [ "$init" = systemd ]; then
	# boot.sh --systemd: its unit (in kout) runs the command after multi-user.target
	u=/mnt/root/etc/systemd/system
	mkdir -p $u/multi-user.target.wants
	cat /mnt/root/kout/aegis-guest.service >$u/aegis-guest.service
	ln -sf ../aegis-guest.service $u/multi-user.target.wants/aegis-guest.service
	exec switch_root /mnt/root /lib/systemd/systemd
fi
exec switch_root /mnt/root "$helper"
INIT
chmod +x "$work/init"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$output"
