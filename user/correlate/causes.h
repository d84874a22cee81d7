/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The stable cause codes (docs/causes.md), their severity and advice. */
#ifndef AEGISMON_CAUSES_H
#define AEGISMON_CAUSES_H

enum severity { SEV_INFO, SEV_WARNING, SEV_CRITICAL };

enum cause {
	CAUSE_AGENT_NOT_RUNNING,
	CAUSE_AGENT_CRASHED,
	CAUSE_AGENT_KILLED,
	CAUSE_AGENT_OOM_KILLED,
	CAUSE_AGENT_EXITED,
	CAUSE_AGENT_FLAPPING,
	CAUSE_AGENT_IMPOSTOR,
	CAUSE_CONNECT_BLOCKED_LOCAL,
	CAUSE_CONNECT_BLOCKED_POLICY,
	CAUSE_CONNECT_TIMEOUT,
	CAUSE_CONNECT_REFUSED,
	CAUSE_CONNECT_UNREACHABLE,
	CAUSE_CONNECTION_RESET,
	CAUSE_CONNECTION_STALLED,
	CAUSE_PATH_MTU_BLACKHOLE,
	CAUSE_ENDPOINT_SINKHOLED,
	CAUSE_AGENT_ONLINE,
	CAUSE_DNS_NXDOMAIN,
	CAUSE_DNS_SERVFAIL,
	CAUSE_DNS_REFUSED,
	CAUSE_DNS_TIMEOUT,
	CAUSE_DNS_UNREACHABLE,
	CAUSE_DNS_BLOCKED_LOCAL,
	CAUSE_THIRD_PARTY_SECURITY,
	CAUSE_REMEDIATION_FAILED, /* aegismon's own restarts did not help */
	CAUSE_CPU_SATURATED,
	CAUSE_MEMORY_EXHAUSTED,
	CAUSE_AGENT_STARVED,
	CAUSE_COUNT
};

const char *cause_code(enum cause c);
/* Repeats delivered at once per dedup window before the rest is aggregated:
 * each death matters, a retry storm does not. */
unsigned cause_burst(enum cause c);
enum severity cause_severity(enum cause c);
const char *cause_advice(enum cause c);
/* The advice for a host without the agent: trace's agent_not_running and
 * check's agent_installed say the same. */
const char *advice_not_installed(void);
struct diagnosis;
/* The advice of this diagnosis: its cause's, or the situation's own. */
const char *diagnosis_advice(const struct diagnosis *d);
const char *severity_name(enum severity s);

#endif
