/* Session report: bounded tables fed as the session goes, printed at its end. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "endpoints.h"
#include "escape.h"
#include "signals.h"

#define MAX_PROCS 128
#define MAX_LANES 24
#define MAX_MARKS 4096
#define MAX_DIAGS 64

#define RED "\033[1;31m"
#define YELLOW "\033[33m"
#define CYAN "\033[36m"
#define BOLD "\033[1m"
#define DIM "\033[2m"
#define RESET "\033[0m"

struct lifetime {
	uint32_t pid;
	char comm[AEGIS_COMM_LEN];
	uint64_t start_ns, end_ns; /* end 0: still running */
	char end_label[32];
};

enum mark_kind { MARK_OK, MARK_FAIL, MARK_DROP };

struct mark {
	uint16_t lane;
	uint8_t kind;
	uint64_t ts_ns;
	char label[64];
};

struct lane {
	char name[96]; /* "100.100.77.2:80/tcp" or "DNS jsrv.aegis.aliyun.com" */
};

struct report {
	struct clockmap cm;
	uint64_t start_ns, last_ns;
	unsigned nprocs, nlanes, nmarks, ndiags;
	uint64_t marks_dropped;
	uint64_t diags_dropped;   /* subjects left out when the table was full */
	struct lifetime procs[MAX_PROCS];
	struct lane lanes[MAX_LANES];
	struct mark marks[MAX_MARKS];
	struct diagnosis diags[MAX_DIAGS]; /* the latest of each cause and subject */
	struct verdict_set verdicts; /* without the correlator's (a summary without stats) */
};

struct report *report_new(const struct clockmap *cm, uint64_t start_ns)
{
	struct report *r = calloc(1, sizeof(*r));

	if (r) {
		struct correlator_config cfg;

		r->cm = *cm;
		r->start_ns = r->last_ns = start_ns;
		correlator_config_defaults(&cfg);
		r->verdicts.win[REL_WIN_NET] = cfg.net_window_ns;
		r->verdicts.win[REL_WIN_FLAP] = cfg.flap_window_ns;
		r->verdicts.win[REL_WIN_RES] = cfg.res_window_ns;
		r->verdicts.win[REL_WIN_SESSION] = UINT64_MAX;
	}
	return r;
}

void report_free(struct report *r)
{
	free(r);
}

static struct lifetime *proc_slot(struct report *r, uint32_t pid, bool create)
{
	for (unsigned i = r->nprocs; i-- > 0;)
		if (r->procs[i].pid == pid && !r->procs[i].end_ns)
			return &r->procs[i];
	if (!create || r->nprocs >= MAX_PROCS)
		return NULL;
	memset(&r->procs[r->nprocs], 0, sizeof(r->procs[0]));
	r->procs[r->nprocs].pid = pid;
	return &r->procs[r->nprocs++];
}

static int lane_of(struct report *r, const char *name)
{
	for (unsigned i = 0; i < r->nlanes; i++)
		if (!strcmp(r->lanes[i].name, name))
			return (int)i;
	if (r->nlanes >= MAX_LANES)
		return -1;
	snprintf(r->lanes[r->nlanes].name, sizeof(r->lanes[0].name), "%s", name);
	return (int)r->nlanes++;
}

static void add_mark(struct report *r, const char *lane, enum mark_kind k, uint64_t ts, const char *label)
{
	int l = lane_of(r, lane);
	struct mark *m;

	if (l < 0 || r->nmarks >= MAX_MARKS) {
		r->marks_dropped++;
		return;
	}
	/* a retry storm is one mark per lane and outcome per 100 ms: enough for the eye */
	for (unsigned i = r->nmarks; i-- > 0 && i + 64 > r->nmarks;)
		if (r->marks[i].lane == l && r->marks[i].kind == k && ts - r->marks[i].ts_ns < 100000000ULL)
			return;
	m = &r->marks[r->nmarks++];
	m->lane = (uint16_t)l;
	m->kind = (uint8_t)k;
	m->ts_ns = ts;
	snprintf(m->label, sizeof(m->label), "%s", label);
}

