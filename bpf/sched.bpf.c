// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Run-queue wait of the agent's threads: from the moment a thread becomes
 * runnable (woken, or preempted/throttled while still TASK_RUNNING) to the
 * moment it is switched in. Summed into a log2 histogram in a per-CPU array
 * that userspace reads once a second: nothing goes to the ring buffer.
 *
 * Only threads of processes in agent_pids count. sched_switch is the hottest
 * tracepoint there is, so an unrelated switch costs two array lookups the
 * verifier inlines: is prev the agent thread this CPU switched in, and is any
 * agent thread waiting at all (rq_waiting)? Only then is next looked up in
 * rq_start. agent_pids is looked up only at wakeups.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "maps.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_RUNNING 0

/* tid -> when it became runnable. LRU: a thread that dies while queued must
 * not leak its entry. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} rq_start SEC(".maps");

/* Slots of the histogram, AEGIS_RQ_SUM: total wait in ns, AEGIS_RQ_OVER:
 * waits at or above rq_threshold. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AEGIS_RQ_CELLS);
	__type(key, __u32);
	__type(value, __u64);
} rq_hist SEC(".maps");

/* [0]: the starvation threshold in ns (set by userspace, 0: none). A map,
 * not global data: the object loads on kernels before 5.2. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} rq_threshold SEC(".maps");

/* How many entries rq_start has: 0 most of the time (the agent sleeps), and
 * then a switch needs no hash lookup. Counted up by the insert that made an
 * entry and down by the delete that removed it, so it cannot drift below. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} rq_waiting SEC(".maps");

/* The agent thread this CPU switched in last (0: none), so that its
 * preemption is seen without a lookup in agent_pids. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} rq_current SEC(".maps");

/* Older kernels name it 'state'. */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___old *)t, state);
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

static __always_inline __s64 *waiting(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&rq_waiting, &zero);
}

/* tid is runnable from now on. Only a new entry is counted; one still there
 * (a switch-in was missed) gets the new time. Both ends of a wait are on the
 * monotonic clock (bpf_ktime_get_ns), not the event clock: a wait is a
 * duration kept in the kernel, and a suspend is no time spent in the queue. */
static __always_inline void enqueued(__u32 tid)
{
	__u64 now = bpf_ktime_get_ns();
	__s64 *n;

	if (bpf_map_update_elem(&rq_start, &tid, &now, BPF_NOEXIST)) {
		bpf_map_update_elem(&rq_start, &tid, &now, BPF_EXIST);
		return;
	}
	n = waiting();
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline int on_wakeup(struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);

	if (!bpf_map_lookup_elem(&agent_pids, &tgid))
		return 0;
	enqueued(BPF_CORE_READ(p, pid));
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(on_sched_wakeup, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(on_sched_wakeup_new, struct task_struct *p)
{
	return on_wakeup(p);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(on_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__u32 zero = 0, next_tid, slot;
	__u32 *cur = bpf_map_lookup_elem(&rq_current, &zero);
	__s64 *n = waiting();
	__u64 *start, *cell, *thr, delta;

	if (!cur || !n)
		return 0;
	/* an agent thread leaving the CPU while runnable waits in the queue again */
	if (*cur) {
		if (*cur == BPF_CORE_READ(prev, pid) && task_state(prev) == TASK_RUNNING)
			enqueued(*cur);
		*cur = 0;
	}
	if (*n <= 0)
		return 0; /* no agent thread waits: next is not one */
	next_tid = BPF_CORE_READ(next, pid);
	if (!next_tid)
		return 0; /* the idle task */
	start = bpf_map_lookup_elem(&rq_start, &next_tid);
	if (!start)
		return 0;
	delta = bpf_ktime_get_ns() - *start;
	if (bpf_map_delete_elem(&rq_start, &next_tid) == 0)
		__sync_fetch_and_add(n, -1);
	*cur = next_tid;

	slot = log2_u64(delta / 1000);
	if (slot >= AEGIS_RQ_SLOTS)
		slot = AEGIS_RQ_SLOTS - 1;
	cell = bpf_map_lookup_elem(&rq_hist, &slot);
	if (cell)
		*cell += 1;
	slot = AEGIS_RQ_SUM;
	cell = bpf_map_lookup_elem(&rq_hist, &slot);
	if (cell)
		*cell += delta;
	thr = bpf_map_lookup_elem(&rq_threshold, &zero);
	if (thr && *thr && delta >= *thr) {
		slot = AEGIS_RQ_OVER;
		cell = bpf_map_lookup_elem(&rq_hist, &slot);
		if (cell)
			*cell += 1;
	}
	return 0;
}
