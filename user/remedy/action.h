/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* A remediation action and its outcome: a JSON line of kind "action". */
#ifndef AEGISMON_ACTION_H
#define AEGISMON_ACTION_H

#include <stdbool.h>
#include <stdint.h>

struct action {
	uint64_t ts_ns;         /* CLOCK_MONOTONIC */
	const char *action;     /* restart, advise, hook, escalate */
	const char *step;       /* restart steps: find, check, method, stop, start, verify; or NULL */
	const char *outcome;    /* scheduled, started, ok, would, refused, failed, skipped, timeout, dropped */
	const char *mode;       /* remediation mode, or NULL */
	const char *method;     /* restart method: systemd, sysv, direct; or NULL */
	int cause;              /* the diagnosis that led to it, or -1 */
	uint32_t pid;           /* the diagnosis subject's pid, 0 if none */
	const char *process;    /* the diagnosis subject, or NULL */
	const char *detail;     /* what was done or refused, for people */
	const char *advice;     /* advise: what to fix instead; or NULL */
	int64_t delay_ms;       /* restart scheduled after this; -1 if none */
	int exit_code;          /* hook: exit status, -1 if none */
	int signal;             /* hook: killed by this signal, 0 if none */
	const char *output;     /* hook: first lines of its output, or NULL */
	bool dry_run;
};

/* An action with every optional field unset. */
static inline struct action action_init(uint64_t ts_ns, const char *action, const char *outcome)
{
	struct action a = { .ts_ns = ts_ns, .action = action, .outcome = outcome, .cause = -1,
			    .delay_ms = -1, .exit_code = -1 };

	return a;
}

#endif
