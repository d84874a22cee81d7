// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The reload status file: what the daemon writes, `aegismon reload` reads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "reloadstat.h"

static void test_round_trip(void **state)
{
	struct reload_status st = { .generation = 7, .ok = false }, back;
	char buf[4096];
	size_t n;

	(void)state;
	/* a config path with a newline and an escape: one line in the file */
	strcpy(st.message, "reload refused: /etc/a\nok\x1b.conf:3: grace");
	n = reload_status_format(buf, sizeof(buf), &st);
	assert_true(n > 0);
	assert_string_equal(buf, "generation 7\nrefused\nreload refused: /etc/a\\x0aok\\x1b.conf:3: grace\n");
	assert_int_equal(reload_status_parse(buf, n, &back), 0);
	assert_int_equal(back.generation, 7);
	assert_false(back.ok);
	assert_string_equal(back.message, "reload refused: /etc/a\\x0aok\\x1b.conf:3: grace");
	st.ok = true;
	n = reload_status_format(buf, sizeof(buf), &st);
	assert_int_equal(reload_status_parse(buf, n, &back), 0);
	assert_true(back.ok);
	assert_int_equal(reload_status_format(buf, 10, &st), 0);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"", "generation\nok\nx\n", "generation x\nok\nm\n", "generation 1\nyes\nm\n",
		"generation 1\nok\nm", "generation 1\nok\nm\nextra\n", "generation 1 \nok\nm\n",
		"generation 99999999999999999999999\nok\nm\n", "Generation 1\nok\nm\n",
	};
	struct reload_status st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(reload_status_parse(bad[i], strlen(bad[i]), &st), -EINVAL);
	/* a NUL inside the message */
	assert_int_equal(reload_status_parse("generation 1\nok\na\0b\n", 20, &st), -EINVAL);
	assert_int_equal(reload_status_parse("generation 1\nok\nab\n", 19, &st), 0);
	assert_string_equal(st.message, "ab");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
