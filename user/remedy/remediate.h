/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Remediation in the daemon: the policy applied to each diagnosis, restarts
 * and hooks run in child processes that the event loop watches (never
 * blocks), timeouts, and the escalation to remediation_failed. Every action
 * and outcome goes to the action callback.
 */
#ifndef AEGISMON_REMEDIATE_H
#define AEGISMON_REMEDIATE_H

#include <stdint.h>

#include "action.h"
#include "agent.h"
#include "diagnosis.h"
#include "policy.h"
#include "timefmt.h"

struct remediate_config {
	struct policy_config policy;
	const char *hook;              /* executable, or NULL */
	uint64_t hook_timeout_ns;
	unsigned restart_timeout_ms;   /* per step of a restart */
	const struct agent_env *env;
	const char *sysroot;           /* "" for the host */
	const struct clockmap *clock;  /* for the JSON given to the hook */
};

typedef void (*remediate_action_fn)(void *ctx, const struct action *a);
/* A diagnosis made by the remediator itself (remediation_failed). */
typedef void (*remediate_diag_fn)(void *ctx, const struct diagnosis *d);

struct remediator;

struct remediator *remediator_new(const struct remediate_config *cfg, remediate_action_fn act,
				  remediate_diag_fn diag, void *ctx);
void remediator_free(struct remediator *r);
/* New settings (a config reload); cfg's strings must outlive the next call. */
void remediator_reconfigure(struct remediator *r, const struct remediate_config *cfg);
/* Its own epoll fd: readable when a child or its output needs attention. */
int remediator_fd(const struct remediator *r);
/* A diagnosis from the correlator; now_ns is CLOCK_MONOTONIC. */
void remediator_on_diagnosis(struct remediator *r, const struct diagnosis *d, uint64_t now_ns);
/* remediator_fd is readable. */
void remediator_dispatch(struct remediator *r, uint64_t now_ns);
/* Timer tick: scheduled restarts, the hook's deadline. */
void remediator_tick(struct remediator *r, uint64_t now_ns);

#endif
