// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Text lines for people. Every string from the kernel or /proc is escaped:
 * a process name must not be able to drive the terminal. */
#include "sink.h"

#include <string.h>

#include <sys/socket.h>

#include "dns.h"
#include "endpoints.h"
#include "escape.h"
#include "refusal.h"
#include "resources.h"
#include "signals.h"

#define RED "\033[1;31m"
#define YELLOW "\033[33m"
#define CYAN "\033[36m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static const char *sev_color(enum severity s)
{
	return s == SEV_CRITICAL ? RED : s == SEV_WARNING ? YELLOW : CYAN;
}

static const char *sev_label(enum severity s)
{
	return s == SEV_CRITICAL ? "CRITICAL" : s == SEV_WARNING ? "WARNING " : "INFO    ";
}

#define ESC(buf, s) (escape_tty((buf), sizeof(buf), (s), sizeof(s)), (buf))

/* What refused a connect (connect_blocked_policy): names chosen by whoever
 * loaded the program, made the cgroup or wrote the profile, escaped. */
static void put_policy(FILE *f, const struct diagnosis *d, int indent)
{
	const struct diag_policy *p = &d->policy;
	char a[sizeof(p->cgroup) * 4], b[sizeof(p->label) * 4];

	switch (p->mechanism) {
	case POLICY_CGROUP_BPF:
		fprintf(f, "%*s refused by: cgroup BPF program %u '%s'%s%s\n", indent, "", p->prog_id,
			ESC(b, p->prog_name), p->cgroup[0] ? " on " : "", ESC(a, p->cgroup));
		break;
	case POLICY_SECCOMP:
		fprintf(f, "%*s refused by: seccomp (filters: %d)\n", indent, "", p->seccomp_filters);
		break;
	case POLICY_LSM:
		fprintf(f, "%*s refused by: %s LSM, label %s\n", indent, "", ESC(a, p->lsm),
			ESC(b, p->label));
		break;
	case POLICY_UNKNOWN:
		fprintf(f, "%*s refused by: not seen (%s; LSMs: %s)\n", indent, "",
			p->gone ? "the process exited before it could be inspected"
				: "no foreign connect program, no seccomp filter that could have, no confining label",
			p->lsms[0] ? ESC(a, p->lsms) : "unknown");
		break;
	default:
		break;
	}
}

static uint64_t origin_ns; /* session start: times also relative to it */

void sink_text_origin(uint64_t start_ns)
{
	origin_ns = start_ns;
}

/* "19:49:04.559" or, with an origin, "19:49:04.559 +12.3s"; its width */
static int format_when(const struct clockmap *cm, uint64_t ts, char *buf, size_t len)
{
	fmt_clock(cm, ts, buf, len);
	if (origin_ns) {
		size_t n = strlen(buf);

		snprintf(buf + n, len - n, " %+7.1fs", ts >= origin_ns ? (double)(ts - origin_ns) / 1e9 : 0.0);
		return 12 + 9;
	}
	return 12;
}

/* Causes whose fix was printed this session: a fix is said once per cause,
 * eight impostors are not eight equal paragraphs. */
static bool fix_said[CAUSE_COUNT];

void sink_text_forget_fixes(void)
{
	memset(fix_said, 0, sizeof(fix_said));
}

/* "[x2 in 0.3 s]": tenths under 10 s, where "in 0 s" would say nothing. */
static void put_repeats(FILE *f, const struct diagnosis *d)
{
	double s = (double)(d->last_ns - d->first_ns) / 1e9;

	if (d->count <= 1)
		return;
	if (d->last_ns <= d->first_ns)
		fprintf(f, " [x%u]", d->count);
	else
		fprintf(f, s < 10 ? " [x%u in %.1f s]" : " [x%u in %.0f s]", d->count, s);
}

