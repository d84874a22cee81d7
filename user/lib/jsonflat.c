// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* JSON evidence as "key: value" lines (see jsonflat.h). */
#include "jsonflat.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define FLAT_MAX_DEPTH 16

struct flat {
	const char *p, *end;
	const char *indent;
	char *out;
	size_t outlen, used;
	size_t line_start; /* where the line being written began: undone if it does not fit */
	int lines, err, depth;
	bool dry;           /* only parsing: no output */
	bool saw_container; /* dry run: an object or array was met */
	char key[256];
	size_t keylen;
};

static void skip_ws(struct flat *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\t' || *f->p == '\n' || *f->p == '\r'))
		f->p++;
}

static bool peek(struct flat *f, char c)
{
	skip_ws(f);
	return f->p < f->end && *f->p == c;
}

static void put(struct flat *f, const char *s, size_t n)
{
	if (f->dry || f->err)
		return;
	if (f->used + n + 1 > f->outlen) {
		f->used = f->line_start; /* whole lines only */
		f->err = -ENOSPC;
		return;
	}
	memcpy(f->out + f->used, s, n);
	f->used += n;
}

static void puts_(struct flat *f, const char *s)
{
	put(f, s, strlen(s));
}

static void line_begin(struct flat *f)
{
	f->line_start = f->used;
	puts_(f, f->indent);
	if (f->keylen) {
		put(f, f->key, f->keylen);
		puts_(f, ": ");
	}
}

static void line_end(struct flat *f)
{
	puts_(f, "\n");
	if (!f->dry && !f->err)
		f->lines++;
}

/* A string's content, still escaped as JSON has it (what the writer escaped
 * stays escaped: no control byte reaches a terminal through here). */
static int scan_string(struct flat *f, const char **s, size_t *n)
{
	const char *start;

	if (f->p >= f->end || *f->p != '"')
		return -EINVAL;
	start = ++f->p;
	while (f->p < f->end && *f->p != '"') {
		if ((unsigned char)*f->p < 0x20)
			return -EINVAL;
		if (*f->p == '\\' && ++f->p >= f->end)
			return -EINVAL;
		f->p++;
	}
	if (f->p >= f->end)
		return -EINVAL;
	*s = start;
	*n = (size_t)(f->p - start);
	f->p++;
	return 0;
}

/* true, false, null or a number */
static int scan_literal(struct flat *f, const char **s, size_t *n)
{
	static const char *const words[] = { "true", "false", "null" };
	const char *start = f->p;

	for (size_t i = 0; i < 3; i++) {
		size_t wl = strlen(words[i]);

		if ((size_t)(f->end - f->p) >= wl && !memcmp(f->p, words[i], wl)) {
			f->p += wl;
			*s = start, *n = wl;
			return 0;
		}
	}
	while (f->p < f->end && strchr("0123456789+-.eE", *f->p) && *f->p)
		f->p++;
	if (f->p == start || !strchr("0123456789-", *start))
		return -EINVAL;
	*s = start, *n = (size_t)(f->p - start);
	return 0;
}

static int scan_scalar(struct flat *f, const char **s, size_t *n)
{
	skip_ws(f);
	if (f->p < f->end && *f->p == '"')
		return scan_string(f, s, n);
	return scan_literal(f, s, n);
}

static size_t key_push(struct flat *f, const char *fmt_sep, const char *name, size_t n)
{
	size_t saved = f->keylen;
	size_t room = sizeof(f->key) - 1 - f->keylen;
	size_t seplen = f->keylen ? strlen(fmt_sep) : 0;

	if (seplen + n > room) /* a path this long is cut, never overrun */
		n = room > seplen ? room - seplen : 0, seplen = seplen <= room ? seplen : 0;
	memcpy(f->key + f->keylen, fmt_sep, seplen);
	f->keylen += seplen;
	memcpy(f->key + f->keylen, name, n);
	f->keylen += n;
	f->key[f->keylen] = '\0';
	return saved;
}

