// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The DNS parser (dns_parse) on messages built by hand, well-formed and
 * hostile; name matching (dns_name_under); the suffix hash (dns_suffix_hash)
 * against a copy of the kernel filter's walk (bpf/dns.bpf.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <ctype.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "dns.h"

/* ---- a small message builder ---- */

struct mb {
	uint8_t b[2048];
	size_t n;
};

static void put8(struct mb *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct mb *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v);
}

static void put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void putb(struct mb *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	if (n)
		memcpy(m->b + m->n, p, n);
	m->n += n;
}

/* A name in wire form, uncompressed, ending with the root label. */
static void put_name(struct mb *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, (unsigned)l);
		putb(m, name, l);
		name += l + (dot ? 1 : 0);
	}
	put8(m, 0);
}

/* Labels then a compression pointer to off (no root label). */
static void put_name_ptr(struct mb *m, const char *labels, unsigned off)
{
	while (labels && *labels) {
		const char *dot = strchr(labels, '.');
		size_t l = dot ? (size_t)(dot - labels) : strlen(labels);

		put8(m, (unsigned)l);
		putb(m, labels, l);
		labels += l + (dot ? 1 : 0);
	}
	put16(m, 0xc000 | off);
}

static void set16(struct mb *m, size_t off, unsigned v)
{
	m->b[off] = (uint8_t)(v >> 8);
	m->b[off + 1] = (uint8_t)v;
}

enum { AN = 6, NS = 8, AR = 10 };

static void bump(struct mb *m, size_t field)
{
	set16(m, field, (unsigned)(m->b[field] << 8 | m->b[field + 1]) + 1);
}

/* A response to a query for name: the question from dns_build_query, QR and RA set. */
static void response(struct mb *m, uint16_t id, const char *name, uint16_t qtype, unsigned rcode)
{
	memset(m, 0, sizeof(*m));
	m->n = dns_build_query(m->b, sizeof(m->b), id, name, qtype);
	assert_true(m->n > 12);
	m->b[2] |= 0x80;              /* QR */
	m->b[3] = 0x80 | (rcode & 15); /* RA, RCODE */
}

/* A record whose owner is a pointer to off (12: the question name). */
static void rr_ptr(struct mb *m, size_t section, unsigned owner, unsigned type, uint32_t ttl,
		   const void *rdata, unsigned rdlen)
{
	put16(m, 0xc000 | owner);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
	putb(m, rdata, rdlen);
	bump(m, section);
}

static void rr_a(struct mb *m, unsigned owner, uint32_t ttl, const char *ip)
{
	uint8_t a[4];

	assert_int_equal(inet_pton(AF_INET, ip, a), 1);
	rr_ptr(m, AN, owner, DNS_T_A, ttl, a, 4);
}

static void rr_aaaa(struct mb *m, unsigned owner, uint32_t ttl, const char *ip)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, ip, a), 1);
	rr_ptr(m, AN, owner, DNS_T_AAAA, ttl, a, 16);
}

/* EDNS OPT pseudo-record in the additional section. */
static void rr_opt(struct mb *m, unsigned udp_size, const void *opts, unsigned optlen)
{
	put8(m, 0);
	put16(m, DNS_T_OPT);
	put16(m, udp_size);
	put32(m, 0);
	put16(m, optlen);
	putb(m, opts, optlen);
	bump(m, AR);
}

static void assert_addr(const struct dns_answer *a, int family, const char *ip)
{
	uint8_t want[16];

	assert_int_equal(a->family, family);
	assert_int_equal(inet_pton(family, ip, want), 1);
	assert_memory_equal(a->addr, want, family == AF_INET ? 4 : 16);
}

/* ---- well-formed messages ---- */

static void test_query(void **state)
{
	struct dns_msg m;
	uint8_t q[512], q2[512];
	size_t n, n2;

	(void)state;
	n = dns_build_query(q, sizeof(q), 0xbeef, "jsrv.aegis.aliyun.com", DNS_T_A);
	assert_int_equal(n, 12 + 23 + 4);
	assert_int_equal(dns_parse(q, n, &m), 0);
	assert_int_equal(m.id, 0xbeef);
	assert_false(m.qr);
	assert_true(m.rd);
	assert_false(m.tc);
	assert_int_equal(m.opcode, 0);
	assert_int_equal(m.rcode, 0);
	assert_int_equal(m.qdcount, 1);
	assert_int_equal(m.ancount + m.nscount + m.arcount, 0);
	assert_string_equal(m.qname, "jsrv.aegis.aliyun.com");
	assert_int_equal(m.qtype, DNS_T_A);
	assert_int_equal(m.qclass, 1);
	assert_int_equal(m.nanswers, 0);
	assert_false(m.partial);
	assert_false(m.edns);

	/* a trailing dot is the same name, the same bytes */
	n2 = dns_build_query(q2, sizeof(q2), 0xbeef, "jsrv.aegis.aliyun.com.", DNS_T_A);
	assert_int_equal(n2, n);
	assert_memory_equal(q, q2, n);

	/* the root */
	n = dns_build_query(q, sizeof(q), 1, "", DNS_T_AAAA);
	assert_int_equal(n, 12 + 1 + 4);
	assert_int_equal(dns_parse(q, n, &m), 0);
	assert_string_equal(m.qname, "");
	assert_int_equal(m.qtype, DNS_T_AAAA);

	/* what cannot be encoded */
	assert_int_equal(dns_build_query(q, sizeof(q), 1, "a..b", DNS_T_A), 0);
	assert_int_equal(dns_build_query(q, sizeof(q), 1, ".a", DNS_T_A), 0);
	assert_int_equal(dns_build_query(q, sizeof(q), 1,
					 "x234567890123456789012345678901234567890123456789012345678901234.com",
					 DNS_T_A),
			 0);
	assert_int_equal(dns_build_query(q, 20, 1, "jsrv.aegis.aliyun.com", DNS_T_A), 0);
}

