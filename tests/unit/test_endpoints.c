/* Endpoint CIDRs: parsing (bad input rejected with a reason), containment, sinks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_contain),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_defaults_and_sinks),
		cmocka_unit_test(test_kallsyms_lines),
	};

	return cmocka_run_group_tests_name("endpoints", tests, NULL, NULL);
}
