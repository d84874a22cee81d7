// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* /proc/kallsyms lookups. The file has ~200k lines: stream it per lookup and
 * keep a few answers, rather than hold megabytes for rare drop diagnoses. */
#include "kallsyms.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SIZE 16

struct cached {
	uint64_t addr;
	char text[96];
};

static struct cached cache[CACHE_SIZE];
static unsigned cache_next;

int ksym_parse_line(const char *line, uint64_t *addr, char *name, size_t namelen)
{
	const char *p = line, *start;
	uint64_t v = 0;
	size_t n = 0;

	if (namelen == 0)
		return -1;
	while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')) {
		unsigned d = *p <= '9' ? (unsigned)(*p - '0') : (unsigned)((*p | 0x20) - 'a' + 10);

		if (++n > 16)
			return -1;
		v = (v << 4) | d;
		p++;
	}
	if (n == 0 || *p != ' ' || !p[1] || p[2] != ' ')
		return -1;
	p += 3; /* the type letter */
	start = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '\n')
		p++;
	if (p == start)
		return -1;
	n = (size_t)(p - start);
	if (n >= namelen)
		n = namelen - 1;
	memcpy(name, start, n);
	name[n] = '\0';
	*addr = v;
	return 0;
}

int ksym_resolve(uint64_t addr, char *out, size_t outlen)
{
	char line[512], name[128], best[128] = "";
	uint64_t a, best_addr = 0;
	bool any_nonzero = false;
	FILE *f;

	for (unsigned i = 0; i < CACHE_SIZE; i++)
		if (cache[i].addr == addr && addr) {
			snprintf(out, outlen, "%s", cache[i].text);
			return 0;
		}
	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (ksym_parse_line(line, &a, name, sizeof(name)))
			continue;
		if (a)
			any_nonzero = true;
		if (a <= addr && a >= best_addr && a) {
			best_addr = a;
			snprintf(best, sizeof(best), "%s", name);
		}
	}
	fclose(f);
	if (!any_nonzero || !best[0])
		return -1; /* addresses hidden (kptr_restrict) */
	snprintf(out, outlen, "%s+0x%" PRIx64, best, addr - best_addr);
	cache[cache_next % CACHE_SIZE].addr = addr;
	snprintf(cache[cache_next % CACHE_SIZE].text, sizeof(cache[0].text), "%s", out);
	cache_next++;
	return 0;
}
