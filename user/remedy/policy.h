/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Remediation policy: which diagnosis leads to a restart, when, and when to
 * give up. Pure: time is an input (CLOCK_MONOTONIC ns), so unit tests drive it.
 */
#ifndef AEGISMON_POLICY_H
#define AEGISMON_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "causes.h"

enum remediation_mode { REM_OFF, REM_ADVISE, REM_RESTART };

#define POLICY_MAX_RESTARTS 64

struct policy_config {
	enum remediation_mode mode;
	unsigned restart_max;      /* restarts allowed per window (default 3) */
	uint64_t window_ns;        /* default 3600 s */
	uint64_t delay_ns;         /* first delay, doubled per restart in the window (default 10 s) */
};

struct policy_state {
	uint64_t restarts[POLICY_MAX_RESTARTS]; /* start times of restarts in the window */
	unsigned nrestarts;
	bool pending;              /* a restart is scheduled or running */
	bool escalated;            /* gave up: remediation_failed was reported */
	uint64_t escalated_ns;
};

enum policy_action {
	POL_NONE,      /* nothing to do (off, a recovery, or a restart already under way) */
	POL_ADVISE,    /* report what to do; no restart */
	POL_RESTART,   /* restart at .at_ns */
	POL_ESCALATE,  /* give up: report remediation_failed */
};

struct policy_decision {
	enum policy_action action;
	uint64_t at_ns;            /* POL_RESTART: when */
	uint64_t delay_ns;
	const char *reason;        /* static text */
};

void policy_config_defaults(struct policy_config *cfg);
void policy_init(struct policy_state *st);
const char *remediation_mode_name(enum remediation_mode m);
/* "off", "advise", "restart": 0, or -1. */
int remediation_mode_parse(const char *s, enum remediation_mode *out);

/* The causes a restart can fix: the agent is gone, whatever took it away. */
bool policy_cause_restartable(enum cause c);

/*
 * A diagnosis arrived. core: its subject is a core process (AliYunDun,
 * AliYunDunMonitor, AliYunDunUpdate) or the agent as a whole. A POL_RESTART
 * decision marks a restart pending; the caller reports its end with
 * policy_restart_done.
 */
struct policy_decision policy_on_diagnosis(struct policy_state *st, const struct policy_config *cfg,
					   enum cause cause, bool core, uint64_t now_ns);

/*
 * A restart ended (ok: verified running). A refused or failed restart that
 * cannot get better by retrying (unsafe binary, EPERM) sets fatal: escalate
 * at once. Returns POL_ESCALATE when the caller must report remediation_failed,
 * POL_RESTART (marked pending) to try again after the backoff when it failed
 * and budget is left, else POL_NONE.
 */
struct policy_decision policy_restart_done(struct policy_state *st, const struct policy_config *cfg,
					   bool ok, bool fatal, uint64_t now_ns);

/* A scheduled restart was not needed (the agent came back by itself): it
 * costs no budget. */
void policy_restart_cancel(struct policy_state *st);

/* Restarts counted in the window at now_ns. */
unsigned policy_restarts_in_window(struct policy_state *st, const struct policy_config *cfg,
				   uint64_t now_ns);

#endif
