// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Correlator unit tests: synthetic event sequences in, diagnoses out.
 * Time is event time only, so every scenario is exact and repeatable.
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
#include "signals.h"

#define S 1000000000ULL
#define MS 1000000ULL
#define MAX_DIAGS 64

#define ROOT "/usr/local/aegis"
#define EXE_DUN ROOT "/aegis_client/aegis_12_93/AliYunDun"
#define EXE_MON ROOT "/aegis_client/aegis_12_93/AliYunDunMonitor"
#define EXE_UPD ROOT "/aegis_update/AliYunDunUpdate"

#define CORE_BIT(c) (1u << (c))
#define ALL_CORES (CORE_BIT(CORE_ALIYUNDUN) | CORE_BIT(CORE_MONITOR) | CORE_BIT(CORE_UPDATE))

struct fixture {
	struct agent_env env;
	struct correlator_config cfg;
	struct correlator *c;
	unsigned n;
	unsigned dropped; /* more diagnoses than MAX_DIAGS: a runaway is a failure */
	struct diagnosis d[MAX_DIAGS];
};

static void collect(const struct diagnosis *d, void *ctx)
{
	struct fixture *f = ctx;

	if (f->n < MAX_DIAGS)
		f->d[f->n++] = *d;
	else
		f->dropped++;
}

/* The install is built by hand: these tests must not depend on the host. */
static void env_installed(struct agent_env *env, unsigned mask)
{
	memset(env, 0, sizeof(*env));
	env->nroots = 1;
	snprintf(env->roots[0], sizeof(env->roots[0]), "%s", ROOT);
	env->install.found = true;
	snprintf(env->install.root, sizeof(env->install.root), "%s", ROOT);
	snprintf(env->install.client_dir, sizeof(env->install.client_dir),
		 "%s/aegis_client/aegis_12_93", ROOT);
	env->install.major = 12;
	env->install.minor = 93;
	env->install.present_mask = mask;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	env_installed(&f->env, ALL_CORES);
	correlator_config_defaults(&f->cfg);
	f->cfg.env = &f->env;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	correlator_free(f->c);
	free(f);
	return 0;
}

/* Create the correlator after a test has adjusted env/cfg. */
static struct correlator *start(struct fixture *f)
{
	f->c = correlator_new(&f->cfg, collect, f);
	assert_non_null(f->c);
	return f->c;
}

/* ---- event builders ---- */

static struct ev mk(unsigned type, size_t size, uint64_t ts, uint32_t tgid, const char *comm)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = (__u16)type;
	e.hdr.size = (__u16)size;
	e.hdr.ts_ns = ts;
	e.hdr.pid = e.hdr.tgid = tgid;
	e.hdr.ppid = 1;
	if (comm)
		snprintf(e.hdr.comm, sizeof(e.hdr.comm), "%s", comm);
	return e;
}

static void feed(struct fixture *f, const struct ev *e)
{
	correlator_feed(f->c, e);
}

/* What ingestion (agent_judge, from the kernel's inode and uid) decides,
 * stood in for by where the test says the executable is: inside ROOT is an
 * installed file, elsewhere not; "" a recording without the verdict. */
static void judge(struct ev *e, const char *exe)
{
	snprintf(e->exe, sizeof(e->exe), "%s", exe);
	if (!agent_is_comm(e->hdr.comm))
		e->ident = IDENT_OTHER;
	else if (!exe[0])
		e->ident = IDENT_UNVERIFIED;
	else if (path_inside(exe, ROOT))
		e->ident = IDENT_AGENT;
	else {
		e->ident = IDENT_IMPOSTOR;
		e->ident_why = WHY_NOT_INSTALLED;
	}
}

static void seed(struct fixture *f, uint64_t ts, uint32_t tgid, const char *comm, const char *exe)
{
	struct ev e = mk(AEGIS_EV_SEED, sizeof(e.seed), ts, tgid, comm);

	judge(&e, exe);
	e.seed.start_ns = ts > S ? ts - S : 1;
	feed(f, &e);
}

static void seed_done(struct fixture *f, uint64_t ts)
{
	struct ev e = mk(AEGIS_EV_SEED_DONE, sizeof(e.hdr), ts, 0, NULL);

	feed(f, &e);
}

static void exec_(struct fixture *f, uint64_t ts, uint32_t tgid, const char *comm, const char *exe)
{
	struct ev e = mk(AEGIS_EV_EXEC, sizeof(e.exec), ts, tgid, comm);

	judge(&e, exe);
	snprintf(e.exec.filename, sizeof(e.exec.filename), "%s", exe);
	snprintf(e.exec.parent_comm, sizeof(e.exec.parent_comm), "systemd");
	feed(f, &e);
}

static void fork_(struct fixture *f, uint64_t ts, uint32_t tgid, uint32_t ppid, const char *comm)
{
	struct ev e = mk(AEGIS_EV_FORK, sizeof(e.fork), ts, tgid, comm);

	e.hdr.ppid = ppid;
	snprintf(e.fork.parent_comm, sizeof(e.fork.parent_comm), "%s", comm);
	feed(f, &e);
}

static void exit_(struct fixture *f, uint64_t ts, uint32_t tgid, const char *comm, unsigned code)
{
	struct ev e = mk(AEGIS_EV_EXIT, sizeof(e.exit), ts, tgid, comm);

	e.exit.exit_code = code;
	e.exit.flags = AEGIS_EXIT_GROUP_DEAD;
	feed(f, &e);
}

struct sender {
	uint32_t tgid, uid;
	const char *comm, *exe;
	unsigned nchain;
	struct aegis_proc_ref chain[AEGIS_CHAIN_LEN];
};

static void signal_(struct fixture *f, uint64_t ts, uint32_t tgid, const char *comm, int sig,
		    int si_code, const struct sender *s)
{
	struct ev e = mk(AEGIS_EV_SIGNAL, sizeof(e.signal), ts, tgid, comm);

	e.signal.sig = sig;
	e.signal.si_code = si_code;
	e.signal.group = 1;
	e.signal.sender_pid = e.signal.sender_tgid = s->tgid;
	e.signal.sender_uid = s->uid;
	snprintf(e.signal.sender_comm, sizeof(e.signal.sender_comm), "%s", s->comm);
	if (s->exe)
		snprintf(e.sender_exe, sizeof(e.sender_exe), "%s", s->exe);
	e.signal.chain_len = s->nchain;
	memcpy(e.signal.chain, s->chain, sizeof(e.signal.chain));
	feed(f, &e);
}

