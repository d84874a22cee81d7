// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Metrics file: rewritten whole and renamed into place, so a scraper never
 * reads half a file; the temporary file is safefile's (no name to plant). */
#include "sink_metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ev.h"
#include "loader.h"
#include "safefile.h"

struct out {
	char *buf;
	size_t len, o;
	int full;
};

static void put(struct out *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->o, w->len - w->o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= w->len - w->o)
		w->full = 1;
	else
		w->o += (size_t)n;
}

/* A label value as the text format wants it: backslash, double quote and
 * line feed escaped (the rest is taken as is; ours are short ASCII). */
static void put_label_value(struct out *w, const char *v)
{
	for (; v && *v && !w->full; v++) {
		if (*v == '\\')
			put(w, "\\\\");
		else if (*v == '"')
			put(w, "\\\"");
		else if (*v == '\n')
			put(w, "\\n");
		else
			put(w, "%c", *v);
	}
}

void metrics_bpf_features(char *buf, size_t len, const struct loader_plan *p, int connect_hook,
			  int net_loaded)
{
	const char *connect = connect_hook == LOADER_CONNECT_CGROUP  ? "connect_cgroup"
			      : connect_hook == LOADER_CONNECT_FEXIT ? "connect_fexit"
								     : "connect_syscall_tp";
	const char *sk_error = p->no_sk_error	   ? "no_sk_error"
			       : p->sk_error_fentry ? "sk_error_fentry"
						    : "sk_error_tp";

	if (!len)
		return;
	if (net_loaded)
		snprintf(buf, len, "%s,%s,%s,%s,%s,%s", p->perfbuf ? "perfbuf" : "ringbuf",
			 p->classic_tp ? "classic_tp" : "raw_tp", connect,
			 p->drop_site ? "drop_site" : "drop_reason", sk_error,
			 p->host_scope ? "host_scope" : "agent_scope");
	else
		snprintf(buf, len, "%s,%s", p->perfbuf ? "perfbuf" : "ringbuf",
			 p->classic_tp ? "classic_tp" : "raw_tp");
}

/* What build runs, and how: a constant 1 to join on (group_left). */
static void put_build_info(struct out *w, const struct metrics *m)
{
	put(w, "# HELP aegismon_build_info The aegismon version, event ABI and probe variants in use.\n"
	       "# TYPE aegismon_build_info gauge\n"
	       "aegismon_build_info{version=\"");
	put_label_value(w, m->version ? m->version : "");
	put(w, "\",abi=\"%d\",bpf_features=\"", m->abi);
	put_label_value(w, m->bpf_features);
	put(w, "\"} 1\n");
}

/* 1 while a problem of that cause lasts (correlate_active.c), every cause. */
static void put_active(struct out *w, const struct metrics *m)
{
	put(w, "# HELP aegismon_diagnosis_active 1 while a diagnosed problem of this cause lasts (docs/metrics.md).\n"
	       "# TYPE aegismon_diagnosis_active gauge\n");
	for (int c = 0; c < CAUSE_COUNT; c++)
		put(w, "aegismon_diagnosis_active{cause=\"%s\",severity=\"%s\"} %d\n",
		    cause_code((enum cause)c), severity_name(cause_severity((enum cause)c)),
		    m->active[c] ? 1 : 0);
}