static void peer_name(const struct aegis_tuple *t, bool remote_is_src, char *buf, size_t len)
{
	char a[64];
	int fam = t->family == 10 ? AF_INET6 : AF_INET;

	snprintf(buf, len, "%s:%u/%s", addr_str(fam, remote_is_src ? t->saddr : t->daddr, a, sizeof(a)),
		 remote_is_src ? t->sport : t->dport, t->proto == 17 ? "udp" : "tcp");
}

void report_event(struct report *r, const struct ev *e)
{
	char lane[96], label[64], eb[16];
	struct lifetime *p;

	if (!r)
		return;
	if (e->hdr.ts_ns > r->last_ns)
		r->last_ns = e->hdr.ts_ns;
	switch (e->hdr.type) {
	case AEGIS_EV_SEED:
	case AEGIS_EV_EXEC:
		p = proc_slot(r, e->hdr.tgid, true);
		if (!p)
			break;
		memcpy(p->comm, e->hdr.comm, sizeof(p->comm));
		p->start_ns = e->hdr.type == AEGIS_EV_SEED && e->seed.start_ns < r->start_ns ? r->start_ns
											: e->hdr.ts_ns;
		break;
	case AEGIS_EV_EXIT:
		p = proc_slot(r, e->hdr.tgid, false);
		if (!p)
			break;
		p->end_ns = e->hdr.ts_ns;
		if (e->exit.exit_code & 0x7f) {
			char sb[16];

			snprintf(p->end_label, sizeof(p->end_label), "%s",
				 signal_name((int)(e->exit.exit_code & 0x7f), sb, sizeof(sb)));
		} else
			snprintf(p->end_label, sizeof(p->end_label), "exit %u", (e->exit.exit_code >> 8) & 0xff);
		break;
	case AEGIS_EV_TCP_STATE:
		peer_name(&e->tcp.tuple, false, lane, sizeof(lane));
		if (e->tcp.oldstate == 2 /* SYN_SENT */ && e->tcp.newstate == 1 /* ESTABLISHED */)
			add_mark(r, lane, MARK_OK, e->hdr.ts_ns, "connected");
		else if (e->tcp.oldstate == 2 && e->tcp.newstate == 7 /* CLOSE */) {
			int err = e->tcp.sk_err ? e->tcp.sk_err : e->tcp.sk_err_soft;

			snprintf(label, sizeof(label), "%s", err ? errno_name(err, eb, sizeof(eb)) : "closed");
			add_mark(r, lane, MARK_FAIL, e->hdr.ts_ns, label);
		}
		break;
	case AEGIS_EV_CONNECT: {
		int err = errno_of_ret(e->connect.ret);

		if (!err || err == EINPROGRESS)
			break;
		peer_name(&e->connect.tuple, false, lane, sizeof(lane));
		add_mark(r, lane, MARK_FAIL, e->hdr.ts_ns, errno_name(err, eb, sizeof(eb)));
		break;
	}
	case AEGIS_EV_TCP_RETRANS:
		peer_name(&e->retrans.tuple, false, lane, sizeof(lane));
		snprintf(label, sizeof(label), "sent again x%u", e->retrans.retrans);
		add_mark(r, lane, MARK_FAIL, e->hdr.ts_ns, label);
		break;
	case AEGIS_EV_NF_DROP:
		peer_name(&e->drop.tuple, e->drop.flags & AEGIS_NET_INGRESS, lane, sizeof(lane));
		add_mark(r, lane, MARK_DROP, e->hdr.ts_ns, "dropped by netfilter");
		break;
	case AEGIS_EV_DNS: {
		struct dns_msg m;
		size_t len = e->dns.len < AEGIS_DNS_PAYLOAD ? e->dns.len : AEGIS_DNS_PAYLOAD;

		if (dns_parse(e->dns.data, len, &m) || !m.qr)
			break;
		snprintf(lane, sizeof(lane), "DNS %s", m.qname);
		add_mark(r, lane, m.rcode == DNS_RC_NOERROR ? MARK_OK : MARK_FAIL, e->hdr.ts_ns,
			 dns_rcode_name(m.rcode));
		break;
	}
	default:
		break;
	}
}

