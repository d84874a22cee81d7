// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Resource correlation: AEGIS_EV_RESOURCES samples in, cpu_saturated,
 * memory_exhausted and agent_starved out. Event time only.
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
#include "diag_log.h"
#include "resources.h"

#define S 1000000000ULL
#define T0 (1000 * S)
#define GIB (1024ULL * 1024)

struct res_fixture {
	struct diag_log log; /* first: the collector's ctx */
	struct agent_env env;
	struct correlator_config cfg;
	struct correlator *c;
};

static int setup(void **state)
{
	struct res_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->env.nroots = 1;
	snprintf(f->env.roots[0], sizeof(f->env.roots[0]), "/usr/local/aegis");
	correlator_config_defaults(&f->cfg);
	f->cfg.env = &f->env;
	f->cfg.res_window_ns = 5 * S;
	f->c = correlator_new(&f->cfg, diag_log_collect, f);
	*state = f;
	return f->c ? 0 : -1;
}

static int teardown(void **state)
{
	struct res_fixture *f = *state;

	correlator_free(f->c);
	free(f);
	return 0;
}

/* A calm host: 10% CPU, 20% memory used, no pressure, an idle agent. */
static struct ev sample(uint64_t ts)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = AEGIS_EV_RESOURCES;
	e.hdr.size = sizeof(e.resources);
	e.hdr.ts_ns = ts;
	e.resources.interval_ms = 1000;
	e.resources.ncpu = 2;
	e.resources.cpu_busy_pm = 100;
	e.resources.load1_centi = 25;
	e.resources.mem_total_kib = 24 * GIB;
	e.resources.mem_avail_kib = 24 * GIB * 8 / 10;
	e.resources.psi_cpu_some = 0;
	e.resources.psi_mem_some = 0;
	e.resources.psi_mem_full = 0;
	e.resources.agent_procs = 2;
	e.resources.agent_cpu_pm = 3;
	e.resources.agent_rss_kib = 45 * 1024;
	e.resources.flags = AEGIS_RES_HIST;
	e.resources.rq_hist[3] = 200; /* 8-15 us */
	e.resources.rq_sum_ns = 200 * 10000;
	return e;
}

static void feed(struct res_fixture *f, struct ev *e)
{
	correlator_feed(f->c, e);
}

/* n samples, one a second from ts, each made busy by fn */
static uint64_t run(struct res_fixture *f, uint64_t ts, unsigned n, void (*fn)(struct ev *))
{
	for (unsigned i = 0; i < n; i++, ts += S) {
		struct ev e = sample(ts);

		if (fn)
			fn(&e);
		feed(f, &e);
	}
	return ts;
}

static void busy(struct ev *e)
{
	e->resources.cpu_busy_pm = 990;
	e->resources.load1_centi = 412;
	e->resources.flags |= AEGIS_RES_TOP_CPU;
	e->resources.top_cpu[0] = (struct aegis_res_proc){ .pid = 77, .cpu_pm = 1000, .comm = "stress" };
	e->resources.top_cpu[1] = (struct aegis_res_proc){ .pid = 78, .cpu_pm = 950, .comm = "stress" };
}

static void mem_full(struct ev *e)
{
	e->resources.mem_avail_kib = e->resources.mem_total_kib / 50; /* 98% used */
	e->resources.flags |= AEGIS_RES_TOP_RSS;
	e->resources.top_rss[0] = (struct aegis_res_proc){ .pid = 99, .rss_kib = 20 * GIB, .comm = "hog" };
}

static void mem_pressure(struct ev *e)
{
	e->resources.psi_mem_full = 2550; /* 25.50% */
}

static void starved(struct ev *e)
{
	memset(e->resources.rq_hist, 0, sizeof(e->resources.rq_hist));
	e->resources.rq_hist[3] = 5;
	e->resources.rq_hist[17] = 20; /* 131-262 ms */
	e->resources.rq_sum_ns = 20 * 150000000ULL;
}

