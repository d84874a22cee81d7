/* syslog: receiver URLs, facilities, and the RFC 5424 message format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sink_metrics.h"
#include "sink_syslog.h"

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
	assert_non_null(strstr(buf, " process=\"Ali\\\"\\]\\\\[2J\""));
	assert_non_null(strstr(buf, " signal=\"SIGKILL\""));
	assert_non_null(strstr(buf, " dropped=\"5\""));
	assert_null(strchr(buf, '\x1b')); /* no escape byte reaches a log line */
	assert_non_null(strstr(buf, "] {\"kind\":\"diagnosis\""));
	/* too small a buffer: nothing rather than a cut message */
	assert_int_equal(syslog_format(buf, 40, 3, "h", "a", 1, 0, &cm, &d), 0);
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
		cmocka_unit_test(test_metrics_format),
	};

	return cmocka_run_group_tests_name("syslog", tests, NULL, NULL);
}