static void test_a_and_aaaa(void **state)
{
	struct mb m;
	struct dns_msg d;

	(void)state;
	response(&m, 7, "update.aegis.aliyun.com", DNS_T_A, 0);
	m.b[2] |= 0x04; /* AA */
	rr_a(&m, 12, 300, "100.100.30.25");
	rr_a(&m, 12, 299, "100.100.30.26");
	rr_aaaa(&m, 12, 60, "2408:4000:200::1");
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_true(d.qr);
	assert_true(d.aa);
	assert_true(d.ra);
	assert_int_equal(d.rcode, DNS_RC_NOERROR);
	assert_int_equal(d.ancount, 3);
	assert_int_equal(d.nanswers, 3);
	assert_int_equal(d.answers[0].type, DNS_T_A);
	assert_int_equal(d.answers[0].ttl, 300);
	assert_addr(&d.answers[0], AF_INET, "100.100.30.25");
	assert_addr(&d.answers[1], AF_INET, "100.100.30.26");
	assert_int_equal(d.answers[1].ttl, 299);
	assert_int_equal(d.answers[2].type, DNS_T_AAAA);
	assert_addr(&d.answers[2], AF_INET6, "2408:4000:200::1");
	assert_false(d.partial);
	assert_string_equal(d.qname, "update.aegis.aliyun.com");
}

static void test_more_answers_than_kept(void **state)
{
	struct mb m;
	struct dns_msg d;
	char ip[32];

	(void)state;
	response(&m, 7, "a.aegis.aliyun.com", DNS_T_A, 0);
	for (int i = 0; i < DNS_MAX_ANSWERS + 5; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		rr_a(&m, 12, 1, ip);
	}
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, DNS_MAX_ANSWERS);
	assert_false(d.partial);
	assert_addr(&d.answers[DNS_MAX_ANSWERS - 1], AF_INET, "10.0.0.16");
}

static void test_cname_chain_with_compression(void **state)
{
	struct mb m;
	struct dns_msg d;
	size_t t1, t2;
	uint8_t rd[64];
	struct mb tmp;

	(void)state;
	/* jsrv.aegis.aliyun.com CNAME jsrv.aegis.aliyun.com.gds.alibabadns.com
	 *   (rdata: "jsrv.aegis.aliyun.com" by pointer to 12, then "gds.alibabadns.com"
	 *   cannot follow a pointer: use labels + pointer instead: "edge" + ptr to
	 *   "aegis.aliyun.com" at offset 17)
	 * edge.aegis.aliyun.com CNAME cdn.example.net
	 * cdn.example.net A 203.0.113.7 */
	response(&m, 0x1234, "JSRV.Aegis.Aliyun.COM", DNS_T_A, 0);
	assert_int_equal(m.b[17], 5); /* "aegis" starts at 12 + 1 + 4 */

	memset(&tmp, 0, sizeof(tmp));
	put_name_ptr(&tmp, "edge", 17);
	t1 = m.n + 12; /* the rdata of the first record: after ptr(2) type class ttl rdlen (10) */
	rr_ptr(&m, AN, 12, DNS_T_CNAME, 600, tmp.b, (unsigned)tmp.n);

	memset(&tmp, 0, sizeof(tmp));
	put_name(&tmp, "CDN.example.net");
	t2 = m.n + 12;
	rr_ptr(&m, AN, (unsigned)t1, DNS_T_CNAME, 60, tmp.b, (unsigned)tmp.n);

	/* the A record's owner: "cdn" label then a pointer into the second target */
	memcpy(rd, "\xcb\x00\x71\x07", 4);
	put16(&m, 0xc000 | (unsigned)t2);
	put16(&m, DNS_T_A);
	put16(&m, 1);
	put32(&m, 30);
	put16(&m, 4);
	putb(&m, rd, 4);
	bump(&m, AN);

	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_string_equal(d.qname, "jsrv.aegis.aliyun.com");
	assert_int_equal(d.nanswers, 3);
	assert_int_equal(d.answers[0].type, DNS_T_CNAME);
	assert_int_equal(d.answers[0].family, 0);
	assert_string_equal(d.answers[0].target, "edge.aegis.aliyun.com");
	assert_int_equal(d.answers[0].ttl, 600);
	assert_string_equal(d.answers[1].target, "cdn.example.net");
	assert_int_equal(d.answers[2].type, DNS_T_A);
	assert_addr(&d.answers[2], AF_INET, "203.0.113.7");
	assert_false(d.partial);
}

