// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* DNS correlation: lookups of Aegis names, their answers or their silence. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "correlate_int.h"
#include "endpoints.h"
#include "signals.h"
#include "stderrlog.h"

static const struct domain_set *domains(const struct correlator *c)
{
	static struct domain_set defaults;

	if (c->cfg.domains)
		return c->cfg.domains;
	if (defaults.n == 0)
		domains_defaults(&defaults);
	return &defaults;
}

static size_t alen(unsigned family)
{
	return family == AF_INET6 ? 16 : 4;
}

static void server_str(const struct aegis_tuple *server_side, char *buf, size_t len)
{
	char a[64];

	bool v6 = server_side->family == AF_INET6;

	snprintf(buf, len, "%s%s%s:%u/%s", v6 ? "[" : "",
		 addr_str(server_side->family, server_side->daddr, a, sizeof(a)), v6 ? "]" : "",
		 server_side->dport, server_side->proto == 6 ? "tcp" : "udp");
}

/* A DNS diagnosis: the subject is the process that asked, the peer the server. */
static struct diagnosis *dns_diag(struct correlator *c, enum cause cause, const struct dns_pending *q,
				  const struct aegis_tuple *server, const char *qname, uint16_t qtype)
{
	struct diagnosis *d = diag_begin(c, cause, q && q->tgid ? proc_find(c, q->tgid) : NULL);

	if (q && q->tgid && !d->pid) {
		d->pid = q->tgid;
		memcpy(d->comm, q->comm, sizeof(d->comm));
		snprintf(d->process, sizeof(d->process), "%s", q->comm);
	} else if (!d->process[0]) {
		snprintf(d->process, sizeof(d->process), "resolver");
	}
	d->has_peer = true;
	d->is_dns = true;
	d->peer = *server;
	snprintf(d->qname, sizeof(d->qname), "%s", qname ? qname : "");
	d->qtype = qtype;
	return d;
}

/* ---- queries waiting for their answer ----
 * A fixed table: a hash of (id, ports, namespace) finds the query an answer
 * belongs to in O(1), an age list gives the oldest up when the table is full,
 * and a free list reuses slots. Nothing is allocated per packet. */

/* The socket a DNS message left or arrived on (its cookie, from the kernel):
 * an answer counts only on its query's socket, which no other socket or
 * namespace can send to. 0 in recordings made before ABI 3. */
static uint64_t dns_socket(const struct ev *e)
{
	return e->dns.sock_cookie;
}

static struct dns_pending *pending_slot(struct correlator *c, uint16_t ref)
{
	return ref ? &c->dns_pending[ref - 1] : NULL;
}

static uint16_t pending_ref(const struct correlator *c, const struct dns_pending *p)
{
	return (uint16_t)(p - c->dns_pending + 1);
}

static unsigned pending_bucket(uint64_t sock, uint16_t id, uint16_t cport, uint16_t sport)
{
	uint32_t h = (uint32_t)id * 0x9e3779b1u ^ (uint32_t)cport * 0x85ebca77u ^
		     (uint32_t)sport * 0xc2b2ae3du ^ (uint32_t)(sock ^ sock >> 32) * 0x27d4eb2fu;

	h ^= h >> 15;
	return h & (DNS_PENDING_BUCKETS - 1);
}

/* The query that left on this socket (tuple as the query left: client ->
 * server) with this id, or NULL. */
static struct dns_pending *pending_find(struct correlator *c, uint64_t sock,
					const struct aegis_tuple *client_view, uint16_t id)
{
	size_t n = alen(client_view->family);
	struct dns_pending *p;

	for (p = pending_slot(c, c->dns_buckets[pending_bucket(sock, id, client_view->sport,
								client_view->dport)]);
	     p; p = pending_slot(c, p->hnext)) {
		if (p->id == id && p->sock == sock && p->tuple.family == client_view->family &&
		    p->tuple.proto == client_view->proto && p->tuple.sport == client_view->sport &&
		    p->tuple.dport == client_view->dport && !memcmp(p->tuple.saddr, client_view->saddr, n) &&
		    !memcmp(p->tuple.daddr, client_view->daddr, n))
			return p;
	}
	return NULL;
}

static void pending_remove(struct correlator *c, struct dns_pending *p)
{
	uint16_t ref = pending_ref(c, p);
	uint16_t *link = &c->dns_buckets[pending_bucket(p->sock, p->id, p->tuple.sport, p->tuple.dport)];

	while (*link && *link != ref)
		link = &pending_slot(c, *link)->hnext;
	if (*link)
		*link = p->hnext;
	if (p->older)
		pending_slot(c, p->older)->newer = p->newer;
	else
		c->dns_oldest = p->newer;
	if (p->newer)
		pending_slot(c, p->newer)->older = p->older;
	else
		c->dns_newest = p->older;
	memset(p, 0, sizeof(*p));
	p->hnext = c->dns_free;
	c->dns_free = ref;
}

