// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* JSON lines: the contract is docs/schema/aegismon.schema.json ("kind", "schema", "host", "ts", ...). */
#include "sink.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include "dns.h"
#include "endpoints.h"
#include "refusal.h"
#include "resources.h"
#include "signals.h"

#define LINE_MAX_BYTES 32768

static char line_host[64];

void json_set_host(const char *host)
{
	snprintf(line_host, sizeof(line_host), "%s", host);
}

void json_line_begin(struct jw *w, const char *kind)
{
	if (!line_host[0] && gethostname(line_host, sizeof(line_host) - 1))
		snprintf(line_host, sizeof(line_host), "?");
	line_host[sizeof(line_host) - 1] = '\0';
	jw_obj_begin(w);
	jw_kstr(w, "kind", kind);
	jw_kint(w, "schema", JSON_SCHEMA_VERSION);
	jw_kstr(w, "host", line_host);
}

static void put_ts(struct jw *w, const char *key, const struct clockmap *cm, uint64_t ns)
{
	char ts[RFC3339_LEN];

	fmt_rfc3339(cm, ns, ts, sizeof(ts));
	jw_kstr(w, key, ts);
}

static void put_signal(struct jw *w, int sig)
{
	char buf[16];

	jw_kstr(w, "signal", signal_name(sig, buf, sizeof(buf)));
	jw_kint(w, "signo", sig);
}