static void test_edns_and_other_sections(void **state)
{
	static const uint8_t cookie[] = { 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct mb m, soa;
	struct dns_msg d;

	(void)state;
	response(&m, 9, "x.aegis.aliyun.com", DNS_T_AAAA, DNS_RC_NXDOMAIN);
	/* authority: an SOA, not kept as an answer */
	memset(&soa, 0, sizeof(soa));
	put_name(&soa, "ns1.aliyun.com");
	put_name(&soa, "hostmaster.aliyun.com");
	for (int i = 0; i < 5; i++)
		put32(&soa, 3600);
	rr_ptr(&m, NS, 14, 6, 600, soa.b, (unsigned)soa.n);
	rr_opt(&m, 1232, cookie, sizeof(cookie));
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.rcode, DNS_RC_NXDOMAIN);
	assert_int_equal(d.nscount, 1);
	assert_int_equal(d.arcount, 1);
	assert_int_equal(d.nanswers, 0);
	assert_true(d.edns);
	assert_int_equal(d.edns_udp_size, 1232);
	assert_false(d.partial);

	/* an OPT record in the answer section is not EDNS, and not an answer */
	response(&m, 9, "x.aegis.aliyun.com", DNS_T_A, 0);
	rr_ptr(&m, AN, 12, DNS_T_OPT, 0, "", 0);
	rr_a(&m, 12, 5, "192.0.2.1");
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_false(d.edns);
	assert_int_equal(d.nanswers, 1);

	/* an A record in the additional section is not an answer */
	response(&m, 9, "x.aegis.aliyun.com", DNS_T_A, 0);
	rr_a(&m, 12, 5, "192.0.2.1");
	set16(&m, AN, 0);
	set16(&m, AR, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, 0);
	assert_false(d.partial);
}

static void test_tc_and_rcodes(void **state)
{
	static const unsigned rcodes[] = { DNS_RC_FORMERR, DNS_RC_SERVFAIL, DNS_RC_NXDOMAIN,
					   DNS_RC_NOTIMP, DNS_RC_REFUSED, 9 };
	struct mb m;
	struct dns_msg d;
	char buf[16];

	(void)state;
	response(&m, 3, "a.aegis.aliyun.com", DNS_T_A, 0);
	m.b[2] |= 0x02; /* TC: a UDP answer too long, no records */
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_true(d.tc);
	assert_int_equal(d.nanswers, 0);
	assert_false(d.partial);

	for (size_t i = 0; i < sizeof(rcodes) / sizeof(rcodes[0]); i++) {
		response(&m, 3, "a.aegis.aliyun.com", DNS_T_A, rcodes[i]);
		assert_int_equal(dns_parse(m.b, m.n, &d), 0);
		assert_int_equal(d.rcode, rcodes[i]);
		assert_false(d.tc);
	}
	/* opcode (bits 3-6 of byte 2) */
	response(&m, 3, "a.aegis.aliyun.com", DNS_T_A, 0);
	m.b[2] |= 5 << 3;
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.opcode, 5);

	assert_string_equal(dns_rcode_name(DNS_RC_NOERROR), "NOERROR");
	assert_string_equal(dns_rcode_name(DNS_RC_SERVFAIL), "SERVFAIL");
	assert_string_equal(dns_rcode_name(DNS_RC_NXDOMAIN), "NXDOMAIN");
	assert_string_equal(dns_rcode_name(DNS_RC_REFUSED), "REFUSED");
	assert_string_equal(dns_rcode_name(15), "RCODE?");
	assert_string_equal(dns_type_name(DNS_T_A, buf, sizeof(buf)), "A");
	assert_string_equal(dns_type_name(DNS_T_AAAA, buf, sizeof(buf)), "AAAA");
	assert_string_equal(dns_type_name(DNS_T_CNAME, buf, sizeof(buf)), "CNAME");
	assert_string_equal(dns_type_name(65, buf, sizeof(buf)), "HTTPS");
	assert_string_equal(dns_type_name(99, buf, sizeof(buf)), "TYPE99");
}

/* ---- hostile messages ---- */

/* A header with qdcount 1 and the given bytes as the question (name + tail). */
static void raw(struct mb *m, const void *q, size_t n)
{
	memset(m, 0, sizeof(*m));
	put16(m, 0x4242);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, 0);
	put16(m, 0);
	put16(m, 0);
	putb(m, q, n);
}

static void test_pointer_loops(void **state)
{
	struct mb m;
	struct dns_msg d;

	(void)state;
	/* the question name points at itself */
	raw(&m, "\xc0\x0c\x00\x01\x00\x01", 6);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	/* two names pointing at each other: 12 -> 14 -> 12 */
	raw(&m, "\xc0\x0e\xc0\x0c\x00\x01\x00\x01", 8);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	/* a label, then back to its own start */
	raw(&m, "\x01" "a\xc0\x0c\x00\x01\x00\x01", 8);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);

	/* a loop in a record's owner: the question stands, the record is cut */
	response(&m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	rr_a(&m, 12, 5, "192.0.2.1");
	{
		size_t at = m.n;

		rr_a(&m, 12, 5, "192.0.2.2");
		set16(&m, at, 0xc000 | (unsigned)at); /* owner -> itself */
	}
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_true(d.partial);
	assert_int_equal(d.nanswers, 1);
	assert_addr(&d.answers[0], AF_INET, "192.0.2.1");

	/* a CNAME target that loops: the record is not kept, the next one is */
	response(&m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	{
		size_t at = m.n + 12;
		uint8_t self[2] = { (uint8_t)(0xc0 | at >> 8), (uint8_t)at };

		rr_ptr(&m, AN, 12, DNS_T_CNAME, 5, self, 2);
	}
	rr_a(&m, 12, 5, "192.0.2.3");
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, 1);
	assert_int_equal(d.answers[0].type, DNS_T_A);
	assert_false(d.partial);
}

