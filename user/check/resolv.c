// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* resolv.conf and hosts parsers: bounded, line by line, no allocation. */
#include "resolv.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LINE_MAX_LEN 1024

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Next whitespace-separated word of *p (NUL-terminated line); NULL at the end. */
static char *next_word(char **p)
{
	char *s = *p, *w;

	while (blank(*s))
		s++;
	if (!*s)
		return NULL;
	w = s;
	while (*s && !blank(*s))
		s++;
	if (*s)
		*s++ = '\0';
	*p = s;
	return w;
}

/* Copy one line (without its newline) into buf, cut at the buffer: glibc
 * reads long lines in pieces too, and a cut word is simply malformed. */
static size_t take_line(const char *text, size_t len, size_t pos, char *buf, size_t cap)
{
	const char *nl = memchr(text + pos, '\n', len - pos);
	size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
	size_t c = n < cap - 1 ? n : cap - 1;

	memcpy(buf, text + pos, c);
	buf[c] = '\0';
	/* a NUL inside the line ends it for us, as for C string readers */
	return n + (nl != NULL);
}

static int parse_addr(const char *s, int *family, uint8_t *addr)
{
	char tmp[64];
	const char *pct = strchr(s, '%'); /* fe80::1%eth0: the zone is not ours to keep */
	size_t n = pct ? (size_t)(pct - s) : strlen(s);

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, tmp, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static unsigned option_value(const char *word, const char *name, unsigned max, unsigned def)
{
	size_t n = strlen(name);
	char *end;
	unsigned long v;

	if (strncmp(word, name, n) || word[n] != ':')
		return def;
	v = strtoul(word + n + 1, &end, 10);
	if (end == word + n + 1 || *end)
		return def;
	return v > max ? max : (unsigned)v;
}

void resolv_conf_parse(const char *text, size_t len, struct resolv_conf *out)
{
	char line[LINE_MAX_LEN];
	size_t pos = 0;
	unsigned lineno = 0;

	memset(out, 0, sizeof(*out));
	out->timeout_s = 5;
	out->attempts = 2;
	while (pos < len) {
		char *p = line, *key, *w;

		pos += take_line(text, len, pos, line, sizeof(line));
		lineno++;
		key = next_word(&p);
		if (!key || key[0] == '#' || key[0] == ';')
			continue;
		if (!strcmp(key, "nameserver")) {
			struct resolv_ns *ns = &out->ns[out->nns];

			w = next_word(&p);
			if (!w || out->nns >= RESOLV_MAX_NS || parse_addr(w, &ns->family, ns->addr)) {
				out->ignored++;
				continue;
			}
			snprintf(ns->text, sizeof(ns->text), "%s", w);
			ns->line = lineno;
			out->nns++;
		} else if (!strcmp(key, "search") || !strcmp(key, "domain")) {
			out->nsearch = 0; /* the last search or domain line wins */
			while ((w = next_word(&p)) && out->nsearch < RESOLV_MAX_SEARCH)
				if (strlen(w) < RESOLV_NAME_MAX)
					snprintf(out->search[out->nsearch++], RESOLV_NAME_MAX, "%s", w);
		} else if (!strcmp(key, "options")) {
			while ((w = next_word(&p))) {
				out->timeout_s = option_value(w, "timeout", 30, out->timeout_s);
				out->attempts = option_value(w, "attempts", 5, out->attempts);
				if (!strcmp(w, "rotate"))
					out->rotate = true;
			}
		}
	}
}

void hosts_parse(const char *text, size_t len,
		 int (*fn)(const struct hosts_entry *e, void *ctx), void *ctx)
{
	char line[LINE_MAX_LEN];
	size_t pos = 0;
	unsigned lineno = 0;

	while (pos < len) {
		struct hosts_entry e;
		char *p = line, *hash, *w;

		pos += take_line(text, len, pos, line, sizeof(line));
		lineno++;
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		w = next_word(&p);
		if (!w)
			continue;
		memset(&e, 0, sizeof(e));
		if (parse_addr(w, &e.family, e.addr))
			continue;
		snprintf(e.addr_text, sizeof(e.addr_text), "%s", w);
		e.line = lineno;
		while ((w = next_word(&p))) {
			size_t n = strlen(w);

			if (n >= RESOLV_NAME_MAX)
				continue;
			for (size_t i = 0; i <= n; i++)
				e.name[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
			if (n > 1 && e.name[n - 1] == '.')
				e.name[n - 1] = '\0'; /* "jsrv.aegis.aliyun.com." is the same name */
			if (fn(&e, ctx))
				return;
		}
	}
}