static bool same_subject(const struct diagnosis *a, const struct diagnosis *b)
{
	/* one user's impostors are one subject, as the correlator folds them */
	if (a->cause == CAUSE_AGENT_IMPOSTOR && b->cause == CAUSE_AGENT_IMPOSTOR)
		return a->uid == b->uid;
	return a->cause == b->cause && a->pid == b->pid && !strcmp(a->process, b->process) &&
	       a->has_peer == b->has_peer &&
	       (!a->has_peer || (!memcmp(a->peer.daddr, b->peer.daddr, 16) && a->peer.dport == b->peer.dport)) &&
	       !strcmp(a->qname, b->qname);
}

void report_diagnosis(struct report *r, const struct diagnosis *d)
{
	if (!r)
		return;
	if (d->ts_ns > r->last_ns)
		r->last_ns = d->ts_ns;
	if (d->id) /* the correlator's: what the verdict weighs */
		verdict_note(&r->verdicts, d);
	for (unsigned i = 0; i < r->ndiags; i++)
		if (same_subject(&r->diags[i], d)) {
			uint64_t first = r->diags[i].first_ns;

			r->diags[i] = *d; /* the latest, with its count */
			if (first && first < d->first_ns)
				r->diags[i].first_ns = first;
			return;
		}
	if (r->ndiags < MAX_DIAGS) {
		r->diags[r->ndiags++] = *d;
		return;
	}
	/* full: the least severe, oldest subject makes room for a more severe
	 * one, so a flood of warnings never pushes a critical cause out of the
	 * verdict; what goes is counted and said */
	{
		unsigned victim = 0;

		for (unsigned i = 1; i < r->ndiags; i++) {
			const struct diagnosis *v = &r->diags[victim], *c = &r->diags[i];

			if (cause_severity(c->cause) < cause_severity(v->cause) ||
			    (cause_severity(c->cause) == cause_severity(v->cause) && c->last_ns < v->last_ns))
				victim = i;
		}
		r->diags_dropped++;
		if (cause_severity(r->diags[victim].cause) < cause_severity(d->cause))
			r->diags[victim] = *d;
	}
}

const struct verdict_entry *report_verdict(const struct report *r, const struct session_summary *sum)
{
	if (sum && sum->stats && sum->stats->verdicts)
		return verdict_of(sum->stats->verdicts);
	return r ? verdict_of(&r->verdicts) : NULL;
}

static const char *sev_color(enum severity s)
{
	return s == SEV_CRITICAL ? RED : s == SEV_WARNING ? YELLOW : CYAN;
}

static void rel(const struct report *r, uint64_t ts, char *buf, size_t len)
{
	snprintf(buf, len, "+%.1fs", ts > r->start_ns ? (double)(ts - r->start_ns) / 1e9 : 0.0);
}

