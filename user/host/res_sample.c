// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The reader behind AEGIS_EV_RESOURCES: small reads into a fixed buffer, a
 * missing file said once, the top consumers scanned only past a threshold. */
#include "res_sample.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "loader.h"

#define NSEC 1000000000ULL

/* Read a small /proc file into r->buf; its length, or -errno. */
static ssize_t read_file(struct res_sampler *r, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, r->buf, sizeof(r->buf) - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

static void say_once(bool *said, const char *what, int err)
{
	if (*said)
		return;
	*said = true;
	fprintf(stderr, "aegismon: %s unavailable (%s): the resource causes go on without it\n",
		what, strerror(err));
}

int res_sampler_init(struct res_sampler *r, uint32_t cpu_thr_pm, uint32_t mem_thr_pm,
		     int32_t psi_thr)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN), page = sysconf(_SC_PAGESIZE);

	memset(r, 0, sizeof(*r));
	r->ncpu = n > 0 ? (unsigned)n : 1;
	r->clk_tck = sysconf(_SC_CLK_TCK);
	if (r->clk_tck <= 0)
		r->clk_tck = 100;
	r->page_kib = page > 0 ? (uint64_t)page / 1024 : 4;
	r->cpu_thr_pm = cpu_thr_pm;
	r->mem_thr_pm = mem_thr_pm;
	r->psi_thr = psi_thr;
	/* a kernel without CONFIG_SCHED_INFO: the scheduler probes stay on */
	r->no_schedstat = access("/proc/self/schedstat", R_OK) != 0;
	r->scan_prev = calloc(RES_SCAN_SLOTS, sizeof(*r->scan_prev));
	r->scan_cur = calloc(RES_SCAN_SLOTS, sizeof(*r->scan_cur));
	if (!r->scan_prev || !r->scan_cur) {
		res_sampler_free(r);
		return -1;
	}
	return 0;
}

void res_sampler_free(struct res_sampler *r)
{
	free(r->scan_prev);
	free(r->scan_cur);
	r->scan_prev = r->scan_cur = NULL;
}

static int read_usage(struct res_sampler *r, uint32_t pid, struct proc_usage *u, uint64_t *rss_kib)
{
	char path[48];
	uint64_t pages;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	n = read_file(r, path);
	if (n <= 0 || res_parse_pid_stat(r->buf, (size_t)n, u))
		return -1;
	snprintf(path, sizeof(path), "/proc/%u/statm", pid);
	n = read_file(r, path);
	if (n <= 0 || res_parse_statm(r->buf, (size_t)n, &pages))
		return -1;
	*rss_kib = pages * r->page_kib;
	return 0;
}

static uint32_t ticks_pm(const struct res_sampler *r, uint64_t dticks, uint64_t dt_ns)
{
	/* permille of one CPU: ticks -> ns, over the interval */
	if (!dt_ns)
		return 0;
	return (uint32_t)((dticks * (NSEC / (uint64_t)r->clk_tck)) * 1000 / dt_ns);
}

struct agent_ctx {
	struct res_sampler *r;
	uint64_t dt_ns;
	uint64_t dticks;
	uint64_t ddelay, dslices; /* run-queue wait and timeslices since the last sample */
};

/* Run-queue wait and timeslices of all threads of pid (CONFIG_SCHED_INFO). */
static int sum_schedstat(struct res_sampler *r, uint32_t pid, uint64_t *delay, uint64_t *slices)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int found = 0;

	*delay = *slices = 0;
	snprintf(path, sizeof(path), "/proc/%u/task", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		uint64_t dl, sl;
		ssize_t n;

		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%u/task/%.16s/schedstat", pid, d->d_name);
		n = read_file(r, path);
		if (n <= 0 || res_parse_schedstat(r->buf, (size_t)n, &dl, &sl))
			continue;
		*delay += dl;
		*slices += sl;
		found = 1;
	}
	closedir(dir);
	return found ? 0 : -1;
}