/* A free slot; when there is none the oldest query gives way (counted). */
static struct dns_pending *pending_take_slot(struct correlator *c)
{
	struct dns_pending *p = pending_slot(c, c->dns_free);

	if (p) {
		c->dns_free = p->hnext;
		return p;
	}
	if (c->dns_slots_used < DNS_PENDING)
		return &c->dns_pending[c->dns_slots_used++];
	p = pending_slot(c, c->dns_oldest);
	pending_remove(c, p);
	c->stats.dns.queries_evicted++;
	return pending_take_slot(c);
}

static void pending_add(struct correlator *c, const struct ev *e, const struct dns_msg *m)
{
	uint64_t sock = dns_socket(e);
	struct dns_pending *slot;
	uint16_t ref, *head;

	/* a retransmission (same socket, same id) is the same lookup: its
	 * timeout runs from the first try, and one answer ends it */
	if (pending_find(c, sock, &e->dns.tuple, m->id))
		return;
	slot = pending_take_slot(c);
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	slot->ts_ns = e->hdr.ts_ns;
	slot->tuple = e->dns.tuple;
	slot->sock = sock;
	slot->netns = e->dns.netns;
	slot->id = m->id;
	slot->qtype = m->qtype;
	slot->qclass = m->qclass;
	slot->tgid = e->hdr.tgid;
	memcpy(slot->comm, e->hdr.comm, sizeof(slot->comm));
	snprintf(slot->qname, sizeof(slot->qname), "%s", m->qname);
	ref = pending_ref(c, slot);
	head = &c->dns_buckets[pending_bucket(sock, m->id, slot->tuple.sport, slot->tuple.dport)];
	slot->hnext = *head;
	*head = ref;
	slot->older = c->dns_newest;
	if (c->dns_newest)
		pending_slot(c, c->dns_newest)->newer = ref;
	else
		c->dns_oldest = ref;
	c->dns_newest = ref;
}

/* The query this answer (arriving: server -> client) answers: the same
 * socket (its cookie, and its addresses and ports reversed), id and
 * question, within the query's lifetime. NULL with the reason otherwise. */
static struct dns_pending *answered_query(struct correlator *c, const struct ev *e,
					  const struct dns_msg *m, const char **why)
{
	const struct aegis_tuple *t = &e->dns.tuple;
	struct aegis_tuple client_view;
	struct dns_pending *q;

	memset(&client_view, 0, sizeof(client_view));
	client_view.family = t->family;
	client_view.proto = t->proto;
	memcpy(client_view.saddr, t->daddr, 16);
	memcpy(client_view.daddr, t->saddr, 16);
	client_view.sport = t->dport;
	client_view.dport = t->sport;
	q = pending_find(c, dns_socket(e), &client_view, m->id);
	if (!q) {
		*why = "no query we saw leave has its socket and id";
		return NULL;
	}
	/* names are lowercase from the parser; case folded again all the same */
	if (q->qtype != m->qtype || q->qclass != m->qclass || strcasecmp(q->qname, m->qname)) {
		*why = "its question is not the query's";
		return NULL;
	}
	/* the query stays: its tick reports the timeout */
	if (e->hdr.ts_ns > q->ts_ns && e->hdr.ts_ns - q->ts_ns >= c->cfg.dns_timeout_ns) {
		*why = "it came after the query's timeout";
		return NULL;
	}
	return q;
}

/* Counted always; said at most once a minute, naming where it came from. */
static void unmatched_answer(struct correlator *c, const struct ev *e, const struct dns_msg *m,
			     const char *why)
{
	const struct aegis_tuple *t = &e->dns.tuple;
	struct aegis_tuple from;
	char src[96];

	c->stats.dns.answers_unmatched++;
	if (c->dns_warned && c->now_ns - c->dns_warned_ns < DNS_WARN_INTERVAL_NS)
		return;
	c->dns_warned = true;
	c->dns_warned_ns = c->now_ns;
	memset(&from, 0, sizeof(from));
	from.family = t->family;
	from.proto = t->proto;
	memcpy(from.daddr, t->saddr, 16);
	from.dport = t->sport;
	server_str(&from, src, sizeof(src));
	stderr_say(LOG_WARNING,
		"aegismon: warning: DNS answer from %s for %s ignored: %s (%llu ignored so far; "
		"said at most once a minute)\n",
		src, m->qname, why, (unsigned long long)c->stats.dns.answers_unmatched);
}

