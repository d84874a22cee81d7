// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* safefile: what another user can plant where root writes (a FIFO, a
 * symlink, a hard link, a file of theirs) is refused or replaced, never
 * written through; temporary files have random names and leave nothing
 * behind. Every test runs under alarm(): a FIFO that blocks fails the test
 * instead of hanging it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "safefile.h"

#define NOBODY 65534
#define SECRET "root only\n"

static char tmpdir[PATH_MAX];
static char err[512];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/aegismon-test-safefile-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	alarm(10); /* SIGALRM kills the binary: run_unit.sh counts it failed */
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	alarm(0);
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *at(const char *rel)
{
	static char p[4][PATH_MAX];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, rel);
	return p[i];
}

static void put_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_content(const char *path, const char *want)
{
	char buf[256] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode;
}

/* the names in tmpdir, sorted, joined by spaces */
static const char *listing(void)
{
	static char out[1024];
	struct dirent **ents;
	int n = scandir(tmpdir, &ents, NULL, alphasort);

	out[0] = '\0';
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", out[0] ? " " : "",
				 ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return out;
}

static void test_fifo_refused_without_blocking(void **state)
{
	int rd, fd;

	(void)state;
	assert_int_equal(mkfifo(at("m.prom"), 0666), 0);
	/* no reader: an open without O_NONBLOCK would wait here for ever */
	fd = safefile_open(at("m.prom"), SAFEFILE_TRUNC, 0644, err, sizeof(err));
	assert_int_equal(fd, -EINVAL);
	assert_non_null(strstr(err, "is a FIFO"));
	assert_non_null(strstr(err, "m.prom"));
	/* a reader waiting: the open succeeds, the check after it refuses */
	rd = open(at("m.prom"), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(rd >= 0);
	fd = safefile_open(at("m.prom"), SAFEFILE_APPEND, 0640, err, sizeof(err));
	assert_int_equal(fd, -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	/* replaced, not written: the reader gets nothing */
	assert_int_equal(safefile_replace(at("m.prom"), "x 1\n", 4, 0644, 0, err, sizeof(err)), 0);
	assert_true(S_ISREG(mode_of(at("m.prom"))));
	assert_int_equal(read(rd, err, sizeof(err)), 0);
	close(rd);
	assert_content(at("m.prom"), "x 1\n");
}

static void test_socket_and_device_refused(void **state)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	(void)state;
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", at("sock"));
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&un, sizeof(un)), 0);
	assert_int_equal(safefile_open(at("sock"), 0, 0640, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a socket"));
	close(s);
	if (geteuid() != 0)
		return;
	assert_int_equal(mknod(at("null"), S_IFCHR | 0666, makedev(1, 3)), 0);
	assert_int_equal(safefile_open(at("null"), SAFEFILE_TRUNC, 0640, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a character device"));
	assert_true(S_ISCHR(mode_of(at("null"))));
}

static void test_symlink_refused(void **state)
{
	(void)state;
	put_file(at("secret"), SECRET, 0600);
	assert_int_equal(symlink(at("secret"), at("diag.json")), 0);
	assert_int_equal(safefile_open(at("diag.json"), SAFEFILE_APPEND, 0640, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(safefile_open(at("diag.json"), SAFEFILE_TRUNC, 0644, err, sizeof(err)), -ELOOP);
	assert_content(at("secret"), SECRET);
	assert_int_equal(mode_of(at("secret")) & 07777, 0600);
	/* replace swaps the link itself for the new file */
	assert_int_equal(safefile_replace(at("diag.json"), "new\n", 4, 0644, 0, err, sizeof(err)), 0);
	assert_true(S_ISREG(mode_of(at("diag.json"))));
	assert_content(at("secret"), SECRET);
}

static void test_symlinked_directory(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(mkdir(at("real"), 0700), 0);
	assert_int_equal(mkdir(at("shared"), 01777), 0);
	assert_int_equal(chmod(at("shared"), 01777), 0);
	/* a symlink in a directory only root writes: followed */
	assert_int_equal(symlink(at("real"), at("link")), 0);
	fd = safefile_open(at("link/out"), 0, 0640, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	assert_true(S_ISREG(mode_of(at("real/out"))));
	/* in a directory others write (sticky or not): refused */
	assert_int_equal(symlink(at("real"), at("shared/dir")), 0);
	assert_int_equal(safefile_open(at("shared/dir/out2"), 0, 0640, err, sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "'dir' is a symbolic link"));
	assert_int_equal(safefile_replace(at("shared/dir/m"), "x", 1, 0644, 0, err, sizeof(err)), -ELOOP);
	assert_int_equal(access(at("real/out2"), F_OK), -1);
	assert_int_equal(access(at("real/m"), F_OK), -1);
}

static void test_hard_link_refused(void **state)
{
	(void)state;
	put_file(at("secret"), SECRET, 0600);
	assert_int_equal(link(at("secret"), at("rec")), 0);
	assert_int_equal(safefile_open(at("rec"), SAFEFILE_TRUNC, 0640, err, sizeof(err)), -EMLINK);
	assert_non_null(strstr(err, "2 hard links"));
	assert_content(at("secret"), SECRET); /* not emptied before the check */
	assert_int_equal(mode_of(at("secret")) & 07777, 0600);
}

static void test_foreign_owned_refused(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	put_file(at("report.html"), "theirs\n", 0644);
	assert_int_equal(chown(at("report.html"), NOBODY, NOBODY), 0);
	assert_int_equal(safefile_open(at("report.html"), SAFEFILE_TRUNC, 0644, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "owned by uid 65534"));
	assert_int_equal(safefile_open(at("report.html"), SAFEFILE_APPEND, 0640, err, sizeof(err)), -EPERM);
	assert_content(at("report.html"), "theirs\n");
	assert_int_equal(mode_of(at("report.html")) & 07777, 0644);
}

static void test_regular_root_file(void **state)
{
	mode_t old = umask(077);
	int fd;

	(void)state;
	/* new: exactly the mode asked, whatever the umask */
	fd = safefile_open(at("new.json"), SAFEFILE_APPEND, 0640, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_int_equal(write(fd, "a\n", 2), 2);
	close(fd);
	assert_int_equal(mode_of(at("new.json")) & 07777, 0640);
	/* an old one of root's that is too open: appended to, mode narrowed */
	assert_int_equal(chmod(at("new.json"), 0666), 0);
	fd = safefile_open(at("new.json"), SAFEFILE_APPEND, 0640, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "b\n", 2), 2);
	close(fd);
	assert_content(at("new.json"), "a\nb\n");
	assert_int_equal(mode_of(at("new.json")) & 07777, 0640);
	/* truncated on request */
	fd = safefile_open(at("new.json"), SAFEFILE_TRUNC, 0644, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	assert_content(at("new.json"), "");
	assert_int_equal(mode_of(at("new.json")) & 07777, 0644);
	umask(old);
}

static void test_parent_directory(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(mkdir(at("open"), 0777), 0);
	assert_int_equal(chmod(at("open"), 0777), 0);
	assert_int_equal(safefile_open(at("open/x"), 0, 0640, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "without the sticky bit"));
	assert_int_equal(safefile_replace(at("open/m"), "x", 1, 0644, 0, err, sizeof(err)), -EPERM);
	assert_string_equal(listing(), "open");
	/* sticky: allowed (with a warning on stderr) */
	assert_int_equal(chmod(at("open"), 01777), 0);
	fd = safefile_open(at("open/x"), 0, 0640, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	/* a missing directory, a directory name */
	assert_int_equal(safefile_open(at("none/x"), 0, 0640, err, sizeof(err)), -ENOENT);
	assert_int_equal(safefile_open(at("open/"), 0, 0640, err, sizeof(err)), -EISDIR);
	assert_int_equal(safefile_open("", 0, 0640, err, sizeof(err)), -EINVAL);
}

static void test_temp_names_differ(void **state)
{
	char names[64][NAME_MAX + 1];

	(void)state;
	for (int i = 0; i < 64; i++) {
		assert_int_equal(safefile_temp_name("aegismon.prom", names[i], sizeof(names[i])), 0);
		assert_int_equal(names[i][0], '.');
		assert_int_equal(strncmp(names[i], ".aegismon.prom.", 15), 0);
		assert_int_equal(strlen(names[i]), 15 + 16);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	}
	assert_int_equal(safefile_temp_name("x", names[0], 8), -ENAMETOOLONG);
}

static void replace_ok(int flags)
{
	mode_t old = umask(027);

	assert_int_equal(safefile_replace(at("m.prom"), "a 1\n", 4, 0644, flags, err, sizeof(err)), 0);
	assert_content(at("m.prom"), "a 1\n");
	assert_int_equal(mode_of(at("m.prom")) & 07777, 0644); /* readable by a collector */
	assert_int_equal(safefile_replace(at("m.prom"), "a 2\n", 4, 0644, flags, err, sizeof(err)), 0);
	assert_content(at("m.prom"), "a 2\n");
	assert_string_equal(listing(), "m.prom");
	umask(old);
}

static void test_replace(void **state)
{
	(void)state;
	replace_ok(0);
	assert_int_equal(unlink(at("m.prom")), 0);
	replace_ok(SAFEFILE_NO_TMPFILE);
	/* a directory at the name: refused, nothing made */
	assert_int_equal(mkdir(at("d.prom"), 0700), 0);
	assert_int_equal(safefile_replace(at("d.prom"), "x", 1, 0644, 0, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "is a directory"));
	assert_string_equal(listing(), "d.prom m.prom");
}

/* a write that fails half way (RLIMIT_FSIZE): no temporary file is left */
static void replace_fails(int flags)
{
	struct rlimit small, saved;
	char big[64];

	memset(big, 'x', sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved), 0);
	small.rlim_cur = 16; /* the soft limit: the hard one could not be raised back */
	small.rlim_max = saved.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	assert_int_equal(safefile_replace(at("m.prom"), big, sizeof(big), 0644, flags, err, sizeof(err)),
			 -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved), 0);
	assert_content(at("m.prom"), "old\n");
	assert_string_equal(listing(), "m.prom");
}

static void test_replace_leaves_nothing_on_error(void **state)
{
	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	put_file(at("m.prom"), "old\n", 0644);
	replace_fails(0);
	replace_fails(SAFEFILE_NO_TMPFILE);
	signal(SIGXFSZ, SIG_DFL);
}

static void test_rotate(void **state)
{
	int fd;

	(void)state;
	put_file(at("secret"), SECRET, 0600);
	put_file(at("diag.json"), "0\n", 0640);
	assert_int_equal(symlink(at("secret"), at("diag.json.1")), 0); /* planted */
	put_file(at("diag.json.2"), "2\n", 0640);
	assert_int_equal(mkfifo(at("diag.json.3"), 0666), 0); /* planted: replaced by .2 */
	assert_int_equal(safefile_rotate(at("diag.json"), 3, err, sizeof(err)), 0);
	assert_content(at("diag.json.1"), "0\n");
	assert_content(at("diag.json.3"), "2\n");
	assert_int_equal(access(at("diag.json.2"), F_OK), -1); /* the symlink was not moved along */
	assert_int_equal(access(at("diag.json"), F_OK), -1);
	assert_content(at("secret"), SECRET);
	/* the fresh file after it */
	fd = safefile_open(at("diag.json"), SAFEFILE_APPEND, 0640, err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	assert_string_equal(listing(), "diag.json diag.json.1 diag.json.3 secret");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_fifo_refused_without_blocking),
		T(test_socket_and_device_refused),
		T(test_symlink_refused),
		T(test_symlinked_directory),
		T(test_hard_link_refused),
		T(test_foreign_owned_refused),
		T(test_regular_root_file),
		T(test_parent_directory),
		T(test_temp_names_differ),
		T(test_replace),
		T(test_replace_leaves_nothing_on_error),
		T(test_rotate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
