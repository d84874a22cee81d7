// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * /proc parsers of the resource causes: real kernel text and malformed text,
 * and the arithmetic of a sample (busy share, memory used, run-queue
 * percentiles).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ev.h"
#include "resources.h"
#include "sink.h"

#define P(s) (s), strlen(s)

static void test_cpu_real(void **state)
{
	/* /proc/stat of a 6.x kernel, two CPUs */
	const char *text = "cpu  10132153 290696 3084719 46828483 16683 0 25195 7 0 0\n"
			   "cpu0 1393280 32966 572056 13074644 6148 0 8920 0 0 0\n"
			   "intr 199292 0 4 0\n";
	struct cpu_times t;

	(void)state;
	assert_int_equal(res_parse_cpu(P(text), &t), 0);
	assert_int_equal(t.busy, 10132153ULL + 290696 + 3084719 + 0 + 25195 + 7);
	assert_int_equal(t.total, t.busy + 46828483ULL + 16683);
}

static void test_cpu_old_and_bad(void **state)
{
	struct cpu_times t;

	(void)state;
	/* four fields (2.4 kernels): still a reading */
	assert_int_equal(res_parse_cpu(P("cpu  1 2 3 4\n"), &t), 0);
	assert_int_equal(t.busy, 6);
	assert_int_equal(t.total, 10);
	/* no trailing newline, cut in the middle of the line */
	assert_int_equal(res_parse_cpu(P("cpu  1 2 3 4 5 6"), &t), 0);
	assert_int_equal(res_parse_cpu(P("cpu0 1 2 3 4 5\n"), &t), -1);
	assert_int_equal(res_parse_cpu(P("cpu  1 2 3\n"), &t), -1);
	assert_int_equal(res_parse_cpu(P("cpu  1 2 x 4 5\n"), &t), -1);
	assert_int_equal(res_parse_cpu(P("cpu  1 2 -3 4 5\n"), &t), -1);
	assert_int_equal(res_parse_cpu(P("cpu  99999999999999999999 2 3 4\n"), &t), -1);
	assert_int_equal(res_parse_cpu(P("cpu  18446744073709551615 18446744073709551615 1 1\n"), &t), -1);
	assert_int_equal(t.busy, 0);
	assert_int_equal(res_parse_cpu(P(""), &t), -1);
	assert_int_equal(res_parse_cpu(P("cpu"), &t), -1);
}

static void test_busy_pm(void **state)
{
	struct cpu_times a = { 100, 1000 }, b = { 1050, 2000 }, same = a, back = { 50, 900 };

	(void)state;
	assert_int_equal(res_busy_pm(&a, &b), 950);
	assert_int_equal(res_busy_pm(&a, &same), 0);
	assert_int_equal(res_busy_pm(&a, &back), 0);
	b.busy = 5000; /* more busy than elapsed: capped */
	assert_int_equal(res_busy_pm(&a, &b), 1000);
}

static void test_meminfo_real(void **state)
{
	const char *text = "MemTotal:       24683656 kB\n"
			   "MemFree:        23964080 kB\n"
			   "MemAvailable:   23759848 kB\n"
			   "Buffers:           12345 kB\n"
			   "HugePages_Total:       0\n";
	struct meminfo m;

	(void)state;
	assert_int_equal(res_parse_meminfo(P(text), &m), 0);
	assert_int_equal(m.total_kib, 24683656);
	assert_int_equal(m.avail_kib, 23759848);
	assert_int_equal(res_mem_used_pm(m.total_kib, m.avail_kib), 37);
	assert_int_equal(res_mem_used_pm(1000, 50), 950);
	assert_int_equal(res_mem_used_pm(1000, 51), 949); /* floor: 94.9% is not 95% */
	assert_int_equal(res_mem_used_pm(0, 0), 0);
	assert_int_equal(res_mem_used_pm(10, 20), 0);
}

