// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Remediation: version directory choice, policy, path safety, the hook, the
 * service method, the action formatters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "hook.h"
#include "policy.h"
#include "remedy.h"
#include "safepath.h"
#include "sink.h"
#include "sink_syslog.h"
#include "utf8_check.h"

#define S(x) ((uint64_t)(x) * 1000000000ULL)
#define NOBODY 65534

/* ---- version directories ---- */

static void expect_pick(const char *const *names, size_t n, int want_idx, int ma, int mi)
{
	int gma = -1, gmi = -1;
	int idx = agent_highest_version(names, n, &gma, &gmi);

	assert_int_equal(idx, want_idx);
	if (want_idx >= 0) {
		assert_int_equal(gma, ma);
		assert_int_equal(gmi, mi);
	}
}

static void test_pick_version(void **state)
{
	(void)state;
	{
		const char *n[] = { "aegis_10_75", "aegis_12_9", "aegis_12_93", "aegis_11_99" };
		expect_pick(n, 4, 2, 12, 93);
	}
	{	/* numeric, not lexical: 12_9 > 11_99 > 10_75, and 12_10 > 12_9 */
		const char *n[] = { "aegis_10_75", "aegis_11_99", "aegis_12_9" };
		expect_pick(n, 3, 2, 12, 9);
		const char *m[] = { "aegis_12_9", "aegis_12_10" };
		expect_pick(m, 2, 1, 12, 10);
		const char *k[] = { "aegis_9_99", "aegis_10_0" };
		expect_pick(k, 2, 1, 10, 0);
	}
	{	/* junk is ignored, wherever it sorts */
		const char *n[] = { "aegis_99_x", "aegis_update", "aegis_13", "aegis_13_1_2", "AEGIS_14_1",
				    "aegis_10_70", "aegis_-1_5", ".aegis_15_0", "aegis_10_73", "aegis_10_75",
				    "aegis_10_75x", "aegis_1_99999999999", NULL, "" };
		expect_pick(n, 14, 9, 10, 75);
	}
	{	/* leading zeros compare by value; the first of equals wins */
		const char *n[] = { "aegis_12_093", "aegis_12_93" };
		expect_pick(n, 2, 0, 12, 93);
	}
	{
		const char *n[] = { "junk", "aegis_", "aegis_client" };
		expect_pick(n, 3, -1, 0, 0);
		expect_pick(n, 0, -1, 0, 0);
	}
}

/* a real tree: the scan picks the highest directory, not a file named like one */
static char tmpdir[PATH_MAX];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int tmp_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/aegismon-test-remedy-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int tmp_teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void mkpath(const char *rel, mode_t mode)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	assert_int_equal(mkdir(p, mode), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static void write_file(const char *rel, const char *text, mode_t mode)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

static void test_scan_many_versions(void **state)
{
	static const char *const dirs[] = { "aegis_10_75", "aegis_11_99", "aegis_12_9", "aegis_12_93",
					    "aegis_12_x", "aegis_13" };
	const char *roots[1] = { tmpdir };
	struct agent_env env;

	(void)state;
	mkpath("aegis_client", 0755);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "aegis_client/%s", dirs[i]);
		mkpath(rel, 0755);
	}
	write_file("aegis_client/aegis_99_99", "not a directory", 0644);
	agent_env_init(&env, roots, 1);
	assert_true(env.install.found);
	assert_int_equal(env.install.major, 12);
	assert_int_equal(env.install.minor, 93);
	assert_non_null(strstr(env.install.client_dir, "/aegis_client/aegis_12_93"));
}

/* ---- policy ---- */

static struct policy_config pcfg(enum remediation_mode m)
{
	struct policy_config c;

	policy_config_defaults(&c);
	c.mode = m;
	return c;
}

static void test_policy_defaults(void **state)
{
	struct policy_config c;
	enum remediation_mode m;

	(void)state;
	policy_config_defaults(&c);
	assert_int_equal(c.mode, REM_ADVISE);
	assert_int_equal(c.restart_max, 3);
	assert_true(c.window_ns == S(3600));
	assert_true(c.delay_ns == S(10));
	assert_int_equal(remediation_mode_parse("restart", &m), 0);
	assert_int_equal(m, REM_RESTART);
	assert_int_equal(remediation_mode_parse("off", &m), 0);
	assert_int_equal(m, REM_OFF);
	assert_int_equal(remediation_mode_parse("Restart", &m), -1);
	assert_int_equal(remediation_mode_parse("", &m), -1);
	assert_string_equal(remediation_mode_name(REM_ADVISE), "advise");
}

