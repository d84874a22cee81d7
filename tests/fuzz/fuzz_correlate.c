// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz the correlator: any sequence of decodable events, in any order, with
 * any times, must neither crash nor leak, and every diagnosis delivered must
 * be well-formed (and render).
 *
 * Input: one config byte, then fixed-size chunks of FUZZ_CHUNK bytes, each a
 * raw record checked by ev_decode (chunks it rejects are skipped). The
 * correlator ignores hdr.cpu, so its bits steer the fuzzer toward
 * interesting states instead: see steer(). DNS events can be folded into
 * queries and answers among two clients, two servers and two ids
 * (steer_dns), so answers meet their queries, strangers, timeouts and ICMP
 * errors (steer_sockerr), and the learned set fills and expires.
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

/* the record union of struct ev: every type fits in one chunk */
#define FUZZ_CHUNK offsetof(struct ev, exe)

#define ROOT "/usr/local/aegis"
#define NS 1000000000ULL

static const char *const exes[] = {
	"",                                             /* unverified */
	ROOT "/aegis_client/aegis_12_93/AliYunDun",    /* the agent */
	"/tmp/AliYunDun",                               /* an impostor */
	ROOT "2/AliYunDun",                             /* a prefix, not inside */
};

static const char *const comms[] = {
	NULL, "AliYunDun", "AliYunDunMonito", "AliYunDunUpdate", "AliHips", "aegis_update",
	"bash", "",
};

static FILE *devnull;
static uint64_t delivered, learned, forgotten;

static void on_learn(void *ctx, int family, const uint8_t *addr, uint32_t ttl, const char *qname)
{
	(void)ctx;
	(void)addr;
	(void)ttl;
	CHECK(family == AF_INET || family == AF_INET6);
	CHECK(qname[0] != '\0');
	learned++;
}

static void on_forget(void *ctx, int family, const uint8_t *addr)
{
	(void)ctx;
	(void)addr;
	CHECK(family == AF_INET || family == AF_INET6);
	forgotten++;
	CHECK(forgotten <= learned);
}

static void on_diag(const struct diagnosis *d, void *ctx)
{
	const struct clockmap cm = { 0 };

	(void)ctx;
	delivered++;
	CHECK((unsigned)d->cause < CAUSE_COUNT);
	CHECK(d->explained_by >= -1 && d->explained_by < CAUSE_COUNT);
	CHECK(d->n_evidence <= DIAG_MAX_EVIDENCE);
	CHECK(d->count >= 1);
	CHECK(d->first_ns <= d->last_ns);
	CHECK(memchr(d->summary, 0, sizeof(d->summary)) != NULL);
	CHECK(d->summary[0] != '\0');
	CHECK(memchr(d->process, 0, sizeof(d->process)) != NULL);
	CHECK(memchr(d->comm, 0, sizeof(d->comm)) != NULL);
	CHECK(memchr(d->exe, 0, sizeof(d->exe)) != NULL);
	CHECK(!d->primary == (d->explained_by >= 0));
	/* ids count deliveries; what explains was said before */
	CHECK(d->id == delivered);
	CHECK(d->explained_by_id < d->id);
	CHECK(!d->explained_by_id || d->explained_by >= 0);
	sink_json_diagnosis(devnull, &cm, d);
	sink_text_diagnosis(devnull, &cm, d, true);
}

/* Eight pids in two groups of four that share a home slot of the process
 * table (its size divides 1024), so deletions must shift entries back. */
static uint32_t fold(uint32_t pid)
{
	return 100 + pid % 2 + (pid >> 1) % 4 * 1024;
}

static const char *const dns_names[] = { "jsrv.aegis.aliyun.com", "JSRV.Aegis.aliyun.com",
					 "update.aegis.aliyuncs.com", "www.example.com" };

