// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The config file and the option table: every key, every error path, and the
 * precedence of command line over file over defaults. */
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

#include "config.h"
#include "options.h"

static char err[600];

static int parse(struct options *o, const char *text)
{
	err[0] = '\0';
	return config_parse(text, strlen(text), "test.conf", o, err, sizeof(err));
}

static void expect_error(const char *text, const char *needle)
{
	struct options o;

	options_defaults(&o);
	if (parse(&o, text) != -1)
		fail_msg("[%s] was accepted", text);
	if (!strstr(err, needle))
		fail_msg("error for [%s] is [%s], expected it to contain [%s]", text, err, needle);
	options_free(&o);
}

static void test_every_key(void **state)
{
	struct options o;
	const char *text =
		"# a comment\n"
		"\n"
		"   # an indented comment\n"
		"agent-root = /srv/aegis\n"
		"agent_root = /opt/aegis\n" /* '_' stands for '-' */
		"endpoint = 192.0.2.0/24\n"
		"endpoint=2001:db8::/32\n"
		"port = 8443\n"
		"port = 80\n"
		"domain = example.test\n"
		"dns-timeout = 2.5\n"
		"grace = 7\n"
		"flap-count = 5\n"
		"flap-window = 120\n"
		"ringbuf-size = 2048\n"
		"syslog = udp://127.0.0.1:5514\n"
		"syslog = tcp://[::1]:601\n"
		"syslog-facility = local3\n"
		"json-log = \"/var/log/aegismon/d.json\"\n"
		"json-log-max-size = 16\n"
		"json-log-keep = 3\n"
		"metrics = /var/lib/node/aegismon.prom\r\n" /* CRLF files too */
		"verbose = yes\n"
		"syslog = unix:/run/a#b\n"         /* '#' inside a value is kept */
		"\tgrace\t=\t8\t# trailing comment\n"; /* later wins, blanks trimmed */

	(void)state;
	options_defaults(&o);
	assert_int_equal(parse(&o, text), 0);
	assert_int_equal(o.nroots, 2);
	assert_string_equal(o.roots[0], "/srv/aegis");
	assert_string_equal(o.roots[1], "/opt/aegis");
	assert_int_equal(o.endpoints.ncidrs, 2); /* the defaults were replaced */
	assert_int_equal(o.endpoints.cidrs[0].prefixlen, 24);
	assert_int_equal(o.endpoints.cidrs[1].prefixlen, 32);
	assert_int_equal(o.endpoints.nports, 2);
	assert_int_equal(o.endpoints.ports[0], 8443);
	assert_int_equal(o.endpoints.ports[1], 80);
	assert_int_equal(o.domains.n, 1);
	assert_string_equal(o.domains.names[0], "example.test");
	assert_true(o.dns_timeout_s == 2.5);
	assert_true(o.grace_s == 8);
	assert_int_equal(o.flap_count, 5);
	assert_true(o.flap_window_s == 120);
	assert_int_equal(o.ringbuf_kib, 2048);
	assert_int_equal(o.nsyslog, 3);
	assert_string_equal(o.syslog_urls[1], "tcp://[::1]:601");
	assert_string_equal(o.syslog_urls[2], "unix:/run/a#b");
	assert_int_equal(o.syslog_facility, 19);
	assert_string_equal(o.json_log, "/var/log/aegismon/d.json");
	assert_int_equal(o.json_log_max_bytes, 16 << 20);
	assert_int_equal(o.json_log_keep, 3);
	assert_string_equal(o.metrics, "/var/lib/node/aegismon.prom");
	assert_true(o.verbose);
	options_free(&o);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	expect_error("grace = 1\n\ngrace = soon\n", "test.conf:3: grace: 'soon' is not a number");
	expect_error("graze = 1\n", "test.conf:1: unknown key 'graze' (did you mean 'grace'?)");
	expect_error("colour_me = 1\n", "unknown key 'colour-me'");
	expect_error("grace 1\n", "test.conf:1: expected 'key = value'");
	expect_error("= 1\n", "expected 'key = value'");
	expect_error("Grace = 1\n", "expected 'key = value'"); /* keys are lower case */
	expect_error("grace =\n", "grace: needs a value");
	expect_error("grace = \"\"\n", "grace: needs a value");
	expect_error("json-log = \"/x\n", "json-log: unterminated quote");
	expect_error("duration = 5\n", "'duration' is a command-line option, not a config key");
	expect_error("json = yes\n", "command-line option");
	expect_error("config = /etc/other.conf\n", "command-line option");
	expect_error("endpoint = 1.2.3.4/33\n", "endpoint:");
	expect_error("port = 0\n", "port: '0' is not a port number");
	expect_error("port = 65536\n", "not a port number");
	expect_error("domain = a..example\n", "domain:");
	expect_error("dns-timeout = 0\n", "dns-timeout:");
	expect_error("flap-count = 1\n", "flap-count: '1' is not a number from 2 to 32");
	expect_error("flap-window = 0\n", "flap-window:");
	expect_error("ringbuf-size = 1000\n", "power of two");
	expect_error("syslog = http://x\n", "syslog:");
	expect_error("syslog-facility = kern\n", "syslog-facility:");
	expect_error("json-log = relative.json\n", "not an absolute path");
	expect_error("metrics = m.prom\n", "not an absolute path");
	expect_error("agent-root = usr/local/aegis\n", "not an absolute path");
	expect_error("json-log-max-size = -1\n", "json-log-max-size:");
	expect_error("json-log-max-size = 1K\n", "at least 4K");
	expect_error("json-log-max-size = 5T\n", "json-log-max-size:");
	expect_error("json-log-max-size = 99999999999G\n", "json-log-max-size:");
	expect_error("json-log-keep = 0\n", "json-log-keep:");
	expect_error("verbose = maybe\n", "verbose: 'maybe' is not yes or no");
	expect_error("grace = #1\n", "grace: needs a value"); /* a comment right away */
	expect_error("a\0b = 1\n", "expected"); /* strlen stops at NUL: "a" alone */
}

