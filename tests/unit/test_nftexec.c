// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * nft runner tests (root). Each test makes its own network namespace with unshare() and
 * keeps it only as an fd: closing the fd, or the test dying, deletes it with its tables.
 * The binary also plays a fake nft (argv "nft --fake-* list ruleset") to test timeouts,
 * the size cap and the child's environment.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "nftexec.h"
#include "nftrules.h"

#define TABLE "aegismon_nfttest"

/* ---------- fake nft ---------- */

static void fake_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			printf("%s ", e->d_name);
	if (d)
		closedir(d);
}

static void fake_flood(void)
{
	static char chunk[65536];

	memset(chunk, 'x', sizeof(chunk));
	for (size_t n = 0; n <= NFT_OUTPUT_MAX; n += sizeof(chunk))
		if (fwrite(chunk, 1, sizeof(chunk), stdout) != sizeof(chunk))
			break;
}

static void fake_sigblk(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "SigBlk:", 7))
			fputs(line, stdout);
	if (f)
		fclose(f);
}

static int fake_nft(const char *mode)
{
	char c;

	if (!strcmp(mode, "--fake-sleep"))
		sleep(30);
	else if (!strcmp(mode, "--fake-linger")) {
		close(1);     /* EOF for the reader, but the process stays */
		sleep(30);
	} else if (!strcmp(mode, "--fake-flood"))
		fake_flood();
	else if (!strcmp(mode, "--fake-fail"))
		return 3;
	else if (!strcmp(mode, "--fake-env"))
		for (char **e = environ; *e; e++)
			printf("%s;", *e);
	else if (!strcmp(mode, "--fake-fds"))
		fake_fds();
	else if (!strcmp(mode, "--fake-stdin"))
		printf("%zd", read(0, &c, 1));
	else if (!strcmp(mode, "--fake-sigblk"))
		fake_sigblk();
	else if (!strcmp(mode, "--fake-pdeathsig")) {
		int sig = 0;

		prctl(PR_GET_PDEATHSIG, &sig);
		printf("%d", sig);
	}
	return 0;
}

/* ---------- namespaces ---------- */

/* A fresh network namespace, held by an fd only; we stay in our own. */
static int netns_new(void)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ns = -1;

	assert_true(self >= 0);
	if (unshare(CLONE_NEWNET) == 0) {
		ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (setns(self, CLONE_NEWNET) < 0)
			abort();  /* never run the other tests in the wrong namespace */
	}
	close(self);
	assert_true(ns >= 0);
	return ns;
}

/* Run nft with argv in namespace ns (test setup only; no shell). */
static int nft_in(int ns, char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int nul = open("/dev/null", O_WRONLY);

		if (setns(ns, CLONE_NEWNET) < 0)
			_exit(126);
		if (nul >= 0)
			dup2(nul, 2);
		execv("/usr/sbin/nft", argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int setup_ns(void **state)
{
	int *ns = malloc(sizeof(*ns));

	if (!ns)
		return -1;
	*ns = netns_new();
	*state = ns;
	return 0;
}

/* Closing the last reference deletes the namespace and every table in it. */
static int teardown_ns(void **state)
{
	int *ns = *state;

	close(*ns);
	free(ns);
	return 0;
}

static void add_rules(int ns)
{
	char *const table[] = { "nft", "add", "table", "inet", TABLE, NULL };
	char *const chain[] = { "nft", "add", "chain", "inet", TABLE, "out",
				"{ type filter hook output priority 0; policy accept; }", NULL };
	char *const rule[] = { "nft", "add", "rule", "inet", TABLE, "out", "ip", "daddr",
			       "100.100.0.0/16", "tcp", "dport", "80", "drop", NULL };

	assert_int_equal(nft_in(ns, table), 0);
	assert_int_equal(nft_in(ns, chain), 0);
	assert_int_equal(nft_in(ns, rule), 0);
}

/* ---------- tests ---------- */

static void test_read_in_namespace(void **state)
{
	int ns = *(int *)*state;
	char *json, *text;
	size_t jlen, tlen;

	add_rules(ns);
	assert_int_equal(nft_ruleset_read(ns, &json, &jlen, &text, &tlen), 0);
	assert_non_null(strstr(json, "\"" TABLE "\""));
	assert_non_null(strstr(text, "table inet " TABLE " {"));
	assert_int_equal(strlen(json), jlen);
	assert_int_equal(strlen(text), tlen);
	free(json);
	free(text);
}

/* Both modules together: the rule added is the one named, with its text. */
static void test_read_and_match(void **state)
{
	struct nft_tuple t = { .family = AF_INET, .l4proto = IPPROTO_TCP, .sport = 40000,
			       .dport = 80, .dir = NFT_DIR_OUTPUT };
	struct nft_rule_match m[4];
	int ns = *(int *)*state, n;
	char *json, *text;
	size_t jlen, tlen;

	add_rules(ns);
	assert_int_equal(inet_pton(AF_INET, "100.100.1.2", t.daddr), 1);
	assert_int_equal(nft_ruleset_read(ns, &json, &jlen, &text, &tlen), 0);
	n = nft_rules_match(json, jlen, &t, m, 4);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].table, TABLE);
	assert_string_equal(m[0].chain, "out");
	assert_true(m[0].handle > 0 && m[0].certain);
	nft_rules_attach_text(text, tlen, m, n);
	assert_string_equal(m[0].text, "ip daddr 100.100.0.0/16 tcp dport 80 drop");
	free(json);
	free(text);
}