void sink_text_diagnosis(FILE *f, const struct clockmap *cm, const struct diagnosis *d, bool color)
{
	char when[48], summary[DIAG_SUMMARY_LEN * 4];
	enum severity sev = cause_severity(d->cause);
	int indent = format_when(cm, d->ts_ns, when, sizeof(when)) + 1;
	escape_tty(summary, sizeof(summary), d->summary, sizeof(d->summary));
	fprintf(f, "%s %s%s %s%s: %s", when, color ? sev_color(sev) : "", sev_label(sev),
		cause_code(d->cause), color ? RESET : "", summary);
	put_repeats(f, d);
	fputc('\n', f);

	for (unsigned i = 0; i < d->n_evidence; i++) {
		const struct ev *e = &d->evidence[i];
		char args[AEGIS_ARGS_LEN * 4 + 8], exe[AEGIS_PATH_LEN * 4], raw[AEGIS_ARGS_LEN + 1];

		/* the sender matters when it is another process */
		if (e->hdr.type != AEGIS_EV_SIGNAL || e->signal.sender_tgid == e->hdr.tgid)
			continue;
		unsigned len = e->signal.sender_args_len;

		if (len > AEGIS_ARGS_LEN)
			len = AEGIS_ARGS_LEN;
		memcpy(raw, e->signal.sender_args, len);
		raw[len] = '\0';
		for (unsigned k = 0; k + 1 < len; k++)
			if (raw[k] == '\0')
				raw[k] = ' ';
		escape_tty(args, sizeof(args), raw, sizeof(raw));
		fprintf(f, "%*s sender: %s%s%s%s\n", indent, "", args[0] ? args : "?",
			e->sender_exe[0] ? " [" : "", e->sender_exe[0] ? ESC(exe, e->sender_exe) : "",
			e->sender_exe[0] ? "]" : "");
	}
	for (unsigned i = 0; i < d->nrules && i < DIAG_MAX_RULES; i++) {
		const struct nft_rule_match *r = &d->rules[i];
		char text[sizeof(r->text) * 4], tbl[sizeof(r->table) * 4], ch[sizeof(r->chain) * 4];
		char fam[sizeof(r->family) * 4], hk[sizeof(r->hook) * 4], vd[sizeof(r->verdict) * 4];

		/* all from nft's output, which may list a user's own namespace */
		fprintf(f, "%*s rule: %s %s %s (hook %s) handle %llu: %s%s\n", indent, "", ESC(fam, r->family),
			ESC(tbl, r->table), ESC(ch, r->chain), ESC(hk, r->hook), (unsigned long long)r->handle,
			r->text[0] ? ESC(text, r->text) : ESC(vd, r->verdict), r->certain ? "" : " (probable)");
	}
	if (d->rules_unread[0]) {
		char why[sizeof(d->rules_unread) * 4];

		/* ours, but a replayed file may hold anything */
		fprintf(f, "%*s rules: not read (%s)\n", indent, "", ESC(why, d->rules_unread));
	}
	if (d->drop_symbol[0]) {
		char sym[sizeof(d->drop_symbol) * 4];

		fprintf(f, "%*s dropped in: %s\n", indent, "", ESC(sym, d->drop_symbol));
	}
	put_policy(f, d, indent);
	if (d->memcg.path[0]) {
		char a[sizeof(d->memcg.path) * 4];

		fprintf(f, "%*s memory cgroup: %s (limit %llu MiB, reached %llu time%s)\n",
			indent, "", ESC(a, d->memcg.path), (unsigned long long)(d->memcg.max_bytes >> 20),
			(unsigned long long)d->memcg.limit_hits, d->memcg.limit_hits == 1 ? "" : "s");
	}
	if (d->exe[0]) {
		char exe[AEGIS_PATH_LEN * 4];

		fprintf(f, "%*s exe: %s\n", indent, "", ESC(exe, d->exe));
	}
	/* the cause's own fix once; a situation's own (no install, a cgroup
	 * limit) each time it comes */
	bool generic = diagnosis_advice(d) == cause_advice(d->cause);

	if (generic && (unsigned)d->cause < CAUSE_COUNT && fix_said[d->cause]) {
		fprintf(f, "%*s %sfix:%s as for %s above\n", indent, "", color ? DIM : "",
			color ? RESET : "", cause_code(d->cause));
	} else {
		fprintf(f, "%*s %sfix:%s %s\n", indent, "", color ? DIM : "", color ? RESET : "",
			diagnosis_advice(d));
		if (generic && (unsigned)d->cause < CAUSE_COUNT)
			fix_said[d->cause] = true;
	}
	if (d->events_lost)
		fprintf(f, "%*s note: %llu events were lost before this diagnosis\n", indent, "",
			(unsigned long long)d->events_lost);
	fflush(f);
}