static void test_meminfo_bad(void **state)
{
	struct meminfo m;

	(void)state;
	/* before 3.14: no MemAvailable */
	assert_int_equal(res_parse_meminfo(P("MemTotal: 100 kB\nMemFree: 50 kB\n"), &m), -1);
	assert_int_equal(res_parse_meminfo(P("MemTotal: 100 kB\nMemAvailable: 200 kB\n"), &m), -1);
	assert_int_equal(res_parse_meminfo(P("MemTotal: 0 kB\nMemAvailable: 0 kB\n"), &m), -1);
	assert_int_equal(res_parse_meminfo(P("MemTotal: 10x kB\nMemAvailable: 1 kB\n"), &m), -1);
	assert_int_equal(res_parse_meminfo(P("MemTotal: 100 MB\nMemAvailable: 1 kB\n"), &m), -1);
	assert_int_equal(res_parse_meminfo(P("MemTotal:\nMemAvailable: 1 kB\n"), &m), -1);
	assert_int_equal(res_parse_meminfo(P("MemTotal: 99999999999999999999 kB\nMemAvailable: 1 kB\n"), &m), -1);
	assert_int_equal(m.total_kib, 0);
	/* cut after MemAvailable's number: still whole figures */
	assert_int_equal(res_parse_meminfo(P("MemTotal: 100 kB\nMemAvailable: 7"), &m), 0);
	assert_int_equal(m.avail_kib, 7);
}

static void test_psi(void **state)
{
	const char *mem = "some avg10=12.34 avg60=1.00 avg300=0.20 total=123456\n"
			  "full avg10=5.06 avg60=0.50 avg300=0.10 total=65432\n";
	struct psi p;

	(void)state;
	assert_int_equal(res_parse_psi(P(mem), &p), 0);
	assert_int_equal(p.some_avg10, 1234);
	assert_int_equal(p.full_avg10, 506);
	/* the cpu file of kernels before 5.13: no full line */
	assert_int_equal(res_parse_psi(P("some avg10=100.00 avg60=0.00 avg300=0.00 total=1\n"), &p), 0);
	assert_int_equal(p.some_avg10, 10000);
	assert_int_equal(p.full_avg10, AEGIS_RES_ABSENT);
	/* one decimal still reads as hundredths */
	assert_int_equal(res_parse_psi(P("some avg10=7.5 avg60=0\n"), &p), 0);
	assert_int_equal(p.some_avg10, 750);

	assert_int_equal(res_parse_psi(P("some avg10=100.01 avg60=0\n"), &p), -1);
	assert_int_equal(res_parse_psi(P("some avg10=1e3 avg60=0\n"), &p), -1);
	assert_int_equal(res_parse_psi(P("some avg10=-1.00\n"), &p), -1);
	assert_int_equal(res_parse_psi(P("some avg60=1.00\n"), &p), -1);
	assert_int_equal(res_parse_psi(P("full avg10=1.00\n"), &p), -1); /* some is required */
	assert_int_equal(res_parse_psi(P("bogus\n"), &p), -1);
	assert_int_equal(res_parse_psi(P("some avg10=1.\n"), &p), -1);
	assert_int_equal(res_parse_psi(P(""), &p), -1);
	assert_int_equal(p.some_avg10, AEGIS_RES_ABSENT);
}

static void test_loadavg(void **state)
{
	uint32_t l;

	(void)state;
	assert_int_equal(res_parse_loadavg(P("0.66 0.50 0.40 1/234 5678\n"), &l), 0);
	assert_int_equal(l, 66);
	assert_int_equal(res_parse_loadavg(P("12.5 1 1 1/1 1\n"), &l), 0);
	assert_int_equal(l, 1250);
	assert_int_equal(res_parse_loadavg(P("x 1\n"), &l), -1);
	assert_int_equal(res_parse_loadavg(P("1.x\n"), &l), -1);
	assert_int_equal(res_parse_loadavg(P("1.\n"), &l), -1);
}

