/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The Aegis endpoints: CIDRs, ports, and what counts as a sinkhole. */
#ifndef AEGISMON_ENDPOINTS_H
#define AEGISMON_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENDPOINT_MAX_CIDRS 64
#define ENDPOINT_MAX_PORTS 16
#define DOMAIN_MAX 8
#define DOMAIN_LEN 128

struct cidr {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];   /* network order, host bits cleared */
	unsigned prefixlen;
};

struct endpoint_set {
	int ncidrs;
	struct cidr cidrs[ENDPOINT_MAX_CIDRS];
	int nports;
	uint16_t ports[ENDPOINT_MAX_PORTS];
};

/* Aegis domain suffixes: names under them are watched in DNS. */
struct domain_set {
	int n;
	char names[DOMAIN_MAX][DOMAIN_LEN];
};

/* aegis.aliyun.com, aegis.aliyuncs.com, aegis.alicdn.com */
void domains_defaults(struct domain_set *s);
/* Add a suffix: 1-4 labels of 1-63 characters. 0, or -1 with a reason. */
int domains_add(struct domain_set *s, const char *suffix, char *err, size_t errlen);
/* The watched suffix name falls under, or NULL. */
const char *domains_match(const struct domain_set *s, const char *name);

/* Defaults from the official documentation: 100.100.0.0/16, 106.11.0.0/16,
 * 100.103.0.0/16; ports 80, 443, 8080. */
void endpoints_defaults(struct endpoint_set *s);
/* Parse "a.b.c.d/n", "a.b.c.d", "x::y/n". 0, or -1 with a reason in err. */
int cidr_parse(const char *text, struct cidr *out, char *err, size_t errlen);
bool cidr_contains(const struct cidr *c, int family, const unsigned char *addr);
bool endpoints_contains(const struct endpoint_set *s, int family, const unsigned char *addr);
bool endpoints_port(const struct endpoint_set *s, uint16_t port);
/* 0.0.0.0, ::, loopback: where a hijacked name sends the agent. */
bool addr_is_sink(int family, const unsigned char *addr);
/* "100.100.1.2" or "[::1]" style text for addr (family AF_INET/AF_INET6). */
const char *addr_str(int family, const unsigned char *addr, char *buf, size_t len);

/*
 * Addresses learned from DNS answers for watched names (added to the kernel's
 * endpoint tries as /32 or /128). Each lives as long as the answer's TTL,
 * clamped: a TTL of 0 or a few seconds must not make the kernel forget an
 * address the agent is connecting to right now, and a TTL of years (a broken
 * or hostile server) must not keep it for ever. The configured CIDRs are not
 * in this set and never expire.
 */
#define LEARNED_TTL_MIN_S 60     /* floor of a learned address's life */
#define LEARNED_TTL_MAX_S 86400  /* ceiling: one day */
/* The kernel tries hold 4096 prefixes each, the configured CIDRs among them:
 * the learned set leaves room for all of those, so the kernel never refuses. */
#define LEARNED_MAX (4096 - ENDPOINT_MAX_CIDRS)
#define LEARNED_BUCKETS 8192     /* power of two, about twice LEARNED_MAX */

struct learned_addr {
	uint64_t expires_ns;
	uint8_t family;          /* AF_INET / AF_INET6; 0: a free slot */
	uint8_t addr[16];
	uint16_t next;           /* in its bucket, or in the free list: slot + 1, 0 for none */
};

/* A fixed table, hashed by address: a zeroed set is empty, nothing is
 * allocated per answer. */
struct learned_set {
	unsigned n;              /* addresses now */
	unsigned used;           /* slots ever taken */
	uint16_t free;           /* freed slots: slot + 1, 0 for none */
	uint64_t next_expiry_ns; /* no address expires before this (0: look) */
	uint16_t buckets[LEARNED_BUCKETS];
	struct learned_addr slot[LEARNED_MAX];
};

/* How long an answer's TTL keeps an address: clamped to the floor and ceiling. */
uint64_t learned_life_ns(uint32_t ttl);
/* Learn addr at now_ns for ttl seconds. 1: new (the kernel set should add
 * it); 0: known already (its life is extended if this TTL reaches further);
 * -ENOSPC: the set is full, nothing changed; -EINVAL: not an address family. */
int learned_add(struct learned_set *s, int family, const uint8_t *addr, uint32_t ttl, uint64_t now_ns);
bool learned_contains(const struct learned_set *s, int family, const uint8_t *addr);
/* Remove every address whose life ended by now_ns, telling fn of each (in
 * slot order: deterministic). Returns how many. */
unsigned learned_expire(struct learned_set *s, uint64_t now_ns,
			void (*fn)(void *ctx, int family, const uint8_t *addr), void *ctx);

#endif
