// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* resolv.conf and hosts parsers, and the third-party product table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "products.h"
#include "resolv.h"

static void test_resolv_conf(void **state)
{
	const char *text =
		"# generated\n"
		"; also a comment\n"
		"search example.test corp.test\n"
		"nameserver 100.100.2.136\n"
		"nameserver\t100.100.2.138   # trailing words are ignored\n"
		"nameserver fe80::1%eth0\n"
		"nameserver not-an-address\n"
		"nameserver\n"
		"options timeout:1 attempts:3 rotate ndots:2\n"
		"domain last.test\n";
	struct resolv_conf rc;
	uint8_t a[16];

	(void)state;
	resolv_conf_parse(text, strlen(text), &rc);
	assert_int_equal(rc.nns, 3);
	assert_string_equal(rc.ns[0].text, "100.100.2.136");
	assert_int_equal(rc.ns[0].line, 4);
	assert_int_equal(rc.ns[0].family, AF_INET);
	inet_pton(AF_INET, "100.100.2.138", a);
	assert_memory_equal(rc.ns[1].addr, a, 4);
	assert_int_equal(rc.ns[2].family, AF_INET6);
	assert_int_equal(rc.ignored, 2);
	assert_int_equal(rc.timeout_s, 1);
	assert_int_equal(rc.attempts, 3);
	assert_true(rc.rotate);
	assert_int_equal(rc.nsearch, 1); /* the last search/domain line wins */
	assert_string_equal(rc.search[0], "last.test");
}

static void test_resolv_conf_defaults_and_limits(void **state)
{
	struct resolv_conf rc;
	char big[4096];
	size_t n = 0;

	(void)state;
	resolv_conf_parse("", 0, &rc);
	assert_int_equal(rc.nns, 0);
	assert_int_equal(rc.timeout_s, 5);
	assert_int_equal(rc.attempts, 2);
	resolv_conf_parse("options timeout:999 attempts:x\n", 31, &rc);
	assert_int_equal(rc.timeout_s, 30);
	assert_int_equal(rc.attempts, 2);
	for (int i = 0; i < 12; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "nameserver 10.0.0.%d\n", i + 1);
	resolv_conf_parse(big, n, &rc);
	assert_int_equal(rc.nns, RESOLV_MAX_NS);
	assert_int_equal(rc.ignored, 12 - RESOLV_MAX_NS);
	/* no final newline, CRLF */
	resolv_conf_parse("nameserver 1.2.3.4\r\nnameserver 5.6.7.8", 38, &rc);
	assert_int_equal(rc.nns, 2);
	assert_string_equal(rc.ns[1].text, "5.6.7.8");
}

struct collected {
	int n;
	struct hosts_entry e[16];
};

static int collect(const struct hosts_entry *e, void *ctx)
{
	struct collected *c = ctx;

	if (c->n < 16)
		c->e[c->n++] = *e;
	return 0;
}

static void test_hosts(void **state)
{
	const char *text =
		"127.0.0.1\tlocalhost\n"
		"# 0.0.0.0 commented.aegis.aliyun.com\n"
		"0.0.0.0 JSRV.Aegis.Aliyun.com. update.aegis.aliyun.com # miner\n"
		"::1 ip6-localhost\n"
		"999.1.1.1 bad.example\n"
		"   \n"
		"100.100.25.3 jsrv";
	struct collected c = { 0 };

	(void)state;
	hosts_parse(text, strlen(text), collect, &c);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.e[0].name, "localhost");
	assert_string_equal(c.e[1].name, "jsrv.aegis.aliyun.com"); /* lowercase, no final dot */
	assert_string_equal(c.e[1].addr_text, "0.0.0.0");
	assert_int_equal(c.e[1].line, 3);
	assert_string_equal(c.e[2].name, "update.aegis.aliyun.com");
	assert_int_equal(c.e[3].family, AF_INET6);
	assert_string_equal(c.e[4].name, "jsrv");
	assert_int_equal(c.e[4].line, 7);
}

static int stop_after_one(const struct hosts_entry *e, void *ctx)
{
	(void)e;
	(*(int *)ctx)++;
	return 1;
}

static void test_hosts_stop_and_nul(void **state)
{
	const char text[] = "1.1.1.1 a b c\n2.2.2.2 d\n";
	const char nul[] = "1.1.1.1 a\0b\n2.2.2.2 d\n";
	struct collected c = { 0 };
	int calls = 0;

	(void)state;
	hosts_parse(text, sizeof(text) - 1, stop_after_one, &calls);
	assert_int_equal(calls, 1);
	hosts_parse(nul, sizeof(nul) - 1, collect, &c);
	assert_int_equal(c.n, 2); /* the NUL ends that line's words */
	assert_string_equal(c.e[0].name, "a");
}

static void test_products(void **state)
{
	const struct product *p;

	(void)state;
	p = product_of_process("safedog", NULL);
	assert_non_null(p);
	assert_non_null(strstr(p->name, "SafeDog"));
	p = product_of_process("whatever", "/usr/local/yunsuo_agent/bin/agent");
	assert_non_null(p);
	assert_non_null(strstr(p->name, "Yunsuo"));
	assert_null(product_of_process("bash", "/usr/bin/bash"));
	assert_null(product_of_process("AliYunDun", "/usr/local/aegis/aegis_client/aegis_12_93/AliYunDun"));
	/* /opt/CrowdStrikeX is not inside /opt/CrowdStrike */
	assert_null(product_of_process("x", "/opt/CrowdStrikeX/falcon"));
	/* every process name is a kernel comm: at most 15 characters, no agent name */
	for (size_t i = 0; i < product_count; i++)
		for (int k = 0; k < PRODUCT_MAX_NAMES && products[i].comms[k]; k++) {
			assert_true(strlen(products[i].comms[k]) <= 15);
			assert_null(strstr(products[i].comms[k], "AliYunDun"));
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolv_conf),
		cmocka_unit_test(test_resolv_conf_defaults_and_limits),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_hosts_stop_and_nul),
		cmocka_unit_test(test_products),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
