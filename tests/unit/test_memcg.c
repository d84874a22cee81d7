// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The memory cgroup files an OOM kill is judged by. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "memcg.h"

static void test_values(void **state)
{
	uint64_t v = 1;

	(void)state;
	assert_int_equal(memcg_parse_value("max\n", 4, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(memcg_parse_value("33554432\n", 9, &v), 0);
	assert_true(v == 33554432);
	assert_int_equal(memcg_parse_value("18446744073709551615", 20, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(memcg_parse_value("18446744073709551616", 20, &v), -EINVAL); /* overflow */
	assert_int_equal(memcg_parse_value("", 0, &v), -EINVAL);
	assert_int_equal(memcg_parse_value("\n", 1, &v), -EINVAL);
	assert_int_equal(memcg_parse_value("12k", 3, &v), -EINVAL);
	assert_int_equal(memcg_parse_value("-1", 2, &v), -EINVAL);
	assert_int_equal(memcg_parse_value("maxx", 4, &v), -EINVAL);
}

static void test_oom_events(void **state)
{
	static const char events[] = "low 0\nhigh 0\nmax 17\noom 2\noom_kill 1\noom_group_kill 0\n";
	uint64_t v = 0;

	(void)state;
	assert_int_equal(memcg_parse_oom_events(events, sizeof(events) - 1, &v), 0);
	assert_true(v == 2); /* "oom", not "oom_kill" */
	assert_int_equal(memcg_parse_oom_events("oom_kill 3\n", 11, &v), -EINVAL);
	assert_int_equal(memcg_parse_oom_events("oom 4", 5, &v), 0); /* no newline at the end */
	assert_true(v == 4);
	/* the length bounds the read */
	assert_int_equal(memcg_parse_oom_events("low 0\noom 9\n", 6, &v), -EINVAL);
}

static void test_at_limit(void **state)
{
	struct memcg_limit m = { .path = "/a", .max_bytes = 1 << 20, .limit_hits = 1 };

	(void)state;
	assert_true(memcg_at_limit(&m));
	m.limit_hits = 0; /* its limit never made the OOM killer run */
	assert_false(memcg_at_limit(&m));
	m.limit_hits = 1;
	m.path[0] = '\0';
	assert_false(memcg_at_limit(&m));
}

static void test_v1_path(void **state)
{
	static const char hybrid[] = "12:pids:/user.slice\n5:cpu,cpuacct:/x\n4:blkio,memory:/system.slice/aegis.service\n0::/system.slice/aegis.service\n";
	char rel[64];

	(void)state;
	assert_int_equal(memcg_v1_path(hybrid, sizeof(hybrid) - 1, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "/system.slice/aegis.service");
	assert_int_equal(memcg_v1_path("0::/a\n", 6, rel, sizeof(rel)), -ENOENT); /* pure v2 */
	assert_int_equal(memcg_v1_path("4:memoryx:/a\n", 14, rel, sizeof(rel)), -ENOENT);
	assert_int_equal(memcg_v1_path("4:memory:a\n", 12, rel, sizeof(rel)), -EINVAL);  /* not absolute */
	assert_int_equal(memcg_v1_path("4:memory:/a/../b\n", 18, rel, sizeof(rel)), -EINVAL);
	assert_int_equal(memcg_v1_path("4:memory:/\n", 12, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "/");
	/* too long for the buffer: refused, not cut */
	assert_int_equal(memcg_v1_path("4:memory:/0123456789\n", 22, rel, 8), -EINVAL);
}

/* This process: on a cgroup v2 host it runs somewhere; a limit, if any, is found above it. */
static void test_self(void **state)
{
	struct memcg_limit m;
	int rc = memcg_limit_of((int)getpid(), &m);

	(void)state;
	assert_true(rc == 0 || rc == -ENOENT);
	if (rc == 0) {
		assert_true(m.path[0] == '/');
		assert_true(m.max_bytes != UINT64_MAX);
	}
	assert_true(memcg_limit_of(0x7ffffff0, &m) < 0); /* no such process */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_oom_events),
		cmocka_unit_test(test_at_limit),
		cmocka_unit_test(test_v1_path),
		cmocka_unit_test(test_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
