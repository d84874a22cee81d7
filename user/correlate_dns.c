/* DNS correlation: lookups of Aegis names, their answers or their silence. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "correlate_int.h"
#include "endpoints.h"
#include "signals.h"

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

static struct dns_pending *pending_find(struct correlator *c, const struct aegis_tuple *client_view,
					uint16_t id)
{
	for (int i = 0; i < DNS_PENDING; i++) {
		struct dns_pending *p = &c->dns_pending[i];
		size_t n = alen(p->tuple.family);

		if (p->used && p->id == id && p->tuple.family == client_view->family &&
		    p->tuple.sport == client_view->sport && p->tuple.dport == client_view->dport &&
		    !memcmp(p->tuple.saddr, client_view->saddr, n) &&
		    !memcmp(p->tuple.daddr, client_view->daddr, n))
			return p;
	}
	return NULL;
}

static void pending_add(struct correlator *c, const struct ev *e, const struct dns_msg *m)
{
	struct dns_pending *slot = NULL;

	/* a retransmission (same socket, same id) is the same lookup: its
	 * timeout runs from the first try, and one answer ends it */
	if (pending_find(c, &e->dns.tuple, m->id))
		return;
	for (int i = 0; i < DNS_PENDING; i++) {
		struct dns_pending *p = &c->dns_pending[i];

		if (!p->used) {
			slot = p;
			break;
		}
		if (!slot || p->ts_ns < slot->ts_ns)
			slot = p; /* bounded: the oldest gives way */
	}
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	slot->ts_ns = e->hdr.ts_ns;
	slot->tuple = e->dns.tuple;
	slot->id = m->id;
	slot->qtype = m->qtype;
	slot->tgid = e->hdr.tgid;
	memcpy(slot->comm, e->hdr.comm, sizeof(slot->comm));
	snprintf(slot->qname, sizeof(slot->qname), "%s", m->qname);
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
		if (c->cfg.learn)
			c->cfg.learn(c->cfg.learn_ctx, an->family, an->addr, an->ttl, m->qname);
	}
}

void dns_on_message(struct correlator *c, const struct ev *e)
{
	const struct aegis_dns *dn = &e->dns;
	bool ingress = dn->flags & AEGIS_NET_INGRESS;
	struct dns_msg *m = &c->dns_msg;
	struct aegis_tuple client_view, server;
	struct dns_pending *q, copy;
	struct diagnosis *d;
	enum cause cause;
	char srv[96];

	if (dns_parse(dn->data, dn->len < AEGIS_DNS_PAYLOAD ? dn->len : AEGIS_DNS_PAYLOAD, m))
		return;
	if (!domains_match(domains(c), m->qname))
		return; /* the kernel filter's hash let a stranger through */
	if (!m->qr) {
		/* a query a local process sends; the same query arriving at a local
		 * resolver (ingress) is the same lookup seen again */
		if (!ingress)
			pending_add(c, e, m);
		return;
	}
	if (!ingress)
		return; /* a local server answering: its client's ingress tells */

	/* the response, seen from the client: client = daddr, server = saddr */
	memset(&client_view, 0, sizeof(client_view));
	client_view.family = dn->tuple.family;
	memcpy(client_view.saddr, dn->tuple.daddr, 16);
	memcpy(client_view.daddr, dn->tuple.saddr, 16);
	client_view.sport = dn->tuple.dport;
	client_view.dport = dn->tuple.sport;
	q = pending_find(c, &client_view, m->id);
	if (q) {
		copy = *q;
		q->used = false;
		q = &copy;
	}
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
		 dns_rcode_name(m->rcode), srv, q && q->tgid ? " (asked by " : "",
		 q && q->tgid ? q->comm : "", q && q->tgid ? ")" : "");
	diag_add_evidence(d, e);
	emit(c, d, srv);
}

void dns_on_tick(struct correlator *c)
{
	for (int i = 0; i < DNS_PENDING; i++) {
		struct dns_pending *p = &c->dns_pending[i], q;
		struct aegis_tuple server;
		struct diagnosis *d;
		char srv[96];

		if (!p->used || c->now_ns - p->ts_ns < c->cfg.dns_timeout_ns)
			continue;
		q = *p;
		p->used = false;
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
			p->used = false;
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
