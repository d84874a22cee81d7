// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* What the Aegis names resolve to (the dns and hosts_file checks): a query to
 * every nameserver, the system resolver's answer, the hosts-file pins. */
#include "check.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "netprobe.h"
#include "resolv.h"

static void add_addr(struct check_ctx *c, int family, const uint8_t *addr, const char *name)
{
	struct check_addr *a;

	for (int i = 0; i < c->naddrs; i++)
		if (c->addrs[i].family == family && !memcmp(c->addrs[i].addr, addr, family == AF_INET6 ? 16 : 4))
			return;
	if (c->naddrs >= CHECK_MAX_ADDRS)
		return;
	a = &c->addrs[c->naddrs++];
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->addr, addr, family == AF_INET6 ? 16 : 4);
	snprintf(a->name, sizeof(a->name), "%s", name);
	addr_str(family, addr, a->text, sizeof(a->text));
}

static const char *probe_outcome(const struct dns_probe *p)
{
	if (p->err)
		return netprobe_err_name(p->err);
	return dns_rcode_name(p->reply.rcode);
}

/* the system's own answer (hosts file, nsswitch), bounded by the budget */
static void system_resolve(struct check_ctx *c, struct check_result *r, unsigned budget_ms)
{
	struct gaicb reqs[CHECK_MAX_NAMES], *list[CHECK_MAX_NAMES];
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct timespec ts = { budget_ms / 1000, (long)(budget_ms % 1000) * 1000000L };
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	int n = c->nnames;

	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < n; i++) {
		reqs[i].ar_name = c->names[i];
		reqs[i].ar_request = &hints;
		list[i] = &reqs[i];
	}
	jw_key(&r->ev, "system_resolver");
	jw_obj_begin(&r->ev);
	if (getaddrinfo_a(GAI_NOWAIT, list, n, &sev)) {
		jw_obj_end(&r->ev);
		return;
	}
	for (int i = 0; i < n; i++)
		while (gai_error(&reqs[i]) == EAI_INPROGRESS && gai_suspend((const struct gaicb *const *)&list[i], 1, &ts) == EAI_AGAIN)
			break;
	for (int i = 0; i < n; i++) {
		int e = gai_error(&reqs[i]);

		jw_key(&r->ev, c->names[i]);
		if (e == EAI_INPROGRESS) {
			gai_cancel(&reqs[i]);
			jw_str(&r->ev, "timeout");
			continue;
		}
		if (e) {
			jw_str(&r->ev, gai_strerror(e));
			continue;
		}
		jw_arr_begin(&r->ev);
		for (struct addrinfo *ai = reqs[i].ar_result; ai; ai = ai->ai_next) {
			char t[64];
			const uint8_t *a = ai->ai_family == AF_INET6
						   ? (const uint8_t *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
						   : (const uint8_t *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;

			jw_str(&r->ev, addr_str(ai->ai_family, a, t, sizeof(t)));
			/* a pin to a sinkhole is the hosts_file check's finding */
			if (!addr_is_sink(ai->ai_family, a))
				add_addr(c, ai->ai_family, a, c->names[i]);
		}
		jw_arr_end(&r->ev);
		freeaddrinfo(reqs[i].ar_result);
	}
	jw_obj_end(&r->ev);
}

void check_dns(struct check_ctx *c, struct check_result *r)
{
	static struct dns_probe probes[RESOLV_MAX_NS * CHECK_MAX_NAMES];
	struct resolv_conf rc;
	char text[65536];
	size_t len = check_read_file(c->o->resolv_conf, text, sizeof(text));
	int n = 0, failed_names = 0, partial_names = 0;
	char detail[400] = "";

	resolv_conf_parse(text, len, &rc);
	if (rc.nns == 0) { /* glibc's default */
		rc.nns = 1;
		rc.ns[0].family = AF_INET;
		inet_pton(AF_INET, "127.0.0.1", rc.ns[0].addr);
		snprintf(rc.ns[0].text, sizeof(rc.ns[0].text), "127.0.0.1 (no nameserver line)");
	}
	jw_kstr(&r->ev, "resolv_conf", c->o->resolv_conf);
	jw_key(&r->ev, "nameservers");
	jw_arr_begin(&r->ev);
	for (int i = 0; i < rc.nns; i++)
		jw_str(&r->ev, rc.ns[i].text);
	jw_arr_end(&r->ev);
	if (c->nnames == 0) {
		r->status = CHECK_SKIP;
		snprintf(r->summary, sizeof(r->summary), "no names to resolve");
		return;
	}
	for (int k = 0; k < c->nnames; k++)
		for (int i = 0; i < rc.nns; i++) {
			struct dns_probe *p = &probes[n++];

			memset(p, 0, sizeof(*p));
			p->family = rc.ns[i].family;
			memcpy(p->server, rc.ns[i].addr, 16);
			p->port = 53;
			p->qtype = DNS_T_A;
			snprintf(p->name, sizeof(p->name), "%s", c->names[k]);
		}
	dns_probe_run(probes, n, check_budget_ms(c, c->o->timeout_ms));

	jw_key(&r->ev, "queries");
	jw_arr_begin(&r->ev);
	for (int k = 0; k < c->nnames; k++) {
		int good = 0, sink = 0;
		char bad[200] = "";

		for (int i = 0; i < rc.nns; i++) {
			struct dns_probe *p = &probes[k * rc.nns + i];
			int addrs = 0;

			jw_obj_begin(&r->ev);
			jw_kstr(&r->ev, "name", p->name);
			jw_kstr(&r->ev, "server", rc.ns[i].text);
			jw_kstr(&r->ev, "result", probe_outcome(p));
			jw_kuint(&r->ev, "ms", (uint64_t)p->ms);
			jw_key(&r->ev, "answers");
			jw_arr_begin(&r->ev);
			for (unsigned a = 0; !p->err && a < p->reply.nanswers; a++) {
				const struct dns_answer *an = &p->reply.answers[a];
				char t[64];

				if (!an->family)
					continue;
				jw_str(&r->ev, addr_str(an->family, an->addr, t, sizeof(t)));
				addrs++;
				if (addr_is_sink(an->family, an->addr))
					sink++;
				else
					add_addr(c, an->family, an->addr, p->name);
			}
			jw_arr_end(&r->ev);
			jw_obj_end(&r->ev);
			if (!p->err && p->reply.rcode == DNS_RC_NOERROR && addrs)
				good++;
			else
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s %s",
					 bad[0] ? ", " : "", rc.ns[i].text,
					 !p->err && p->reply.rcode == DNS_RC_NOERROR ? "no address" : probe_outcome(p));
		}
		if (sink) {
			failed_names++;
			snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail),
				 "%s%s resolves to a sinkhole (0.0.0.0/loopback)", detail[0] ? "; " : "", c->names[k]);
		} else if (!good) {
			failed_names++;
			snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), "%s%s: %s",
				 detail[0] ? "; " : "", c->names[k], bad);
		} else if (bad[0]) {
			partial_names++;
			snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), "%s%s: %s",
				 detail[0] ? "; " : "", c->names[k], bad);
		}
	}
	jw_arr_end(&r->ev);
	system_resolve(c, r, check_budget_ms(c, 1000));

	if (failed_names) {
		r->status = CHECK_FAIL;
		snprintf(r->summary, sizeof(r->summary), "%s", detail);
		snprintf(r->advice, sizeof(r->advice),
			 "The agent cannot resolve its endpoints through these nameservers. NXDOMAIN/REFUSED: "
			 "the nameserver or a DNS filter blocks the Aegis names; timeout/unreachable: the "
			 "nameserver is down or filtered (UDP/TCP 53). On Alibaba Cloud use the VPC DNS "
			 "100.100.2.136 and 100.100.2.138 in /etc/resolv.conf.");
	} else if (partial_names) {
		r->status = CHECK_WARN;
		snprintf(r->summary, sizeof(r->summary), "resolved, but not by every nameserver: %s", detail);
		snprintf(r->advice, sizeof(r->advice),
			 "A failing nameserver slows every lookup by the resolver timeout (%us) and fails "
			 "it when it is tried first: fix or remove it in %s.", rc.timeout_s, c->o->resolv_conf);
	} else {
		snprintf(r->summary, sizeof(r->summary), "%d name%s resolved by all %d nameserver%s",
			 c->nnames, c->nnames == 1 ? "" : "s", rc.nns, rc.nns == 1 ? "" : "s");
	}
}