static void test_pid_stat(void **state)
{
	const char *text = "4242 (Ali YunDun) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 "
			   "250 75 0 0 20 0 4 0 98765 123456789 456 18446744073709551615 1 1\n";
	struct proc_usage u;
	uint64_t rss;

	(void)state;
	assert_int_equal(res_parse_pid_stat(P(text), &u), 0);
	assert_int_equal(u.ticks, 325);
	assert_int_equal(u.start_ticks, 98765);
	assert_string_equal(u.comm, "Ali YunDun) x");
	/* cut before starttime, garbage in utime, no ')' */
	assert_int_equal(res_parse_pid_stat(P("1 (a) S 1 1 1 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0\n"), &u), -1);
	assert_int_equal(res_parse_pid_stat(P("1 (a) S 1 1 1 0 -1 0 0 0 0 0 x 5 0 0 20 0 1 0 7\n"), &u), -1);
	assert_int_equal(res_parse_pid_stat(P("1 (a S 1 1 1\n"), &u), -1);
	assert_int_equal(res_parse_pid_stat(P("1 (a)"), &u), -1);
	assert_int_equal(u.ticks, 0);

	assert_int_equal(res_parse_statm(P("12345 678 90 1 0 100 0\n"), &rss), 0);
	assert_int_equal(rss, 678);
	assert_int_equal(res_parse_statm(P("10 20 1 1 0 1 0\n"), &rss), -1); /* rss > size */
	assert_int_equal(res_parse_statm(P("10\n"), &rss), -1);
	assert_int_equal(res_parse_statm(P("a b\n"), &rss), -1);
}

static void test_rq_percentiles(void **state)
{
	__u64 h[AEGIS_RQ_SLOTS] = { 0 };

	(void)state;
	assert_int_equal(res_rq_percentile_us(h, 90), 0);
	assert_int_equal(res_rq_count(h), 0);
	h[3] = 85;  /* 8-15 us */
	h[14] = 10; /* 16.4-32.8 ms */
	h[17] = 5;  /* 131-262 ms */
	assert_int_equal(res_rq_count(h), 100);
	assert_int_equal(res_rq_percentile_us(h, 50), 8);
	assert_int_equal(res_rq_percentile_us(h, 85), 8);
	assert_int_equal(res_rq_percentile_us(h, 90), 16384);
	assert_int_equal(res_rq_percentile_us(h, 99), 131072);
	assert_int_equal(res_rq_percentile_us(h, 100), 131072);
	assert_int_equal(res_rq_at_least(h, 10000), 15);
	assert_int_equal(res_rq_at_least(h, 16384), 15);
	assert_int_equal(res_rq_at_least(h, 16385), 5);
	assert_int_equal(res_rq_slot_low_us(0), 0);
	assert_int_equal(res_rq_slot_low_us(1), 2);
}

/* The p90 against the threshold: exact from the kernel's count of waits at or
 * above it, by slot only without one (a slot's lower bound under the
 * threshold hides waits between the two). */
static void test_rq_percentile_against_threshold(void **state)
{
	struct aegis_resources r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_false(res_rq_percentile_at_least(&r, 90, 100000));
	r.rq_hist[16] = 16; /* 65.5-131 ms: about 119 ms each */
	assert_false(res_rq_percentile_at_least(&r, 90, 100000)); /* by slot: 65 ms */
	r.flags = AEGIS_RES_OVER;
	r.rq_threshold_us = 100000;
	r.rq_over = 9;
	assert_true(res_rq_percentile_at_least(&r, 90, 100000));
	/* p90 of 16 is the 15th smallest: 2 waits over it make it over */
	r.rq_over = 2;
	assert_true(res_rq_percentile_at_least(&r, 90, 100000));
	r.rq_over = 1;
	assert_false(res_rq_percentile_at_least(&r, 90, 100000));
	/* a count larger than the waits (read apart per CPU) is bounded */
	r.rq_over = 40;
	assert_true(res_rq_percentile_at_least(&r, 90, 100000));
	/* counted against another threshold (a replay with its own): by slot */
	r.rq_over = 16;
	assert_false(res_rq_percentile_at_least(&r, 90, 120000));
	assert_true(res_rq_percentile_at_least(&r, 90, 65536));
}

/* The resources event as --events and the evidence print it; and decoded
 * from a raw record (a replay). */
