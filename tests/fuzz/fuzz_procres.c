// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz the resource parsers (user/host/resources.c): /proc/stat, /proc/meminfo,
 * /proc/pressure/{cpu,memory}, /proc/loadavg, /proc/<pid>/stat and statm. Each must read
 * only len bytes (no NUL needed) and return figures that hold together; the
 * histogram helpers must stay in range on any counts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resources.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cpu_times ct, zero = { 0, 0 };
	struct meminfo mi;
	struct psi psi;
	struct proc_usage pu;
	uint64_t pages;
	uint32_t load;
	__u64 hist[AEGIS_RQ_SLOTS] = { 0 };
	char *copy = malloc(size ? size : 1); /* exact size: ASan sees any overread */

	CHECK(copy != NULL);
	memcpy(copy, data, size);
	if (res_parse_cpu(copy, size, &ct) == 0) {
		CHECK(ct.busy <= ct.total);
		CHECK(res_busy_pm(&zero, &ct) <= 1000);
	} else {
		CHECK(ct.busy == 0 && ct.total == 0);
	}
	if (res_parse_meminfo(copy, size, &mi) == 0) {
		CHECK(mi.total_kib > 0 && mi.avail_kib <= mi.total_kib);
		CHECK(res_mem_used_pm(mi.total_kib, mi.avail_kib) <= 1000);
	}
	if (res_parse_psi(copy, size, &psi) == 0) {
		CHECK(psi.some_avg10 >= 0 && psi.some_avg10 <= 10000);
		CHECK(psi.full_avg10 == AEGIS_RES_ABSENT || (psi.full_avg10 >= 0 && psi.full_avg10 <= 10000));
	} else {
		CHECK(psi.some_avg10 == AEGIS_RES_ABSENT && psi.full_avg10 == AEGIS_RES_ABSENT);
	}
	if (res_parse_loadavg(copy, size, &load) == 0)
		CHECK(load <= 1000000000u);
	if (res_parse_pid_stat(copy, size, &pu) == 0)
		CHECK(memchr(pu.comm, 0, sizeof(pu.comm)) != NULL);
	res_parse_statm(copy, size, &pages);
	{
		uint64_t delay, slices;

		if (res_parse_schedstat(copy, size, &delay, &slices) != 0)
			CHECK(delay == 0 && slices == 0);
	}

	/* the input as histogram counts */
	memcpy(hist, data, size < sizeof(hist) ? size : sizeof(hist));
	for (unsigned pct = 0; pct <= 100; pct += 10) {
		uint64_t p = res_rq_percentile_us(hist, pct);

		CHECK(p == 0 || p >= 2);
	}
	(void)res_rq_at_least(hist, size);
	free(copy);
	return 0;
}
