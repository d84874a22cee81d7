// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * DNS correlation: AEGIS_EV_DNS events carrying real DNS messages (built with
 * dns_build_query and a small response builder), ICMP errors on DNS sockets,
 * netfilter drops on port 53, ticks. Event time only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "correlate.h"
#include "correlate_int.h" /* DNS_PENDING, DNS_WARN_INTERVAL_NS */
#include "diag_log.h"
#include "dns.h"

#define S 1000000000ULL
#define MS 1000000ULL
#define MAX_LEARNED 16
#define AGENT_PID 4242
#define CLIENT "192.0.2.1"
#define SERVER "198.51.100.53"
#define CPORT 40000
#define NAME "jsrv.aegis.aliyun.com"

struct learned {
	int family;
	uint8_t addr[16];
	uint32_t ttl;
	char qname[DNS_NAME_MAX];
};

struct dns_fixture {
	struct diag_log log; /* first: the collector's ctx */
	struct agent_env env;
	struct domain_set domains;
	struct correlator_config cfg;
	struct correlator *c;
	unsigned nlearned;       /* learn calls; the first MAX_LEARNED kept */
	struct learned learned[MAX_LEARNED];
	unsigned nforgot;        /* forget calls; the first MAX_LEARNED kept */
	struct learned forgot[MAX_LEARNED];
	struct endpoint_set endpoints;
	uint64_t sock;           /* the socket cookie of the next DNS events */
	uint32_t netns;          /* the namespace of the next queries' sender */
};

static void learn(void *ctx, int family, const uint8_t *addr, uint32_t ttl, const char *qname)
{
	struct dns_fixture *f = ctx;
	struct learned *l;

	if (f->nlearned++ >= MAX_LEARNED)
		return;
	l = &f->learned[f->nlearned - 1];
	l->family = family;
	memcpy(l->addr, addr, family == AF_INET6 ? 16 : 4);
	l->ttl = ttl;
	snprintf(l->qname, sizeof(l->qname), "%s", qname);
}

static void forget(void *ctx, int family, const uint8_t *addr)
{
	struct dns_fixture *f = ctx;
	struct learned *l;

	if (f->nforgot++ >= MAX_LEARNED)
		return;
	l = &f->forgot[f->nforgot - 1];
	l->family = family;
	memcpy(l->addr, addr, family == AF_INET6 ? 16 : 4);
}

static int setup(void **state)
{
	struct dns_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->env.nroots = 1;
	snprintf(f->env.roots[0], sizeof(f->env.roots[0]), "/usr/local/aegis");
	correlator_config_defaults(&f->cfg);
	f->cfg.env = &f->env;
	f->cfg.learn = learn;
	f->cfg.learn_ctx = f;
	f->cfg.forget = forget;
	f->cfg.forget_ctx = f;
	f->c = correlator_new(&f->cfg, diag_log_collect, f);
	*state = f;
	return f->c ? 0 : -1;
}

static int teardown(void **state)
{
	struct dns_fixture *f = *state;

	correlator_free(f->c);
	free(f);
	return 0;
}

/* ---- messages ---- */

struct msg {
	uint8_t b[AEGIS_DNS_PAYLOAD];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void query_msg(struct msg *m, uint16_t id, const char *name, uint16_t qtype)
{
	memset(m, 0, sizeof(*m));
	m->n = dns_build_query(m->b, sizeof(m->b), id, name, qtype);
	assert_true(m->n > 12);
}

static void response_msg(struct msg *m, uint16_t id, const char *name, uint16_t qtype, unsigned rcode)
{
	query_msg(m, id, name, qtype);
	m->b[2] |= 0x80;
	m->b[3] = 0x80 | (uint8_t)rcode;
}

/* An answer record, owner = the question name (pointer to offset 12). */
static void answer_rr(struct msg *m, unsigned type, uint32_t ttl, const void *rdata, unsigned rdlen)
{
	uint8_t h[12] = { 0xc0, 0x0c, (uint8_t)(type >> 8), (uint8_t)type, 0, 1,
			  (uint8_t)(ttl >> 24), (uint8_t)(ttl >> 16), (uint8_t)(ttl >> 8), (uint8_t)ttl,
			  (uint8_t)(rdlen >> 8), (uint8_t)rdlen };
	unsigned an = (unsigned)(m->b[6] << 8 | m->b[7]) + 1;

	put(m, h, sizeof(h));
	put(m, rdata, rdlen);
	m->b[6] = (uint8_t)(an >> 8);
	m->b[7] = (uint8_t)an;
}

static void answer_a(struct msg *m, uint32_t ttl, const char *ip)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	answer_rr(m, DNS_T_A, ttl, a, 4);
}

static void answer_aaaa(struct msg *m, uint32_t ttl, const char *ip)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	answer_rr(m, DNS_T_AAAA, ttl, a, 16);
}

/* ---- events ---- */

static void tuple(struct aegis_tuple *t, const char *src, uint16_t sport, const char *dst,
		  uint16_t dport, uint8_t proto)
{
	int family = strchr(src, ':') ? AF_INET6 : AF_INET;

	memset(t, 0, sizeof(*t));
	t->family = (__u16)family;
	t->proto = proto;
	assert_int_equal(inet_pton(family, src, t->saddr), 1);
	assert_int_equal(inet_pton(family, dst, t->daddr), 1);
	t->sport = sport;
	t->dport = dport;
}

static struct ev base(unsigned type, size_t size, uint64_t ts, uint32_t tgid, const char *comm)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = (__u16)type;
	e.hdr.size = (__u16)size;
	e.hdr.ts_ns = ts;
	e.hdr.pid = e.hdr.tgid = tgid;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "%s", comm);
	return e;
}

/* A DNS message as the kernel reports it: egress in the sender's context,
 * ingress without a process. */
static void dns_ev_proto(struct dns_fixture *f, uint64_t ts, bool ingress, const char *src,
			 uint16_t sport, const char *dst, uint16_t dport, uint8_t proto, const struct msg *m)
{
	struct ev e = base(AEGIS_EV_DNS, sizeof(e.dns), ts, ingress ? 0 : AGENT_PID,
			   ingress ? "" : "AliYunDun");

	tuple(&e.dns.tuple, src, sport, dst, dport, proto);
	e.dns.flags = ingress ? AEGIS_NET_INGRESS : 0;
	e.dns.len = (__u32)m->n;
	e.dns.wire_len = (__u32)m->n;
	e.dns.sock_cookie = f->sock;
	e.dns.netns = ingress ? 0 : f->netns;
	memcpy(e.dns.data, m->b, m->n);
	correlator_feed(f->c, &e);
}

static void dns_ev(struct dns_fixture *f, uint64_t ts, bool ingress, const char *src, uint16_t sport,
		   const char *dst, uint16_t dport, const struct msg *m)
{
	dns_ev_proto(f, ts, ingress, src, sport, dst, dport, 17, m);
}