static void oom(struct fixture *f, uint64_t ts, uint32_t tgid, const char *comm)
{
	struct ev e = mk(AEGIS_EV_OOM_VICTIM, sizeof(e.oom), ts, tgid, comm);

	e.oom.flags = AEGIS_OOM_TRACKED;
	feed(f, &e);
}

static void tick(struct fixture *f, uint64_t ts, uint64_t lost)
{
	struct ev e = mk(AEGIS_EV_TICK, sizeof(e.tick), ts, 0, NULL);

	e.tick.events_lost = lost;
	feed(f, &e);
}

/* ---- assertion helpers ---- */

static unsigned count_cause(const struct fixture *f, enum cause cause)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->n; i++)
		n += f->d[i].cause == cause;
	return n;
}

static const struct diagnosis *only(const struct fixture *f, enum cause cause)
{
	assert_int_equal(f->dropped, 0);
	assert_int_equal(f->n, 1);
	assert_string_equal(cause_code(f->d[0].cause), cause_code(cause));
	return &f->d[0];
}

static const struct ev *evidence_of(const struct diagnosis *d, unsigned type)
{
	for (unsigned i = 0; i < d->n_evidence; i++)
		if (d->evidence[i].hdr.type == type)
			return &d->evidence[i];
	return NULL;
}

#define assert_contains(hay, needle)                                                    \
	do {                                                                            \
		if (!strstr((hay), (needle)))                                           \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle));   \
	} while (0)
#define assert_not_contains(hay, needle)                                                \
	do {                                                                            \
		if (strstr((hay), (needle)))                                            \
			fail_msg("\"%s\" contains \"%s\"", (hay), (needle));           \
	} while (0)

static const struct sender killall = {
	.tgid = 777, .uid = 0, .comm = "killall", .exe = "/usr/bin/killall", .nchain = 2,
	.chain = { { 700, "bash" }, { 600, "sshd" } },
};

/* ---- start-up scan ---- */

static void test_seed_all_running_no_diagnosis(void **state)
{
	struct fixture *f = *state;

	f->env.install.present_mask = CORE_BIT(CORE_ALIYUNDUN) | CORE_BIT(CORE_UPDATE);
	start(f);
	seed(f, 5 * S, 100, "AliYunDun", EXE_DUN);
	seed(f, 5 * S, 101, "AliYunDunUpdate", EXE_UPD);
	seed_done(f, 5 * S);
	tick(f, 100 * S, 0);
	correlator_flush(f->c, 200 * S);
	assert_int_equal(f->n, 0);
	assert_int_equal(correlator_stats(f->c)->events, 4);
	assert_false(correlator_stats(f->c)->any);
}

static void test_seed_done_core_missing(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f); /* all three binaries present, Monitor not running */
	seed(f, 5 * S, 100, "AliYunDun", EXE_DUN);
	seed(f, 5 * S, 101, "AliYunDunUpdate", EXE_UPD);
	seed_done(f, 5 * S);
	d = only(f, CAUSE_AGENT_NOT_RUNNING);
	assert_string_equal(d->process, "AliYunDunMonitor");
	assert_int_equal(d->pid, 0);
	assert_true(d->primary);
	assert_int_equal(d->explained_by, -1);
	assert_int_equal(d->count, 1);
	assert_int_equal(d->ts_ns, 5 * S);
	assert_contains(d->summary, "AliYunDunMonitor is not running");
	assert_contains(d->summary, "aegis_12_93");
	assert_contains(d->summary, ROOT);
	assert_true(correlator_stats(f->c)->any);
	assert_int_equal(correlator_stats(f->c)->worst, SEV_CRITICAL);
}

static void test_seed_done_nothing_running(void **state)
{
	struct fixture *f = *state;

	start(f);
	seed_done(f, S);
	assert_int_equal(f->n, 3);
	assert_int_equal(count_cause(f, CAUSE_AGENT_NOT_RUNNING), 3);
	assert_string_equal(f->d[0].process, "AliYunDun");
	assert_string_equal(f->d[1].process, "AliYunDunMonitor");
	assert_string_equal(f->d[2].process, "AliYunDunUpdate");
}

static void test_not_installed(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	memset(&f->env.install, 0, sizeof(f->env.install));
	start(f);
	seed_done(f, S);
	d = only(f, CAUSE_AGENT_NOT_RUNNING);
	assert_string_equal(d->process, "agent");
	assert_contains(d->summary, "not installed");
	assert_contains(d->summary, ROOT);
	correlator_flush(f->c, 10 * S);
	assert_int_equal(f->n, 1);
}

static void test_seed_impostor_not_counted(void **state)
{
	struct fixture *f = *state;

	f->env.install.present_mask = CORE_BIT(CORE_ALIYUNDUN);
	start(f);
	seed(f, S, 100, "AliYunDun", "/tmp/evil/AliYunDun");
	seed_done(f, S);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->d[0].cause, CAUSE_AGENT_IMPOSTOR);
	assert_int_equal(f->d[0].pid, 100);
	assert_int_equal(f->d[1].cause, CAUSE_AGENT_NOT_RUNNING);
	assert_string_equal(f->d[1].process, "AliYunDun");
}

static void test_seed_unverified_counts_as_running(void **state)
{
	struct fixture *f = *state;

	f->env.install.present_mask = CORE_BIT(CORE_ALIYUNDUN);
	start(f);
	seed(f, S, 100, "AliYunDun", ""); /* exe unreadable: still the agent */
	seed_done(f, S);
	assert_int_equal(f->n, 0);
}

/* ---- how a process died ---- */

