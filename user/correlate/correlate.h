/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The correlator: events in, diagnoses out. Pure C, no BPF, no clock: time is
 * the events' own, so live, unit tests and replay run the same logic.
 */
#ifndef AEGISMON_CORRELATE_H
#define AEGISMON_CORRELATE_H

#include <stdint.h>

#include "agent.h"
#include "diagnosis.h"
#include "endpoints.h"
#include "ev.h"
#include "verdict.h"

struct correlator_config {
	const struct agent_env *env;  /* roots and install, for identity */
	const struct endpoint_set *endpoints; /* NULL: the defaults */
	uint64_t grace_ns;            /* exit without restart -> agent_not_running */
	uint64_t flap_window_ns;      /* restarts counted within this window */
	unsigned flap_count;          /* this many restarts -> agent_flapping */
	uint64_t dedup_ns;            /* rate window for repeats of a diagnosis */
	uint64_t net_window_ns;       /* a drop explains failures to the same peer this long */
	const struct domain_set *domains; /* watched DNS suffixes; NULL: the defaults */
	uint64_t dns_timeout_ns;      /* a watched query unanswered this long */
	/* An Aegis name resolved to addr: the kernel endpoint set should learn it. */
	void (*learn)(void *ctx, int family, const uint8_t *addr, uint32_t ttl, const char *qname);
	void *learn_ctx;
	/* A learned address's TTL ran out (struct learned_set): the kernel
	 * endpoint set should forget it. */
	void (*forget)(void *ctx, int family, const uint8_t *addr);
	void *forget_ctx;
	uint64_t oom_wait_ns;         /* how long a kernel SIGKILL waits for its OOM event */
	/* resources (AEGIS_EV_RESOURCES samples): a condition held this long */
	uint64_t res_window_ns;
	uint32_t cpu_busy_pm;         /* host CPU busy >= this (permille) -> cpu_saturated */
	uint32_t mem_used_pm;         /* (MemTotal - MemAvailable) / MemTotal >= this ... */
	int32_t mem_psi_full;         /* ... or PSI memory full avg10 >= this (x100; 0: off) */
	uint64_t starve_us;           /* p90 run-queue wait of agent threads >= this */
};

void correlator_config_defaults(struct correlator_config *cfg);

typedef void (*diag_fn)(const struct diagnosis *d, void *ctx);

/* What DNS answers were not believed, and the learned endpoint set
 * (correlate_dns.c): in the metrics and the summary. */
struct dns_trust_stats {
	uint64_t answers_unmatched; /* answers no query we saw leave asked for: ignored */
	uint64_t queries_evicted;   /* watched queries pushed out of the full pending table */
	uint64_t learned;           /* learned endpoint addresses now (a gauge) */
	uint64_t learned_expired;   /* learned addresses whose TTL ran out */
	uint64_t learned_full;      /* addresses not learned: the set was full */
	uint64_t queries_elsewhere; /* queries from namespaces the agent does not live in: ignored */
};

struct correlator_stats {
	uint64_t events;
	uint64_t diagnoses;                  /* emitted */
	uint64_t occurrences[CAUSE_COUNT];   /* including aggregated repeats */
	uint64_t events_lost;
	uint64_t table_full;                 /* processes not tracked: table full */
	struct dns_trust_stats dns;
	uint64_t drops_elsewhere;            /* netfilter drops of the agent's packets in another
					      * namespace than its socket's: not this host's */
	enum severity worst;
	bool any;                            /* any diagnosis at all */
	const struct verdict_set *verdicts;  /* what verdict_of weighs: every delivered diagnosis */
};

struct correlator;

struct correlator *correlator_new(const struct correlator_config *cfg, diag_fn fn, void *ctx);
void correlator_free(struct correlator *c);
/* New thresholds and sets (a config reload); what was seen so far stays. */
void correlator_reconfigure(struct correlator *c, const struct correlator_config *cfg);
void correlator_feed(struct correlator *c, const struct ev *e);
/* The drop probes (netfilter drops, ICMP errors) run from ns on, attached on
 * demand at the agent's first network activity: a lookup sent before then
 * that gets no answer is not called a timeout, because what made it fail
 * (an ICMP error, a drop) could not be seen. 0: they always ran. */
void correlator_set_probes_since(struct correlator *c, uint64_t ns);
/* End of session: emit aggregated repeats still held back. */
void correlator_flush(struct correlator *c, uint64_t now_ns);
const struct correlator_stats *correlator_stats(const struct correlator *c);
/* How many instances of a core process (enum agent_core) run now. */
unsigned correlator_core_running(const struct correlator *c, int core);
/* Which causes name a problem that lasts now (1) or not (0), by the events'
 * time: what ends each is in correlate_active.c and docs/metrics.md. */
void correlator_active(const struct correlator *c, uint8_t active[CAUSE_COUNT]);
/* A diagnosis made outside the correlator (remediation_failed, a suspected
 * third_party_security): its problem lasts like the correlator's own. */
void correlator_note_diagnosis(struct correlator *c, const struct diagnosis *d);

#endif
