/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Once a second: read /proc and the run-queue histogram into an
 * AEGIS_EV_RESOURCES event. Fixed buffers: nothing allocates per sample. */
#ifndef AEGISMON_RES_SAMPLE_H
#define AEGISMON_RES_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

#include "ev.h"
#include "resources.h"

struct loader;

#define RES_AGENT_SLOTS 64    /* agent processes whose CPU is followed */
#define RES_SCAN_SLOTS 4096   /* processes compared between two top scans */
#define RES_SCAN_EVERY_NS (5ULL * 1000000000ULL) /* top scans while over a threshold */

struct res_pid_ticks {
	uint32_t pid;
	uint64_t start_ticks;
	uint64_t ticks;
	uint64_t run_delay_ns; /* summed over its threads (schedstat) */
	uint64_t slices;
};

/* Calm samples (mean run-queue wait of the agent's threads below the arming
 * level) before the scheduler probes are detached again. */
#define RES_SCHED_CALM 10

struct res_sampler {
	bool have_prev;
	uint64_t prev_ns;
	struct cpu_times prev_cpu;
	uint64_t prev_hist[AEGIS_RQ_CELLS];
	uint64_t rq_threshold_us;   /* what the kernel counts as starved now (the session sets it) */
	uint64_t prev_threshold_us; /* ... at the previous sample */
	bool have_hist;
	unsigned ncpu;
	long clk_tck;
	uint64_t page_kib;
	/* thresholds that make a sample name the top consumers */
	uint32_t cpu_thr_pm, mem_thr_pm;
	int32_t psi_thr;
	/* what was said once already */
	bool said_psi_cpu, said_psi_mem, said_stat, said_meminfo;
	/* agent processes: ticks at the previous sample */
	struct res_pid_ticks agents[RES_AGENT_SLOTS], agents_new[RES_AGENT_SLOTS];
	unsigned nagents, nagents_new;
	uint64_t agent_rss_kib;
	/* the top scan: pids ascending, as /proc lists them (allocated once) */
	struct res_pid_ticks *scan_prev, *scan_cur;
	unsigned nscan_prev;
	uint64_t scan_prev_ns;
	/* the last scan's top lists, repeated in the samples until the next */
	struct aegis_res_proc top_cpu[AEGIS_RES_TOP], top_rss[AEGIS_RES_TOP];
	uint32_t top_flags;
	uint64_t over_since_ns; /* when the thresholds were crossed (0: below) */
	uint64_t full_rate_ns;  /* scan every second this long after (the report window) */
	/* the scheduler probes, attached only while the agent's threads wait:
	 * a p90 wait of T needs a mean of at least T/10, so a lower mean
	 * cannot be starvation and the probes stay off */
	uint64_t arm_wait_ns;   /* mean wait per timeslice that attaches them */
	bool sched_armed;
	bool sched_changed;     /* armed or disarmed by the last sample: say so */
	bool no_schedstat;      /* the kernel has no schedstat: always armed */
	unsigned calm;
	uint64_t last_mean_wait_ns;
	char buf[8192];
};

/* 0, or -1 when out of memory. */
int res_sampler_init(struct res_sampler *r, uint32_t cpu_thr_pm, uint32_t mem_thr_pm,
		     int32_t psi_thr);
void res_sampler_free(struct res_sampler *r);
/* Take a sample at now_ns (CLOCK_MONOTONIC). 0 with e filled, or 1 when
 * there is no event yet (the first call only sets the baseline). */
int res_sample(struct res_sampler *r, struct loader *l, uint64_t now_ns, struct ev *e);

#endif