static void test_empty_namespace(void **state)
{
	int ns = *(int *)*state;
	char *json, *text;
	size_t jlen, tlen;

	assert_int_equal(nft_ruleset_read(ns, &json, &jlen, &text, &tlen), 0);
	assert_non_null(strstr(json, "\"nftables\""));
	assert_null(strstr(json, TABLE));
	assert_int_equal(tlen, 0);
	assert_string_equal(text, "");
	free(json);
	free(text);
}

/* Our table lives in the test namespace only (reading the host ruleset changes nothing). */
static void test_host_namespace_untouched(void **state)
{
	int ns = *(int *)*state;
	char *json, *text;
	size_t jlen, tlen;

	add_rules(ns);
	assert_int_equal(nft_ruleset_read(-1, &json, &jlen, &text, &tlen), 0);
	assert_null(strstr(json, TABLE));
	assert_null(strstr(text, TABLE));
	free(json);
	free(text);
}

static void test_bad_namespace_fd(void **state)
{
	int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char *json = (char *)1, *text = (char *)1;
	size_t jlen = 1, tlen = 1;

	(void)state;
	assert_int_equal(nft_ruleset_read(nul, &json, &jlen, &text, &tlen), -EINVAL);
	assert_null(json);
	assert_null(text);
	assert_int_equal(jlen + tlen, 0);
	close(nul);
	assert_int_equal(nft_ruleset_read(1000000, &json, &jlen, &text, &tlen), -EBADF);
	assert_int_equal(nft_ruleset_read(-1, NULL, &jlen, &text, &tlen), -EINVAL);
}

static int capture(const char *mode, unsigned ms, char **out, size_t *len)
{
	return nft_exec_capture("/proc/self/exe", mode, -1, ms, out, len);
}

static void test_timeout_kills(void **state)
{
	struct timespec a, b;
	char *out;
	size_t len;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(capture("--fake-sleep", 300, &out, &len), -ETIMEDOUT);
	assert_int_equal(capture("--fake-linger", 300, &out, &len), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_null(out);
	assert_true(b.tv_sec - a.tv_sec < 3);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);   /* nothing left unreaped */
	assert_int_equal(errno, ECHILD);
}

static void test_size_cap(void **state)
{
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(capture("--fake-flood", 5000, &out, &len), -EFBIG);
	assert_null(out);
	assert_int_equal(len, 0);
}