static void test_policy_restartable_causes(void **state)
{
	static const enum cause yes[] = { CAUSE_AGENT_NOT_RUNNING, CAUSE_AGENT_CRASHED, CAUSE_AGENT_KILLED,
					  CAUSE_AGENT_OOM_KILLED, CAUSE_AGENT_EXITED, CAUSE_AGENT_FLAPPING };
	int nyes = 0;

	(void)state;
	for (int c = 0; c < CAUSE_COUNT; c++)
		nyes += policy_cause_restartable((enum cause)c);
	assert_int_equal(nyes, (int)(sizeof(yes) / sizeof(yes[0])));
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(policy_cause_restartable(yes[i]));
	/* never for the network, DNS, an impostor, a recovery, or our own failure */
	assert_false(policy_cause_restartable(CAUSE_CONNECT_BLOCKED_LOCAL));
	assert_false(policy_cause_restartable(CAUSE_CONNECT_TIMEOUT));
	assert_false(policy_cause_restartable(CAUSE_CONNECT_REFUSED));
	assert_false(policy_cause_restartable(CAUSE_DNS_NXDOMAIN));
	assert_false(policy_cause_restartable(CAUSE_DNS_TIMEOUT));
	assert_false(policy_cause_restartable(CAUSE_ENDPOINT_SINKHOLED));
	assert_false(policy_cause_restartable(CAUSE_AGENT_IMPOSTOR));
	assert_false(policy_cause_restartable(CAUSE_AGENT_ONLINE));
	assert_false(policy_cause_restartable(CAUSE_REMEDIATION_FAILED));
}

static void test_policy_modes(void **state)
{
	struct policy_config off = pcfg(REM_OFF), adv = pcfg(REM_ADVISE), rst = pcfg(REM_RESTART);
	struct policy_state st;
	struct policy_decision d;

	(void)state;
	policy_init(&st);
	assert_int_equal(policy_on_diagnosis(&st, &off, CAUSE_AGENT_KILLED, true, S(1)).action, POL_NONE);
	d = policy_on_diagnosis(&st, &adv, CAUSE_AGENT_KILLED, true, S(1));
	assert_int_equal(d.action, POL_ADVISE);
	assert_false(st.pending);
	/* a network cause: advice, in either mode, never a restart */
	assert_int_equal(policy_on_diagnosis(&st, &adv, CAUSE_CONNECT_TIMEOUT, true, S(1)).action, POL_ADVISE);
	d = policy_on_diagnosis(&st, &rst, CAUSE_DNS_SERVFAIL, true, S(1));
	assert_int_equal(d.action, POL_ADVISE);
	assert_non_null(strstr(d.reason, "does not fix"));
	assert_false(st.pending);
	/* a recovery needs nothing */
	assert_int_equal(policy_on_diagnosis(&st, &rst, CAUSE_AGENT_ONLINE, true, S(1)).action, POL_NONE);
	/* a non-core process (AliHips...) is not restarted */
	assert_int_equal(policy_on_diagnosis(&st, &rst, CAUSE_AGENT_KILLED, false, S(1)).action, POL_ADVISE);
	/* a core death: restart after the first delay */
	d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_KILLED, true, S(100));
	assert_int_equal(d.action, POL_RESTART);
	assert_true(d.delay_ns == S(10));
	assert_true(d.at_ns == S(110));
	assert_true(st.pending);
}

