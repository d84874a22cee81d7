// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Endpoint CIDRs: parsing (bad input rejected with a reason), containment, sinks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "endpoints.h"
#include "kallsyms.h"

static void addr4(const char *s, unsigned char *out)
{
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

static void test_parse_and_contain(void **state)
{
	struct cidr c;
	char err[128];
	unsigned char a[16];

	(void)state;
	assert_int_equal(cidr_parse("100.100.0.0/16", &c, err, sizeof(err)), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefixlen, 16);
	addr4("100.100.77.2", a);
	assert_true(cidr_contains(&c, AF_INET, a));
	addr4("100.101.0.1", a);
	assert_false(cidr_contains(&c, AF_INET, a));
	/* host bits are cleared so the kernel trie key is canonical */
	assert_int_equal(cidr_parse("106.11.200.9/12", &c, err, sizeof(err)), 0);
	assert_int_equal(c.addr[1], 0);
	assert_int_equal(c.addr[2], 0);
	/* a bare address is a /32 */
	assert_int_equal(cidr_parse("8.8.8.8", &c, err, sizeof(err)), 0);
	assert_int_equal(c.prefixlen, 32);
	assert_int_equal(cidr_parse("2001:db8::/32", &c, err, sizeof(err)), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", a), 1);
	assert_true(cidr_contains(&c, AF_INET6, a));
	assert_false(cidr_contains(&c, AF_INET, a));
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", "/", "100.100.0.0/", "100.100.0.0/33", "100.100.0.0/-1", "100.100.0.0/1x",
		"300.1.1.1", "abc", "::/129", "1.2.3.4/16/1",
		"1111111111111111111111111111111111111111111111111111111111111/8",
	};
	struct cidr c;
	char err[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cidr_parse(bad[i], &c, err, sizeof(err)), -1);
		assert_true(err[0] != '\0'); /* a reason is always given */
	}
}

static void test_defaults_and_sinks(void **state)
{
	struct endpoint_set s;
	unsigned char a[16] = { 0 };

	(void)state;
	endpoints_defaults(&s);
	assert_int_equal(s.ncidrs, 3);
	assert_true(endpoints_port(&s, 80) && endpoints_port(&s, 443) && endpoints_port(&s, 8080));
	assert_false(endpoints_port(&s, 22));
	addr4("100.103.4.5", a);
	assert_true(endpoints_contains(&s, AF_INET, a));
	addr4("47.117.157.227", a);
	assert_false(endpoints_contains(&s, AF_INET, a));

	addr4("0.0.0.0", a);
	assert_true(addr_is_sink(AF_INET, a));
	addr4("127.0.0.53", a);
	assert_true(addr_is_sink(AF_INET, a));
	addr4("100.100.25.3", a);
	assert_false(addr_is_sink(AF_INET, a));
	assert_int_equal(inet_pton(AF_INET6, "::ffff:127.0.0.1", a), 1);
	assert_true(addr_is_sink(AF_INET6, a));
	assert_int_equal(inet_pton(AF_INET6, "::1", a), 1);
	assert_true(addr_is_sink(AF_INET6, a));
}

static void test_kallsyms_lines(void **state)
{
	uint64_t addr;
	char name[32];

	(void)state;
	assert_int_equal(ksym_parse_line("ffffffff81a2b3c0 T nf_hook_slow\n", &addr, name, sizeof(name)), 0);
	assert_true(addr == 0xffffffff81a2b3c0ULL);
	assert_string_equal(name, "nf_hook_slow");
	assert_int_equal(ksym_parse_line("ffffffffc0001000 t nft_do_chain\t[nf_tables]\n", &addr, name,
					 sizeof(name)), 0);
	assert_string_equal(name, "nft_do_chain");
	assert_int_equal(ksym_parse_line("zz T x\n", &addr, name, sizeof(name)), -1);
	assert_int_equal(ksym_parse_line("ffffffff81000000 T\n", &addr, name, sizeof(name)), -1);
	assert_int_equal(ksym_parse_line("12345678901234567 T x\n", &addr, name, sizeof(name)), -1);
}

/* ---- the learned set ---- */

#define SEC 1000000000ULL

struct gone {
	unsigned n;
	int family[8];
	unsigned char addr[8][16];
};

static void note_gone(void *ctx, int family, const uint8_t *addr)
{
	struct gone *g = ctx;

	if (g->n < 8) {
		g->family[g->n] = family;
		memcpy(g->addr[g->n], addr, 16);
	}
	g->n++;
}

static void test_learned_life_clamped(void **state)
{
	(void)state;
	assert_true(learned_life_ns(0) == LEARNED_TTL_MIN_S * SEC);
	assert_true(learned_life_ns(LEARNED_TTL_MIN_S - 1) == LEARNED_TTL_MIN_S * SEC);
	assert_true(learned_life_ns(LEARNED_TTL_MIN_S + 1) == (LEARNED_TTL_MIN_S + 1) * SEC);
	assert_true(learned_life_ns(3600) == 3600 * SEC);
	assert_true(learned_life_ns(LEARNED_TTL_MAX_S + 1) == LEARNED_TTL_MAX_S * SEC);
	assert_true(learned_life_ns(UINT32_MAX) == LEARNED_TTL_MAX_S * SEC);
	assert_true(LEARNED_TTL_MIN_S == 60 && LEARNED_TTL_MAX_S == 86400);
}

