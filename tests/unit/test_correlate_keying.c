// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The correlator's process table is keyed by (tgid, start time): a pid the
 * kernel hands out again after the exit of its last holder was lost (ring
 * buffer full) is another process, and must not inherit the old one's slot,
 * its signals, its uptime or its place among the running core processes.
 * A start of 0 (recordings before ABI 4) keeps the old tgid-only matching.
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
#include "diag_log.h"

#define S 1000000000ULL
#define MS 1000000ULL
#define ROOT "/usr/local/aegis"
#define EXE_DUN ROOT "/aegis_client/aegis_12_93/AliYunDun"
#define EXE_MON ROOT "/aegis_client/aegis_12_93/AliYunDunMonitor"

struct fixture {
	struct diag_log log; /* first: diag_log_collect's ctx */
	struct agent_env env;
	struct correlator_config cfg;
	struct correlator *c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->env.nroots = 1;
	snprintf(f->env.roots[0], sizeof(f->env.roots[0]), "%s", ROOT);
	f->env.install.found = true;
	snprintf(f->env.install.root, sizeof(f->env.install.root), "%s", ROOT);
	f->env.install.major = 12;
	f->env.install.minor = 93;
	/* only AliYunDun is expected: the tests watch one core process */
	f->env.install.present_mask = 1u << CORE_ALIYUNDUN;
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

static void start(struct fixture *f)
{
	f->c = correlator_new(&f->cfg, diag_log_collect, f);
	assert_non_null(f->c);
}

static struct ev mk(unsigned type, size_t size, uint64_t ts, uint32_t tgid, const char *comm)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = (__u16)type;
	e.hdr.size = (__u16)size;
	e.hdr.ts_ns = ts;
	e.hdr.pid = e.hdr.tgid = tgid;
	e.hdr.ppid = 1;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "%s", comm);
	return e;
}

/* An agent process exec'd at ts whose process started at start (0: unknown). */
static void exec_(struct fixture *f, uint64_t ts, uint64_t start, uint32_t tgid, const char *comm,
		  const char *exe)
{
	struct ev e = mk(AEGIS_EV_EXEC, sizeof(e.exec), ts, tgid, comm);

	snprintf(e.exe, sizeof(e.exe), "%s", exe);
	snprintf(e.exec.filename, sizeof(e.exec.filename), "%s", exe);
	e.ident = IDENT_AGENT;
	e.exec.start_ns = start;
	correlator_feed(f->c, &e);
}

static void seed(struct fixture *f, uint64_t ts, uint64_t proc_start, uint32_t tgid)
{
	struct ev e = mk(AEGIS_EV_SEED, sizeof(e.seed), ts, tgid, "AliYunDun");

	snprintf(e.exe, sizeof(e.exe), "%s", EXE_DUN);
	e.ident = IDENT_AGENT;
	e.seed.start_ns = proc_start; /* /proc's: ticks, maybe on the boot clock */
	correlator_feed(f->c, &e);
}

static void fork_(struct fixture *f, uint64_t ts, uint64_t start, uint32_t tgid, uint32_t ppid,
		  const char *comm)
{
	struct ev e = mk(AEGIS_EV_FORK, sizeof(e.fork), ts, tgid, comm);

	e.hdr.ppid = ppid;
	e.fork.start_ns = start;
	correlator_feed(f->c, &e);
}

static void exit_(struct fixture *f, uint64_t ts, uint64_t start, uint32_t tgid, unsigned code)
{
	struct ev e = mk(AEGIS_EV_EXIT, sizeof(e.exit), ts, tgid, "AliYunDun");

	e.exit.exit_code = code;
	e.exit.flags = AEGIS_EXIT_GROUP_DEAD;
	e.exit.start_ns = start;
	correlator_feed(f->c, &e);
}

static void kill_by_killall(struct fixture *f, uint64_t ts, uint32_t tgid)
{
	struct ev e = mk(AEGIS_EV_SIGNAL, sizeof(e.signal), ts, tgid, "AliYunDun");

	e.signal.sig = 9;
	e.signal.si_code = AEGIS_SI_USER;
	e.signal.group = 1;
	e.signal.sender_pid = e.signal.sender_tgid = 777;
	snprintf(e.signal.sender_comm, sizeof(e.signal.sender_comm), "killall");
	correlator_feed(f->c, &e);
}

static void tick(struct fixture *f, uint64_t ts, uint64_t lost)
{
	struct ev e = mk(AEGIS_EV_TICK, sizeof(e.tick), ts, 0, "");

	e.tick.events_lost = lost;
	correlator_feed(f->c, &e);
}