static void sample_agent(uint32_t tgid, void *arg)
{
	struct agent_ctx *a = arg;
	struct res_sampler *r = a->r;
	struct proc_usage u;
	uint64_t rss, delay, slices;
	bool stat_ok;

	if (r->nagents_new >= RES_AGENT_SLOTS || read_usage(r, tgid, &u, &rss))
		return;
	r->agent_rss_kib += rss;
	/* unreadable (the process is going): no wait counted, the last sums kept */
	stat_ok = sum_schedstat(r, tgid, &delay, &slices) == 0;
	/* a process seen last time (same start) adds what it used since; its
	 * exited threads take their share of the sums with them, so a sum
	 * that went down counts nothing this time */
	for (unsigned i = 0; i < r->nagents; i++)
		if (r->agents[i].pid == tgid && r->agents[i].start_ticks == u.start_ticks) {
			if (u.ticks >= r->agents[i].ticks)
				a->dticks += u.ticks - r->agents[i].ticks;
			if (!stat_ok) {
				delay = r->agents[i].run_delay_ns;
				slices = r->agents[i].slices;
			} else if (delay >= r->agents[i].run_delay_ns && slices >= r->agents[i].slices) {
				a->ddelay += delay - r->agents[i].run_delay_ns;
				a->dslices += slices - r->agents[i].slices;
			}
		}
	r->agents_new[r->nagents_new++] = (struct res_pid_ticks){
		.pid = tgid, .start_ticks = u.start_ticks, .ticks = u.ticks,
		.run_delay_ns = delay, .slices = slices };
}

/* Keep the three largest by key into top[] (ordered, largest first). */
static void top_insert(struct aegis_res_proc top[AEGIS_RES_TOP], const struct aegis_res_proc *p,
		       bool by_cpu)
{
	for (int i = 0; i < AEGIS_RES_TOP; i++) {
		bool bigger = by_cpu ? p->cpu_pm > top[i].cpu_pm : p->rss_kib > top[i].rss_kib;

		if (!top[i].pid || bigger) {
			memmove(&top[i + 1], &top[i], sizeof(top[0]) * (size_t)(AEGIS_RES_TOP - 1 - i));
			top[i] = *p;
			return;
		}
	}
}

/* linux_dirent64, read with getdents64: readdir would allocate a DIR */
struct dent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* Every process: its CPU since the previous scan and its RSS, the top three
 * of each into e. Runs only when a threshold is crossed. */
static void scan_top(struct res_sampler *r, uint64_t now_ns, struct aegis_resources *e)
{
	char dents[4096];
	unsigned ncur = 0, j = 0;
	/* CPU figures only against a recent scan */
	bool fresh = r->scan_prev_ns && now_ns - r->scan_prev_ns <= RES_SCAN_EVERY_NS + NSEC;
	uint64_t dt = now_ns - r->scan_prev_ns;
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (fd < 0)
		return;
	while ((n = syscall(SYS_getdents64, fd, dents, sizeof(dents))) > 0) {
		for (long off = 0; off < n;) {
			struct dent64 *d = (struct dent64 *)(dents + off);
			struct aegis_res_proc p = { 0 };
			struct proc_usage u;
			uint64_t rss;
			char *end;
			unsigned long pid;

			off += d->reclen;
			if (d->name[0] < '1' || d->name[0] > '9')
				continue;
			pid = strtoul(d->name, &end, 10);
			if (*end || pid > 0x3fffffff || ncur >= RES_SCAN_SLOTS)
				continue;
			if (read_usage(r, (uint32_t)pid, &u, &rss))
				continue;
			p.pid = (uint32_t)pid;
			p.rss_kib = rss;
			memcpy(p.comm, u.comm, sizeof(p.comm));
			/* both lists ascend by pid: walk the old one alongside */
			while (j < r->nscan_prev && r->scan_prev[j].pid < p.pid)
				j++;
			if (fresh && j < r->nscan_prev && r->scan_prev[j].pid == p.pid &&
			    r->scan_prev[j].start_ticks == u.start_ticks && u.ticks >= r->scan_prev[j].ticks)
				p.cpu_pm = ticks_pm(r, u.ticks - r->scan_prev[j].ticks, dt);
			r->scan_cur[ncur++] = (struct res_pid_ticks){ .pid = p.pid, .start_ticks = u.start_ticks, .ticks = u.ticks };
			if (p.cpu_pm)
				top_insert(e->top_cpu, &p, true);
			top_insert(e->top_rss, &p, false);
		}
	}
	close(fd);
	{
		struct res_pid_ticks *t = r->scan_prev;

		r->scan_prev = r->scan_cur;
		r->scan_cur = t;
	}
	r->nscan_prev = ncur;
	r->scan_prev_ns = now_ns;
	if (fresh)
		e->flags |= AEGIS_RES_TOP_CPU;
	e->flags |= AEGIS_RES_TOP_RSS;
}