static void remember_name(struct correlator *c, int family, const uint8_t *addr, const char *qname)
{
	struct dns_name *slot = NULL;

	for (int i = 0; i < DNS_NAMES; i++) {
		struct dns_name *n = &c->dns_names[i];

		if (n->family == family && !memcmp(n->addr, addr, alen((unsigned)family))) {
			slot = n;
			break;
		}
		if (!slot || n->last_ns < slot->last_ns)
			slot = n;
	}
	slot->family = family;
	memcpy(slot->addr, addr, alen((unsigned)family));
	slot->last_ns = c->now_ns;
	snprintf(slot->qname, sizeof(slot->qname), "%s", qname);
	if ((unsigned)(slot - c->dns_names) >= c->dns_names_used)
		c->dns_names_used = (unsigned)(slot - c->dns_names) + 1;
}

const char *dns_name_of(const struct correlator *c, int family, const uint8_t *addr)
{
	/* the slots past dns_names_used were never written: no name there */
	for (unsigned i = 0; i < c->dns_names_used; i++) {
		const struct dns_name *n = &c->dns_names[i];

		if (n->family == family && n->qname[0] && !memcmp(n->addr, addr, alen((unsigned)family)))
			return n->qname;
	}
	return NULL;
}

/* A matched answer's address: the kernel set learns it for its TTL. A full
 * set is counted, and said once. */
static void learn_address(struct correlator *c, const struct dns_answer *an, const char *qname)
{
	char a[64];
	int rc = learned_add(&c->learned, an->family, an->addr, an->ttl, c->now_ns);

	c->stats.dns.learned = c->learned.n;
	if (rc == 1 && c->cfg.learn)
		c->cfg.learn(c->cfg.learn_ctx, an->family, an->addr, an->ttl, qname);
	if (rc != -ENOSPC)
		return;
	c->stats.dns.learned_full++;
	if (c->learned_full_said)
		return;
	c->learned_full_said = true;
	stderr_say(LOG_WARNING,
		"aegismon: warning: the learned endpoint set is full (%d addresses): %s (%s) and "
		"later addresses are not learned until learned ones expire (counted in "
		"learned_full)\n",
		LEARNED_MAX, addr_str(an->family, an->addr, a, sizeof(a)), qname);
}

/* A configured endpoint of exactly this one address: its kernel entry is the
 * same key as the learned one, and configured endpoints never expire. */
static bool configured_host(const struct correlator *c, int family, const uint8_t *addr)
{
	const struct endpoint_set *eps = c->cfg.endpoints;
	unsigned full = family == AF_INET6 ? 128 : 32;

	for (int i = 0; eps && i < eps->ncidrs; i++)
		if (eps->cidrs[i].prefixlen == full && cidr_contains(&eps->cidrs[i], family, addr))
			return true;
	return false;
}

static void forget_address(void *ctx, int family, const uint8_t *addr)
{
	struct correlator *c = ctx;

	c->stats.dns.learned_expired++;
	if (c->cfg.forget && !configured_host(c, family, addr))
		c->cfg.forget(c->cfg.forget_ctx, family, addr);
}

static void on_answer(struct correlator *c, const struct ev *e, const struct dns_msg *m,
		      const struct dns_pending *q, const struct aegis_tuple *server)
{
	char srv[96], a[64];
	struct diagnosis *d;

	for (unsigned i = 0; i < m->nanswers; i++) {
		const struct dns_answer *an = &m->answers[i];

		if (!an->family)
			continue;
		if (addr_is_sink(an->family, an->addr)) {
			d = dns_diag(c, CAUSE_ENDPOINT_SINKHOLED, q, server, m->qname, m->qtype);
			server_str(server, srv, sizeof(srv));
			snprintf(d->summary, sizeof(d->summary), "%s resolves to %s (answer from %s)",
				 m->qname, addr_str(an->family, an->addr, a, sizeof(a)), srv);
			diag_add_evidence(d, e);
			emit(c, d, m->qname);
			continue;
		}
		remember_name(c, an->family, an->addr, m->qname);
		learn_address(c, an, m->qname);
		active_name_up(c, m->qname); /* it resolves: its failures end */
	}
}

/* A query counts when the agent sent it, or it left a network namespace the
 * agent lives in (a user's lookups in its own namespace are its own
 * business); one whose sender's namespace is unknown (sent from a timer, a
 * recording before ABI 3) is given the benefit of the doubt. */
