// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Checks of the way to the endpoints: which name applies, DNS per
 * nameserver, hosts-file pins, reachability, local firewall rules. */
#include "check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netprobe.h"
#include "nftexec.h"
#include "nftrules.h"
#include "resolv.h"
#include "timefmt.h"

#define METADATA_IP "100.100.100.200"
#define METADATA_BUDGET_MS 1000   /* the token and the reads together */
#define METADATA_TOKEN_TTL "60"   /* seconds: the check needs it for a moment */
#define PMTU_BUDGET_MS 2500 /* the whole path MTU search, every address at once */

static const char *const public_names[] = { "jsrv.aegis.aliyun.com", "update.aegis.aliyun.com" };
static const char *const internal_names[] = { "jsrv2.aegis.aliyun.com", "update2.aegis.aliyun.com" };

/* Not routable on the internet: private, shared (CGNAT, Alibaba's 100.64/10),
 * loopback, link-local, documentation, benchmarking, multicast. */
static bool ipv4_is_public(const uint8_t *a)
{
	return !(a[0] == 10 || a[0] == 127 || a[0] == 0 || a[0] >= 224 ||
		 (a[0] == 172 && (a[1] & 0xf0) == 16) || (a[0] == 192 && a[1] == 168) ||
		 (a[0] == 100 && (a[1] & 0xc0) == 64) || (a[0] == 169 && a[1] == 254) ||
		 (a[0] == 192 && a[1] == 0 && (a[2] == 0 || a[2] == 2)) ||
		 (a[0] == 198 && (a[1] & 0xfe) == 18) || (a[0] == 198 && a[1] == 51 && a[2] == 100) ||
		 (a[0] == 203 && a[1] == 0 && a[2] == 113));
}

static void set_names(struct check_ctx *c, const char *const *names, int n)
{
	c->nnames = 0;
	for (int i = 0; i < n && i < CHECK_MAX_NAMES; i++)
		snprintf(c->names[c->nnames++], sizeof(c->names[0]), "%s", names[i]);
}

/*
 * The ECS metadata service, read as an instance in security hardening mode
 * (HttpTokens=required) demands: a session token first (PUT
 * /latest/api/token), then every GET with it. A service that gives no token
 * (an older one, normal mode: 404, 405, refused, reset) is read plainly. One
 * token per check run, reused for every read.
 */
struct md_session {
	uint8_t addr[4];
	uint64_t deadline_ns;
	bool started;
	bool with_token;
	int token_err;               /* a timeout asking for it: no read is tried */
	char token[256];
	char no_token[64];           /* why it is read plainly: "HTTP 405", "refused" */
};

static void md_init(struct md_session *s, const struct check_ctx *c)
{
	memset(s, 0, sizeof(*s));
	inet_pton(AF_INET, METADATA_IP, s->addr);
	s->deadline_ns = clock_event_ns() + (uint64_t)check_budget_ms(c, METADATA_BUDGET_MS) * 1000000;
}

static unsigned md_left_ms(const struct md_session *s)
{
	uint64_t now = clock_event_ns();

	return s->deadline_ns > now ? (unsigned)((s->deadline_ns - now) / 1000000) : 0;
}

/* A token goes back in a header: visible ASCII only (no space, CR or LF,
 * no NUL that would cut it short); len bytes of t were received. */