/*
 * The top consumers, for a sample past a threshold. A scan reads two files of
 * every process (1-2 ms a second on a loaded host), so it runs every second
 * only for the report window after the threshold was crossed (the report
 * names who was on top then) and every RES_SCAN_EVERY_NS after that, on a
 * host that stays busy; the samples in between repeat the last scan.
 */
static void top_consumers(struct res_sampler *r, uint64_t now_ns, struct aegis_resources *e)
{
	bool due;

	if (!r->over_since_ns)
		r->over_since_ns = now_ns;
	due = !r->top_flags || !(r->top_flags & AEGIS_RES_TOP_CPU) ||
	      now_ns - r->over_since_ns <= r->full_rate_ns + NSEC ||
	      now_ns - r->scan_prev_ns >= RES_SCAN_EVERY_NS;

	if (due) {
		scan_top(r, now_ns, e);
		memcpy(r->top_cpu, e->top_cpu, sizeof(r->top_cpu));
		memcpy(r->top_rss, e->top_rss, sizeof(r->top_rss));
		r->top_flags = e->flags & (AEGIS_RES_TOP_CPU | AEGIS_RES_TOP_RSS);
		return;
	}
	memcpy(e->top_cpu, r->top_cpu, sizeof(e->top_cpu));
	memcpy(e->top_rss, r->top_rss, sizeof(e->top_rss));
	e->flags |= r->top_flags;
}

static int32_t read_psi(struct res_sampler *r, const char *path, bool *said, int32_t *full)
{
	struct psi psi;
	ssize_t n = read_file(r, path);

	*full = AEGIS_RES_ABSENT;
	if (n < 0) { /* no PSI (kernel < 4.20, psi=0): say so once */
		say_once(said, path, (int)-n);
		return AEGIS_RES_ABSENT;
	}
	if (res_parse_psi(r->buf, (size_t)n, &psi)) {
		say_once(said, path, EINVAL);
		return AEGIS_RES_ABSENT;
	}
	*full = psi.full_avg10;
	return psi.some_avg10;
}

/* Attach the scheduler probes while the agent's threads wait to run, detach
 * them after RES_SCHED_CALM calm samples: every context switch on the host
 * pays for them while attached. */
static void steer_sched(struct res_sampler *r, struct loader *l, const struct agent_ctx *a)
{
	bool waits, want;

	r->last_mean_wait_ns = a->dslices ? a->ddelay / a->dslices : 0;
	waits = a->dslices && r->last_mean_wait_ns >= r->arm_wait_ns;
	if (waits)
		r->calm = 0;
	else if (r->calm < RES_SCHED_CALM)
		r->calm++;
	want = r->no_schedstat || !r->arm_wait_ns || waits || (r->sched_armed && r->calm < RES_SCHED_CALM);
	if (want == r->sched_armed || loader_sched_arm(l, want))
		return;
	r->sched_armed = want;
	r->sched_changed = true;
	r->have_hist = false; /* the histogram starts over from the next sample */
}

