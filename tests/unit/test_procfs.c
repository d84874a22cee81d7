// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* /proc parsing: the stat line's awkward comm, and the readers on ourselves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include <cmocka.h>

#include "procfs.h"

static const char *argv0;

/* Fields 3..52 of a real stat line, after the comm; field 22 (starttime) is 98765. */
#define TAIL " S 1 1234 1234 0 -1 4194560 1000 0 0 0 10 20 0 0 20 0 1 0 98765 " \
	     "123456789 456 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0 " \
	     "0 0 0 0 0 0 0 0\n"

static int parse(const char *s, struct proc_stat *st)
{
	return proc_parse_stat(s, strlen(s), st);
}

static void test_parse_plain(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(parse("4242 (AliYunDun)" TAIL, &st), 0);
	assert_int_equal(st.pid, 4242);
	assert_string_equal(st.comm, "AliYunDun");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.starttime_ticks, 98765);
}

static void test_parse_comm_with_spaces_and_parens(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(parse("7 (a b)" TAIL, &st), 0);
	assert_string_equal(st.comm, "a b");
	assert_int_equal(st.starttime_ticks, 98765);
	/* a name that imitates the fields that follow it */
	assert_int_equal(parse("7 (x) S 99 (y)" TAIL, &st), 0);
	assert_string_equal(st.comm, "x) S 99 (y");
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.starttime_ticks, 98765);
	assert_int_equal(parse("8 ())" TAIL, &st), 0);
	assert_string_equal(st.comm, ")");
	assert_int_equal(parse("9 ()" TAIL, &st), 0);
	assert_string_equal(st.comm, "");
}

static void test_parse_long_comm_cut(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(parse("1 (AliYunDunMonito)" TAIL, &st), 0);
	assert_string_equal(st.comm, "AliYunDunMonito");
	assert_int_equal(parse("1 (0123456789abcdefghij)" TAIL, &st), 0);
	assert_string_equal(st.comm, "0123456789abcde");
}

static void test_parse_rejects_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"(x)" TAIL,                  /* no pid */
		"abc (x)" TAIL,              /* pid not a number */
		"12 (x",                      /* comm never closed */
		"12 x)" TAIL,                /* comm never opened */
		"12 (x) S 1 2 3",             /* too few fields */
		"12 (x) S",
		"12 (x)",
		"12 (x) S -5 1234 1234 0 -1 4194560 1000 0 0 0 10 20 0 0 20 0 1 0 98765\n",
		"12 (x) S 1x 1234 1234 0 -1 4194560 1000 0 0 0 10 20 0 0 20 0 1 0 98765\n",
		"12 (x) S 1 1234 1234 0 -1 4194560 1000 0 0 0 10 20 0 0 20 0 1 0 98765abc\n",
		"12 (x) S 1 1234 1234 0 -1 4194560 1000 0 0 0 10 20 0 0 20 0 1 0\n98765\n",
		"99999999999 (x)" TAIL,      /* pid overflows */
		"12 (x) S 99999999999 1234 1234 0 -1 4194560 1000 0 0 0 10 20 0 0 20 0 1 0 1\n",
	};
	struct proc_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &st) != -1)
			fail_msg("accepted: \"%s\"", bad[i]);
}

/* The parser reads only len bytes: the buffer need not be terminated. */
static void test_parse_respects_len(void **state)
{
	const char *line = "12 (x) S 1 1234 1234 0 -1 4194560 1000 0 0 0 10 20 0 0 20 0 1 0 98765 7";
	char buf[256];
	struct proc_stat st;
	size_t cut = strlen(line) - strlen("65 7");

	(void)state;
	memcpy(buf, line, strlen(line)); /* no NUL at all */
	assert_int_equal(proc_parse_stat(buf, cut, &st), 0);
	assert_int_equal(st.starttime_ticks, 987);
	assert_int_equal(proc_parse_stat(buf, strlen("12 (x) S 1"), &st), -1);
	/* the closing paren is past len */
	assert_int_equal(proc_parse_stat(buf, strlen("12 (x"), &st), -1);
}