static void test_policy_coalesces_while_pending(void **state)
{
	struct policy_config rst = pcfg(REM_RESTART);
	struct policy_state st;

	(void)state;
	policy_init(&st);
	assert_int_equal(policy_on_diagnosis(&st, &rst, CAUSE_AGENT_KILLED, true, S(1)).action, POL_RESTART);
	/* the follow-up not_running of the same death, and a second core process */
	assert_int_equal(policy_on_diagnosis(&st, &rst, CAUSE_AGENT_NOT_RUNNING, true, S(2)).action, POL_NONE);
	assert_int_equal(policy_on_diagnosis(&st, &rst, CAUSE_AGENT_EXITED, true, S(3)).action, POL_NONE);
	assert_int_equal(policy_restart_done(&st, &rst, true, false, S(12)).action, POL_NONE);
	assert_false(st.pending);
	assert_int_equal(policy_restarts_in_window(&st, &rst, S(12)), 1);
	/* the agent came back by itself before the restart was due: no budget spent */
	assert_int_equal(policy_on_diagnosis(&st, &rst, CAUSE_AGENT_KILLED, true, S(20)).action, POL_RESTART);
	policy_restart_cancel(&st);
	assert_false(st.pending);
	assert_int_equal(policy_restarts_in_window(&st, &rst, S(31)), 1);
	/* the next death waits the second delay: one restart in the window */
	assert_true(policy_on_diagnosis(&st, &rst, CAUSE_AGENT_KILLED, true, S(40)).delay_ns == S(20));
}

static void test_policy_backoff_and_budget(void **state)
{
	struct policy_config rst = pcfg(REM_RESTART);
	struct policy_state st;
	struct policy_decision d;
	uint64_t t = S(1000);

	(void)state;
	policy_init(&st);
	/* each restart "works", then the agent dies again: 10 s, 20 s, 40 s, then give up */
	for (unsigned i = 0; i < 3; i++) {
		d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_CRASHED, true, t);
		assert_int_equal(d.action, POL_RESTART);
		assert_true(d.delay_ns == S(10) << i);
		t = d.at_ns + S(1);
		assert_int_equal(policy_restart_done(&st, &rst, true, false, t).action, POL_NONE);
		t += S(5);
	}
	d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_CRASHED, true, t);
	assert_int_equal(d.action, POL_ESCALATE);
	assert_true(st.escalated);
	/* after escalation: advice only, no restart, no second escalation */
	d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_CRASHED, true, t + S(10));
	assert_int_equal(d.action, POL_ADVISE);
	assert_non_null(strstr(d.reason, "remediation_failed"));
	/* a new window: a new budget, starting again at the first delay */
	d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_CRASHED, true, t + S(3600));
	assert_int_equal(d.action, POL_RESTART);
	assert_true(d.delay_ns == S(10));
	assert_false(st.escalated);
}

static void test_policy_window_forgets(void **state)
{
	struct policy_config rst = pcfg(REM_RESTART);
	struct policy_state st;
	struct policy_decision d;

	(void)state;
	rst.restart_max = 2;
	rst.window_ns = S(100);
	policy_init(&st);
	d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_EXITED, true, S(0));
	policy_restart_done(&st, &rst, true, false, d.at_ns);                 /* at 10 */
	d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_EXITED, true, S(50));
	assert_true(d.delay_ns == S(20));
	policy_restart_done(&st, &rst, true, false, d.at_ns);                 /* at 70 */
	/* at 115 the restart at 10 left the window: one in it, budget left */
	d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_EXITED, true, S(115));
	assert_int_equal(d.action, POL_RESTART);
	assert_true(d.delay_ns == S(20));
	assert_int_equal(policy_restarts_in_window(&st, &rst, S(115)), 1);
}

static void test_policy_failed_restart(void **state)
{
	struct policy_config rst = pcfg(REM_RESTART);
	struct policy_state st;
	struct policy_decision d;

	(void)state;
	rst.delay_ns = S(1);
	policy_init(&st);
	d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_NOT_RUNNING, true, S(0));
	/* did not come up: try again with backoff, without a new diagnosis */
	d = policy_restart_done(&st, &rst, false, false, S(2));
	assert_int_equal(d.action, POL_RESTART);
	assert_true(d.delay_ns == S(2));
	assert_true(st.pending);
	d = policy_restart_done(&st, &rst, false, false, S(5));
	assert_int_equal(d.action, POL_RESTART);
	assert_true(d.delay_ns == S(4));
	d = policy_restart_done(&st, &rst, false, false, S(10));
	assert_int_equal(d.action, POL_ESCALATE);
	/* a refusal (unsafe binary, EPERM) escalates at once */
	policy_init(&st);
	policy_on_diagnosis(&st, &rst, CAUSE_AGENT_KILLED, true, S(0));
	d = policy_restart_done(&st, &rst, false, true, S(2));
	assert_int_equal(d.action, POL_ESCALATE);
	assert_int_equal(policy_on_diagnosis(&st, &rst, CAUSE_AGENT_KILLED, true, S(3)).action, POL_ADVISE);
}

