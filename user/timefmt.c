/* Event time to wall-clock text. */
#include "timefmt.h"

#include <stdio.h>
#include <time.h>

#define NSEC 1000000000LL

static int64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

uint64_t clock_mono_ns(void)
{
	return (uint64_t)ts_ns(CLOCK_MONOTONIC);
}

void clockmap_init_now(struct clockmap *cm)
{
	/* bracket the realtime read to halve the error */
	int64_t m1 = ts_ns(CLOCK_MONOTONIC);
	int64_t r = ts_ns(CLOCK_REALTIME);
	int64_t m2 = ts_ns(CLOCK_MONOTONIC);

	cm->mono_to_real_ns = r - (m1 + (m2 - m1) / 2);
}

static void split(const struct clockmap *cm, uint64_t mono_ns, time_t *sec, int *msec)
{
	int64_t real;

	/* event times come from recordings too: clamp instead of overflowing */
	if (mono_ns > INT64_MAX ||
	    __builtin_add_overflow((int64_t)mono_ns, cm->mono_to_real_ns, &real))
		real = INT64_MAX;
	if (real < 0)
		real = 0;
	*sec = (time_t)(real / NSEC);
	*msec = (int)((real % NSEC) / 1000000);
}

void fmt_rfc3339(const struct clockmap *cm, uint64_t mono_ns, char *buf, size_t len)
{
	struct tm tm;
	time_t sec;
	int msec;

	split(cm, mono_ns, &sec, &msec);
	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
}

void fmt_clock(const struct clockmap *cm, uint64_t mono_ns, char *buf, size_t len)
{
	struct tm tm;
	time_t sec;
	int msec;

	split(cm, mono_ns, &sec, &msec);
	localtime_r(&sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
}
