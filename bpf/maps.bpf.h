/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Maps and helpers shared by every aegismon probe family. */
#ifndef AEGISMON_MAPS_BPF_H
#define AEGISMON_MAPS_BPF_H

#include "events.h"

#define AEGIS_MAX_TRACKED 8192
#define AEGIS_MAX_NAMES 64

/* Events to userspace. Size is set by userspace before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

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

/* Reserve an event and fill the common header for the given subject task. */
static __always_inline void *reserve_event(__u32 type, __u32 size, struct task_struct *task)
{
	struct aegis_hdr *hdr = bpf_ringbuf_reserve(&events, size, 0);

	if (!hdr) {
		count(AEGIS_CNT_RINGBUF_FULL);
		return NULL;
	}
	hdr->type = type;
	hdr->size = size;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ts_ns = bpf_ktime_get_ns();
	hdr->pid = BPF_CORE_READ(task, pid);
	hdr->tgid = BPF_CORE_READ(task, tgid);
	hdr->ppid = BPF_CORE_READ(task, real_parent, tgid);
	hdr->uid = BPF_CORE_READ(task, real_cred, uid.val);
	BPF_CORE_READ_STR_INTO(&hdr->comm, task, comm);
	return hdr;
}

static __always_inline void submit_event(void *ev)
{
	bpf_ringbuf_submit(ev, 0);
}

#endif /* AEGISMON_MAPS_BPF_H */