void sink_text_event(FILE *f, const struct clockmap *cm, const struct ev *e, bool color)
{
	char when[48], comm[AEGIS_COMM_LEN * 4], detail[AEGIS_PATH_LEN * 4 + 128];
	char sigbuf[16], tmp[AEGIS_PATH_LEN * 4];
	const struct aegis_hdr *h = &e->hdr;

	if (h->type == AEGIS_EV_TICK)
		return;
	format_when(cm, h->ts_ns, when, sizeof(when));
	ESC(comm, h->comm);
	detail[0] = '\0';
	switch (h->type) {
	case AEGIS_EV_EXEC:
	case AEGIS_EV_SEED:
		snprintf(detail, sizeof(detail), "%s",
			 e->exe[0] ? ESC(tmp, e->exe)
				   : (h->type == AEGIS_EV_EXEC ? ESC(tmp, e->exec.filename) : "?"));
		break;
	case AEGIS_EV_FORK:
		snprintf(detail, sizeof(detail), "from %s (%u)", ESC(tmp, e->fork.parent_comm),
			 h->ppid);
		break;
	case AEGIS_EV_EXIT:
		if (e->exit.exit_code & 0x7f)
			snprintf(detail, sizeof(detail), "killed by %s%s",
				 signal_name((int)(e->exit.exit_code & 0x7f), sigbuf, sizeof(sigbuf)),
				 e->exit.exit_code & 0x80 ? " (core dumped)" : "");
		else
			snprintf(detail, sizeof(detail), "exit code %u",
				 (e->exit.exit_code >> 8) & 0xff);
		break;
	case AEGIS_EV_SIGNAL:
		snprintf(detail, sizeof(detail), "%s from %s (%u, uid %u): %s",
			 signal_name(e->signal.sig, sigbuf, sizeof(sigbuf)),
			 ESC(tmp, e->signal.sender_comm), e->signal.sender_tgid,
			 e->signal.sender_uid, signal_result_name(e->signal.result));
		break;
	case AEGIS_EV_CONNECT: {
		char a[64], eb[16];
		int err = errno_of_ret(e->connect.ret);

		snprintf(detail, sizeof(detail), "-> %s:%u %s",
			 addr_str(e->connect.tuple.family == 10 ? AF_INET6 : AF_INET,
				  e->connect.tuple.daddr, a, sizeof(a)),
			 e->connect.tuple.dport, errno_name(err, eb, sizeof(eb)));
		break;
	}
	case AEGIS_EV_TCP_STATE: {
		char a[64];

		snprintf(detail, sizeof(detail), "-> %s:%u %s -> %s%s",
			 addr_str(e->tcp.tuple.family == 10 ? AF_INET6 : AF_INET, e->tcp.tuple.daddr,
				  a, sizeof(a)),
			 e->tcp.tuple.dport, tcp_state_name(e->tcp.oldstate),
			 tcp_state_name(e->tcp.newstate), e->tcp.flags & AEGIS_NET_RST ? " (RST)" : "");
		break;
	}
	case AEGIS_EV_TCP_RETRANS: {
		char a[64];
		const struct aegis_tcp_retrans *t = &e->retrans;

		snprintf(detail, sizeof(detail), "-> %s:%u data sent again %u times, %u-byte segment, "
			 "nothing acknowledged for %llu ms",
			 addr_str(t->tuple.family == 10 ? AF_INET6 : AF_INET, t->tuple.daddr, a, sizeof(a)),
			 t->tuple.dport, t->retrans, t->seg_len,
			 (unsigned long long)(e->hdr.ts_ns > t->since_ns ? (e->hdr.ts_ns - t->since_ns) / 1000000 : 0));
		break;
	}
	case AEGIS_EV_NF_DROP: {
		char a[64], b[64];
		unsigned fam = e->drop.tuple.family == 10 ? AF_INET6 : AF_INET;

		snprintf(detail, sizeof(detail), "netfilter dropped %s:%u -> %s:%u (%s)",
			 addr_str(fam, e->drop.tuple.saddr, a, sizeof(a)), e->drop.tuple.sport,
			 addr_str(fam, e->drop.tuple.daddr, b, sizeof(b)), e->drop.tuple.dport,
			 e->drop.flags & AEGIS_NET_INGRESS ? "ingress" : "egress");
		break;
	}
	case AEGIS_EV_DNS: {
		struct dns_msg m;
		char q[DNS_NAME_MAX * 4], tb[16];

		if (dns_parse(e->dns.data, e->dns.len < AEGIS_DNS_PAYLOAD ? e->dns.len : AEGIS_DNS_PAYLOAD, &m))
			snprintf(detail, sizeof(detail), "malformed DNS message");
		else
			snprintf(detail, sizeof(detail), "%s %s %s%s%s", m.qr ? "answer" : "query",
				 dns_type_name(m.qtype, tb, sizeof(tb)), ESC(q, m.qname),
				 m.qr ? " " : "", m.qr ? dns_rcode_name(m.rcode) : "");
		break;
	}
	case AEGIS_EV_RESOURCES: {
		const struct aegis_resources *r = &e->resources;
		uint32_t used = res_mem_used_pm(r->mem_total_kib, r->mem_avail_kib);
		int o;

		o = snprintf(detail, sizeof(detail),
			     "cpu %u.%u%% load %u.%02u mem %u.%u%% used (%llu MiB available)",
			     r->cpu_busy_pm / 10, r->cpu_busy_pm % 10, r->load1_centi / 100,
			     r->load1_centi % 100, used / 10, used % 10,
			     (unsigned long long)(r->mem_avail_kib / 1024));
		if (r->psi_mem_full >= 0 && o > 0 && (size_t)o < sizeof(detail))
			o += snprintf(detail + o, sizeof(detail) - (size_t)o, " psi mem full %d.%02d%%",
				      r->psi_mem_full / 100, r->psi_mem_full % 100);
		if (o > 0 && (size_t)o < sizeof(detail))
			o += snprintf(detail + o, sizeof(detail) - (size_t)o,
				      "; agent %u proc %u.%u%% cpu %llu MiB", r->agent_procs,
				      r->agent_cpu_pm / 10, r->agent_cpu_pm % 10,
				      (unsigned long long)(r->agent_rss_kib / 1024));
		if ((r->flags & AEGIS_RES_HIST) && o > 0 && (size_t)o < sizeof(detail))
			snprintf(detail + o, sizeof(detail) - (size_t)o,
				 " runq %llu waits p90 >= %llu us",
				 (unsigned long long)res_rq_count(r->rq_hist),
				 (unsigned long long)res_rq_percentile_us(r->rq_hist, 90));
		fprintf(f, "%s %s%-8s%s host %s\n", when, color ? DIM : "", ev_type_name(h->type),
			color ? RESET : "", detail);
		fflush(f);
		return;
	}
	case AEGIS_EV_OOM_VICTIM:
		snprintf(detail, sizeof(detail), "chosen by the OOM killer%s",
			 e->oom.flags & AEGIS_OOM_TRACKED ? "" : " (not an agent process)");
		break;
	default:
		break;
	}
	fprintf(f, "%s %s%-8s%s %s pid %u %s\n", when, color ? DIM : "", ev_type_name(h->type),
		color ? RESET : "", comm[0] ? comm : "?", h->tgid, detail);
	fflush(f);
}