static void test_killed_by_other_process(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;
	const struct ev *sig, *ex;

	start(f);
	exec_(f, 1 * S, 4242, "AliYunDun", EXE_DUN);
	signal_(f, 10 * S, 4242, "AliYunDun", 9, AEGIS_SI_USER, &killall);
	assert_int_equal(f->n, 0); /* a signal alone diagnoses nothing */
	exit_(f, 10 * S + MS, 4242, "AliYunDun", 9);
	d = only(f, CAUSE_AGENT_KILLED);
	assert_contains(d->summary,
			"AliYunDun (pid 4242) killed by SIGKILL from pid 777 (killall, uid 0)");
	assert_contains(d->summary, "<- bash (700) <- sshd (600)");
	assert_int_equal(d->pid, 4242);
	assert_string_equal(d->process, "AliYunDun");
	assert_string_equal(d->comm, "AliYunDun");
	assert_string_equal(d->exe, EXE_DUN);
	assert_int_equal(d->signal, 9);
	assert_false(d->core_dumped);
	assert_int_equal(d->exit_status, -1);
	assert_int_equal(d->uptime_ns, 9 * S + MS);
	assert_int_equal(d->ts_ns, 10 * S + MS);
	assert_int_equal(d->count, 1);
	assert_true(d->primary);
	assert_int_equal(d->n_evidence, 2);
	sig = evidence_of(d, AEGIS_EV_SIGNAL);
	assert_non_null(sig);
	assert_int_equal(sig->signal.sender_tgid, 777);
	assert_int_equal(sig->signal.sig, 9);
	assert_string_equal(sig->signal.sender_comm, "killall");
	assert_string_equal(sig->sender_exe, "/usr/bin/killall");
	assert_int_equal(sig->signal.chain_len, 2);
	assert_int_equal(sig->signal.chain[1].pid, 600);
	ex = evidence_of(d, AEGIS_EV_EXIT);
	assert_non_null(ex);
	assert_int_equal(ex->exit.exit_code, 9);
}

/* A kill by a known security product: the product is the primary cause. */
static void test_killed_by_third_party_product(void **state)
{
	static const struct sender safedog = { 4000, 0, "safedog", "/usr/local/safedog/safedog", 0, { { 0 } } };
	struct fixture *f = *state;
	const struct diagnosis *kill = NULL, *tp = NULL;

	start(f);
	exec_(f, 1 * S, 4242, "AliYunDun", EXE_DUN);
	signal_(f, 10 * S, 4242, "AliYunDun", 9, AEGIS_SI_USER, &safedog);
	exit_(f, 10 * S + MS, 4242, "AliYunDun", 9);
	for (size_t i = 0; i < f->n; i++) {
		if (f->d[i].cause == CAUSE_AGENT_KILLED)
			kill = &f->d[i];
		if (f->d[i].cause == CAUSE_THIRD_PARTY_SECURITY)
			tp = &f->d[i];
	}
	assert_non_null(kill);
	assert_non_null(tp);
	assert_false(kill->primary);
	assert_int_equal(kill->explained_by, CAUSE_THIRD_PARTY_SECURITY);
	assert_true(tp->primary);
	assert_contains(tp->summary, "SafeDog");
	assert_contains(tp->summary, "killed AliYunDun (pid 4242) with SIGKILL: its process pid 4000 (safedog, uid 0)");
	assert_non_null(evidence_of(tp, AEGIS_EV_SIGNAL));
	/* killall is not a product: no third_party_security */
	exec_(f, 20 * S, 4343, "AliYunDun", EXE_DUN);
	signal_(f, 21 * S, 4343, "AliYunDun", 9, AEGIS_SI_USER, &killall);
	exit_(f, 21 * S + MS, 4343, "AliYunDun", 9);
	assert_int_equal(f->d[f->n - 1].cause, CAUSE_AGENT_KILLED);
	assert_true(f->d[f->n - 1].primary);
}

static void test_killed_sender_not_seen(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	exit_(f, 2 * S, 4242, "AliYunDun", 9);
	d = only(f, CAUSE_AGENT_KILLED);
	assert_contains(d->summary, "killed by SIGKILL; the sender was not seen");
	assert_not_contains(d->summary, "events were lost");
	assert_int_equal(d->n_evidence, 1);
	assert_null(evidence_of(d, AEGIS_EV_SIGNAL));
}

static void test_newest_signal_unless_sigkill(void **state)
{
	struct fixture *f = *state;
	const struct sender other = { .tgid = 888, .comm = "cleanup" };
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	/* a SIGTERM after the SIGKILL must not take the blame */
	signal_(f, 2 * S, 4242, "AliYunDun", 9, AEGIS_SI_USER, &killall);
	signal_(f, 2 * S + 1, 4242, "AliYunDun", 15, AEGIS_SI_USER, &other);
	exit_(f, 2 * S + 2, 4242, "AliYunDun", 9);
	d = only(f, CAUSE_AGENT_KILLED);
	assert_contains(d->summary, "from pid 777 (killall");
	assert_not_contains(d->summary, "888");
}

static void test_sigterm_from_other(void **state)
{
	struct fixture *f = *state;
	const struct sender other = { .tgid = 31, .uid = 1000, .comm = "systemctl" };
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 50, "AliYunDunUpdate", EXE_UPD);
	signal_(f, 2 * S, 50, "AliYunDunUpdate", 15, AEGIS_SI_USER, &other);
	exit_(f, 2 * S + 1, 50, "AliYunDunUpdate", 15);
	d = only(f, CAUSE_AGENT_KILLED);
	assert_contains(d->summary,
			"AliYunDunUpdate (pid 50) killed by SIGTERM from pid 31 (systemctl, uid 1000)");
	assert_string_equal(d->process, "AliYunDunUpdate");
	assert_int_equal(d->signal, 15);
}

static void test_segv_from_kernel_is_crash(void **state)
{
	struct fixture *f = *state;
	const struct sender self = { .tgid = 4242, .comm = "AliYunDun" };
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	signal_(f, 3 * S, 4242, "AliYunDun", 11, 1 /* SEGV_MAPERR */, &self);
	exit_(f, 3 * S + 1, 4242, "AliYunDun", 0x80 | 11);
	d = only(f, CAUSE_AGENT_CRASHED);
	assert_contains(d->summary, "AliYunDun (pid 4242) crashed with SIGSEGV (core dumped)");
	assert_int_equal(d->signal, 11);
	assert_true(d->core_dumped);
	assert_non_null(evidence_of(d, AEGIS_EV_SIGNAL));
}

static void test_segv_without_signal_event_is_crash(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	exit_(f, 2 * S, 4242, "AliYunDun", 11);
	d = only(f, CAUSE_AGENT_CRASHED);
	assert_contains(d->summary, "crashed with SIGSEGV");
	assert_not_contains(d->summary, "core dumped");
	assert_false(d->core_dumped);
}

static void test_segv_sent_by_other_is_kill(void **state)
{
	struct fixture *f = *state;
	const struct sender other = { .tgid = 555, .uid = 0, .comm = "kill" };
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	signal_(f, 2 * S, 4242, "AliYunDun", 11, AEGIS_SI_USER, &other);
	exit_(f, 2 * S + 1, 4242, "AliYunDun", 0x80 | 11);
	d = only(f, CAUSE_AGENT_KILLED);
	assert_contains(d->summary, "killed by SIGSEGV from pid 555 (kill, uid 0)");
	assert_true(d->core_dumped);
}

