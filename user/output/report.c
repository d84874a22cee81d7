// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Session report: bounded tables fed as the session goes, printed at its end. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dns.h"
#include "endpoints.h"
#include "escape.h"
#include "labels.h"
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
	/* judged not the agent by a diagnosis (agent_impostor, or one whose
	 * subject is an impostor): drawn apart, never as the agent */
	bool impostor;
	uint32_t uid;
	char exe[AEGIS_PATH_LEN]; /* the diagnosis's, else as exec'd */
};

enum mark_kind { MARK_OK, MARK_FAIL, MARK_DROP };

struct mark {
	uint16_t lane;
	uint8_t kind;
	uint32_t pid; /* whose outcome: an impostor's is drawn apart */
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

static void add_mark(struct report *r, const char *lane, enum mark_kind k, const struct ev *e, const char *label)
{
	uint64_t ts = e->hdr.ts_ns;
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
	m->pid = e->hdr.tgid;
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

/* Who ran it and what, for an impostor's label (the diagnosis may not say). */
static void note_exec(struct report *r, const struct ev *e)
{
	struct lifetime *p = proc_slot(r, e->hdr.tgid, false);

	if (!p)
		return;
	p->uid = e->hdr.uid;
	snprintf(p->exe, sizeof(p->exe), "%.*s", (int)sizeof(e->exec.filename), e->exec.filename);
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
			add_mark(r, lane, MARK_OK, e, "connected");
		else if (e->tcp.oldstate == 2 && e->tcp.newstate == 7 /* CLOSE */) {
			int err = e->tcp.sk_err ? e->tcp.sk_err : e->tcp.sk_err_soft;

			snprintf(label, sizeof(label), "%s", err ? errno_name(err, eb, sizeof(eb)) : "closed");
			add_mark(r, lane, MARK_FAIL, e, label);
		}
		break;
	case AEGIS_EV_CONNECT: {
		int err = errno_of_ret(e->connect.ret);

		if (!err || err == EINPROGRESS)
			break;
		peer_name(&e->connect.tuple, false, lane, sizeof(lane));
		add_mark(r, lane, MARK_FAIL, e, errno_name(err, eb, sizeof(eb)));
		break;
	}
	case AEGIS_EV_TCP_RETRANS:
		peer_name(&e->retrans.tuple, false, lane, sizeof(lane));
		snprintf(label, sizeof(label), "sent again x%u", e->retrans.retrans);
		add_mark(r, lane, MARK_FAIL, e, label);
		break;
	case AEGIS_EV_NF_DROP:
		peer_name(&e->drop.tuple, e->drop.flags & AEGIS_NET_INGRESS, lane, sizeof(lane));
		add_mark(r, lane, MARK_DROP, e, "dropped by netfilter");
		break;
	case AEGIS_EV_DNS: {
		struct dns_msg m;
		size_t len = e->dns.len < AEGIS_DNS_PAYLOAD ? e->dns.len : AEGIS_DNS_PAYLOAD;

		if (dns_parse(e->dns.data, len, &m) || !m.qr)
			break;
		snprintf(lane, sizeof(lane), "DNS %s", m.qname);
		add_mark(r, lane, m.rcode == DNS_RC_NOERROR ? MARK_OK : MARK_FAIL, e,
			 dns_rcode_name(m.rcode));
		break;
	}
	default:
		break;
	}
	if (e->hdr.type == AEGIS_EV_EXEC)
		note_exec(r, e);
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

/* A diagnosis that judges a process not the agent: its bar goes to the
 * impostors' lanes. The process is the latest of that pid started by then,
 * else the latest of that pid. */
static void note_impostor(struct report *r, const struct diagnosis *d)
{
	struct lifetime *hit = NULL;

	if (!d->pid || (d->cause != CAUSE_AGENT_IMPOSTOR && !d->impostor))
		return;
	for (unsigned i = r->nprocs; i-- > 0;) {
		if (r->procs[i].pid != d->pid)
			continue;
		if (!hit)
			hit = &r->procs[i]; /* the latest, if none started by then (clocks) */
		if (r->procs[i].start_ns <= d->ts_ns) {
			hit = &r->procs[i];
			break;
		}
	}
	if (!hit)
		return;
	hit->impostor = true;
	if (d->cause != CAUSE_AGENT_IMPOSTOR) /* the judgement's own says who and what */
		return;
	hit->uid = d->uid;
	if (d->exe[0])
		snprintf(hit->exe, sizeof(hit->exe), "%.*s", (int)sizeof(d->exe), d->exe);
}

void report_diagnosis(struct report *r, const struct diagnosis *d)
{
	if (!r)
		return;
	note_impostor(r, d);
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

/* The end of a long path, which names the file: "…" and its last max bytes,
 * cut where a UTF-8 character starts. */
static void html_tail(FILE *f, const char *s, size_t len, size_t max)
{
	size_t n = strnlen(s, len), from = 0;

	if (n > max) {
		from = n - max;
		while (from < n && ((unsigned char)s[from] & 0xc0) == 0x80)
			from++;
		fputs("&hellip;", f);
	}
	html_text(f, s + from, n - from);
}

static const char *sev_css(enum severity s)
{
	return s == SEV_CRITICAL ? "crit" : s == SEV_WARNING ? "warn" : "info";
}

static const char *sev_fill(enum severity s)
{
	return s == SEV_CRITICAL ? "#c62828" : s == SEV_WARNING ? "#ef6c00" : "#1565c0";
}

static bool diag_about_impostor(const struct diagnosis *d)
{
	return d->impostor || d->cause == CAUSE_AGENT_IMPOSTOR;
}

/* An outcome of a process judged an impostor while it ran. */
static bool mark_of_impostor(const struct report *r, const struct mark *m)
{
	for (unsigned i = 0; i < r->nprocs; i++) {
		const struct lifetime *p = &r->procs[i];

		if (p->impostor && p->pid == m->pid && p->start_ns <= m->ts_ns && (!p->end_ns || m->ts_ns <= p->end_ns))
			return true;
	}
	return false;
}

/* The timeline's geometry, in the SVG's own units (the viewBox). */
#define TL_X0 190.0         /* where time starts; names left of it */
#define TL_W 760.0          /* the width of the session */
#define TL_ROW 22.0         /* a process or an endpoint */
#define TL_IMP_ROW 34.0     /* an impostor: its label above its bar */
#define TL_TAG_H 14.0       /* a diagnosis label */
#define TL_TAG_ROW 17.0
#define TL_TAG_LANES 8      /* then labels shift right, with a leader */
#define TL_LEGEND_ROW 18.0

struct html_layout {
	unsigned order[MAX_DIAGS];         /* diagnoses by time: the table's rows, #1 first */
	struct label_box tags[MAX_DIAGS];  /* the label of order[i] */
	unsigned tag_lanes;
	double procs_y, imps_y, lanes_y, legend_y, height, vb_width;
	unsigned nagents, nimps;
};

static double tag_width(unsigned num)
{
	return (num >= 100 ? 3 : num >= 10 ? 2 : 1) * 7.0 + 8;
}

static void layout_diags(const struct report *r, struct html_layout *L, uint64_t t0, double span)
{
	unsigned n = 0;

	/* stable, by time: the same input gives the same page, live or replayed */
	for (unsigned i = 0; i < r->ndiags; i++) {
		unsigned j = n++;

		while (j > 0 && r->diags[L->order[j - 1]].ts_ns > r->diags[i].ts_ns) {
			L->order[j] = L->order[j - 1];
			j--;
		}
		L->order[j] = i;
	}
	for (unsigned k = 0; k < n; k++) {
		uint64_t ts = r->diags[L->order[k]].ts_ns;

		L->tags[k].anchor = TL_X0 + TL_W * ((double)(ts > t0 ? ts - t0 : 0) / span);
		L->tags[k].width = tag_width(k + 1);
	}
	int lanes = labels_place(L->tags, n, 3, TL_TAG_LANES);

	if (lanes < 0) { /* cannot happen (sorted, finite): one row, as a fallback */
		for (unsigned k = 0; k < n; k++) {
			L->tags[k].lane = 0;
			L->tags[k].left = L->tags[k].anchor - L->tags[k].width / 2;
		}
		lanes = n ? 1 : 0;
	}
	L->tag_lanes = (unsigned)lanes;
	L->vb_width = TL_X0 + TL_W + 20;
	for (unsigned k = 0; k < n; k++)
		if (L->tags[k].left + L->tags[k].width + 8 > L->vb_width)
			L->vb_width = L->tags[k].left + L->tags[k].width + 8;
}

static void layout(const struct report *r, struct html_layout *L, uint64_t t0, double span)
{
	memset(L, 0, sizeof(*L));
	layout_diags(r, L, t0, span);
	for (unsigned i = 0; i < r->nprocs; i++)
		if (r->procs[i].impostor)
			L->nimps++;
		else
			L->nagents++;
	L->procs_y = 54 + L->tag_lanes * TL_TAG_ROW + 6;
	L->imps_y = L->procs_y + L->nagents * TL_ROW;
	L->lanes_y = L->imps_y + (L->nimps ? 24 + L->nimps * TL_IMP_ROW : 0);
	L->legend_y = L->lanes_y + r->nlanes * TL_ROW + 14;
	L->height = L->legend_y + 3 * TL_LEGEND_ROW + 6;
}

static void html_style(FILE *f)
{
	fputs("<style>\n"
	      "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1000px}\n"
	      "h1{font-size:20px}.verdict{padding:12px;border-left:6px solid #888;background:#f6f6f6;overflow-wrap:anywhere}\n"
	      ".verdict.crit{border-color:#c62828}.verdict.warn{border-color:#ef6c00}.verdict.ok{border-color:#2e7d32}\n"
	      "table{border-collapse:collapse;width:100%;margin:12px 0;table-layout:fixed}\n"
	      "td,th{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}\n"
	      "col.num{width:2.5em}col.time{width:4.5em}col.cause{width:11em}col.count{width:4em}col.fix{width:28%}th{overflow-wrap:normal}\n"
	      "td.num{font-weight:bold}\n"
	      "td.crit{color:#c62828}td.warn{color:#ef6c00}td.info{color:#1565c0}code{font-size:12px;white-space:pre-wrap}\n"
	      "svg#timeline{display:block;width:100%;height:auto}\n"
	      "svg text{font:12px sans-serif}svg text.tag{font:bold 11px sans-serif}\n"
	      "@page{size:A4;margin:12mm}\n"
	      "@media print{body{margin:0;max-width:none;font-size:11px}code{font-size:10px}"
	      "h1{font-size:16px}h2{font-size:14px;break-after:avoid}tr,.verdict,svg#timeline{break-inside:avoid}}\n"
	      "</style>", f);
}

static void html_diag_marks(const struct report *r, FILE *f, const struct html_layout *L)
{
	fputs("<text x=\"4\" y=\"48\">diagnoses</text>\n<g class=\"leaders\">\n", f);
	/* the lines from marks to labels first: labels are drawn over them */
	for (unsigned k = 0; k < r->ndiags; k++) {
		const struct label_box *t = &L->tags[k];

		fprintf(f, "<line x1=\"%.1f\" y1=\"48\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"0.8\"/>\n",
			t->anchor, t->left + t->width / 2, 54 + t->lane * TL_TAG_ROW,
			sev_fill(cause_severity(r->diags[L->order[k]].cause)));
	}
	fputs("</g>\n", f);
	for (unsigned k = 0; k < r->ndiags; k++) {
		const struct diagnosis *d = &r->diags[L->order[k]];
		const struct label_box *t = &L->tags[k];
		const char *color = sev_fill(cause_severity(d->cause));
		double ty = 54 + t->lane * TL_TAG_ROW, tx = t->left + t->width / 2;
		bool imp = diag_about_impostor(d);

		fprintf(f, "<g class=\"diag %s%s\" data-row=\"%u\"><title>#%u %s: ", sev_css(cause_severity(d->cause)),
			imp ? " impostor" : "", k + 1, k + 1, cause_code(d->cause));
		html_text(f, d->summary, sizeof(d->summary));
		/* an impostor's diagnosis is hollow: not the agent's */
		fprintf(f, "</title><path d=\"M%.1f 36 l6 12 h-12 z\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"/>\n",
			t->anchor, imp ? "#fff" : color, color);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" rx=\"3\" fill=\"#fff\" stroke=\"%s\"/>"
			   "<text class=\"tag\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\" fill=\"%s\">%u</text></g>\n",
			t->left, ty, t->width, TL_TAG_H, color, tx, ty + 11, color, k + 1);
	}
}

static void html_proc_bar(FILE *f, const struct lifetime *p, double y, double xs, double xe)
{
	fputs("<text x=\"4\" y=\"", f);
	fprintf(f, "%.0f\">", y + 12);
	html_text(f, p->comm, sizeof(p->comm));
	fprintf(f, " %u</text>\n", p->pid);
	if (p->impostor) {
		fprintf(f, "<text class=\"impostor-label\" x=\"%.1f\" y=\"%.0f\">impostor: ", TL_X0, y + 1);
		if (p->exe[0])
			html_tail(f, p->exe, sizeof(p->exe), 100);
		else
			html_text(f, p->comm, sizeof(p->comm));
		fprintf(f, " (uid %u)</text>\n", p->uid);
	}
	fprintf(f, "<rect class=\"proc%s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"14\" fill=\"%s\"%s><title>pid %u %s",
		p->impostor ? " impostor" : "", xs, y + 2, xe - xs < 2 ? 2 : xe - xs,
		p->impostor ? "url(#hatch)" : "#81c784", p->impostor ? " stroke=\"#616161\"" : "", p->pid,
		p->end_ns ? p->end_label : "running");
	if (p->impostor) {
		fprintf(f, ", uid %u, not the agent: ", p->uid);
		html_text(f, p->exe, sizeof(p->exe));
	}
	fputs("</title></rect>\n", f);
	if (p->end_ns)
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#c62828\" stroke-width=\"2\"/>\n",
			xe, y, xe, y + 18);
}

/* One legend entry at x; returns where the next one starts. */
static double legend_entry(FILE *f, double x, double y, const char *swatch, const char *text)
{
	fprintf(f, "<g transform=\"translate(%.0f %.0f)\">%s<text x=\"18\" y=\"4\">%s</text></g>\n", x, y, swatch, text);
	return x + 18 + strlen(text) * 6.6 + 18;
}

static void html_legend(FILE *f, const struct html_layout *L)
{
	double y = L->legend_y + 9, x = 4;

	fprintf(f, "<g id=\"legend\"><line x1=\"0\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#ccc\"/>\n",
		L->legend_y, L->vb_width, L->legend_y);
	x = legend_entry(f, x, y, "<rect x=\"0\" y=\"-5\" width=\"14\" height=\"10\" fill=\"#81c784\"/>", "agent process");
	x = legend_entry(f, x, y, "<line x1=\"7\" y1=\"-7\" x2=\"7\" y2=\"7\" stroke=\"#c62828\" stroke-width=\"2\"/>",
			 "where it ended");
	legend_entry(f, x, y, "<rect x=\"0\" y=\"-5\" width=\"14\" height=\"10\" fill=\"url(#hatch)\" stroke=\"#616161\"/>",
		     "impostor: a process under the agent's name that is not the agent");
	y += TL_LEGEND_ROW;
	x = legend_entry(f, 4, y, "<path d=\"M7 -6 l6 12 h-12 z\" fill=\"#c62828\"/>", "critical");
	x = legend_entry(f, x, y, "<path d=\"M7 -6 l6 12 h-12 z\" fill=\"#ef6c00\"/>", "warning");
	x = legend_entry(f, x, y, "<path d=\"M7 -6 l6 12 h-12 z\" fill=\"#1565c0\"/>", "info");
	x = legend_entry(f, x, y, "<path d=\"M7 -6 l6 12 h-12 z\" fill=\"#fff\" stroke=\"#ef6c00\" stroke-width=\"1.5\"/>",
			 "about an impostor");
	legend_entry(f, x, y, "<rect x=\"1\" y=\"-7\" width=\"13\" height=\"14\" rx=\"3\" fill=\"#fff\" stroke=\"#c62828\"/>"
			      "<text class=\"tag\" x=\"7.5\" y=\"4\" text-anchor=\"middle\" fill=\"#c62828\">1</text>",
		     "diagnosis: its number is the # of its row in the table below");
	y += TL_LEGEND_ROW;
	x = legend_entry(f, 4, y, "<circle cx=\"7\" cy=\"0\" r=\"5\" fill=\"#2e7d32\"/>", "connected, DNS answer");
	x = legend_entry(f, x, y, "<circle cx=\"7\" cy=\"0\" r=\"5\" fill=\"#c62828\"/>", "failed");
	x = legend_entry(f, x, y, "<circle cx=\"7\" cy=\"0\" r=\"5\" fill=\"#6a1b9a\"/>", "dropped by this host's firewall");
	legend_entry(f, x, y, "<circle cx=\"7\" cy=\"0\" r=\"4\" fill=\"#fff\" stroke=\"#c62828\" stroke-width=\"2\"/>",
		     "an impostor's");
	fputs("</g>\n", f);
}

static void html_timeline(const struct report *r, FILE *f, const struct html_layout *L, uint64_t t_end, double span)
{
	unsigned ia = 0, ii = 0;

#define X(t) (TL_X0 + TL_W * ((double)((t) > r->start_ns ? (t) - r->start_ns : 0) / span))
	/* no width or height: the page's width (a screen, an A4 sheet) scales it */
	fprintf(f, "<h2>Timeline</h2>\n<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" "
		   "viewBox=\"0 0 %.0f %.0f\" preserveAspectRatio=\"xMinYMin meet\">\n", L->vb_width, L->height);
	fputs("<defs><pattern id=\"hatch\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" "
	      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#e0e0e0\"/>"
	      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#757575\" stroke-width=\"3\"/></pattern></defs>\n", f);
	fprintf(f, "<line x1=\"%.0f\" y1=\"30\" x2=\"%.0f\" y2=\"30\" stroke=\"#999\"/>\n", TL_X0, TL_X0 + TL_W);
	for (int i = 0; i <= 4; i++)
		fprintf(f, "<text x=\"%.1f\" y=\"20\" text-anchor=\"%s\">+%.1fs</text>\n", TL_X0 + TL_W * i / 4,
			i == 4 ? "end" : "middle", span / 1e9 * i / 4);
	html_diag_marks(r, f, L);
	for (unsigned i = 0; i < r->nprocs; i++) {
		const struct lifetime *p = &r->procs[i];

		if (!p->impostor)
			html_proc_bar(f, p, L->procs_y + ia++ * TL_ROW, X(p->start_ns), X(p->end_ns ? p->end_ns : t_end));
	}
	if (L->nimps) /* their own lanes, below the agent's */
		fprintf(f, "<line x1=\"0\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#9e9e9e\" stroke-dasharray=\"4 3\"/>\n"
			   "<text class=\"impostors\" x=\"4\" y=\"%.0f\">impostors: not the agent</text>\n",
			L->imps_y + 4, L->vb_width, L->imps_y + 4, L->imps_y + 18);
	for (unsigned i = 0; i < r->nprocs; i++) {
		const struct lifetime *p = &r->procs[i];

		if (p->impostor)
			html_proc_bar(f, p, L->imps_y + 36 + ii++ * TL_IMP_ROW, X(p->start_ns),
				      X(p->end_ns ? p->end_ns : t_end));
	}
	for (unsigned l = 0; l < r->nlanes; l++) {
		double y = L->lanes_y + l * TL_ROW;

		fprintf(f, "<text x=\"4\" y=\"%.0f\">", y + 12);
		html_text(f, r->lanes[l].name, sizeof(r->lanes[l].name));
		fprintf(f, "</text>\n<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#eee\"/>\n",
			TL_X0, y + 9, TL_X0 + TL_W, y + 9);
		for (unsigned i = 0; i < r->nmarks; i++) {
			const struct mark *m = &r->marks[i];
			const char *kind = m->kind == MARK_OK ? "ok" : m->kind == MARK_DROP ? "drop" : "fail";
			const char *color = m->kind == MARK_OK ? "#2e7d32" : m->kind == MARK_DROP ? "#6a1b9a" : "#c62828";
			bool imp;

			if (m->lane != l)
				continue;
			imp = mark_of_impostor(r, m);
			if (imp)
				fprintf(f, "<circle class=\"mark %s impostor\" cx=\"%.1f\" cy=\"%.0f\" r=\"4\" fill=\"#fff\" "
					   "stroke=\"%s\" stroke-width=\"2\"><title>an impostor's: ", kind, X(m->ts_ns), y + 9, color);
			else
				fprintf(f, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%.0f\" r=\"5\" fill=\"%s\"><title>", kind,
					X(m->ts_ns), y + 9, color);
			html_text(f, m->label, sizeof(m->label));
			fputs("</title></circle>\n", f);
		}
	}
	html_legend(f, L);
	fputs("</svg>\n", f);
#undef X
}

static void html_diag_table(const struct report *r, FILE *f, const struct html_layout *L)
{
	fputs("<h2>Diagnoses</h2>\n<table id=\"diagnoses\"><colgroup><col class=\"num\"><col class=\"time\">"
	      "<col class=\"cause\"><col class=\"what\"><col class=\"count\"><col class=\"fix\"></colgroup>\n"
	      "<tr><th>#</th><th>time</th><th>cause</th><th>what</th><th>count</th><th>fix</th></tr>\n", f);
	for (unsigned k = 0; k < r->ndiags; k++) {
		const struct diagnosis *d = &r->diags[L->order[k]];
		char t[16];

		rel(r, d->ts_ns, t, sizeof(t));
		fprintf(f, "<tr id=\"diag-%u\"><td class=\"num\">%u</td><td>%s</td><td class=\"%s\">%s%s</td><td>", k + 1,
			k + 1, t, sev_css(cause_severity(d->cause)), cause_code(d->cause), d->primary ? " (primary)" : "");
		html_text(f, d->summary, sizeof(d->summary));
		if (d->impostor && d->cause != CAUSE_AGENT_IMPOSTOR)
			fputs(" <small>(an impostor's, not the agent's)</small>", f);
		for (unsigned i = 0; i < d->nrules && i < DIAG_MAX_RULES; i++) {
			fputs("<br><code>rule: ", f);
			html_text(f, d->rules[i].table, sizeof(d->rules[i].table));
			fputc(' ', f);
			html_text(f, d->rules[i].chain, sizeof(d->rules[i].chain));
			fprintf(f, " handle %llu: ", (unsigned long long)d->rules[i].handle);
			html_text(f, d->rules[i].text, sizeof(d->rules[i].text));
			fputs("</code>", f);
		}
		if (d->rules_unread[0]) {
			fputs("<br><small>rules: not read (", f);
			html_text(f, d->rules_unread, sizeof(d->rules_unread));
			fputs(")</small>", f);
		}
		fprintf(f, "</td><td>%u</td><td>", d->count);
		html_text(f, diagnosis_advice(d), 2048);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

int report_html(const struct report *r, FILE *f, const struct session_summary *sum, const char *host)
{
	const struct verdict_entry *v = report_verdict(r, sum);
	uint64_t t_end = sum->end_ns > r->last_ns ? sum->end_ns : r->last_ns;
	double span = t_end > r->start_ns ? (double)(t_end - r->start_ns) : 1e9;
	char ts[RFC3339_LEN], te[RFC3339_LEN];
	struct html_layout *L = malloc(sizeof(*L));

	if (!L)
		return -ENOMEM;
	layout(r, L, r->start_ns, span);
	fmt_rfc3339(&r->cm, r->start_ns, ts, sizeof(ts));
	fmt_rfc3339(&r->cm, t_end, te, sizeof(te));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<title>aegismon report</title>\n", f);
	html_style(f);
	fputs("</head><body>\n<h1>aegismon report</h1>\n<p>Host <b>", f);
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
	html_timeline(r, f, L, t_end, span);
	fputs("<p><small>Each diagnosis's triangle carries the number of its row in the table below. "
	      "Green bars: agent processes (a red line where one ended); hatched grey bars below them: "
	      "impostors, processes under the agent's name judged not to be the agent. Dots: connect and DNS "
	      "outcomes per endpoint. Hover for details.</small></p>\n", f);
	html_diag_table(r, f, L);
	fprintf(f, "<h2>Counters</h2>\n<p>%llu events from the kernel, %llu lost, %llu DNS packets "
		   "inspected (%llu for other names), %llu diagnoses%s%s.</p>\n",
		(unsigned long long)sum->events, (unsigned long long)(sum->stats ? sum->stats->events_lost : 0),
		(unsigned long long)sum->dns_seen, (unsigned long long)sum->dns_other,
		(unsigned long long)(sum->stats ? sum->stats->diagnoses : 0),
		r->marks_dropped ? " (the timeline shows the first marks only)" : "",
		r->diags_dropped ? "; the table above left out less severe subjects when it was full" : "");
	fputs("<p><small>aegismon</small></p>\n</body></html>\n", f);
	free(L);
	return ferror(f) ? -1 : 0;
}