struct hosts_scan {
	struct check_ctx *c;
	struct check_result *r;
	struct domain_set doms;
	unsigned sink, elsewhere, endpoint;
	char first[200];
};

static int hosts_entry(const struct hosts_entry *e, void *ctx)
{
	struct hosts_scan *s = ctx;
	const char *verdict;

	if (!domains_match(&s->doms, e->name))
		return 0;
	if (addr_is_sink(e->family, e->addr)) {
		verdict = "sinkhole";
		if (!s->sink++ && !s->first[0])
			snprintf(s->first, sizeof(s->first), "line %u: %s %s", e->line, e->addr_text, e->name);
	} else if (endpoints_contains(&s->c->o->endpoints, e->family, e->addr)) {
		verdict = "aegis_endpoint";
		s->endpoint++;
	} else {
		verdict = "elsewhere";
		s->elsewhere++;
		if (!s->sink && !s->first[0])
			snprintf(s->first, sizeof(s->first), "line %u: %s %s", e->line, e->addr_text, e->name);
	}
	jw_obj_begin(&s->r->ev);
	jw_kuint(&s->r->ev, "line", e->line);
	jw_kstr(&s->r->ev, "address", e->addr_text);
	jw_kstr(&s->r->ev, "name", e->name);
	jw_kstr(&s->r->ev, "verdict", verdict);
	jw_obj_end(&s->r->ev);
	return 0;
}

