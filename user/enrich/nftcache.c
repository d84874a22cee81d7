// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* nftables listings per (namespace, generation): bounded, owned by one thread. */
#include "nftcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void slot_free(struct nft_cached *e)
{
	free(e->json);
	free(e->text);
	memset(e, 0, sizeof(*e));
}

/* How long an entry is good for, by what it knows. */
static uint64_t max_age(const struct nft_cached *e)
{
	if (e->err)
		return NFT_CACHE_FAIL_AGE_NS;
	return e->has_gen ? NFT_CACHE_MAX_AGE_NS : NFT_CACHE_NOGEN_AGE_NS;
}

const struct nft_cached *nft_cache_get(struct nft_cache *c, uint32_t netns, bool has_gen,
				       uint32_t gen, uint64_t now)
{
	for (int i = 0; netns && i < NFT_CACHE_SLOTS; i++) {
		struct nft_cached *e = &c->slot[i];

		if (e->netns != netns)
			continue;
		/* a generation known on one side only is a different ruleset for all we know */
		if (e->has_gen != has_gen || (has_gen && e->gen != gen))
			return NULL;
		if (now < e->read_ns || now - e->read_ns > max_age(e))
			return NULL;
		e->used_ns = now;
		return e;
	}
	return NULL;
}

/* The namespace's slot, else a free one, else the least recently used. */
static struct nft_cached *slot_for(struct nft_cache *c, uint32_t netns)
{
	struct nft_cached *lru = &c->slot[0];

	for (int i = 0; i < NFT_CACHE_SLOTS; i++)
		if (c->slot[i].netns == netns)
			return &c->slot[i];
	for (int i = 0; i < NFT_CACHE_SLOTS; i++) {
		struct nft_cached *e = &c->slot[i];

		if (!e->netns)
			return e;
		if (e->used_ns < lru->used_ns)
			lru = e;
	}
	return lru;
}

const struct nft_cached *nft_cache_put(struct nft_cache *c, uint32_t netns, bool has_gen,
				       uint32_t gen, uint64_t now, int err, char *json,
				       size_t jlen, char *text, size_t tlen)
{
	struct nft_cached *e = slot_for(c, netns);

	slot_free(e);
	e->netns = netns;
	e->has_gen = has_gen;
	e->gen = gen;
	e->read_ns = e->used_ns = now;
	e->err = err ? err : json ? 0 : -EIO; /* success without a listing: take it as a failure */
	if (e->err) {
		free(json);
		free(text);
		return e;
	}
	e->json = json;
	e->jlen = jlen;
	e->text = text;
	e->tlen = text ? tlen : 0;
	return e;
}

void nft_cache_expire(struct nft_cache *c, uint64_t now)
{
	for (int i = 0; i < NFT_CACHE_SLOTS; i++) {
		struct nft_cached *e = &c->slot[i];

		if (e->netns && now > e->used_ns && now - e->used_ns > NFT_CACHE_IDLE_NS)
			slot_free(e);
	}
}

void nft_cache_clear(struct nft_cache *c)
{
	for (int i = 0; i < NFT_CACHE_SLOTS; i++)
		slot_free(&c->slot[i]);
}
