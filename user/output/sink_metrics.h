/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Prometheus text format for node_exporter's textfile collector. */
#ifndef AEGISMON_SINK_METRICS_H
#define AEGISMON_SINK_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "causes.h"
#include "correlate.h"

#define METRICS_EVENT_TYPES 80

struct loader_plan;

struct metrics {
	uint64_t events[METRICS_EVENT_TYPES]; /* by enum aegis_event_type */
	uint64_t diagnoses[CAUSE_COUNT];      /* occurrences, repeats included */
	uint64_t events_lost;
	unsigned probes_attached, probes_failed;
	/* where the network probes run: the agent's cgroups only, or every
	 * socket of the host (the root: no agent cgroup known, an agent in the
	 * root cgroup, or --net-scope host); -1: no network probes */
	int net_scope_agent;
	int sched_attached;                   /* the scheduler probes, attached now: 1/0 */
	int net_attached;                     /* the network probes on demand, attached now: 1/0; -1: none */
	int agent_installed;                  /* 1/0 */
	unsigned core_running[CORE_COUNT];
	unsigned core_expected;               /* mask of installed core binaries */
	uint64_t syslog_dropped;
	uint64_t json_log_errors;             /* JSON log lines lost */
	struct dns_trust_stats dns;           /* answers not believed, learned endpoints */
	uint64_t drops_elsewhere;             /* see correlator_stats */
	uint8_t active[CAUSE_COUNT];          /* correlator_active: the problem lasts, 1/0 */
	/* aegismon_build_info: label values, escaped when written */
	const char *version;
	int abi;
	char bpf_features[128];               /* metrics_bpf_features */
	int64_t written_s;                    /* the wall-clock time of this write (seconds) */
};

/* The probe variants in use as short comma-separated words, for
 * aegismon_build_info's bpf_features label: output, lifecycle tracepoints,
 * connect hook (connect_hook: enum loader_connect_hook), drop reporting,
 * socket errors, network scope. */
void metrics_bpf_features(char *buf, size_t len, const struct loader_plan *p, int connect_hook,
			  int net_loaded);
/* Render into buf; returns the length, or 0 if it did not fit. Pure. */
size_t metrics_format(char *buf, size_t len, const struct metrics *m);
/* Write atomically (safefile_replace: a new file in the same directory,
 * then renamed over path), mode 0644 so an unprivileged collector reads it.
 * 0, or -errno with the reason in err. */
int metrics_write(const char *path, const char *text, size_t len, char *err, size_t errlen);

#endif