/* A DNS event (bit 9 of hdr.cpu) becomes a query leaving or an answer
 * arriving (bit 10) between client 192.0.2.1 or .2 (bit 11), port 40000 or
 * 40001 (bit 12), and server 198.51.100.53 or 127.0.0.53 (bit 13), with id 1
 * or 2 (bit 14), one of four names (bits 15-16), A or AAAA (bit 17), an
 * rcode (bits 18-19: NOERROR, NXDOMAIN, SERVFAIL, REFUSED), and for NOERROR
 * an address from the payload's first bytes (a sink when they are zero) with
 * the TTL the next bytes give. */
static void steer_dns(struct ev *e, uint32_t k)
{
	static const uint8_t clients[2][4] = { { 192, 0, 2, 1 }, { 192, 0, 2, 2 } };
	static const uint8_t servers[2][4] = { { 198, 51, 100, 53 }, { 127, 0, 0, 53 } };
	struct aegis_dns *dn = &e->dns;
	bool ingress = k & 0x400, v6 = k & 0x20000;
	uint16_t id = k & 0x4000 ? 2 : 1, cport = k & 0x1000 ? 40001 : 40000;
	uint8_t seed[8], rr[16 + 12];
	const uint8_t *client = clients[(k >> 11) & 1], *server = servers[(k >> 13) & 1];
	unsigned rcode = (k >> 18) & 3, alen = v6 ? 16 : 4;
	size_t n;

	memcpy(seed, dn->data, sizeof(seed));
	memset(&dn->tuple, 0, sizeof(dn->tuple));
	dn->tuple.family = AF_INET;
	dn->tuple.proto = 17;
	memcpy(ingress ? dn->tuple.saddr : dn->tuple.daddr, server, 4);
	memcpy(ingress ? dn->tuple.daddr : dn->tuple.saddr, client, 4);
	dn->tuple.sport = ingress ? 53 : cport;
	dn->tuple.dport = ingress ? cport : 53;
	dn->flags = ingress ? AEGIS_NET_INGRESS : 0;
	n = dns_build_query(dn->data, sizeof(dn->data), id, dns_names[(k >> 15) & 3],
			    v6 ? DNS_T_AAAA : DNS_T_A);
	if (ingress && n) {
		dn->data[2] |= 0x80;
		dn->data[3] = (uint8_t)(0x80 | (rcode == 0 ? 0 : rcode == 1 ? 3 : rcode == 2 ? 2 : 5));
		if (rcode == 0 && n + sizeof(rr) <= sizeof(dn->data)) {
			uint8_t h[12] = { 0xc0, 0x0c, 0, v6 ? DNS_T_AAAA : DNS_T_A, 0, 1,
					  0, 0, seed[4], seed[5], 0, (uint8_t)alen };

			memcpy(rr, h, sizeof(h));
			memset(rr + sizeof(h), 0, 16);
			memcpy(rr + sizeof(h), seed, 4);
			memcpy(dn->data + n, rr, sizeof(h) + alen);
			n += sizeof(h) + alen;
			dn->data[7] = 1; /* ancount */
		}
	}
	dn->len = dn->wire_len = (uint32_t)n;
}

/* An ICMP error on one of steer_dns's client sockets (same bits): it ends
 * the lookups waiting there. */
static void steer_sockerr(struct ev *e, uint32_t k)
{
	struct aegis_sockerr *se = &e->sockerr;

	memset(&se->tuple, 0, sizeof(se->tuple));
	se->tuple.family = AF_INET;
	se->tuple.proto = 17;
	memcpy(se->tuple.saddr, k & 0x800 ? "\xc0\x00\x02\x02" : "\xc0\x00\x02\x01", 4);
	memcpy(se->tuple.daddr, k & 0x2000 ? "\x7f\x00\x00\x35" : "\xc6\x33\x64\x35", 4);
	se->tuple.sport = k & 0x1000 ? 40001 : 40000;
	se->tuple.dport = 53;
	se->err = k & 0x400 ? 113 /* EHOSTUNREACH */ : 111 /* ECONNREFUSED */;
}

/* Fold the random fields of a decoded event toward a small world: a few pids
 * that meet each other, agent names, known executables, nearby times. */