int res_sample(struct res_sampler *r, struct loader *l, uint64_t now_ns, struct ev *ev)
{
	struct aegis_resources *e = &ev->resources;
	struct cpu_times cpu = { 0, 0 };
	uint64_t hist[AEGIS_RQ_CELLS] = { 0 };
	struct meminfo mem = { 0, 0 };
	struct agent_ctx actx;
	bool have_hist, first = !r->have_prev;
	uint64_t dt = now_ns - r->prev_ns;
	int32_t unused;
	ssize_t n;

	n = read_file(r, "/proc/stat");
	if (n < 0 || res_parse_cpu(r->buf, (size_t)n, &cpu))
		say_once(&r->said_stat, "/proc/stat", n < 0 ? (int)-n : EINVAL);
	have_hist = l && r->sched_armed && loader_rq_hist(l, hist) == 0;

	/* agent processes: their CPU needs the previous reading too */
	actx = (struct agent_ctx){ .r = r, .dt_ns = dt };
	r->nagents_new = 0;
	r->agent_rss_kib = 0;
	if (l)
		loader_for_each_tracked(l, sample_agent, &actx, RES_AGENT_SLOTS);
	memcpy(r->agents, r->agents_new, sizeof(r->agents[0]) * r->nagents_new);
	r->nagents = r->nagents_new;
	if (l && !first)
		steer_sched(r, l, &actx);

	if (first) {
		r->have_prev = true;
		r->prev_ns = now_ns;
		r->prev_cpu = cpu;
		memcpy(r->prev_hist, hist, sizeof(hist));
		r->prev_threshold_us = r->rq_threshold_us;
		r->have_hist = have_hist;
		return 1;
	}

	memset(ev, 0, sizeof(*ev));
	e->hdr.type = AEGIS_EV_RESOURCES;
	e->hdr.size = sizeof(*e);
	e->hdr.ts_ns = now_ns;
	e->interval_ms = (uint32_t)(dt / 1000000);
	e->ncpu = r->ncpu;
	e->cpu_busy_pm = res_busy_pm(&r->prev_cpu, &cpu);
	r->prev_cpu = cpu;
	r->prev_ns = now_ns;

	n = read_file(r, "/proc/meminfo");
	if (n < 0 || res_parse_meminfo(r->buf, (size_t)n, &mem))
		say_once(&r->said_meminfo, "/proc/meminfo (MemAvailable)", n < 0 ? (int)-n : EINVAL);
	e->mem_total_kib = mem.total_kib;
	e->mem_avail_kib = mem.avail_kib;
	n = read_file(r, "/proc/loadavg");
	if (n > 0)
		res_parse_loadavg(r->buf, (size_t)n, &e->load1_centi);
	e->psi_cpu_some = read_psi(r, "/proc/pressure/cpu", &r->said_psi_cpu, &unused);
	e->psi_mem_some = read_psi(r, "/proc/pressure/memory", &r->said_psi_mem, &e->psi_mem_full);

	e->agent_procs = r->nagents;
	e->agent_cpu_pm = ticks_pm(r, actx.dticks, dt);
	e->agent_rss_kib = r->agent_rss_kib;

	if (have_hist && r->have_hist) {
		e->flags |= AEGIS_RES_HIST;
		for (unsigned k = 0; k < AEGIS_RQ_SLOTS; k++)
			e->rq_hist[k] = hist[k] >= r->prev_hist[k] ? hist[k] - r->prev_hist[k] : 0;
		e->rq_sum_ns = hist[AEGIS_RQ_SUM] >= r->prev_hist[AEGIS_RQ_SUM]
				       ? hist[AEGIS_RQ_SUM] - r->prev_hist[AEGIS_RQ_SUM]
				       : 0;
		/* the threshold the kernel used over the whole interval */
		if (r->rq_threshold_us && r->rq_threshold_us == r->prev_threshold_us) {
			e->flags |= AEGIS_RES_OVER;
			e->rq_threshold_us = r->rq_threshold_us;
			e->rq_over = hist[AEGIS_RQ_OVER] >= r->prev_hist[AEGIS_RQ_OVER]
					     ? hist[AEGIS_RQ_OVER] - r->prev_hist[AEGIS_RQ_OVER]
					     : 0;
		}
	}
	memcpy(r->prev_hist, hist, sizeof(hist));
	r->prev_threshold_us = r->rq_threshold_us;
	r->have_hist = have_hist && r->sched_armed;

	if ((e->cpu_busy_pm >= r->cpu_thr_pm && r->cpu_thr_pm) ||
	    (mem.total_kib && res_mem_used_pm(mem.total_kib, mem.avail_kib) >= r->mem_thr_pm) ||
	    (e->psi_mem_full >= 0 && r->psi_thr > 0 && e->psi_mem_full >= r->psi_thr))
		top_consumers(r, now_ns, e);
	else {
		r->top_flags = 0;
		r->over_since_ns = 0;
		r->scan_prev_ns = 0; /* the next scan starts over */
	}
	return 0;
}
