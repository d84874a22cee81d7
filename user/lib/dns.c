// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* DNS message parsing: every length and pointer checked against the buffer. */
#include "dns.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL
#define MAX_POINTERS 32 /* compression loops end here */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Read the name at *off into out (presentation form, lowercase, escaped
 * non-printables as \DDD), following compression pointers. *off moves past
 * the name as it is stored at *off. 0 or -1.
 */
static int read_name(const uint8_t *buf, size_t len, size_t *off, char *out, size_t outlen)
{
	size_t pos = *off, o = 0, end = 0;
	unsigned pointers = 0, wire = 0;
	bool jumped = false;

	for (;;) {
		uint8_t l;

		if (pos >= len)
			return -1;
		l = buf[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++pointers > MAX_POINTERS)
				return -1;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = (size_t)((l & 0x3f) << 8 | buf[pos + 1]);
			continue;
		}
		if (l & 0xc0)
			return -1; /* 0x40 and 0x80 label types are obsolete */
		pos++;
		if (l == 0)
			break;
		/* 255 octets at most, the root label included (RFC 1035 2.3.4) */
		if (pos + l > len || (wire += l + 1u) > 254)
			return -1;
		/* a presentation that does not fit (escapes take 4 characters) is
		 * refused: cut, it could read as another name */
		if (o) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = '.';
		}
		for (unsigned i = 0; i < l; i++) {
			uint8_t c = buf[pos + i];

			if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
				if (o + 1 >= outlen)
					return -1;
				out[o++] = (char)tolower(c);
			} else {
				if (o + 4 >= outlen)
					return -1;
				snprintf(out + o, 5, "\\%03u", c);
				o += 4;
			}
		}
		pos += l;
	}
	if (outlen)
		out[o < outlen ? o : outlen - 1] = '\0';
	*off = jumped ? end : pos;
	return 0;
}

static void parse_records(const uint8_t *buf, size_t len, size_t off, struct dns_msg *m)
{
	unsigned total = (unsigned)m->ancount + m->nscount + m->arcount;
	char owner[DNS_NAME_MAX];

	for (unsigned i = 0; i < total; i++) {
		uint16_t type, rdlen;
		uint32_t ttl;
		struct dns_answer *a;

		if (read_name(buf, len, &off, owner, sizeof(owner)) || off + 10 > len) {
			m->partial = true;
			return;
		}
		type = rd16(buf + off);
		ttl = rd32(buf + off + 4);
		rdlen = rd16(buf + off + 8);
		off += 10;
		if (off + rdlen > len) {
			m->partial = true;
			return;
		}
		if (type == DNS_T_OPT && i >= (unsigned)m->ancount + m->nscount) {
			m->edns = true;
			m->edns_udp_size = rd16(buf + off - 8); /* CLASS holds the size */
		} else if (i < m->ancount && m->nanswers < DNS_MAX_ANSWERS &&
			   ((type == DNS_T_A && rdlen == 4) || (type == DNS_T_AAAA && rdlen == 16) ||
			    type == DNS_T_CNAME)) {
			a = &m->answers[m->nanswers];
			memset(a, 0, sizeof(*a));
			a->type = type;
			a->ttl = ttl;
			if (type == DNS_T_CNAME) {
				size_t t = off;

				/* the target lies within the record's rdata */
				if (read_name(buf, len, &t, a->target, sizeof(a->target)) == 0 &&
				    t <= off + rdlen)
					m->nanswers++;
			} else {
				a->family = type == DNS_T_A ? AF_INET : AF_INET6;
				memcpy(a->addr, buf + off, rdlen);
				m->nanswers++;
			}
		}
		off += rdlen;
	}
}

int dns_parse(const uint8_t *buf, size_t len, struct dns_msg *m)
{
	size_t off = 12;

	memset(m, 0, sizeof(*m));
	if (!buf || len < 12)
		return -1;
	m->id = rd16(buf);
	m->qr = buf[2] & 0x80;
	m->opcode = (buf[2] >> 3) & 0x0f;
	m->aa = buf[2] & 0x04;
	m->tc = buf[2] & 0x02;
	m->rd = buf[2] & 0x01;
	m->ra = buf[3] & 0x80;
	m->rcode = buf[3] & 0x0f;
	m->qdcount = rd16(buf + 4);
	m->ancount = rd16(buf + 6);
	m->nscount = rd16(buf + 8);
	m->arcount = rd16(buf + 10);
	if (m->qdcount != 1)
		return -1; /* every real query and answer has exactly one question */
	if (read_name(buf, len, &off, m->qname, sizeof(m->qname)) || off + 4 > len)
		return -1;
	m->qtype = rd16(buf + off);
	m->qclass = rd16(buf + off + 2);
	parse_records(buf, len, off + 4, m);
	return 0;
}

bool dns_name_under(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	while (n && name[n - 1] == '.')
		n--;
	while (s && suffix[s - 1] == '.')
		s--;
	if (s == 0 || s > n || strncasecmp(name + n - s, suffix, s))
		return false;
	return n == s || name[n - s - 1] == '.';
}

uint64_t dns_suffix_hash(const char *domain)
{
	uint64_t lh[4], sh = FNV_OFFSET, h = FNV_OFFSET;
	unsigned n = 0;
	size_t llen = 0;
	const char *p;

	for (p = domain;; p++) {
		if (*p == '.' || *p == '\0') {
			if (llen == 0) {
				if (*p == '\0' && n > 0)
					break; /* trailing dot */
				return 0;
			}
			if (n >= 4)
				return 0;
			lh[n++] = h;
			h = FNV_OFFSET;
			llen = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (++llen > 63)
			return 0;
		h = (h ^ (uint8_t)tolower((unsigned char)*p)) * FNV_PRIME;
	}
	for (unsigned i = 0; i < n; i++)
		sh = (sh ^ lh[i]) * FNV_PRIME;
	return sh;
}

unsigned dns_label_count(const char *domain)
{
	unsigned n = 0;
	const char *p = domain;

	while (*p) {
		const char *dot = strchr(p, '.');

		n++;
		if (!dot)
			break;
		p = dot + 1;
	}
	return n;
}

size_t dns_build_query(uint8_t *buf, size_t len, uint16_t id, const char *name, uint16_t qtype)
{
	size_t o = 12, l;
	const char *p = name, *dot;

	if (len < 12 + strlen(name) + 2 + 4)
		return 0;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[2] = 0x01; /* RD */
	buf[5] = 1;    /* QDCOUNT */
	while (*p) {
		dot = strchr(p, '.');
		l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63)
			return 0;
		buf[o++] = (uint8_t)l;
		memcpy(buf + o, p, l);
		o += l;
		p += l + (dot ? 1 : 0);
	}
	buf[o++] = 0;
	buf[o++] = (uint8_t)(qtype >> 8);
	buf[o++] = (uint8_t)qtype;
	buf[o++] = 0;
	buf[o++] = 1; /* IN */
	return o;
}

const char *dns_rcode_name(unsigned rcode)
{
	static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					     "NOTIMP", "REFUSED" };

	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "RCODE?";
}

const char *dns_type_name(unsigned type, char *buf, size_t len)
{
	switch (type) {
	case DNS_T_A: return "A";
	case DNS_T_AAAA: return "AAAA";
	case DNS_T_CNAME: return "CNAME";
	case 65: return "HTTPS";
	default:
		snprintf(buf, len, "TYPE%u", type);
		return buf;
	}
}