static void test_learned_add_expire(void **state)
{
	struct learned_set *s = calloc(1, sizeof(*s));
	unsigned char a[16] = { 0 }, b[16] = { 0 }, v6[16];
	struct gone g = { 0 };

	(void)state;
	assert_non_null(s);
	addr4("203.0.113.1", a);
	addr4("203.0.113.2", b);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", v6), 1);
	assert_int_equal(learned_add(s, AF_INET, a, 100, 10 * SEC), 1);
	assert_int_equal(learned_add(s, AF_INET, a, 100, 20 * SEC), 0); /* known: extended to 120 s */
	assert_int_equal(learned_add(s, AF_INET, a, 60, 30 * SEC), 0);  /* not shortened */
	assert_int_equal(learned_add(s, AF_INET6, v6, 5, 10 * SEC), 1); /* 60 s floor */
	assert_int_equal(learned_add(s, AF_INET, b, 1000, 10 * SEC), 1);
	assert_int_equal(learned_add(s, 0, a, 60, 10 * SEC), -EINVAL);
	assert_int_equal(s->n, 3);
	assert_true(learned_contains(s, AF_INET, a));
	assert_false(learned_contains(s, AF_INET6, a)); /* the family is part of the key */
	assert_true(learned_contains(s, AF_INET6, v6));

	assert_int_equal(learned_expire(s, 70 * SEC - 1, note_gone, &g), 0);
	assert_int_equal(learned_expire(s, 70 * SEC, note_gone, &g), 1);
	assert_int_equal(g.family[0], AF_INET6);
	assert_memory_equal(g.addr[0], v6, 16);
	assert_false(learned_contains(s, AF_INET6, v6));
	assert_int_equal(learned_expire(s, 120 * SEC - 1, note_gone, &g), 0);
	assert_int_equal(learned_expire(s, 120 * SEC, note_gone, &g), 1);
	assert_memory_equal(g.addr[1], a, 4);
	assert_int_equal(learned_expire(s, 10000 * SEC, NULL, NULL), 1);
	assert_int_equal(s->n, 0);
	assert_false(learned_contains(s, AF_INET, b));
	/* an empty set has nothing to do */
	assert_int_equal(learned_expire(s, 20000 * SEC, note_gone, &g), 0);
	assert_int_equal(g.n, 2);
	free(s);
}

static void test_learned_full_and_reuse(void **state)
{
	struct learned_set *s = calloc(1, sizeof(*s));
	unsigned char a[16] = { 0 };

	(void)state;
	assert_non_null(s);
	for (unsigned i = 0; i < LEARNED_MAX; i++) {
		a[0] = 10;
		a[1] = (unsigned char)(i >> 8);
		a[2] = (unsigned char)i;
		/* the first half lives 60 s, the rest an hour */
		assert_int_equal(learned_add(s, AF_INET, a, i < LEARNED_MAX / 2 ? 60 : 3600, 0), 1);
	}
	assert_int_equal(s->n, LEARNED_MAX);
	addr4("203.0.113.9", a);
	assert_int_equal(learned_add(s, AF_INET, a, 60, 0), -ENOSPC);
	assert_false(learned_contains(s, AF_INET, a));
	/* every one is still found (chains through the buckets) */
	for (unsigned i = 0; i < LEARNED_MAX; i += 97) {
		unsigned char k[16] = { 10, (unsigned char)(i >> 8), (unsigned char)i };

		assert_true(learned_contains(s, AF_INET, k));
	}
	assert_int_equal(learned_expire(s, 60 * SEC, NULL, NULL), LEARNED_MAX / 2);
	/* the freed slots are taken again */
	for (unsigned i = 0; i < LEARNED_MAX / 2; i++) {
		a[3] = (unsigned char)i;
		a[2] = (unsigned char)(i >> 8);
		assert_int_equal(learned_add(s, AF_INET, a, 60, 60 * SEC), 1);
	}
	assert_int_equal(learned_add(s, AF_INET6, a, 60, 60 * SEC), -ENOSPC);
	assert_int_equal(s->n, LEARNED_MAX);
	assert_int_equal(learned_expire(s, 3600 * SEC, NULL, NULL), LEARNED_MAX);
	assert_int_equal(s->n, 0);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_contain),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_defaults_and_sinks),
		cmocka_unit_test(test_kallsyms_lines),
		cmocka_unit_test(test_learned_life_clamped),
		cmocka_unit_test(test_learned_add_expire),
		cmocka_unit_test(test_learned_full_and_reuse),
	};

	return cmocka_run_group_tests_name("endpoints", tests, NULL, NULL);
}