/* The agent asks SERVER from CLIENT:CPORT. */
static void ask(struct dns_fixture *f, uint64_t ts, uint16_t id, const char *name, uint16_t qtype)
{
	struct msg m;

	query_msg(&m, id, name, qtype);
	dns_ev(f, ts, false, CLIENT, CPORT, SERVER, 53, &m);
}

/* SERVER's answer arrives at CLIENT:CPORT. */
static void reply(struct dns_fixture *f, uint64_t ts, const struct msg *m)
{
	dns_ev(f, ts, true, SERVER, 53, CLIENT, CPORT, m);
}

static void reply_rcode(struct dns_fixture *f, uint64_t ts, uint16_t id, const char *name,
			unsigned rcode)
{
	struct msg m;

	response_msg(&m, id, name, DNS_T_A, rcode);
	reply(f, ts, &m);
}

static void tick(struct dns_fixture *f, uint64_t ts)
{
	struct ev e = base(AEGIS_EV_TICK, sizeof(e.tick), ts, 0, "");

	correlator_feed(f->c, &e);
}

static void sockerr(struct dns_fixture *f, uint64_t ts, int err, uint16_t sport)
{
	struct ev e = base(AEGIS_EV_SOCK_ERROR, sizeof(e.sockerr), ts, 0, "swapper/1");

	tuple(&e.sockerr.tuple, CLIENT, sport, SERVER, 53, 17);
	e.sockerr.err = err;
	correlator_feed(f->c, &e);
}

static void nf_drop(struct dns_fixture *f, uint64_t ts, bool ingress, const char *src, uint16_t sport,
		    const char *dst, uint16_t dport, bool owner)
{
	struct ev e = base(AEGIS_EV_NF_DROP, sizeof(e.drop), ts, 0, "swapper/0");

	tuple(&e.drop.tuple, src, sport, dst, dport, 17);
	e.drop.flags = ingress ? AEGIS_NET_INGRESS : 0;
	if (owner) {
		e.drop.flags |= AEGIS_NET_OWNER;
		e.drop.owner_tgid = AGENT_PID;
		snprintf(e.drop.owner_comm, sizeof(e.drop.owner_comm), "AliYunDun");
	}
	correlator_feed(f->c, &e);
}

static void assert_peer(const struct diagnosis *d, const char *ip, uint16_t port)
{
	uint8_t a[16];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;

	assert_true(d->has_peer);
	assert_int_equal(d->peer.family, family);
	assert_int_equal(inet_pton(family, ip, a), 1);
	assert_memory_equal(d->peer.daddr, a, family == AF_INET6 ? 16 : 4);
	assert_int_equal(d->peer.dport, port);
}

static const struct dns_trust_stats *trust(const struct dns_fixture *f)
{
	return &correlator_stats(f->c)->dns;
}

/* ---- rcodes ---- */

static void test_nxdomain_names_server_and_asker(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;

	ask(f, 1 * S, 0x1111, NAME, DNS_T_A);
	assert_int_equal(f->log.n, 0);
	reply_rcode(f, 1 * S + 20 * MS, 0x1111, "JSRV.aegis.ALIYUN.com", DNS_RC_NXDOMAIN);
	d = diag_only(&f->log, CAUSE_DNS_NXDOMAIN);
	assert_true(d->is_dns);
	assert_string_equal(d->qname, NAME);
	assert_int_equal(d->qtype, DNS_T_A);
	assert_int_equal(d->rcode, DNS_RC_NXDOMAIN);
	assert_peer(d, SERVER, 53);
	assert_int_equal(d->peer.proto, 17);
	assert_int_equal(d->pid, AGENT_PID);
	assert_string_equal(d->comm, "AliYunDun");
	assert_string_equal(d->process, "AliYunDun");
	assert_int_equal(d->n_evidence, 1);
	assert_int_equal(d->evidence[0].hdr.type, AEGIS_EV_DNS);
	assert_non_null(strstr(d->summary, NAME ": NXDOMAIN from nameserver 198.51.100.53:53/udp"));
	assert_non_null(strstr(d->summary, "(asked by AliYunDun)"));
	/* answered: no timeout later */
	tick(f, 30 * S);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);
	assert_int_equal(f->log.n, 1);
}

static void test_servfail_and_refused(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;
	struct msg m;

	ask(f, 1 * S, 1, "a.aegis.aliyuncs.com", DNS_T_AAAA);
	response_msg(&m, 1, "a.aegis.aliyuncs.com", DNS_T_AAAA, DNS_RC_SERVFAIL);
	reply(f, 1 * S + MS, &m);
	d = diag_only(&f->log, CAUSE_DNS_SERVFAIL);
	assert_int_equal(d->rcode, DNS_RC_SERVFAIL);
	assert_int_equal(d->qtype, DNS_T_AAAA);
	assert_string_equal(d->qname, "a.aegis.aliyuncs.com");
	assert_int_equal(d->pid, AGENT_PID);
	assert_non_null(strstr(d->summary, "SERVFAIL"));

	/* over IPv6, to another nameserver */
	query_msg(&m, 2, "b.aegis.alicdn.com", DNS_T_A);
	dns_ev(f, 2 * S, false, "2001:db8::1", 50000, "2001:db8::53", 53, &m);
	response_msg(&m, 2, "b.aegis.alicdn.com", DNS_T_A, DNS_RC_REFUSED);
	dns_ev(f, 2 * S + MS, true, "2001:db8::53", 53, "2001:db8::1", 50000, &m);
	d = diag_only(&f->log, CAUSE_DNS_REFUSED);
	assert_int_equal(d->rcode, DNS_RC_REFUSED);
	assert_peer(d, "2001:db8::53", 53);
	assert_int_equal(d->pid, AGENT_PID);
	assert_non_null(strstr(d->summary, "b.aegis.alicdn.com: REFUSED from nameserver [2001:db8::53]:53/udp"));

	/* other rcodes say nothing of reachability */
	ask(f, 3 * S, 3, NAME, DNS_T_A);
	reply_rcode(f, 3 * S + MS, 3, NAME, DNS_RC_NOTIMP);
	ask(f, 3 * S, 4, NAME, DNS_T_A);
	reply_rcode(f, 3 * S + MS, 4, NAME, DNS_RC_FORMERR);
	assert_int_equal(f->log.n, 2);
}

/* Anyone who can send a packet can send one from port 53 (a user in its own
 * network namespace did, to itself): an answer no query asked for says
 * nothing and teaches nothing, whatever it holds; it is counted. */
static void test_unsolicited_answers_ignored(void **state)
{
	struct dns_fixture *f = *state;
	struct msg m;

	reply_rcode(f, 1 * S, 0x2222, NAME, DNS_RC_NXDOMAIN);
	response_msg(&m, 0x2223, NAME, DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 60, "0.0.0.0");
	reply(f, 1 * S + MS, &m);
	response_msg(&m, 0x2224, NAME, DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 600, "203.0.113.25");
	reply(f, 1 * S + 2 * MS, &m);
	/* as the user did: 127.0.0.1:53 to itself */
	dns_ev(f, 2 * S, true, "127.0.0.1", 53, "127.0.0.1", 40000, &m);
	response_msg(&m, 0x2225, NAME, DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 60, "127.0.0.1");
	dns_ev(f, 2 * S, true, "127.0.0.1", 53, "127.0.0.1", 40000, &m);
	tick(f, 30 * S);
	correlator_flush(f->c, 3600 * S);
	assert_int_equal(f->log.n, 0);
	assert_int_equal(correlator_stats(f->c)->diagnoses, 0);
	assert_int_equal(f->nlearned, 0);
	assert_int_equal(trust(f)->answers_unmatched, 5);
	assert_int_equal(trust(f)->learned, 0);
}

