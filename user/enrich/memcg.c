// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The memory cgroup limit an OOM kill ran into (see memcg.h). */
#include "memcg.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

#define PATH_MAX_MEMCG 512

int memcg_parse_value(const char *text, size_t len, uint64_t *v)
{
	uint64_t n = 0;
	size_t i = 0;

	while (len && (text[len - 1] == '\n' || text[len - 1] == '\0'))
		len--;
	if (len == 3 && !memcmp(text, "max", 3)) {
		*v = UINT64_MAX;
		return 0;
	}
	if (!len || len > 20)
		return -EINVAL;
	for (; i < len; i++) {
		if (text[i] < '0' || text[i] > '9' || n > (UINT64_MAX - (uint64_t)(text[i] - '0')) / 10)
			return -EINVAL;
		n = n * 10 + (uint64_t)(text[i] - '0');
	}
	*v = n;
	return 0;
}

int memcg_parse_oom_events(const char *text, size_t len, uint64_t *v)
{
	const char *p = text, *end = text + strnlen(text, len);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);

		if (n > 4 && !memcmp(p, "oom ", 4))
			return memcg_parse_value(p + 4, n - 4, v);
		p += n + 1;
	}
	return -EINVAL;
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

static int read_value(const char *dir, const char *file, uint64_t *v)
{
	char path[PATH_MAX_MEMCG], text[32] = "";
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	n = read_small(path, text, sizeof(text));
	return n < 0 ? n : memcg_parse_value(text, (size_t)n, v);
}

/* The files of one hierarchy: cgroup v2 (memory.max, and the "oom" count of
 * memory.events), or v1's memory controller (memory.limit_in_bytes, and
 * memory.failcnt: the times usage hit the limit; v1 counts no OOM there),
 * whose memory+swap limit (memsw) may be the one reached. */
struct memcg_files {
	const char *max, *usage, *hits, *max2, *hits2;
	bool v1;
};

static const struct memcg_files files_v2 = { "memory.max", "memory.current", "memory.events", NULL, NULL,
					     false };
static const struct memcg_files files_v1 = { "memory.limit_in_bytes", "memory.usage_in_bytes",
					     "memory.failcnt", "memory.memsw.limit_in_bytes",
					     "memory.memsw.failcnt", true };

/* v1 says "no limit" with the page counter's maximum (2^63 less a page) */
static bool unlimited(uint64_t max, bool v1)
{
	return max == UINT64_MAX || (v1 && max >= (1ULL << 62));
}

/* The limit in dir (the lower of v1's two) and the times it was reached:
 * true when there is one. */
static bool limit_in(const char *dir, const struct memcg_files *fl, struct memcg_limit *out)
{
	char file[PATH_MAX_MEMCG + 32], text[1024] = "";
	uint64_t max = UINT64_MAX, max2 = UINT64_MAX, hits = 0, hits2 = 0;
	int n;

	if (read_value(dir, fl->max, &max) || unlimited(max, fl->v1))
		max = UINT64_MAX;
	if (!fl->max2 || read_value(dir, fl->max2, &max2) || unlimited(max2, fl->v1))
		max2 = UINT64_MAX;
	if (max == UINT64_MAX && max2 == UINT64_MAX)
		return false;
	out->max_bytes = max < max2 ? max : max2;
	if (read_value(dir, fl->usage, &out->usage_bytes))
		out->usage_bytes = 0;
	snprintf(file, sizeof(file), "%s/%s", dir, fl->hits);
	n = read_small(file, text, sizeof(text));
	if (n < 0 || (fl->v1 ? memcg_parse_value(text, (size_t)n, &hits)
			     : memcg_parse_oom_events(text, (size_t)n, &hits)))
		hits = 0;
	if (fl->hits2 && read_value(dir, fl->hits2, &hits2))
		hits2 = 0;
	out->limit_hits = hits + hits2;
	if (fl->v1 && !out->limit_hits) {
		/* recent kernels keep no failcnt for memory+swap: the peak usage
		 * (never lowered by the victim's exit) says the limit was reached */
		uint64_t peak = 0, peak2 = 0;

		if (read_value(dir, "memory.max_usage_in_bytes", &peak))
			peak = 0;
		if (read_value(dir, "memory.memsw.max_usage_in_bytes", &peak2))
			peak2 = 0;
		if ((max != UINT64_MAX && peak >= max - max / 16) ||
		    (max2 != UINT64_MAX && peak2 >= max2 - max2 / 16))
			out->limit_hits = 1;
	}
	return true;
}

