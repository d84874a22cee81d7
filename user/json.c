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

static void put_escaped(struct jw *w, const char *str, size_t maxlen)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	char esc[8];

	putc_(w, '"');
	while (i < maxlen && s[i]) {
		unsigned char c = s[i];
		size_t avail = 0, n;

		while (i + avail < maxlen && s[i + avail] && avail < 4)
			avail++;
		n = utf8_seq_len(s + i, avail);
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
			i++;
		} else if (n == 1 && c >= 0x20 && c != 0x7f) {
			putc_(w, (char)c);
			i++;
		} else if (n > 1) {
			put(w, str + i, n);
			i += n;
		} else if (c == 0xc2 && avail >= 2 && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
			/* a C1 control is valid UTF-8 (utf8_seq_len refuses it for
			 * terminals): escape the code point, not its two bytes */
			snprintf(esc, sizeof(esc), "\\u%04x", s[i + 1]);
			put(w, esc, 6);
			i += 2;
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
			i++;
		}
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

const char *jw_result(struct jw *w)
{
	return w->cap ? w->buf : "";
}
