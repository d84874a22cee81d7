/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Maps and helpers shared by every aegismon probe family. */
#ifndef AEGISMON_MAPS_BPF_H
#define AEGISMON_MAPS_BPF_H

#include "events.h"

#define AEGIS_MAX_TRACKED 8192
#define AEGIS_MAX_NAMES 64

/*
 * Events to userspace: a BPF ring buffer (5.8+), or, in the objects built
 * with -DAEGIS_PERFBUF, a perf event array for older kernels (and for
 * AEGISMON_FORCE_PERFBUF=1). Two builds rather than one object with a
 * runtime branch: the verifier rejects ring buffer helpers on a perf event
 * array even in a branch never taken, and a load-time constant would need
 * global data, which kernels before 5.2 lack. The ring buffer size is set by
 * userspace before load; the perf event array gets one slot per CPU.
 */
#ifdef AEGIS_PERFBUF
struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

/* A perf sample is copied out of memory of our own: one slot per CPU to
 * build the event in, as large as the largest event reserve_event takes. */
#define AEGIS_HEAP_SIZE 512

struct aegis_heap_slot {
	__u8 data[AEGIS_HEAP_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct aegis_heap_slot);
} aegis_heap SEC(".maps");

_Static_assert(sizeof(struct aegis_exec) <= AEGIS_HEAP_SIZE, "exec event too large");
_Static_assert(sizeof(struct aegis_signal) <= AEGIS_HEAP_SIZE, "signal event too large");
_Static_assert(sizeof(struct aegis_tcp) <= AEGIS_HEAP_SIZE, "tcp event too large");
_Static_assert(sizeof(struct aegis_drop) <= AEGIS_HEAP_SIZE, "drop event too large");
_Static_assert(sizeof(struct aegis_connect) <= AEGIS_HEAP_SIZE, "connect event too large");
#else
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");
#endif

/* Per-CPU counters, indexed by enum aegis_counter. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, AEGIS_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Agent process names (comm, NUL-padded to 16 bytes), filled by userspace. */
struct aegis_name_key {
	char comm[AEGIS_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AEGIS_MAX_NAMES);
	__type(key, struct aegis_name_key);
	__type(value, __u8);
} agent_names SEC(".maps");

/* The tracked agent processes, keyed by tgid. Value: flags (reserved). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, AEGIS_MAX_TRACKED);
	__type(key, __u32);
	__type(value, __u32);
} agent_pids SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *val = bpf_map_lookup_elem(&counters, &idx);

	if (val)
		*val += 1;
}

/*
 * Room for one event of size bytes, to be filled and then given to
 * submit_event() (a reservation in the ring buffer must be submitted). NULL
 * when the ring buffer is full, counted as a lost event.
 */
static __always_inline void *reserve_raw(__u32 size)
{
#ifdef AEGIS_PERFBUF
	__u32 zero = 0;

	/* the per-CPU slot: a program that interrupts another on this CPU
	 * (softirq) may reuse it; events are small and such overlaps rare */
	if (size > AEGIS_HEAP_SIZE)
		return NULL;
	return bpf_map_lookup_elem(&aegis_heap, &zero);
#else
	void *ev = bpf_ringbuf_reserve(&events, size, 0);

	if (!ev)
		count(AEGIS_CNT_RINGBUF_FULL);
	return ev;
#endif
}

/*
 * Send size bytes at ev (a buffer of the caller's, or a reservation) to
 * userspace. perf output needs the program's context. A perf buffer that is
 * full fails the output (-ENOSPC): counted here at once, as the ring buffer's
 * failed reservations are (the kernel's lost-sample records reach userspace
 * only with the next sample that fits).
 */
static __always_inline void aegis_output(void *ctx, void *ev, __u32 size, bool reserved)
{
#ifdef AEGIS_PERFBUF
	(void)reserved;
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, ev, size))
		count(AEGIS_CNT_RINGBUF_FULL);
#else
	(void)ctx;
	if (reserved)
		bpf_ringbuf_submit(ev, 0);
	else if (bpf_ringbuf_output(&events, ev, size, 0))
		count(AEGIS_CNT_RINGBUF_FULL);
#endif
}

/* submit_event(ev): send an event from reserve_event()/reserve_raw(). A macro
 * so that every program passes its own ctx (BPF_PROG and tracepoint programs
 * name it ctx) and the size of the event it built. */
#define submit_event(ev) aegis_output(ctx, (ev), sizeof(*(ev)), true)
/* output_event(ev): send an event built in a buffer of the program's own. */
#define output_event(ev) aegis_output(ctx, (ev), sizeof(*(ev)), false)

/*
 * The event clock: every event time and every stored start or "since" is on
 * it. The boot clock (bpf_ktime_get_boot_ns, 5.8+), which counts suspend as
 * /proc/PID/stat starttime does; before 5.8, the monotonic clock. The choice
 * is a CO-RE constant read from the kernel's own enum bpf_func_id, so the
 * verifier only walks the branch taken and removes the other (before 5.1 it
 * turns it into dead jumps): a helper the kernel lacks, there, is never
 * called nor refused. Userspace asks the same BTF (loader_boot_clock) and
 * reads its "now" on the same clock (timefmt.c clock_event_ns).
 */
#define aegis_boot_clock() bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_ktime_get_boot_ns)

static __always_inline __u64 aegis_now_ns(void)
{
	if (aegis_boot_clock())
		return bpf_ktime_get_boot_ns();
	return bpf_ktime_get_ns();
}

/* Before 5.5, start_boottime was named real_start_time (boot-based too). */
struct task_struct___start_old {
	__u64 real_start_time;
} __attribute__((preserve_access_index));

/* When task started, on the event clock: start_boottime (5.5+) on the boot
 * clock, start_time (monotonic, every kernel) on the fallback. */
static __always_inline __u64 aegis_task_start_ns(struct task_struct *task)
{
	if (!aegis_boot_clock())
		return BPF_CORE_READ(task, start_time);
	if (bpf_core_field_exists(task->start_boottime))
		return BPF_CORE_READ(task, start_boottime);
	return BPF_CORE_READ((struct task_struct___start_old *)task, real_start_time);
}

/* Reserve an event and fill the common header for the given subject task. */
static __always_inline void *reserve_event(__u32 type, __u32 size, struct task_struct *task)
{
	struct aegis_hdr *hdr = reserve_raw(size);

	if (!hdr)
		return NULL;
	hdr->type = type;
	hdr->size = size;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ts_ns = aegis_now_ns();
	hdr->pid = BPF_CORE_READ(task, pid);
	hdr->tgid = BPF_CORE_READ(task, tgid);
	hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
	hdr->uid = BPF_CORE_READ(task, real_cred, uid.val);
	BPF_CORE_READ_STR_INTO(&hdr->comm, task, comm);
	return hdr;
}

#endif /* AEGISMON_MAPS_BPF_H */