static void key_pop(struct flat *f, size_t saved)
{
	f->keylen = saved;
	f->key[saved] = '\0';
}

static int flat_value(struct flat *f);
static int flat_array(struct flat *f);

static int flat_object(struct flat *f)
{
	const char *name;
	size_t n, saved;
	int rc, members = 0;

	f->p++; /* '{' */
	if (peek(f, '}')) {
		f->p++;
		line_begin(f);
		puts_(f, "(none)");
		line_end(f);
		return 0;
	}
	for (;;) {
		skip_ws(f);
		if ((rc = scan_string(f, &name, &n)))
			return rc;
		if (!peek(f, ':'))
			return -EINVAL;
		f->p++;
		saved = key_push(f, ".", name, n);
		rc = flat_value(f);
		key_pop(f, saved);
		if (rc)
			return rc;
		members++;
		if (peek(f, ',')) {
			f->p++;
			continue;
		}
		if (peek(f, '}')) {
			f->p++;
			return 0;
		}
		return -EINVAL;
	}
}

/* Does the array at f->p hold only scalars? A dry parse that leaves f as it
 * was; nested arrays are not probed again within it, so the cost stays
 * linear in the depth. */
static int array_of_scalars(struct flat *f, bool *scalars)
{
	struct flat probe = *f;
	int rc;

	probe.dry = true;
	probe.saw_container = false;
	rc = flat_array(&probe); /* its elements only set saw_container */
	*scalars = !probe.saw_container;
	return rc;
}

static int flat_array(struct flat *f)
{
	const char *s;
	size_t n, saved;
	char idx[16];
	bool scalars;
	int rc, i = 0;

	scalars = false; /* a dry run only parses: each element by itself */
	if (!f->dry && (rc = array_of_scalars(f, &scalars)))
		return rc;
	f->p++; /* '[' */
	if (peek(f, ']')) {
		f->p++;
		line_begin(f);
		puts_(f, "(none)");
		line_end(f);
		return 0;
	}
	if (scalars)
		line_begin(f);
	for (;; i++) {
		if (scalars) {
			if ((rc = scan_scalar(f, &s, &n)))
				return rc;
			if (i)
				puts_(f, ", ");
			put(f, s, n);
		} else {
			int len = snprintf(idx, sizeof(idx), "[%d]", i);

			saved = key_push(f, "", idx, (size_t)len);
			rc = flat_value(f);
			key_pop(f, saved);
			if (rc)
				return rc;
		}
		if (peek(f, ',')) {
			f->p++;
			continue;
		}
		if (peek(f, ']')) {
			f->p++;
			break;
		}
		return -EINVAL;
	}
	if (scalars)
		line_end(f);
	return 0;
}

static int flat_value(struct flat *f)
{
	const char *s;
	size_t n;
	int rc;

	skip_ws(f);
	if (f->p >= f->end)
		return -EINVAL;
	if (*f->p == '{' || *f->p == '[') {
		f->saw_container = true;
		if (++f->depth > FLAT_MAX_DEPTH)
			return -EINVAL;
		rc = *f->p == '{' ? flat_object(f) : flat_array(f);
		f->depth--;
		return rc;
	}
	if ((rc = scan_scalar(f, &s, &n)))
		return rc;
	line_begin(f);
	put(f, s, n);
	line_end(f);
	return 0;
}

int json_flatten(const char *json, size_t len, const char *indent, char *out, size_t outlen)
{
	struct flat f = { .p = json, .indent = indent ? indent : "", .out = out, .outlen = outlen };
	int rc;

	if (!out || !outlen)
		return -EINVAL;
	out[0] = '\0';
	if (!json)
		return -EINVAL;
	f.end = json + strnlen(json, len);
	rc = flat_value(&f);
	skip_ws(&f);
	if (!rc && f.p != f.end)
		rc = -EINVAL; /* one value, nothing after it */
	if (rc) {
		out[0] = '\0';
		return rc;
	}
	out[f.used] = '\0';
	return f.err ? f.err : f.lines;
}