/* The answer comes back on the query's socket, reversed: the client's
 * address and port, the server's address and port, the protocol, the id. */
static void test_answer_must_match_socket_and_id(void **state)
{
	struct dns_fixture *f = *state;
	struct msg m;

	ask(f, 1 * S, 0x3333, NAME, DNS_T_A);
	/* another id */
	reply_rcode(f, 1 * S + MS, 0x3334, NAME, DNS_RC_NXDOMAIN);
	response_msg(&m, 0x3333, NAME, DNS_T_A, DNS_RC_NXDOMAIN);
	/* another client port, another client address */
	dns_ev(f, 1 * S + MS, true, SERVER, 53, CLIENT, CPORT + 1, &m);
	dns_ev(f, 1 * S + MS, true, SERVER, 53, "192.0.2.99", CPORT, &m);
	/* another server, another server port */
	dns_ev(f, 1 * S + MS, true, "203.0.113.53", 53, CLIENT, CPORT, &m);
	dns_ev(f, 1 * S + MS, true, SERVER, 5353, CLIENT, CPORT, &m);
	/* over TCP: another socket */
	dns_ev_proto(f, 1 * S + MS, true, SERVER, 53, CLIENT, CPORT, 6, &m);
	/* another family */
	dns_ev(f, 1 * S + MS, true, "2001:db8::53", 53, "2001:db8::1", CPORT, &m);
	correlator_flush(f->c, 1 * S + 2 * MS);
	assert_int_equal(correlator_stats(f->c)->diagnoses, 0);
	assert_int_equal(trust(f)->answers_unmatched, 7);
	/* the query still waits: its own answer is believed */
	reply(f, 1 * S + 2 * MS, &m);
	assert_int_equal(diag_only(&f->log, CAUSE_DNS_NXDOMAIN)->pid, AGENT_PID);
	assert_int_equal(trust(f)->answers_unmatched, 7);
	tick(f, 10 * S);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);
}

/* The same addresses, ports and id on another socket (the kernel's cookie):
 * a user's own socket in its own namespace cannot answer the agent's query. */
static void test_answer_must_come_to_the_querys_socket(void **state)
{
	struct dns_fixture *f = *state;
	struct msg m;

	f->sock = 1001;
	ask(f, 1 * S, 0x4444, NAME, DNS_T_A);
	f->sock = 2002;
	reply_rcode(f, 1 * S + MS, 0x4444, NAME, DNS_RC_NXDOMAIN);
	correlator_flush(f->c, 1 * S + 2 * MS);
	assert_int_equal(correlator_stats(f->c)->diagnoses, 0);
	assert_int_equal(trust(f)->answers_unmatched, 1);
	f->sock = 1001;
	response_msg(&m, 0x4444, NAME, DNS_T_A, DNS_RC_NXDOMAIN);
	reply(f, 1 * S + 2 * MS, &m);
	assert_int_equal(diag_only(&f->log, CAUSE_DNS_NXDOMAIN)->pid, AGENT_PID);
}

/* A user's own lookup in its own namespace, answered there, is its own
 * business; once the agent is seen living in that namespace, it counts. */
static void test_query_from_a_namespace_without_the_agent(void **state)
{
	struct dns_fixture *f = *state;
	struct ev e;

	f->netns = 4026539999u;
	ask(f, 1 * S, 0x5555, NAME, DNS_T_A);
	reply_rcode(f, 1 * S + MS, 0x5555, NAME, DNS_RC_NXDOMAIN);
	tick(f, 10 * S);
	assert_int_equal(correlator_stats(f->c)->diagnoses, 0);
	assert_int_equal(trust(f)->queries_elsewhere, 1);
	assert_int_equal(trust(f)->answers_unmatched, 1);

	/* the agent exec'd there */
	e = base(AEGIS_EV_EXEC, sizeof(e.exec), 11 * S, 4242, "AliYunDun");
	e.exec.netns = f->netns;
	e.ident = IDENT_AGENT;
	correlator_feed(f->c, &e);
	ask(f, 12 * S, 0x5556, NAME, DNS_T_A);
	reply_rcode(f, 12 * S + MS, 0x5556, NAME, DNS_RC_NXDOMAIN);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_NXDOMAIN), 1);
	assert_int_equal(trust(f)->queries_elsewhere, 1);
}

/* Same id and ports from many clients (one hash bucket): each answer finds
 * its own query. */
static void test_same_id_and_ports_other_clients(void **state)
{
	struct dns_fixture *f = *state;
	char client[32];
	struct msg m;

	query_msg(&m, 0x7070, NAME, DNS_T_A);
	for (int i = 1; i <= 40; i++) {
		snprintf(client, sizeof(client), "192.0.2.%d", i);
		dns_ev(f, 1 * S, false, client, CPORT, SERVER, 53, &m);
	}
	response_msg(&m, 0x7070, NAME, DNS_T_A, DNS_RC_SERVFAIL);
	for (int i = 40; i >= 1; i -= 3) {
		snprintf(client, sizeof(client), "192.0.2.%d", i);
		dns_ev(f, 1 * S + MS, true, SERVER, 53, client, CPORT, &m);
	}
	/* answered twice: the second is a stranger */
	dns_ev(f, 1 * S + MS, true, SERVER, 53, "192.0.2.40", CPORT, &m);
	correlator_flush(f->c, 1 * S + 2 * MS);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_SERVFAIL], 14);
	assert_int_equal(trust(f)->answers_unmatched, 1);
	/* the 26 unanswered time out */
	tick(f, 1 * S + f->cfg.dns_timeout_ns);
	correlator_flush(f->c, 3600 * S);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_TIMEOUT], 26);
}

static void test_answer_must_match_question(void **state)
{
	struct dns_fixture *f = *state;
	struct msg m;

	ask(f, 1 * S, 0x4000, NAME, DNS_T_A);
	/* another name under the watched domain */
	reply_rcode(f, 1 * S + MS, 0x4000, "update.aegis.aliyun.com", DNS_RC_NXDOMAIN);
	/* another type */
	response_msg(&m, 0x4000, NAME, DNS_T_AAAA, DNS_RC_NXDOMAIN);
	reply(f, 1 * S + MS, &m);
	/* another class (CHAOS): the last byte of the question */
	response_msg(&m, 0x4000, NAME, DNS_T_A, DNS_RC_NXDOMAIN);
	m.b[m.n - 1] = 3;
	reply(f, 1 * S + MS, &m);
	assert_int_equal(f->log.n, 0);
	assert_int_equal(trust(f)->answers_unmatched, 3);
	/* the name in other case is the same question (0x20 randomisation) */
	reply_rcode(f, 1 * S + 2 * MS, 0x4000, "JsRv.AEGIS.aliyun.COM", DNS_RC_NXDOMAIN);
	assert_int_equal(diag_only(&f->log, CAUSE_DNS_NXDOMAIN)->pid, AGENT_PID);
}