void report_text(const struct report *r, FILE *f, const struct session_summary *sum, bool color)
{
	const struct verdict_entry *v = report_verdict(r, sum);
	char esc[DIAG_SUMMARY_LEN * 4], t0[16], t1[16];

	fprintf(f, "\n%s== aegismon report ==%s\n", color ? BOLD : "", color ? RESET : "");
	if (v) {
		escape_tty(esc, sizeof(esc), v->summary, sizeof(v->summary));
		fprintf(f, "verdict: %s%s%s: %s\n", color ? sev_color(cause_severity(v->s.cause)) : "",
			cause_code(v->s.cause), color ? RESET : "", esc);
		fprintf(f, "fix:     %s\n", verdict_advice(v));
	} else {
		fprintf(f, "verdict: %sno problem found%s: the agent's processes, connections and DNS "
			"lookups seen in this session were fine\n", color ? CYAN : "", color ? RESET : "");
	}
	if (r && r->ndiags) {
		fprintf(f, "\ndiagnoses:\n");
		for (unsigned i = 0; i < r->ndiags; i++) {
			const struct diagnosis *d = &r->diags[i];

			escape_tty(esc, sizeof(esc), d->summary, sizeof(d->summary));
			rel(r, d->first_ns ? d->first_ns : d->ts_ns, t0, sizeof(t0));
			rel(r, d->last_ns ? d->last_ns : d->ts_ns, t1, sizeof(t1));
			fprintf(f, "  %s %s%-22s%s %s", t0, color ? sev_color(cause_severity(d->cause)) : "",
				cause_code(d->cause), color ? RESET : "", esc);
			if (d->count > 1)
				fprintf(f, " (x%u, until %s)", d->count, t1);
			if (!d->primary && d->explained_by >= 0)
				fprintf(f, " [explained by %s]", cause_code((enum cause)d->explained_by));
			if (d->impostor && d->cause != CAUSE_AGENT_IMPOSTOR)
				fputs(" [an impostor's, not the agent's]", f);
			fputc('\n', f);
		}
		if (r->diags_dropped)
			fprintf(f, "  (%llu more diagnos%s of less severe subjects left out: the report keeps %d)\n",
				(unsigned long long)r->diags_dropped, r->diags_dropped == 1 ? "is" : "es",
				MAX_DIAGS);
	}
	if (r && r->nprocs) {
		fprintf(f, "\nagent processes:\n");
		for (unsigned i = 0; i < r->nprocs; i++) {
			const struct lifetime *p = &r->procs[i];
			char comm[AEGIS_COMM_LEN * 4];

			escape_tty(comm, sizeof(comm), p->comm, sizeof(p->comm));
			rel(r, p->start_ns, t0, sizeof(t0));
			rel(r, p->end_ns, t1, sizeof(t1));
			if (p->end_ns)
				fprintf(f, "  %-16s pid %-7u from %s to %s (%s)\n", comm, p->pid, t0, t1, p->end_label);
			else
				fprintf(f, "  %-16s pid %-7u from %s, still running\n", comm, p->pid, t0);
		}
	}
	fputc('\n', f);
	sink_text_summary(f, sum, color);
}

/* ---- HTML ---- */

/* Untrusted text into HTML: entities, hidden code points shown as \uXXXX,
 * U+FFFD for bytes that are not UTF-8 (escape_str, ESC_HTML), in pieces. */
static void html_text(FILE *f, const char *s, size_t max)
{
	char esc[1024];
	size_t used;

	while (max && *s) {
		escape_str(esc, sizeof(esc), s, max, ESC_HTML, &used);
		fputs(esc, f);
		if (used == 0)
			break;
		s += used;
		max -= used;
	}
}

static const char *sev_css(enum severity s)
{
	return s == SEV_CRITICAL ? "crit" : s == SEV_WARNING ? "warn" : "info";
}

