/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * nftables listings kept per network namespace and ruleset generation, so that a storm of
 * drop diagnoses in one namespace runs nft once. Bounded: NFT_CACHE_SLOTS namespaces, each
 * at most two listings of NFT_OUTPUT_MAX bytes; an entry unused for NFT_CACHE_IDLE_NS is
 * freed. No locking: one thread (the enrichment worker) owns a cache.
 */
#ifndef AEGISMON_NFTCACHE_H
#define AEGISMON_NFTCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NFT_CACHE_SLOTS 4
#define NFT_CACHE_SEC 1000000000ULL
/* at one generation: the namespace inode may be another namespace's once the first is gone */
#define NFT_CACHE_MAX_AGE_NS (600 * NFT_CACHE_SEC)
/* when the generation cannot be read, a listing is trusted this long only */
#define NFT_CACHE_NOGEN_AGE_NS (10 * NFT_CACHE_SEC)
/* a failed read (nft missing, too slow, output too big) is not tried again sooner */
#define NFT_CACHE_FAIL_AGE_NS (60 * NFT_CACHE_SEC)
#define NFT_CACHE_IDLE_NS (600 * NFT_CACHE_SEC)

struct nft_cached {
	uint32_t netns;        /* namespace inode; 0: free slot */
	bool has_gen;          /* gen was read when the listing was */
	uint32_t gen;
	uint64_t read_ns;      /* when it was read */
	uint64_t used_ns;      /* last served */
	int err;               /* 0, or the read's -errno (then no listings) */
	char *json, *text;     /* `nft -j` and `nft -at` listings, NUL-terminated */
	size_t jlen, tlen;
};

struct nft_cache {
	struct nft_cached slot[NFT_CACHE_SLOTS];
};

/*
 * The entry for netns that is still good at generation gen (has_gen false: the generation
 * could not be read now), or NULL: read it again. now is CLOCK_MONOTONIC ns.
 */
const struct nft_cached *nft_cache_get(struct nft_cache *c, uint32_t netns, bool has_gen,
				       uint32_t gen, uint64_t now);

/*
 * Keep a read of netns: err 0 with the listings (taken over: the cache frees them), or
 * the read's -errno. Replaces the namespace's entry, else takes a free slot, else the
 * least recently used one. Returns the entry.
 */
const struct nft_cached *nft_cache_put(struct nft_cache *c, uint32_t netns, bool has_gen,
				       uint32_t gen, uint64_t now, int err, char *json,
				       size_t jlen, char *text, size_t tlen);

/* Free entries unused for NFT_CACHE_IDLE_NS. */
void nft_cache_expire(struct nft_cache *c, uint64_t now);

/* Free everything (the cache itself is the caller's). */
void nft_cache_clear(struct nft_cache *c);

#endif