/* A record of unknown type whose rdata is a chain of n pointers, each to
 * the one before, the first to the question; then an A record whose owner is
 * the last pointer of the chain. */
static void pointer_chain(struct mb *m, int n)
{
	struct mb chain;
	size_t rdata;

	response(m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	rdata = m->n + 12;
	memset(&chain, 0, sizeof(chain));
	for (int i = 0; i < n; i++)
		put16(&chain, 0xc000 | (unsigned)(i == 0 ? 12 : rdata + 2 * (size_t)(i - 1)));
	rr_ptr(m, AN, 12, 99, 5, chain.b, (unsigned)chain.n);
	rr_a(m, (unsigned)(rdata + 2 * (size_t)(n - 1)), 5, "192.0.2.7");
}

static void test_pointer_chains_bounded(void **state)
{
	struct mb m;
	struct dns_msg d;

	(void)state;
	/* 20 jumps: legal, if unusual */
	pointer_chain(&m, 20);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, 1);
	assert_addr(&d.answers[0], AF_INET, "192.0.2.7");
	assert_false(d.partial);
	/* 40 jumps: given up on */
	pointer_chain(&m, 40);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, 0);
	assert_true(d.partial);
}

static void test_pointer_past_end(void **state)
{
	struct mb m;
	struct dns_msg d;

	(void)state;
	raw(&m, "\xc0\xff\x00\x01\x00\x01", 6); /* to offset 255 of an 18-byte message */
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	raw(&m, "\xff\xff\x00\x01\x00\x01", 6); /* to 16383 */
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	raw(&m, "\x01" "a\xc0", 3); /* the pointer's second byte is missing */
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	/* a pointer to the last byte, which is a label length with nothing after */
	raw(&m, "\xc0\x12\x00\x01\x00\x01\x05", 7);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);

	/* in a CNAME: not kept */
	response(&m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	rr_ptr(&m, AN, 12, DNS_T_CNAME, 5, "\xc3\xff", 2);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, 0);
}

static void test_label_past_end(void **state)
{
	struct mb m;
	struct dns_msg d;

	(void)state;
	raw(&m, "\x14" "short", 6);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	raw(&m, "\x01" "a", 2); /* no root label */
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	raw(&m, "\x01" "a\x00\x00\x01\x00", 6); /* no room for QTYPE and QCLASS */
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	raw(&m, "", 0);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	/* shorter than a header, NULL */
	assert_int_equal(dns_parse(m.b, 11, &d), -1);
	assert_int_equal(dns_parse(NULL, 100, &d), -1);
}

/* A question name of labels of these lengths ("x" repeated). */
static size_t long_name(struct mb *m, const unsigned *lens, size_t nlens)
{
	uint8_t label[64];

	memset(label, 'x', sizeof(label));
	raw(m, NULL, 0);
	for (size_t i = 0; i < nlens; i++) {
		put8(m, lens[i]);
		putb(m, label, lens[i]);
	}
	put8(m, 0);
	put16(m, DNS_T_A);
	put16(m, 1);
	return m->n;
}

static void test_name_length_limit(void **state)
{
	static const unsigned ok[] = { 63, 63, 63, 61 };   /* 255 octets with the root */
	static const unsigned over[] = { 63, 63, 63, 62 }; /* 256 */
	static const unsigned way_over[] = { 63, 63, 63, 63, 63 };
	struct mb m;
	struct dns_msg d;

	(void)state;
	long_name(&m, ok, 4);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(strlen(d.qname), 63 * 3 + 61 + 3);
	long_name(&m, over, 4);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	long_name(&m, way_over, 5);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);

	/* compression does not lift the limit: an owner of 63 + 63 bytes of
	 * labels then a pointer to a question name of 130 octets */
	{
		static const unsigned q[] = { 63, 63, 1 }; /* 131 octets */
		uint8_t label[63];

		memset(label, 'y', sizeof(label));
		long_name(&m, q, 3);
		set16(&m, AN, 2);
		/* first record fine: owner = pointer to the question */
		put16(&m, 0xc00c);
		put16(&m, DNS_T_A);
		put16(&m, 1);
		put32(&m, 5);
		put16(&m, 4);
		putb(&m, "\xc0\x00\x02\x01", 4);
		/* second: 64 + 64 + 131 = 259 octets */
		put8(&m, 63);
		putb(&m, label, 63);
		put8(&m, 63);
		putb(&m, label, 63);
		put16(&m, 0xc00c);
		put16(&m, DNS_T_A);
		put16(&m, 1);
		put32(&m, 5);
		put16(&m, 4);
		putb(&m, "\xc0\x00\x02\x02", 4);
		assert_int_equal(dns_parse(m.b, m.n, &d), 0);
		assert_int_equal(d.nanswers, 1);
		assert_true(d.partial);
	}
}

