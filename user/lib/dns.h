/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* DNS messages: a defensive parser (names with compression, A/AAAA/CNAME,
 * rcode, TC, EDNS), name matching, and the suffix hashes the kernel filter
 * uses. Pure: fuzzed by tests/fuzz/fuzz_dns.c. */
#ifndef AEGISMON_DNS_H
#define AEGISMON_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 256      /* presentation form with the NUL */
#define DNS_MAX_ANSWERS 16

enum { DNS_T_A = 1, DNS_T_CNAME = 5, DNS_T_AAAA = 28, DNS_T_OPT = 41 };
enum { DNS_RC_NOERROR = 0, DNS_RC_FORMERR = 1, DNS_RC_SERVFAIL = 2, DNS_RC_NXDOMAIN = 3,
       DNS_RC_NOTIMP = 4, DNS_RC_REFUSED = 5 };

struct dns_answer {
	uint16_t type;
	uint32_t ttl;
	int family;            /* AF_INET / AF_INET6 for A / AAAA, else 0 */
	uint8_t addr[16];
	char target[DNS_NAME_MAX]; /* CNAME target */
};

struct dns_msg {
	uint16_t id;
	bool qr, tc, aa, rd, ra;
	uint8_t opcode;
	uint8_t rcode;
	uint16_t qdcount, ancount, nscount, arcount;
	char qname[DNS_NAME_MAX];  /* lowercase, no trailing dot; "" for the root */
	uint16_t qtype, qclass;
	unsigned nanswers;         /* A, AAAA and CNAME records kept */
	struct dns_answer answers[DNS_MAX_ANSWERS];
	bool edns;
	uint16_t edns_udp_size;
	bool partial;              /* the capture ended inside the message */
};

/* 0 if at least the header and question parsed; -1 if malformed. Answers
 * past a malformed record or the end of the capture are left out (partial). */
int dns_parse(const uint8_t *buf, size_t len, struct dns_msg *out);

/* name is suffix or under it ("jsrv.aegis.aliyun.com" under "aegis.aliyun.com"),
 * case-insensitive, on label boundaries. */
bool dns_name_under(const char *name, const char *suffix);

/* The kernel filter's hash of a name's last k labels (k = its label count
 * for a domain); 0 if the name is invalid or has more than 4 labels. */
uint64_t dns_suffix_hash(const char *domain);
/* Labels in a domain ("aegis.aliyun.com." has 3): the suffix lengths the
 * kernel filter has to look up. */
unsigned dns_label_count(const char *domain);

/* Encode a query for name (check and tests); returns its length or 0. */
size_t dns_build_query(uint8_t *buf, size_t len, uint16_t id, const char *name, uint16_t qtype);

const char *dns_rcode_name(unsigned rcode);
const char *dns_type_name(unsigned type, char *buf, size_t len);

#endif
