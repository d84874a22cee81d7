// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* libbpf glue: open, load and attach the probe families (the lifecycle and
 * scheduler ones here), the ring or perf buffer, the shared maps. */
#include "loader.h"
#include "loader_int.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent.h"
#include "lifecycle.skel.h"
#include "netpath.skel.h"
#include "dns.skel.h"
#include "sched.skel.h"
#include "lifecycle_perf.skel.h"
#include "sched_perf.skel.h"
#include "timefmt.h"

DEFINE_OPEN(lifecycle)
DEFINE_OPEN(sched)

static int fill_names(struct lifecycle_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.agent_names);

	for (size_t i = 0; i < agent_comm_count; i++) {
		char key[AEGIS_COMM_LEN] = { 0 };
		__u8 one = 1;

		strncpy(key, agent_comm_names[i], sizeof(key) - 1);
		if (bpf_map_update_elem(fd, key, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

static void attach_all(struct loader *l, struct bpf_object *obj, struct bpf_object_skeleton *sk)
{
	struct bpf_program *prog;

	/* one by one: a probe the kernel lacks is named, the rest run */
	bpf_object__for_each_program(prog, obj) {
		struct bpf_link *link;

		if (!bpf_program__autoload(prog) || !bpf_program__autoattach(prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			size_t o = strlen(l->failed_names);

			snprintf(l->failed_names + o, sizeof(l->failed_names) - o, "%s%s",
				 o ? ", " : "", bpf_program__name(prog));
			l->failed++;
			continue;
		}
		/* the skeleton destroys the links it knows: keep ours on its list */
		for (int i = 0; i < sk->prog_cnt; i++)
			if (*sk->progs[i].prog == prog)
				*sk->progs[i].link = link;
		l->attached++;
	}
}

/* A probe family shares the ring buffer, counters, pid set and names of the
 * lifecycle object: point its maps at those before it is loaded. */
int share_maps(struct loader *l, struct bpf_map *events, struct bpf_map *counters,
	       struct bpf_map *pids, struct bpf_map *names)
{
	if (bpf_map__reuse_fd(events, bpf_map__fd(l->skel->maps.events)) ||
	    bpf_map__reuse_fd(counters, bpf_map__fd(l->skel->maps.counters)) ||
	    bpf_map__reuse_fd(pids, bpf_map__fd(l->skel->maps.agent_pids)) ||
	    bpf_map__reuse_fd(names, bpf_map__fd(l->skel->maps.agent_names)))
		return -errno;
	return 0;
}

/* A family that cannot load (an older kernel, a verifier that disagrees) is
 * named, and the others run: the lifecycle probes do not need it. */
void family_failed(struct loader *l, const char *family, int rc)
{
	size_t o = strlen(l->failed_names);

	snprintf(l->failed_names + o, sizeof(l->failed_names) - o, "%s%s probes (%s)",
		 o ? ", " : "", family, strerror(rc < 0 ? -rc : rc ? rc : EINVAL));
	l->failed++;
}

static void load_sched(struct loader *l)
{
	int rc;

	/* for tests: behave as on a kernel that refuses the scheduler object */
	if (getenv("AEGISMON_TEST_NO_SCHED")) {
		family_failed(l, "scheduler", EOPNOTSUPP);
		return;
	}
	l->sched = open_sched(l->plan.perfbuf);
	if (!l->sched) {
		family_failed(l, "scheduler", errno);
		return;
	}
	rc = share_maps(l, l->sched->maps.events, l->sched->maps.counters,
			l->sched->maps.agent_pids, l->sched->maps.agent_names);
	if (!rc)
		rc = sched_bpf__load(l->sched);
	if (rc) {
		family_failed(l, "scheduler", rc);
		sched_bpf__destroy(l->sched);
		l->sched = NULL;
	}
}

/* Raw tracepoints or classic ones for the lifecycle probes; the oom
 * variant that fits the kernel's mark_victim. */
static void choose_lifecycle(struct loader *l)
{
	struct lifecycle_bpf *k = l->skel;
	struct bpf_program *raw[] = { k->progs.on_exec, k->progs.on_fork, k->progs.on_exit,
				      k->progs.on_signal_generate, k->progs.on_mark_victim_task,
				      k->progs.on_mark_victim_pid };
	struct bpf_program *classic[] = { k->progs.tp_exec, k->progs.tp_fork, k->progs.tp_exit,
					  k->progs.tp_signal_generate, k->progs.tp_mark_victim };

	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		bpf_program__set_autoload(raw[i], !l->plan.classic_tp);
	for (size_t i = 0; i < sizeof(classic) / sizeof(classic[0]); i++)
		bpf_program__set_autoload(classic[i], l->plan.classic_tp);
	if (l->plan.classic_tp)
		return;
	if (loader_mark_victim_takes_task())
		bpf_program__set_autoload(k->progs.on_mark_victim_pid, false);
	else
		bpf_program__set_autoload(k->progs.on_mark_victim_task, false);
}

/*
 * A perf buffer is one ring per CPU: a read takes each CPU's events in turn,
 * so a SIGKILL recorded on one CPU can come after the exit it caused on
 * another. The correlator needs event order (a ring buffer is one ordered
 * stream), so the samples of one read are copied here, sorted by their
 * timestamps, and only then delivered.
 */
struct perf_rec {
	uint64_t ts;
	size_t off;
	uint32_t size;
	uint32_t seq; /* arrival: keeps equal timestamps in order */
};

struct perf_batch {
	unsigned char *buf;
	size_t len, cap;
	struct perf_rec *recs;
	size_t n, rcap;
};

static uint64_t sample_ts(const void *data, uint32_t size)
{
	struct aegis_hdr h;

	if (size < sizeof(h))
		return 0; /* malformed: the decoder will say so */
	memcpy(&h, data, sizeof(h));
	return h.ts_ns;
}

/* Make room for one more record of size bytes; false when memory is short. */
static bool batch_reserve(struct perf_batch *b, uint32_t size)
{
	if (b->n == b->rcap) {
		size_t nc = b->rcap ? b->rcap * 2 : 256;
		struct perf_rec *r = realloc(b->recs, nc * sizeof(*r));

		if (!r)
			return false;
		b->recs = r;
		b->rcap = nc;
	}
	if (b->len + size > b->cap) {
		size_t nc = b->cap ? b->cap : 64 * 1024;
		unsigned char *nb;

		while (nc < b->len + size)
			nc *= 2;
		nb = realloc(b->buf, nc);
		if (!nb)
			return false;
		b->buf = nb;
		b->cap = nc;
	}
	return true;
}

static void on_perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	struct loader *l = ctx;
	struct perf_batch *b = l->batch;

	(void)cpu;
	if (!b || !batch_reserve(b, size)) {
		l->fn(l->fn_ctx, data, size); /* out of memory: unordered, not lost */
		return;
	}
	memcpy(b->buf + b->len, data, size);
	b->recs[b->n] = (struct perf_rec){ sample_ts(data, size), b->len, size, (uint32_t)b->n };
	b->len += size;
	b->n++;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct perf_rec *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void batch_deliver(struct loader *l)
{
	struct perf_batch *b = l->batch;

	if (!b || !b->n)
		return;
	qsort(b->recs, b->n, sizeof(b->recs[0]), rec_cmp);
	for (size_t i = 0; i < b->n; i++)
		l->fn(l->fn_ctx, b->buf + b->recs[i].off, b->recs[i].size);
	b->n = 0;
	b->len = 0;
}

static void batch_free(struct perf_batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b->recs);
	free(b);
}

static void on_perf_lost(void *ctx, int cpu, __u64 cnt)
{
	struct loader *l = ctx;

	(void)cpu;
	l->perf_lost += cnt;
}

/* Pages per CPU for a perf buffer of about kib in all: a power of two. */
static size_t perf_pages(unsigned kib)
{
	long page = sysconf(_SC_PAGESIZE);
	int ncpu = libbpf_num_possible_cpus();
	size_t want, pages = 2;

	if (page <= 0 || ncpu <= 0)
		return 8;
	want = (size_t)kib * 1024 / (size_t)page / (size_t)ncpu;
	while (pages * 2 <= want && pages < 4096)
		pages *= 2;
	return pages;
}

static int open_buffer(struct loader *l, unsigned kib)
{
	int fd = bpf_map__fd(l->skel->maps.events);

	if (l->plan.perfbuf) {
		l->batch = calloc(1, sizeof(*l->batch));
		if (!l->batch)
			return -ENOMEM;
		l->pb = perf_buffer__new(fd, perf_pages(kib), on_perf_sample, on_perf_lost, l, NULL);
	}
	else
		l->rb = ring_buffer__new(fd, l->fn, l->fn_ctx, NULL);
	if (!l->pb && !l->rb)
		return errno ? -errno : -EINVAL;
	return 0;
}

int loader_open(struct loader *l, unsigned ringbuf_kib, const struct endpoint_set *eps,
		const struct domain_set *doms, loader_event_fn fn, void *ctx, char *err, size_t errlen)
{
	uint64_t t0 = clock_event_ns();
	int rc;

	memset(l, 0, sizeof(*l));
	libbpf_set_print(print_libbpf);

	loader_plan(&l->plan);
	l->fn = fn;
	l->fn_ctx = ctx;
	l->skel = open_lifecycle(l->plan.perfbuf);
	if (!l->skel) {
		snprintf(err, errlen, "cannot open the BPF object: %s", strerror(errno));
		return 3;
	}
	/* the perf event array gets one slot per CPU (max_entries 0) */
	if (!l->plan.perfbuf)
		bpf_map__set_max_entries(l->skel->maps.events, ringbuf_kib * 1024);
	choose_lifecycle(l);

	rc = lifecycle_bpf__load(l->skel);
	if (rc) {
		snprintf(err, errlen,
			 "cannot load the BPF programs: %s%s", strerror(-rc),
			 rc == -EPERM ? " (not permitted: run as root; lockdown or "
					"kernel.unprivileged_bpf_disabled may forbid BPF)"
				      : " (run with -v for the verifier log)");
		loader_close(l);
		return 3;
	}
	rc = fill_names(l->skel);
	if (rc) {
		snprintf(err, errlen, "cannot fill the agent name map: %s", strerror(-rc));
		loader_close(l);
		return 3;
	}

	/* before any probe runs: perf output to a CPU without a reader is lost */
	rc = open_buffer(l, ringbuf_kib);
	if (rc) {
		snprintf(err, errlen, "cannot set up the %s: %s",
			 l->plan.perfbuf ? "perf buffer" : "ring buffer", strerror(-rc));
		loader_close(l);
		return 3;
	}

	/* the network family shares the ring buffer, counters and pid set */
	netscope_init(&l->scope, !l->plan.host_scope); /* no cgroup2: syscall connect, no DNS */
	if (!l->scope.mount[0])
		l->scope.agent_scope = false;
	load_netpath(l, eps);
	load_dns(l, doms);
	load_sched(l);

	net_probes_pick(l);
	attach_all(l, l->skel->obj, l->skel->skeleton);
	if (l->net) {
		scope_netpath(l);
		attach_all(l, l->net->obj, l->net->skeleton);
	}
	if (l->dns) {
		scope_dns(l);
		attach_all(l, l->dns->obj, l->dns->skeleton);
	}
	/* the scheduler probes are attached by loader_sched_arm, on demand */
	{
		/* on the root for now: the agent's cgroups come with loader_follow_agent */
		size_t want = l->scope.nprogs, o = strlen(l->failed_names);
		char failed[192] = "";
		int n = netscope_start(&l->scope, failed, sizeof(failed));

		if (failed[0])
			snprintf(l->failed_names + o, sizeof(l->failed_names) - o, "%s%s",
				 o ? ", " : "", failed);
		l->attached += (unsigned)n;
		l->failed += (unsigned)(want - (size_t)n);
	}
	if (l->attached == 0) {
		snprintf(err, errlen, "no probe could be attached (%s)", l->failed_names);
		loader_close(l);
		return 3;
	}

	l->attach_ns = clock_event_ns() - t0;
	return 0;
}

void loader_close(struct loader *l)
{
	bpf_link__destroy(l->denied_link);
	l->denied_link = NULL;
	netscope_close(&l->scope);
	ring_buffer__free(l->rb);
	l->rb = NULL;
	perf_buffer__free(l->pb);
	l->pb = NULL;
	batch_free(l->batch);
	l->batch = NULL;
	netpath_bpf__destroy(l->net);
	l->net = NULL;
	dns_bpf__destroy(l->dns);
	l->dns = NULL;
	sched_bpf__destroy(l->sched);
	l->sched = NULL;
	lifecycle_bpf__destroy(l->skel);
	l->skel = NULL;
}

int loader_epoll_fd(const struct loader *l)
{
	return l->pb ? perf_buffer__epoll_fd(l->pb) : ring_buffer__epoll_fd(l->rb);
}

int loader_consume(struct loader *l)
{
	if (l->pb) {
		int rc = perf_buffer__consume(l->pb);

		batch_deliver(l);
		return rc < 0 ? rc : 0;
	}
	return ring_buffer__consume(l->rb);
}

int loader_track(struct loader *l, uint32_t tgid)
{
	__u32 flags = 0;

	return bpf_map_update_elem(bpf_map__fd(l->skel->maps.agent_pids), &tgid, &flags, BPF_ANY)
		       ? -errno
		       : 0;
}

int loader_untrack(struct loader *l, uint32_t tgid)
{
	return bpf_map_delete_elem(bpf_map__fd(l->skel->maps.agent_pids), &tgid) ? -errno : 0;
}

/* Attach (on) the programs of a set not attached yet, or detach the whole
 * set; a failed attach detaches the set again. 0 or -errno. */
int arm_set(struct bpf_program *const *progs, struct bpf_link **const *links, size_t n,
	    bool on)
{
	for (size_t i = 0; i < n; i++) {
		if (!on) {
			bpf_link__destroy(*links[i]);
			*links[i] = NULL;
			continue;
		}
		if (*links[i])
			continue;
		*links[i] = bpf_program__attach(progs[i]);
		if (!*links[i]) {
			int rc = errno ? -errno : -EINVAL;

			arm_set(progs, links, n, false);
			return rc;
		}
	}
	return 0;
}

/* Forget what the probes saw before they were detached: a thread woken then
 * and switched in now would count the whole gap as a wait. */
static void sched_reset(struct loader *l)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(l->sched->maps.rq_start);
	__u32 key, zero = 0;
	__s64 none = 0;

	while (bpf_map_get_next_key(fd, NULL, &key) == 0)
		if (bpf_map_delete_elem(fd, &key))
			break;
	bpf_map_update_elem(bpf_map__fd(l->sched->maps.rq_waiting), &zero, &none, BPF_ANY);
	if (ncpu > 0 && ncpu <= 4096) {
		__u32 cur[ncpu];

		memset(cur, 0, sizeof(cur));
		bpf_map_update_elem(bpf_map__fd(l->sched->maps.rq_current), &zero, cur, BPF_ANY);
	}
}

int loader_sched_arm(struct loader *l, bool on)
{
	struct bpf_program *progs[] = { l->sched ? l->sched->progs.on_sched_wakeup : NULL,
					l->sched ? l->sched->progs.on_sched_wakeup_new : NULL,
					l->sched ? l->sched->progs.on_sched_switch : NULL };
	struct bpf_link **links[] = { l->sched ? &l->sched->links.on_sched_wakeup : NULL,
				      l->sched ? &l->sched->links.on_sched_wakeup_new : NULL,
				      l->sched ? &l->sched->links.on_sched_switch : NULL };

	if (!l->sched)
		return -ENOENT;
	if (on)
		sched_reset(l);
	return arm_set(progs, links, sizeof(progs) / sizeof(progs[0]), on);
}

int loader_rq_threshold(struct loader *l, uint64_t ns)
{
	__u32 zero = 0;

	if (!l->sched)
		return -ENOENT;
	return bpf_map_update_elem(bpf_map__fd(l->sched->maps.rq_threshold), &zero, &ns, BPF_ANY) ? -errno : 0;
}

int loader_rq_hist(struct loader *l, uint64_t out[AEGIS_RQ_CELLS])
{
	int ncpu = libbpf_num_possible_cpus(), fd;

	memset(out, 0, sizeof(uint64_t) * AEGIS_RQ_CELLS);
	if (!l->sched)
		return -ENOENT;
	if (ncpu <= 0 || ncpu > 4096)
		return -EINVAL;
	fd = bpf_map__fd(l->sched->maps.rq_hist);
	{
		__u64 vals[ncpu]; /* on the stack: no allocation per sample */

		memset(vals, 0, sizeof(vals)); /* see loader_counter */
		for (__u32 k = 0; k < AEGIS_RQ_CELLS; k++) {
			if (bpf_map_lookup_elem(fd, &k, vals))
				return -errno;
			for (int i = 0; i < ncpu; i++)
				out[k] += vals[i];
		}
	}
	return 0;
}

int loader_for_each_tracked(struct loader *l, void (*fn)(uint32_t tgid, void *ctx), void *ctx,
			    unsigned max)
{
	int fd = bpf_map__fd(l->skel->maps.agent_pids);
	__u32 key, next;
	unsigned n = 0;
	void *prev = NULL;

	while (n < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		fn(next, ctx);
		key = next;
		prev = &key;
		n++;
	}
	return (int)n;
}

uint64_t loader_counter(struct loader *l, enum aegis_counter idx)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 key = idx;
	uint64_t sum = 0;

	if (ncpu <= 0 || ncpu > 4096)
		return 0;
	{
		__u64 vals[ncpu];

		/* the kernel fills it; zeroed so that valgrind, which does not model
		 * the bpf() output, checks the rest of the program cleanly */
		memset(vals, 0, sizeof(vals));
		if (bpf_map_lookup_elem(bpf_map__fd(l->skel->maps.counters), &key, vals))
			return 0;
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	}
	/* the programs count a full perf buffer at once; the kernel's own
	 * lost-sample records count the same samples later: take the larger,
	 * in case a kernel's output helper does not report the failure */
	if (idx == AEGIS_CNT_RINGBUF_FULL && l->perf_lost > sum)
		sum = l->perf_lost;
	return sum;
}
