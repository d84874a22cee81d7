// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Remediation policy: restart budget per window, exponential backoff, escalation. */
#include "policy.h"

#include <string.h>

void policy_config_defaults(struct policy_config *cfg)
{
	cfg->mode = REM_ADVISE;
	cfg->restart_max = 3;
	cfg->window_ns = 3600ULL * 1000000000ULL;
	cfg->delay_ns = 10ULL * 1000000000ULL;
}

void policy_init(struct policy_state *st)
{
	memset(st, 0, sizeof(*st));
}

const char *remediation_mode_name(enum remediation_mode m)
{
	switch (m) {
	case REM_OFF: return "off";
	case REM_RESTART: return "restart";
	default: return "advise";
	}
}

int remediation_mode_parse(const char *s, enum remediation_mode *out)
{
	if (!strcmp(s, "off"))
		*out = REM_OFF;
	else if (!strcmp(s, "advise"))
		*out = REM_ADVISE;
	else if (!strcmp(s, "restart"))
		*out = REM_RESTART;
	else
		return -1;
	return 0;
}

bool policy_cause_restartable(enum cause c)
{
	switch (c) {
	case CAUSE_AGENT_NOT_RUNNING:
	case CAUSE_AGENT_CRASHED:
	case CAUSE_AGENT_KILLED:
	case CAUSE_AGENT_OOM_KILLED:
	case CAUSE_AGENT_EXITED:
	case CAUSE_AGENT_FLAPPING:
		return true;
	default:
		/* network and DNS causes: a new process meets the same wall */
		return false;
	}
}

/* Forget restarts older than the window. */
static void prune(struct policy_state *st, const struct policy_config *cfg, uint64_t now_ns)
{
	unsigned k = 0;

	for (unsigned i = 0; i < st->nrestarts; i++)
		if (now_ns < st->restarts[i] || now_ns - st->restarts[i] < cfg->window_ns)
			st->restarts[k++] = st->restarts[i];
	st->nrestarts = k;
}

unsigned policy_restarts_in_window(struct policy_state *st, const struct policy_config *cfg,
				   uint64_t now_ns)
{
	prune(st, cfg, now_ns);
	return st->nrestarts;
}

static struct policy_decision decide(enum policy_action a, const char *reason)
{
	struct policy_decision d = { .action = a, .reason = reason };

	return d;
}

/* Budget left: schedule with backoff (delay doubled per restart in the window). */
static struct policy_decision schedule(struct policy_state *st, const struct policy_config *cfg,
				       uint64_t now_ns, const char *reason)
{
	unsigned n = policy_restarts_in_window(st, cfg, now_ns);
	struct policy_decision d;
	uint64_t delay = cfg->delay_ns;

	if (n >= cfg->restart_max || n >= POLICY_MAX_RESTARTS) {
		st->escalated = true;
		st->escalated_ns = now_ns;
		return decide(POL_ESCALATE, "restart budget spent: the agent is still down after "
					    "the restarts allowed in the window");
	}
	for (unsigned i = 0; i < n && delay < cfg->window_ns; i++)
		delay *= 2;
	if (delay > cfg->window_ns)
		delay = cfg->window_ns;
	st->pending = true;
	d = decide(POL_RESTART, reason);
	d.delay_ns = delay;
	d.at_ns = now_ns + delay;
	return d;
}

struct policy_decision policy_on_diagnosis(struct policy_state *st, const struct policy_config *cfg,
					   enum cause cause, bool core, uint64_t now_ns)
{
	if (cfg->mode == REM_OFF)
		return decide(POL_NONE, "remediation is off");
	if (cause == CAUSE_REMEDIATION_FAILED || cause_severity(cause) == SEV_INFO)
		return decide(POL_NONE, "nothing to remedy");
	if (!policy_cause_restartable(cause))
		return decide(POL_ADVISE, "a restart does not fix this cause; fix what the advice names");
	if (!core)
		return decide(POL_ADVISE, "not a core process of the agent: no restart");
	if (cfg->mode == REM_ADVISE)
		return decide(POL_ADVISE, "advise mode: restart the agent ('aegismon restart')");
	if (st->pending)
		return decide(POL_NONE, "a restart is already scheduled or running");
	if (st->escalated) {
		if (now_ns - st->escalated_ns < cfg->window_ns)
			return decide(POL_ADVISE, "automatic restarts stopped after remediation_failed; "
						  "fix the cause, then 'aegismon restart'");
		st->escalated = false; /* a new window, a new budget */
	}
	return schedule(st, cfg, now_ns, "the agent is down and a restart can bring it back");
}

void policy_restart_cancel(struct policy_state *st)
{
	st->pending = false;
}

struct policy_decision policy_restart_done(struct policy_state *st, const struct policy_config *cfg,
					   bool ok, bool fatal, uint64_t now_ns)
{
	st->pending = false;
	prune(st, cfg, now_ns);
	if (st->nrestarts < POLICY_MAX_RESTARTS)
		st->restarts[st->nrestarts++] = now_ns;
	if (ok)
		return decide(POL_NONE, "restarted");
	if (fatal) {
		st->escalated = true;
		st->escalated_ns = now_ns;
		return decide(POL_ESCALATE, "the restart was refused; retrying cannot help");
	}
	return schedule(st, cfg, now_ns, "the last restart failed: trying again after the backoff");
}
