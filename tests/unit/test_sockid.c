// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Socket ids: the keyed hash, and no kernel address left in an event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ev.h"
#include "sockid.h"

/* The reference vectors of the SipHash paper: key 00..0f, message 00..n-1. */
static void test_siphash_vectors(void **state)
{
	struct sockid_key key = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };
	uint8_t msg[16];

	(void)state;
	for (int i = 0; i < 16; i++)
		msg[i] = (uint8_t)i;
	assert_true(siphash24(&key, msg, 15) == 0xa129ca6149be45e5ULL);
	assert_true(siphash24(&key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	assert_true(siphash24(&key, msg, 8) == 0x93f5f5799a932462ULL);
}

static void test_hide(void **state)
{
	struct sockid_key a, b;
	struct ev e, again;
	const uint64_t addr = 0xffff8881a2b3c400ULL;

	(void)state;
	assert_int_equal(sockid_key_init(&a), 0);
	assert_int_equal(sockid_key_init(&b), 0);
	assert_false(a.k0 == b.k0 && a.k1 == b.k1);

	memset(&e, 0, sizeof(e));
	e.hdr.type = AEGIS_EV_TCP_STATE;
	e.tcp.sock_id = addr;
	again = e;
	sockid_hide(&a, &e);
	sockid_hide(&a, &again);
	assert_true(e.tcp.sock_id != addr);
	assert_true(e.tcp.sock_id != 0);
	assert_true(e.tcp.sock_id == again.tcp.sock_id); /* one socket, one id */
	again.tcp.sock_id = addr;
	sockid_hide(&b, &again);
	assert_true(e.tcp.sock_id != again.tcp.sock_id); /* another session, another id */

	memset(&e, 0, sizeof(e));
	e.hdr.type = AEGIS_EV_NF_DROP;
	e.drop.sock_id = addr;
	sockid_hide(&a, &e);
	assert_true(e.drop.sock_id != addr);
	e.drop.sock_id = 0;
	sockid_hide(&a, &e);
	assert_true(e.drop.sock_id == 0); /* no socket stays none */
	/* other events are left alone */
	memset(&e, 0, sizeof(e));
	e.hdr.type = AEGIS_EV_EXEC;
	e.exec.old_pid = 42;
	sockid_hide(&a, &e);
	assert_int_equal(e.exec.old_pid, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_siphash_vectors),
		cmocka_unit_test(test_hide),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
