/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The memory cgroup limit an OOM kill ran into. Read at the OOM mark (the
 * victim still exists then): the nearest cgroup of the victim, its own or
 * an ancestor, with a memory limit (cgroup v2 memory.max, or v1's
 * memory.limit_in_bytes where the v1 memory controller is mounted). A cgroup OOM at such a limit
 * happens with plenty of memory free on the host: the limit is the cause.
 */
#ifndef AEGISMON_MEMCG_H
#define AEGISMON_MEMCG_H

#include <stddef.h>
#include <stdint.h>

#define MEMCG_PATH_LEN 128

struct memcg_limit {
	char path[MEMCG_PATH_LEN]; /* relative to the cgroup v2 mount, "/..." */
	uint64_t max_bytes;        /* its memory.max (v1: the lower of its memory and
				      memory+swap limits) */
	uint64_t usage_bytes;      /* its memory.current when read */
	uint64_t limit_hits;       /* v2: "oom" of its memory.events, the times its limit
				      made the OOM killer run; v1: memory.failcnt and
				      memory.memsw.failcnt, the times usage hit a limit,
				      or 1 when only its peak usage shows it (neither
				      counts a host-wide OOM) */
};

/* memory.max / memory.current text: a byte count, or "max" (UINT64_MAX).
 * 0, or -EINVAL for anything else. */
int memcg_parse_value(const char *text, size_t len, uint64_t *v);

/* The v1 memory controller's path in /proc/PID/cgroup text ("4:memory:/x"):
 * 0, -ENOENT without one, -EINVAL for a path that is not absolute or climbs. */
int memcg_v1_path(const char *text, size_t len, char *rel, size_t rel_len);

/* Where a process's memory cgroup is: which hierarchy, which path. */
struct memcg_where {
	int v1;                        /* the v1 memory controller's hierarchy */
	char rel[MEMCG_PATH_LEN * 2];  /* relative to its mount, "/..." */
};

/* Where process pid's memory cgroup is: 0, -ENOENT, or -errno (gone). */
int memcg_where_of(int pid, struct memcg_where *w);

/* The limit at or above w (the process may be gone): 0, -ENOENT, -errno. */
int memcg_limit_from(const struct memcg_where *w, struct memcg_limit *out);

/* The limit process pid runs under: 0 and *out filled, -ENOENT when no
 * cgroup of its limits memory (or no cgroup v2), or -errno. */
int memcg_limit_of(int pid, struct memcg_limit *out);

/* The "oom N" count of memory.events text; -EINVAL without one. */
int memcg_parse_oom_events(const char *text, size_t len, uint64_t *v);

/* Was that limit what the OOM killer ran into: has it made it run? */
int memcg_at_limit(const struct memcg_limit *m);

#endif