static void test_event_json_and_decode(void **state)
{
	struct clockmap cm = { 0 };
	struct ev e, back;
	struct jw w;
	char buf[4096];

	(void)state;
	memset(&e, 0, sizeof(e));
	e.resources.hdr.type = AEGIS_EV_RESOURCES;
	e.resources.hdr.size = sizeof(e.resources);
	e.resources.hdr.ts_ns = 5000000000ULL;
	e.resources.interval_ms = 1000;
	e.resources.ncpu = 2;
	e.resources.cpu_busy_pm = 987;
	e.resources.load1_centi = 205;
	e.resources.mem_total_kib = 1000;
	e.resources.mem_avail_kib = 40;
	e.resources.psi_cpu_some = 5;
	e.resources.psi_mem_some = 1234;
	e.resources.psi_mem_full = AEGIS_RES_ABSENT;
	e.resources.agent_procs = 1;
	e.resources.agent_cpu_pm = 12;
	e.resources.agent_rss_kib = 4096;
	e.resources.flags = AEGIS_RES_HIST | AEGIS_RES_TOP_CPU;
	e.resources.rq_hist[2] = 9;
	e.resources.rq_hist[16] = 1;
	e.resources.rq_sum_ns = 70000000;
	e.resources.top_cpu[0] = (struct aegis_res_proc){ .pid = 7, .cpu_pm = 995, .comm = "spin\x1b" };

	assert_int_equal(ev_decode(&e, sizeof(e.resources), &back), 0);
	assert_int_equal(back.resources.cpu_busy_pm, 987);
	assert_int_equal(back.resources.rq_hist[16], 1);
	assert_string_equal(ev_type_name(AEGIS_EV_RESOURCES), "resources");
	assert_int_equal(ev_decode(&e, sizeof(e.resources) - 1, &back), -1);

	jw_init(&w, buf, sizeof(buf));
	jw_obj_begin(&w);
	json_event_fields(&w, &cm, &back);
	jw_obj_end(&w);
	assert_false(w.overflow);
	assert_non_null(strstr(buf, "\"type\":\"resources\",\"interval_ms\":1000,\"ncpu\":2,"
				    "\"cpu_busy_pct\":98.7,\"load1\":2.05,\"mem_total_kib\":1000,"
				    "\"mem_available_kib\":40,\"mem_used_pct\":96.0,"
				    "\"psi_cpu_some_avg10\":0.05,\"psi_memory_some_avg10\":12.34,"
				    "\"psi_memory_full_avg10\":null,\"agent_processes\":1,"
				    "\"agent_cpu_pct\":1.2,\"agent_rss_kib\":4096,"));
	assert_non_null(strstr(buf, "\"runq\":{\"count\":10,\"mean_us\":7000,\"p50_us\":4,"
				    "\"p90_us\":4,\"p99_us\":65536,\"max_us\":65536,"
				    "\"hist_log2_us\":[0,0,9,0,0,0,0,0,0,0,0,0,0,0,0,0,1]}"));
	assert_non_null(strstr(buf, "\"top_cpu\":[{\"pid\":7,\"comm\":\"spin\\u001b\",\"cpu_pct\":99.5,"));
	assert_null(strstr(buf, "top_rss"));
	assert_null(strstr(buf, "\"pid\":0"));
}

static void test_schedstat(void **state)
{
	uint64_t delay, slices;

	(void)state;
	assert_int_equal(res_parse_schedstat(P("81234567 2500000 41\n"), &delay, &slices), 0);
	assert_int_equal(delay, 2500000);
	assert_int_equal(slices, 41);
	/* two fields, a sign, garbage: refused, and nothing left behind */
	assert_int_equal(res_parse_schedstat(P("1 2\n"), &delay, &slices), -1);
	assert_int_equal(delay + slices, 0);
	assert_int_equal(res_parse_schedstat(P("1 -2 3\n"), &delay, &slices), -1);
	assert_int_equal(res_parse_schedstat(P("x y z"), &delay, &slices), -1);
	/* only len bytes: "1 2 3" cut before its last field */
	assert_int_equal(res_parse_schedstat("1 2 3", 4, &delay, &slices), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_real),
		cmocka_unit_test(test_cpu_old_and_bad),
		cmocka_unit_test(test_busy_pm),
		cmocka_unit_test(test_meminfo_real),
		cmocka_unit_test(test_meminfo_bad),
		cmocka_unit_test(test_psi),
		cmocka_unit_test(test_loadavg),
		cmocka_unit_test(test_pid_stat),
		cmocka_unit_test(test_schedstat),
		cmocka_unit_test(test_rq_percentiles),
		cmocka_unit_test(test_rq_percentile_against_threshold),
		cmocka_unit_test(test_event_json_and_decode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
