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
/* String values are escaped; invalid UTF-8 bytes become \u00XX. At most
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

/* The finished document, NUL-terminated (cut short if overflow). */
const char *jw_result(struct jw *w);

#endif