static void test_abort_is_crash(void **state)
{
	struct fixture *f = *state;
	const struct sender self = { .tgid = 4242, .comm = "AliYunDun" };
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	/* abort() is tgkill to itself: a user si_code, but from the process itself */
	signal_(f, 2 * S, 4242, "AliYunDun", 6, AEGIS_SI_TKILL, &self);
	exit_(f, 2 * S + 1, 4242, "AliYunDun", 0x80 | 6);
	d = only(f, CAUSE_AGENT_CRASHED);
	assert_contains(d->summary, "crashed with SIGABRT");
	assert_int_equal(d->signal, 6);
}

/* ---- OOM ---- */

static void check_oom(const struct diagnosis *d, uint32_t sender)
{
	const struct ev *o, *s;
	char want[64];

	assert_contains(d->summary, "AliYunDun (pid 4242) killed by the OOM killer");
	snprintf(want, sizeof(want), "in the context of pid %u", sender);
	assert_contains(d->summary, want);
	assert_int_equal(d->signal, 9);
	o = evidence_of(d, AEGIS_EV_OOM_VICTIM);
	assert_non_null(o);
	assert_int_equal(o->hdr.tgid, 4242);
	s = evidence_of(d, AEGIS_EV_SIGNAL);
	assert_non_null(s);
	assert_int_equal(s->signal.si_code, AEGIS_SI_KERNEL);
	assert_non_null(evidence_of(d, AEGIS_EV_EXIT));
}

static void test_oom_victim_self_context(void **state)
{
	struct fixture *f = *state;
	const struct sender self = { .tgid = 4242, .comm = "AliYunDun" };

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	oom(f, 5 * S, 4242, "AliYunDun");
	signal_(f, 5 * S + 1, 4242, "AliYunDun", 9, AEGIS_SI_KERNEL, &self);
	exit_(f, 5 * S + 2, 4242, "AliYunDun", 9);
	check_oom(only(f, CAUSE_AGENT_OOM_KILLED), 4242);
}

static void test_oom_victim_other_context(void **state)
{
	struct fixture *f = *state;
	const struct sender hog = { .tgid = 999, .comm = "stress" };

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	signal_(f, 5 * S, 4242, "AliYunDun", 9, AEGIS_SI_KERNEL, &hog);
	oom(f, 5 * S + 1, 4242, "");
	exit_(f, 5 * S + 2, 4242, "AliYunDun", 9);
	check_oom(only(f, CAUSE_AGENT_OOM_KILLED), 999);
	assert_contains(f->d[0].summary, "stress");
}

static void test_oom_event_after_exit(void **state)
{
	struct fixture *f = *state;
	const struct sender hog = { .tgid = 999, .comm = "stress" };

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	signal_(f, 5 * S, 4242, "AliYunDun", 9, AEGIS_SI_KERNEL, &hog);
	exit_(f, 5 * S + 1, 4242, "AliYunDun", 9);
	assert_int_equal(f->n, 0); /* waits for the OOM mark */
	oom(f, 5 * S + 2 * MS, 4242, "");
	check_oom(only(f, CAUSE_AGENT_OOM_KILLED), 999);
	/* and the late exit still starts the grace period */
	tick(f, 5 * S + 1 + f->cfg.grace_ns, 0);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->d[1].cause, CAUSE_AGENT_NOT_RUNNING);
	assert_int_equal(f->d[1].explained_by, CAUSE_AGENT_OOM_KILLED);
}

/* An OOM at a memory cgroup's limit names the cgroup and its limit, also
 * when the mark comes after the exit; one whose cgroup limit never made the
 * OOM killer run (a host-wide OOM in a limited cgroup) does not. */
static void oom_in(struct fixture *f, uint64_t ts, uint32_t tgid, const char *path, uint64_t limit_hits)
{
	struct ev e = mk(AEGIS_EV_OOM_VICTIM, sizeof(e.oom), ts, tgid, "");

	e.oom.flags = AEGIS_OOM_TRACKED;
	snprintf(e.memcg.path, sizeof(e.memcg.path), "%s", path);
	e.memcg.max_bytes = 64ULL << 20;
	e.memcg.usage_bytes = 60ULL << 20;
	e.memcg.limit_hits = limit_hits;
	feed(f, &e);
}

static void test_oom_at_cgroup_limit(void **state)
{
	struct fixture *f = *state;
	const struct sender self = { .tgid = 4242, .comm = "AliYunDun" };

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	signal_(f, 5 * S, 4242, "AliYunDun", 9, AEGIS_SI_KERNEL, &self);
	exit_(f, 5 * S + 1, 4242, "AliYunDun", 9);
	oom_in(f, 5 * S + 2 * MS, 4242, "/system.slice/aegis.service", 1);
	check_oom(only(f, CAUSE_AGENT_OOM_KILLED), 4242);
	assert_contains(f->d[0].summary,
			": its memory cgroup /system.slice/aegis.service reached its limit (64 MiB)");
	assert_string_equal(f->d[0].memcg.path, "/system.slice/aegis.service");
	assert_true(f->d[0].memcg.max_bytes == 64ULL << 20);
	assert_contains(diagnosis_advice(&f->d[0]), "MemoryMax=");
	/* the same process's limit under a host-wide OOM: not named */
	exec_(f, 6 * S, 4343, "AliYunDun", EXE_DUN);
	oom_in(f, 7 * S, 4343, "/system.slice/aegis.service", 0);
	signal_(f, 7 * S + 1, 4343, "AliYunDun", 9, AEGIS_SI_KERNEL, &self);
	exit_(f, 7 * S + 2, 4343, "AliYunDun", 9);
	assert_int_equal(f->d[f->n - 1].cause, CAUSE_AGENT_OOM_KILLED);
	assert_int_equal(f->d[f->n - 1].memcg.path[0], '\0');
	assert_null(strstr(f->d[f->n - 1].summary, "memory cgroup"));
	assert_ptr_equal(diagnosis_advice(&f->d[f->n - 1]), cause_advice(CAUSE_AGENT_OOM_KILLED));
}