static void test_cpu_sustained(void **state)
{
	struct res_fixture *f = *state;
	const struct diagnosis *d;
	uint64_t ts = run(f, T0, 3, NULL);

	/* the run starts at ts - 1 s: five samples cover five seconds */
	ts = run(f, ts, 4, busy);
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 0);
	run(f, ts, 1, busy);
	d = diag_only(&f->log, CAUSE_CPU_SATURATED);
	assert_int_equal(cause_severity(d->cause), SEV_WARNING);
	assert_string_equal(cause_code(d->cause), "cpu_saturated");
	assert_string_equal(d->process, "host");
	assert_true(d->primary);
	assert_non_null(strstr(d->summary, "host CPU busy >= 95.0% for 5 s"));
	assert_non_null(strstr(d->summary, "load 4.12 on 2 CPUs"));
	assert_non_null(strstr(d->summary, "agent: 0.3% of a CPU, 45 MiB RSS"));
	assert_non_null(strstr(d->summary, "top: stress (pid 77) 100.0%, stress (pid 78) 95.0%"));
	/* evidence: the first and the last sample of the run */
	assert_int_equal(d->n_evidence, 2);
	assert_int_equal(d->evidence[0].hdr.type, AEGIS_EV_RESOURCES);
	assert_int_equal(d->evidence[0].resources.cpu_busy_pm, 990);
	assert_int_equal(d->evidence[0].hdr.ts_ns, ts - 4 * S);
	assert_int_equal(d->evidence[1].hdr.ts_ns, ts);
	assert_int_equal(d->evidence[1].resources.agent_rss_kib, 45 * 1024);
	/* still busy: once per run */
	run(f, ts + S, 20, busy);
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 1);
}

static void test_cpu_brief_spike(void **state)
{
	struct res_fixture *f = *state;
	uint64_t ts = T0;

	/* 4 busy seconds, one calm one, 4 busy again: never 5 in a row */
	for (int i = 0; i < 5; i++) {
		ts = run(f, ts, 4, busy);
		ts = run(f, ts, 1, NULL);
	}
	assert_int_equal(f->log.n, 0);
	/* exactly at the threshold counts; just below does not */
	for (int i = 0; i < 10; i++, ts += S) {
		struct ev e = sample(ts);

		e.resources.cpu_busy_pm = i % 2 ? 950 : 949;
		feed(f, &e);
	}
	assert_int_equal(f->log.n, 0);
	for (int i = 0; i < 5; i++, ts += S) {
		struct ev e = sample(ts);

		e.resources.cpu_busy_pm = 950;
		feed(f, &e);
	}
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 1);
}

static void test_cpu_rearm(void **state)
{
	struct res_fixture *f = *state;
	uint64_t ts = run(f, T0, 5, busy);

	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 1);
	ts = run(f, ts, 1, NULL); /* recovered */
	ts = run(f, ts, 4, busy);
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 1);
	/* a second run: within the dedup interval (10 s) of the first report it is
	 * held back and delivered, counted, when the interval ends */
	ts = run(f, ts, 1, busy);
	assert_int_equal(correlator_stats(f->c)->occurrences[CAUSE_CPU_SATURATED], 2);
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 1);
	{
		struct ev tick;

		memset(&tick, 0, sizeof(tick));
		tick.hdr.type = AEGIS_EV_TICK;
		tick.hdr.size = sizeof(tick.tick);
		tick.hdr.ts_ns = ts + 10 * S;
		feed(f, &tick);
	}
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 2);
	assert_int_equal(f->log.d[1].count, 2);
}

static void test_gap_ends_run(void **state)
{
	struct res_fixture *f = *state;
	uint64_t ts = run(f, T0, 3, busy);

	/* no sample for 10 s (the daemon was stopped, the host froze) */
	ts = run(f, ts + 10 * S, 4, busy);
	assert_int_equal(f->log.n, 0);
	run(f, ts, 1, busy);
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 1);
}

static void test_memory_used(void **state)
{
	struct res_fixture *f = *state;
	const struct diagnosis *d;
	uint64_t ts = run(f, T0, 4, mem_full);

	assert_int_equal(f->log.n, 0);
	run(f, ts, 1, mem_full);
	d = diag_only(&f->log, CAUSE_MEMORY_EXHAUSTED);
	assert_string_equal(cause_code(d->cause), "memory_exhausted");
	assert_non_null(strstr(d->summary, "98.0% used (threshold 95.0%)"));
	assert_non_null(strstr(d->summary, "available of 24 GiB"));
	assert_non_null(strstr(d->summary, "top: hog (pid 99) 20 GiB"));
	assert_int_equal(d->evidence[1].resources.mem_avail_kib, 24 * GIB / 50);
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 0);
}

static void test_memory_pressure(void **state)
{
	struct res_fixture *f = *state;
	const struct diagnosis *d;
	uint64_t ts = T0;

	/* a little pressure is normal */
	for (int i = 0; i < 10; i++, ts += S) {
		struct ev e = sample(ts);

		e.resources.psi_mem_full = 999;
		feed(f, &e);
	}
	assert_int_equal(f->log.n, 0);
	run(f, ts, 5, mem_pressure);
	d = diag_only(&f->log, CAUSE_MEMORY_EXHAUSTED);
	assert_non_null(strstr(d->summary, "PSI memory full avg10 25.50% (threshold 10.00%)"));
	assert_non_null(strstr(d->summary, "(below 95.0%)"));
}