int report_html(const struct report *r, FILE *f, const struct session_summary *sum, const char *host)
{
	const struct verdict_entry *v = report_verdict(r, sum);
	uint64_t t_end = sum->end_ns > r->last_ns ? sum->end_ns : r->last_ns;
	double span = t_end > r->start_ns ? (double)(t_end - r->start_ns) : 1e9;
	const double x0 = 190, width = 760;
	unsigned rows = 1 + r->nprocs + r->nlanes;
	double height = 40 + rows * 22 + 30;
	char ts[RFC3339_LEN], te[RFC3339_LEN];

#define X(t) (x0 + width * ((double)((t) > r->start_ns ? (t) - r->start_ns : 0) / span))
	fmt_rfc3339(&r->cm, r->start_ns, ts, sizeof(ts));
	fmt_rfc3339(&r->cm, t_end, te, sizeof(te));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<title>aegismon report</title>\n<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}\n"
	      "h1{font-size:20px}.verdict{padding:12px;border-left:6px solid #888;background:#f6f6f6}\n"
	      ".verdict.crit{border-color:#c62828}.verdict.warn{border-color:#ef6c00}.verdict.ok{border-color:#2e7d32}\n"
	      "table{border-collapse:collapse;width:100%;margin:12px 0}td,th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}\n"
	      "td.crit{color:#c62828}td.warn{color:#ef6c00}td.info{color:#1565c0}code{font-size:12px}\n"
	      "svg text{font:11px sans-serif}\n</style></head><body>\n", f);
	fputs("<h1>aegismon report</h1>\n<p>Host <b>", f);
	html_text(f, host, 256);
	fprintf(f, "</b>, %s to %s (%.1f s), %u probes attached, %llu events, %llu lost.</p>\n", ts, te,
		span / 1e9, sum->probes_attached, (unsigned long long)sum->events,
		(unsigned long long)(sum->stats ? sum->stats->events_lost : 0));
	if (v) {
		fprintf(f, "<div class=\"verdict %s\" id=\"verdict\"><b>Verdict: %s</b> &mdash; ",
			sev_css(cause_severity(v->s.cause)), cause_code(v->s.cause));
		html_text(f, v->summary, sizeof(v->summary));
		fputs("<br><b>Fix:</b> ", f);
		html_text(f, verdict_advice(v), 2048);
		fputs("</div>\n", f);
	} else {
		fputs("<div class=\"verdict ok\" id=\"verdict\"><b>Verdict: no problem found</b></div>\n", f);
	}

	/* the timeline */
	fprintf(f, "<h2>Timeline</h2>\n<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
		   "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
		x0 + width + 20, height, x0 + width + 20, height);
	fprintf(f, "<line x1=\"%.0f\" y1=\"30\" x2=\"%.0f\" y2=\"30\" stroke=\"#999\"/>\n", x0, x0 + width);
	for (int i = 0; i <= 4; i++)
		fprintf(f, "<text x=\"%.1f\" y=\"20\" text-anchor=\"middle\">+%.1fs</text>\n",
			x0 + width * i / 4, span / 1e9 * i / 4);
	fprintf(f, "<text x=\"4\" y=\"48\">diagnoses</text>\n");
	for (unsigned i = 0; i < r->ndiags; i++) {
		const struct diagnosis *d = &r->diags[i];
		double x = X(d->ts_ns);

		fprintf(f, "<g class=\"diag %s\"><title>", sev_css(cause_severity(d->cause)));
		fprintf(f, "%s: ", cause_code(d->cause));
		html_text(f, d->summary, sizeof(d->summary));
		fprintf(f, "</title><path d=\"M%.1f 36 l6 12 h-12 z\" fill=\"%s\"/></g>\n", x,
			cause_severity(d->cause) == SEV_CRITICAL ? "#c62828"
			: cause_severity(d->cause) == SEV_WARNING ? "#ef6c00" : "#1565c0");
	}
	for (unsigned i = 0; i < r->nprocs; i++) {
		const struct lifetime *p = &r->procs[i];
		double y = 62 + i * 22, xs = X(p->start_ns), xe = X(p->end_ns ? p->end_ns : t_end);

		fputs("<text x=\"4\" y=\"", f);
		fprintf(f, "%.0f\">", y + 12);
		html_text(f, p->comm, sizeof(p->comm));
		fprintf(f, " %u</text>\n<rect class=\"proc\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"14\" "
			   "fill=\"#81c784\"><title>pid %u %s</title></rect>\n",
			p->pid, xs, y + 2, xe - xs < 2 ? 2 : xe - xs, p->pid, p->end_ns ? p->end_label : "running");
		if (p->end_ns)
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#c62828\" stroke-width=\"2\"/>\n",
				xe, y, xe, y + 18);
	}
	for (unsigned l = 0; l < r->nlanes; l++) {
		double y = 62 + (r->nprocs + l) * 22;

		fprintf(f, "<text x=\"4\" y=\"%.0f\">", y + 12);
		html_text(f, r->lanes[l].name, sizeof(r->lanes[l].name));
		fprintf(f, "</text>\n<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#eee\"/>\n",
			x0, y + 9, x0 + width, y + 9);
		for (unsigned i = 0; i < r->nmarks; i++) {
			const struct mark *m = &r->marks[i];

			if (m->lane != l)
				continue;
			fprintf(f, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%.0f\" r=\"5\" fill=\"%s\"><title>",
				m->kind == MARK_OK ? "ok" : m->kind == MARK_DROP ? "drop" : "fail", X(m->ts_ns), y + 9,
				m->kind == MARK_OK ? "#2e7d32" : m->kind == MARK_DROP ? "#6a1b9a" : "#c62828");
			html_text(f, m->label, sizeof(m->label));
			fputs("</title></circle>\n", f);
		}
	}
	fputs("</svg>\n<p><small>Green bars: agent processes (a red line where one ended). "
	      "Triangles: diagnoses. Dots: connect and DNS outcomes per endpoint (green ok, red failed, "
	      "purple dropped by this host's firewall). Hover for details.</small></p>\n", f);

	fputs("<h2>Diagnoses</h2>\n<table id=\"diagnoses\"><tr><th>time</th><th>cause</th><th>what</th>"
	      "<th>count</th><th>fix</th></tr>\n", f);
	for (unsigned i = 0; i < r->ndiags; i++) {
		const struct diagnosis *d = &r->diags[i];
		char t[16];

		rel(r, d->ts_ns, t, sizeof(t));
		fprintf(f, "<tr><td>%s</td><td class=\"%s\">%s%s</td><td>", t, sev_css(cause_severity(d->cause)),
			cause_code(d->cause), d->primary ? " (primary)" : "");
		html_text(f, d->summary, sizeof(d->summary));
		if (d->impostor && d->cause != CAUSE_AGENT_IMPOSTOR)
			fputs(" <small>(an impostor's, not the agent's)</small>", f);
		for (unsigned k = 0; k < d->nrules && k < DIAG_MAX_RULES; k++) {
			fputs("<br><code>rule: ", f);
			html_text(f, d->rules[k].table, sizeof(d->rules[k].table));
			fputc(' ', f);
			html_text(f, d->rules[k].chain, sizeof(d->rules[k].chain));
			fprintf(f, " handle %llu: ", (unsigned long long)d->rules[k].handle);
			html_text(f, d->rules[k].text, sizeof(d->rules[k].text));
			fputs("</code>", f);
		}
		fprintf(f, "</td><td>%u</td><td>", d->count);
		html_text(f, diagnosis_advice(d), 2048);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	fprintf(f, "<h2>Counters</h2>\n<p>%llu events from the kernel, %llu lost, %llu DNS packets "
		   "inspected (%llu for other names), %llu diagnoses%s%s.</p>\n",
		(unsigned long long)sum->events, (unsigned long long)(sum->stats ? sum->stats->events_lost : 0),
		(unsigned long long)sum->dns_seen, (unsigned long long)sum->dns_other,
		(unsigned long long)(sum->stats ? sum->stats->diagnoses : 0),
		r->marks_dropped ? " (the timeline shows the first marks only)" : "",
		r->diags_dropped ? "; the table above left out less severe subjects when it was full" : "");
	fputs("<p><small>aegismon</small></p>\n</body></html>\n", f);
#undef X
	return ferror(f) ? -1 : 0;
}
