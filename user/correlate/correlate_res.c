// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Resource correlation: is the host's CPU or memory exhausted, is the agent
 * starved of CPU? Judged on AEGIS_EV_RESOURCES samples (one a second), by
 * event time like everything else.
 *
 * A condition is reported when every sample for at least the window met it
 * (the run starts at the beginning of the interval of its first sample), once
 * per run; a sample that does not meet it ends the run and re-arms the
 * cause. A gap in the samples (more than 3 intervals) ends the run too: we do
 * not know what happened in between. A sample that cannot tell (no PSI, no
 * histogram, no agent switch-in) neither extends nor ends a run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "correlate_int.h"
#include "resources.h"

#define GAP_NS (3500 * 1000000ULL)

enum verdict { V_UNKNOWN, V_NO, V_YES };

static void run_reset(struct res_run *r)
{
	r->since_ns = 0;
	r->n = 0;
}

/* One sample of figure v with verdict; true when the run just covered the
 * window and was not reported yet. */
static bool run_step(struct correlator *c, struct res_run *r, const struct ev *e, enum verdict v,
		     uint32_t figure)
{
	uint64_t ts = e->hdr.ts_ns, interval = (uint64_t)e->resources.interval_ms * 1000000ULL;

	if (v == V_UNKNOWN)
		return false;
	if (v == V_NO) {
		run_reset(r);
		r->reported = false; /* cleared: the next run is reported again */
		return false;
	}
	if (!r->since_ns) {
		r->since_ns = ts > interval ? ts - interval : 1;
		r->n = 0;
		r->sum = 0;
		r->min = r->max = figure;
		r->first = *e;
	}
	r->n++;
	r->sum += figure;
	if (figure < r->min)
		r->min = figure;
	if (figure > r->max)
		r->max = figure;
	return !r->reported && ts - r->since_ns >= c->cfg.res_window_ns;
}

static void fmt_pm(char *buf, size_t len, uint32_t pm)
{
	snprintf(buf, len, "%u.%u%%", pm / 10, pm % 10);
}

static void fmt_kib(char *buf, size_t len, uint64_t kib)
{
	if (kib >= 10ULL << 20)
		snprintf(buf, len, "%llu GiB", (unsigned long long)(kib >> 20));
	else if (kib >= 10ULL << 10)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(kib / 1024));
	else
		snprintf(buf, len, "%llu KiB", (unsigned long long)kib);
}

__attribute__((format(printf, 3, 4)))
static size_t append(struct diagnosis *d, size_t o, const char *fmt, ...)
{
	va_list ap;

	if (o >= sizeof(d->summary))
		return o;
	va_start(ap, fmt);
	o += (size_t)vsnprintf(d->summary + o, sizeof(d->summary) - o, fmt, ap);
	va_end(ap);
	return o;
}

/* "; agent: 0.3% CPU, 45 MiB RSS (2 processes)" */
static size_t append_agent(struct diagnosis *d, size_t o, const struct aegis_resources *s)
{
	char cpu[16], rss[24];

	if (!s->agent_procs)
		return append(d, o, "; no agent process tracked");
	fmt_pm(cpu, sizeof(cpu), s->agent_cpu_pm);
	fmt_kib(rss, sizeof(rss), s->agent_rss_kib);
	return append(d, o, "; agent: %s of a CPU, %s RSS", cpu, rss);
}

/* "; top: stress (pid 12) 99.0%, ..." */
static size_t append_top(struct diagnosis *d, size_t o, const struct aegis_resources *s, bool cpu)
{
	const struct aegis_res_proc *top = cpu ? s->top_cpu : s->top_rss;
	char fig[32], who[48];

	if (!(s->flags & (cpu ? AEGIS_RES_TOP_CPU : AEGIS_RES_TOP_RSS)) || !top[0].pid)
		return o;
	o = append(d, o, "; top: ");
	for (int i = 0; i < AEGIS_RES_TOP && top[i].pid; i++) {
		if (cpu)
			fmt_pm(fig, sizeof(fig), top[i].cpu_pm);
		else
			fmt_kib(fig, sizeof(fig), top[i].rss_kib);
		snprintf(who, sizeof(who), "%.16s (pid %u)", top[i].comm, top[i].pid);
		o = append(d, o, "%s%s %s", i ? ", " : "", who, fig);
	}
	return o;
}

