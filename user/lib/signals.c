// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Signal names (x86_64/arm64 numbering, the generic Linux one). */
#include "signals.h"

#include <stdio.h>

static const char *const names[] = {
	[1] = "SIGHUP",   [2] = "SIGINT",   [3] = "SIGQUIT",  [4] = "SIGILL",
	[5] = "SIGTRAP",  [6] = "SIGABRT",  [7] = "SIGBUS",   [8] = "SIGFPE",
	[9] = "SIGKILL",  [10] = "SIGUSR1", [11] = "SIGSEGV", [12] = "SIGUSR2",
	[13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM", [16] = "SIGSTKFLT",
	[17] = "SIGCHLD", [18] = "SIGCONT", [19] = "SIGSTOP", [20] = "SIGTSTP",
	[21] = "SIGTTIN", [22] = "SIGTTOU", [23] = "SIGURG",  [24] = "SIGXCPU",
	[25] = "SIGXFSZ", [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH",
	[29] = "SIGIO",   [30] = "SIGPWR",  [31] = "SIGSYS",
};

const char *signal_name(int sig, char *buf, unsigned len)
{
	if (sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) && names[sig])
		return names[sig];
	snprintf(buf, len, "SIG%d", sig);
	return buf;
}

bool signal_is_fault(int sig)
{
	switch (sig) {
	case 4: case 5: case 6: case 7: case 8: case 11: case 31:
		return true;
	default:
		return false;
	}
}

bool signal_code_from_user(int si_code)
{
	/* SI_USER, SI_QUEUE, SI_TKILL and the other negative codes come from
	 * kill(2)-like calls; positive codes and SI_KERNEL from the kernel. */
	return si_code <= 0;
}

const char *signal_result_name(int result)
{
	switch (result) {
	case 0: return "delivered";
	case 1: return "ignored";
	case 2: return "already_pending";
	case 3: return "overflow_fail";
	case 4: return "lose_info";
	default: return "unknown";
	}
}

const char *errno_name(int err, char *buf, unsigned len)
{
	switch (err) {
	case 0: return "OK";
	case 1: return "EPERM";
	case 11: return "EAGAIN";
	case 13: return "EACCES";
	case 99: return "EADDRNOTAVAIL";
	case 101: return "ENETUNREACH";
	case 104: return "ECONNRESET";
	case 110: return "ETIMEDOUT";
	case 111: return "ECONNREFUSED";
	case 113: return "EHOSTUNREACH";
	case 114: return "EALREADY";
	case 115: return "EINPROGRESS";
	default:
		snprintf(buf, len, "E%d", err);
		return buf;
	}
}

const char *tcp_state_name(int state)
{
	static const char *const states[] = {
		"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
		"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
		"NEW_SYN_RECV",
	};

	return state >= 0 && state < (int)(sizeof(states) / sizeof(states[0])) ? states[state] : "?";
}