static void seed_done(struct fixture *f, uint64_t ts)
{
	struct ev e = mk(AEGIS_EV_SEED_DONE, sizeof(e.hdr), ts, 0, "");

	correlator_feed(f->c, &e);
}

#define assert_contains(hay, needle)                                                  \
	do {                                                                          \
		if (!strstr((hay), (needle)))                                         \
			fail_msg("\"%s\" does not contain \"%s\"", (hay), (needle)); \
	} while (0)
#define assert_not_contains(hay, needle)                                              \
	do {                                                                          \
		if (strstr((hay), (needle)))                                          \
			fail_msg("\"%s\" contains \"%s\"", (hay), (needle));         \
	} while (0)

/*
 * The agent (pid 100, started at 1 s) was sent SIGKILL by killall; its exit
 * was lost. Later pid 100 is another agent process, whose fork and exec were
 * lost too: only its exit (started at 40 s, SIGKILL) arrives. That death is
 * not the old process's: not killall's doing, not 49 s of uptime.
 */
static void test_exit_of_reused_pid_not_the_old_process(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, 1 * S, 1 * S, 100, "AliYunDun", EXE_DUN);
	seed_done(f, 1 * S);
	kill_by_killall(f, 2 * S, 100);
	tick(f, 3 * S, 1); /* its exit: lost */
	exit_(f, 50 * S, 40 * S, 100, 9);
	d = diag_only(&f->log, CAUSE_AGENT_KILLED);
	assert_not_contains(d->summary, "killall");
	assert_contains(d->summary, "the sender was not seen (events were lost)");
	assert_int_equal(d->uptime_ns, 10 * S);
	assert_true(d->unverified); /* nothing vouched for the new process */
	assert_string_equal(d->exe, "");
}

/* The same exit of the same process (start equal) keeps everything. */
static void test_exit_of_same_process_keeps_its_slot(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, 1 * S, 1 * S - 5 * MS, 100, "AliYunDun", EXE_DUN);
	seed_done(f, 1 * S);
	kill_by_killall(f, 2 * S, 100);
	exit_(f, 2 * S + MS, 1 * S - 5 * MS, 100, 9);
	d = diag_only(&f->log, CAUSE_AGENT_KILLED);
	assert_contains(d->summary, "killed by SIGKILL from pid 777 (killall");
	assert_int_equal(d->uptime_ns, S + MS);
	assert_false(d->unverified);
	assert_string_equal(d->exe, EXE_DUN);
}

/*
 * A lost exit, then the same pid exec'd by a new process: that is a restart
 * (the old instance is gone), so with flap-count 2 the next restart makes
 * agent_flapping. Keyed by tgid alone, the exec looked like the old process
 * exec'ing again and the restart went uncounted.
 */
static void test_reused_pid_exec_counts_a_restart(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	f->cfg.flap_count = 2;
	start(f);
	exec_(f, 1 * S, 1 * S, 100, "AliYunDun", EXE_DUN);
	seed_done(f, 1 * S);
	tick(f, 5 * S, 1); /* its exit: lost */
	exec_(f, 10 * S, 10 * S, 100, "AliYunDun", EXE_DUN); /* restart 1 */
	assert_int_equal(diag_count(&f->log, CAUSE_AGENT_FLAPPING), 0);
	exit_(f, 20 * S, 10 * S, 100, 1 << 8);
	assert_int_equal(diag_only(&f->log, CAUSE_AGENT_EXITED)->uptime_ns, 10 * S);
	exec_(f, 21 * S, 21 * S, 200, "AliYunDun", EXE_DUN); /* restart 2 */
	d = diag_only(&f->log, CAUSE_AGENT_FLAPPING);
	assert_contains(d->summary, "restarted 2 times within 11 s (now pid 200)");
	/* one instance runs: no agent_not_running */
	tick(f, 200 * S, 1);
	correlator_flush(f->c, 300 * S);
	assert_int_equal(diag_count(&f->log, CAUSE_AGENT_NOT_RUNNING), 0);
	assert_int_equal(correlator_core_running(f->c, CORE_ALIYUNDUN), 1);
}