void sink_text_summary(FILE *f, const struct session_summary *s, bool color)
{
	const struct correlator_stats *st = s->stats;
	bool fail = summary_exit_status(s);
	const struct verdict_entry *v = st ? verdict_of(st->verdicts) : NULL;
	int first = 1;

	fprintf(f, "aegismon: %.1f s, %u probes attached", (double)(s->end_ns - s->start_ns) / 1e9,
		s->probes_attached);
	if (s->probes_failed)
		fprintf(f, " (%u failed)", s->probes_failed);
	fprintf(f, ", %llu events, %llu lost, %llu DNS packets (%llu for other names), %llu diagnos%s",
		(unsigned long long)s->events, (unsigned long long)(st ? st->events_lost : 0),
		(unsigned long long)s->dns_seen, (unsigned long long)s->dns_other,
		(unsigned long long)(st ? st->diagnoses : 0), st && st->diagnoses == 1 ? "is" : "es");
	if (s->pidset_full || s->socks_full)
		fprintf(f, ", %llu agent processes and %llu sockets not tracked (maps full)",
			(unsigned long long)s->pidset_full, (unsigned long long)s->socks_full);
	if (st && (st->dns.answers_unmatched || st->dns.learned_full))
		fprintf(f, ", %llu DNS answers matching no query ignored, %llu addresses not learned (set full)",
			(unsigned long long)st->dns.answers_unmatched, (unsigned long long)st->dns.learned_full);
	for (int c = 0; st && c < CAUSE_COUNT; c++) {
		if (!st->occurrences[c])
			continue;
		fprintf(f, "%s%s x%llu", first ? " (" : ", ", cause_code((enum cause)c),
			(unsigned long long)st->occurrences[c]);
		first = 0;
	}
	fprintf(f, "%s: %s%s%s%s%s\n", first ? "" : ")", color ? (fail ? RED : CYAN) : "",
		fail ? "PROBLEM FOUND" : "no problem found", v ? ", verdict " : "",
		v ? cause_code(v->s.cause) : "", color ? RESET : "");
	fflush(f);
}

void sink_text_action(FILE *f, const struct clockmap *cm, const struct action *a, bool color)
{
	char when[32], detail[4096];
	bool bad = !strcmp(a->outcome, "failed") || !strcmp(a->outcome, "refused") ||
		   !strcmp(a->outcome, "timeout") || !strcmp(a->action, "escalate");

	fmt_clock(cm, a->ts_ns, when, sizeof(when));
	escape_tty(detail, sizeof(detail), a->detail ? a->detail : "", a->detail ? strlen(a->detail) + 1 : 1);
	fprintf(f, "%s %sACTION   %s%s%s %s%s: %s\n", when, color ? (bad ? RED : CYAN) : "", a->action,
		a->step ? " " : "", a->step ? a->step : "", a->outcome, color ? RESET : "", detail);
	if (a->advice)
		fprintf(f, "              fix: %s\n", a->advice);
	if (a->output && a->output[0]) {
		char out[4096];

		escape_tty(out, sizeof(out), a->output, strlen(a->output) + 1);
		fprintf(f, "              output: %s\n", out);
	}
	fflush(f);
}
