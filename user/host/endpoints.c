// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Endpoint CIDRs and ports. */
#include "endpoints.h"

#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const default_cidrs[] = { "100.100.0.0/16", "106.11.0.0/16", "100.103.0.0/16" };
static const uint16_t default_ports[] = { 80, 443, 8080 };

void endpoints_defaults(struct endpoint_set *s)
{
	char err[64];

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(default_cidrs) / sizeof(default_cidrs[0]); i++)
		if (cidr_parse(default_cidrs[i], &s->cidrs[s->ncidrs], err, sizeof(err)) == 0)
			s->ncidrs++;
	for (size_t i = 0; i < sizeof(default_ports) / sizeof(default_ports[0]); i++)
		s->ports[s->nports++] = default_ports[i];
}

int cidr_parse(const char *text, struct cidr *out, char *err, size_t errlen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned max;
	size_t len = strlen(text);

	memset(out, 0, sizeof(*out));
	if (len == 0 || len >= sizeof(buf)) {
		snprintf(err, errlen, "'%s' is not an address or CIDR", text);
		return -1;
	}
	memcpy(buf, text, len + 1);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		snprintf(err, errlen, "'%s' is not an IPv4 or IPv6 address", buf);
		return -1;
	}
	out->prefixlen = max;
	if (slash) {
		char *end;
		long v;

		errno = 0;
		v = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end || errno || v < 0 || v > (long)max) {
			snprintf(err, errlen, "'%s': prefix length must be 0-%u", text, max);
			return -1;
		}
		out->prefixlen = (unsigned)v;
	}
	/* clear host bits so the trie key is canonical */
	for (unsigned bit = out->prefixlen; bit < max; bit++)
		out->addr[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
	return 0;
}

bool cidr_contains(const struct cidr *c, int family, const unsigned char *addr)
{
	unsigned full = c->prefixlen / 8, rest = c->prefixlen % 8;

	if (c->family != family)
		return false;
	if (memcmp(c->addr, addr, full))
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));

		return (c->addr[full] & mask) == (addr[full] & mask);
	}
	return true;
}

bool endpoints_contains(const struct endpoint_set *s, int family, const unsigned char *addr)
{
	for (int i = 0; i < s->ncidrs; i++)
		if (cidr_contains(&s->cidrs[i], family, addr))
			return true;
	return false;
}

bool endpoints_port(const struct endpoint_set *s, uint16_t port)
{
	for (int i = 0; i < s->nports; i++)
		if (s->ports[i] == port)
			return true;
	return false;
}

bool addr_is_sink(int family, const unsigned char *addr)
{
	static const unsigned char zero[16], loop6[16] = { [15] = 1 };

	if (family == AF_INET)
		return memcmp(addr, zero, 4) == 0 || addr[0] == 127;
	if (family == AF_INET6) {
		/* ::, ::1, and IPv4-mapped 0.0.0.0 / 127.x */
		if (!memcmp(addr, zero, 16) || !memcmp(addr, loop6, 16))
			return true;
		if (!memcmp(addr, zero, 10) && addr[10] == 0xff && addr[11] == 0xff)
			return addr_is_sink(AF_INET, addr + 12);
	}
	return false;
}

