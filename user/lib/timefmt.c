// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The event clock, and event times to wall-clock text. */
#include "timefmt.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"

#define NSEC 1000000000LL
#define TIMENS_CLOCK_MONOTONIC 1 /* the clock ids timens_offsets may name */
#define TIMENS_CLOCK_BOOTTIME 7

static int64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* ---- time namespace offsets ---- */

/* One token of [*p, end) after blanks: its bounds, or false at the line's end. */
static bool next_token(const char **p, const char *end, const char **tok, size_t *n)
{
	const char *s = *p;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	*tok = s;
	while (s < end && *s != ' ' && *s != '\t' && *s != '\n')
		s++;
	*n = (size_t)(s - *tok);
	*p = s;
	return *n > 0;
}

/* A decimal integer, optionally signed, that fits int64_t. */
static bool parse_int(const char *tok, size_t n, int64_t *out)
{
	bool neg = false;
	int64_t v = 0;
	size_t i = 0;

	if (n && (tok[0] == '-' || tok[0] == '+'))
		neg = tok[i++] == '-';
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (tok[i] < '0' || tok[i] > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, neg ? -(tok[i] - '0') : tok[i] - '0', &v))
			return false;
	}
	*out = v;
	return true;
}

/* Which clock a line names: 1 monotonic, 7 boottime, 0 another one (kept
 * for a later kernel's), -1 not a clock. */
static int clock_of(const char *tok, size_t n)
{
	int64_t id;

	if (n == 9 && !memcmp(tok, "monotonic", 9))
		return TIMENS_CLOCK_MONOTONIC;
	if (n == 8 && !memcmp(tok, "boottime", 8))
		return TIMENS_CLOCK_BOOTTIME;
	if (!parse_int(tok, n, &id) || id < 0)
		return -1;
	return id == TIMENS_CLOCK_MONOTONIC || id == TIMENS_CLOCK_BOOTTIME ? (int)id : 0;
}

/* One line "<clock> <sec> <nsec>" of [p, end) into out. */
static int parse_line(const char *p, const char *end, struct timens_offsets *out)
{
	const char *tok;
	size_t n;
	int64_t sec, nsec, ns;
	int clock;

	if (!next_token(&p, end, &tok, &n) || (clock = clock_of(tok, n)) < 0)
		return -EINVAL;
	if (!next_token(&p, end, &tok, &n) || !parse_int(tok, n, &sec))
		return -EINVAL;
	if (!next_token(&p, end, &tok, &n) || !parse_int(tok, n, &nsec) || nsec < 0 ||
	    nsec >= NSEC)
		return -EINVAL;
	if (next_token(&p, end, &tok, &n))
		return -EINVAL; /* more than three fields */
	if (__builtin_mul_overflow(sec, NSEC, &ns) || __builtin_add_overflow(ns, nsec, &ns))
		return -EINVAL;
	if (clock == TIMENS_CLOCK_MONOTONIC)
		out->mono_ns = ns;
	else if (clock == TIMENS_CLOCK_BOOTTIME)
		out->boot_ns = ns;
	return 0;
}

int timens_parse(const char *text, size_t len, struct timens_offsets *out)
{
	const char *p = text, *end = text + len;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *q = p;

		while (q < le && (*q == ' ' || *q == '\t'))
			q++;
		if (q < le && parse_line(q, le, out)) { /* blank lines are nothing */
			memset(out, 0, sizeof(*out));
			return -EINVAL;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

int timens_read(struct timens_offsets *out)
{
	char buf[512];
	ssize_t n;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	fd = open("/proc/self/timens_offsets", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* before 5.6, or no time namespaces */
	n = read(fd, buf, sizeof(buf));
	rc = n < 0 ? -errno : n == (ssize_t)sizeof(buf) ? -EFBIG : 0;
	close(fd);
	return rc ? rc : timens_parse(buf, (size_t)n, out);
}

/* ---- the event clock ---- */

static struct {
	bool boot;
	struct timens_offsets off;
	int64_t proc_boot_ns; /* the boot offset /proc/PID/stat starttimes carry */
} evclock = { .boot = true };

bool proc_starts_offset(int64_t boot_now_ns, int64_t self_start_ns, int64_t boot_off_ns)
{
	int64_t with = boot_now_ns - self_start_ns;         /* our age, if the start is offset */
	int64_t without = with - boot_off_ns;               /* our age, if it is not */

	return llabs(with) <= llabs(without);
}

int clock_event_init(bool boot)
{
	struct proc_stat self;
	long tck = sysconf(_SC_CLK_TCK);
	int rc;

	evclock.boot = boot;
	rc = timens_read(&evclock.off);
	/*
	 * Kernels before 5.11 or so give /proc/PID/stat starttimes without the
	 * time namespace's boot offset, later ones with it (as /proc/uptime
	 * and CLOCK_BOOTTIME have it): our own start tells which, as we started
	 * moments ago. Without an offset there is nothing to tell.
	 */
	evclock.proc_boot_ns = evclock.off.boot_ns;
	if (evclock.off.boot_ns && tck > 0 && !proc_read_stat(getpid(), &self) &&
	    !proc_starts_offset(ts_ns(CLOCK_BOOTTIME), (int64_t)self.starttime_ticks * (NSEC / tck),
				evclock.off.boot_ns))
		evclock.proc_boot_ns = 0;
	return rc;
}

bool clock_event_is_boot(void)
{
	return evclock.boot;
}

const char *clock_event_name(void)
{
	return evclock.boot ? "boottime" : "monotonic";
}

uint64_t clock_event_ns(void)
{
	if (evclock.boot)
		return (uint64_t)(ts_ns(CLOCK_BOOTTIME) - evclock.off.boot_ns);
	return (uint64_t)(ts_ns(CLOCK_MONOTONIC) - evclock.off.mono_ns);
}

uint64_t proc_start_to_event_ns(uint64_t ticks, long clk_tck, bool boot,
				const struct timens_offsets *off, int64_t suspended_ns)
{
	int64_t ns;

	if (clk_tck <= 0 || clk_tck > NSEC || ticks > INT64_MAX ||
	    __builtin_mul_overflow((int64_t)ticks, NSEC / clk_tck, &ns) ||
	    __builtin_sub_overflow(ns, off->boot_ns, &ns) ||
	    (!boot && __builtin_sub_overflow(ns, suspended_ns, &ns)) || ns <= 0)
		return 0;
	return (uint64_t)ns;
}

uint64_t clock_event_from_proc_ticks(uint64_t ticks, long clk_tck)
{
	struct timens_offsets proc_off = { .boot_ns = evclock.proc_boot_ns, .mono_ns = evclock.off.mono_ns };
	int64_t suspended = 0;

	if (!evclock.boot) /* host boot - host monotonic: the time suspended so far */
		suspended = (ts_ns(CLOCK_BOOTTIME) - evclock.off.boot_ns) -
			    (ts_ns(CLOCK_MONOTONIC) - evclock.off.mono_ns);
	return proc_start_to_event_ns(ticks, clk_tck, evclock.boot, &proc_off, suspended);
}

/* ---- to wall-clock time ---- */

void clockmap_init_now(struct clockmap *cm)
{
	/* bracket the realtime read to halve the error */
	int64_t m1 = (int64_t)clock_event_ns();
	int64_t r = ts_ns(CLOCK_REALTIME);
	int64_t m2 = (int64_t)clock_event_ns();

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