static bool token_usable(char *t, size_t len)
{
	size_t n = strlen(t);

	if (n != len)
		return false;
	while (n && (t[n - 1] == '\n' || t[n - 1] == '\r' || t[n - 1] == ' '))
		t[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
			return false;
	return n > 0;
}

static void md_get_token(struct md_session *s)
{
	const struct http_header ttl = { "X-aliyun-ecs-metadata-token-ttl-seconds", METADATA_TOKEN_TTL };
	const struct http_request req = { .method = "PUT", .host = METADATA_IP, .path = "/latest/api/token",
					   .headers = &ttl, .nheaders = 1 };
	struct http_answer a;
	int rc;

	s->started = true;
	rc = http_request(AF_INET, s->addr, 80, &req, md_left_ms(s), &a, s->token, sizeof(s->token));
	if (rc == 0 && a.status == 200 && !a.body_cut && token_usable(s->token, a.body_len)) {
		s->with_token = true;
		return;
	}
	s->token[0] = '\0';
	if (rc == 0 && a.status == 200)
		snprintf(s->no_token, sizeof(s->no_token), "unusable token (%s)", a.body_cut ? "too long" : "empty or not printable");
	else if (rc == 0)
		snprintf(s->no_token, sizeof(s->no_token), "HTTP %d", a.status);
	else
		snprintf(s->no_token, sizeof(s->no_token), "%s", netprobe_err_name(rc));
	/* a silent service answers no GET either, and the budget is spent */
	if (rc == -ETIMEDOUT)
		s->token_err = rc;
}

/* GET path (with the token once there is one): the HTTP status, the body in
 * body on 200; or -errno. */
static int md_get(struct md_session *s, const char *path, char *body, size_t len)
{
	const struct http_header tok = { "X-aliyun-ecs-metadata-token", s->token };
	struct http_request req = { .method = "GET", .host = METADATA_IP, .path = path };
	struct http_answer a;
	int rc;

	body[0] = '\0';
	if (!s->started)
		md_get_token(s);
	if (s->token_err)
		return s->token_err;
	if (s->with_token) {
		req.headers = &tok;
		req.nheaders = 1;
	}
	rc = http_request(AF_INET, s->addr, 80, &req, md_left_ms(s), &a, body, len);
	if (rc == 0 && a.status != 200)
		body[0] = '\0';
	return rc ? rc : a.status;
}

/* How a read went, for the evidence and the summary: "token" or "plain" when
 * the service answered (200, or 404 for an item it does not have), else
 * what went wrong. */
static const char *md_outcome(const struct md_session *s, int rc, char *buf, size_t len)
{
	if (rc == 200 || rc == 404)
		return s->with_token ? "token" : "plain";
	if ((rc == 401 || rc == 403) && s->with_token)
		snprintf(buf, len, "token refused (HTTP %d)", rc);
	else if (rc == 401 || rc == 403)
		snprintf(buf, len, "refused without a token (HTTP %d; token request: %s)", rc, s->no_token);
	else if (rc > 0)
		snprintf(buf, len, "unexpected answer (HTTP %d)", rc);
	else
		snprintf(buf, len, "%s", netprobe_err_name(rc));
	return buf;
}

/* No public address on an interface: an EIP is NAT'ed, only the ECS
 * metadata service knows it. */
static void endpoint_choice_by_metadata(struct check_ctx *c, struct check_result *r, char *why, size_t whylen)
{
	struct md_session md;
	char body[128], outcome[160], how[96];
	const char *o;
	uint8_t eip[4];
	int rc;

	md_init(&md, c);
	rc = md_get(&md, "/latest/meta-data/eipv4", body, sizeof(body));
	explicit_bzero(md.token, sizeof(md.token)); /* a credential: not left on the stack */
	body[strcspn(body, "\r\n ")] = '\0';
	o = md_outcome(&md, rc, outcome, sizeof(outcome));
	jw_kstr(&r->ev, "metadata", o);
	if (md.started && !md.with_token && !md.token_err)
		jw_kstr(&r->ev, "metadata_token", md.no_token);
	snprintf(how, sizeof(how), "%s", md.with_token ? "with a token" : "without a token");
	if (rc == 200 && body[0] && inet_pton(AF_INET, body, eip) == 1) {
		jw_kstr(&r->ev, "eip", body);
		set_names(c, public_names, 2);
		snprintf(why, whylen, "an EIP (%s, from the ECS metadata service, read %s)", body, how);
		return;
	}
	set_names(c, internal_names, 2);
	if (rc == 200 || rc == 404) {
		jw_key(&r->ev, "eip");
		jw_null(&r->ev);
		snprintf(why, whylen, "no public address (interfaces; metadata service, read %s: no EIP)", how);
		return;
	}
	snprintf(why, whylen, "no public address (interfaces; metadata service: %s)", o);
	if (rc == 401 || rc == 403) {
		/* the service is there and said no: an EIP it knows may be missed */
		check_raise(r, CHECK_WARN);
		snprintf(r->advice, sizeof(r->advice),
			 "The ECS metadata service (" METADATA_IP ") refused the read%s, so an EIP may be missed "
			 "and the internal names chosen. Look for a proxy or a NAT rule on this host that changes "
			 "requests to " METADATA_IP ", or name the endpoints with --server.",
			 md.with_token ? " with the session token it had just given" : " without a token (security hardening mode)");
	}
}

void check_endpoint_choice(struct check_ctx *c, struct check_result *r)
{
	struct ifaddrs *ifa = NULL;
	char pub[64] = "", why[256];

	if (c->o->nservers) {
		set_names(c, c->o->servers, c->o->nservers);
		snprintf(r->summary, sizeof(r->summary), "%s%s%s (given with --server)", c->names[0],
			 c->nnames > 1 ? ", " : "", c->nnames > 1 ? c->names[1] : "");
		jw_kstr(&r->ev, "reason", "--server");
		goto names;
	}
	if (getifaddrs(&ifa) == 0) {
		for (struct ifaddrs *i = ifa; i && !pub[0]; i = i->ifa_next)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
				const uint8_t *a = (const uint8_t *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr;

				if (ipv4_is_public(a))
					snprintf(pub, sizeof(pub), "%u.%u.%u.%u on %s", a[0], a[1], a[2], a[3],
						 i->ifa_name);
			}
		freeifaddrs(ifa);
	}
	if (pub[0]) {
		jw_kstr(&r->ev, "public_address", pub);
		set_names(c, public_names, 2);
		snprintf(why, sizeof(why), "a public address (%s)", pub);
	} else if (!c->o->metadata) {
		set_names(c, internal_names, 2);
		snprintf(why, sizeof(why), "no public address on an interface (metadata not asked)");
	} else {
		endpoint_choice_by_metadata(c, r, why, sizeof(why));
	}
	jw_kstr(&r->ev, "reason", why);
	snprintf(r->summary, sizeof(r->summary), "%s and %s: %s", c->names[0], c->names[1], why);
names:
	jw_key(&r->ev, "names");
	jw_arr_begin(&r->ev);
	for (int i = 0; i < c->nnames; i++)
		jw_str(&r->ev, c->names[i]);
	jw_arr_end(&r->ev);
}

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

/* Did anything at this address answer (an echo, a connect, a reset)? */
static bool addr_answered(const struct icmp_probe *icmp, const struct tcp_probe *tcp)
{
	if (icmp->err == 0)
		return true;
	for (size_t p = 0; p < 2; p++)
		if (tcp[p].err == 0 || tcp[p].err == -ECONNREFUSED)
			return true;
	return false;
}

/* The path MTU search toward every address, after the seed's ping: an
 * address where nothing answered is not searched (a black hole would cost
 * the whole budget for nothing). */
static void run_path_mtu(struct check_ctx *c, const struct icmp_probe *icmp,
			 const struct tcp_probe *tcp, struct pmtu_search *mtu, bool *searched)
{
	for (int i = 0; i < c->naddrs; i++) {
		unsigned ifmtu = 0;

		netprobe_interface_mtu(c->addrs[i].family, c->addrs[i].addr, &ifmtu);
		/* the 1000-byte ping lost: the minimum first, it ends a hopeless search */
		pmtu_search_init(&mtu[i], c->addrs[i].family, c->addrs[i].addr, ifmtu, icmp[i].err != 0);
		searched[i] = addr_answered(&icmp[i], &tcp[(size_t)i * 2]);
		if (!searched[i])
			mtu[i].done = true;
	}
	path_mtu_search(mtu, c->naddrs, check_budget_ms(c, PMTU_BUDGET_MS));
}

static void json_path_mtu(struct jw *w, const struct pmtu_search *m, bool searched)
{
	jw_key(w, "path_mtu");
	jw_obj_begin(w);
	jw_key(w, "interface_mtu");
	if (m->interface_mtu)
		jw_uint(w, m->interface_mtu);
	else
		jw_null(w);
	jw_key(w, "largest_df_packet");
	if (pmtu_largest(m))
		jw_uint(w, pmtu_largest(m));
	else
		jw_null(w);
	jw_key(w, "reported_mtu");
	if (m->reported_mtu)
		jw_uint(w, m->reported_mtu);
	else
		jw_null(w);
	jw_kuint(w, "probes", m->probes);
	jw_kuint(w, "ms", (uint64_t)m->ms);
	if (!searched)
		jw_kstr(w, "result", "not searched: nothing answered");
	else if (!m->interface_mtu)
		jw_kstr(w, "result", "not searched: no route MTU");
	else if (!m->done)
		jw_kstr(w, "result", "cut by the deadline");
	else if (!pmtu_largest(m))
		jw_kstr(w, "result", netprobe_err_name(m->smallest_err));
	jw_obj_end(w);
}

/* The path MTU black hole of the seed's ping: the 1000-byte echo is lost
 * while smaller packets with DF pass, below what the interface sends. */
static bool mtu_blackhole(const struct icmp_probe *icmp, const struct pmtu_search *m)
{
	return icmp->err != 0 && pmtu_largest(m) && pmtu_largest(m) < m->interface_mtu;
}

/* "path MTU 1500 (interface 1500)", or per address when they differ */
static void mtu_note(const struct check_ctx *c, const struct pmtu_search *mtu, char *out, size_t len)
{
	bool same = true;
	int known = 0;

	out[0] = '\0';
	for (int i = 0; i < c->naddrs; i++) {
		if (!pmtu_largest(&mtu[i]))
			continue;
		known++;
		same &= pmtu_largest(&mtu[i]) == pmtu_largest(&mtu[0]) &&
			mtu[i].interface_mtu == mtu[0].interface_mtu && !mtu[i].reported_mtu;
	}
	if (!known)
		return;
	if (same && known == c->naddrs) {
		snprintf(out, len, "path MTU %u (interface %u)", pmtu_largest(&mtu[0]), mtu[0].interface_mtu);
		return;
	}
	snprintf(out, len, "path MTU");
	for (int i = 0, listed = 0; i < c->naddrs; i++) {
		char reported[48] = "";

		if (!pmtu_largest(&mtu[i]))
			continue;
		if (mtu[i].reported_mtu)
			snprintf(reported, sizeof(reported), ", a router reports %u", mtu[i].reported_mtu);
		snprintf(out + strlen(out), len - strlen(out), "%s %s %u (interface %u%s)",
			 listed++ ? "," : "", c->addrs[i].text, pmtu_largest(&mtu[i]),
			 mtu[i].interface_mtu, reported);
	}
}

/* The finding of a black hole: the summary names the MTU, the advice the way out. */
static void mtu_finding(const struct check_ctx *c, const struct icmp_probe *icmp,
			const struct pmtu_search *mtu, char *summary, size_t slen, char *advice, size_t alen)
{
	int first = -1;

	summary[0] = advice[0] = '\0';
	for (int i = 0; i < c->naddrs; i++) {
		char reported[48] = "";

		if (!mtu_blackhole(&icmp[i], &mtu[i]))
			continue;
		if (first < 0)
			first = i;
		if (mtu[i].reported_mtu)
			snprintf(reported, sizeof(reported), ", a router reports MTU %u", mtu[i].reported_mtu);
		snprintf(summary + strlen(summary), slen - strlen(summary),
			 "%sthe path to %s carries packets up to %u bytes only (interface MTU %u%s): "
			 "the 1000-byte ping is lost",
			 summary[0] ? "; " : "", c->addrs[i].text, pmtu_largest(&mtu[i]), mtu[i].interface_mtu,
			 reported);
	}
	if (first < 0)
		return;
	snprintf(advice, alen,
		 "A tunnel, VPN or overlay network on the way carries packets up to %u bytes only. "
		 "Where the ICMP \"fragmentation needed\" (IPv6: \"packet too big\") messages are "
		 "filtered, Path MTU Discovery breaks: the TCP handshake succeeds and full-sized "
		 "segments are lost, so the agent connects and hangs. The official step: "
		 "ping -s 1000 %s. Mitigate with sysctl -w net.ipv4.tcp_mtu_probing=1, a lower "
		 "interface MTU (ip link set dev DEV mtu %u) or MSS clamping on the tunnel; let the "
		 "ICMP errors through to this host.",
		 pmtu_largest(&mtu[first]), c->addrs[first].name, pmtu_largest(&mtu[first]));
}

/* The path MTU in the summary; a black hole makes the check a warning
 * unless it fails already. */
static void add_path_mtu(const struct check_ctx *c, struct check_result *r, const struct icmp_probe *icmp,
			 const struct pmtu_search *mtu)
{
	char finding[400], advice[700], note[300];
	size_t sl = strlen(r->summary);

	mtu_finding(c, icmp, mtu, finding, sizeof(finding), advice, sizeof(advice));
	if (!finding[0] || r->status == CHECK_FAIL) {
		mtu_note(c, mtu, note, sizeof(note));
		if (note[0])
			snprintf(r->summary + sl, sizeof(r->summary) - sl, "; %s", note);
		return;
	}
	if (r->status == CHECK_WARN) { /* TCP 443 too: both findings, the MTU first */
		char old_advice[sizeof(r->advice)];

		snprintf(r->summary + sl, sizeof(r->summary) - sl, "; %s", finding);
		memcpy(old_advice, r->advice, sizeof(old_advice));
		snprintf(r->advice, sizeof(r->advice), "%s %s", advice, old_advice);
		return;
	}
	r->status = CHECK_WARN;
	snprintf(r->summary, sizeof(r->summary), "TCP reachable, but %s", finding);
	snprintf(r->advice, sizeof(r->advice), "%s", advice);
}

void check_reachability(struct check_ctx *c, struct check_result *r)
{
	static const uint16_t ports[] = { 80, 443 };
	struct tcp_probe tcp[CHECK_MAX_ADDRS * 2];
	struct icmp_probe icmp[CHECK_MAX_ADDRS];
	struct pmtu_search mtu[CHECK_MAX_ADDRS];
	bool searched[CHECK_MAX_ADDRS];
	int nt = 0;
	char bad[400] = "", bad443[300] = "", good[300] = "";
	bool name_ok[CHECK_MAX_NAMES] = { false }, any443_fail = false;

	if (!c->naddrs) {
		r->status = CHECK_SKIP;
		snprintf(r->summary, sizeof(r->summary), "no endpoint address resolved (see dns)");
		return;
	}
	for (int i = 0; i < c->naddrs; i++) {
		for (size_t p = 0; p < 2; p++) {
			struct tcp_probe *t = &tcp[nt++];

			memset(t, 0, sizeof(*t));
			t->family = c->addrs[i].family;
			memcpy(t->addr, c->addrs[i].addr, 16);
			t->port = ports[p];
		}
		memset(&icmp[i], 0, sizeof(icmp[i]));
		icmp[i].family = c->addrs[i].family;
		memcpy(icmp[i].addr, c->addrs[i].addr, 16);
		icmp[i].payload = 1000; /* the official step: ping -s 1000 */
	}
	/* both at once: a black-holed network costs one timeout */
	{
		unsigned budget = check_budget_ms(c, c->o->timeout_ms);

		icmp_probe_run(icmp, c->naddrs, budget < 100 ? budget : budget / 2);
		tcp_probe_run(tcp, nt, check_budget_ms(c, c->o->timeout_ms));
	}
	run_path_mtu(c, icmp, tcp, mtu, searched);
	jw_key(&r->ev, "probes");
	jw_arr_begin(&r->ev);
	for (int i = 0; i < c->naddrs; i++) {
		const struct check_addr *a = &c->addrs[i];

		jw_obj_begin(&r->ev);
		jw_kstr(&r->ev, "name", a->name);
		jw_kstr(&r->ev, "address", a->text);
		for (size_t p = 0; p < 2; p++) {
			const struct tcp_probe *t = &tcp[(size_t)i * 2 + p];
			char key[16];

			snprintf(key, sizeof(key), "tcp_%u", t->port);
			jw_key(&r->ev, key);
			jw_obj_begin(&r->ev);
			jw_kstr(&r->ev, "result", netprobe_err_name(t->err));
			jw_kuint(&r->ev, "ms", (uint64_t)t->ms);
			jw_obj_end(&r->ev);
			if (t->err == 0 && t->port == 80) {
				for (int k = 0; k < c->nnames; k++)
					if (!strcmp(c->names[k], a->name))
						name_ok[k] = true;
				snprintf(good + strlen(good), sizeof(good) - strlen(good), "%s%s:80 %.0f ms",
					 good[0] ? ", " : "", a->text, t->ms);
			} else if (t->err && t->port == 80) {
				snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), "%s%s:80 %s",
					 bad[0] ? ", " : "", a->text, netprobe_err_name(t->err));
			} else if (t->err) {
				any443_fail = true;
				snprintf(bad443 + strlen(bad443), sizeof(bad443) - strlen(bad443), "%s%s:443 %s",
					 bad443[0] ? ", " : "", a->text, netprobe_err_name(t->err));
			}
		}
		jw_key(&r->ev, "icmp_1000");
		jw_obj_begin(&r->ev);
		jw_kstr(&r->ev, "result", netprobe_err_name(icmp[i].err));
		jw_kuint(&r->ev, "ms", (uint64_t)icmp[i].ms);
		jw_obj_end(&r->ev);
		json_path_mtu(&r->ev, &mtu[i], searched[i]);
		jw_obj_end(&r->ev);
	}
	jw_arr_end(&r->ev);
	for (int k = 0; k < c->nnames; k++) {
		bool resolved = false;

		for (int i = 0; i < c->naddrs; i++)
			resolved |= !strcmp(c->addrs[i].name, c->names[k]);
		if (resolved && !name_ok[k]) {
			r->status = CHECK_FAIL;
			break;
		}
	}
	if (r->status == CHECK_FAIL) {
		snprintf(r->summary, sizeof(r->summary), "not reachable on TCP 80: %s", bad);
		snprintf(r->advice, sizeof(r->advice),
			 "timeout: a security group, network ACL or cloud firewall drops the traffic (allow "
			 "outbound TCP 80 and 443 to 100.100.0.0/16, 106.11.0.0/16, 100.103.0.0/16); blocked "
			 "locally: this host's firewall or security software (see firewall, third_party); "
			 "refused: a wrong address (hosts file, DNS) or a proxy; unreachable: routing.");
	} else if (any443_fail) {
		r->status = CHECK_WARN;
		snprintf(r->summary, sizeof(r->summary), "TCP 80 reachable (%s); failing: %s", good, bad443);
		snprintf(r->advice, sizeof(r->advice),
			 "Allow outbound TCP 443 to the endpoints as well: updates and some channels use it.");
	} else {
		snprintf(r->summary, sizeof(r->summary), "reachable: %s", good);
	}
	add_path_mtu(c, r, icmp, mtu);
}

