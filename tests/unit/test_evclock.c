// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The event clock: time namespace offsets, /proc starttimes on the event
 * clock, and event times to wall-clock text (user/lib/timefmt.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "timefmt.h"

#define NSEC 1000000000LL

static int parse(const char *text, struct timens_offsets *o)
{
	return timens_parse(text, strlen(text), o);
}

static void test_timens_kernel_format(void **state)
{
	/* as the kernel writes it: "%-10s %10lld %9ld\n" */
	const char *text = "monotonic           0         0\n"
			   "boottime       100000         0\n";
	struct timens_offsets o;

	(void)state;
	assert_int_equal(parse(text, &o), 0);
	assert_int_equal(o.mono_ns, 0);
	assert_int_equal(o.boot_ns, 100000 * NSEC);
}

static void test_timens_signed_ids_and_nsec(void **state)
{
	struct timens_offsets o;

	(void)state;
	/* negative seconds, nanoseconds added; clocks by id (as written to it) */
	assert_int_equal(parse("1 -3600 250000000\n7 2 5\n", &o), 0);
	assert_int_equal(o.mono_ns, -3600 * NSEC + 250000000);
	assert_int_equal(o.boot_ns, 2 * NSEC + 5);
	/* no newline at the end, blank lines, tabs */
	assert_int_equal(parse("\n\tboottime\t1\t0", &o), 0);
	assert_int_equal(o.boot_ns, NSEC);
	assert_int_equal(o.mono_ns, 0);
	/* an empty file: no offsets */
	assert_int_equal(parse("", &o), 0);
	assert_int_equal(o.mono_ns, 0);
	assert_int_equal(o.boot_ns, 0);
	/* a clock a later kernel may add is no error, and changes nothing */
	assert_int_equal(parse("5 10 0\nmonotonic 3 0\n", &o), 0);
	assert_int_equal(o.mono_ns, 3 * NSEC);
	assert_int_equal(o.boot_ns, 0);
}

static void test_timens_bad(void **state)
{
	const char *bad[] = {
		"monotonic 1\n",                     /* two fields */
		"monotonic 1 0 0\n",                 /* four */
		"realtime 1 0\n",                    /* not a clock name */
		"-1 1 0\n",                          /* not a clock id */
		"boottime 1 1000000000\n",           /* nsec out of range */
		"boottime 1 -1\n",                   /* negative nsec */
		"boottime 1x 0\n",                   /* not a number */
		"boottime - 0\n",                    /* a sign alone */
		"boottime 99999999999999999999 0\n", /* past int64 */
		"boottime 9300000000 0\n",           /* fits, but not in ns */
		"boottime 100 0\nmonotonic oops 0\n",
	};
	struct timens_offsets o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.mono_ns = o.boot_ns = 42;
		assert_int_equal(parse(bad[i], &o), -EINVAL);
		/* nothing half-applied */
		assert_int_equal(o.mono_ns, 0);
		assert_int_equal(o.boot_ns, 0);
	}
}

/* The parser reads len bytes, never to a NUL past them. */
static void test_timens_len_bound(void **state)
{
	const char text[] = "boottime 5 0\nmonotonic 7 0\n";
	struct timens_offsets o;

	(void)state;
	assert_int_equal(timens_parse(text, 13, &o), 0); /* the first line alone */
	assert_int_equal(o.boot_ns, 5 * NSEC);
	assert_int_equal(o.mono_ns, 0);
	assert_int_equal(timens_parse(text, 12, &o), 0); /* without its newline */
	assert_int_equal(o.boot_ns, 5 * NSEC);
	assert_int_equal(timens_parse(text, 11, &o), -EINVAL); /* "boottime 5 ": a field short */
}

static void test_proc_start_boot(void **state)
{
	struct timens_offsets none = { 0, 0 }, ns = { .mono_ns = 0, .boot_ns = 100000 * NSEC };

	(void)state;
	/* ticks of 10 ms on the boot clock are the event clock as they are */
	assert_int_equal(proc_start_to_event_ns(12345, 100, true, &none, 0), 12345 * 10000000LL);
	/* in a time namespace the starttime carries its boot offset: taken off */
	assert_int_equal(proc_start_to_event_ns(12345 + 10000000ULL, 100, true, &ns, 0),
			 12345 * 10000000LL);
	/* a monotonic offset does not touch a boot-clock starttime */
	ns.mono_ns = 77 * NSEC;
	assert_int_equal(proc_start_to_event_ns(12345 + 10000000ULL, 100, true, &ns, 0),
			 12345 * 10000000LL);
	/* the time suspended only matters on the monotonic clock */
	assert_int_equal(proc_start_to_event_ns(500, 100, true, &none, 3 * NSEC), 5 * NSEC);
}