/* Up from rel under mnt to the first cgroup with a limit; the root has none. */
static int limit_up(const char *mnt, char *rel, const struct memcg_files *fl, struct memcg_limit *out)
{
	char dir[PATH_MAX_MEMCG];

	for (;;) {
		char *slash;

		snprintf(dir, sizeof(dir), "%s%s", mnt, strcmp(rel, "/") ? rel : "");
		if (limit_in(dir, fl, out)) {
			snprintf(out->path, sizeof(out->path), "%s", rel);
			return 0;
		}
		slash = strrchr(rel, '/');
		if (!slash || slash == rel)
			return -ENOENT;
		*slash = '\0';
	}
}

int memcg_v1_path(const char *text, size_t len, char *rel, size_t rel_len)
{
	const char *p = text, *end = text + strnlen(text, len);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end, *c1 = memchr(p, ':', (size_t)(eol - p)), *c2;

		if (c1 && (c2 = memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)))) {
			/* the controllers: a comma-separated list that has "memory" */
			for (const char *w = c1 + 1; w < c2;) {
				const char *comma = memchr(w, ',', (size_t)(c2 - w));
				const char *we = comma ? comma : c2;

				if (we - w == 6 && !memcmp(w, "memory", 6)) {
					size_t n = (size_t)(eol - c2 - 1);

					if (!n || c2[1] != '/' || n >= rel_len || memmem(c2 + 1, n, "/..", 3))
						return -EINVAL;
					memcpy(rel, c2 + 1, n);
					rel[n] = '\0';
					return 0;
				}
				w = we + 1;
			}
		}
		p = eol + 1;
	}
	return -ENOENT;
}

int memcg_where_of(int pid, struct memcg_where *w)
{
	char path[64], text[4096], mnt[256];
	int n;

	memset(w, 0, sizeof(*w));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	n = read_small(path, text, sizeof(text));
	if (n < 0)
		return n;
	/* the v1 memory controller where it is mounted (a hybrid host, Alibaba
	 * Cloud Linux 3), else cgroup v2 */
	if (!memcg_v1_path(text, (size_t)n, w->rel, sizeof(w->rel)) && !proc_find_mount("cgroup", "memory", mnt, sizeof(mnt))) {
		w->v1 = 1;
		return 0;
	}
	return proc_parse_cgroup2(text, (size_t)n, w->rel, sizeof(w->rel)) ? -ENOENT : 0;
}

int memcg_limit_from(const struct memcg_where *w, struct memcg_limit *out)
{
	char mnt[256], rel[sizeof(w->rel)];
	int rc = w->v1 ? proc_find_mount("cgroup", "memory", mnt, sizeof(mnt)) : proc_cgroup2_mount(mnt, sizeof(mnt));

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	if (w->rel[0] != '/')
		return -ENOENT;
	snprintf(rel, sizeof(rel), "%s", w->rel);
	return limit_up(mnt, rel, w->v1 ? &files_v1 : &files_v2, out);
}

int memcg_limit_of(int pid, struct memcg_limit *out)
{
	struct memcg_where w;
	int rc = memcg_where_of(pid, &w);

	if (rc) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	return memcg_limit_from(&w, out);
}

int memcg_at_limit(const struct memcg_limit *m)
{
	return m->path[0] && m->limit_hits > 0;
}
