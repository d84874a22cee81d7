/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What this kernel lets us attach, asked of the kernel itself. */
#ifndef AEGISMON_KCAPS_H
#define AEGISMON_KCAPS_H
#include <stdbool.h>
#include <stddef.h>

/* Has the kernel the tracepoint category:name? tracefs says, or where it is
 * not mounted, the btf_trace_<name> type of the kernel's BTF (btf_path, or
 * NULL for /sys/kernel/btf/vmlinux). */
bool kcaps_tracepoint(const char *category, const char *name, const char *btf_path);

/* Do BPF trampolines (fentry/fexit) attach here? A program is loaded and
 * attached for real on func, then removed: the program type exists on
 * kernels that still refuse to attach it (no ftrace direct calls, a
 * lockdown, some VMs). 1 yes; 0 no, with the reason in why. */
int kcaps_trampoline(const char *func, char *why, size_t len);
#endif
