// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* JSON writer: escaping, commas and nesting, into a fixed buffer. */
#include "json.h"
#include "escape.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void jw_init(struct jw *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->first[0] = true;
	if (cap)
		buf[0] = '\0';
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (w->overflow || w->cap == 0)
		return;
	if (w->len + n + 1 > w->cap) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static void putc_(struct jw *w, char c)
{
	put(w, &c, 1);
}

/* Comma before a value or key, unless it follows a key or opens a container. */
static void sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		putc_(w, ',');
	w->first[w->depth] = false;
}

static void open_(struct jw *w, char c)
{
	sep(w);
	putc_(w, c);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	else
		w->overflow = true;
	w->first[w->depth] = true;
}

static void close_(struct jw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	putc_(w, c);
}

void jw_obj_begin(struct jw *w) { open_(w, '{'); }
void jw_obj_end(struct jw *w) { close_(w, '}'); }
void jw_arr_begin(struct jw *w) { open_(w, '['); }
void jw_arr_end(struct jw *w) { close_(w, ']'); }

/* "\uXXXX", or a surrogate pair past U+FFFF: JSON's only escape for them */
static size_t u_escape(char *out, size_t len, uint32_t cp)
{
	int n;

	if (cp <= 0xffff)
		n = snprintf(out, len, "\\u%04x", (unsigned)cp);
	else
		n = snprintf(out, len, "\\u%04x\\u%04x", (unsigned)(0xd800 + ((cp - 0x10000) >> 10)),
			     (unsigned)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
	return n > 0 ? (size_t)n : 0;
}

static void put_u(struct jw *w, uint32_t cp)
{
	char esc[16];

	put(w, esc, u_escape(esc, sizeof(esc), cp));
}

static void put_escaped(struct jw *w, const char *str, size_t maxlen)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	putc_(w, '"');
	while (i < maxlen && s[i]) {
		size_t avail = 0, n;
		uint32_t cp;

		/* a run of plain ASCII in one copy: most names and paths are that */
		for (n = 0; i + n < maxlen && s[i + n] >= 0x20 && s[i + n] < 0x7f && s[i + n] != '"' &&
			    s[i + n] != '\\'; n++)
			;
		if (n) {
			put(w, str + i, n);
			i += n;
			continue;
		}
		while (i + avail < maxlen && s[i + avail] && avail < 4)
			avail++;
		n = utf8_decode(s + i, avail, &cp);
		if (n == 0) {
			/* never \u00XX for a byte: that reads back as a Latin-1 character */
			put_u(w, 0xfffd);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			putc_(w, '\\');
			putc_(w, (char)cp);
		} else if (cp_is_hidden(cp)) {
			put_u(w, cp); /* controls, bidi, invisible: the same value, safe to cat */
		} else {
			put(w, str + i, n);
		}
		i += n;
	}
	putc_(w, '"');
}

/* The exact bytes of s as a hex string value. */
static void put_hex(struct jw *w, const char *s, size_t maxlen)
{
	static const char digits[] = "0123456789abcdef";

	putc_(w, '"');
	for (size_t i = 0; i < maxlen && s[i]; i++) {
		char pair[2] = { digits[(unsigned char)s[i] >> 4], digits[(unsigned char)s[i] & 0xf] };

		put(w, pair, 2);
	}
	putc_(w, '"');
}

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	put_escaped(w, key, strlen(key));
	putc_(w, ':');
	w->after_key = true;
}

void jw_strn(struct jw *w, const char *s, size_t maxlen)
{
	sep(w);
	put_escaped(w, s ? s : "", s ? maxlen : 0);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, s ? strlen(s) : 0);
}

void jw_int(struct jw *w, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	sep(w);
	put(w, num, (size_t)n);
}

void jw_uint(struct jw *w, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	sep(w);
	put(w, num, (size_t)n);
}

void jw_bool(struct jw *w, bool v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_null(struct jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void jw_raw(struct jw *w, const char *text)
{
	sep(w);
	put(w, text, strlen(text));
}

void jw_kstr(struct jw *w, const char *key, const char *s) { jw_key(w, key); jw_str(w, s); }
void jw_kstrn(struct jw *w, const char *key, const char *s, size_t maxlen) { jw_key(w, key); jw_strn(w, s, maxlen); }
void jw_kint(struct jw *w, const char *key, int64_t v) { jw_key(w, key); jw_int(w, v); }
void jw_kuint(struct jw *w, const char *key, uint64_t v) { jw_key(w, key); jw_uint(w, v); }
void jw_kbool(struct jw *w, const char *key, bool v) { jw_key(w, key); jw_bool(w, v); }

void jw_kpath(struct jw *w, const char *key, const char *s, size_t maxlen)
{
	char hkey[64];

	jw_kstrn(w, key, s, maxlen);
	if (!s || utf8_valid(s, maxlen))
		return;
	snprintf(hkey, sizeof(hkey), "%s_hex", key);
	jw_key(w, hkey);
	sep(w);
	put_hex(w, s, maxlen);
}

size_t json_to_ascii(char *dst, size_t dstlen, const char *json)
{
	const unsigned char *s = (const unsigned char *)json;
	size_t i = 0, o = 0;

	if (dstlen == 0)
		return 0;
	while (s[i]) {
		char u[16];
		size_t n, ulen;
		uint32_t cp;

		n = utf8_decode(s + i, strnlen(json + i, 4), &cp);
		if (n == 0) { /* not from our writer; still no raw byte */
			n = 1;
			cp = 0xfffd;
		}
		if (cp < 0x80) {
			u[0] = (char)cp;
			ulen = 1;
		} else {
			ulen = u_escape(u, sizeof(u), cp);
		}
		if (o + ulen >= dstlen) {
			dst[0] = '\0';
			return 0;
		}
		memcpy(dst + o, u, ulen);
		o += ulen;
		i += n;
	}
	dst[o] = '\0';
	return o;
}

const char *jw_result(struct jw *w)
{
	return w->cap ? w->buf : "";
}