void check_hosts_file(struct check_ctx *c, struct check_result *r)
{
	struct hosts_scan s = { .c = c, .r = r };
	static char text[1 << 20];
	size_t len = check_read_file(c->o->hosts, text, sizeof(text));

	domains_defaults(&s.doms);
	jw_kstr(&r->ev, "file", c->o->hosts);
	jw_key(&r->ev, "entries");
	jw_arr_begin(&r->ev);
	hosts_parse(text, len, hosts_entry, &s);
	jw_arr_end(&r->ev);
	if (s.sink) {
		r->status = CHECK_FAIL;
		snprintf(r->summary, sizeof(r->summary), "%s pins an Aegis name to a sinkhole (%s)",
			 c->o->hosts, s.first);
		snprintf(r->advice, sizeof(r->advice),
			 "Pinning the Aegis names to 0.0.0.0 or loopback in /etc/hosts is what mining "
			 "malware does to cut the agent off: remove the line, then look for the malware "
			 "(new cron jobs, unknown processes, /etc/ld.so.preload) before restarting the agent.");
	} else if (s.elsewhere) {
		r->status = CHECK_WARN;
		snprintf(r->summary, sizeof(r->summary), "%s pins an Aegis name outside the endpoint ranges (%s)",
			 c->o->hosts, s.first);
		snprintf(r->advice, sizeof(r->advice),
			 "A pinned address goes stale when Alibaba Cloud moves the endpoint. Keep a pin only "
			 "for a documented leased-line or proxy setup; otherwise remove it.");
	} else if (s.endpoint) {
		snprintf(r->summary, sizeof(r->summary), "%u Aegis name%s pinned to endpoint addresses (leased line or proxy setup)",
			 s.endpoint, s.endpoint == 1 ? "" : "s");
	} else {
		snprintf(r->summary, sizeof(r->summary), "no Aegis name in %s", c->o->hosts);
	}
}
