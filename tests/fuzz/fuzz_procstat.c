// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz proc_parse_stat: /proc/<pid>/stat text is read from processes we do not
 * control (comm is chosen by the process). The parser must read only len
 * bytes, and what it returns must be sane. The same bytes go through
 * proc_parse_cgroup2 (/proc/<pid>/cgroup: cgroup names are chosen by whoever
 * may create cgroups): a path it returns is absolute, fits, and cannot climb.
 * And through proc_parse_status (/proc/<pid>/status: the Name line is the
 * process's to choose), whose answer decides who counts as the agent, and
 * whose Seccomp lines name what refused a connect. And through timens_parse
 * (/proc/self/timens_offsets, user/lib/timefmt.c): a refusal leaves no offset
 * half-set. And through the memory cgroup files' parsers (memory.max,
 * memory.events: user/enrich/memcg.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "timefmt.h"
#include "memcg.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proc_stat st;
	char *copy;

	/* an exact-size heap copy: ASan catches any read past len */
	copy = malloc(size ? size : 1);
	CHECK(copy != NULL);
	memcpy(copy, data, size);
	if (proc_parse_stat(copy, size, &st) == 0) {
		CHECK(memchr(st.comm, 0, sizeof(st.comm)) != NULL);
		CHECK(st.pid >= 0 && st.pid <= 0x3fffffff);
		CHECK(st.ppid >= 0 && st.ppid <= 0x3fffffff);
		CHECK(memchr(copy, '(', size) != NULL && memchr(copy, ')', size) != NULL);
	}
	{
		struct proc_status ps;

		if (proc_parse_status(copy, size, &ps) == 0) {
			CHECK(ps.state != '\n');
			CHECK(memmem(copy, size, "Uid:", 4) != NULL);
			CHECK(memmem(copy, size, "TracerPid:", 10) != NULL);
			CHECK(ps.seccomp >= -1 && ps.seccomp_filters >= -1);
			CHECK(ps.seccomp < 0 || memmem(copy, size, "Seccomp:", 8) != NULL);
			CHECK(ps.seccomp_filters < 0 ||
			      memmem(copy, size, "Seccomp_filters:", 16) != NULL);
		}
	}
	{
		char rel[64];

		if (proc_parse_cgroup2(copy, size, rel, sizeof(rel)) == 0) {
			CHECK(rel[0] == '/');
			CHECK(memchr(rel, 0, sizeof(rel)) != NULL);
			CHECK(strstr(rel, "/../") == NULL);
			CHECK(strlen(rel) < 3 || strcmp(rel + strlen(rel) - 3, "/..") != 0);
		}
	}
	{
		struct timens_offsets off;

		if (timens_parse(copy, size, &off) != 0)
			CHECK(off.mono_ns == 0 && off.boot_ns == 0);
	}
	{
		uint64_t v = 7;

		if (memcg_parse_value(copy, size, &v) == 0 && v != UINT64_MAX)
			CHECK(size > 0 && copy[0] >= '0' && copy[0] <= '9');
		memcg_parse_oom_events(copy, size, &v);
	}
	{
		char rel[64];

		if (memcg_v1_path(copy, size, rel, sizeof(rel)) == 0)
			CHECK(rel[0] == '/' && strlen(rel) < sizeof(rel) && !strstr(rel, "/.."));
	}
	free(copy);
	return 0;
}