static void test_proc_start_mono(void **state)
{
	struct timens_offsets ns = { .mono_ns = -5 * NSEC, .boot_ns = 100000 * NSEC };

	(void)state;
	/* a process started 10 s after boot, then 4 s of suspend: 6 s on the
	 * monotonic clock... after the namespace's boot offset is taken off */
	assert_int_equal(proc_start_to_event_ns(1000 + 10000000ULL, 100, false, &ns, 4 * NSEC),
			 6 * NSEC);
	/* started before a suspend longer than its own start: unknown, not wrapped */
	assert_int_equal(proc_start_to_event_ns(1000, 100, false, &(struct timens_offsets){ 0, 0 },
						11 * NSEC),
			 0);
}

static void test_proc_start_unknown(void **state)
{
	struct timens_offsets none = { 0, 0 }, ahead = { 0, 100000 * NSEC };

	(void)state;
	assert_int_equal(proc_start_to_event_ns(100, 0, true, &none, 0), 0);   /* no tick rate */
	assert_int_equal(proc_start_to_event_ns(100, -1, true, &none, 0), 0);
	assert_int_equal(proc_start_to_event_ns(UINT64_MAX, 100, true, &none, 0), 0);
	assert_int_equal(proc_start_to_event_ns(INT64_MAX / 2, 100, true, &none, 0), 0);
	/* an offset larger than the start (a namespace made after it) */
	assert_int_equal(proc_start_to_event_ns(100, 100, true, &ahead, 0), 0);
}

static uint64_t read_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

/* Now on the event clock is the clock chosen; the wall clock mapping from it
 * gives the time of day. Run outside a time namespace (no offsets). */
static void test_clock_event_now(void **state)
{
	struct timens_offsets o;
	struct clockmap cm;
	char buf[RFC3339_LEN], want[RFC3339_LEN];
	uint64_t a, b, c;
	time_t now;
	struct tm tm;

	(void)state;
	if (timens_read(&o) || o.mono_ns || o.boot_ns)
		skip();
	assert_int_equal(clock_event_init(true), 0);
	assert_true(clock_event_is_boot());
	assert_string_equal(clock_event_name(), "boottime");
	a = read_ns(CLOCK_BOOTTIME);
	b = clock_event_ns();
	c = read_ns(CLOCK_BOOTTIME);
	assert_true(a <= b && b <= c);
	assert_int_equal(clock_event_from_proc_ticks(250, 100), 2500000000LL);

	clockmap_init_now(&cm);
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(want, sizeof(want), "%Y-%m-%dT%H:%M", &tm);
	fmt_rfc3339(&cm, clock_event_ns(), buf, sizeof(buf));
	assert_memory_equal(buf, want, strlen(want)); /* right to the minute */

	assert_int_equal(clock_event_init(false), 0);
	assert_string_equal(clock_event_name(), "monotonic");
	a = read_ns(CLOCK_MONOTONIC);
	b = clock_event_ns();
	c = read_ns(CLOCK_MONOTONIC);
	assert_true(a <= b && b <= c);
	/* the boot clock's starttime, less the time suspended: never after now */
	assert_true(clock_event_from_proc_ticks(read_ns(CLOCK_BOOTTIME) / 10000000, 100) <=
		    clock_event_ns());
	clock_event_init(true);
}

/* Whether /proc starttimes carry the namespace's boot offset, told by a
 * process 2 s old: 5.10 gives them without it, later kernels with it. */
static void test_proc_starts_offset(void **state)
{
	const int64_t off = 100000 * NSEC, boot_now = off + 500 * NSEC;

	(void)state;
	assert_true(proc_starts_offset(boot_now, boot_now - 2 * NSEC, off));        /* offset kept */
	assert_false(proc_starts_offset(boot_now, boot_now - off - 2 * NSEC, off)); /* 5.10: none */
	/* a negative offset (a namespace behind the host) likewise */
	assert_true(proc_starts_offset(1000 * NSEC, 998 * NSEC, -400 * NSEC));
	assert_false(proc_starts_offset(1000 * NSEC, 1398 * NSEC, -400 * NSEC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proc_starts_offset),
		cmocka_unit_test(test_timens_kernel_format),
		cmocka_unit_test(test_timens_signed_ids_and_nsec),
		cmocka_unit_test(test_timens_bad),
		cmocka_unit_test(test_timens_len_bound),
		cmocka_unit_test(test_proc_start_boot),
		cmocka_unit_test(test_proc_start_mono),
		cmocka_unit_test(test_proc_start_unknown),
		cmocka_unit_test(test_clock_event_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