/* An answer after the query's lifetime (--dns-timeout) is refused; the
 * query is then a timeout, as if nothing had come. */
static void test_answer_after_timeout_refused(void **state)
{
	struct dns_fixture *f = *state;
	uint64_t t0 = 1 * S, limit = f->cfg.dns_timeout_ns;

	ask(f, t0, 0x5000, NAME, DNS_T_A);
	reply_rcode(f, t0 + limit, 0x5000, NAME, DNS_RC_NXDOMAIN);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_NXDOMAIN), 0);
	assert_int_equal(trust(f)->answers_unmatched, 1);
	tick(f, t0 + limit);
	assert_int_equal(diag_only(&f->log, CAUSE_DNS_TIMEOUT)->pid, AGENT_PID);

	/* a nanosecond before the limit it is in time */
	ask(f, 100 * S, 0x5001, NAME, DNS_T_A);
	reply_rcode(f, 100 * S + limit - 1, 0x5001, NAME, DNS_RC_NXDOMAIN);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_NXDOMAIN), 1);
	assert_int_equal(trust(f)->answers_unmatched, 1);
}

/* A query is answered once: a second answer is ignored and counted, a
 * second NOERROR teaches nothing more. */
static void test_duplicate_answer_ignored(void **state)
{
	struct dns_fixture *f = *state;
	struct msg m;

	ask(f, 1 * S, 0x6000, NAME, DNS_T_A);
	reply_rcode(f, 1 * S + MS, 0x6000, NAME, DNS_RC_NXDOMAIN);
	reply_rcode(f, 1 * S + 2 * MS, 0x6000, NAME, DNS_RC_NXDOMAIN);
	correlator_flush(f->c, 3600 * S);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_NXDOMAIN], 1);
	assert_int_equal(trust(f)->answers_unmatched, 1);

	ask(f, 4000 * S, 0x6001, NAME, DNS_T_A);
	response_msg(&m, 0x6001, NAME, DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 60, "203.0.113.60");
	reply(f, 4000 * S + MS, &m);
	response_msg(&m, 0x6001, NAME, DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 60, "203.0.113.61");
	reply(f, 4000 * S + 2 * MS, &m);
	assert_int_equal(f->nlearned, 1);
	assert_int_equal(trust(f)->answers_unmatched, 2);
}

/* The table of waiting queries is bounded: the oldest gives way, counted. */
static void test_oldest_query_evicted(void **state)
{
	struct dns_fixture *f = *state;

	for (unsigned i = 0; i <= DNS_PENDING; i++)
		ask(f, 1 * S + i * MS, (uint16_t)(1 + i), NAME, DNS_T_A);
	assert_int_equal(trust(f)->queries_evicted, 1);
	/* the first query is gone: its answer is a stranger's */
	reply_rcode(f, 2 * S, 1, NAME, DNS_RC_NXDOMAIN);
	assert_int_equal(trust(f)->answers_unmatched, 1);
	assert_int_equal(f->log.n, 0);
	/* the second is there */
	reply_rcode(f, 2 * S, 2, NAME, DNS_RC_NXDOMAIN);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_NXDOMAIN), 1);
	/* an answered slot is reused without evicting */
	ask(f, 2 * S, 9999, NAME, DNS_T_A);
	assert_int_equal(trust(f)->queries_evicted, 1);
	ask(f, 2 * S, 9998, NAME, DNS_T_A);
	assert_int_equal(trust(f)->queries_evicted, 2);
	/* the rest time out, oldest first */
	tick(f, 2 * S + f->cfg.dns_timeout_ns);
	correlator_flush(f->c, 3600 * S);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_TIMEOUT], DNS_PENDING);
}

/* Said on stderr at most once a minute (event time), naming the source. */
static void test_unmatched_answer_warning(void **state)
{
	struct dns_fixture *f = *state;
	char out[2048];
	const char *at = out;
	unsigned lines = 0;
	FILE *tmp = tmpfile();
	struct msg m;
	int saved;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fileno(tmp), 2), 2);
	reply_rcode(f, 1 * S, 1, NAME, DNS_RC_NXDOMAIN);
	reply_rcode(f, 2 * S, 2, NAME, DNS_RC_NXDOMAIN);
	reply_rcode(f, 1 * S + DNS_WARN_INTERVAL_NS - 1, 3, NAME, DNS_RC_NXDOMAIN);
	response_msg(&m, 4, "x.aegis.aliyun.com", DNS_T_A, DNS_RC_NXDOMAIN);
	dns_ev(f, 1 * S + DNS_WARN_INTERVAL_NS, true, "2001:db8::66", 53, "2001:db8::1", CPORT, &m);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	while ((at = strstr(at, "aegismon: warning: DNS answer from ")) != NULL) {
		lines++;
		at++;
	}
	assert_int_equal(lines, 2);
	assert_non_null(strstr(out, "DNS answer from 198.51.100.53:53/udp for " NAME " ignored"));
	assert_non_null(strstr(out, "DNS answer from [2001:db8::66]:53/udp for x.aegis.aliyun.com ignored"));
	assert_non_null(strstr(out, "(4 ignored so far"));
	assert_int_equal(trust(f)->answers_unmatched, 4);
}

/* ---- silence ---- */

static void test_timeout_on_tick(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;
	uint64_t t0 = 1 * S;

	ask(f, t0, 0x4444, NAME, DNS_T_A);
	tick(f, t0 + f->cfg.dns_timeout_ns / 2);
	tick(f, t0 + f->cfg.dns_timeout_ns - 1);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);
	/* time passing without a tick does not fire it either */
	reply_rcode(f, t0 + f->cfg.dns_timeout_ns + S, 0x9999, "www.example.com", DNS_RC_NOERROR);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);
	tick(f, t0 + f->cfg.dns_timeout_ns + S);
	d = diag_only(&f->log, CAUSE_DNS_TIMEOUT);
	assert_string_equal(d->qname, NAME);
	assert_int_equal(d->qtype, DNS_T_A);
	assert_int_equal(d->pid, AGENT_PID);
	assert_string_equal(d->process, "AliYunDun");
	assert_peer(d, SERVER, 53);
	assert_int_equal(d->rcode, -1);
	assert_non_null(strstr(d->summary, NAME ": no answer from nameserver 198.51.100.53:53/udp within 5000 ms"));
	/* once */
	tick(f, t0 + 3 * f->cfg.dns_timeout_ns);
	correlator_flush(f->c, t0 + 3600 * S);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_TIMEOUT], 1);
}