static void steer(struct ev *e, uint64_t *clock)
{
	uint32_t k = e->hdr.cpu;

	snprintf(e->exe, sizeof(e->exe), "%s", exes[k & 3]);
	snprintf(e->sender_exe, sizeof(e->sender_exe), "%s", exes[(k >> 2) & 3]);
	if (k & 0x10) {
		e->hdr.tgid = fold(e->hdr.tgid);
		e->hdr.ppid = fold(e->hdr.ppid);
		e->signal.sender_tgid = fold(e->signal.sender_tgid);
	}
	if (comms[(k >> 5) & 7])
		snprintf(e->hdr.comm, sizeof(e->hdr.comm), "%s", comms[(k >> 5) & 7]);
	if (k & 0x100) { /* a step forward of up to ~4 s */
		*clock += e->hdr.ts_ns & 0xffffffffULL;
		e->hdr.ts_ns = *clock;
	}
	if (e->hdr.type == AEGIS_EV_DNS && k & 0x200)
		steer_dns(e, k);
	if (e->hdr.type == AEGIS_EV_SOCK_ERROR && k & 0x200)
		steer_sockerr(e, k);
	if (e->hdr.type == AEGIS_EV_TICK && k & 0x200) { /* past a learned address's floor */
		*clock += 64 * NS;
		e->hdr.ts_ns = *clock;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct agent_env env;
	static struct ev e;
	struct correlator_config cfg;
	struct correlator *c;
	uint64_t clock = NS, last = 0;
	uint8_t conf;

	if (size < 1)
		return 0;
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	CHECK(devnull != NULL);
	conf = data[0];
	data++;
	size--;

	memset(&env, 0, sizeof(env));
	env.nroots = 1;
	snprintf(env.roots[0], sizeof(env.roots[0]), "%s", ROOT);
	env.install.found = conf & 1;
	env.install.major = conf & 2 ? 12 : -1;
	env.install.minor = 93;
	env.install.present_mask = (conf >> 2) & 7;
	snprintf(env.install.root, sizeof(env.install.root), "%s", ROOT);

	correlator_config_defaults(&cfg);
	cfg.env = &env;
	if (conf & 0x20) { /* short timers, so a few seconds of events reach them all */
		cfg.grace_ns = 3 * NS;
		cfg.flap_window_ns = 20 * NS;
		cfg.flap_count = 2 + (conf >> 6);
		cfg.dedup_ns = NS;
	}
	if (conf & 0x40)
		cfg.oom_wait_ns = 0;

	cfg.learn = on_learn;
	cfg.forget = on_forget;
	delivered = learned = forgotten = 0;
	c = correlator_new(&cfg, on_diag, NULL);
	CHECK(c != NULL);
	for (size_t off = 0; off + FUZZ_CHUNK <= size; off += FUZZ_CHUNK) {
		if (ev_decode(data + off, FUZZ_CHUNK, &e))
			continue;
		steer(&e, &clock);
		if (e.hdr.ts_ns > last)
			last = e.hdr.ts_ns;
		correlator_feed(c, &e);
	}
	correlator_flush(c, last + 3600 * NS);
	CHECK(correlator_stats(c)->diagnoses == delivered);
	CHECK(correlator_stats(c)->any == (delivered > 0));
	/* the learned set: what the kernel was told to add and remove */
	CHECK(correlator_stats(c)->dns.learned == learned - forgotten);
	CHECK(correlator_stats(c)->dns.learned_expired == forgotten);
	CHECK(correlator_stats(c)->dns.learned <= LEARNED_MAX);
	{
		const struct verdict_entry *v = verdict_of(correlator_stats(c)->verdicts);

		/* the verdict: a primary cause, never a recovery nor an impostor's act */
		CHECK(!v || (v->primary && v->s.cause != CAUSE_AGENT_ONLINE &&
			     (!v->impostor || v->s.cause == CAUSE_AGENT_IMPOSTOR)));
		CHECK(!v || delivered > 0);
	}
	correlator_free(c);
	return 0;
}