/* argv is NUL-separated: show it with spaces, escaped by the writer */
static void put_args(struct jw *w, const char *key, const char *args, unsigned len)
{
	char buf[AEGIS_ARGS_LEN + 1];

	if (len > AEGIS_ARGS_LEN)
		len = AEGIS_ARGS_LEN;
	memcpy(buf, args, len);
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	for (unsigned i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[len] = '\0';
	jw_kstr(w, key, buf);
}

static void put_addr(struct jw *w, const char *key, unsigned family, const __u8 *addr)
{
	char buf[64];

	jw_kstr(w, key, addr_str(family == 10 ? AF_INET6 : AF_INET, addr, buf, sizeof(buf)));
}

static const char *proto_name(unsigned proto)
{
	return proto == 6 ? "tcp" : proto == 17 ? "udp" : proto == 0 ? "unknown" : "other";
}

static void put_tuple(struct jw *w, const struct aegis_tuple *t, bool with_source)
{
	if (with_source) {
		put_addr(w, "saddr", t->family, t->saddr);
		jw_kuint(w, "sport", t->sport);
	}
	put_addr(w, "daddr", t->family, t->daddr);
	jw_kuint(w, "dport", t->dport);
	jw_kstr(w, "proto", proto_name(t->proto));
}

/* What refused a connect, as seen on the host (refusal.h): the mechanism and
 * only the fields it has. */
static void put_policy(struct jw *w, const struct diag_policy *p)
{
	jw_key(w, "policy");
	jw_obj_begin(w);
	jw_kstr(w, "mechanism", refusal_mechanism_name(p->mechanism));
	if (p->gone)
		jw_kbool(w, "process_exited", true);
	switch (p->mechanism) {
	case POLICY_CGROUP_BPF:
		jw_kuint(w, "prog_id", p->prog_id);
		jw_kstrn(w, "prog_name", p->prog_name, sizeof(p->prog_name));
		if (p->cgroup[0])
			jw_kpath(w, "cgroup", p->cgroup, sizeof(p->cgroup));
		break;
	case POLICY_SECCOMP:
		if (p->seccomp_filters >= 0)
			jw_kint(w, "filters", p->seccomp_filters);
		break;
	case POLICY_LSM:
		jw_kstrn(w, "lsm", p->lsm, sizeof(p->lsm));
		jw_kstrn(w, "label", p->label, sizeof(p->label));
		break;
	default:
		break;
	}
	if (p->lsms[0])
		jw_kstrn(w, "lsms", p->lsms, sizeof(p->lsms));
	jw_obj_end(w);
}

static void put_errno(struct jw *w, const char *key, int err)
{
	char buf[16];

	jw_kstr(w, key, errno_name(err, buf, sizeof(buf)));
}

/* A fixed-point figure: v / div with as many decimals as div has zeros. */
static void put_fixed(struct jw *w, const char *key, int64_t v, unsigned div)
{
	char buf[32];

	if (v < 0) {
		jw_key(w, key);
		jw_null(w);
		return;
	}
	if (div == 10)
		snprintf(buf, sizeof(buf), "%lld.%lld", (long long)(v / 10), (long long)(v % 10));
	else
		snprintf(buf, sizeof(buf), "%lld.%02lld", (long long)(v / 100), (long long)(v % 100));
	jw_key(w, key);
	jw_raw(w, buf);
}

static void put_res_procs(struct jw *w, const char *key, const struct aegis_res_proc *p)
{
	jw_key(w, key);
	jw_arr_begin(w);
	for (int i = 0; i < AEGIS_RES_TOP && p[i].pid; i++) {
		jw_obj_begin(w);
		jw_kuint(w, "pid", p[i].pid);
		jw_kstrn(w, "comm", p[i].comm, sizeof(p[i].comm));
		put_fixed(w, "cpu_pct", p[i].cpu_pm, 10);
		jw_kuint(w, "rss_kib", p[i].rss_kib);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

/* The resources sample: host figures, the agent's share, run-queue waits. */
static void put_resources(struct jw *w, const struct aegis_resources *r)
{
	uint64_t n = res_rq_count(r->rq_hist);

	jw_kuint(w, "interval_ms", r->interval_ms);
	jw_kuint(w, "ncpu", r->ncpu);
	put_fixed(w, "cpu_busy_pct", r->cpu_busy_pm, 10);
	put_fixed(w, "load1", r->load1_centi, 100);
	jw_kuint(w, "mem_total_kib", r->mem_total_kib);
	jw_kuint(w, "mem_available_kib", r->mem_avail_kib);
	put_fixed(w, "mem_used_pct", res_mem_used_pm(r->mem_total_kib, r->mem_avail_kib), 10);
	put_fixed(w, "psi_cpu_some_avg10", r->psi_cpu_some, 100);
	put_fixed(w, "psi_memory_some_avg10", r->psi_mem_some, 100);
	put_fixed(w, "psi_memory_full_avg10", r->psi_mem_full, 100);
	jw_kuint(w, "agent_processes", r->agent_procs);
	put_fixed(w, "agent_cpu_pct", r->agent_cpu_pm, 10);
	jw_kuint(w, "agent_rss_kib", r->agent_rss_kib);
	if (r->flags & AEGIS_RES_HIST) {
		jw_key(w, "runq");
		jw_obj_begin(w);
		jw_kuint(w, "count", n);
		jw_kuint(w, "mean_us", n ? r->rq_sum_ns / n / 1000 : 0);
		jw_kuint(w, "p50_us", res_rq_percentile_us(r->rq_hist, 50));
		jw_kuint(w, "p90_us", res_rq_percentile_us(r->rq_hist, 90));
		jw_kuint(w, "p99_us", res_rq_percentile_us(r->rq_hist, 99));
		jw_kuint(w, "max_us", res_rq_percentile_us(r->rq_hist, 100));
		/* counted in the kernel against the threshold itself */
		if (r->flags & AEGIS_RES_OVER) {
			jw_kuint(w, "threshold_us", r->rq_threshold_us);
			jw_kuint(w, "at_or_over_threshold", r->rq_over);
		}
		/* log2 slots: [2^k, 2^(k+1)) us, trailing empty slots left out */
		jw_key(w, "hist_log2_us");
		jw_arr_begin(w);
		{
			int last = AEGIS_RQ_SLOTS - 1;

			while (last >= 0 && !r->rq_hist[last])
				last--;
			for (int k = 0; k <= last; k++)
				jw_uint(w, r->rq_hist[k]);
		}
		jw_arr_end(w);
		jw_obj_end(w);
	}
	if (r->flags & AEGIS_RES_TOP_CPU)
		put_res_procs(w, "top_cpu", r->top_cpu);
	if (r->flags & AEGIS_RES_TOP_RSS)
		put_res_procs(w, "top_rss", r->top_rss);
}

void json_event_fields(struct jw *w, const struct clockmap *cm, const struct ev *e)
{
	const struct aegis_hdr *h = &e->hdr;

	put_ts(w, "ts", cm, h->ts_ns);
	jw_kstr(w, "type", ev_type_name(h->type));
	if (h->type == AEGIS_EV_RESOURCES) { /* about the host: no subject process */
		put_resources(w, &e->resources);
		return;
	}
	jw_kuint(w, "pid", h->tgid);
	if (h->pid != h->tgid)
		jw_kuint(w, "tid", h->pid);
	if (h->type != AEGIS_EV_OOM_VICTIM) {
		jw_kuint(w, "ppid", h->ppid);
		jw_kuint(w, "uid", h->uid);
	}
	if (h->comm[0])
		jw_kstrn(w, "comm", h->comm, sizeof(h->comm));
	if (e->exe[0])
		jw_kpath(w, "exe", e->exe, sizeof(e->exe));

	switch (h->type) {
	case AEGIS_EV_EXEC:
		jw_kpath(w, "filename", e->exec.filename, sizeof(e->exec.filename));
		jw_kstrn(w, "parent_comm", e->exec.parent_comm, sizeof(e->exec.parent_comm));
		break;
	case AEGIS_EV_FORK:
		jw_kstrn(w, "parent_comm", e->fork.parent_comm, sizeof(e->fork.parent_comm));
		break;
	case AEGIS_EV_EXIT: {
		unsigned code = e->exit.exit_code;

		if (code & 0x7f) {
			put_signal(w, (int)(code & 0x7f));
			jw_kbool(w, "core_dumped", code & 0x80);
		} else {
			jw_kint(w, "exit_code", (code >> 8) & 0xff);
		}
		if (e->exit.start_ns && h->ts_ns > e->exit.start_ns)
			jw_kuint(w, "uptime_ms", (h->ts_ns - e->exit.start_ns) / 1000000);
		break;
	}
	case AEGIS_EV_SIGNAL: {
		const struct aegis_signal *s = &e->signal;

		put_signal(w, s->sig);
		jw_kint(w, "si_code", s->si_code);
		jw_kstr(w, "result", signal_result_name(s->result));
		jw_kuint(w, "sender_pid", s->sender_tgid);
		jw_kstrn(w, "sender_comm", s->sender_comm, sizeof(s->sender_comm));
		jw_kuint(w, "sender_uid", s->sender_uid);
		if (e->sender_exe[0])
			jw_kpath(w, "sender_exe", e->sender_exe, sizeof(e->sender_exe));
		if (s->sender_args_len)
			put_args(w, "sender_args", s->sender_args, s->sender_args_len);
		jw_key(w, "sender_chain");
		jw_arr_begin(w);
		for (unsigned i = 0; i < s->chain_len && i < AEGIS_CHAIN_LEN; i++) {
			jw_obj_begin(w);
			jw_kuint(w, "pid", s->chain[i].pid);
			jw_kstrn(w, "comm", s->chain[i].comm, sizeof(s->chain[i].comm));
			jw_obj_end(w);
		}
		jw_arr_end(w);
		break;
	}
	case AEGIS_EV_OOM_VICTIM:
		jw_kbool(w, "tracked", e->oom.flags & AEGIS_OOM_TRACKED);
		break;
	case AEGIS_EV_CONNECT: {
		const struct aegis_connect *c = &e->connect;

		/* refused before the kernel read the address (seccomp, an LSM) */
		if ((c->flags & AEGIS_NET_UNHOOKED) && !c->tuple.family)
			jw_kbool(w, "address_known", false);
		else
			put_tuple(w, &c->tuple, false);
		/* refused before the connect probes: seccomp or an LSM */
		if (c->flags & AEGIS_NET_UNHOOKED)
			jw_kbool(w, "before_hook", true);
		put_errno(w, "errno", errno_of_ret(c->ret));
		jw_kuint(w, "duration_us", c->duration_ns / 1000);
		jw_kbool(w, "endpoint", c->flags & AEGIS_NET_ENDPOINT);
		jw_kuint(w, "netns", c->netns);
		/* begun before sockops came (on demand): its TCP fate may not follow */
		if (c->flags & AEGIS_NET_UNARMED)
			jw_kbool(w, "probes_late", true);
		break;
	}
	case AEGIS_EV_TCP_STATE: {
		const struct aegis_tcp *t = &e->tcp;

		put_tuple(w, &t->tuple, true);
		jw_kstr(w, "oldstate", tcp_state_name(t->oldstate));
		jw_kstr(w, "newstate", tcp_state_name(t->newstate));
		if (t->sk_err || t->sk_err_soft)
			put_errno(w, "errno", t->sk_err ? t->sk_err : t->sk_err_soft);
		jw_kuint(w, "syn_retries", t->syn_retries);
		jw_kbool(w, "rst", t->flags & AEGIS_NET_RST);
		jw_kbool(w, "endpoint", t->flags & AEGIS_NET_ENDPOINT);
		jw_kuint(w, "netns", t->netns);
		if (t->flags & AEGIS_NET_UNARMED)
			jw_kbool(w, "probes_late", true);
		break;
	}
	case AEGIS_EV_TCP_RETRANS: {
		const struct aegis_tcp_retrans *t = &e->retrans;

		put_tuple(w, &t->tuple, true);
		jw_kuint(w, "retransmissions", t->retrans);
		jw_kuint(w, "unacked_ms", h->ts_ns > t->since_ns ? (h->ts_ns - t->since_ns) / 1000000 : 0);
		jw_kuint(w, "segment_bytes", t->seg_len);
		/* sockops has no skb: the size is bounded by the MSS and what is unacknowledged */
		if (t->flags & AEGIS_NET_SEG_ESTIMATED)
			jw_kbool(w, "segment_bytes_estimated", true);
		jw_kuint(w, "largest_segment_bytes", t->max_seg_len);
		jw_kuint(w, "smallest_segment_bytes", t->min_seg_len);
		jw_kuint(w, "mss", t->mss);
		jw_kuint(w, "pmtu", t->pmtu);
		jw_kuint(w, "in_flight_bytes", t->in_flight);
		jw_kuint(w, "bytes_acked", t->bytes_acked);
		jw_kuint(w, "bytes_received", t->bytes_received);
		jw_kbool(w, "endpoint", t->flags & AEGIS_NET_ENDPOINT);
		jw_kuint(w, "netns", t->netns);
		break;
	}
	case AEGIS_EV_DNS: {
		const struct aegis_dns *d = &e->dns;
		struct dns_msg m;
		char tb[16];

		put_tuple(w, &d->tuple, true);
		jw_kstr(w, "direction", d->flags & AEGIS_NET_INGRESS ? "ingress" : "egress");
		if (dns_parse(d->data, d->len < AEGIS_DNS_PAYLOAD ? d->len : AEGIS_DNS_PAYLOAD, &m) == 0) {
			jw_kuint(w, "id", m.id);
			jw_kbool(w, "response", m.qr);
			jw_kstr(w, "qname", m.qname);
			jw_kstr(w, "qtype", dns_type_name(m.qtype, tb, sizeof(tb)));
			if (m.qr) {
				jw_kstr(w, "rcode", dns_rcode_name(m.rcode));
				jw_kbool(w, "tc", m.tc);
				jw_key(w, "answers");
				jw_arr_begin(w);
				for (unsigned i = 0; i < m.nanswers; i++) {
					char a[64];

					if (m.answers[i].family)
						jw_str(w, addr_str(m.answers[i].family, m.answers[i].addr, a, sizeof(a)));
					else
						jw_str(w, m.answers[i].target);
				}
				jw_arr_end(w);
			}
		} else {
			jw_kbool(w, "malformed", true);
		}
		break;
	}
	case AEGIS_EV_SOCK_ERROR:
		put_tuple(w, &e->sockerr.tuple, true);
		put_errno(w, "errno", e->sockerr.err);
		jw_kuint(w, "netns", e->sockerr.netns);
		break;
	case AEGIS_EV_NF_DROP: {
		const struct aegis_drop *d = &e->drop;
		char loc[24];

		put_tuple(w, &d->tuple, true);
		jw_kstr(w, "direction", d->flags & AEGIS_NET_INGRESS ? "ingress" : "egress");
		jw_kstr(w, "hook", d->flags & AEGIS_NET_INGRESS ? "INPUT" : "OUTPUT");
		/* on the far end of a veth: another namespace than its socket's */
		if (d->flags & AEGIS_NET_ELSEWHERE)
			jw_kbool(w, "other_netns", true);
		jw_kstr(w, "reason", "NETFILTER_DROP");
		/* no reason on this kernel: told by the function that freed it */
		if (d->flags & AEGIS_NET_BY_SITE)
			jw_kstr(w, "reason_from", "drop site");
		snprintf(loc, sizeof(loc), "0x%llx", (unsigned long long)d->location);
		jw_kstr(w, "location", loc);
		jw_kuint(w, "netns", d->netns);
		if (d->ifindex)
			jw_kuint(w, "ifindex", d->ifindex);
		if (d->flags & AEGIS_NET_OWNER) {
			jw_kuint(w, "owner_pid", d->owner_tgid);
			jw_kstrn(w, "owner_comm", d->owner_comm, sizeof(d->owner_comm));
		}
		break;
	}
	case AEGIS_EV_SEED:
		if (e->seed.start_ns && h->ts_ns > e->seed.start_ns)
			jw_kuint(w, "uptime_ms", (h->ts_ns - e->seed.start_ns) / 1000000);
		break;
	case AEGIS_EV_TICK:
		jw_kuint(w, "events_lost", e->tick.events_lost);
		break;
	default:
		break;
	}
}

static void write_line(FILE *f, struct jw *w)
{
	if (w->overflow) /* never emit a cut document: say so instead */
		fprintf(f, "{\"kind\":\"error\",\"schema\":%d,\"error\":\"output line too long\"}\n",
			JSON_SCHEMA_VERSION);
	else
		fprintf(f, "%s\n", jw_result(w));
	fflush(f);
}

void sink_json_event(FILE *f, const struct clockmap *cm, const struct ev *e)
{
	char buf[LINE_MAX_BYTES];
	struct jw w;

	jw_init(&w, buf, sizeof(buf));
	json_line_begin(&w, "event");
	json_event_fields(&w, cm, e);
	jw_obj_end(&w);
	write_line(f, &w);
}

void sink_json_diagnosis(FILE *f, const struct clockmap *cm, const struct diagnosis *d)
{
	char buf[LINE_MAX_BYTES];
	struct jw w;

	json_diagnosis(&w, buf, sizeof(buf), cm, d);
	write_line(f, &w);
}

void json_diagnosis(struct jw *wp, char *buf, size_t len, const struct clockmap *cm,
		    const struct diagnosis *d)
{
	struct jw w;

	jw_init(&w, buf, len);
	json_line_begin(&w, "diagnosis");
	put_ts(&w, "ts", cm, d->ts_ns);
	if (d->id)
		jw_kuint(&w, "id", d->id);
	jw_kstr(&w, "cause", cause_code(d->cause));
	jw_kstr(&w, "severity", severity_name(cause_severity(d->cause)));
	jw_kbool(&w, "primary", d->primary);
	if (d->explained_by >= 0)
		jw_kstr(&w, "explained_by", cause_code((enum cause)d->explained_by));
	if (d->explained_by >= 0 && d->explained_by_id)
		jw_kuint(&w, "explained_by_id", d->explained_by_id);
	jw_kstr(&w, "summary", d->summary);
	jw_kstr(&w, "advice", diagnosis_advice(d));
	jw_kuint(&w, "count", d->count);
	put_ts(&w, "first_seen", cm, d->first_ns);
	put_ts(&w, "last_seen", cm, d->last_ns);

	jw_key(&w, "subject");
	jw_obj_begin(&w);
	jw_kstr(&w, "process", d->process);
	if (d->pid) {
		jw_kuint(&w, "pid", d->pid);
		jw_kuint(&w, "uid", d->uid);
		if (d->unverified)
			jw_kbool(&w, "verified", false);
		if (d->impostor)
			jw_kbool(&w, "impostor", true);
	}
	if (d->comm[0])
		jw_kstrn(&w, "comm", d->comm, sizeof(d->comm));
	if (d->exe[0])
		jw_kpath(&w, "exe", d->exe, sizeof(d->exe));
	if (d->signal) {
		put_signal(&w, d->signal);
		jw_kbool(&w, "core_dumped", d->core_dumped);
	}
	if (d->exit_status >= 0)
		jw_kint(&w, "exit_code", d->exit_status);
	if (d->uptime_ns)
		jw_kuint(&w, "uptime_ms", d->uptime_ns / 1000000);
	if (d->qname[0])
		jw_kstr(&w, "qname", d->qname);
	if (d->is_dns) {
		char a[64], tb[16];

		jw_kstr(&w, "server", addr_str(d->peer.family == 10 ? AF_INET6 : AF_INET, d->peer.daddr, a, sizeof(a)));
		if (d->qtype)
			jw_kstr(&w, "qtype", dns_type_name(d->qtype, tb, sizeof(tb)));
		if (d->rcode >= 0)
			jw_kstr(&w, "rcode", dns_rcode_name((unsigned)d->rcode));
	}
	if (d->has_peer) {
		if (d->peer_unknown)
			jw_kbool(&w, "address_known", false);
		else
			put_tuple(&w, &d->peer, false);
		if (d->err)
			put_errno(&w, "errno", d->err);
		if (d->hook[0])
			jw_kstr(&w, "hook", d->hook);
		if (d->packets)
			jw_kuint(&w, "packets", d->packets);
	}
	jw_obj_end(&w);

	if (d->policy.mechanism != POLICY_NOT_INSPECTED)
		put_policy(&w, &d->policy);
	if (d->memcg.path[0]) { /* the cgroup limit an OOM kill ran into */
		jw_key(&w, "memcg");
		jw_obj_begin(&w);
		jw_kpath(&w, "path", d->memcg.path, sizeof(d->memcg.path));
		jw_kuint(&w, "max_bytes", d->memcg.max_bytes);
		jw_kuint(&w, "usage_bytes", d->memcg.usage_bytes);
		jw_kuint(&w, "limit_hits", d->memcg.limit_hits);
		jw_obj_end(&w);
	}
	if (d->drop_symbol[0])
		jw_kstr(&w, "drop_location", d->drop_symbol);
	if (d->nrules) {
		jw_key(&w, "rules");
		jw_arr_begin(&w);
		for (unsigned i = 0; i < d->nrules && i < DIAG_MAX_RULES; i++) {
			const struct nft_rule_match *r = &d->rules[i];

			jw_obj_begin(&w);
			jw_kstr(&w, "family", r->family);
			jw_kstr(&w, "table", r->table);
			jw_kstr(&w, "chain", r->chain);
			jw_kstr(&w, "hook", r->hook);
			jw_kuint(&w, "handle", r->handle);
			jw_kstr(&w, "verdict", r->verdict);
			if (r->text[0])
				jw_kstr(&w, "rule", r->text);
			jw_kbool(&w, "certain", r->certain);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
	}
	if (d->rules_unread[0])
		jw_kstr(&w, "rules_unread", d->rules_unread);
	jw_key(&w, "evidence");
	jw_arr_begin(&w);
	for (unsigned i = 0; i < d->n_evidence; i++) {
		jw_obj_begin(&w);
		json_event_fields(&w, cm, &d->evidence[i]);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_kuint(&w, "events_lost", d->events_lost);
	jw_obj_end(&w);
	*wp = w;
}

int summary_exit_status(const struct session_summary *s)
{
	return s->stats && s->stats->any ? 1 : 0;
}

void sink_json_summary(FILE *f, const struct clockmap *cm, const struct session_summary *s)
{
	char buf[LINE_MAX_BYTES];
	struct jw w;
	const struct correlator_stats *st = s->stats;
	const struct verdict_entry *v;

	jw_init(&w, buf, sizeof(buf));
	json_line_begin(&w, "summary");
	put_ts(&w, "ts", cm, s->end_ns);
	jw_kstr(&w, "verdict", summary_exit_status(s) ? "fail" : "ok");
	v = st ? verdict_of(st->verdicts) : NULL;
	if (v) {
		jw_kstr(&w, "verdict_cause", cause_code(v->s.cause));
		jw_kstr(&w, "verdict_summary", v->summary);
		jw_kuint(&w, "verdict_id", v->s.id);
	}
	jw_kuint(&w, "duration_ms", (s->end_ns - s->start_ns) / 1000000);
	jw_kuint(&w, "probes_attached", s->probes_attached);
	jw_kuint(&w, "probes_failed", s->probes_failed);
	jw_kuint(&w, "events", s->events);
	jw_kuint(&w, "events_lost", st ? st->events_lost : 0);
	jw_kuint(&w, "diagnoses", st ? st->diagnoses : 0);
	jw_kuint(&w, "dns_packets", s->dns_seen);
	jw_kuint(&w, "dns_other_names", s->dns_other);
	jw_kuint(&w, "dns_answers_unmatched", st ? st->dns.answers_unmatched : 0);
	jw_kuint(&w, "dns_queries_evicted", st ? st->dns.queries_evicted : 0);
	jw_kuint(&w, "learned_endpoints", st ? st->dns.learned : 0);
	jw_kuint(&w, "learned_expired", st ? st->dns.learned_expired : 0);
	jw_kuint(&w, "learned_full", st ? st->dns.learned_full : 0);
	jw_kuint(&w, "dns_queries_elsewhere", st ? st->dns.queries_elsewhere : 0);
	jw_kuint(&w, "drops_elsewhere", st ? st->drops_elsewhere : 0);
	if (s->pidset_full)
		jw_kuint(&w, "untracked_agent_processes", s->pidset_full);
	if (s->socks_full)
		jw_kuint(&w, "unwatched_sockets", s->socks_full);
	jw_key(&w, "causes");
	jw_obj_begin(&w);
	for (int c = 0; st && c < CAUSE_COUNT; c++)
		if (st->occurrences[c])
			jw_kuint(&w, cause_code((enum cause)c), st->occurrences[c]);
	jw_obj_end(&w);
	jw_obj_end(&w);
	write_line(f, &w);
}

void json_action(struct jw *wp, char *buf, size_t len, const struct clockmap *cm, const struct action *a)
{
	struct jw w;

	jw_init(&w, buf, len);
	json_line_begin(&w, "action");
	put_ts(&w, "ts", cm, a->ts_ns);
	jw_kstr(&w, "action", a->action);
	if (a->step)
		jw_kstr(&w, "step", a->step);
	jw_kstr(&w, "outcome", a->outcome);
	if (a->mode)
		jw_kstr(&w, "mode", a->mode);
	if (a->method)
		jw_kstr(&w, "method", a->method);
	if (a->dry_run)
		jw_kbool(&w, "dry_run", true);
	if (a->cause >= 0)
		jw_kstr(&w, "cause", cause_code((enum cause)a->cause));
	if (a->process && a->process[0])
		jw_kstr(&w, "process", a->process);
	if (a->pid)
		jw_kuint(&w, "pid", a->pid);
	if (a->delay_ms >= 0)
		jw_kint(&w, "delay_ms", a->delay_ms);
	if (a->exit_code >= 0)
		jw_kint(&w, "exit_code", a->exit_code);
	if (a->signal)
		put_signal(&w, a->signal);
	if (a->detail)
		jw_kstr(&w, "detail", a->detail);
	if (a->advice)
		jw_kstr(&w, "advice", a->advice);
	if (a->output)
		jw_kstr(&w, "output", a->output);
	jw_obj_end(&w);
	*wp = w;
}

void sink_json_action(FILE *f, const struct clockmap *cm, const struct action *a)
{
	char buf[LINE_MAX_BYTES];
	struct jw w;

	json_action(&w, buf, sizeof(buf), cm, a);
	write_line(f, &w);
}
