/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Host resources from /proc: parsers of text buffers (pure, fuzzed) and the
 * arithmetic of one sample. The file I/O is in res_sample.c.
 */
#ifndef AEGISMON_RESOURCES_H
#define AEGISMON_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

/* The aggregate "cpu" line of /proc/stat, in clock ticks. */
struct cpu_times {
	uint64_t busy;  /* user nice system irq softirq steal */
	uint64_t total; /* busy + idle + iowait */
};

struct meminfo {
	uint64_t total_kib;
	uint64_t avail_kib;
};

/* One /proc/pressure file: avg10 in hundredths of a percent, -1 if absent
 * (the cpu file of kernels before 5.13 has no "full" line). */
struct psi {
	int32_t some_avg10;
	int32_t full_avg10;
};

/* What /proc/<pid>/stat and statm tell about one process. */
struct proc_usage {
	uint64_t ticks;       /* utime + stime */
	uint64_t start_ticks; /* starttime: tells a reused pid apart */
	char comm[16];
};

/* Each returns 0, or -1 when the text is malformed (the output is then zeroed). */
int res_parse_cpu(const char *buf, size_t len, struct cpu_times *out);
int res_parse_meminfo(const char *buf, size_t len, struct meminfo *out);
int res_parse_psi(const char *buf, size_t len, struct psi *out);
/* /proc/loadavg: the 1-minute figure x 100. */
int res_parse_loadavg(const char *buf, size_t len, uint32_t *load1_centi);
int res_parse_pid_stat(const char *buf, size_t len, struct proc_usage *out);
/* /proc/<pid>/statm: the resident set in pages (second field). */
int res_parse_statm(const char *buf, size_t len, uint64_t *rss_pages);
/* /proc/PID/task/TID/schedstat: "on-CPU ns, run-queue wait ns, timeslices".
 * 0, or -1 when malformed. */
int res_parse_schedstat(const char *buf, size_t len, uint64_t *run_delay_ns, uint64_t *slices);

/* Busy share between two readings, in permille; 0 if the clock did not move. */
uint32_t res_busy_pm(const struct cpu_times *prev, const struct cpu_times *now);
/* Memory in use (MemTotal - MemAvailable) in permille of MemTotal. */
uint32_t res_mem_used_pm(uint64_t total_kib, uint64_t avail_kib);
/* The pct-th percentile of the waits in hist, at the histogram's resolution:
 * the lower bound (us) of the slot that holds it, so "p90 >= X" means at
 * least 10% of the waits took X or more. 0 if the histogram is empty. */
uint64_t res_rq_percentile_us(const __u64 hist[AEGIS_RQ_SLOTS], unsigned pct);
/* Waits in hist that took at least min_us, counting whole slots only (a slot
 * counts when its lower bound is >= min_us). */
uint64_t res_rq_at_least(const __u64 hist[AEGIS_RQ_SLOTS], uint64_t min_us);
uint64_t res_rq_count(const __u64 hist[AEGIS_RQ_SLOTS]);
/* Is the pct-th percentile of the sample's waits at or above thr_us? Exact
 * where the kernel counted the waits over that very threshold
 * (AEGIS_RES_OVER): the percentile is at or above it when fewer than
 * ceil(n * pct / 100) waits are below it. Else (a recording made before, or
 * a replay with another threshold) at the histogram's resolution. */
bool res_rq_percentile_at_least(const struct aegis_resources *s, unsigned pct, uint64_t thr_us);
/* Lower bound of a histogram slot, in us. */
uint64_t res_rq_slot_low_us(unsigned slot);

#endif