/* The local address the kernel would use toward addr: rules may match it. */
static void local_source(int family, const uint8_t *addr, uint8_t *out)
{
	struct sockaddr_storage ss, me;
	socklen_t sl, ml = sizeof(me);
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	memset(out, 0, 16);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(80);
		memcpy(&s6->sin6_addr, addr, 16);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(80);
		memcpy(&s4->sin_addr, addr, 4);
		sl = sizeof(*s4);
	}
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0 && getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
		memcpy(out, family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)&me)->sin6_addr
					       : (void *)&((struct sockaddr_in *)&me)->sin_addr,
		       family == AF_INET6 ? 16 : 4);
	close(fd);
}

struct fw_target {
	int family;
	uint8_t addr[16];
	char text[64];
};

void check_firewall(struct check_ctx *c, struct check_result *r)
{
	struct fw_target targets[CHECK_MAX_ADDRS + ENDPOINT_MAX_CIDRS];
	static const uint16_t ports[] = { 80, 443 };
	char *json = NULL, *text = NULL, first[400] = "", legacy[128] = "";
	size_t jlen = 0, tlen = 0;
	unsigned drops = 0, uncertain = 0;
	int nt = 0, rc;
	FILE *f;

	/* the resolved addresses, and one address of every configured CIDR */
	for (int i = 0; i < c->naddrs; i++) {
		targets[nt].family = c->addrs[i].family;
		memcpy(targets[nt].addr, c->addrs[i].addr, 16);
		snprintf(targets[nt].text, sizeof(targets[nt].text), "%s", c->addrs[i].text);
		nt++;
	}
	for (int i = 0; i < c->o->endpoints.ncidrs; i++) {
		const struct cidr *cd = &c->o->endpoints.cidrs[i];
		struct fw_target *t = &targets[nt];
		unsigned last = cd->family == AF_INET6 ? 15 : 3;
		char a[64];

		t->family = cd->family;
		memcpy(t->addr, cd->addr, 16);
		if (cd->prefixlen < (cd->family == AF_INET6 ? 128u : 32u))
			t->addr[last] |= 1; /* a host inside the range */
		snprintf(t->text, sizeof(t->text), "%s (in %s/%u)", addr_str(t->family, t->addr, a, sizeof(a)),
			 addr_str(cd->family, cd->addr, a, sizeof(a)), cd->prefixlen);
		nt++;
	}
	/* iptables-legacy tables live beside nftables and nft does not show them */
	f = fopen("/proc/net/ip_tables_names", "re");
	if (f) {
		size_t n = fread(legacy, 1, sizeof(legacy) - 1, f);

		legacy[n] = '\0';
		for (char *p = legacy; *p; p++)
			if (*p == '\n')
				*p = ' ';
		fclose(f);
	}
	rc = nft_ruleset_read_within(-1, NFT_CHECK_TIMEOUT_MS, &json, &jlen, &text, &tlen);
	if (rc) {
		jw_kstr(&r->ev, "nft", rc == -ENOENT ? "nft not installed" : strerror(-rc));
	} else {
		jw_key(&r->ev, "rules");
		jw_arr_begin(&r->ev);
		for (int i = 0; i < nt; i++) {
			for (size_t p = 0; p < 2; p++) {
				for (int dir = 0; dir < 2; dir++) {
					struct nft_tuple tu = { .family = targets[i].family, .l4proto = IPPROTO_TCP };
					struct nft_rule_match m[4];
					uint8_t local[16];
					int nm;

					local_source(targets[i].family, targets[i].addr, local);
					if (dir == 0) { /* the SYN out */
						tu.dir = NFT_DIR_OUTPUT;
						memcpy(tu.daddr, targets[i].addr, 16);
						memcpy(tu.saddr, local, 16);
						tu.dport = ports[p];
						tu.sport = 40000;
					} else { /* the reply in */
						tu.dir = NFT_DIR_INPUT;
						memcpy(tu.saddr, targets[i].addr, 16);
						memcpy(tu.daddr, local, 16);
						tu.sport = ports[p];
						tu.dport = 40000;
					}
					nm = nft_rules_match(json, jlen, &tu, m, 4);
					if (nm > 0)
						nft_rules_attach_text(text, tlen, m, nm);
					for (int k = 0; k < nm; k++) {
						jw_obj_begin(&r->ev);
						jw_kstr(&r->ev, "target", targets[i].text);
						jw_kuint(&r->ev, "port", ports[p]);
						jw_kstr(&r->ev, "direction", dir ? "reply in" : "out");
						jw_kstr(&r->ev, "family", m[k].family);
						jw_kstr(&r->ev, "table", m[k].table);
						jw_kstr(&r->ev, "chain", m[k].chain);
						jw_kstr(&r->ev, "hook", m[k].hook);
						jw_kuint(&r->ev, "handle", m[k].handle);
						jw_kstr(&r->ev, "verdict", m[k].verdict);
						jw_kstr(&r->ev, "rule", m[k].text);
						jw_kbool(&r->ev, "certain", m[k].certain);
						jw_obj_end(&r->ev);
						if (m[k].certain)
							drops++;
						else
							uncertain++;
						if (!first[0])
							snprintf(first, sizeof(first), "%s %s %s handle %llu: %s (%s %s:%u)",
								 m[k].family, m[k].table, m[k].chain,
								 (unsigned long long)m[k].handle, m[k].text,
								 dir ? "replies from" : "to", targets[i].text, ports[p]);
					}
				}
			}
		}
		jw_arr_end(&r->ev);
	}
	if (legacy[0])
		jw_kstr(&r->ev, "iptables_legacy_tables", legacy);
	free(json);
	free(text);
	if (drops || uncertain) {
		r->status = drops ? CHECK_FAIL : CHECK_WARN;
		snprintf(r->summary, sizeof(r->summary), "%u rule%s %s Aegis traffic: %s", drops + uncertain,
			 drops + uncertain == 1 ? "" : "s", drops ? "drop" : "may drop", first);
		snprintf(r->advice, sizeof(r->advice),
			 "Delete the rule (nft delete rule FAMILY TABLE CHAIN handle N) or add an accept "
			 "before it for TCP 80/443 to the Aegis endpoints; find out who added it (a hardening "
			 "script, security software, malware).");
	} else if (rc && !legacy[0]) {
		r->status = CHECK_SKIP;
		snprintf(r->summary, sizeof(r->summary), "nftables not readable (%s)",
			 rc == -ENOENT ? "nft not installed" : strerror(-rc));
	} else {
		snprintf(r->summary, sizeof(r->summary), "no nftables rule drops TCP 80/443 to or from the endpoints");
	}
	if (legacy[0] && !drops) {
		check_raise(r, CHECK_WARN);
		snprintf(r->summary + strlen(r->summary), sizeof(r->summary) - strlen(r->summary),
			 "; legacy iptables tables loaded (%s): not read", legacy);
		if (!r->advice[0])
			snprintf(r->advice, sizeof(r->advice),
				 "Look for DROP/REJECT rules to the endpoints with 'iptables-legacy -S' and "
				 "'ip6tables-legacy -S'.");
	}
}
