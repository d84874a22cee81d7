// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* check's evidence as text: what json_flatten makes of the documents check writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "jsonflat.h"

static char out[1024];

static int flat(const char *json)
{
	return json_flatten(json, strlen(json), "> ", out, sizeof(out));
}

static void test_nested_keys_and_arrays(void **state)
{
	(void)state;
	assert_int_equal(flat("{\"a\":1,\"b\":{\"c\":\"x y\",\"d\":true},\"e\":[\"1.2.3.4\",\"5.6.7.8\"],"
			      "\"q\":[{\"n\":\"jsrv\",\"ms\":3},{\"n\":\"update\",\"ms\":null}]}"),
			 8);
	assert_string_equal(out, "> a: 1\n> b.c: x y\n> b.d: true\n> e: 1.2.3.4, 5.6.7.8\n"
				 "> q[0].n: jsrv\n> q[0].ms: 3\n> q[1].n: update\n> q[1].ms: null\n");
}

static void test_empty_and_scalars(void **state)
{
	(void)state;
	assert_int_equal(flat("{\"rules\":[],\"m\":{}}"), 2);
	assert_string_equal(out, "> rules: (none)\n> m: (none)\n");
	assert_int_equal(flat(" -12.5e3 "), 1);
	assert_string_equal(out, "> -12.5e3\n");
	/* an array mixing scalars and objects: each element by its index */
	assert_int_equal(flat("{\"x\":[1,{\"y\":2}]}"), 2);
	assert_string_equal(out, "> x[0]: 1\n> x[1].y: 2\n");
}

/* What the writer escaped stays escaped: no control byte comes out. */
static void test_escapes_kept(void **state)
{
	(void)state;
	assert_int_equal(flat("{\"p\":\"a\\\"b\\u001b[31m\\\\\"}"), 1);
	assert_string_equal(out, "> p: a\\\"b\\u001b[31m\\\\\n");
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "{\"a\":1}x", "{a:1}",
		"\"open", "tru", "{\"a\":\"x\ny\"}", "+1", "[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(out, "junk");
		assert_int_equal(flat(bad[i]), -EINVAL);
		assert_string_equal(out, ""); /* nothing half-printed */
	}
	/* 16 levels are fine */
	assert_int_equal(flat("[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]"), 1);
}

/* Too small an output: whole lines only, and it says so. */
static void test_no_room(void **state)
{
	char small[20];

	(void)state;
	assert_int_equal(json_flatten("{\"aaaa\":1,\"bbbbbbbbbb\":2}", 64, "  ", small, sizeof(small)),
			 -ENOSPC);
	assert_string_equal(small, "  aaaa: 1\n");
	/* the length bounds the read: a NUL is not needed */
	assert_int_equal(json_flatten("{\"a\":1}garbage", 7, "", out, sizeof(out)), 1);
	assert_string_equal(out, "a: 1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_keys_and_arrays),
		cmocka_unit_test(test_empty_and_scalars),
		cmocka_unit_test(test_escapes_kept),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_no_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
