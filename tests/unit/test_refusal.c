// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What refused a connect: the mechanism chosen from what the host showed
 * (refusal_choose), the words of the summary (refusal_describe), the LSM
 * labels that confine, and the enricher's summary with them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "enrich.h"
#include "refusal.h"

static void facts(struct refusal_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->seccomp = 0;
	f->seccomp_filters = 0;
	snprintf(f->lsms, sizeof(f->lsms), "lockdown,capability,landlock,yama,bpf");
}

static void add_prog(struct refusal_facts *f, uint32_t id, const char *name, const char *cg)
{
	f->progs[f->nprogs].id = id;
	snprintf(f->progs[f->nprogs].name, sizeof(f->progs[0].name), "%s", name);
	snprintf(f->progs[f->nprogs].cgroup, sizeof(f->progs[0].cgroup), "%s", cg);
	f->nprogs++;
}

static const char *said(const struct diag_policy *p)
{
	static char buf[512];

	refusal_describe(p, buf, sizeof(buf));
	return buf;
}

/* A refusal the cgroup hook reported: a foreign connect program, named. */
static void test_cgroup_program(void **state)
{
	struct refusal_facts f;
	struct diag_policy p;

	(void)state;
	facts(&f);
	add_prog(&f, 123, "deny_connect", "/sys/fs/cgroup/x");
	f.seccomp = 2;  /* filters too: but the connect got past seccomp */
	f.seccomp_filters = 1;
	refusal_choose(&f, false, &p);
	assert_int_equal(p.mechanism, POLICY_CGROUP_BPF);
	assert_int_equal(p.prog_id, 123);
	assert_string_equal(p.prog_name, "deny_connect");
	assert_string_equal(p.cgroup, "/sys/fs/cgroup/x");
	assert_string_equal(refusal_mechanism_name(p.mechanism), "cgroup_bpf");
	assert_string_equal(said(&p), "; cgroup BPF program 123 'deny_connect' on /sys/fs/cgroup/x refuses it");
	/* the attaching cgroup not found (detached meanwhile): no "on" */
	f.progs[0].cgroup[0] = '\0';
	refusal_choose(&f, false, &p);
	assert_string_equal(said(&p), "; cgroup BPF program 123 'deny_connect' refuses it");
}

/* Refused before the probes saw it: seccomp first (it runs at syscall entry). */
static void test_seccomp_before_hook(void **state)
{
	struct refusal_facts f;
	struct diag_policy p;

	(void)state;
	facts(&f);
	f.seccomp = 2;
	f.seccomp_filters = 1;
	add_prog(&f, 9, "other", "/sys/fs/cgroup");
	refusal_choose(&f, true, &p);
	assert_int_equal(p.mechanism, POLICY_SECCOMP);
	assert_int_equal(p.seccomp_filters, 1);
	assert_string_equal(refusal_mechanism_name(p.mechanism), "seccomp");
	assert_string_equal(said(&p), "; a seccomp filter (1) confines the process");
	/* a kernel that does not count them */
	f.seccomp_filters = -1;
	refusal_choose(&f, true, &p);
	assert_string_equal(said(&p), "; a seccomp filter confines the process");
	/* strict mode (1) is not a filter that returns EPERM */
	f.seccomp = 1;
	f.nprogs = 0;
	refusal_choose(&f, true, &p);
	assert_int_equal(p.mechanism, POLICY_UNKNOWN);
}

/* A connect that reached the probes was not refused by seccomp, whatever the status says. */
static void test_seccomp_not_after_hook(void **state)
{
	struct refusal_facts f;
	struct diag_policy p;

	(void)state;
	facts(&f);
	f.seccomp = 2;
	f.seccomp_filters = 2;
	refusal_choose(&f, false, &p);
	assert_int_equal(p.mechanism, POLICY_UNKNOWN);
	/* filters, but past them: not named, and not denied either */
	assert_string_equal(said(&p), "; what refused it was not seen: no cgroup BPF connect program "
				      "but aegismon's, no seccomp filter that could have, no confining "
				      "LSM label (LSMs: lockdown,capability,landlock,yama,bpf)");
}