static void test_limits(void **state)
{
	struct options o;
	char *big = malloc(CONFIG_MAX_LINE + 64);
	char text[64];

	(void)state;
	/* a line longer than the limit is an error, not cut silently */
	memset(big, '#', CONFIG_MAX_LINE + 1);
	strcpy(big + CONFIG_MAX_LINE + 1, "\n");
	options_defaults(&o);
	assert_int_equal(parse(&o, big), -1);
	assert_non_null(strstr(err, "test.conf:1: line longer than"));
	options_free(&o);
	free(big);
	/* a NUL inside the text */
	memcpy(text, "grace = 1\n#x\0y\n", 16);
	options_defaults(&o);
	assert_int_equal(config_parse(text, 16, "nul.conf", &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "nul.conf:2: NUL byte"));
	options_free(&o);
	/* too many list entries */
	options_defaults(&o);
	assert_int_equal(parse(&o, "syslog = unix:/dev/log\nsyslog = unix:/dev/log\n"
				   "syslog = unix:/dev/log\nsyslog = unix:/dev/log\n"
				   "syslog = unix:/dev/log\n"), -1);
	assert_non_null(strstr(err, "test.conf:5: syslog: at most 4"));
	options_free(&o);
	/* sizes */
	options_defaults(&o);
	assert_int_equal(parse(&o, "json-log-max-size = 8K\n"), 0);
	assert_int_equal(o.json_log_max_bytes, 8192);
	assert_int_equal(parse(&o, "json-log-max-size = 2g\n"), 0);
	assert_int_equal(o.json_log_max_bytes, 2ULL << 30);
	assert_int_equal(parse(&o, "json-log-max-size = 0\n"), 0);
	assert_int_equal(o.json_log_max_bytes, 0);
	options_free(&o);
	/* no final newline, empty file */
	options_defaults(&o);
	assert_int_equal(parse(&o, "grace = 3"), 0);
	assert_true(o.grace_s == 3);
	assert_int_equal(parse(&o, ""), 0);
	options_free(&o);
}

static void test_lists_replace_by_source(void **state)
{
	struct options o;
	char why[200];

	(void)state;
	options_defaults(&o);
	assert_int_equal(o.endpoints.ncidrs, 3);
	assert_int_equal(o.endpoints.nports, 3);
	assert_int_equal(parse(&o, "endpoint = 10.0.0.0/8\nendpoint = 10.1.0.0/16\n"), 0);
	assert_int_equal(o.endpoints.ncidrs, 2);
	assert_int_equal(o.endpoints.nports, 3); /* ports untouched */
	/* the command line replaces the file's list, then adds to its own */
	assert_int_equal(options_apply(&o, "endpoint", "192.0.2.1", SRC_CMDLINE, why, sizeof(why)), 0);
	assert_int_equal(o.endpoints.ncidrs, 1);
	assert_int_equal(options_apply(&o, "endpoint", "192.0.2.2", SRC_CMDLINE, why, sizeof(why)), 0);
	assert_int_equal(o.endpoints.ncidrs, 2);
	/* a repeated port is one port */
	assert_int_equal(options_apply(&o, "port", "443", SRC_CMDLINE, why, sizeof(why)), 0);
	assert_int_equal(options_apply(&o, "port", "443", SRC_CMDLINE, why, sizeof(why)), 0);
	assert_int_equal(o.endpoints.nports, 1);
	options_free(&o);
}

