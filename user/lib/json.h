/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* A small JSON writer into a caller-owned buffer: no allocation per call. */
#ifndef AEGISMON_JSON_H
#define AEGISMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16

struct jw {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;          /* output did not fit: the document is cut */
	int depth;
	bool first[JW_MAX_DEPTH]; /* no member written yet at this depth */
	bool after_key;
};

void jw_init(struct jw *w, char *buf, size_t cap);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
/* String values: valid UTF-8 passes; '"', '\\', control characters and the
 * other code points cp_is_hidden() names become \uXXXX escapes (the decoded
 * value is unchanged); a byte that is not valid UTF-8 becomes \ufffd. At most
 * maxlen bytes of s are read (strings from the kernel may lack a NUL). */
void jw_strn(struct jw *w, const char *s, size_t maxlen);
void jw_str(struct jw *w, const char *s);
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
void jw_raw(struct jw *w, const char *text);

/* key + value shorthands */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kstrn(struct jw *w, const char *key, const char *s, size_t maxlen);
void jw_kint(struct jw *w, const char *key, int64_t v);
void jw_kuint(struct jw *w, const char *key, uint64_t v);
void jw_kbool(struct jw *w, const char *key, bool v);
/* A path whose exact bytes matter (an executable): key as jw_kstrn, and when
 * the value is not valid UTF-8 (so \ufffd replaced bytes), also key + "_hex"
 * with the exact bytes in lowercase hex. */
void jw_kpath(struct jw *w, const char *key, const char *s, size_t maxlen);

/*
 * Copy the JSON text json into dst with every non-ASCII character as a \u
 * escape (a surrogate pair past U+FFFF): the same document in plain ASCII, for
 * a syslog MSG that is not marked as UTF-8. Returns the length, or 0 (dst
 * empty) if it does not fit.
 */
size_t json_to_ascii(char *dst, size_t dstlen, const char *json);

/* The finished document, NUL-terminated (cut short if overflow). */
const char *jw_result(struct jw *w);

#endif
