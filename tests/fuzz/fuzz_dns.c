// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz the DNS parser and the DNS correlation.
 *
 * Input: one DNS message, as captured (any bytes). dns_parse must stay inside
 * the buffer and return names in presentation form: printable ASCII, no
 * uppercase, NUL-terminated. Then the same bytes go through a correlator as
 * the payload of AEGIS_EV_DNS events, as the kernel would send them: the
 * message as a query leaving (QR cleared), the same as an answer arriving to
 * that query (QR set), the same answer again, answers from another port and
 * after the timeout (neither may say or teach anything), a tick past the DNS
 * timeout, a tick past every learned address's life, a flush. Every
 * diagnosis must be well-formed and render.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "correlate.h"
#include "dns.h"
#include "ev.h"
#include "sink.h"
#include "fuzz.h"

#define NS 1000000000ULL

static FILE *devnull;
static uint64_t delivered, learned, forgotten;

/* A presentation name: printable ASCII without spaces or uppercase. */
static void check_name(const char *s, size_t cap)
{
	const char *end = memchr(s, 0, cap);

	CHECK(end != NULL);
	for (; s < end; s++)
		CHECK(*s > 0x20 && *s < 0x7f && !(*s >= 'A' && *s <= 'Z'));
}

static void on_diag(const struct diagnosis *d, void *ctx)
{
	const struct clockmap cm = { 0 };

	(void)ctx;
	delivered++;
	CHECK((unsigned)d->cause < CAUSE_COUNT);
	CHECK(d->n_evidence <= DIAG_MAX_EVIDENCE);
	CHECK(d->count >= 1);
	CHECK(d->first_ns <= d->last_ns);
	CHECK(memchr(d->summary, 0, sizeof(d->summary)) != NULL);
	CHECK(d->summary[0] != '\0');
	CHECK(memchr(d->process, 0, sizeof(d->process)) != NULL);
	check_name(d->qname, sizeof(d->qname));
	CHECK(!d->primary == (d->explained_by >= 0));
	if (d->is_dns)
		CHECK(d->has_peer);
	sink_json_diagnosis(devnull, &cm, d);
	sink_text_diagnosis(devnull, &cm, d, true);
}

static void on_learn(void *ctx, int family, const uint8_t *addr, uint32_t ttl, const char *qname)
{
	(void)ctx;
	(void)addr;
	(void)ttl;
	learned++;
	CHECK(family == AF_INET || family == AF_INET6);
	check_name(qname, DNS_NAME_MAX);
	CHECK(qname[0] != '\0');
}

static void on_forget(void *ctx, int family, const uint8_t *addr)
{
	(void)ctx;
	(void)addr;
	CHECK(family == AF_INET || family == AF_INET6);
	forgotten++;
	CHECK(forgotten <= learned);
}

static void check_msg(const struct dns_msg *m, size_t size)
{
	check_name(m->qname, sizeof(m->qname));
	CHECK(m->nanswers <= DNS_MAX_ANSWERS);
	CHECK(m->nanswers <= m->ancount);
	CHECK(m->qdcount == 1);
	CHECK(size >= 12 + 1 + 4); /* header, root name, type and class at least */
	for (unsigned i = 0; i < m->nanswers; i++) {
		const struct dns_answer *a = &m->answers[i];

		CHECK(a->type == DNS_T_A || a->type == DNS_T_AAAA || a->type == DNS_T_CNAME);
		CHECK(a->family == (a->type == DNS_T_A ? AF_INET : a->type == DNS_T_AAAA ? AF_INET6 : 0));
		check_name(a->target, sizeof(a->target));
		if (a->type != DNS_T_CNAME)
			CHECK(a->target[0] == '\0');
	}
	/* matching and hashing any name stay in bounds */
	(void)dns_name_under(m->qname, "aegis.aliyun.com");
	(void)dns_name_under("aegis.aliyun.com", m->qname);
	(void)dns_suffix_hash(m->qname);
}