/* The drop probes came on demand at 2 s: a query sent before then that gets
 * no answer is not a timeout (an ICMP error or a drop could not be seen);
 * one sent after is. */
static void test_no_timeout_before_probes(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;

	ask(f, 1 * S, 0x4445, NAME, DNS_T_A);
	correlator_set_probes_since(f->c, 2 * S);
	tick(f, 1 * S + 2 * f->cfg.dns_timeout_ns);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);
	/* forgotten, not held: the next query is judged on its own */
	ask(f, 2 * S + MS, 0x4446, NAME, DNS_T_A);
	tick(f, 2 * S + MS + f->cfg.dns_timeout_ns);
	d = diag_only(&f->log, CAUSE_DNS_TIMEOUT);
	assert_string_equal(d->qname, NAME);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_TIMEOUT], 1);
}

static void test_timeout_exactly_at_limit(void **state)
{
	struct dns_fixture *f = *state;

	ask(f, 1 * S, 5, NAME, DNS_T_A);
	tick(f, 1 * S + f->cfg.dns_timeout_ns);
	diag_only(&f->log, CAUSE_DNS_TIMEOUT);
}

static void test_no_timeout_after_answer(void **state)
{
	struct dns_fixture *f = *state;
	struct msg m;

	ask(f, 1 * S, 0x5555, NAME, DNS_T_A);
	response_msg(&m, 0x5555, NAME, DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 60, "100.100.30.25");
	reply(f, 1 * S + 30 * MS, &m);
	/* NOERROR without data (AAAA of a v4-only name) answers too */
	ask(f, 1 * S, 0x5556, NAME, DNS_T_AAAA);
	response_msg(&m, 0x5556, NAME, DNS_T_AAAA, DNS_RC_NOERROR);
	reply(f, 1 * S + 30 * MS, &m);
	tick(f, 10 * S);
	tick(f, 60 * S);
	assert_int_equal(f->log.n, 0);
}

static void test_retransmitted_query_is_one_lookup(void **state)
{
	struct dns_fixture *f = *state;
	struct msg m;

	/* the resolver sends the same query (same socket, same id) again after
	 * a second; the one answer ends the lookup */
	ask(f, 1 * S, 0x6666, NAME, DNS_T_A);
	ask(f, 2 * S, 0x6666, NAME, DNS_T_A);
	response_msg(&m, 0x6666, NAME, DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 60, "100.100.30.25");
	reply(f, 2 * S + 500 * MS, &m);
	tick(f, 20 * S);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);

	/* unanswered, it is one timeout, counted from the first try */
	ask(f, 30 * S, 0x7777, NAME, DNS_T_A);
	ask(f, 32 * S, 0x7777, NAME, DNS_T_A);
	tick(f, 30 * S + f->cfg.dns_timeout_ns);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 1);
	tick(f, 60 * S);
	correlator_flush(f->c, 3600 * S);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_TIMEOUT], 1);
}

static void test_local_resolver_seen_twice(void **state)
{
	struct dns_fixture *f = *state;
	struct msg m;

	/* on loopback the query leaves the client (egress) and arrives at the
	 * resolver (ingress): one lookup */
	query_msg(&m, 0x8888, NAME, DNS_T_A);
	dns_ev(f, 1 * S, false, "127.0.0.1", 45000, "127.0.0.53", 53, &m);
	dns_ev(f, 1 * S + 10000, true, "127.0.0.1", 45000, "127.0.0.53", 53, &m);
	tick(f, 1 * S + f->cfg.dns_timeout_ns);
	tick(f, 1 * S + 2 * f->cfg.dns_timeout_ns);
	correlator_flush(f->c, 3600 * S);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_TIMEOUT], 1);
	assert_int_equal(diag_only(&f->log, CAUSE_DNS_TIMEOUT)->pid, AGENT_PID);
	assert_peer(diag_only(&f->log, CAUSE_DNS_TIMEOUT), "127.0.0.53", 53);

	/* the answer: leaving the resolver (egress, its own context) and
	 * arriving at the client: one diagnosis, for the client's query */
	f->log.n = 0;
	query_msg(&m, 0x8889, NAME, DNS_T_A);
	dns_ev(f, 4000 * S, false, "127.0.0.1", 45000, "127.0.0.53", 53, &m);
	dns_ev(f, 4000 * S, true, "127.0.0.1", 45000, "127.0.0.53", 53, &m);
	response_msg(&m, 0x8889, NAME, DNS_T_A, DNS_RC_SERVFAIL);
	dns_ev(f, 4000 * S + MS, false, "127.0.0.53", 53, "127.0.0.1", 45000, &m);
	dns_ev(f, 4000 * S + MS, true, "127.0.0.53", 53, "127.0.0.1", 45000, &m);
	assert_int_equal(diag_only(&f->log, CAUSE_DNS_SERVFAIL)->pid, AGENT_PID);
	tick(f, 4100 * S);
	assert_int_equal(f->log.n, 1);
}

/* ---- unreachable and blocked ---- */

static void test_unreachable_ends_the_lookup(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;

	ask(f, 1 * S, 0x9999, NAME, DNS_T_A);
	sockerr(f, 1 * S + MS, ECONNREFUSED, CPORT);
	d = diag_only(&f->log, CAUSE_DNS_UNREACHABLE);
	assert_int_equal(d->err, ECONNREFUSED);
	assert_string_equal(d->qname, NAME);
	assert_int_equal(d->pid, AGENT_PID);
	assert_peer(d, SERVER, 53);
	assert_non_null(strstr(d->summary, "nameserver 198.51.100.53:53/udp unreachable (ECONNREFUSED) for " NAME));
	/* explained: no timeout afterwards */
	tick(f, 30 * S);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);
	assert_int_equal(f->log.n, 1);
}

static void test_unreachable_without_lookup(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;

	sockerr(f, 1 * S, EHOSTUNREACH, 41000);
	d = diag_only(&f->log, CAUSE_DNS_UNREACHABLE);
	assert_int_equal(d->err, EHOSTUNREACH);
	assert_string_equal(d->qname, "");
	assert_string_equal(d->process, "resolver");
	sockerr(f, 2 * S, ENETUNREACH, 41000);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_UNREACHABLE], 2);
	/* errors that are not about reaching the server */
	sockerr(f, 3 * S, EMSGSIZE, 41000);
	sockerr(f, 3 * S, 0, 41000);
	assert_int_equal(correlator_stats(f->c)->diagnoses, f->log.n);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_DNS_UNREACHABLE], 2);
}

static void test_blocked_local_output(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;

	ask(f, 1 * S, 0xaaaa, NAME, DNS_T_A);
	nf_drop(f, 1 * S + 10000, false, CLIENT, CPORT, SERVER, 53, true);
	d = diag_only(&f->log, CAUSE_DNS_BLOCKED_LOCAL);
	assert_string_equal(d->hook, "OUTPUT");
	assert_peer(d, SERVER, 53);
	assert_int_equal(d->pid, AGENT_PID);
	assert_non_null(strstr(d->summary, "DNS queries to nameserver 198.51.100.53:53/udp dropped by this host's netfilter (OUTPUT)"));
	assert_int_equal(d->evidence[0].hdr.type, AEGIS_EV_NF_DROP);
	/* not a connect matter, and the lookup it ends does not time out */
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL), 0);
	tick(f, 30 * S);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);
}