static void test_kernel_sigkill_without_oom_resolves_on_tick(void **state)
{
	struct fixture *f = *state;
	const struct sender hog = { .tgid = 999, .comm = "stress" };
	const struct diagnosis *d;
	uint64_t t = 5 * S;

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	signal_(f, t, 4242, "AliYunDun", 9, AEGIS_SI_KERNEL, &hog);
	exit_(f, t + 1, 4242, "AliYunDun", 9);
	tick(f, t + f->cfg.oom_wait_ns, 0); /* 1 ns short of the wait */
	assert_int_equal(f->n, 0);
	tick(f, t + 1 + f->cfg.oom_wait_ns, 0);
	d = only(f, CAUSE_AGENT_KILLED);
	assert_contains(d->summary, "killed by SIGKILL sent by the kernel (in the context of pid 999, stress)");
	assert_int_equal(d->pid, 4242);
	/* an OOM event that arrives later is about a process already judged */
	oom(f, t + 2 * S, 4242, "");
	correlator_flush(f->c, t + 3 * S);
	assert_int_equal(count_cause(f, CAUSE_AGENT_OOM_KILLED), 0);
}

static void test_kernel_sigkill_resolved_by_flush(void **state)
{
	struct fixture *f = *state;
	const struct sender hog = { .tgid = 999, .comm = "stress" };

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	signal_(f, 5 * S, 4242, "AliYunDun", 9, AEGIS_SI_KERNEL, &hog);
	exit_(f, 5 * S + 1, 4242, "AliYunDun", 9);
	assert_int_equal(f->n, 0);
	correlator_flush(f->c, 5 * S + 2); /* end of session: nothing stays held */
	only(f, CAUSE_AGENT_KILLED);
}

/* ---- exits ---- */

static void test_exited_with_code(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	exit_(f, 4 * S, 4242, "AliYunDun", 3 << 8);
	d = only(f, CAUSE_AGENT_EXITED);
	assert_int_equal(d->exit_status, 3);
	assert_int_equal(d->signal, 0);
	assert_contains(d->summary, "AliYunDun (pid 4242) exited with code 3");
	assert_int_equal(d->uptime_ns, 3 * S);
	assert_int_equal(d->n_evidence, 1);
}

static void test_exit_code_zero(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 4242, "AliYunDun", EXE_DUN);
	exit_(f, 2 * S, 4242, "AliYunDun", 0);
	d = only(f, CAUSE_AGENT_EXITED);
	assert_int_equal(d->exit_status, 0);
}

static void test_untracked_exit_judged_by_comm(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exit_(f, 2 * S, 500, "AliYunDunMonito", 1 << 8);
	d = only(f, CAUSE_AGENT_EXITED);
	assert_int_equal(d->pid, 500);
	assert_string_equal(d->process, "AliYunDunMonitor");
	assert_string_equal(d->comm, "AliYunDunMonito");
	assert_string_equal(d->exe, "");
	assert_int_equal(d->exit_status, 1);
	/* a process without an agent name is none of our business */
	exit_(f, 3 * S, 501, "bash", 9);
	assert_int_equal(f->n, 1);
	/* an untracked process was never counted: no grace-period diagnosis */
	tick(f, 3 * S + 2 * f->cfg.grace_ns, 0);
	assert_int_equal(f->n, 1);
}

static void test_untracked_signal_then_exit(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	/* the kernel tracked it before userspace knew it */
	signal_(f, 2 * S, 600, "AliYunDun", 15, AEGIS_SI_USER, &killall);
	exit_(f, 2 * S + 1, 600, "AliYunDun", 15);
	d = only(f, CAUSE_AGENT_KILLED);
	assert_contains(d->summary, "killed by SIGTERM from pid 777 (killall, uid 0)");
}

static void test_pid_reuse_does_not_inherit_signal(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 300, "AliYunDun", EXE_DUN);
	/* the first process handles SIGTERM and exits cleanly */
	signal_(f, 2 * S, 300, "AliYunDun", 15, AEGIS_SI_USER, &killall);
	exit_(f, 2 * S + 1, 300, "AliYunDun", 0);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->d[0].cause, CAUSE_AGENT_EXITED);
	/* pid 300 comes back as another process, which dies of SIGTERM unseen */
	exec_(f, 3 * S, 300, "AliYunDunUpdate", EXE_UPD);
	exit_(f, 4 * S, 300, "AliYunDunUpdate", 15);
	assert_int_equal(f->n, 2);
	d = &f->d[1];
	assert_int_equal(d->cause, CAUSE_AGENT_KILLED);
	assert_string_equal(d->process, "AliYunDunUpdate");
	assert_contains(d->summary, "the sender was not seen");
	assert_not_contains(d->summary, "777");
	assert_null(evidence_of(d, AEGIS_EV_SIGNAL));
	assert_int_equal(d->uptime_ns, S);
}

static void test_exec_over_signalled_pid_starts_clean(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	/* the exit of the old process was lost: the exec must still reset it */
	exec_(f, S, 300, "AliYunDun", EXE_DUN);
	signal_(f, 2 * S, 300, "AliYunDun", 9, AEGIS_SI_USER, &killall);
	exec_(f, 3 * S, 300, "AliYunDun", EXE_DUN);
	exit_(f, 4 * S, 300, "AliYunDun", 9);
	d = only(f, CAUSE_AGENT_KILLED);
	assert_contains(d->summary, "the sender was not seen");
}

/* ---- forked children ---- */

static void test_fork_child_normal_exit_silent(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 100, "AliYunDun", EXE_DUN);
	fork_(f, 2 * S, 200, 100, "AliYunDun");
	exit_(f, 3 * S, 200, "AliYunDun", 0);
	assert_int_equal(f->n, 0);
	/* a helper's exit is not the core process going away */
	tick(f, 3 * S + 2 * f->cfg.grace_ns, 0);
	assert_int_equal(f->n, 0);

	fork_(f, 100 * S, 201, 100, "AliYunDun");
	signal_(f, 101 * S, 201, "AliYunDun", 9, AEGIS_SI_USER, &killall);
	exit_(f, 101 * S + 1, 201, "AliYunDun", 9);
	d = only(f, CAUSE_AGENT_KILLED);
	assert_int_equal(d->pid, 201);
	assert_string_equal(d->exe, EXE_DUN); /* inherited from the parent */
	assert_contains(d->summary, "from pid 777");
	tick(f, 200 * S, 0);
	assert_int_equal(f->n, 1);
}