static void test_exit_status_and_exec_errors(void **state)
{
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(capture("--fake-fail", 2000, &out, &len), -EIO);
	assert_int_equal(nft_exec_capture("/nonexistent/nft", "-j", -1, 2000, &out, &len),
			 -ENOENT);
	assert_int_equal(nft_exec_capture("/dev/null", "-j", -1, 2000, &out, &len), -EACCES);
	assert_null(out);
}

static void test_child_environment(void **state)
{
	sigset_t block, old;
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(capture("--fake-env", 2000, &out, &len), 0);
	assert_string_equal(out, "LC_ALL=C;");
	free(out);
	assert_int_equal(capture("--fake-fds", 2000, &out, &len), 0);
	assert_string_equal(out, "0 1 2 ");      /* the error pipe (3) is close-on-exec */
	free(out);
	assert_int_equal(capture("--fake-stdin", 2000, &out, &len), 0);
	assert_string_equal(out, "0");           /* /dev/null */
	free(out);
	/* a caller's blocked signals (signalfd) are not passed on */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	assert_int_equal(capture("--fake-sigblk", 2000, &out, &len), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_string_equal(out, "SigBlk:\t0000000000000000\n");
	free(out);
}

/* nft dies with the thread that waits for it */
static void test_child_dies_with_parent(void **state)
{
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(capture("--fake-pdeathsig", 2000, &out, &len), 0);
	assert_string_equal(out, "9");           /* SIGKILL */
	free(out);
}

/* A run given up at once when the cancel fd becomes readable; nothing left behind. */
static void test_cancel(void **state)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t one = 1;
	struct timespec a, b;
	char *out = (char *)1;
	size_t len;

	(void)state;
	assert_true(efd >= 0);
	/* not readable: the run goes on to its end */
	assert_int_equal(nft_exec_capture_cancellable("/proc/self/exe", "--fake-env", -1, 2000, efd,
						      &out, &len), 0);
	free(out);
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(nft_exec_capture_cancellable("/proc/self/exe", "--fake-sleep", -1, 20000,
						      efd, &out, &len), -ECANCELED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_null(out);
	assert_true(b.tv_sec - a.tv_sec < 2);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	close(efd);
}

/* The text listing is terse: a large set's elements are in the JSON only. */
static void test_text_without_set_elements(void **state)
{
	char *const set[] = { "nft", "add", "set", "inet", TABLE, "big", "{ type ipv4_addr; }", NULL };
	char *const elem[] = { "nft", "add", "element", "inet", TABLE, "big", "{ 10.9.8.7 }", NULL };
	char *const rule[] = { "nft", "add", "rule", "inet", TABLE, "out", "ip", "daddr", "@big",
			       "drop", NULL };
	int ns = *(int *)*state;
	char *json, *text;
	size_t jlen, tlen;

	add_rules(ns);
	assert_int_equal(nft_in(ns, set), 0);
	assert_int_equal(nft_in(ns, elem), 0);
	assert_int_equal(nft_in(ns, rule), 0);
	assert_int_equal(nft_ruleset_read(ns, &json, &jlen, &text, &tlen), 0);
	assert_non_null(strstr(json, "10.9.8.7"));
	assert_null(strstr(text, "10.9.8.7"));
	assert_non_null(strstr(text, "ip daddr @big drop # handle"));
	free(json);
	free(text);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_in_namespace, setup_ns, teardown_ns),
		cmocka_unit_test_setup_teardown(test_read_and_match, setup_ns, teardown_ns),
		cmocka_unit_test_setup_teardown(test_empty_namespace, setup_ns, teardown_ns),
		cmocka_unit_test_setup_teardown(test_host_namespace_untouched, setup_ns,
						teardown_ns),
		cmocka_unit_test(test_bad_namespace_fd),
		cmocka_unit_test(test_timeout_kills),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_exit_status_and_exec_errors),
		cmocka_unit_test(test_child_environment),
		cmocka_unit_test(test_child_dies_with_parent),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test_setup_teardown(test_text_without_set_elements, setup_ns,
						teardown_ns),
	};

	if (argc == 4 && !strncmp(argv[1], "--fake-", 7))
		return fake_nft(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
