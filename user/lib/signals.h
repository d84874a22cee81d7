/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Signal names and classes, independent of the C library. */
#ifndef AEGISMON_SIGNALS_H
#define AEGISMON_SIGNALS_H

#include <stdbool.h>

/* "SIGKILL", or "SIG37" style for unknown numbers (buffer owned by caller). */
const char *signal_name(int sig, char *buf, unsigned len);
/* A fault signal: the process crashed (SEGV, BUS, ILL, FPE, ABRT, SYS, TRAP). */
bool signal_is_fault(int sig);
/* si_code values */
#define AEGIS_SI_USER 0
#define AEGIS_SI_KERNEL 0x80
#define AEGIS_SI_QUEUE (-1)
#define AEGIS_SI_TKILL (-6)
/* Sent by a process (kill, tgkill, sigqueue), not raised by the kernel. */
bool signal_code_from_user(int si_code);
const char *signal_result_name(int result);
/* The errno in a syscall's return value (-4095..-1), else 0: a hostile or
 * corrupt value such as INT_MIN must not be negated. */
static inline int errno_of_ret(int ret)
{
	return ret < 0 && ret > -4096 ? -ret : 0;
}

/* "ECONNREFUSED" for 111, "E<n>" style otherwise (buffer owned by caller). */
const char *errno_name(int err, char *buf, unsigned len);
/* "SYN_SENT" for 2 ... */
const char *tcp_state_name(int state);

#endif