static void test_fork_child_exec_becomes_core(void **state)
{
	struct fixture *f = *state;

	f->env.install.present_mask = CORE_BIT(CORE_ALIYUNDUN) | CORE_BIT(CORE_MONITOR);
	start(f);
	seed(f, S, 100, "AliYunDun", EXE_DUN);
	fork_(f, 2 * S, 101, 100, "AliYunDun");
	exec_(f, 2 * S + 1, 101, "AliYunDunMonito", EXE_MON);
	seed_done(f, 3 * S);
	assert_int_equal(f->n, 0);
	exit_(f, 4 * S, 101, "AliYunDunMonito", 2 << 8);
	tick(f, 4 * S + f->cfg.grace_ns, 0);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->d[0].cause, CAUSE_AGENT_EXITED);
	assert_string_equal(f->d[0].process, "AliYunDunMonitor");
	assert_int_equal(f->d[1].cause, CAUSE_AGENT_NOT_RUNNING);
	assert_string_equal(f->d[1].process, "AliYunDunMonitor");
}

/* ---- identity ---- */

static void test_impostor_exec(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 400, "AliYunDun", "/tmp/evil/AliYunDun");
	d = only(f, CAUSE_AGENT_IMPOSTOR);
	assert_int_equal(d->pid, 400);
	assert_string_equal(d->exe, "/tmp/evil/AliYunDun");
	assert_contains(d->summary, "is not the agent: it runs /tmp/evil/AliYunDun");
	assert_contains(d->summary, "not an installed file of the agent root " ROOT);
	assert_non_null(evidence_of(d, AEGIS_EV_EXEC));
	/* events already in flight for it say nothing about the agent */
	signal_(f, 2 * S, 400, "AliYunDun", 9, AEGIS_SI_USER, &killall);
	fork_(f, 2 * S, 401, 400, "AliYunDun");
	exit_(f, 3 * S, 401, "AliYunDun", 9);
	exit_(f, 3 * S, 400, "AliYunDun", 9);
	tick(f, 3 * S + 2 * f->cfg.grace_ns, 0);
	correlator_flush(f->c, 1000 * S);
	assert_int_equal(f->n, 1);
}

static void test_impostor_pid_reused_by_agent(void **state)
{
	struct fixture *f = *state;

	start(f);
	exec_(f, S, 400, "AliYunDun", "/tmp/evil/AliYunDun");
	exec_(f, 2 * S, 400, "AliYunDun", EXE_DUN); /* the pid is the real agent now */
	exit_(f, 3 * S, 400, "AliYunDun", 1 << 8);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->d[0].cause, CAUSE_AGENT_IMPOSTOR);
	assert_int_equal(f->d[1].cause, CAUSE_AGENT_EXITED);
	assert_int_equal(f->d[1].pid, 400);
}

static void test_unverified_exe_is_agent(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 100, "AliYunDun", "");
	assert_int_equal(f->n, 0);
	exit_(f, 2 * S, 100, "AliYunDun", 1 << 8);
	d = only(f, CAUSE_AGENT_EXITED);
	assert_string_equal(d->exe, "");
	assert_true(d->unverified); /* said, but nothing is done on its word */
	tick(f, 2 * S + f->cfg.grace_ns, 0); /* it counted as running */
	assert_int_equal(f->n, 2);
	assert_int_equal(f->d[1].cause, CAUSE_AGENT_NOT_RUNNING);
}

/* A process the kernel tracks but whose exec was lost: its exit is told as
 * unverified; a signal judged at ingestion says who it was. */
static void test_exit_of_unseen_process(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;
	struct ev e;

	start(f);
	exit_(f, 2 * S, 300, "AliYunDun", 1 << 8);
	d = only(f, CAUSE_AGENT_EXITED);
	assert_true(d->unverified);

	/* judged an impostor at its signal: its death is nobody's cause */
	e = mk(AEGIS_EV_SIGNAL, sizeof(e.signal), 3 * S, 301, "AliYunDun");
	e.signal.sig = 9;
	e.ident = IDENT_IMPOSTOR;
	e.ident_why = WHY_NOT_ROOT;
	feed(f, &e);
	exit_(f, 3 * S, 301, "AliYunDun", 9);
	assert_int_equal(f->n, 1);

	/* judged the agent at its signal: a verified kill */
	e = mk(AEGIS_EV_SIGNAL, sizeof(e.signal), 4 * S, 302, "AliYunDun");
	e.signal.sig = 9;
	e.ident = IDENT_AGENT;
	feed(f, &e);
	exit_(f, 4 * S, 302, "AliYunDun", 9);
	assert_int_equal(f->n, 2);
	assert_int_equal(f->d[1].cause, CAUSE_AGENT_KILLED);
	assert_false(f->d[1].unverified);
}

static void test_non_agent_exec_ignored(void **state)
{
	struct fixture *f = *state;

	start(f);
	exec_(f, S, 100, "bash", "/bin/bash");
	exit_(f, 2 * S, 100, "bash", 9);
	correlator_flush(f->c, 3 * S);
	assert_int_equal(f->n, 0);
}

/* ---- grace period ---- */

static void test_grace_period(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;
	uint64_t t = 10 * S;

	start(f);
	exec_(f, S, 100, "AliYunDun", EXE_DUN);
	exit_(f, t, 100, "AliYunDun", 9);
	assert_int_equal(f->n, 1);
	tick(f, t + f->cfg.grace_ns - 1, 0);
	assert_int_equal(f->n, 1);
	tick(f, t + f->cfg.grace_ns, 0);
	assert_int_equal(f->n, 2);
	d = &f->d[1];
	assert_int_equal(d->cause, CAUSE_AGENT_NOT_RUNNING);
	assert_false(d->primary);
	assert_int_equal(d->explained_by, CAUSE_AGENT_KILLED);
	assert_string_equal(d->process, "AliYunDun");
	assert_contains(d->summary, "AliYunDun is not running: not restarted within 30 s");
	assert_contains(d->summary, "(agent_killed)");
	tick(f, t + 10 * f->cfg.grace_ns, 0); /* said once */
	correlator_flush(f->c, t + 11 * f->cfg.grace_ns);
	assert_int_equal(f->n, 2);
}

static void test_restart_within_grace_cancels(void **state)
{
	struct fixture *f = *state;
	uint64_t t = 10 * S;

	start(f);
	exec_(f, S, 100, "AliYunDun", EXE_DUN);
	exit_(f, t, 100, "AliYunDun", 0);
	exec_(f, t + 5 * S, 101, "AliYunDun", EXE_DUN);
	tick(f, t + f->cfg.grace_ns + 1, 0);
	correlator_flush(f->c, t + 10 * f->cfg.grace_ns);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->d[0].cause, CAUSE_AGENT_EXITED);
}