static struct diagnosis *res_diag(struct correlator *c, enum cause cause, const char *subject,
				  const struct res_run *r, const struct ev *e)
{
	struct diagnosis *d = diag_begin(c, cause, NULL);

	snprintf(d->process, sizeof(d->process), "%s", subject);
	diag_add_evidence(d, &r->first);
	if (r->n > 1)
		diag_add_evidence(d, e);
	return d;
}

static unsigned window_s(const struct correlator *c)
{
	return (unsigned)((c->cfg.res_window_ns + NSEC - 1) / NSEC);
}

static void report_cpu(struct correlator *c, const struct ev *e)
{
	const struct aegis_resources *s = &e->resources;
	const struct res_run *r = &c->res.cpu;
	struct diagnosis *d = res_diag(c, CAUSE_CPU_SATURATED, "host", r, e);
	char thr[16], mn[16], mean[16], load[32];
	size_t o;

	fmt_pm(thr, sizeof(thr), c->cfg.cpu_busy_pm);
	fmt_pm(mn, sizeof(mn), r->min);
	fmt_pm(mean, sizeof(mean), (uint32_t)(r->sum / r->n));
	o = (size_t)snprintf(d->summary, sizeof(d->summary),
			     "host CPU busy >= %s for %u s (min %s, mean %s", thr, window_s(c), mn, mean);
	snprintf(load, sizeof(load), "%u.%02u on %u CPUs", s->load1_centi / 100,
		 s->load1_centi % 100, s->ncpu);
	o = append(d, o, "; load %s)", load);
	o = append_agent(d, o, s);
	append_top(d, o, s, true);
	emit(c, d, "host");
}

static void report_mem(struct correlator *c, const struct ev *e, bool by_used, bool by_psi)
{
	const struct aegis_resources *s = &e->resources;
	const struct res_run *r = &c->res.mem;
	struct diagnosis *d = res_diag(c, CAUSE_MEMORY_EXHAUSTED, "host", r, e);
	char used[16], thr[16], avail[24], total[24], psi[16], pthr[16];
	size_t o;

	fmt_pm(used, sizeof(used), res_mem_used_pm(s->mem_total_kib, s->mem_avail_kib));
	fmt_pm(thr, sizeof(thr), c->cfg.mem_used_pm);
	fmt_kib(avail, sizeof(avail), s->mem_avail_kib);
	fmt_kib(total, sizeof(total), s->mem_total_kib);
	o = (size_t)snprintf(d->summary, sizeof(d->summary), "host memory exhausted for %u s: ",
			     window_s(c));
	if (by_used)
		o = append(d, o, "%s used (threshold %s", used, thr);
	else
		o = append(d, o, "%s used (below %s", used, thr);
	o = append(d, o, "), %s available of %s", avail, total);
	if (s->psi_mem_full >= 0) {
		snprintf(psi, sizeof(psi), "%d.%02d%%", s->psi_mem_full / 100, s->psi_mem_full % 100);
		snprintf(pthr, sizeof(pthr), "%d.%02d%%", c->cfg.mem_psi_full / 100,
			 c->cfg.mem_psi_full % 100);
		o = append(d, o, "; PSI memory full avg10 %s (%s %s)", psi,
			   by_psi ? "threshold" : "below", pthr);
	}
	o = append_agent(d, o, s);
	append_top(d, o, s, false);
	emit(c, d, "host");
}