static void test_lsm_label(void **state)
{
	struct refusal_facts f;
	struct diag_policy p;

	(void)state;
	assert_false(refusal_label_confines("apparmor", "unconfined"));
	assert_true(refusal_label_confines("apparmor", "/usr/sbin/AliYunDun (enforce)"));
	assert_false(refusal_label_confines("apparmor", "/usr/sbin/AliYunDun (complain)"));
	assert_false(refusal_label_confines("apparmor", "x (unconfined)"));
	assert_false(refusal_label_confines("apparmor", ""));
	assert_false(refusal_label_confines("selinux", "unconfined_u:unconfined_r:unconfined_t:s0"));
	assert_true(refusal_label_confines("selinux", "system_u:system_r:httpd_t:s0"));

	facts(&f);
	snprintf(f.lsm, sizeof(f.lsm), "apparmor");
	snprintf(f.label, sizeof(f.label), "aegis-deny (enforce)");
	refusal_choose(&f, true, &p);
	assert_int_equal(p.mechanism, POLICY_LSM);
	assert_string_equal(refusal_mechanism_name(p.mechanism), "lsm");
	assert_string_equal(said(&p), "; the apparmor LSM confines the process (label aegis-deny (enforce))");
	/* unconfined: nothing to name */
	snprintf(f.label, sizeof(f.label), "unconfined");
	refusal_choose(&f, true, &p);
	assert_int_equal(p.mechanism, POLICY_UNKNOWN);
}

/* Gone before it was looked at: said so, no mechanism made up. */
static void test_gone(void **state)
{
	struct refusal_facts f;
	struct diag_policy p;

	(void)state;
	facts(&f);
	f.gone = true;
	f.seccomp = f.seccomp_filters = -1;
	refusal_choose(&f, true, &p);
	assert_int_equal(p.mechanism, POLICY_UNKNOWN);
	assert_true(p.gone);
	assert_string_equal(said(&p), "; the process exited before it could be inspected");
	/* not looked at (a replay): nothing said */
	memset(&p, 0, sizeof(p));
	assert_string_equal(said(&p), "");
}

/* The summary gets the words at its end, cut as the summary is. */
static void test_apply_to_summary(void **state)
{
	struct diagnosis d;
	struct diag_policy p;

	(void)state;
	memset(&d, 0, sizeof(d));
	memset(&p, 0, sizeof(p));
	d.cause = CAUSE_CONNECT_BLOCKED_POLICY;
	snprintf(d.summary, sizeof(d.summary), "AliYunDun (pid 7) -> 100.100.77.2:80/tcp: connect() "
					       "failed with EPERM; netfilter dropped nothing");
	p.mechanism = POLICY_SECCOMP;
	p.seccomp_filters = 1;
	enrich_apply_policy(&d, &p);
	assert_string_equal(d.summary, "AliYunDun (pid 7) -> 100.100.77.2:80/tcp: connect() failed with "
				       "EPERM; netfilter dropped nothing; a seccomp filter (1) confines the process");
	assert_int_equal(d.policy.mechanism, POLICY_SECCOMP);
	/* a full summary stays a string */
	memset(d.summary, 'a', sizeof(d.summary) - 1);
	d.summary[sizeof(d.summary) - 1] = '\0';
	enrich_apply_policy(&d, &p);
	assert_int_equal(strlen(d.summary), sizeof(d.summary) - 1);
}

/* On ourselves: alive, not under seccomp; aegismon's programs are not ours here. */
static void test_gather_self(void **state)
{
	struct refusal_facts f;

	(void)state;
	assert_int_equal(refusal_gather((uint32_t)getpid(), (uint32_t)getpid(), &f), 0);
	assert_false(f.gone);
	assert_true(f.seccomp == 0 || f.seccomp == 2);
	assert_int_equal(refusal_gather(0x3ffffff0u, 0, &f), 0);
	assert_true(f.gone);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_program),
		cmocka_unit_test(test_seccomp_before_hook),
		cmocka_unit_test(test_seccomp_not_after_hook),
		cmocka_unit_test(test_lsm_label),
		cmocka_unit_test(test_gone),
		cmocka_unit_test(test_apply_to_summary),
		cmocka_unit_test(test_gather_self),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