const char *addr_str(int family, const unsigned char *addr, char *buf, size_t len)
{
	if (!inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

void domains_defaults(struct domain_set *s)
{
	static const char *const defaults[] = { "aegis.aliyun.com", "aegis.aliyuncs.com",
						"aegis.alicdn.com" };
	char err[64];

	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		domains_add(s, defaults[i], err, sizeof(err));
}

int domains_add(struct domain_set *s, const char *suffix, char *err, size_t errlen)
{
	size_t len = strlen(suffix);

	if (s->n >= DOMAIN_MAX) {
		snprintf(err, errlen, "at most %d domains", DOMAIN_MAX);
		return -1;
	}
	if (len == 0 || len >= DOMAIN_LEN || dns_suffix_hash(suffix) == 0) {
		snprintf(err, errlen, "'%s' is not a domain of 1-4 labels", suffix);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		char c = suffix[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_')) {
			snprintf(err, errlen, "'%s' is not a domain of 1-4 labels", suffix);
			return -1;
		}
	}
	snprintf(s->names[s->n++], DOMAIN_LEN, "%s", suffix);
	return 0;
}

const char *domains_match(const struct domain_set *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (dns_name_under(name, s->names[i]))
			return s->names[i];
	return NULL;
}

/* ---- addresses learned from DNS ---- */

#define LEARNED_NSEC 1000000000ULL

uint64_t learned_life_ns(uint32_t ttl)
{
	uint64_t s = ttl;

	if (s < LEARNED_TTL_MIN_S)
		s = LEARNED_TTL_MIN_S;
	if (s > LEARNED_TTL_MAX_S)
		s = LEARNED_TTL_MAX_S;
	return s * LEARNED_NSEC;
}

static size_t family_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

static unsigned learned_bucket(int family, const uint8_t *addr)
{
	uint32_t h = 2166136261u ^ (uint32_t)family;

	for (size_t i = 0; i < family_len(family); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h & (LEARNED_BUCKETS - 1);
}

/* The slot holding addr, or NULL; *link is where it is linked from. */
static struct learned_addr *learned_find(const struct learned_set *s, int family, const uint8_t *addr,
					 const uint16_t **link)
{
	const uint16_t *at = &s->buckets[learned_bucket(family, addr)];

	while (*at) {
		const struct learned_addr *a = &s->slot[*at - 1];

		if (a->family == family && !memcmp(a->addr, addr, family_len(family))) {
			if (link)
				*link = at;
			return (struct learned_addr *)a;
		}
		at = &a->next;
	}
	return NULL;
}

bool learned_contains(const struct learned_set *s, int family, const uint8_t *addr)
{
	return (family == AF_INET || family == AF_INET6) && learned_find(s, family, addr, NULL);
}

static struct learned_addr *learned_take_slot(struct learned_set *s)
{
	struct learned_addr *a;

	if (s->free) {
		a = &s->slot[s->free - 1];
		s->free = a->next;
		return a;
	}
	if (s->used < LEARNED_MAX)
		return &s->slot[s->used++];
	return NULL;
}

int learned_add(struct learned_set *s, int family, const uint8_t *addr, uint32_t ttl, uint64_t now_ns)
{
	uint64_t until = now_ns + learned_life_ns(ttl);
	struct learned_addr *a;
	uint16_t *head;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	a = learned_find(s, family, addr, NULL);
	if (a) {
		/* another answer, or another name for it: the longest life wins */
		if (until > a->expires_ns)
			a->expires_ns = until;
		return 0;
	}
	a = learned_take_slot(s);
	if (!a)
		return -ENOSPC;
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	memcpy(a->addr, addr, family_len(family));
	a->expires_ns = until;
	head = &s->buckets[learned_bucket(family, addr)];
	a->next = *head;
	*head = (uint16_t)(a - s->slot + 1);
	s->n++;
	if (s->n == 1 || until < s->next_expiry_ns)
		s->next_expiry_ns = until;
	return 1;
}

static void learned_remove(struct learned_set *s, struct learned_addr *a)
{
	const uint16_t *link = NULL;

	if (!learned_find(s, a->family, a->addr, &link))
		return;
	*(uint16_t *)link = a->next;
	memset(a, 0, sizeof(*a));
	a->next = s->free;
	s->free = (uint16_t)(a - s->slot + 1);
	s->n--;
}

unsigned learned_expire(struct learned_set *s, uint64_t now_ns,
			void (*fn)(void *ctx, int family, const uint8_t *addr), void *ctx)
{
	uint64_t next = UINT64_MAX;
	unsigned gone = 0;

	/* called at every tick: the scan only when something is due */
	if (!s->n || now_ns < s->next_expiry_ns)
		return 0;
	for (unsigned i = 0; i < s->used; i++) {
		struct learned_addr *a = &s->slot[i];
		uint8_t addr[16];
		int family = a->family;

		if (!family)
			continue;
		if (a->expires_ns > now_ns) {
			if (a->expires_ns < next)
				next = a->expires_ns;
			continue;
		}
		memcpy(addr, a->addr, sizeof(addr));
		learned_remove(s, a);
		gone++;
		if (fn)
			fn(ctx, family, addr);
	}
	s->next_expiry_ns = next;
	return gone;
}
