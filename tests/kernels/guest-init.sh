#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# PID 1 of a test guest (boot.sh): mount what a booted Debian host has, run
# /kout/cmd.sh with its output in /kout/out.log and its status in /kout/rc,
# then power off.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH HOME=/root TERM=dumb LANG=C.UTF-8

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
# what udev or systemd would make: bash's <(...) needs /dev/fd
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/lock /run/netns
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t bpf bpf /sys/fs/bpf
for a in $(cat /proc/cmdline); do
	case $a in
	aegis.kver=*) kver=${a#aegis.kver=} ;;
	aegis.kdir=*) kdir=${a#aegis.kdir=} ;;
	esac
done
# the package's modules, so that modprobe veth, nft and friends work
mkdir -p "/lib/modules/$kver"
mount --bind "$kdir/lib/modules/$kver" "/lib/modules/$kver"
ip link set lo up
hostname "guest-${kver%%-*}"
# the memory controller for the OOM tests, as systemd enables it on a host
echo "+memory +cpu +pids" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
# A CPU quota anywhere turns the scheduler's bandwidth static key on, which
# patches enqueue_task_fair's code while every CPU runs it; under TCG that
# patching once ended in an "Oops: int3" in enqueue_task_fair (6.12, during
# test_res_starved's quota). Turned on here, while the guest is idle, and kept
# on, the tests' quotas never patch kernel text: what they test is unchanged.
mkdir -p /sys/fs/cgroup/guest-cpu-quota &&
	echo "1000000 1000000" >/sys/fs/cgroup/guest-cpu-quota/cpu.max 2>/dev/null

bash /kout/cmd.sh >/kout/out.log 2>&1
echo $? >/kout/rc
sync
echo o >/proc/sysrq-trigger
sleep 10