static void test_blocked_local_input(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;

	ask(f, 1 * S, 0xbbbb, NAME, DNS_T_A);
	nf_drop(f, 1 * S + 20 * MS, true, SERVER, 53, CLIENT, CPORT, false);
	d = diag_only(&f->log, CAUSE_DNS_BLOCKED_LOCAL);
	assert_string_equal(d->hook, "INPUT");
	assert_peer(d, SERVER, 53);
	assert_non_null(strstr(d->summary, "DNS answers from nameserver 198.51.100.53:53/udp"));
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL), 0);
	tick(f, 30 * S);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);
}

static void test_nameserver_own_firewall_is_not_local(void **state)
{
	struct dns_fixture *f = *state;

	/* a query arriving at a nameserver on this host, dropped on its INPUT:
	 * the far end's firewall for the client, nothing of ours */
	nf_drop(f, 1 * S, true, "203.0.113.9", 33333, "192.0.2.1", 53, false);
	/* and its answers dropped on the way out: not our lookups either */
	nf_drop(f, 1 * S, false, "192.0.2.1", 53, "203.0.113.9", 33333, false);
	tick(f, 2 * S);
	assert_int_equal(f->log.n, 0);
}

/* ---- which names ---- */

static void test_other_names_ignored(void **state)
{
	static const char *const others[] = {
		"www.example.com", "xaegis.aliyun.com", "aegis.aliyun.com.evil.com", "aliyun.com", "",
	};
	struct dns_fixture *f = *state;
	struct msg m;

	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		uint16_t id = (uint16_t)(100 + i);

		ask(f, 1 * S, id, others[i], DNS_T_A);
		reply_rcode(f, 1 * S + MS, id, others[i], DNS_RC_NXDOMAIN);
		ask(f, 1 * S, (uint16_t)(id + 50), others[i], DNS_T_A); /* never answered */
		response_msg(&m, (uint16_t)(id + 80), others[i], DNS_T_A, DNS_RC_NOERROR);
		answer_a(&m, 60, "0.0.0.0");
		reply(f, 1 * S + MS, &m);
	}
	tick(f, 30 * S);
	assert_int_equal(f->log.n, 0);
	assert_int_equal(f->nlearned, 0);
	/* the suffix itself is watched */
	ask(f, 31 * S, 1, "aegis.aliyun.com", DNS_T_A);
	reply_rcode(f, 31 * S, 1, "aegis.aliyun.com", DNS_RC_NXDOMAIN);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_NXDOMAIN), 1);
}

static void test_custom_domains(void **state)
{
	struct dns_fixture *f = *state;
	char err[128];

	correlator_free(f->c);
	memset(&f->domains, 0, sizeof(f->domains));
	assert_int_equal(domains_add(&f->domains, "corp.example", err, sizeof(err)), 0);
	f->cfg.domains = &f->domains;
	f->c = correlator_new(&f->cfg, diag_log_collect, f);
	assert_non_null(f->c);

	ask(f, 1 * S, 1, NAME, DNS_T_A);
	reply_rcode(f, 1 * S + MS, 1, NAME, DNS_RC_NXDOMAIN);
	ask(f, 1 * S, 2, "agent.CORP.example", DNS_T_A);
	reply_rcode(f, 1 * S + MS, 2, "agent.corp.example", DNS_RC_NXDOMAIN);
	ask(f, 1 * S, 3, "agent.notcorp.example", DNS_T_A);
	reply_rcode(f, 1 * S + MS, 3, "agent.notcorp.example", DNS_RC_NXDOMAIN);
	assert_string_equal(diag_only(&f->log, CAUSE_DNS_NXDOMAIN)->qname, "agent.corp.example");
	assert_int_equal(diag_only(&f->log, CAUSE_DNS_NXDOMAIN)->pid, AGENT_PID);
	ask(f, 2 * S, 4, NAME, DNS_T_A);
	tick(f, 30 * S);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_TIMEOUT), 0);
}

/* ---- answers ---- */

static void test_learn_addresses(void **state)
{
	struct dns_fixture *f = *state;
	struct msg m;
	uint8_t a[16], cname[32];
	size_t n;

	ask(f, 1 * S, 0xcccc, NAME, DNS_T_A);
	response_msg(&m, 0xcccc, NAME, DNS_T_A, DNS_RC_NOERROR);
	/* jsrv CNAME edge.<aegis.aliyun.com by pointer to offset 17> */
	n = 0;
	cname[n++] = 4;
	memcpy(cname + n, "edge", 4);
	n += 4;
	cname[n++] = 0xc0;
	cname[n++] = 17;
	answer_rr(&m, DNS_T_CNAME, 600, cname, (unsigned)n);
	answer_a(&m, 120, "100.100.30.25");
	answer_aaaa(&m, 90, "2408:4000:200::25");
	reply(f, 1 * S + 5 * MS, &m);
	assert_int_equal(f->log.n, 0);
	assert_int_equal(f->nlearned, 2);
	assert_int_equal(f->learned[0].family, AF_INET);
	assert_int_equal(inet_pton(AF_INET, "100.100.30.25", a), 1);
	assert_memory_equal(f->learned[0].addr, a, 4);
	assert_int_equal(f->learned[0].ttl, 120);
	assert_string_equal(f->learned[0].qname, NAME);
	assert_int_equal(f->learned[1].family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2408:4000:200::25", a), 1);
	assert_memory_equal(f->learned[1].addr, a, 16);
	assert_int_equal(f->learned[1].ttl, 90);
	assert_string_equal(f->learned[1].qname, NAME);

	assert_int_equal(trust(f)->learned, 2);

	/* an answer nobody asked for teaches nothing */
	response_msg(&m, 0xcccd, "update.aegis.aliyun.com", DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 30, "100.100.30.26");
	reply(f, 2 * S, &m);
	assert_int_equal(f->nlearned, 2);
	assert_int_equal(trust(f)->answers_unmatched, 1);
	/* a truncated (TC) answer with no records teaches nothing, says nothing */
	ask(f, 3 * S, 0xccce, NAME, DNS_T_A);
	response_msg(&m, 0xccce, NAME, DNS_T_A, DNS_RC_NOERROR);
	m.b[2] |= 0x02;
	reply(f, 3 * S, &m);
	assert_int_equal(f->nlearned, 2);
	assert_int_equal(f->log.n, 0);
	assert_int_equal(trust(f)->answers_unmatched, 1);
}

static void test_sinkhole_answer(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;
	struct msg m;

	ask(f, 1 * S, 0xdddd, NAME, DNS_T_A);
	response_msg(&m, 0xdddd, NAME, DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 60, "0.0.0.0");
	reply(f, 1 * S + MS, &m);
	d = diag_only(&f->log, CAUSE_ENDPOINT_SINKHOLED);
	assert_string_equal(d->qname, NAME);
	assert_int_equal(d->pid, AGENT_PID);
	assert_peer(d, SERVER, 53);
	assert_non_null(strstr(d->summary, NAME " resolves to 0.0.0.0 (answer from 198.51.100.53:53/udp)"));
	assert_int_equal(f->nlearned, 0);

	/* loopback, IPv4 and IPv6; a real address beside them is learned */
	ask(f, 2 * S, 0xddde, "x.aegis.aliyun.com", DNS_T_AAAA);
	response_msg(&m, 0xddde, "x.aegis.aliyun.com", DNS_T_AAAA, DNS_RC_NOERROR);
	answer_aaaa(&m, 60, "::1");
	answer_a(&m, 60, "127.0.0.1");
	answer_a(&m, 60, "100.100.30.27");
	reply(f, 2 * S + MS, &m);
	/* three sinks, the repeats of one name held back as one */
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_ENDPOINT_SINKHOLED], 3);
	assert_int_equal(diag_count(&f->log, CAUSE_ENDPOINT_SINKHOLED), 2);
	assert_non_null(strstr(f->log.d[1].summary, "x.aegis.aliyun.com resolves to ::1"));
	assert_int_equal(f->nlearned, 1);
}