static void test_grace_waits_for_last_instance(void **state)
{
	struct fixture *f = *state;

	start(f);
	exec_(f, S, 100, "AliYunDun", EXE_DUN);
	exec_(f, S, 101, "AliYunDun", EXE_DUN);
	exit_(f, 2 * S, 100, "AliYunDun", 0);
	tick(f, 2 * S + f->cfg.grace_ns, 0); /* 101 still runs */
	assert_int_equal(count_cause(f, CAUSE_AGENT_NOT_RUNNING), 0);
	exit_(f, 100 * S, 101, "AliYunDun", 0);
	tick(f, 100 * S + f->cfg.grace_ns, 0);
	assert_int_equal(count_cause(f, CAUSE_AGENT_NOT_RUNNING), 1);
}

/* ---- flapping ---- */

static void test_flapping(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d = NULL;
	uint64_t t = S;
	uint32_t pid = 100;

	f->cfg.flap_count = 3;
	start(f);
	exec_(f, t, pid, "AliYunDun", EXE_DUN);
	for (int i = 0; i < 5; i++) {
		t += 2 * S;
		exit_(f, t, pid, "AliYunDun", 1 << 8);
		t += S;
		exec_(f, t, ++pid, "AliYunDun", EXE_DUN);
		if (i == 1)
			assert_int_equal(count_cause(f, CAUSE_AGENT_FLAPPING), 0);
		if (i == 2)
			assert_int_equal(count_cause(f, CAUSE_AGENT_FLAPPING), 1);
	}
	correlator_flush(f->c, t + S);
	assert_int_equal(count_cause(f, CAUSE_AGENT_FLAPPING), 1);
	for (unsigned i = 0; i < f->n; i++)
		if (f->d[i].cause == CAUSE_AGENT_FLAPPING)
			d = &f->d[i];
	assert_non_null(d);
	assert_int_equal(d->pid, 103);
	assert_contains(d->summary, "AliYunDun restarted 3 times within");
	assert_contains(d->summary, "last exit: agent_exited");
	assert_int_equal(count_cause(f, CAUSE_AGENT_NOT_RUNNING), 0);
}

static void test_slow_restarts_are_not_flapping(void **state)
{
	struct fixture *f = *state;
	uint64_t t = S;
	uint32_t pid = 100;

	f->cfg.flap_count = 3;
	f->cfg.flap_window_ns = 60 * S;
	start(f);
	exec_(f, t, pid, "AliYunDun", EXE_DUN);
	for (int i = 0; i < 6; i++) {
		t += 40 * S; /* three restarts always span more than the window */
		exit_(f, t, pid, "AliYunDun", 1 << 8);
		exec_(f, t + S, ++pid, "AliYunDun", EXE_DUN);
	}
	correlator_flush(f->c, t + S);
	assert_int_equal(count_cause(f, CAUSE_AGENT_FLAPPING), 0);
	assert_int_equal(count_cause(f, CAUSE_AGENT_EXITED), 6);
}

/* ---- aggregation ---- */

/* n agent_exited of AliYunDun, one second apart, starting at 2 s */
static void exits(struct fixture *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		exec_(f, S + i * S, 100 + i, "AliYunDun", EXE_DUN);
		exit_(f, 2 * S + i * S, 100 + i, "AliYunDun", 1 << 8);
	}
}

static void test_dedup_released_by_tick(void **state)
{
	struct fixture *f = *state;
	const unsigned burst = cause_burst(CAUSE_AGENT_EXITED);
	const struct diagnosis *d;

	f->cfg.flap_count = 32; /* this test is about agent_exited only */
	start(f);
	assert_true(burst >= 1 && burst < 10);
	/* a burst is reported at once, the next repeat within the interval held */
	exits(f, burst + 1);
	assert_int_equal(f->n, burst);
	for (unsigned i = 0; i < burst; i++) {
		assert_int_equal(f->d[i].cause, CAUSE_AGENT_EXITED);
		assert_int_equal(f->d[i].count, i + 1);
		assert_int_equal(f->d[i].pid, 100 + i);
	}
	tick(f, 2 * S + f->cfg.dedup_ns - 1, 0);
	assert_int_equal(f->n, burst);
	tick(f, 2 * S + f->cfg.dedup_ns, 0);
	assert_int_equal(f->n, burst + 1);
	d = &f->d[burst];
	assert_int_equal(d->cause, CAUSE_AGENT_EXITED);
	assert_int_equal(d->count, burst + 1);
	assert_int_equal(d->first_ns, 2 * S);
	assert_int_equal(d->last_ns, 2 * S + burst * S);
	assert_int_equal(d->pid, 100 + burst); /* the newest repeat */
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_AGENT_EXITED], burst + 1);
	assert_int_equal(correlator_stats(f->c)->diagnoses, burst + 1);
	correlator_flush(f->c, 100 * S);
	assert_int_equal(f->n, burst + 1);
}

static void test_dedup_released_by_flush(void **state)
{
	struct fixture *f = *state;
	const unsigned burst = cause_burst(CAUSE_AGENT_EXITED);

	f->cfg.flap_count = 32;
	start(f);
	exits(f, burst + 2);
	assert_int_equal(f->n, burst);
	correlator_flush(f->c, 2 * S + (burst + 2) * S);
	assert_int_equal(f->n, burst + 1);
	assert_int_equal(f->d[burst].count, burst + 2);
	assert_int_equal(f->d[burst].pid, 100 + burst + 1);
}

static void test_dedup_new_window_after_interval(void **state)
{
	struct fixture *f = *state;
	const unsigned burst = cause_burst(CAUSE_AGENT_EXITED);

	f->cfg.flap_count = 32;
	start(f);
	exits(f, burst);
	assert_int_equal(f->n, burst);
	/* long after the window: reported at once again */
	exec_(f, 1000 * S, 999, "AliYunDun", EXE_DUN);
	exit_(f, 1001 * S, 999, "AliYunDun", 1 << 8);
	assert_int_equal(f->n, burst + 1);
	assert_int_equal(f->d[burst].pid, 999);
}

static void test_dedup_distinct_causes_not_merged(void **state)
{
	struct fixture *f = *state;

	start(f);
	exec_(f, S, 100, "AliYunDun", EXE_DUN);
	exit_(f, 2 * S, 100, "AliYunDun", 1 << 8);
	exec_(f, 3 * S, 101, "AliYunDun", EXE_DUN);
	exit_(f, 4 * S, 101, "AliYunDun", 11);
	exec_(f, 3 * S, 102, "AliYunDunUpdate", EXE_UPD);
	exit_(f, 4 * S, 102, "AliYunDunUpdate", 1 << 8);
	assert_int_equal(f->n, 3);
	assert_int_equal(f->d[1].cause, CAUSE_AGENT_CRASHED);
	assert_string_equal(f->d[2].process, "AliYunDunUpdate");
}