static void test_read_self(void **state)
{
	struct proc_stat st;
	char comm[64] = "", exe[PATH_MAX], want[PATH_MAX], cmd[PATH_MAX];
	FILE *f = fopen("/proc/self/comm", "r");
	uid_t uid = (uid_t)-1;
	ssize_t n;

	(void)state;
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';

	assert_int_equal(proc_read_stat(getpid(), &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_string_equal(st.comm, comm);
	assert_int_equal(st.state, 'R');
	assert_true(st.starttime_ticks > 0);

	n = readlink("/proc/self/exe", want, sizeof(want) - 1);
	assert_true(n > 0);
	want[n] = '\0';
	assert_int_equal(proc_read_exe(getpid(), exe, sizeof(exe)), 0);
	assert_string_equal(exe, want);

	assert_int_equal(proc_read_uid(getpid(), &uid), 0);
	assert_int_equal(uid, geteuid());

	assert_int_equal(proc_read_cmdline(getpid(), cmd, sizeof(cmd)), 0);
	assert_string_equal(cmd, argv0); /* run without arguments */
}

static void test_read_gone(void **state)
{
	struct proc_stat st;
	char exe[64] = "x", cmd[64] = "x";
	uid_t uid;

	(void)state;
	/* above pid_max: never a process */
	assert_int_equal(proc_read_stat(INT_MAX, &st), -1);
	assert_int_equal(proc_read_exe(INT_MAX, exe, sizeof(exe)), -1);
	assert_string_equal(exe, "");
	assert_int_equal(proc_read_cmdline(INT_MAX, cmd, sizeof(cmd)), -1);
	assert_string_equal(cmd, "");
	assert_int_equal(proc_read_uid(INT_MAX, &uid), -1);
}

static void test_read_exe_truncates(void **state)
{
	char exe[8];

	(void)state;
	assert_int_equal(proc_read_exe(getpid(), exe, sizeof(exe)), 0);
	assert_int_equal(strlen(exe), sizeof(exe) - 1);
}

struct walk {
	int want, seen, calls, stop_after;
};

static int visit(int pid, void *ctx)
{
	struct walk *w = ctx;

	w->calls++;
	if (pid == w->want)
		w->seen = 1;
	return w->stop_after && w->calls >= w->stop_after ? 42 : 0;
}

static void test_for_each_pid(void **state)
{
	struct walk w = { .want = getpid() };

	(void)state;
	assert_int_equal(proc_for_each_pid(visit, &w), 0);
	assert_int_equal(w.seen, 1);
	assert_true(w.calls >= 1);

	memset(&w, 0, sizeof(w));
	w.stop_after = 1;
	assert_int_equal(proc_for_each_pid(visit, &w), 42);
	assert_int_equal(w.calls, 1);
}

static void test_cgroup2_path(void **state)
{
	const char text[] = "12:memory:/x\n0::/system.slice/aegis.service\n";
	char rel[64];

	(void)state;
	assert_int_equal(proc_parse_cgroup2(text, sizeof(text) - 1, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "/system.slice/aegis.service");
	/* the root, and a last line without its newline */
	assert_int_equal(proc_parse_cgroup2("0::/", 4, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "/");
}

static void test_cgroup2_refused(void **state)
{
	char rel[16];

	(void)state;
	/* v1 only, a removed cgroup, outside our namespace, too long, not absolute */
	assert_int_equal(proc_parse_cgroup2("4:memory:/a\n", 12, rel, sizeof(rel)), -ENOENT);
	assert_int_equal(proc_parse_cgroup2("0::/a (deleted)\n", 16, rel, sizeof(rel)), -ENOENT);
	assert_int_equal(proc_parse_cgroup2("0::/../../x\n", 12, rel, sizeof(rel)), -ENOENT);
	assert_int_equal(proc_parse_cgroup2("0::/a/..\n", 9, rel, sizeof(rel)), -ENOENT);
	assert_int_equal(proc_parse_cgroup2("0::/aaaaaaaaaaaaaaaaaaaa\n", 25, rel, sizeof(rel)), -ENOENT);
	assert_int_equal(proc_parse_cgroup2("0::a\n", 5, rel, sizeof(rel)), -ENOENT);
	/* "..." is a name, not a climb */
	assert_int_equal(proc_parse_cgroup2("0::/a/...\n", 10, rel, sizeof(rel)), 0);
	assert_string_equal(rel, "/a/...");
	/* only len bytes: the line is cut before its path */
	assert_int_equal(proc_parse_cgroup2("0::/abc", 3, rel, sizeof(rel)), -ENOENT);
}

static void test_cgroup2_self(void **state)
{
	char text[1024], rel[256];
	FILE *f = fopen("/proc/self/cgroup", "r");
	size_t n;

	(void)state;
	assert_non_null(f);
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	/* a host without cgroup v2 has no 0:: line: then nothing to check */
	if (!memmem(text, n, "0::", 3))
		return;
	assert_int_equal(proc_parse_cgroup2(text, n, rel, sizeof(rel)), 0);
	assert_int_equal(rel[0], '/');
}

/* The Seccomp lines: optional (-1 when absent, as before 3.8 / 5.9), bad ones
 * left at -1 without failing the required fields. */
static void test_status_seccomp(void **state)
{
	static const char base[] = "Name:\tAliYunDun\nState:\tS (sleeping)\nTracerPid:\t0\n"
				   "Uid:\t0\t0\t0\t0\n";
	char buf[512];
	struct proc_status st;

	(void)state;
	assert_int_equal(proc_parse_status(base, strlen(base), &st), 0);
	assert_int_equal(st.seccomp, -1);
	assert_int_equal(st.seccomp_filters, -1);

	snprintf(buf, sizeof(buf), "%sNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t3\n", base);
	assert_int_equal(proc_parse_status(buf, strlen(buf), &st), 0);
	assert_int_equal(st.seccomp, 2);
	assert_int_equal(st.seccomp_filters, 3);

	/* an old kernel: the mode, no count */
	snprintf(buf, sizeof(buf), "%sSeccomp:\t2\n", base);
	assert_int_equal(proc_parse_status(buf, strlen(buf), &st), 0);
	assert_int_equal(st.seccomp, 2);
	assert_int_equal(st.seccomp_filters, -1);

	/* malformed or too large: unknown, the rest still parsed */
	snprintf(buf, sizeof(buf), "%sSeccomp:\tx\nSeccomp_filters:\t4294967295\n", base);
	assert_int_equal(proc_parse_status(buf, strlen(buf), &st), 0);
	assert_int_equal(st.seccomp, -1);
	assert_int_equal(st.seccomp_filters, -1);
	assert_int_equal(st.state, 'S');

	/* only len bytes: the count cut off is not read */
	snprintf(buf, sizeof(buf), "%sSeccomp:\t2\nSeccomp_filters:\t7\n", base);
	assert_int_equal(proc_parse_status(buf, strlen(buf) - 3, &st), 0);
	assert_int_equal(st.seccomp_filters, -1);
}

/* Ourselves: not under seccomp in the test runner, and 5.9+ says how many filters. */
static void test_status_seccomp_self(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(proc_read_status(getpid(), &st), 0);
	assert_true(st.seccomp == 0 || st.seccomp == 2);
	if (st.seccomp == 0)
		assert_true(st.seccomp_filters <= 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_plain),
		cmocka_unit_test(test_parse_comm_with_spaces_and_parens),
		cmocka_unit_test(test_parse_long_comm_cut),
		cmocka_unit_test(test_parse_rejects_garbage),
		cmocka_unit_test(test_parse_respects_len),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_gone),
		cmocka_unit_test(test_read_exe_truncates),
		cmocka_unit_test(test_for_each_pid),
		cmocka_unit_test(test_cgroup2_path),
		cmocka_unit_test(test_cgroup2_refused),
		cmocka_unit_test(test_cgroup2_self),
		cmocka_unit_test(test_status_seccomp),
		cmocka_unit_test(test_status_seccomp_self),
	};

	(void)argc;
	argv0 = argv[0];
	return cmocka_run_group_tests(tests, NULL, NULL);
}
