// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Keyed socket ids: SipHash-2-4 (Aumasson and Bernstein), a PRF for short
 * inputs, so an id reveals nothing of the address without the key. */
#include "sockid.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "ev.h"

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

uint64_t siphash24(const struct sockid_key *key, const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t v[4] = { 0x736f6d6570736575ULL ^ key->k0, 0x646f72616e646f6dULL ^ key->k1,
			  0x6c7967656e657261ULL ^ key->k0, 0x7465646279746573ULL ^ key->k1 };
	uint64_t m, b = (uint64_t)len << 56;
	size_t whole = len - len % 8;
	uint8_t tail[8] = { 0 };

	for (size_t i = 0; i < whole; i += 8) {
		m = load_le64(in + i);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	memcpy(tail, in + whole, len % 8);
	b |= load_le64(tail);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

int sockid_key_init(struct sockid_key *key)
{
	uint8_t raw[16];
	size_t got = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	key->k0 = load_le64(raw);
	key->k1 = load_le64(raw + 8);
	return 0;
}

static uint64_t hide_one(const struct sockid_key *key, uint64_t addr)
{
	/* 0 stays 0: "no socket" */
	return addr ? siphash24(key, &addr, sizeof(addr)) | 1 : 0;
}

void sockid_hide(const struct sockid_key *key, struct ev *e)
{
	if (e->hdr.type == AEGIS_EV_TCP_STATE)
		e->tcp.sock_id = hide_one(key, e->tcp.sock_id);
	else if (e->hdr.type == AEGIS_EV_NF_DROP)
		e->drop.sock_id = hide_one(key, e->drop.sock_id);
	else if (e->hdr.type == AEGIS_EV_TCP_RETRANS)
		e->retrans.sock_id = hide_one(key, e->retrans.sock_id);
}
