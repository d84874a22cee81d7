// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Parsers of /proc/stat, /proc/meminfo, /proc/pressure/{cpu,memory}, /proc/loadavg and
 * /proc/<pid>/stat|statm. Every one reads at most len bytes, needs no NUL,
 * and rejects what does not look like the kernel's text. */
#include "resources.h"

#include <string.h>

#define U64_MAX_DIV10 (UINT64_MAX / 10)

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* An unsigned decimal at *p; advances *p. -1 if none or it overflows. */
static int take_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || !is_digit(*s))
		return -1;
	for (; s < end && is_digit(*s); s++) {
		if (v > U64_MAX_DIV10 || (v == U64_MAX_DIV10 && (uint64_t)(*s - '0') > UINT64_MAX % 10))
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

static void skip_spaces(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* "12.34" -> 1234 (hundredths); at most two decimals are kept, at most 100.00. */
static int take_centi(const char **p, const char *end, int32_t *out)
{
	uint64_t whole, frac = 0;
	int digits = 0;

	if (take_u64(p, end, &whole) || whole > 100)
		return -1;
	if (*p < end && **p == '.') {
		(*p)++;
		if (*p >= end || !is_digit(**p))
			return -1;
		for (; *p < end && is_digit(**p); (*p)++, digits++)
			if (digits < 2)
				frac = frac * 10 + (uint64_t)(**p - '0');
		if (digits == 1)
			frac *= 10;
	}
	if (whole * 100 + frac > 10000)
		return -1;
	*out = (int32_t)(whole * 100 + frac);
	return 0;
}

/* The line starting at p: its end (the '\n' or end). */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl : end;
}

int res_parse_cpu(const char *buf, size_t len, struct cpu_times *out)
{
	const char *p = buf, *end = buf + len, *eol;
	uint64_t v[8] = { 0 };
	unsigned n = 0;

	memset(out, 0, sizeof(*out));
	if (len < 4 || memcmp(buf, "cpu ", 4) != 0)
		return -1;
	p += 4;
	eol = line_end(p, end);
	/* user nice system idle iowait irq softirq steal [guest guest_nice]:
	 * guest time is already inside user and nice */
	while (n < 8) {
		skip_spaces(&p, eol);
		if (p >= eol)
			break;
		if (take_u64(&p, eol, &v[n]))
			return -1;
		n++;
	}
	if (n < 4) /* before 2.6 there were four; fewer is not /proc/stat */
		return -1;
	skip_spaces(&p, eol);
	while (p < eol) { /* guest fields: numbers only */
		uint64_t ignored;

		if (take_u64(&p, eol, &ignored))
			return -1;
		skip_spaces(&p, eol);
	}
	/* steal counts as busy: the hypervisor gave the time to someone else */
	out->busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
	out->total = out->busy + v[3] + v[4];
	if (out->total < out->busy) { /* wrapped: not the kernel's numbers */
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

/* "Key:   1234 kB" */
static int meminfo_value(const char *p, const char *eol, uint64_t *out)
{
	skip_spaces(&p, eol);
	if (take_u64(&p, eol, out))
		return -1;
	skip_spaces(&p, eol);
	if (p < eol && !(eol - p == 2 && memcmp(p, "kB", 2) == 0))
		return -1;
	if (*out > UINT64_MAX / 1024)
		return -1;
	return 0;
}

int res_parse_meminfo(const char *buf, size_t len, struct meminfo *out)
{
	const char *p = buf, *end = buf + len;
	bool have_total = false, have_avail = false;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *eol = line_end(p, end);
		size_t l = (size_t)(eol - p);

		if (l > 9 && memcmp(p, "MemTotal:", 9) == 0) {
			if (meminfo_value(p + 9, eol, &out->total_kib))
				goto bad;
			have_total = true;
		} else if (l > 13 && memcmp(p, "MemAvailable:", 13) == 0) {
			if (meminfo_value(p + 13, eol, &out->avail_kib))
				goto bad;
			have_avail = true;
		}
		p = eol < end ? eol + 1 : end;
	}
	/* MemAvailable exists since 3.14; without it there is no honest figure */
	if (!have_total || !have_avail || out->total_kib == 0 || out->avail_kib > out->total_kib)
		goto bad;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

/* "some avg10=1.23 avg60=... avg300=... total=..." -> avg10 */
static int psi_line(const char *p, const char *eol, int32_t *avg10)
{
	skip_spaces(&p, eol);
	if (eol - p < 6 || memcmp(p, "avg10=", 6) != 0)
		return -1;
	p += 6;
	if (take_centi(&p, eol, avg10))
		return -1;
	if (p < eol && *p != ' ')
		return -1;
	return 0;
}

int res_parse_psi(const char *buf, size_t len, struct psi *out)
{
	const char *p = buf, *end = buf + len;

	out->some_avg10 = out->full_avg10 = AEGIS_RES_ABSENT;
	while (p < end) {
		const char *eol = line_end(p, end);
		size_t l = (size_t)(eol - p);

		if (l >= 5 && memcmp(p, "some ", 5) == 0) {
			if (psi_line(p + 5, eol, &out->some_avg10))
				goto bad;
		} else if (l >= 5 && memcmp(p, "full ", 5) == 0) {
			if (psi_line(p + 5, eol, &out->full_avg10))
				goto bad;
		} else if (l > 0) {
			goto bad;
		}
		p = eol < end ? eol + 1 : end;
	}
	if (out->some_avg10 < 0)
		goto bad;
	return 0;
bad:
	out->some_avg10 = out->full_avg10 = AEGIS_RES_ABSENT;
	return -1;
}

int res_parse_loadavg(const char *buf, size_t len, uint32_t *load1_centi)
{
	const char *p = buf, *end = buf + len;
	uint64_t whole, frac = 0;
	int digits = 0;

	*load1_centi = 0;
	if (take_u64(&p, end, &whole) || whole > 10000000)
		return -1;
	if (p < end && *p == '.') {
		p++;
		for (; p < end && is_digit(*p); p++, digits++)
			if (digits < 2)
				frac = frac * 10 + (uint64_t)(*p - '0');
		if (digits == 0)
			return -1;
		if (digits == 1)
			frac *= 10;
	}
	if (p < end && *p != ' ' && *p != '\n')
		return -1;
	*load1_centi = (uint32_t)(whole * 100 + frac);
	return 0;
}

int res_parse_pid_stat(const char *buf, size_t len, struct proc_usage *out)
{
	const char *open_paren, *close_paren = NULL, *p, *end = buf + len;
	uint64_t utime = 0, stime = 0;
	size_t clen;

	memset(out, 0, sizeof(*out));
	open_paren = memchr(buf, '(', len);
	if (!open_paren)
		return -1;
	/* comm may hold ')' and spaces: it ends at the last ')' */
	for (p = end; p > open_paren + 1; p--)
		if (p[-1] == ')') {
			close_paren = p - 1;
			break;
		}
	if (!close_paren)
		return -1;
	clen = (size_t)(close_paren - open_paren - 1);
	if (clen >= sizeof(out->comm))
		clen = sizeof(out->comm) - 1;
	memcpy(out->comm, open_paren + 1, clen);

	/* after comm: 3 state, 4 ppid, ... 14 utime, 15 stime, ... 22 starttime */
	p = close_paren + 1;
	for (int field = 3; field <= 22; field++) {
		uint64_t v = 0;

		if (p >= end || *p != ' ')
			goto bad;
		p++;
		if (field == 3) { /* one letter */
			if (p >= end || *p == ' ' || *p == '\n')
				goto bad;
			p++;
			continue;
		}
		if (p < end && *p == '-') /* tty_pgrp, nice, ... may be negative */
			p++;
		if (take_u64(&p, end, &v))
			goto bad;
		if (field == 14)
			utime = v;
		else if (field == 15)
			stime = v;
		else if (field == 22)
			out->start_ticks = v;
	}
	if (utime + stime < utime)
		goto bad;
	out->ticks = utime + stime;
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -1;
}

int res_parse_statm(const char *buf, size_t len, uint64_t *rss_pages)
{
	const char *p = buf, *end = buf + len;
	uint64_t size;

	*rss_pages = 0;
	if (take_u64(&p, end, &size) || p >= end || *p != ' ')
		return -1;
	p++;
	if (take_u64(&p, end, rss_pages) || *rss_pages > size) {
		*rss_pages = 0;
		return -1;
	}
	return 0;
}

int res_parse_schedstat(const char *buf, size_t len, uint64_t *run_delay_ns, uint64_t *slices)
{
	const char *p = buf, *end = buf + len;
	uint64_t oncpu;

	*run_delay_ns = *slices = 0;
	if (take_u64(&p, end, &oncpu) || p >= end || *p++ != ' ' ||
	    take_u64(&p, end, run_delay_ns) || p >= end || *p++ != ' ' || take_u64(&p, end, slices)) {
		*run_delay_ns = *slices = 0;
		return -1;
	}
	return 0;
}

uint32_t res_busy_pm(const struct cpu_times *prev, const struct cpu_times *now)
{
	uint64_t dt, db;

	if (now->total <= prev->total || now->busy < prev->busy)
		return 0;
	dt = now->total - prev->total;
	db = now->busy - prev->busy;
	if (db > dt)
		db = dt;
	return (uint32_t)((db * 1000 + dt / 2) / dt);
}

uint32_t res_mem_used_pm(uint64_t total_kib, uint64_t avail_kib)
{
	if (!total_kib || avail_kib > total_kib)
		return 0;
	/* floor: "95% used" means at least 95% */
	return (uint32_t)((total_kib - avail_kib) * 1000 / total_kib);
}

uint64_t res_rq_slot_low_us(unsigned slot)
{
	return slot == 0 ? 0 : slot < 64 ? 1ULL << slot : UINT64_MAX;
}

uint64_t res_rq_count(const __u64 hist[AEGIS_RQ_SLOTS])
{
	uint64_t n = 0;

	for (unsigned i = 0; i < AEGIS_RQ_SLOTS; i++)
		n += hist[i];
	return n;
}

uint64_t res_rq_percentile_us(const __u64 hist[AEGIS_RQ_SLOTS], unsigned pct)
{
	uint64_t n = res_rq_count(hist), seen = 0, want;

	if (!n)
		return 0;
	if (pct > 100)
		pct = 100;
	/* the smallest slot where at least pct% of the waits are at or below it */
	want = (n * pct + 99) / 100;
	if (want == 0)
		want = 1;
	for (unsigned i = 0; i < AEGIS_RQ_SLOTS; i++) {
		seen += hist[i];
		if (seen >= want)
			return res_rq_slot_low_us(i);
	}
	return res_rq_slot_low_us(AEGIS_RQ_SLOTS - 1);
}

bool res_rq_percentile_at_least(const struct aegis_resources *s, unsigned pct, uint64_t thr_us)
{
	uint64_t n = res_rq_count(s->rq_hist), want;

	if (!n)
		return false;
	if (!(s->flags & AEGIS_RES_OVER) || s->rq_threshold_us != thr_us)
		return res_rq_percentile_us(s->rq_hist, pct) >= thr_us;
	if (pct > 100)
		pct = 100;
	want = (n * pct + 99) / 100;
	if (want == 0)
		want = 1;
	/* the over count is per CPU and read apart from the slots: bounded by n */
	return (s->rq_over < n ? n - s->rq_over : 0) < want;
}

uint64_t res_rq_at_least(const __u64 hist[AEGIS_RQ_SLOTS], uint64_t min_us)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < AEGIS_RQ_SLOTS; i++)
		if (res_rq_slot_low_us(i) >= min_us)
			n += hist[i];
	return n;
}