static void test_policy_flapping_backoff_capped(void **state)
{
	struct policy_config rst = pcfg(REM_RESTART);
	struct policy_state st;
	struct policy_decision d;

	(void)state;
	rst.restart_max = 20;
	rst.window_ns = S(100);
	rst.delay_ns = S(30);
	policy_init(&st);
	for (int i = 0; i < 4; i++) {
		d = policy_on_diagnosis(&st, &rst, CAUSE_AGENT_FLAPPING, true, S(i));
		assert_int_equal(d.action, POL_RESTART);
		assert_true(d.delay_ns <= rst.window_ns); /* never beyond the window */
		policy_restart_done(&st, &rst, true, false, S(i));
	}
	assert_true(d.delay_ns == S(100));
}

/* ---- path safety ---- */

static void expect_refused(const char *path, const char *allowed, const char *why_part)
{
	char why[1024] = "", res[PATH_MAX];

	if (safepath_check_exec(path, allowed, res, sizeof(res), why, sizeof(why)) == 0)
		fail_msg("%s accepted", path);
	if (!strstr(why, why_part))
		fail_msg("%s: reason '%s' does not say '%s'", path, why, why_part);
}

static void test_safepath(void **state)
{
	char p[PATH_MAX], link[PATH_MAX], why[1024], res[PATH_MAX], inside[PATH_MAX];

	(void)state;
	mkpath("root", 0755);
	mkpath("root/bin", 0755);
	write_file("root/bin/ok", "#!/bin/sh\n", 0755);
	snprintf(p, sizeof(p), "%s/root/bin/ok", tmpdir);
	snprintf(inside, sizeof(inside), "%s/root", tmpdir);
	assert_int_equal(safepath_check_exec(p, inside, res, sizeof(res), why, sizeof(why)), 0);
	assert_string_equal(res, p);

	write_file("root/bin/ww", "x", 0757);
	snprintf(p, sizeof(p), "%s/root/bin/ww", tmpdir);
	expect_refused(p, inside, "world-writable");
	write_file("root/bin/gw", "x", 0775);
	snprintf(p, sizeof(p), "%s/root/bin/gw", tmpdir);
	expect_refused(p, inside, "group-writable");
	write_file("root/bin/nobody", "x", 0755);
	snprintf(p, sizeof(p), "%s/root/bin/nobody", tmpdir);
	assert_int_equal(chown(p, NOBODY, NOBODY), 0);
	expect_refused(p, inside, "owned by uid 65534, not root");
	write_file("root/bin/noexec", "x", 0644);
	snprintf(p, sizeof(p), "%s/root/bin/noexec", tmpdir);
	expect_refused(p, inside, "not executable");
	mkpath("root/bin/dir", 0755);
	snprintf(p, sizeof(p), "%s/root/bin/dir", tmpdir);
	expect_refused(p, inside, "not a regular file");
	snprintf(p, sizeof(p), "%s/root/bin/fifo", tmpdir);
	assert_int_equal(mkfifo(p, 0755), 0);
	expect_refused(p, inside, "not a regular file");
	snprintf(p, sizeof(p), "%s/root/bin/missing", tmpdir);
	expect_refused(p, inside, "No such file");
	expect_refused("relative/path", NULL, "not an absolute path");

	/* a symlink that stays inside is fine; one that leaves is refused */
	write_file("outside", "#!/bin/sh\n", 0755);
	snprintf(link, sizeof(link), "%s/root/bin/in", tmpdir);
	assert_int_equal(symlink("ok", link), 0);
	assert_int_equal(safepath_check_exec(link, inside, res, sizeof(res), why, sizeof(why)), 0);
	snprintf(link, sizeof(link), "%s/root/bin/out", tmpdir);
	snprintf(p, sizeof(p), "%s/outside", tmpdir);
	assert_int_equal(symlink(p, link), 0);
	expect_refused(link, inside, "outside");
	/* without a containing directory the same link is a plain safe file */
	assert_int_equal(safepath_check_exec(link, NULL, res, sizeof(res), why, sizeof(why)), 0);

	/* a directory others can write to lets them swap the file */
	mkpath("open", 0777);
	write_file("open/x", "#!/bin/sh\n", 0755);
	snprintf(p, sizeof(p), "%s/open/x", tmpdir);
	expect_refused(p, NULL, "writable by group or others");
	/* ... unless it is sticky, like /tmp */
	assert_int_equal(chmod(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/open", tmpdir);
	assert_int_equal(chmod(p, 01777), 0);
	snprintf(p, sizeof(p), "%s/open/x", tmpdir);
	assert_int_equal(safepath_check_exec(p, NULL, res, sizeof(res), why, sizeof(why)), 0);
	mkpath("owned", 0755);
	write_file("owned/x", "#!/bin/sh\n", 0755);
	snprintf(p, sizeof(p), "%s/owned", tmpdir);
	assert_int_equal(chown(p, NOBODY, NOBODY), 0);
	snprintf(p, sizeof(p), "%s/owned/x", tmpdir);
	expect_refused(p, NULL, "owned by uid 65534");
}

/* ---- the hook ---- */

static void test_hook_env_and_stdin(void **state)
{
	char hook[PATH_MAX], why[1024], out[PATH_MAX], text[4096];
	struct hook_env env = { "agent_killed", "critical", 4242, "AliYunDun", "AliYunDun (pid 4242) killed\nby SIGKILL" };
	struct hook_run h;
	FILE *f;
	size_t n;
	int st;

	(void)state;
	mkpath("hooks", 0755);
	snprintf(out, sizeof(out), "%s/hooks/seen", tmpdir);
	snprintf(text, sizeof(text),
		 "#!/bin/sh\nenv | sort > %s.env\ncat > %s.stdin\necho line one\necho line two >&2\nexit 3\n", out, out);
	write_file("hooks/h", text, 0755);
	snprintf(hook, sizeof(hook), "%s/hooks/h", tmpdir);
	assert_int_equal(hook_start(hook, "{\"kind\":\"diagnosis\",\"cause\":\"agent_killed\"}", &env, &h, why,
				    sizeof(why)), 0);
	assert_true(h.pid > 0);
	st = hook_wait(&h, 5000);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
	assert_false(h.killed);
	assert_string_equal(h.out, "line one\nline two");

	snprintf(text, sizeof(text), "%s.stdin", out);
	f = fopen(text, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_string_equal(text, "{\"kind\":\"diagnosis\",\"cause\":\"agent_killed\"}\n");

	snprintf(text, sizeof(text), "%s.env", out);
	f = fopen(text, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_non_null(strstr(text, "AEGISMON_CAUSE=agent_killed\n"));
	assert_non_null(strstr(text, "AEGISMON_SEVERITY=critical\n"));
	assert_non_null(strstr(text, "AEGISMON_PID=4242\n"));
	assert_non_null(strstr(text, "AEGISMON_COMM=AliYunDun\n"));
	/* one line per variable: the newline of the summary is shown as \x0a */
	assert_non_null(strstr(text, "AEGISMON_SUMMARY=AliYunDun (pid 4242) killed\\x0aby SIGKILL\n"));
	assert_non_null(strstr(text, "PATH=/usr/local/sbin:"));
	/* nothing else leaks from our environment (sh adds PWD, SHLVL, _) */
	assert_null(strstr(text, "HOME="));
	assert_null(strstr(text, "USER="));
}

/* Untrusted bytes in the environment: UTF-8 only, controls and bidi shown
 * as escapes, bytes that are not UTF-8 as U+FFFD, no raw 8-bit CSI. */
static void test_hook_env_untrusted_bytes(void **state)
{
	char hook[PATH_MAX], why[1024], out[PATH_MAX], text[4096];
	struct hook_env env = { "agent_impostor", "warning", 4242, "Ali\xe2\x80\xae\x9b" "Dun",
				"AliYunDun (pid 4242) runs /tmp/\xe9vil\xe2\x80\xae\x9b\x1b[2J/AliYunDun" };
	struct hook_run h;
	FILE *f;
	size_t n;

	(void)state;
	mkpath("hooks", 0755);
	snprintf(out, sizeof(out), "%s/hooks/seen", tmpdir);
	snprintf(text, sizeof(text), "#!/bin/sh\nenv > %s.env\n", out);
	write_file("hooks/h", text, 0755);
	snprintf(hook, sizeof(hook), "%s/hooks/h", tmpdir);
	assert_int_equal(hook_start(hook, "{}", &env, &h, why, sizeof(why)), 0);
	assert_int_equal(hook_wait(&h, 5000), 0);
	snprintf(text, sizeof(text), "%s.env", out);
	f = fopen(text, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	if (!well_formed_utf8(text, n))
		fail_msg("the environment is not UTF-8: %s", text);
	assert_null(memchr(text, 0x9b, n));
	assert_null(memchr(text, 0x1b, n));
	assert_null(strstr(text, "\xe2\x80\xae"));
	assert_non_null(strstr(text, "AEGISMON_COMM=Ali\\u202e\xef\xbf\xbd" "Dun\n"));
	assert_non_null(strstr(text, "AEGISMON_SUMMARY=AliYunDun (pid 4242) runs "
				     "/tmp/\xef\xbf\xbdvil\\u202e\xef\xbf\xbd\\x1b[2J/AliYunDun\n"));
}

static void test_hook_timeout_and_output_bound(void **state)
{
	char hook[PATH_MAX], why[1024];
	struct hook_env env = { "agent_exited", "warning", 1, "AliYunDun", "s" };
	struct hook_run h;
	int st;

	(void)state;
	mkpath("hooks", 0755);
	write_file("hooks/slow", "#!/bin/sh\ni=0\nwhile [ $i -lt 50 ]; do echo line $i; i=$((i+1)); done\nexec sleep 30\n",
		   0755);
	snprintf(hook, sizeof(hook), "%s/hooks/slow", tmpdir);
	assert_int_equal(hook_start(hook, "{}", &env, &h, why, sizeof(why)), 0);
	st = hook_wait(&h, 300);
	assert_true(h.killed);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_int_equal(h.lines, HOOK_OUT_LINES);
	assert_true(h.truncated);
	assert_non_null(strstr(h.out, "line 9"));
	assert_null(strstr(h.out, "line 10"));
}

static void test_hook_refused(void **state)
{
	char hook[PATH_MAX], link[PATH_MAX], why[1024];
	struct hook_env env = { "agent_exited", "warning", 1, "AliYunDun", "s" };
	struct hook_run h;

	(void)state;
	mkpath("hooks", 0755);
	write_file("hooks/ww", "#!/bin/sh\nexit 0\n", 0777);
	snprintf(hook, sizeof(hook), "%s/hooks/ww", tmpdir);
	assert_int_equal(hook_start(hook, "{}", &env, &h, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "world-writable"));
	write_file("elsewhere", "#!/bin/sh\nexit 0\n", 0755);
	snprintf(link, sizeof(link), "%s/hooks/link", tmpdir);
	snprintf(hook, sizeof(hook), "%s/elsewhere", tmpdir);
	assert_int_equal(symlink(hook, link), 0);
	assert_int_equal(hook_start(link, "{}", &env, &h, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "outside"));
	/* a file that cannot be executed (no interpreter) is an exec error */
	write_file("hooks/badinterp", "#!/nonexistent/interp\n", 0755);
	snprintf(hook, sizeof(hook), "%s/hooks/badinterp", tmpdir);
	assert_int_equal(hook_start(hook, "{}", &env, &h, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot execute"));
	assert_int_equal(h.pid, 0);
}

/* ---- the service method, under a test sysroot ---- */

static void test_pick_method(void **state)
{
	char prog[PATH_MAX], want[PATH_MAX];

	(void)state;
	assert_int_equal(remedy_pick_method(tmpdir, prog, sizeof(prog)), METHOD_DIRECT);
	mkpath("etc", 0755);
	mkpath("etc/init.d", 0755);
	write_file("etc/init.d/aegis", "#!/bin/sh\n", 0700);
	assert_int_equal(remedy_pick_method(tmpdir, prog, sizeof(prog)), METHOD_SYSV);
	snprintf(want, sizeof(want), "%s/etc/init.d/aegis", tmpdir);
	assert_string_equal(prog, want);
	/* a unit file without systemd running is not systemd */
	mkpath("etc/systemd", 0755);
	mkpath("etc/systemd/system", 0755);
	write_file("etc/systemd/system/aegis.service", "[Service]\n", 0644);
	assert_int_equal(remedy_pick_method(tmpdir, prog, sizeof(prog)), METHOD_SYSV);
	mkpath("run", 0755);
	mkpath("run/systemd", 0755);
	mkpath("run/systemd/system", 0755);
	assert_int_equal(remedy_pick_method(tmpdir, prog, sizeof(prog)), METHOD_SYSTEMD);
	snprintf(want, sizeof(want), "%s/usr/bin/systemctl", tmpdir);
	assert_string_equal(prog, want);
	assert_string_equal(remedy_method_name(METHOD_SYSTEMD), "systemd");
	assert_string_equal(remedy_method_name(METHOD_NONE), "none");
	/* a result cleared and refused before the choice names no method */
	{
		struct remedy_result r;

		memset(&r, 0, sizeof(r));
		assert_int_equal(r.method, METHOD_NONE);
	}
}

/* ---- the action line ---- */

static void test_action_formats(void **state)
{
	struct clockmap cm = { 0 };
	struct action a = action_init(S(5), "restart", "scheduled");
	char buf[8192], line[16384];
	struct jw w;
	size_t n;

	(void)state;
	a.cause = CAUSE_AGENT_KILLED;
	a.process = "AliYunDun";
	a.pid = 42;
	a.delay_ms = 10000;
	a.detail = "restart in 10.0 s";
	json_set_host("host-1");
	json_action(&w, buf, sizeof(buf), &cm, &a);
	assert_false(w.overflow);
	assert_string_equal(jw_result(&w),
			    "{\"kind\":\"action\",\"schema\":1,\"host\":\"host-1\",\"ts\":\"1970-01-01T00:00:05.000Z\",\"action\":\"restart\","
			    "\"outcome\":\"scheduled\",\"cause\":\"agent_killed\",\"process\":\"AliYunDun\","
			    "\"pid\":42,\"delay_ms\":10000,\"detail\":\"restart in 10.0 s\"}");
	n = syslog_format_action(line, sizeof(line), 3, "host", "aegismon", 7, 0, &cm, &a);
	assert_true(n > 0);
	assert_non_null(strstr(line, "<29>1 1970-01-01T00:00:05.000Z host aegismon 7 action [aegismon@32473 "
				     "action=\"restart\" outcome=\"scheduled\" cause=\"agent_killed\" process=\"AliYunDun\" pid=\"42\"] {\"kind\":\"action\""));
	a = action_init(S(5), "escalate", "failed");
	n = syslog_format_action(line, sizeof(line), 3, "host", "aegismon", 7, 2, &cm, &a);
	assert_non_null(strstr(line, "<26>1 "));
	assert_non_null(strstr(line, "dropped=\"2\""));
	assert_string_equal(cause_code(CAUSE_REMEDIATION_FAILED), "remediation_failed");
	assert_int_equal(cause_severity(CAUSE_REMEDIATION_FAILED), SEV_CRITICAL);
	assert_true(strlen(cause_advice(CAUSE_REMEDIATION_FAILED)) > 20);
}

#define TMP(fn) cmocka_unit_test_setup_teardown(fn, tmp_setup, tmp_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick_version),
		TMP(test_scan_many_versions),
		cmocka_unit_test(test_policy_defaults),
		cmocka_unit_test(test_policy_restartable_causes),
		cmocka_unit_test(test_policy_modes),
		cmocka_unit_test(test_policy_coalesces_while_pending),
		cmocka_unit_test(test_policy_backoff_and_budget),
		cmocka_unit_test(test_policy_window_forgets),
		cmocka_unit_test(test_policy_failed_restart),
		cmocka_unit_test(test_policy_flapping_backoff_capped),
		TMP(test_safepath),
		TMP(test_hook_env_and_stdin),
		TMP(test_hook_env_untrusted_bytes),
		TMP(test_hook_timeout_and_output_bound),
		TMP(test_hook_refused),
		TMP(test_pick_method),
		TMP(test_action_formats),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