static void test_qdcount(void **state)
{
	struct mb m;
	struct dns_msg d;

	(void)state;
	response(&m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	set16(&m, 4, 0);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	set16(&m, 4, 2);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	set16(&m, 4, 0xffff);
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	set16(&m, 4, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
}

static void test_truncated_capture(void **state)
{
	struct mb m;
	struct dns_msg d;
	size_t qend, rec[3];

	(void)state;
	response(&m, 1, "jsrv.aegis.aliyun.com", DNS_T_A, 0);
	qend = m.n;
	for (int i = 0; i < 3; i++) {
		char ip[16];

		snprintf(ip, sizeof(ip), "100.100.0.%d", i + 1);
		rr_a(&m, 12, 10, ip);
		rec[i] = m.n; /* end of record i */
	}
	rr_opt(&m, 4096, NULL, 0);

	for (size_t len = 0; len <= m.n; len++) {
		int rc = dns_parse(m.b, len, &d);
		unsigned complete = 0;

		if (len < qend) {
			assert_int_equal(rc, -1);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(d.qname, "jsrv.aegis.aliyun.com");
		for (int i = 0; i < 3; i++)
			complete += len >= rec[i];
		assert_int_equal(d.nanswers, complete);
		assert_int_equal(d.partial, len < m.n);
		assert_int_equal(d.edns, len == m.n);
		if (complete)
			assert_addr(&d.answers[complete - 1], AF_INET,
				    complete == 1 ? "100.100.0.1" : complete == 2 ? "100.100.0.2" : "100.100.0.3");
	}
}

static void test_rdlength_lies(void **state)
{
	struct mb m;
	struct dns_msg d;

	(void)state;
	/* an A of 5 bytes and an AAAA of 4: not addresses; the records after
	 * them are found where their rdlength says */
	response(&m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	rr_ptr(&m, AN, 12, DNS_T_A, 5, "\x01\x02\x03\x04\x05", 5);
	rr_ptr(&m, AN, 12, DNS_T_AAAA, 5, "\x01\x02\x03\x04", 4);
	rr_a(&m, 12, 5, "192.0.2.9");
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, 1);
	assert_addr(&d.answers[0], AF_INET, "192.0.2.9");
	assert_false(d.partial);

	/* rdlength past the end: the answers before it are kept */
	response(&m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	rr_a(&m, 12, 5, "192.0.2.1");
	rr_a(&m, 12, 5, "192.0.2.2");
	set16(&m, m.n - 6, 400);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, 1);
	assert_true(d.partial);

	/* more records announced than present */
	response(&m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	rr_a(&m, 12, 5, "192.0.2.1");
	set16(&m, AN, 9);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, 1);
	assert_true(d.partial);

	/* a CNAME whose name runs past its rdata: its target is the next
	 * record's bytes, not a name of this record */
	response(&m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	{
		struct mb t;

		memset(&t, 0, sizeof(t));
		put_name(&t, "evil.example");
		rr_ptr(&m, AN, 12, DNS_T_CNAME, 5, t.b, (unsigned)t.n);
		set16(&m, m.n - t.n - 2, 2); /* rdlength 2: "\x04" "e" */
		set16(&m, AN, 1);
	}
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	for (unsigned i = 0; i < d.nanswers; i++)
		assert_string_not_equal(d.answers[i].target, "evil.example");
}

static void test_obsolete_label_types(void **state)
{
	struct mb m;
	struct dns_msg d;

	(void)state;
	raw(&m, "\x41" "a\x00\x00\x01\x00\x01", 7); /* 0x40: extended label */
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	raw(&m, "\x81" "a\x00\x00\x01\x00\x01", 7); /* 0x80: reserved */
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	raw(&m, "\x01" "a\x40\x00\x00\x01\x00\x01", 8); /* second label 0x40 */
	assert_int_equal(dns_parse(m.b, m.n, &d), -1);
	/* in an owner: the rest is cut */
	response(&m, 1, "a.aegis.aliyun.com", DNS_T_A, 0);
	rr_a(&m, 12, 5, "192.0.2.1");
	rr_a(&m, 12, 5, "192.0.2.2");
	m.b[m.n - 16] = 0x80;
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_int_equal(d.nanswers, 1);
	assert_true(d.partial);
}

static void test_escapes_and_case(void **state)
{
	struct mb m;
	struct dns_msg d;

	(void)state;
	static const char q[] = "\x03" "a\x00" "b"
				"\x06" "sp ace"
				"\x06" "dot.in"
				"\x0a" "back\\slash"
				"\x02\x7f\xff"
				"\x03" "COM"
				"\x00\x00\x01\x00\x01";

	raw(&m, q, sizeof(q) - 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_string_equal(d.qname, "a\\000b.sp\\032ace.dot\\046in.back\\092slash.\\127\\255.com");
	/* an escaped dot is not a label boundary for matching */
	assert_false(dns_name_under(d.qname, "in.back\\092slash.\\127\\255.com"));
	assert_true(dns_name_under(d.qname, "back\\092slash.\\127\\255.com"));

	response(&m, 1, "JsRv.AEGIS.aliyun.Com", DNS_T_A, 0);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_string_equal(d.qname, "jsrv.aegis.aliyun.com");
}

/* A name whose presentation (escapes are 4 characters for 1 byte) does not
 * fit DNS_NAME_MAX must not come out cut to a different name. */
static void test_escaped_name_too_long_to_present(void **state)
{
	struct mb m;
	struct dns_msg d;
	uint8_t ctl[63];
	int rc;

	(void)state;
	/* 59 control bytes + "xx" = 238 characters, then ".aegis.aliyun.com"
	 * reaches 255: the name is under evil.com, its first 255 characters
	 * read as a name under aegis.aliyun.com */
	memset(ctl, 1, sizeof(ctl));
	raw(&m, NULL, 0);
	put8(&m, 61);
	putb(&m, ctl, 59);
	putb(&m, "xx", 2);
	put_name(&m, "aegis.aliyun.com.evil.com");
	put16(&m, DNS_T_A);
	put16(&m, 1);
	rc = dns_parse(m.b, m.n, &d);
	assert_true(rc == -1 || !dns_name_under(d.qname, "aegis.aliyun.com"));
	assert_true(rc == -1 || strlen(d.qname) < DNS_NAME_MAX);

	/* three labels of 63 control bytes: 3 * 252 characters */
	raw(&m, NULL, 0);
	for (int i = 0; i < 3; i++) {
		put8(&m, 63);
		putb(&m, ctl, 63);
	}
	put8(&m, 0);
	put16(&m, DNS_T_A);
	put16(&m, 1);
	rc = dns_parse(m.b, m.n, &d);
	if (rc == 0) { /* a prefix of the presentation at most, never a splice */
		char full[1024];
		size_t o = 0;

		for (int i = 0; i < 3; i++) {
			for (int j = 0; j < 63; j++)
				o += (size_t)snprintf(full + o, sizeof(full) - o, "\\001");
			if (i < 2)
				full[o++] = '.';
		}
		full[o] = '\0';
		assert_int_equal(strncmp(full, d.qname, strlen(d.qname)), 0);
	}

	/* a few escapes fit */
	raw(&m, "\x02\x01\x02" "\x03" "com\x00\x00\x01\x00\x01", 12);
	assert_int_equal(dns_parse(m.b, m.n, &d), 0);
	assert_string_equal(d.qname, "\\001\\002.com");
}

/* ---- dns_name_under ---- */

static void test_name_under(void **state)
{
	(void)state;
	assert_true(dns_name_under("aegis.aliyun.com", "aegis.aliyun.com"));
	assert_true(dns_name_under("jsrv.aegis.aliyun.com", "aegis.aliyun.com"));
	assert_true(dns_name_under("a.b.jsrv.aegis.aliyun.com", "aegis.aliyun.com"));
	/* label boundaries */
	assert_false(dns_name_under("xaegis.aliyun.com", "aegis.aliyun.com"));
	assert_false(dns_name_under("jsrv-aegis.aliyun.com", "aegis.aliyun.com"));
	assert_false(dns_name_under("aliyun.com", "aegis.aliyun.com"));
	assert_false(dns_name_under("aegis.aliyun.com.evil.com", "aegis.aliyun.com"));
	assert_false(dns_name_under("aegis.aliyun.co", "aegis.aliyun.com"));
	/* trailing dots on either side */
	assert_true(dns_name_under("jsrv.aegis.aliyun.com.", "aegis.aliyun.com"));
	assert_true(dns_name_under("jsrv.aegis.aliyun.com", "aegis.aliyun.com."));
	assert_true(dns_name_under("aegis.aliyun.com.", "aegis.aliyun.com."));
	assert_false(dns_name_under("xaegis.aliyun.com.", "aegis.aliyun.com."));
	/* case */
	assert_true(dns_name_under("JSRV.AEGIS.ALIYUN.COM", "aegis.aliyun.com"));
	assert_true(dns_name_under("jsrv.aegis.aliyun.com", "Aegis.Aliyun.Com"));
	/* nothing is under the empty suffix or the root */
	assert_false(dns_name_under("aegis.aliyun.com", ""));
	assert_false(dns_name_under("aegis.aliyun.com", "."));
	assert_false(dns_name_under("", "aegis.aliyun.com"));
	assert_false(dns_name_under("", ""));
	/* a one-label suffix */
	assert_true(dns_name_under("a.com", "com"));
	assert_false(dns_name_under("a.dotcom", "com"));
}

/* ---- dns_suffix_hash and the kernel filter ---- */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* bpf/dns.bpf.c, find_labels(), label_hash() and suffix_watched(), in plain
 * C: the same steps, the same index masks, the same branch-free case fold. */
static uint64_t ref_fold_case(uint64_t c)
{
	uint64_t t = (c + 191) >> 8, u = (c + 165) >> 8;

	return c + ((t ^ u) << 5);
}

static uint64_t ref_label_hash(const uint8_t *data, uint32_t at)
{
	uint64_t h = FNV_OFFSET;
	uint32_t n;

	if (!at)
		return 0;
	n = data[at & 511];
	for (uint32_t j = 1; j <= 63; j++) {
		if (j > n)
			break;
		h = (h ^ ref_fold_case(data[(at + j) & 511])) * FNV_PRIME;
	}
	return h;
}

/* 1 too many labels, 0 found (at[] filled), -1 malformed */
static int ref_find_labels(const uint8_t *data, uint32_t len, uint32_t at[4], uint32_t *nlabels)
{
	uint32_t pos = 12;

	at[0] = at[1] = at[2] = at[3] = 0;
	*nlabels = 0;
	for (uint32_t k = 0; k < 40; k++) {
		uint32_t n = data[pos & 511];

		if (n == 0)
			return 0;
		if (n & 0xc0)
			return -1;
		at[0] = at[1];
		at[1] = at[2];
		at[2] = at[3];
		at[3] = pos;
		(*nlabels)++;
		pos += n + 1;
		if (pos >= len)
			return -1;
	}
	return 1;
}

/* The hashes the kernel looks up for a message: out[k-1] for the last k
 * labels, k = 1..4 (a missing label hashing as 0). Returns how many labels
 * the name has, at most 4; -1 if the walk refuses it, -2 if it has more
 * labels than the walk takes (sent to userspace unhashed). */
static int ref_suffixes(const uint8_t *msg, size_t len, uint64_t out[4])
{
	uint8_t data[512];
	uint32_t n = len > 512 ? 512 : (uint32_t)len, at[4], nlabels;
	uint64_t l[4];
	int found;

	memset(data, 0, sizeof(data));
	memcpy(data, msg, n);
	found = ref_find_labels(data, n, at, &nlabels);
	if (found)
		return found > 0 ? -2 : -1;
	for (int i = 0; i < 4; i++)
		l[i] = ref_label_hash(data, at[i]);
	out[0] = (FNV_OFFSET ^ l[3]) * FNV_PRIME;
	out[1] = (((FNV_OFFSET ^ l[2]) * FNV_PRIME) ^ l[3]) * FNV_PRIME;
	out[2] = (((((FNV_OFFSET ^ l[1]) * FNV_PRIME) ^ l[2]) * FNV_PRIME) ^ l[3]) * FNV_PRIME;
	out[3] = (((((((FNV_OFFSET ^ l[0]) * FNV_PRIME) ^ l[1]) * FNV_PRIME) ^ l[2]) * FNV_PRIME) ^ l[3]) *
		 FNV_PRIME;
	return nlabels < 4 ? (int)nlabels : 4;
}

static unsigned labels_of(const char *s)
{
	unsigned n = 1;

	for (; *s; s++)
		n += *s == '.';
	return n;
}

static void test_suffix_hash_basics(void **state)
{
	char l63[80], l64[80];

	(void)state;
	assert_int_not_equal(dns_suffix_hash("aegis.aliyun.com"), 0);
	assert_int_equal(dns_suffix_hash("aegis.aliyun.com"), dns_suffix_hash("AEGIS.Aliyun.COM"));
	assert_int_equal(dns_suffix_hash("aegis.aliyun.com"), dns_suffix_hash("aegis.aliyun.com."));
	assert_int_not_equal(dns_suffix_hash("aegis.aliyun.com"), dns_suffix_hash("aegis.aliyuncs.com"));
	assert_int_not_equal(dns_suffix_hash("aegis.aliyun.com"), dns_suffix_hash("aliyun.com"));
	/* the label structure counts, not only the bytes */
	assert_int_not_equal(dns_suffix_hash("ab.c"), dns_suffix_hash("a.bc"));
	assert_int_not_equal(dns_suffix_hash("a.b"), dns_suffix_hash("b.a"));
	/* 1 to 4 labels */
	assert_int_not_equal(dns_suffix_hash("com"), 0);
	assert_int_not_equal(dns_suffix_hash("a.b.c.d"), 0);
	assert_int_equal(dns_suffix_hash("a.b.c.d.e"), 0);
	assert_int_equal(dns_label_count("com"), 1);
	assert_int_equal(dns_label_count("aegis.aliyun.com"), 3);
	assert_int_equal(dns_label_count("aegis.aliyun.com."), 3);
	assert_int_equal(dns_label_count("a.b.c.d"), 4);
	assert_int_equal(dns_suffix_hash("x.jsrv.aegis.aliyun.com"), 0);
	/* empty labels */
	assert_int_equal(dns_suffix_hash(""), 0);
	assert_int_equal(dns_suffix_hash("."), 0);
	assert_int_equal(dns_suffix_hash(".com"), 0);
	assert_int_equal(dns_suffix_hash("a..com"), 0);
	assert_int_equal(dns_suffix_hash("com.."), 0);
	/* label length */
	memset(l63, 'a', 63);
	strcpy(l63 + 63, ".com");
	memset(l64, 'a', 64);
	strcpy(l64 + 64, ".com");
	assert_int_not_equal(dns_suffix_hash(l63), 0);
	assert_int_equal(dns_suffix_hash(l64), 0);
}

static void test_suffix_hash_matches_kernel(void **state)
{
	static const char *const domains[] = {
		"aegis.aliyun.com", "aegis.aliyuncs.com", "aegis.alicdn.com", "com",
		"corp.example", "a.b.c.d", "AeGiS.AliYun.CoM",
	};
	static const char *const prefixes[] = {
		"", "jsrv.", "JSRV.", "update2.", "a.b.", "x.y.z.w.", "1.2.3.4.5.6.7.",
		NULL, /* a label of 63 */
	};
	uint8_t q[512];
	char name[300], l63[70];
	uint64_t got[4];

	(void)state;
	memset(l63, 'L', 63);
	strcpy(l63 + 63, ".");
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		uint64_t want = dns_suffix_hash(domains[i]);
		unsigned k = labels_of(domains[i]);

		assert_int_not_equal(want, 0);
		/* the kernel looks up only the suffix lengths the loader marked */
		assert_int_equal(dns_label_count(domains[i]), k);
		for (size_t j = 0; j < sizeof(prefixes) / sizeof(prefixes[0]); j++) {
			size_t n;
			int nk;

			snprintf(name, sizeof(name), "%s%s", prefixes[j] ? prefixes[j] : l63, domains[i]);
			n = dns_build_query(q, sizeof(q), (uint16_t)(i * 31 + j), name, DNS_T_A);
			assert_true(n > 0);
			nk = ref_suffixes(q, n, got);
			assert_int_equal(nk, labels_of(name) < 4 ? labels_of(name) : 4);
			assert_int_equal(got[k - 1], want);
			/* the other lengths are other suffixes: no match by accident */
			for (int s = 0; s < nk; s++)
				if ((unsigned)s != k - 1)
					assert_int_not_equal(got[s], want);
		}
	}
	/* names not under a domain never give its hash */
	{
		static const char *const others[] = {
			"xaegis.aliyun.com", "aegis.aliyun.com.evil.com", "aliyun.com",
			"www.example.com", "aegis-aliyun.com", "aegis.aliyun.co",
		};
		uint64_t want = dns_suffix_hash("aegis.aliyun.com");

		for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
			size_t n = dns_build_query(q, sizeof(q), 1, others[i], DNS_T_A);
			int nk = ref_suffixes(q, n, got);

			assert_true(nk > 0);
			for (int s = 0; s < nk; s++)
				assert_int_not_equal(got[s], want);
		}
	}
	/* a dot inside a wire label is not a boundary for the kernel either */
	{
		struct mb m;

		raw(&m, "\x04" "jsrv" "\x0c" "aegis.aliyun" "\x03" "com" "\x00\x00\x01\x00\x01", 27);
		assert_int_equal(ref_suffixes(m.b, m.n, got), 3);
		for (int s = 0; s < 3; s++)
			assert_int_not_equal(got[s], dns_suffix_hash("aegis.aliyun.com"));
	}
	/* the branch-free fold is tolower() for every byte, and resolvers'
	 * random case (0x20 encoding) still matches */
	for (unsigned c = 0; c < 256; c++)
		assert_int_equal(ref_fold_case(c), (unsigned)tolower((int)c));
	{
		size_t n = dns_build_query(q, sizeof(q), 7, "JsRv.AeGiS.aLiYuN.CoM", DNS_T_A);

		assert_int_equal(ref_suffixes(q, n, got), 4);
		assert_int_equal(got[2], dns_suffix_hash("aegis.aliyun.com"));
	}
	/* more labels than the walk takes: to userspace, unhashed */
	{
		char deep[200] = "";

		for (int i = 0; i < 41; i++)
			strcat(deep, "a.");
		strcat(deep, "aegis.aliyun.com");
		assert_int_equal(ref_suffixes(q, dns_build_query(q, sizeof(q), 8, deep, DNS_T_A), got), -2);
	}
	/* what the kernel walk refuses: compression in the question, a capture
	 * that ends inside the name */
	{
		struct mb m;

		raw(&m, "\x01" "a\xc0\x0c\x00\x01\x00\x01", 8);
		assert_int_equal(ref_suffixes(m.b, m.n, got), -1);
		dns_build_query(q, sizeof(q), 1, "jsrv.aegis.aliyun.com", DNS_T_A);
		assert_int_equal(ref_suffixes(q, 20, got), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_a_and_aaaa),
		cmocka_unit_test(test_more_answers_than_kept),
		cmocka_unit_test(test_cname_chain_with_compression),
		cmocka_unit_test(test_edns_and_other_sections),
		cmocka_unit_test(test_tc_and_rcodes),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_pointer_chains_bounded),
		cmocka_unit_test(test_pointer_past_end),
		cmocka_unit_test(test_label_past_end),
		cmocka_unit_test(test_name_length_limit),
		cmocka_unit_test(test_qdcount),
		cmocka_unit_test(test_truncated_capture),
		cmocka_unit_test(test_rdlength_lies),
		cmocka_unit_test(test_obsolete_label_types),
		cmocka_unit_test(test_escapes_and_case),
		cmocka_unit_test(test_escaped_name_too_long_to_present),
		cmocka_unit_test(test_name_under),
		cmocka_unit_test(test_suffix_hash_basics),
		cmocka_unit_test(test_suffix_hash_matches_kernel),
	};

	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