static void test_key_kinds_and_suggest(void **state)
{
	(void)state;
	assert_int_equal(options_key_kind("grace"), KEY_CONFIG);
	assert_int_equal(options_key_kind("duration"), KEY_CMDLINE_ONLY);
	assert_int_equal(options_key_kind("nonsense"), KEY_UNKNOWN);
	assert_string_equal(options_suggest("endpoints"), "endpoint");
	assert_string_equal(options_suggest("metric"), "metrics");
	assert_null(options_suggest("completely-different-thing"));
}

/* config_load: the file checks of a file that decides what a root daemon runs */
static void test_load_checks(void **state)
{
	char dir[] = "/tmp/aegismon-config-XXXXXX";
	char path[128];
	struct options o;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("grace = 12\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	options_defaults(&o);
	assert_int_equal(config_load(path, &o, err, sizeof(err)), 0);
	assert_true(o.grace_s == 12);

	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(config_load(path, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "writable by group or others"));
	assert_int_equal(chmod(path, 0620), 0);
	assert_int_equal(config_load(path, &o, err, sizeof(err)), -1);
	assert_int_equal(chmod(path, 0600), 0);
	if (geteuid() == 0) { /* only root can give the file away */
		assert_int_equal(chown(path, 65534, 65534), 0);
		assert_int_equal(config_load(path, &o, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "owned by uid 65534"));
		assert_int_equal(chown(path, 0, 0), 0);
	}
	assert_int_equal(config_load(dir, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	assert_int_equal(config_load(path, &o, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	options_free(&o);

	snprintf(path, sizeof(path), "%s/a.conf", dir);
	unlink(path);
	rmdir(dir);
}

/* The command line: --config read first, the command line wins. */
static void test_command_line_over_file(void **state)
{
	char dir[] = "/tmp/aegismon-config-XXXXXX";
	char path[128], arg[160];
	struct options o;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("grace = 12\nflap-count = 9\nendpoint = 10.0.0.0/8\n", f);
	fclose(f);
	chmod(path, 0600);
	snprintf(arg, sizeof(arg), "--config=%s", path);
	{
		char *argv[] = { "trace", arg, "--grace", "3", NULL };

		options_defaults(&o);
		assert_int_equal(options_parse_trace(4, argv, &o, err, sizeof(err)), 0);
		assert_true(o.grace_s == 3);      /* command line */
		assert_int_equal(o.flap_count, 9); /* file */
		assert_int_equal(o.endpoints.ncidrs, 1);
		assert_string_equal(o.config, path);
		options_free(&o);
	}
	{
		char *argv[] = { "trace", "--no-config", arg, NULL };

		options_defaults(&o);
		assert_int_equal(options_parse_trace(3, argv, &o, err, sizeof(err)), 0);
		assert_int_equal(o.flap_count, 3);
		assert_null(o.config);
		options_free(&o);
	}
	{
		char *argv[] = { "trace", "--config", "/nonexistent/aegismon.conf", NULL };

		options_defaults(&o);
		assert_int_equal(options_parse_trace(3, argv, &o, err, sizeof(err)), 2);
		assert_non_null(strstr(err, "/nonexistent/aegismon.conf"));
		options_free(&o);
	}
	{
		char *argv[] = { "trace", "--bogus", NULL };

		options_defaults(&o);
		assert_int_equal(options_parse_trace(2, argv, &o, err, sizeof(err)), 2);
		assert_string_equal(err, "unknown option '--bogus'");
		options_free(&o);
	}
	{
		char *argv[] = { "trace", "--no-config", "--port", "x", NULL };

		options_defaults(&o);
		assert_int_equal(options_parse_trace(4, argv, &o, err, sizeof(err)), 2);
		assert_string_equal(err, "--port: 'x' is not a port number (1-65535)");
		options_free(&o);
	}
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_lists_replace_by_source),
		cmocka_unit_test(test_key_kinds_and_suggest),
		cmocka_unit_test(test_load_checks),
		cmocka_unit_test(test_command_line_over_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
