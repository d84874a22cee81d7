// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The config file: a strict key = value reader on top of options_apply. */
#include "config.h"

#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* One line, NUL-terminated and writable. 0, or -1 with the reason. */
static int parse_line(char *line, struct options *o, char *why, size_t whylen)
{
	char *p = line, *key, *value, *end;
	char reason[256];
	const char *kept;
	enum opt_key_kind kind;

	while (is_space(*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	key = p;
	while (is_key_char(*p))
		p++;
	end = p;
	while (is_space(*p))
		p++;
	if (end == key || *p != '=') {
		snprintf(why, whylen, "expected 'key = value'");
		return -1;
	}
	*end = '\0';
	for (char *k = key; *k; k++)
		if (*k == '_')
			*k = '-';
	p++;
	while (is_space(*p))
		p++;
	value = p;
	/* a comment may follow an unquoted value after a blank: "grace = 30  # s" */
	if (*value != '"')
		for (char *h = value; *h; h++)
			if (*h == '#' && (h == value || is_space(h[-1]))) {
				*h = '\0';
				break;
			}
	end = value + strlen(value);
	while (end > value && is_space(end[-1]))
		*--end = '\0';
	/* "..." keeps leading or trailing blanks; there are no escapes */
	if (end - value >= 2 && value[0] == '"' && end[-1] == '"') {
		end[-1] = '\0';
		value++;
	} else if (value[0] == '"') {
		snprintf(why, whylen, "%s: unterminated quote", key);
		return -1;
	}

	kind = options_key_kind(key);
	if (kind == KEY_UNKNOWN) {
		const char *near = options_suggest(key);

		snprintf(why, whylen, "unknown key '%s'%s%s%s", key, near ? " (did you mean '" : "",
			 near ? near : "", near ? "'?)" : "");
		return -1;
	}
	if (kind == KEY_CMDLINE_ONLY) {
		snprintf(why, whylen, "'%s' is a command-line option, not a config key", key);
		return -1;
	}
	if (*value == '\0') {
		snprintf(why, whylen, "%s: needs a value", key);
		return -1;
	}
	kept = options_own(o, value);
	if (!kept) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (options_apply(o, key, kept, SRC_CONFIG, reason, sizeof(reason))) {
		snprintf(why, whylen, "%s: %s", key, reason);
		return -1;
	}
	return 0;
}

int config_parse(const char *text, size_t len, const char *fname, struct options *o,
		 char *err, size_t errlen)
{
	char line[CONFIG_MAX_LINE + 1];
	char why[400];
	size_t pos = 0;
	unsigned lineno = 0;

	if (len > CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", fname, CONFIG_MAX_BYTES);
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		if (n > CONFIG_MAX_LINE) {
			snprintf(err, errlen, "%s:%u: line longer than %d characters", fname, lineno,
				 CONFIG_MAX_LINE);
			return -1;
		}
		if (memchr(text + pos, '\0', n)) {
			snprintf(err, errlen, "%s:%u: NUL byte (not a text file?)", fname, lineno);
			return -1;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		if (parse_line(line, o, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%u: %s", fname, lineno, why);
			return -1;
		}
		pos += n + (nl != NULL);
	}
	return 0;
}

int config_load(const char *path, struct options *o, char *err, size_t errlen)
{
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	int fd, rc = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u, not by root: refused (it decides what a root daemon runs)",
			 path, (unsigned)st.st_uid);
		goto out;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s: writable by group or others: refused (chmod go-w %s)", path, path);
		goto out;
	}
	if (st.st_size > CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_BYTES);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break; /* shrank while we read: parse what is there */
		got += (size_t)n;
	}
	rc = config_parse(text, got, path, o, err, errlen);
out:
	free(text);
	close(fd);
	return rc;
}
