// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Lines to stderr with their journal priority (user/lib/stderrlog.c): the
 * prefix only when stderr is the stream $JOURNAL_STREAM names. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "stderrlog.h"

/* JOURNAL_STREAM naming fd's file, or the inode after it (another stream) */
static void set_stream(int fd, int ino_offset)
{
	char stream[64];
	struct stat st;

	assert_int_equal(fstat(fd, &st), 0);
	snprintf(stream, sizeof(stream), "%llu:%llu", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino + (unsigned long long)ino_offset);
	setenv("JOURNAL_STREAM", stream, 1);
}

static void test_journal_prefix(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	assert_string_equal(journal_level_prefix(LOG_WARNING), "");
	set_stream(STDERR_FILENO, 0);
	assert_string_equal(journal_level_prefix(LOG_WARNING), "<4>");
	assert_string_equal(journal_level_prefix(LOG_ERR), "<3>");
	assert_string_equal(journal_level_prefix(8), "");
	assert_string_equal(journal_level_prefix(-1), "");
	/* inherited by a process whose stderr went elsewhere: no prefix */
	set_stream(STDERR_FILENO, 1);
	assert_string_equal(journal_level_prefix(LOG_WARNING), "");
	setenv("JOURNAL_STREAM", "not:numbers", 1);
	assert_string_equal(journal_level_prefix(LOG_WARNING), "");
	unsetenv("JOURNAL_STREAM");
}

/* what stderr_say wrote with stderr on a temporary file */
static void said(int level, int ino_offset, char *out, size_t len)
{
	char path[] = "/tmp/test_stderrlog.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	if (ino_offset >= 0)
		set_stream(fd, ino_offset);
	else
		unsetenv("JOURNAL_STREAM");
	stderr_say(level, "aegismon: %s %d\n", "probes", 9);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	unsetenv("JOURNAL_STREAM");
	n = pread(fd, out, len - 1, 0);
	assert_true(n >= 0);
	out[n] = '\0';
	close(fd);
}

static void test_say(void **state)
{
	char out[128];

	(void)state;
	said(LOG_WARNING, 0, out, sizeof(out));
	assert_string_equal(out, "<4>aegismon: probes 9\n");
	said(LOG_ERR, 0, out, sizeof(out));
	assert_string_equal(out, "<3>aegismon: probes 9\n");
	said(LOG_NOTICE, 0, out, sizeof(out));
	assert_string_equal(out, "<5>aegismon: probes 9\n");
	/* a terminal, a file, a pipe: the line as it was */
	said(LOG_WARNING, -1, out, sizeof(out));
	assert_string_equal(out, "aegismon: probes 9\n");
	said(LOG_WARNING, 1, out, sizeof(out));
	assert_string_equal(out, "aegismon: probes 9\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_journal_prefix),
		cmocka_unit_test(test_say),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