static void test_learned_name_names_connect_failure(void **state)
{
	struct dns_fixture *f = *state;
	const struct diagnosis *d;
	struct msg m;
	struct ev e;

	ask(f, 1 * S, 0xeeee, "update.aegis.aliyun.com", DNS_T_A);
	response_msg(&m, 0xeeee, "update.aegis.aliyun.com", DNS_T_A, DNS_RC_NOERROR);
	answer_a(&m, 60, "100.100.30.25");
	reply(f, 1 * S + MS, &m);
	assert_int_equal(f->nlearned, 1);

	e = base(AEGIS_EV_TCP_STATE, sizeof(e.tcp), 2 * S, AGENT_PID, "AliYunDun");
	tuple(&e.tcp.tuple, CLIENT, 41000, "100.100.30.25", 443, 6);
	e.tcp.flags = AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT;
	e.tcp.oldstate = 7; /* CLOSE -> SYN_SENT */
	e.tcp.newstate = 2;
	correlator_feed(f->c, &e);
	e.hdr.ts_ns += MS;
	e.tcp.oldstate = 2; /* SYN_SENT -> CLOSE, refused */
	e.tcp.newstate = 7;
	e.tcp.sk_err = ECONNREFUSED;
	e.tcp.flags |= AEGIS_NET_RST;
	correlator_feed(f->c, &e);
	d = diag_only(&f->log, CAUSE_CONNECT_REFUSED);
	assert_string_equal(d->qname, "update.aegis.aliyun.com");
	assert_false(d->is_dns);
	assert_peer(d, "100.100.30.25", 443);
	assert_non_null(strstr(d->summary, "update.aegis.aliyun.com (100.100.30.25):443/tcp: refused"));

	/* an address never learned has no name */
	f->log.n = 0;
	tuple(&e.tcp.tuple, CLIENT, 41001, "100.100.30.99", 443, 6);
	e.hdr.ts_ns = 3 * S;
	correlator_feed(f->c, &e);
	assert_string_equal(diag_only(&f->log, CAUSE_CONNECT_REFUSED)->qname, "");
}

/* ---- learned endpoints: they live for the answer's TTL, clamped ---- */

static void learn_from(struct dns_fixture *f, uint64_t ts, uint16_t id, uint32_t ttl, const char *ip)
{
	struct msg m;

	ask(f, ts, id, NAME, strchr(ip, ':') ? DNS_T_AAAA : DNS_T_A);
	response_msg(&m, id, NAME, strchr(ip, ':') ? DNS_T_AAAA : DNS_T_A, DNS_RC_NOERROR);
	if (strchr(ip, ':'))
		answer_aaaa(&m, ttl, ip);
	else
		answer_a(&m, ttl, ip);
	reply(f, ts + MS, &m);
}

static void assert_forgot(const struct dns_fixture *f, unsigned i, const char *ip)
{
	uint8_t a[16];
	int family = strchr(ip, ':') ? AF_INET6 : AF_INET;

	assert_true(i < f->nforgot);
	assert_int_equal(f->forgot[i].family, family);
	assert_int_equal(inet_pton(family, ip, a), 1);
	assert_memory_equal(f->forgot[i].addr, a, family == AF_INET6 ? 16 : 4);
}

static void test_learned_expire_with_ttl(void **state)
{
	struct dns_fixture *f = *state;
	uint64_t t0 = 1 * S, at = t0 + MS; /* learned when the answer arrives */

	learn_from(f, t0, 1, 10, "203.0.113.10");        /* below the floor: 60 s */
	learn_from(f, t0, 2, 300, "2001:db8::10");       /* 300 s */
	learn_from(f, t0, 3, 100000000, "203.0.113.11"); /* above the ceiling: a day */
	assert_int_equal(f->nlearned, 3);
	assert_int_equal(f->learned[0].ttl, 10); /* the callback is told the answer's TTL */
	assert_int_equal(trust(f)->learned, 3);

	tick(f, at + LEARNED_TTL_MIN_S * S - 1);
	assert_int_equal(f->nforgot, 0);
	tick(f, at + LEARNED_TTL_MIN_S * S);
	assert_int_equal(f->nforgot, 1);
	assert_forgot(f, 0, "203.0.113.10");
	assert_int_equal(trust(f)->learned, 2);
	assert_int_equal(trust(f)->learned_expired, 1);

	tick(f, at + 300 * S - 1);
	assert_int_equal(f->nforgot, 1);
	tick(f, at + 300 * S);
	assert_int_equal(f->nforgot, 2);
	assert_forgot(f, 1, "2001:db8::10");

	tick(f, at + LEARNED_TTL_MAX_S * S - 1);
	assert_int_equal(f->nforgot, 2);
	tick(f, at + LEARNED_TTL_MAX_S * S);
	assert_int_equal(f->nforgot, 3);
	assert_forgot(f, 2, "203.0.113.11");
	assert_int_equal(trust(f)->learned, 0);
	assert_int_equal(trust(f)->learned_expired, 3);
	assert_int_equal(f->log.n, 0);
}

static void test_learned_refresh_and_relearn(void **state)
{
	struct dns_fixture *f = *state;

	learn_from(f, 1 * S, 1, 60, "203.0.113.12");
	/* the same address again with a longer TTL: not learned twice, lives longer */
	learn_from(f, 31 * S, 2, 600, "203.0.113.12");
	/* a shorter TTL later does not cut its life */
	learn_from(f, 41 * S, 3, 60, "203.0.113.12");
	assert_int_equal(f->nlearned, 1);
	tick(f, 31 * S + MS + 600 * S - 1);
	assert_int_equal(f->nforgot, 0);
	tick(f, 31 * S + MS + 600 * S);
	assert_int_equal(f->nforgot, 1);
	/* gone: the next answer learns it again */
	learn_from(f, 1000 * S, 4, 60, "203.0.113.12");
	assert_int_equal(f->nlearned, 2);
	assert_int_equal(trust(f)->learned, 1);
}