size_t metrics_format(char *buf, size_t len, const struct metrics *m)
{
	struct out w = { buf, len, 0, 0 };

	if (len == 0)
		return 0;
	put(&w, "# HELP aegismon_events_total Events from the kernel and the start scan, by type.\n"
		"# TYPE aegismon_events_total counter\n");
	for (unsigned t = 1; t < METRICS_EVENT_TYPES; t++)
		if (m->events[t] && t != AEGIS_EV_TICK && t != AEGIS_EV_SEED_DONE)
			put(&w, "aegismon_events_total{type=\"%s\"} %llu\n", ev_type_name(t),
			    (unsigned long long)m->events[t]);
	put(&w, "# HELP aegismon_diagnoses_total Diagnoses by cause, repeats included.\n"
		"# TYPE aegismon_diagnoses_total counter\n");
	for (int c = 0; c < CAUSE_COUNT; c++)
		put(&w, "aegismon_diagnoses_total{cause=\"%s\"} %llu\n", cause_code((enum cause)c),
		    (unsigned long long)m->diagnoses[c]);
	put(&w, "# HELP aegismon_events_lost_total Events lost in the kernel (ring buffer full).\n"
		"# TYPE aegismon_events_lost_total counter\n"
		"aegismon_events_lost_total %llu\n", (unsigned long long)m->events_lost);
	put(&w, "# HELP aegismon_probes Probes attached and failed to attach.\n"
		"# TYPE aegismon_probes gauge\n"
		"aegismon_probes{state=\"attached\"} %u\n"
		"aegismon_probes{state=\"failed\"} %u\n", m->probes_attached, m->probes_failed);
	if (m->net_scope_agent >= 0)
		put(&w, "# HELP aegismon_network_scope Where the network probes run: 1 for the current place.\n"
			"# TYPE aegismon_network_scope gauge\n"
			"aegismon_network_scope{where=\"agent_cgroups\"} %d\n"
			"aegismon_network_scope{where=\"host\"} %d\n",
			m->net_scope_agent, !m->net_scope_agent);
	put(&w, "# HELP aegismon_scheduler_probes_attached The scheduler probes run (the agent waits to run).\n"
		"# TYPE aegismon_scheduler_probes_attached gauge\n"
		"aegismon_scheduler_probes_attached %d\n", m->sched_attached);
	if (m->net_attached >= 0)
		put(&w, "# HELP aegismon_net_probes_attached The network probes on demand (TCP state, drops, ICMP errors) run.\n"
			"# TYPE aegismon_net_probes_attached gauge\n"
			"aegismon_net_probes_attached %d\n", m->net_attached);
	put(&w, "# HELP aegismon_agent_installed The agent's install was found under the agent root.\n"
		"# TYPE aegismon_agent_installed gauge\n"
		"aegismon_agent_installed %d\n", m->agent_installed);
	put(&w, "# HELP aegismon_agent_up Running instances of each installed core process.\n"
		"# TYPE aegismon_agent_up gauge\n");
	for (int c = 0; c < CORE_COUNT; c++)
		if (m->core_expected & (1u << c))
			put(&w, "aegismon_agent_up{process=\"%s\"} %u\n", agent_core_name(c),
			    m->core_running[c]);
	put(&w, "# HELP aegismon_agent_processes Running processes of each core name judged the agent, installed or not.\n"
		"# TYPE aegismon_agent_processes gauge\n");
	for (int c = 0; c < CORE_COUNT; c++)
		put(&w, "aegismon_agent_processes{name=\"%s\"} %u\n", agent_core_name(c),
		    m->core_running[c]);
	put_active(&w, m);
	put_build_info(&w, m);
	put(&w, "# HELP aegismon_last_update_timestamp_seconds When aegismon wrote this file (Unix time).\n"
		"# TYPE aegismon_last_update_timestamp_seconds gauge\n"
		"aegismon_last_update_timestamp_seconds %lld\n", (long long)m->written_s);
	put(&w, "# HELP aegismon_syslog_dropped_total Syslog messages lost (receiver down or slow).\n"
		"# TYPE aegismon_syslog_dropped_total counter\n"
		"aegismon_syslog_dropped_total %llu\n", (unsigned long long)m->syslog_dropped);
	put(&w, "# HELP aegismon_json_log_errors_total JSON log lines lost (disk full, I/O error).\n"
		"# TYPE aegismon_json_log_errors_total counter\n"
		"aegismon_json_log_errors_total %llu\n", (unsigned long long)m->json_log_errors);
	put(&w, "# HELP aegismon_dns_answers_unmatched_total DNS answers for watched names that answer no query seen leaving (ignored).\n"
		"# TYPE aegismon_dns_answers_unmatched_total counter\n"
		"aegismon_dns_answers_unmatched_total %llu\n"
		"# HELP aegismon_dns_queries_evicted_total Watched DNS queries pushed out of the full pending table.\n"
		"# TYPE aegismon_dns_queries_evicted_total counter\n"
		"aegismon_dns_queries_evicted_total %llu\n"
		"# HELP aegismon_learned_endpoints Endpoint addresses learned from DNS answers, now.\n"
		"# TYPE aegismon_learned_endpoints gauge\n"
		"aegismon_learned_endpoints %llu\n"
		"# HELP aegismon_learned_endpoints_expired_total Learned endpoint addresses whose TTL ran out.\n"
		"# TYPE aegismon_learned_endpoints_expired_total counter\n"
		"aegismon_learned_endpoints_expired_total %llu\n"
		"# HELP aegismon_learned_endpoints_full_total Addresses not learned: the learned set was full.\n"
		"# TYPE aegismon_learned_endpoints_full_total counter\n"
		"aegismon_learned_endpoints_full_total %llu\n"
		"# HELP aegismon_dns_queries_elsewhere_total Watched DNS queries from network namespaces the agent does not live in (ignored).\n"
		"# TYPE aegismon_dns_queries_elsewhere_total counter\n"
		"aegismon_dns_queries_elsewhere_total %llu\n"
		"# HELP aegismon_drops_elsewhere_total Netfilter drops of watched packets on a device in another network namespace than their socket's (not diagnosed as local).\n"
		"# TYPE aegismon_drops_elsewhere_total counter\n"
		"aegismon_drops_elsewhere_total %llu\n",
	    (unsigned long long)m->dns.answers_unmatched, (unsigned long long)m->dns.queries_evicted,
	    (unsigned long long)m->dns.learned, (unsigned long long)m->dns.learned_expired,
	    (unsigned long long)m->dns.learned_full, (unsigned long long)m->dns.queries_elsewhere,
	    (unsigned long long)m->drops_elsewhere);
	return w.full ? 0 : w.o;
}

int metrics_write(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	/* 0644: node_exporter's textfile collector runs unprivileged */
	return safefile_replace(path, text, len, 0644, 0, err, errlen);
}
