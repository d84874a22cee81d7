// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* syslog: receiver URLs, facilities, and the RFC 5424 message format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "escape.h"
#include "sink_metrics.h"
#include "sink_syslog.h"
#include "utf8_check.h"

static void test_urls(void **state)
{
	struct syslog_target t;
	char err[256];

	(void)state;
	assert_int_equal(syslog_target_parse("unix:/dev/log", &t, err, sizeof(err)), 0);
	assert_int_equal(t.kind, SYSLOG_UNIX);
	assert_int_equal(syslog_target_parse("udp://127.0.0.1:514", &t, err, sizeof(err)), 0);
	assert_int_equal(t.kind, SYSLOG_UDP);
	assert_int_equal(syslog_target_parse("tcp://[::1]:601", &t, err, sizeof(err)), 0);
	assert_int_equal(t.kind, SYSLOG_TCP);
	assert_int_equal(t.addr.ss_family, AF_INET6);
	static const char *const bad[] = { "unix:dev/log", "udp://host:514", "udp://1.2.3.4",
					   "tcp://1.2.3.4:0", "tcp://1.2.3.4:65536", "tcp://[::1:601",
					   "http://1.2.3.4:80", "udp://1.2.3.4:51x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(syslog_target_parse(bad[i], &t, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(syslog_facility_parse("daemon"), 3);
	assert_int_equal(syslog_facility_parse("local7"), 23);
	assert_int_equal(syslog_facility_parse("kern"), -1);
}

static void test_format(void **state)
{
	struct clockmap cm = { 0 };
	struct diagnosis d;
	char buf[32768];
	size_t n;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.cause = CAUSE_AGENT_KILLED;
	d.primary = true;
	d.explained_by = -1;
	d.rcode = -1;
	d.exit_status = -1;
	d.signal = 9;
	d.pid = 4242;
	d.count = 1;
	d.ts_ns = 1000000000ULL;
	/* hostile names: quotes, brackets, backslashes and control bytes */
	snprintf(d.process, sizeof(d.process), "Ali\"]\\\x1b[2J");
	snprintf(d.summary, sizeof(d.summary), "killed \"x\"");
	n = syslog_format(buf, sizeof(buf), 3, "host1", "aegismon", 77, 5, &cm, &d);
	assert_true(n > 0);
	assert_int_equal(strlen(buf), n);
	/* daemon (3) * 8 + crit (2) = 26 */
	assert_memory_equal(buf, "<26>1 1970-01-01T00:00:01.000Z host1 aegismon 77 agent_killed [aegismon@32473 cause=\"agent_killed\"", 97);
	/* the ESC is shown as \x1b, whose backslash (like the name's own,
	 * shown as \\) takes RFC 5424's escape: a receiver gets Ali"]\\\x1b[2J */
	assert_non_null(strstr(buf, " process=\"Ali\\\"\\]\\\\\\\\\\\\x1b[2J\""));
	assert_non_null(strstr(buf, " signal=\"SIGKILL\""));
	assert_non_null(strstr(buf, " dropped=\"5\""));
	assert_null(strchr(buf, '\x1b')); /* no escape byte reaches a log line */
	assert_non_null(strstr(buf, "] {\"kind\":\"diagnosis\""));
	/* too small a buffer: nothing rather than a cut message */
	assert_int_equal(syslog_format(buf, 40, 3, "h", "a", 1, 0, &cm, &d), 0);
}

/* An SD-PARAM value as a receiver reads it: \" \\ \] undone (RFC 5424 6.3.3). */
static void sd_value(const char *msg, const char *name, char *out, size_t len)
{
	char key[64];
	const char *p;
	size_t o = 0;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(msg, key);
	assert_non_null(p);
	for (p += strlen(key); *p && *p != '"' && o + 1 < len; p++) {
		if (*p == '\\' && (p[1] == '"' || p[1] == '\\' || p[1] == ']'))
			p++;
		out[o++] = *p;
	}
	assert_int_equal(*p, '"');
	out[o] = '\0';
}

/* Untrusted bytes: the whole message is UTF-8 (the structured data must be,
 * RFC 5424 6.3.3), no raw 8-bit CSI or bidi control anywhere, the MSG is
 * plain ASCII JSON with the exe's exact bytes in exe_hex. */
static void test_format_untrusted_bytes(void **state)
{
	struct clockmap cm = { 0 };
	struct diagnosis d;
	char buf[32768], v[512];
	const char *msg;
	json_error_t err;
	json_t *j, *sub;
	size_t n;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.cause = CAUSE_AGENT_IMPOSTOR;
	d.primary = true;
	d.explained_by = -1;
	d.rcode = -1;
	d.exit_status = -1;
	d.pid = 4242;
	d.count = 1;
	snprintf(d.process, sizeof(d.process), "Ali\xe2\x80\xae\x9b" "Dun");
	snprintf(d.exe, sizeof(d.exe), "/tmp/\xe9vil\xe2\x80\xae\x9b/AliYunDun");
	snprintf(d.summary, sizeof(d.summary), "runs %s", d.exe);
	snprintf(d.qname, sizeof(d.qname), "a\xc2\x9b" "b\xe2\x81\xa6.aegis.aliyun.com");
	d.nrules = 1;
	snprintf(d.rules[0].text, sizeof(d.rules[0].text), "oifname \"\xe2\x80\x8f\xff\" drop");
	d.n_evidence = 1;
	d.evidence[0].hdr.type = AEGIS_EV_SIGNAL;
	d.evidence[0].signal.sender_tgid = 77;
	snprintf(d.evidence[0].signal.sender_comm, sizeof(d.evidence[0].signal.sender_comm),
		 "k\xef\xbb\xbf\x9b\x1b");
	snprintf(d.evidence[0].sender_exe, sizeof(d.evidence[0].sender_exe), "/tmp/\x9bkill");
	n = syslog_format(buf, sizeof(buf), 3, "host1", "aegismon", 77, 0, &cm, &d);
	assert_true(n > 0);
	assert_int_equal(strlen(buf), n);
	if (!well_formed_utf8(buf, n))
		fail_msg("not UTF-8: %s", buf);
	assert_null(memchr(buf, 0x9b, n));
	assert_null(memchr(buf, 0x1b, n));
	for (size_t k = 0; k < sizeof(hidden_utf8) / sizeof(hidden_utf8[0]); k++)
		assert_null(strstr(buf, hidden_utf8[k]));

	/* the values, as a receiver reads them: the visible form */
	sd_value(buf, "process", v, sizeof(v));
	assert_string_equal(v, "Ali\\u202e\xef\xbf\xbd" "Dun");
	sd_value(buf, "sender_comm", v, sizeof(v));
	assert_string_equal(v, "k\\ufeff\xef\xbf\xbd\\x1b");
	sd_value(buf, "qname", v, sizeof(v));
	assert_string_equal(v, "a\\u009bb\\u2066.aegis.aliyun.com");
	sd_value(buf, "rule", v, sizeof(v));
	assert_string_equal(v, "oifname \"\\u200f\xef\xbf\xbd\" drop");

	/* the MSG: ASCII, the same JSON document */
	msg = strstr(buf, "] {");
	assert_non_null(msg);
	msg += 2;
	for (const char *p = msg; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	j = json_loads(msg, 0, &err);
	if (!j)
		fail_msg("MSG is not JSON: %s", err.text);
	sub = json_object_get(j, "subject");
	assert_string_equal(json_string_value(json_object_get(sub, "exe")),
			    "/tmp/\xef\xbf\xbdvil\xe2\x80\xae\xef\xbf\xbd/AliYunDun");
	assert_string_equal(json_string_value(json_object_get(sub, "exe_hex")),
			    "2f746d702fe976696ce280ae9b2f416c6959756e44756e");
	json_decref(j);

	/* a value that does not fit: nothing, never half an escape */
	for (size_t len = 60; len < n; len += 7) {
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(syslog_format(buf, len, 3, "host1", "aegismon", 77, 0, &cm, &d), 0);
		assert_int_equal(buf[len], 'X');
	}
}

/* An action's MSG: ASCII too. */
static void test_format_action_ascii(void **state)
{
	struct clockmap cm = { 0 };
	struct action a;
	char buf[8192];
	size_t n;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.action = "hook";
	a.outcome = "failed";
	a.cause = -1;
	a.delay_ms = -1;
	a.exit_code = -1;
	a.process = "Ali\xe2\x80\xae";
	a.detail = "output: caf\xc3\xa9 \xe9";
	n = syslog_format_action(buf, sizeof(buf), 3, "h", "aegismon", 1, 0, &cm, &a);
	assert_true(n > 0);
	assert_true(well_formed_utf8(buf, n));
	assert_non_null(strstr(buf, " process=\"Ali\\\\u202e\""));
	assert_non_null(strstr(buf, "\"detail\":\"output: caf\\u00e9 \\ufffd\""));
}

/*
 * A journal datagram as journald reads it (the simple form of the native
 * protocol): NAME=value lines, every name of A-Z, 0-9 and '_' and not
 * starting with '_' (journald drops such fields: trusted ones are its own).
 * Returns the value of name, copied into out, or NULL.
 */
static const char *journal_value(const char *msg, size_t n, const char *name, char *out, size_t len)
{
	const char *line = msg, *found = NULL;

	assert_int_equal(msg[n - 1], '\n');
	while (line < msg + n) {
		const char *nl = memchr(line, '\n', (size_t)(msg + n - line));
		const char *eq = memchr(line, '=', (size_t)(nl - line));

		assert_non_null(nl);
		assert_non_null(eq);
		assert_true(eq > line && line[0] != '_');
		for (const char *p = line; p < eq; p++)
			assert_true((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_');
		if ((size_t)(eq - line) == strlen(name) && !memcmp(line, name, strlen(name))) {
			assert_null(found); /* each field once */
			snprintf(out, len, "%.*s", (int)(nl - eq - 1), eq + 1);
			found = out;
		}
		line = nl + 1;
	}
	return found;
}

static void test_journal(void **state)
{
	struct clockmap cm = { 0 };
	struct syslog_target t;
	struct diagnosis d;
	char buf[32768], v[16384], err[128];
	json_error_t jerr;
	json_t *j;
	size_t n;

	(void)state;
	assert_int_equal(syslog_target_parse("journal", &t, err, sizeof(err)), 0);
	assert_int_equal(t.kind, SYSLOG_JOURNAL);
	assert_string_equal(((struct sockaddr_un *)&t.addr)->sun_path, "/run/systemd/journal/socket");
	assert_int_equal(syslog_target_parse("journal:/x", &t, err, sizeof(err)), -1);

	memset(&d, 0, sizeof(d));
	d.cause = CAUSE_AGENT_KILLED;
	d.primary = true;
	d.explained_by = -1;
	d.rcode = -1;
	d.exit_status = -1;
	d.signal = 9;
	d.pid = 4242;
	d.count = 3;
	d.ts_ns = 1000000000ULL;
	/* a name that tries to end its field and forge the next one */
	snprintf(d.process, sizeof(d.process), "Ali\nAEGISMON_CAUSE=ok\x1b");
	snprintf(d.summary, sizeof(d.summary), "AliYunDun (pid 4242) killed by SIGKILL\nPRIORITY=7");
	d.has_peer = true;
	d.peer.family = 10;
	d.peer.daddr[15] = 1;
	d.peer.dport = 80;
	n = journal_format(buf, sizeof(buf), 3, 5, &cm, &d);
	assert_true(n > 0);
	assert_int_equal(strlen(buf), n);
	assert_true(well_formed_utf8(buf, n));
	assert_null(memchr(buf, 0x1b, n));
	assert_string_equal(journal_value(buf, n, "MESSAGE", v, sizeof(v)),
			    "agent_killed: AliYunDun (pid 4242) killed by SIGKILL\\x0aPRIORITY=7");
	assert_string_equal(journal_value(buf, n, "PRIORITY", v, sizeof(v)), "2");
	assert_string_equal(journal_value(buf, n, "SYSLOG_FACILITY", v, sizeof(v)), "3");
	assert_string_equal(journal_value(buf, n, "SYSLOG_IDENTIFIER", v, sizeof(v)), "aegismon");
	assert_string_equal(journal_value(buf, n, "AEGISMON_CAUSE", v, sizeof(v)), "agent_killed");
	assert_string_equal(journal_value(buf, n, "AEGISMON_SEVERITY", v, sizeof(v)), "critical");
	assert_string_equal(journal_value(buf, n, "AEGISMON_PROCESS", v, sizeof(v)),
			    "Ali\\x0aAEGISMON_CAUSE=ok\\x1b");
	assert_string_equal(journal_value(buf, n, "AEGISMON_PID", v, sizeof(v)), "4242");
	assert_string_equal(journal_value(buf, n, "AEGISMON_COUNT", v, sizeof(v)), "3");
	assert_string_equal(journal_value(buf, n, "AEGISMON_SIGNAL", v, sizeof(v)), "SIGKILL");
	assert_string_equal(journal_value(buf, n, "AEGISMON_DADDR", v, sizeof(v)), "::1");
	assert_string_equal(journal_value(buf, n, "AEGISMON_DPORT", v, sizeof(v)), "80");
	assert_string_equal(journal_value(buf, n, "AEGISMON_ENDPOINT", v, sizeof(v)), "[::1]:80");
	assert_string_equal(journal_value(buf, n, "AEGISMON_DROPPED", v, sizeof(v)), "5");
	assert_string_equal(journal_value(buf, n, "AEGISMON_KIND", v, sizeof(v)), "diagnosis");
	assert_null(journal_value(buf, n, "AEGISMON_QNAME", v, sizeof(v)));
	j = json_loads(journal_value(buf, n, "AEGISMON_JSON", v, sizeof(v)), 0, &jerr);
	if (!j)
		fail_msg("AEGISMON_JSON is not JSON: %s", jerr.text);
	assert_string_equal(json_string_value(json_object_get(j, "cause")), "agent_killed");
	json_decref(j);
	/* a buffer too small: nothing, never a cut datagram */
	for (size_t len = 10; len < n; len += 97)
		assert_int_equal(journal_format(buf, len, 3, 5, &cm, &d), 0);
}

static void test_journal_action(void **state)
{
	struct clockmap cm = { 0 };
	struct action a;
	char buf[8192], v[4096];
	size_t n;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.action = "restart";
	a.step = "systemctl";
	a.outcome = "ok";
	a.cause = CAUSE_AGENT_KILLED;
	a.delay_ms = -1;
	a.exit_code = 0;
	a.pid = 31;
	a.process = "AliYunDun";
	n = journal_format_action(buf, sizeof(buf), 3, 0, &cm, &a);
	assert_true(n > 0);
	assert_string_equal(journal_value(buf, n, "MESSAGE", v, sizeof(v)), "action restart systemctl ok (AliYunDun)");
	assert_string_equal(journal_value(buf, n, "PRIORITY", v, sizeof(v)), "5");
	assert_string_equal(journal_value(buf, n, "AEGISMON_KIND", v, sizeof(v)), "action");
	assert_string_equal(journal_value(buf, n, "AEGISMON_ACTION", v, sizeof(v)), "restart");
	assert_string_equal(journal_value(buf, n, "AEGISMON_CAUSE", v, sizeof(v)), "agent_killed");
	assert_string_equal(journal_value(buf, n, "AEGISMON_EXIT_CODE", v, sizeof(v)), "0");
	assert_null(journal_value(buf, n, "AEGISMON_DROPPED", v, sizeof(v)));
}

/* The metrics text: every cause present, installed core processes only,
 * and nothing half-written into a small buffer. */
static void test_metrics_format(void **state)
{
	struct metrics m;
	char buf[8192];
	size_t n;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.events[AEGIS_EV_EXEC] = 3;
	m.events[AEGIS_EV_TICK] = 99; /* ticks are not events worth a series */
	m.diagnoses[CAUSE_AGENT_KILLED] = 2;
	m.probes_attached = 14;
	m.agent_installed = 1;
	m.core_expected = 1u << CORE_UPDATE;
	m.core_running[CORE_UPDATE] = 1;
	n = metrics_format(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "aegismon_events_total{type=\"exec\"} 3\n"));
	assert_null(strstr(buf, "type=\"tick\""));
	assert_non_null(strstr(buf, "aegismon_diagnoses_total{cause=\"agent_killed\"} 2\n"));
	assert_non_null(strstr(buf, "aegismon_diagnoses_total{cause=\"dns_timeout\"} 0\n"));
	assert_non_null(strstr(buf, "aegismon_agent_up{process=\"AliYunDunUpdate\"} 1\n"));
	assert_null(strstr(buf, "process=\"AliYunDun\"}"));
	assert_int_equal(metrics_format(buf, 100, &m), 0);
	/* the network scope: said when there are network probes */
	n = metrics_format(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "aegismon_scheduler_probes_attached 0\n"));
	assert_non_null(strstr(buf, "aegismon_network_scope{where=\"agent_cgroups\"} 0\n"));
	m.net_scope_agent = 1;
	m.sched_attached = 1;
	n = metrics_format(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "aegismon_network_scope{where=\"agent_cgroups\"} 1\n"));
	assert_non_null(strstr(buf, "aegismon_network_scope{where=\"host\"} 0\n"));
	assert_non_null(strstr(buf, "aegismon_scheduler_probes_attached 1\n"));
	m.net_scope_agent = -1;
	n = metrics_format(buf, sizeof(buf), &m);
	assert_null(strstr(buf, "aegismon_network_scope"));
	/* the network probes on demand: said when they are loaded */
	assert_non_null(strstr(buf, "aegismon_net_probes_attached 0\n"));
	m.net_attached = 1;
	n = metrics_format(buf, sizeof(buf), &m);
	assert_non_null(strstr(buf, "aegismon_net_probes_attached 1\n"));
	m.net_attached = -1;
	n = metrics_format(buf, sizeof(buf), &m);
	assert_true(n > 0);
	assert_null(strstr(buf, "aegismon_net_probes_attached"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_untrusted_bytes),
		cmocka_unit_test(test_format_action_ascii),
		cmocka_unit_test(test_journal),
		cmocka_unit_test(test_journal_action),
		cmocka_unit_test(test_metrics_format),
	};

	return cmocka_run_group_tests_name("syslog", tests, NULL, NULL);
}