static void report_starved(struct correlator *c, const struct ev *e)
{
	const struct aegis_resources *s = &e->resources;
	const struct res_run *r = &c->res.starve;
	struct diagnosis *d = res_diag(c, CAUSE_AGENT_STARVED, "agent", r, e);
	uint64_t n = res_rq_count(s->rq_hist);
	char p90[24], thr[24], mean[24], worst[24];
	size_t o;

	snprintf(p90, sizeof(p90), "%llu ms", (unsigned long long)(res_rq_percentile_us(s->rq_hist, 90) / 1000));
	snprintf(thr, sizeof(thr), "%llu ms", (unsigned long long)(c->cfg.starve_us / 1000));
	snprintf(mean, sizeof(mean), "%llu ms",
		 (unsigned long long)(n ? s->rq_sum_ns / n / 1000000 : 0));
	snprintf(worst, sizeof(worst), "%llu ms",
		 (unsigned long long)(res_rq_percentile_us(s->rq_hist, 100) / 1000));
	if ((s->flags & AEGIS_RES_OVER) && s->rq_threshold_us == c->cfg.starve_us && n)
		/* counted against the threshold itself: the histogram's slot would say less */
		o = (size_t)snprintf(d->summary, sizeof(d->summary),
				     "agent threads waited to run: p90 run-queue wait at or above the "
				     "threshold %s (%llu%% of %llu waits now) in every second for %u s", thr,
				     (unsigned long long)(s->rq_over * 100 / n), (unsigned long long)n,
				     window_s(c));
	else
		o = (size_t)snprintf(d->summary, sizeof(d->summary),
				     "agent threads waited to run: p90 run-queue wait >= %s (threshold %s) in "
				     "every second for %u s", p90, thr, window_s(c));
	o = append(d, o, "; now mean %s, worst >= %s", mean, worst);
	o = append_agent(d, o, s);
	/* a saturated host explains a starved agent (relations.c, in emit): say it */
	if (c->res.cpu.since_ns && c->res.cpu.reported)
		append(d, o, " (the host CPU is saturated)");
	emit(c, d, "agent");
}

void res_on_sample(struct correlator *c, const struct ev *e)
{
	const struct aegis_resources *s = &e->resources;
	struct res_state *st = &c->res;
	uint32_t used = res_mem_used_pm(s->mem_total_kib, s->mem_avail_kib);
	bool by_used = s->mem_total_kib && used >= c->cfg.mem_used_pm;
	bool by_psi = c->cfg.mem_psi_full > 0 && s->psi_mem_full >= 0 &&
		      s->psi_mem_full >= c->cfg.mem_psi_full;
	enum verdict cpu = V_UNKNOWN, mem = V_UNKNOWN, starve = V_UNKNOWN;
	uint64_t n = res_rq_count(s->rq_hist);

	if (!s->interval_ms)
		return; /* no interval: nothing measured */
	if (st->last_ns && e->hdr.ts_ns - st->last_ns > GAP_NS) {
		run_reset(&st->cpu);
		run_reset(&st->mem);
		run_reset(&st->starve);
	}
	st->last_ns = e->hdr.ts_ns;

	if (c->cfg.cpu_busy_pm)
		cpu = s->cpu_busy_pm >= c->cfg.cpu_busy_pm ? V_YES : V_NO;
	if (s->mem_total_kib || s->psi_mem_full >= 0)
		mem = by_used || by_psi ? V_YES : V_NO;
	if ((s->flags & AEGIS_RES_HIST) && s->agent_procs && n)
		starve = res_rq_percentile_at_least(s, 90, c->cfg.starve_us) ? V_YES : V_NO;

	if (run_step(c, &st->cpu, e, cpu, s->cpu_busy_pm)) {
		report_cpu(c, e);
		st->cpu.reported = true;
	}
	if (run_step(c, &st->mem, e, mem, used)) {
		report_mem(c, e, by_used, by_psi);
		st->mem.reported = true;
	}
	/* a condition said and still holding explains from now on (relations.c) */
	if (st->cpu.reported && st->cpu.since_ns)
		relations_refresh(&c->rel, CAUSE_CPU_SATURATED, e->hdr.ts_ns);
	if (st->mem.reported && st->mem.since_ns)
		relations_refresh(&c->rel, CAUSE_MEMORY_EXHAUSTED, e->hdr.ts_ns);
	if (run_step(c, &st->starve, e, starve,
		     (uint32_t)(res_rq_percentile_us(s->rq_hist, 90) / 1000))) {
		report_starved(c, e);
		st->starve.reported = true;
	}
}

bool res_holds(const struct correlator *c, enum cause cause)
{
	const struct res_run *r = cause == CAUSE_CPU_SATURATED	  ? &c->res.cpu
				  : cause == CAUSE_MEMORY_EXHAUSTED ? &c->res.mem
								    : &c->res.starve;

	/* samples that stopped coming say nothing: as a gap ends a run */
	return r->reported && r->since_ns && c->now_ns - c->res.last_ns <= GAP_NS;
}
