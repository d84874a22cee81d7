// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* /proc readers. */
#include "procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int proc_parse_stat(const char *buf, size_t len, struct proc_stat *out)
{
	const char *open_paren, *close_paren = NULL, *p, *end = buf + len;
	size_t clen;
	int field;

	memset(out, 0, sizeof(*out));
	open_paren = memchr(buf, '(', len);
	if (!open_paren)
		return -1;
	/* comm may contain ')' and spaces: the real end is the last ')' */
	for (p = end; p > open_paren; p--)
		if (p[-1] == ')') {
			close_paren = p - 1;
			break;
		}
	if (!close_paren)
		return -1;
	for (p = buf; p < open_paren && *p == ' '; p++)
		;
	if (p == open_paren || !isdigit((unsigned char)*p))
		return -1;
	out->pid = 0;
	for (; p < open_paren && isdigit((unsigned char)*p); p++) {
		if (out->pid > 0x3fffffff / 10) /* checked before it can overflow */
			return -1;
		out->pid = out->pid * 10 + (*p - '0');
		if (out->pid > 0x3fffffff)
			return -1;
	}
	clen = (size_t)(close_paren - open_paren - 1);
	if (clen >= sizeof(out->comm))
		clen = sizeof(out->comm) - 1;
	memcpy(out->comm, open_paren + 1, clen);
	out->comm[clen] = '\0';

	/* fields after comm: 3 state, 4 ppid, ..., 22 starttime */
	p = close_paren + 1;
	for (field = 3; field <= 22; field++) {
		char num[32];
		size_t n = 0;

		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			return -1;
		while (p < end && *p != ' ' && *p != '\n' && n < sizeof(num) - 1)
			num[n++] = *p++;
		num[n] = '\0';
		if (n == 0)
			return -1;
		if (field == 3) {
			out->state = num[0];
		} else if (field == 4) {
			char *e;
			long v = strtol(num, &e, 10);

			if (*e || v < 0 || v > 0x3fffffff)
				return -1;
			out->ppid = (int)v;
		} else if (field == 22) {
			char *e;
			unsigned long long v = strtoull(num, &e, 10);

			if (*e)
				return -1;
			out->starttime_ticks = v;
		}
	}
	return 0;
}

static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len);
	close(fd);
	return n;
}

int proc_read_exe(int pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	n = readlink(path, buf, len - 1);
	if (n < 0) {
		buf[0] = '\0';
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

int proc_read_stat(int pid, struct proc_stat *out)
{
	char path[64], buf[1024];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	n = read_small(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return proc_parse_stat(buf, (size_t)n, out);
}

/* The unsigned decimal after "<key>:" and blanks on line [p, end). */
static int status_number(const char *p, const char *end, uint32_t *out)
{
	uint64_t v = 0;
	const char *d;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (d = p; p < end && *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	if (p == d)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* An optional field: left at -1 when malformed or past INT32_MAX. */
static void optional_number(const char *p, const char *end, int32_t *out)
{
	uint32_t v;

	if (!status_number(p, end, &v) && v <= INT32_MAX)
		*out = (int32_t)v;
}

int proc_parse_status(const char *buf, size_t len, struct proc_status *out)
{
	const char *p = buf, *end = buf + len;
	unsigned seen = 0;

	memset(out, 0, sizeof(*out));
	out->seccomp = out->seccomp_filters = -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);

		if (n > 6 && !memcmp(p, "State:", 6)) {
			const char *q = p + 6;

			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (q == eol)
				return -1;
			out->state = *q;
			seen |= 1;
		} else if (n > 4 && !memcmp(p, "Uid:", 4)) {
			if (status_number(p + 4, eol, &out->ruid))
				return -1;
			seen |= 2;
		} else if (n > 10 && !memcmp(p, "TracerPid:", 10)) {
			if (status_number(p + 10, eol, &out->tracer_pid))
				return -1;
			seen |= 4;
		} else if (n > 8 && !memcmp(p, "Seccomp:", 8)) {
			optional_number(p + 8, eol, &out->seccomp);
		} else if (n > 16 && !memcmp(p, "Seccomp_filters:", 16)) {
			optional_number(p + 16, eol, &out->seccomp_filters);
		}
		p = eol + 1;
	}
	return seen == 7 ? 0 : -1;
}

int proc_read_status(int pid, struct proc_status *out)
{
	char path[64], buf[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	n = read_small(path, buf, sizeof(buf));
	if (n <= 0)
		return -1;
	return proc_parse_status(buf, (size_t)n, out);
}

int proc_read_uid(int pid, uid_t *uid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st))
		return -1;
	*uid = st.st_uid;
	return 0;
}

int proc_read_cmdline(int pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = read_small(path, buf, len - 1);
	if (n <= 0) {
		buf[0] = '\0';
		return -1;
	}
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	return 0;
}

int proc_for_each_pid(int (*fn)(int pid, void *ctx), void *ctx)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int rc = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *e;
		long pid = strtol(de->d_name, &e, 10);

		if (*e || pid <= 0)
			continue;
		rc = fn((int)pid, ctx);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

int proc_parse_cgroup2(const char *buf, size_t len, char *rel, size_t rel_len)
{
	static const char deleted[] = " (deleted)";
	const size_t dl = sizeof(deleted) - 1;
	size_t off = 0;

	while (off < len) {
		const char *line = buf + off, *nl = memchr(line, '\n', len - off);
		size_t n = nl ? (size_t)(nl - line) : len - off;

		off += n + 1;
		if (n < 3 || memcmp(line, "0::", 3))
			continue;
		line += 3;
		n -= 3;
		if (n == 0 || line[0] != '/' || n >= rel_len || memchr(line, '\0', n) ||
		    (n >= dl && !memcmp(line + n - dl, deleted, dl)))
			return -ENOENT;
		for (size_t i = 0; i + 3 <= n; i++)
			if (!memcmp(line + i, "/..", 3) && (i + 3 == n || line[i + 3] == '/'))
				return -ENOENT;
		memcpy(rel, line, n);
		rel[n] = '\0';
		return 0;
	}
	return -ENOENT;
}

int proc_find_mount(const char *type, const char *option, char *out, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while ((m = getmntent(f)))
		if (!strcmp(m->mnt_type, type) && (!option || hasmntopt(m, option))) {
			snprintf(out, len, "%s", m->mnt_dir);
			rc = 0;
			break;
		}
	endmntent(f);
	return rc;
}

int proc_cgroup2_mount(char *out, size_t len)
{
	return proc_find_mount("cgroup2", NULL, out, len);
}