/* The agent itself exec'ing again (same process, same start) is no restart. */
static void test_re_exec_of_same_process_is_no_restart(void **state)
{
	struct fixture *f = *state;

	f->cfg.flap_count = 2;
	start(f);
	exec_(f, 1 * S, 1 * S, 100, "AliYunDun", EXE_DUN);
	seed_done(f, 1 * S);
	exec_(f, 2 * S, 1 * S, 100, "AliYunDun", EXE_DUN);
	exec_(f, 3 * S, 1 * S, 100, "AliYunDun", EXE_DUN);
	assert_int_equal(correlator_core_running(f->c, CORE_ALIYUNDUN), 1);
	correlator_flush(f->c, 100 * S);
	assert_int_equal(f->log.n, 0);
}

/*
 * The agent (pid 100) died unseen, and its pid went to a forked helper of
 * the Monitor. The agent is not running any more: after the grace,
 * agent_not_running. Keyed by tgid alone, the helper's fork wiped the slot
 * without the agent ever leaving the running count: silence for ever.
 */
static void test_reused_pid_fork_leaves_agent_not_running(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	f->cfg.grace_ns = 30 * S;
	start(f);
	exec_(f, 1 * S, 1 * S, 100, "AliYunDun", EXE_DUN);
	exec_(f, 1 * S, 1 * S, 50, "AliYunDunMonitor", EXE_MON);
	seed_done(f, 1 * S);
	tick(f, 5 * S, 1); /* the agent's exit: lost */
	fork_(f, 10 * S, 10 * S, 100, 50, "AliYunDunMonito");
	assert_int_equal(correlator_core_running(f->c, CORE_ALIYUNDUN), 0);
	tick(f, 39 * S, 1);
	assert_int_equal(diag_count(&f->log, CAUSE_AGENT_NOT_RUNNING), 0);
	tick(f, 41 * S, 1);
	d = diag_only(&f->log, CAUSE_AGENT_NOT_RUNNING);
	assert_string_equal(d->process, "AliYunDun");
	/* the helper's own exit is routine */
	exit_(f, 42 * S, 10 * S, 100, 0);
	assert_int_equal(f->log.n, 1);
}

/*
 * A process found by the start scan: /proc gives its start to a clock tick,
 * on the boot clock (ahead by the time suspended), so it is kept as "started
 * by the scan". Its own exit, whatever its kernel start before the scan, is
 * its own; a pid that started after the scan is another process.
 */
static void test_seeded_process_matched_by_scan_time(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	/* started at 1 s by the kernel's clock, 3 s by the boot clock */
	seed(f, 5 * S, 3 * S, 100);
	seed(f, 5 * S, 3 * S, 101);
	seed_done(f, 5 * S);
	kill_by_killall(f, 6 * S, 100);
	exit_(f, 6 * S + MS, 1 * S, 100, 9);
	d = diag_only(&f->log, CAUSE_AGENT_KILLED);
	assert_contains(d->summary, "pid 100) killed by SIGKILL from pid 777 (killall");

	/* 101's exit lost; its pid reused by a process started at 7 s */
	kill_by_killall(f, 6 * S + 2 * MS, 101);
	exit_(f, 9 * S, 7 * S, 101, 9);
	assert_int_equal(f->log.n, 2);
	assert_not_contains(f->log.d[1].summary, "killall");
	assert_int_equal(f->log.d[1].uptime_ns, 2 * S);
}

/* Recordings before ABI 4 carry no start: the tgid alone says, as before. */
static void test_unknown_start_matches_by_tgid(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *d;

	start(f);
	exec_(f, 1 * S, 0, 100, "AliYunDun", EXE_DUN);
	seed_done(f, 1 * S);
	kill_by_killall(f, 2 * S, 100);
	exit_(f, 3 * S, 0, 100, 9);
	d = diag_only(&f->log, CAUSE_AGENT_KILLED);
	assert_contains(d->summary, "killall");
	assert_int_equal(d->uptime_ns, 2 * S);

	/* a known start against a slot of unknown start: the same process */
	exec_(f, 4 * S, 0, 101, "AliYunDun", EXE_DUN);
	kill_by_killall(f, 5 * S, 101);
	exit_(f, 6 * S, 4 * S, 101, 9);
	assert_int_equal(diag_count(&f->log, CAUSE_AGENT_KILLED), 2);
	assert_contains(f->log.d[f->log.n - 1].summary, "killall");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exit_of_reused_pid_not_the_old_process),
		T(test_exit_of_same_process_keeps_its_slot),
		T(test_reused_pid_exec_counts_a_restart),
		T(test_re_exec_of_same_process_is_no_restart),
		T(test_reused_pid_fork_leaves_agent_not_running),
		T(test_seeded_process_matched_by_scan_time),
		T(test_unknown_start_matches_by_tgid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