static void dns_event(struct ev *e, uint64_t ts, bool ingress,
		      const uint8_t *data, size_t size, uint8_t flip_qr)
{
	static const uint8_t client[4] = { 192, 0, 2, 1 }, server[4] = { 198, 51, 100, 53 };
	size_t n = size < AEGIS_DNS_PAYLOAD ? size : AEGIS_DNS_PAYLOAD;

	memset(e, 0, sizeof(*e));
	e->hdr.type = AEGIS_EV_DNS;
	e->hdr.size = sizeof(e->dns);
	e->hdr.ts_ns = ts;
	if (!ingress) {
		e->hdr.pid = e->hdr.tgid = 4242;
		memcpy(e->hdr.comm, "AliYunDun", 10);
	}
	e->dns.tuple.family = AF_INET;
	e->dns.tuple.proto = 17;
	memcpy(ingress ? e->dns.tuple.daddr : e->dns.tuple.saddr, client, 4);
	memcpy(ingress ? e->dns.tuple.saddr : e->dns.tuple.daddr, server, 4);
	e->dns.tuple.sport = ingress ? 53 : 40000;
	e->dns.tuple.dport = ingress ? 40000 : 53;
	e->dns.flags = ingress ? AEGIS_NET_INGRESS : 0;
	e->dns.len = (__u32)n;
	e->dns.wire_len = (__u32)size;
	memcpy(e->dns.data, data, n);
	if (n > 2)
		e->dns.data[2] = (uint8_t)((e->dns.data[2] & 0x7f) | flip_qr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct domain_set domains;
	static struct dns_msg m;
	static struct ev e;
	static const struct agent_env env = { .nroots = 1, .roots = { "/usr/local/aegis" } };
	struct correlator_config cfg;
	struct correlator *c;
	uint64_t before, taught;
	char err[64];

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	CHECK(devnull != NULL);
	if (domains.n == 0) {
		/* the defaults, and a one-label domain mutations reach easily */
		domains_defaults(&domains);
		CHECK(domains_add(&domains, "a", err, sizeof(err)) == 0);
	}

	if (dns_parse(data, size, &m) != 0)
		return 0; /* the correlator drops what does not parse */
	check_msg(&m, size);
	if (!domains_match(&domains, m.qname))
		return 0; /* the correlator stops there too: spare the 2.6 MB set-up */

	correlator_config_defaults(&cfg);
	cfg.env = &env;
	cfg.domains = &domains;
	cfg.learn = on_learn;
	cfg.forget = on_forget;
	delivered = learned = forgotten = 0;
	c = correlator_new(&cfg, on_diag, NULL);
	CHECK(c != NULL);
	/* as it is, in both directions */
	dns_event(&e, NS, false, data, size, data[2] & 0x80);
	correlator_feed(c, &e);
	dns_event(&e, NS + 1, true, data, size, data[2] & 0x80);
	correlator_feed(c, &e);
	/* as a query and the answer to it */
	dns_event(&e, 2 * NS, false, data, size, 0);
	correlator_feed(c, &e);
	dns_event(&e, 2 * NS + 1000, true, data, size, 0x80);
	correlator_feed(c, &e);
	/* answered once: the same answer again, one from another port, and one
	 * for a query whose time ran out say and teach nothing */
	before = delivered;
	taught = learned;
	dns_event(&e, 2 * NS + 2000, true, data, size, 0x80);
	correlator_feed(c, &e);
	dns_event(&e, 2 * NS + 3000, true, data, size, 0x80);
	e.dns.tuple.sport = 5353;
	correlator_feed(c, &e);
	dns_event(&e, 3 * NS, false, data, size, 0);
	correlator_feed(c, &e);
	dns_event(&e, 3 * NS + cfg.dns_timeout_ns, true, data, size, 0x80);
	correlator_feed(c, &e);
	CHECK(delivered == before && learned == taught);
	/* the query never answered times out; the learned addresses expire */
	memset(&e, 0, sizeof(e));
	e.hdr.type = AEGIS_EV_TICK;
	e.hdr.size = sizeof(e.tick);
	e.hdr.ts_ns = 3 * NS + cfg.dns_timeout_ns;
	correlator_feed(c, &e);
	e.hdr.ts_ns = 3 * NS + (LEARNED_TTL_MAX_S + 10) * NS;
	correlator_feed(c, &e);
	CHECK(forgotten == learned);
	CHECK(correlator_stats(c)->dns.learned == 0);
	correlator_flush(c, 3600 * NS);
	CHECK(correlator_stats(c)->diagnoses == delivered);
	correlator_free(c);
	return 0;
}
