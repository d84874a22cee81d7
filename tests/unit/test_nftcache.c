// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The nft listing cache: one read per (namespace, generation), bounded ages,
 * failures remembered for a while, at most NFT_CACHE_SLOTS namespaces.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <errno.h>

#include "nftcache.h"

#define S NFT_CACHE_SEC

static char *dup_str(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static const struct nft_cached *put_ok(struct nft_cache *c, uint32_t ns, bool has_gen,
				       uint32_t gen, uint64_t now)
{
	return nft_cache_put(c, ns, has_gen, gen, now, 0, dup_str("{\"nftables\":[]}"), 15,
			     dup_str("table"), 5);
}

static void test_same_generation_is_kept(void **state)
{
	struct nft_cache c = { 0 };
	const struct nft_cached *e;

	(void)state;
	assert_null(nft_cache_get(&c, 11, true, 7, 1 * S));
	put_ok(&c, 11, true, 7, 1 * S);
	e = nft_cache_get(&c, 11, true, 7, 500 * S);
	assert_non_null(e);
	assert_int_equal(e->err, 0);
	assert_string_equal(e->text, "table");
	assert_int_equal(e->jlen, 15);
	/* a new generation, another namespace, a generation no longer readable: no */
	assert_null(nft_cache_get(&c, 11, true, 8, 2 * S));
	assert_null(nft_cache_get(&c, 12, true, 7, 2 * S));
	assert_null(nft_cache_get(&c, 11, false, 0, 2 * S));
	/* too old even at the same generation (the inode may be another namespace's) */
	assert_null(nft_cache_get(&c, 11, true, 7, 1 * S + NFT_CACHE_MAX_AGE_NS + 1));
	nft_cache_clear(&c);
}

static void test_without_generation_short_life(void **state)
{
	struct nft_cache c = { 0 };

	(void)state;
	put_ok(&c, 11, false, 0, 100 * S);
	assert_non_null(nft_cache_get(&c, 11, false, 0, 100 * S + NFT_CACHE_NOGEN_AGE_NS));
	assert_null(nft_cache_get(&c, 11, false, 0, 100 * S + NFT_CACHE_NOGEN_AGE_NS + 1));
	nft_cache_clear(&c);
}

/* A read that failed (too slow, too big) is not tried again at once. */
static void test_failure_remembered(void **state)
{
	struct nft_cache c = { 0 };
	const struct nft_cached *e;

	(void)state;
	e = nft_cache_put(&c, 11, true, 3, 10 * S, -ETIMEDOUT, NULL, 0, NULL, 0);
	assert_int_equal(e->err, -ETIMEDOUT);
	assert_null(e->json);
	e = nft_cache_get(&c, 11, true, 3, 10 * S + NFT_CACHE_FAIL_AGE_NS);
	assert_non_null(e);
	assert_int_equal(e->err, -ETIMEDOUT);
	assert_null(nft_cache_get(&c, 11, true, 3, 11 * S + NFT_CACHE_FAIL_AGE_NS));
	/* success without a listing is a failure too */
	e = nft_cache_put(&c, 12, true, 3, 10 * S, 0, NULL, 0, NULL, 0);
	assert_true(e->err < 0);
	nft_cache_clear(&c);
}

/* The same namespace replaces its entry; a new one takes a free slot, then the
 * least recently used one. */
static void test_bounded_lru(void **state)
{
	struct nft_cache c = { 0 };

	(void)state;
	for (uint32_t i = 0; i < NFT_CACHE_SLOTS; i++)
		put_ok(&c, 100 + i, true, 1, (1 + i) * S);
	put_ok(&c, 100, true, 2, 10 * S);           /* replaces 100's entry */
	assert_null(nft_cache_get(&c, 100, true, 1, 11 * S));
	assert_non_null(nft_cache_get(&c, 100, true, 2, 11 * S));
	/* 101 is now the least recently used */
	assert_non_null(nft_cache_get(&c, 102, true, 1, 12 * S));
	put_ok(&c, 999, true, 1, 13 * S);
	assert_null(nft_cache_get(&c, 101, true, 1, 14 * S));
	assert_non_null(nft_cache_get(&c, 102, true, 1, 14 * S));
	assert_non_null(nft_cache_get(&c, 999, true, 1, 14 * S));
	nft_cache_clear(&c);
}

static void test_idle_entries_freed(void **state)
{
	struct nft_cache c = { 0 };

	(void)state;
	put_ok(&c, 11, true, 1, 1 * S);
	put_ok(&c, 12, true, 1, 1 * S);
	assert_non_null(nft_cache_get(&c, 12, true, 1, 300 * S));
	nft_cache_expire(&c, 1 * S + NFT_CACHE_IDLE_NS + 1);
	assert_int_equal(c.slot[0].netns + c.slot[1].netns, 12);  /* 11 went, 12 was used */
	assert_null(c.slot[0].json);
	nft_cache_clear(&c);
	for (int i = 0; i < NFT_CACHE_SLOTS; i++)
		assert_int_equal(c.slot[i].netns, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_generation_is_kept),
		cmocka_unit_test(test_without_generation_short_life),
		cmocka_unit_test(test_failure_remembered),
		cmocka_unit_test(test_bounded_lru),
		cmocka_unit_test(test_idle_entries_freed),
	};

	return cmocka_run_group_tests_name("nftcache", tests, NULL, NULL);
}