static void test_events_lost_reported(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, S, 100, "AliYunDun", EXE_DUN);
	exit_(f, 2 * S, 100, "AliYunDun", 0);
	assert_int_equal(f->d[0].events_lost, 0);
	tick(f, 3 * S, 7);
	tick(f, 4 * S, 5); /* a smaller reading does not lower it */
	assert_int_equal(correlator_stats(f->c)->events_lost, 7);
	exec_(f, 5 * S, 101, "AliYunDunUpdate", EXE_UPD);
	exit_(f, 6 * S, 101, "AliYunDunUpdate", 9);
	assert_int_equal(f->n, 2);
	d = &f->d[1];
	assert_int_equal(d->cause, CAUSE_AGENT_KILLED);
	assert_int_equal(d->events_lost, 7);
	assert_contains(d->summary, "the sender was not seen (events were lost)");
}

/* Many processes at once: lookups stay right across table deletions. */
static void test_many_processes(void **state)
{
	struct fixture *f = *state;
	enum { N = 900 };
	unsigned matched = 0;

	f->cfg.dedup_ns = 0; /* deliver every diagnosis */
	start(f);
	for (uint32_t i = 0; i < N; i++) {
		struct sender s = { .tgid = 100000 + i, .comm = "kill" };

		exec_(f, S, 1000 + i * 1024, "AliYunDun", EXE_DUN); /* same home slot */
		signal_(f, 2 * S, 1000 + i * 1024, "AliYunDun", 15, AEGIS_SI_USER, &s);
	}
	/* exit in an order unlike insertion; check each verdict names its own sender */
	for (uint32_t k = 0; k < N; k++) {
		uint32_t i = (k * 7) % N, pid = 1000 + i * 1024;
		char want[64];

		f->n = 0;
		exit_(f, 3 * S + k, pid, "AliYunDun", 15);
		assert_int_equal(f->n, 1);
		snprintf(want, sizeof(want), "(pid %u) killed by SIGTERM from pid %u ", pid,
			 100000 + i);
		assert_contains(f->d[0].summary, want);
		matched++;
	}
	assert_int_equal(matched, N);
	assert_int_equal(correlator_stats(f->c)->table_full, 0);
}

static void test_table_full_counted(void **state)
{
	struct fixture *f = *state;

	start(f);
	for (uint32_t i = 0; i < 1100; i++)
		exec_(f, S, 10 + i, "AliYunDun", EXE_DUN);
	assert_true(correlator_stats(f->c)->table_full > 0);
}

static void test_time_does_not_rewind(void **state)
{
	struct fixture *f = *state;

	start(f);
	exec_(f, 100 * S, 100, "AliYunDun", EXE_DUN);
	exit_(f, 100 * S, 100, "AliYunDun", 0);
	tick(f, 50 * S, 0); /* a late event from another CPU */
	tick(f, 100 * S + f->cfg.grace_ns - 1, 0);
	assert_int_equal(f->n, 1);
	tick(f, 100 * S + f->cfg.grace_ns, 0);
	assert_int_equal(f->n, 2);
}

/* A forked helper that execs another program is forgotten: its later death
 * is not the agent's, and a core process that execs away is gone. */
static void test_exec_into_other_program_forgets_it(void **state)
{
	struct fixture *f = *state;

	start(f);
	seed(f, 1 * S, 100, "AliYunDun", EXE_DUN);
	seed(f, 1 * S, 101, "AliYunDunUpdate", EXE_UPD);
	seed(f, 1 * S, 102, "AliYunDunMonito", EXE_MON);
	seed_done(f, 1 * S);
	fork_(f, 2 * S, 200, 100, "AliYunDun");
	exec_(f, 2 * S + MS, 200, "sh", "/bin/sh");
	exit_(f, 3 * S, 200, "sh", 9);
	assert_int_equal(f->n, 0);
	/* the core process itself execs away: gone like an exit */
	exec_(f, 4 * S, 100, "bash", "/bin/bash");
	tick(f, 4 * S + f->cfg.grace_ns, 0);
	assert_int_equal(count_cause(f, CAUSE_AGENT_NOT_RUNNING), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_seed_all_running_no_diagnosis),
		T(test_seed_done_core_missing),
		T(test_seed_done_nothing_running),
		T(test_not_installed),
		T(test_seed_impostor_not_counted),
		T(test_seed_unverified_counts_as_running),
		T(test_killed_by_other_process),
		T(test_killed_by_third_party_product),
		T(test_killed_sender_not_seen),
		T(test_newest_signal_unless_sigkill),
		T(test_sigterm_from_other),
		T(test_segv_from_kernel_is_crash),
		T(test_segv_without_signal_event_is_crash),
		T(test_segv_sent_by_other_is_kill),
		T(test_abort_is_crash),
		T(test_oom_victim_self_context),
		T(test_oom_victim_other_context),
		T(test_oom_event_after_exit),
		T(test_oom_at_cgroup_limit),
		T(test_kernel_sigkill_without_oom_resolves_on_tick),
		T(test_kernel_sigkill_resolved_by_flush),
		T(test_exited_with_code),
		T(test_exit_code_zero),
		T(test_untracked_exit_judged_by_comm),
		T(test_untracked_signal_then_exit),
		T(test_pid_reuse_does_not_inherit_signal),
		T(test_exec_over_signalled_pid_starts_clean),
		T(test_fork_child_normal_exit_silent),
		T(test_fork_child_exec_becomes_core),
		T(test_impostor_exec),
		T(test_impostor_pid_reused_by_agent),
		T(test_unverified_exe_is_agent),
		T(test_exit_of_unseen_process),
		T(test_non_agent_exec_ignored),
		T(test_grace_period),
		T(test_restart_within_grace_cancels),
		T(test_grace_waits_for_last_instance),
		T(test_flapping),
		T(test_slow_restarts_are_not_flapping),
		T(test_dedup_released_by_tick),
		T(test_dedup_released_by_flush),
		T(test_dedup_new_window_after_interval),
		T(test_dedup_distinct_causes_not_merged),
		T(test_events_lost_reported),
		T(test_many_processes),
		T(test_table_full_counted),
		T(test_time_does_not_rewind),
		T(test_exec_into_other_program_forgets_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