/* A configured endpoint of exactly that address is the same kernel entry:
 * it never leaves, even when the learned copy expires. */
static void test_configured_host_stays(void **state)
{
	struct dns_fixture *f = *state;
	char err[128];

	correlator_free(f->c);
	endpoints_defaults(&f->endpoints);
	assert_int_equal(cidr_parse("203.0.113.7", &f->endpoints.cidrs[f->endpoints.ncidrs++], err,
				    sizeof(err)), 0);
	f->cfg.endpoints = &f->endpoints;
	f->c = correlator_new(&f->cfg, diag_log_collect, f);
	assert_non_null(f->c);

	learn_from(f, 1 * S, 1, 60, "203.0.113.7");
	learn_from(f, 1 * S, 2, 60, "203.0.113.8");
	tick(f, 100 * S);
	assert_int_equal(trust(f)->learned_expired, 2);
	assert_int_equal(f->nforgot, 1);
	assert_forgot(f, 0, "203.0.113.8");
}

/* A full set refuses new addresses: counted, never silent; room comes back
 * as learned ones expire. */
static void test_learned_set_full(void **state)
{
	struct dns_fixture *f = *state;
	unsigned learned = 0;
	uint16_t id = 1;
	struct msg m;
	char ip[32];

	while (learned < LEARNED_MAX) {
		ask(f, 1 * S, id, NAME, DNS_T_A);
		response_msg(&m, id, NAME, DNS_T_A, DNS_RC_NOERROR);
		for (unsigned r = 0; r < DNS_MAX_ANSWERS && learned < LEARNED_MAX; r++, learned++) {
			snprintf(ip, sizeof(ip), "10.%u.%u.1", learned >> 8, learned & 255);
			answer_a(&m, 60, ip);
		}
		reply(f, 1 * S + MS, &m);
		id++;
	}
	assert_int_equal(f->nlearned, LEARNED_MAX);
	assert_int_equal(trust(f)->learned, LEARNED_MAX);
	assert_int_equal(trust(f)->learned_full, 0);
	/* one more: refused and counted; a known one is no trouble; two more
	 * refused are counted, and the full set is said once, on stderr */
	{
		FILE *said = tmpfile();
		int saved = dup(2);
		char line[512];
		int lines = 0;

		assert_non_null(said);
		fflush(stderr);
		dup2(fileno(said), 2);
		learn_from(f, 2 * S, id++, 60, "203.0.113.99");
		learn_from(f, 2 * S, id++, 60, "10.0.0.1");
		learn_from(f, 2 * S, id++, 60, "203.0.113.98");
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		rewind(said);
		while (fgets(line, sizeof(line), said))
			lines += strstr(line, "learned endpoint set is full") != NULL;
		fclose(said);
		assert_int_equal(lines, 1);
	}
	assert_int_equal(f->nlearned, LEARNED_MAX);
	assert_int_equal(trust(f)->learned_full, 2);
	/* the name is still remembered for attribution, and nothing is said */
	assert_int_equal(f->log.n, 0);
	/* after the first ones expire there is room again (10.0.0.1, answered
	 * again at 2 s, lives a second longer) */
	tick(f, 1 * S + MS + 60 * S);
	assert_int_equal(trust(f)->learned, 1);
	assert_int_equal(trust(f)->learned_expired, LEARNED_MAX - 1);
	learn_from(f, 70 * S, id++, 60, "203.0.113.99");
	assert_int_equal(f->nlearned, LEARNED_MAX + 1);
	assert_int_equal(trust(f)->learned_full, 2);
}

/* ---- what the kernel may hand over ---- */

static void test_odd_captures(void **state)
{
	struct dns_fixture *f = *state;
	struct ev e = base(AEGIS_EV_DNS, sizeof(e.dns), 1 * S, 0, "");
	struct msg m;

	ask(f, S / 2, 1, NAME, DNS_T_A);
	ask(f, S / 2, 2, NAME, DNS_T_A);
	tuple(&e.dns.tuple, SERVER, 53, CLIENT, CPORT, 17);
	e.dns.flags = AEGIS_NET_INGRESS;
	/* len beyond the buffer: clamped */
	response_msg(&m, 1, NAME, DNS_T_A, DNS_RC_NXDOMAIN);
	memcpy(e.dns.data, m.b, m.n);
	e.dns.len = 100000;
	correlator_feed(f->c, &e);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_NXDOMAIN), 1);
	/* garbage, empty, a header alone */
	memset(e.dns.data, 0xff, sizeof(e.dns.data));
	e.dns.len = sizeof(e.dns.data);
	correlator_feed(f->c, &e);
	e.dns.len = 0;
	correlator_feed(f->c, &e);
	memcpy(e.dns.data, m.b, 12);
	e.dns.len = 12;
	correlator_feed(f->c, &e);
	/* a capture cut inside the answers: the rcode is in the header */
	response_msg(&m, 2, NAME, DNS_T_A, DNS_RC_SERVFAIL);
	answer_a(&m, 60, "100.100.30.25");
	memcpy(e.dns.data, m.b, m.n);
	e.dns.len = (__u32)m.n - 3;
	e.dns.wire_len = (__u32)m.n;
	correlator_feed(f->c, &e);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_SERVFAIL), 1);
	assert_int_equal(f->log.n, 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_nxdomain_names_server_and_asker),
		T(test_servfail_and_refused),
		T(test_unsolicited_answers_ignored),
		T(test_answer_must_match_socket_and_id),
		T(test_answer_must_come_to_the_querys_socket),
		T(test_query_from_a_namespace_without_the_agent),
		T(test_same_id_and_ports_other_clients),
		T(test_answer_must_match_question),
		T(test_answer_after_timeout_refused),
		T(test_duplicate_answer_ignored),
		T(test_oldest_query_evicted),
		T(test_unmatched_answer_warning),
		T(test_timeout_on_tick),
		T(test_timeout_exactly_at_limit),
		T(test_no_timeout_before_probes),
		T(test_no_timeout_after_answer),
		T(test_retransmitted_query_is_one_lookup),
		T(test_local_resolver_seen_twice),
		T(test_unreachable_ends_the_lookup),
		T(test_unreachable_without_lookup),
		T(test_blocked_local_output),
		T(test_blocked_local_input),
		T(test_nameserver_own_firewall_is_not_local),
		T(test_other_names_ignored),
		T(test_custom_domains),
		T(test_learn_addresses),
		T(test_sinkhole_answer),
		T(test_learned_name_names_connect_failure),
		T(test_learned_expire_with_ttl),
		T(test_learned_refresh_and_relearn),
		T(test_configured_host_stays),
		T(test_learned_set_full),
		T(test_odd_captures),
	};
#undef T

	return cmocka_run_group_tests_name("correlate_dns", tests, NULL, NULL);
}
