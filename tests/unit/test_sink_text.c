// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The text sink as an operator reads it: a cause's fix once per session,
 * repeats counted readably, the summary in good English.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "correlate.h"
#include "sink.h"

static struct diagnosis impostor(unsigned pid)
{
	struct diagnosis d;

	memset(&d, 0, sizeof(d));
	d.cause = CAUSE_AGENT_IMPOSTOR;
	d.count = 1;
	snprintf(d.summary, sizeof(d.summary), "AliYunDun (pid %u) is not the agent", pid);
	return d;
}

static char *render(const struct diagnosis *d, size_t n)
{
	struct clockmap cm = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		sink_text_diagnosis(f, &cm, &d[i], false);
	fclose(f);
	return buf;
}

static unsigned occurrences(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_fix_once_per_cause(void **state)
{
	struct diagnosis d[4] = { impostor(1), impostor(2), impostor(3), impostor(4) };
	const char *advice = cause_advice(CAUSE_AGENT_IMPOSTOR);
	char *out;

	(void)state;
	sink_text_forget_fixes();
	d[3].cause = CAUSE_AGENT_KILLED;
	out = render(d, 4);
	assert_int_equal(occurrences(out, advice), 1);
	assert_int_equal(occurrences(out, "fix: as for agent_impostor above"), 2);
	/* another cause gets its own fix */
	assert_int_equal(occurrences(out, cause_advice(CAUSE_AGENT_KILLED)), 1);
	free(out);
	/* a new session says them again */
	sink_text_forget_fixes();
	out = render(d, 1);
	assert_int_equal(occurrences(out, advice), 1);
	free(out);
}

static void test_repeats_readable(void **state)
{
	struct diagnosis d = impostor(1);
	char *out;

	(void)state;
	d.count = 2;
	d.first_ns = 1000000000ULL;
	d.last_ns = d.first_ns + 300000000ULL;
	out = render(&d, 1);
	assert_non_null(strstr(out, "[x2 in 0.3 s]"));
	free(out);
	d.last_ns = d.first_ns + 42 * 1000000000ULL;
	out = render(&d, 1);
	assert_non_null(strstr(out, "[x2 in 42 s]"));
	free(out);
	d.last_ns = d.first_ns;
	out = render(&d, 1);
	assert_non_null(strstr(out, "[x2]"));
	free(out);
}

static void test_summary_plural(void **state)
{
	struct correlator_stats st;
	struct session_summary s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	s.stats = &st;
	s.end_ns = 1000000000ULL;
	st.diagnoses = 1;
	f = open_memstream(&buf, &len);
	sink_text_summary(f, &s, false);
	st.diagnoses = 2;
	sink_text_summary(f, &s, false);
	fclose(f);
	assert_non_null(strstr(buf, ", 1 diagnosis"));
	assert_null(strstr(buf, "1 diagnoses"));
	assert_non_null(strstr(buf, ", 2 diagnoses"));
	free(buf);
}

/* What refused a connect: its own line in text, an object in JSON; names from
 * other people's programs and cgroups escaped. */
static void test_policy_said(void **state)
{
	struct diagnosis d;
	struct clockmap cm = { 0 };
	char *out, *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.cause = CAUSE_CONNECT_BLOCKED_POLICY;
	d.count = 1;
	d.explained_by = -1;
	d.exit_status = -1;
	d.policy.mechanism = POLICY_CGROUP_BPF;
	d.policy.prog_id = 123;
	snprintf(d.policy.prog_name, sizeof(d.policy.prog_name), "deny\033[31m");
	snprintf(d.policy.cgroup, sizeof(d.policy.cgroup), "/sys/fs/cgroup/x");
	out = render(&d, 1);
	assert_non_null(strstr(out, "refused by: cgroup BPF program 123 'deny\\x1b[31m' on /sys/fs/cgroup/x\n"));
	assert_null(strchr(out, '\033'));
	free(out);

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	d.policy.mechanism = POLICY_SECCOMP;
	d.policy.seccomp_filters = 1;
	sink_json_diagnosis(f, &cm, &d);
	fclose(f);
	assert_non_null(strstr(buf, "\"policy\":{\"mechanism\":\"seccomp\",\"filters\":1}"));
	free(buf);

	/* not looked at (a replay): no line, no object */
	d.policy.mechanism = POLICY_NOT_INSPECTED;
	out = render(&d, 1);
	assert_null(strstr(out, "refused by"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fix_once_per_cause),
		cmocka_unit_test(test_repeats_readable),
		cmocka_unit_test(test_summary_plural),
		cmocka_unit_test(test_policy_said),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