static void test_memory_no_psi(void **state)
{
	struct res_fixture *f = *state;
	uint64_t ts = T0;

	/* no PSI at all (old kernel): memory alone decides */
	for (int i = 0; i < 5; i++, ts += S) {
		struct ev e = sample(ts);

		e.resources.psi_mem_full = e.resources.psi_mem_some = e.resources.psi_cpu_some =
			AEGIS_RES_ABSENT;
		mem_full(&e);
		feed(f, &e);
	}
	assert_int_equal(diag_count(&f->log, CAUSE_MEMORY_EXHAUSTED), 1);
	assert_null(strstr(f->log.d[0].summary, "PSI"));
}

static void test_starved(void **state)
{
	struct res_fixture *f = *state;
	const struct diagnosis *d;
	uint64_t ts = run(f, T0, 4, starved);

	assert_int_equal(f->log.n, 0);
	run(f, ts, 1, starved);
	d = diag_only(&f->log, CAUSE_AGENT_STARVED);
	assert_string_equal(cause_code(d->cause), "agent_starved");
	assert_int_equal(cause_severity(d->cause), SEV_WARNING);
	assert_string_equal(d->process, "agent");
	assert_true(d->primary);
	assert_non_null(strstr(d->summary, "p90 run-queue wait >= 131 ms (threshold 100 ms)"));
	assert_non_null(strstr(d->summary, "mean 120 ms"));
	assert_int_equal(d->evidence[1].resources.rq_hist[17], 20);
}

static void test_not_starved(void **state)
{
	struct res_fixture *f = *state;
	uint64_t ts = T0;

	/* 8% of the waits are long: the p90 is short */
	for (int i = 0; i < 20; i++, ts += S) {
		struct ev e = sample(ts);

		e.resources.rq_hist[3] = 92;
		e.resources.rq_hist[18] = 8;
		feed(f, &e);
	}
	assert_int_equal(f->log.n, 0);
	/* quiet seconds (no switch-in at all) and no histogram do not break a run */
	ts = run(f, ts, 3, starved);
	{
		struct ev e = sample(ts);

		memset(e.resources.rq_hist, 0, sizeof(e.resources.rq_hist));
		feed(f, &e);
		ts += S;
		e = sample(ts);
		e.resources.flags = 0;
		feed(f, &e);
		ts += S;
	}
	assert_int_equal(f->log.n, 0);
	run(f, ts, 1, starved);
	assert_int_equal(diag_count(&f->log, CAUSE_AGENT_STARVED), 1);
}

static void busy_starved(struct ev *e)
{
	busy(e);
	starved(e);
}

static void test_starved_explained_by_cpu(void **state)
{
	struct res_fixture *f = *state;
	const struct diagnosis *d;

	run(f, T0, 6, busy_starved);
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 1);
	d = diag_only(&f->log, CAUSE_AGENT_STARVED);
	assert_false(d->primary);
	assert_int_equal(d->explained_by, CAUSE_CPU_SATURATED);
	assert_non_null(strstr(d->summary, "(the host CPU is saturated)"));
}

static void test_thresholds_configurable(void **state)
{
	struct res_fixture *f = *state;

	correlator_free(f->c);
	f->cfg.res_window_ns = 2 * S;
	f->cfg.cpu_busy_pm = 500;
	f->cfg.mem_used_pm = 150;
	f->cfg.mem_psi_full = 0; /* off */
	f->cfg.starve_us = 8;
	f->c = correlator_new(&f->cfg, diag_log_collect, f);
	assert_non_null(f->c);
	run(f, T0, 2, mem_pressure); /* 20% used, 10% CPU, waits of 8 us */
	assert_int_equal(diag_count(&f->log, CAUSE_MEMORY_EXHAUSTED), 1);
	assert_int_equal(diag_count(&f->log, CAUSE_AGENT_STARVED), 1);
	assert_int_equal(diag_count(&f->log, CAUSE_CPU_SATURATED), 0);
	assert_null(strstr(f->log.d[0].summary, "PSI memory full avg10 25.50% (threshold"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cpu_sustained, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_brief_spike, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_rearm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_ends_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_used, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_pressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_no_psi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_starved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_starved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_starved_explained_by_cpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thresholds_configurable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