static bool query_concerns_agent(struct correlator *c, const struct ev *e)
{
	const struct proc *p = e->hdr.tgid ? proc_find(c, e->hdr.tgid) : NULL;
	bool agent = p && (p->ident == IDENT_AGENT || p->ident == IDENT_UNVERIFIED);

	if (!e->dns.netns)
		return true;
	if (net_concerns_agent(c, agent ? AEGIS_NET_AGENT : 0, e->dns.netns))
		return true;
	c->stats.dns.queries_elsewhere++;
	return false;
}

void dns_on_message(struct correlator *c, const struct ev *e)
{
	const struct aegis_dns *dn = &e->dns;
	bool ingress = dn->flags & AEGIS_NET_INGRESS;
	struct dns_msg *m = &c->dns_msg;
	struct aegis_tuple server;
	struct dns_pending *q, copy;
	struct diagnosis *d;
	const char *why = "";
	enum cause cause;
	char srv[96];

	if (dns_parse(dn->data, dn->len < AEGIS_DNS_PAYLOAD ? dn->len : AEGIS_DNS_PAYLOAD, m))
		return;
	if (!domains_match(domains(c), m->qname))
		return; /* the kernel filter's hash let a stranger through */
	if (!m->qr) {
		/* a query a local process sends; the same query arriving at a local
		 * resolver (ingress) is the same lookup seen again */
		if (!ingress && query_concerns_agent(c, e))
			pending_add(c, e, m);
		return;
	}
	if (!ingress)
		return; /* a local server answering: its client's ingress tells */

	/* anyone who can send a packet can send an answer: only the answer to a
	 * query we saw leave is believed, and only once */
	q = answered_query(c, e, m, &why);
	if (!q) {
		unmatched_answer(c, e, m, why);
		return;
	}
	copy = *q;
	pending_remove(c, q);
	q = &copy;
	memset(&server, 0, sizeof(server));
	server.family = dn->tuple.family;
	server.proto = dn->tuple.proto;
	memcpy(server.daddr, dn->tuple.saddr, 16);
	server.dport = dn->tuple.sport;

	switch (m->rcode) {
	case DNS_RC_NOERROR:
		on_answer(c, e, m, q, &server);
		return;
	case DNS_RC_NXDOMAIN: cause = CAUSE_DNS_NXDOMAIN; break;
	case DNS_RC_SERVFAIL: cause = CAUSE_DNS_SERVFAIL; break;
	case DNS_RC_REFUSED: cause = CAUSE_DNS_REFUSED; break;
	default: return;
	}
	d = dns_diag(c, cause, q, &server, m->qname, m->qtype);
	d->rcode = m->rcode;
	server_str(&server, srv, sizeof(srv));
	snprintf(d->summary, sizeof(d->summary), "%s: %s from nameserver %s%s%s%s", m->qname,
		 dns_rcode_name(m->rcode), srv, q->tgid ? " (asked by " : "",
		 q->tgid ? q->comm : "", q->tgid ? ")" : "");
	diag_add_evidence(d, e);
	emit(c, d, srv);
}

void dns_on_tick(struct correlator *c)
{
	struct dns_pending *p, *next;

	learned_expire(&c->learned, c->now_ns, forget_address, c);
	c->stats.dns.learned = c->learned.n;
	/* oldest first: the order the queries left */
	for (p = pending_slot(c, c->dns_oldest); p; p = next) {
		struct aegis_tuple server;
		struct dns_pending q;
		struct diagnosis *d;
		char srv[96];

		next = pending_slot(c, p->newer);
		if (c->now_ns - p->ts_ns < c->cfg.dns_timeout_ns)
			continue;
		q = *p;
		pending_remove(c, p);
		/* no verdict without the probes that would have told why: the
		 * resolver's next try is seen with them */
		if (q.ts_ns < c->probes_since_ns)
			continue;
		memset(&server, 0, sizeof(server));
		server.family = q.tuple.family;
		server.proto = q.tuple.proto;
		memcpy(server.daddr, q.tuple.daddr, 16);
		server.dport = q.tuple.dport;
		d = dns_diag(c, CAUSE_DNS_TIMEOUT, &q, &server, q.qname, q.qtype);
		server_str(&server, srv, sizeof(srv));
		snprintf(d->summary, sizeof(d->summary),
			 "%s: no answer from nameserver %s within %llu ms%s%s%s", q.qname, srv,
			 (unsigned long long)(c->cfg.dns_timeout_ns / 1000000),
			 q.tgid ? " (asked by " : "", q.tgid ? q.comm : "", q.tgid ? ")" : "");
		emit(c, d, srv);
	}
}

/* Forget queries that can no longer be answered: they are explained already. */
static void pending_drop_to(struct correlator *c, const struct aegis_tuple *server_side)
{
	size_t n = alen(server_side->family);

	for (int i = 0; i < DNS_PENDING; i++) {
		struct dns_pending *p = &c->dns_pending[i];

		if (p->used && p->tuple.family == server_side->family &&
		    p->tuple.dport == server_side->dport && !memcmp(p->tuple.daddr, server_side->daddr, n))
			pending_remove(c, p);
	}
}

void dns_on_sockerr(struct correlator *c, const struct ev *e)
{
	const struct aegis_sockerr *se = &e->sockerr;
	struct aegis_tuple server;
	struct dns_pending q;
	struct diagnosis *d;
	char srv[96], eb[16];

	if (se->err != ECONNREFUSED && se->err != EHOSTUNREACH && se->err != ENETUNREACH)
		return;
	memset(&server, 0, sizeof(server));
	server.family = se->tuple.family;
	server.proto = se->tuple.proto;
	memcpy(server.daddr, se->tuple.daddr, 16);
	server.dport = se->tuple.dport;
	memset(&q, 0, sizeof(q));
	/* name the lookup it ends, if one is waiting on this socket */
	for (int i = 0; i < DNS_PENDING; i++) {
		struct dns_pending *p = &c->dns_pending[i];

		if (p->used && p->tuple.sport == se->tuple.sport && p->tuple.dport == se->tuple.dport &&
		    !memcmp(p->tuple.daddr, se->tuple.daddr, alen(se->tuple.family))) {
			q = *p;
			break;
		}
	}
	pending_drop_to(c, &server);
	d = dns_diag(c, CAUSE_DNS_UNREACHABLE, q.used ? &q : NULL, &server, q.qname, q.qtype);
	d->err = se->err;
	server_str(&server, srv, sizeof(srv));
	snprintf(d->summary, sizeof(d->summary), "nameserver %s unreachable (%s)%s%s", srv,
		 errno_name(se->err, eb, sizeof(eb)), q.used ? " for " : "", q.used ? q.qname : "");
	diag_add_evidence(d, e);
	emit(c, d, srv);
}

bool dns_on_drop(struct correlator *c, const struct ev *e)
{
	const struct aegis_drop *dr = &e->drop;
	bool ingress = dr->flags & AEGIS_NET_INGRESS;
	struct aegis_tuple server;
	struct diagnosis *d;
	char srv[96];

	if (dr->tuple.sport != 53 && dr->tuple.dport != 53)
		return false;
	/* ours: a query leaving (OUTPUT) or an answer arriving (INPUT); a query
	 * dropped on arrival is the far end's firewall (a nameserver's own) */
	if (!((!ingress && dr->tuple.dport == 53) || (ingress && dr->tuple.sport == 53)))
		return true;
	/* a drop in a namespace the agent does not live in is not the agent's
	 * (0: a synthetic event without one) */
	if (dr->netns && !net_concerns_agent(c, dr->flags, dr->netns))
		return true;
	memset(&server, 0, sizeof(server));
	server.family = dr->tuple.family;
	server.proto = dr->tuple.proto;
	memcpy(server.daddr, ingress ? dr->tuple.saddr : dr->tuple.daddr, 16);
	server.dport = 53;
	pending_drop_to(c, &server);
	d = dns_diag(c, CAUSE_DNS_BLOCKED_LOCAL, NULL, &server, NULL, 0);
	if (dr->flags & AEGIS_NET_OWNER || e->hdr.tgid) {
		d->pid = dr->flags & AEGIS_NET_OWNER ? dr->owner_tgid : e->hdr.tgid;
		memcpy(d->comm, dr->flags & AEGIS_NET_OWNER ? dr->owner_comm : e->hdr.comm,
		       sizeof(d->comm));
		snprintf(d->process, sizeof(d->process), "%s", d->comm);
	}
	snprintf(d->hook, sizeof(d->hook), "%s", ingress ? "INPUT" : "OUTPUT");
	server_str(&server, srv, sizeof(srv));
	snprintf(d->summary, sizeof(d->summary), "DNS %s nameserver %s dropped by this host's netfilter (%s)",
		 ingress ? "answers from" : "queries to", srv, d->hook);
	diag_add_evidence(d, e);
	snprintf(srv + strlen(srv), sizeof(srv) - strlen(srv), " %s", d->hook);
	emit(c, d, srv);
	return true;
}
