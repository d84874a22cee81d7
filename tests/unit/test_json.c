// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* JSON writer and terminal escaping: the output of untrusted strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "escape.h"
#include "json.h"

/* ---- JSON writer ---- */

static const char *one_string(char *buf, size_t cap, const char *s)
{
	struct jw w;

	jw_init(&w, buf, cap);
	jw_str(&w, s);
	assert_false(w.overflow);
	return jw_result(&w);
}

static void test_empty_containers(void **state)
{
	char buf[64];
	struct jw w;

	(void)state;
	jw_init(&w, buf, sizeof(buf));
	jw_obj_begin(&w);
	jw_obj_end(&w);
	assert_string_equal(jw_result(&w), "{}");

	jw_init(&w, buf, sizeof(buf));
	jw_arr_begin(&w);
	jw_arr_end(&w);
	assert_string_equal(jw_result(&w), "[]");
}

static void test_nesting_and_commas(void **state)
{
	char buf[256];
	struct jw w;

	(void)state;
	jw_init(&w, buf, sizeof(buf));
	jw_obj_begin(&w);
	jw_kint(&w, "a", -1);
	jw_key(&w, "b");
	jw_arr_begin(&w);
	jw_uint(&w, 1);
	jw_uint(&w, UINT64_MAX);
	jw_obj_begin(&w);
	jw_kbool(&w, "c", true);
	jw_obj_end(&w);
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_null(&w);
	jw_arr_end(&w);
	jw_key(&w, "d");
	jw_obj_begin(&w);
	jw_key(&w, "e");
	jw_null(&w);
	jw_kbool(&w, "f", false);
	jw_obj_end(&w);
	jw_kstr(&w, "g", "x");
	jw_kuint(&w, "h", 0);
	jw_key(&w, "i");
	jw_raw(&w, "[1]");
	jw_kstrn(&w, "j", "abcdef", 3);
	jw_kint(&w, "k", INT64_MIN);
	jw_obj_end(&w);
	assert_false(w.overflow);
	assert_int_equal(w.depth, 0);
	assert_string_equal(jw_result(&w),
			    "{\"a\":-1,\"b\":[1,18446744073709551615,{\"c\":true},[],null],"
			    "\"d\":{\"e\":null,\"f\":false},\"g\":\"x\",\"h\":0,\"i\":[1],"
			    "\"j\":\"abc\",\"k\":-9223372036854775808}");
}

static void test_array_of_objects(void **state)
{
	char buf[64];
	struct jw w;

	(void)state;
	jw_init(&w, buf, sizeof(buf));
	jw_arr_begin(&w);
	for (int i = 0; i < 3; i++) {
		jw_obj_begin(&w);
		jw_kint(&w, "i", i);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	assert_string_equal(jw_result(&w), "[{\"i\":0},{\"i\":1},{\"i\":2}]");
}

static void test_escape_quote_backslash_controls(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(one_string(buf, sizeof(buf), "a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\n\t\r\x01\x1f"),
			    "\"\\u000a\\u0009\\u000d\\u0001\\u001f\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\x1b[31m"), "\"\\u001b[31m\"");
	assert_string_equal(one_string(buf, sizeof(buf), "del\x7f"), "\"del\\u007f\"");
	assert_string_equal(one_string(buf, sizeof(buf), " ~"), "\" ~\"");
	assert_string_equal(one_string(buf, sizeof(buf), ""), "\"\"");
}

static void test_escape_key(void **state)
{
	char buf[64];
	struct jw w;

	(void)state;
	jw_init(&w, buf, sizeof(buf));
	jw_obj_begin(&w);
	jw_kstr(&w, "k\"\n", "v");
	jw_obj_end(&w);
	assert_string_equal(jw_result(&w), "{\"k\\\"\\u000a\":\"v\"}");
}

static void test_invalid_utf8(void **state)
{
	char buf[128];

	(void)state;
	/* every byte that is not valid UTF-8 is U+FFFD, never \u00XX (that
	 * would read back as a Latin-1 character): stray bytes, a cut sequence,
	 * an overlong form, a surrogate, past U+10FFFF */
	assert_string_equal(one_string(buf, sizeof(buf), "\xff"), "\"\\ufffd\"");
	assert_string_equal(one_string(buf, sizeof(buf), "a\x80z"), "\"a\\ufffdz\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\x9b" "2J"), "\"\\ufffd2J\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xe4\xb8"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xe0\x80\xaf"),
			    "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xed\xa0\x80"),
			    "\"\\ufffd\\ufffd\\ufffd\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xf4\x90\x80\x80"),
			    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	/* a lead byte followed by ASCII: the ASCII survives */
	assert_string_equal(one_string(buf, sizeof(buf), "\xc3" "A"), "\"\\ufffdA\"");
	assert_string_equal(one_string(buf, sizeof(buf), "/tmp/\xe9vil"), "\"/tmp/\\ufffdvil\"");
}

static void test_valid_utf8_kept(void **state)
{
	char buf[128];

	(void)state;
	assert_string_equal(one_string(buf, sizeof(buf), "caf\xc3\xa9"), "\"caf\xc3\xa9\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xe4\xb8\xad\xe6\x96\x87"),
			    "\"\xe4\xb8\xad\xe6\x96\x87\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xf0\x9f\x98\x80"),
			    "\"\xf0\x9f\x98\x80\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xf4\x8f\xbf\xbf"),
			    "\"\xf4\x8f\xbf\xbf\"");
}

/* A C1 control is valid UTF-8: escape the code point, not its two bytes. */
static void test_c1_control_escaped_as_code_point(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(one_string(buf, sizeof(buf), "a\xc2\x85" "b"), "\"a\\u0085b\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xc2\x9b" "31m"), "\"\\u009b31m\"");
	assert_string_equal(one_string(buf, sizeof(buf), "\xc2\xa0"), "\"\xc2\xa0\"");
}

/* Bidi and invisible code points are valid UTF-8 but change how a line
 * displays: escaped as \uXXXX, so the line is safe to cat and the decoded
 * value is still exact. */
static void test_bidi_and_invisible_escaped(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "exe\xe2\x80\xae" "fdp.sh", "\"exe\\u202efdp.sh\"" },      /* RLO */
		{ "\xd8\x9c", "\"\\u061c\"" },                              /* ALM */
		{ "\xe2\x80\x8e\xe2\x80\x8f", "\"\\u200e\\u200f\"" },         /* LRM RLM */
		{ "\xe2\x80\xaa\xe2\x80\xac", "\"\\u202a\\u202c\"" },         /* LRE PDF */
		{ "\xe2\x81\xa6\xe2\x81\xa9", "\"\\u2066\\u2069\"" },         /* LRI PDI */
		{ "a\xe2\x80\x8b" "b", "\"a\\u200bb\"" },                  /* zero-width space */
		{ "\xef\xbb\xbf", "\"\\ufeff\"" },                          /* BOM */
		{ "x\xe2\x80\xa8y", "\"x\\u2028y\"" },                     /* line separator */
		{ "\xf3\xa0\x80\x81", "\"\\udb40\\udc01\"" },               /* tag U+E0001 */
		{ "\xe2\x80\x90", "\"\xe2\x80\x90\"" },                     /* a hyphen is text */
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(one_string(buf, sizeof(buf), cases[i].in), cases[i].out);
}

/* Decoded by a real JSON parser, a valid string comes back exactly, hidden
 * code points included; an invalid byte comes back as U+FFFD, not Latin-1. */
static void test_round_trip_by_parser(void **state)
{
	static const char *const exact[] = {
		"plain", "caf\xc3\xa9", "a\"b\\c\n\x1b[31m", "evil\xe2\x80\xae" "gpj.exe",
		"\xc2\x9b" "2J", "\xf0\x9f\x98\x80\xf3\xa0\x80\x81", "\x7f\xef\xbb\xbf",
	};
	char buf[256];
	json_error_t err;
	json_t *v;

	(void)state;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		v = json_loads(one_string(buf, sizeof(buf), exact[i]), JSON_DECODE_ANY, &err);
		assert_non_null(v);
		assert_string_equal(json_string_value(v), exact[i]);
		json_decref(v);
	}
	v = json_loads(one_string(buf, sizeof(buf), "/tmp/\xe9vil"), JSON_DECODE_ANY, &err);
	assert_non_null(v);
	assert_string_equal(json_string_value(v), "/tmp/\xef\xbf\xbdvil");
	json_decref(v);
}

/* An exe path: the exact bytes in key_hex when U+FFFD replaced some. */
static void test_path_hex_sibling(void **state)
{
	char buf[512];
	struct jw w;
	json_error_t err;
	json_t *v;

	(void)state;
	jw_init(&w, buf, sizeof(buf));
	jw_obj_begin(&w);
	jw_kpath(&w, "exe", "/tmp/\xe9vil", 64);
	jw_kpath(&w, "ok", "/usr/bin/caf\xc3\xa9", 64);
	jw_kpath(&w, "bidi", "/tmp/\xe2\x80\xae" "x", 64);
	jw_obj_end(&w);
	assert_false(w.overflow);
	assert_string_equal(jw_result(&w),
			    "{\"exe\":\"/tmp/\\ufffdvil\",\"exe_hex\":\"2f746d702fe976696c\","
			    "\"ok\":\"/usr/bin/caf\xc3\xa9\",\"bidi\":\"/tmp/\\u202ex\"}");
	v = json_loads(jw_result(&w), 0, &err);
	assert_non_null(v);
	assert_string_equal(json_string_value(json_object_get(v, "exe")), "/tmp/\xef\xbf\xbdvil");
	assert_null(json_object_get(v, "ok_hex"));   /* valid: the value is exact */
	assert_null(json_object_get(v, "bidi_hex")); /* escaped, still exact */
	json_decref(v);

	/* maxlen bounds the hex too (kernel strings may lack a NUL) */
	jw_init(&w, buf, sizeof(buf));
	jw_obj_begin(&w);
	jw_kpath(&w, "exe", "\xff\xfe" "abc", 3);
	jw_obj_end(&w);
	assert_string_equal(jw_result(&w), "{\"exe\":\"\\ufffd\\ufffda\",\"exe_hex\":\"fffe61\"}");

	/* in an array of objects, after other members */
	jw_init(&w, buf, sizeof(buf));
	jw_arr_begin(&w);
	jw_obj_begin(&w);
	jw_kint(&w, "pid", 1);
	jw_kpath(&w, "sender_exe", "\x9b", 8);
	jw_kint(&w, "uid", 2);
	jw_obj_end(&w);
	jw_arr_end(&w);
	assert_string_equal(jw_result(&w),
			    "[{\"pid\":1,\"sender_exe\":\"\\ufffd\",\"sender_exe_hex\":\"9b\",\"uid\":2}]");
}

/* The syslog MSG form: the same document, every byte ASCII. */
static void test_json_to_ascii(void **state)
{
	char doc[256], out[256];
	struct jw w;
	json_error_t err;
	json_t *a, *b;
	size_t n;

	(void)state;
	jw_init(&w, doc, sizeof(doc));
	jw_obj_begin(&w);
	jw_kstr(&w, "k\xc3\xa9", "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 \xe2\x80\xae \xff");
	jw_obj_end(&w);
	n = json_to_ascii(out, sizeof(out), jw_result(&w));
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, "{\"k\\u00e9\":\"caf\\u00e9 \\u4e2d \\ud83d\\ude00 \\u202e \\ufffd\"}");
	for (const char *p = out; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	a = json_loads(doc, 0, &err);
	b = json_loads(out, 0, &err);
	assert_non_null(a);
	assert_non_null(b);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	/* too small: nothing */
	assert_int_equal(json_to_ascii(out, 10, doc), 0);
	assert_string_equal(out, "");
	assert_int_equal(json_to_ascii(out, 0, doc), 0);
	/* a raw invalid byte (not from our writer) still never passes */
	assert_int_equal(json_to_ascii(out, sizeof(out), "\"\x9b\""), 8);
	assert_string_equal(out, "\"\\ufffd\"");
}

static void test_strn_bounds(void **state)
{
	char buf[64];
	char raw[4] = { 'a', 'b', 'c', 'd' }; /* no NUL, as from the kernel */
	struct jw w;

	(void)state;
	jw_init(&w, buf, sizeof(buf));
	jw_strn(&w, raw, sizeof(raw));
	assert_string_equal(jw_result(&w), "\"abcd\"");

	/* a multibyte sequence cut by maxlen is not valid there */
	jw_init(&w, buf, sizeof(buf));
	jw_strn(&w, "\xc3\xa9", 1);
	assert_string_equal(jw_result(&w), "\"\\ufffd\"");

	jw_init(&w, buf, sizeof(buf));
	jw_str(&w, NULL);
	assert_string_equal(jw_result(&w), "\"\"");
}

static void test_exact_fit_and_overflow(void **state)
{
	char buf[16];
	struct jw w;

	(void)state;
	jw_init(&w, buf, 8); /* {"a":1} is 7 bytes + NUL */
	jw_obj_begin(&w);
	jw_kint(&w, "a", 1);
	jw_obj_end(&w);
	assert_false(w.overflow);
	assert_string_equal(jw_result(&w), "{\"a\":1}");

	memset(buf, 'X', sizeof(buf));
	jw_init(&w, buf, 7);
	jw_obj_begin(&w);
	jw_kint(&w, "a", 1);
	jw_obj_end(&w);
	assert_true(w.overflow);
	assert_true(strlen(jw_result(&w)) < 7);
	assert_int_equal(buf[7], 'X'); /* nothing written past cap */
}

static void write_doc(struct jw *w)
{
	jw_obj_begin(w);
	jw_kstr(w, "s", "\"quoted\" \xe4\xb8\xad \x01");
	jw_key(w, "a");
	jw_arr_begin(w);
	jw_int(w, 12345);
	jw_bool(w, true);
	jw_arr_end(w);
	jw_obj_end(w);
}

/* Every cap: either the whole document, or a prefix of it flagged as overflow,
 * NUL-terminated inside the buffer. */
static void test_overflow_every_cap(void **state)
{
	char full[256], buf[256];
	struct jw w;
	size_t len;

	(void)state;
	jw_init(&w, full, sizeof(full));
	write_doc(&w);
	assert_false(w.overflow);
	len = strlen(full);

	jw_init(&w, NULL, 0);
	write_doc(&w);
	assert_string_equal(jw_result(&w), "");

	for (size_t cap = 1; cap < sizeof(buf) - 1; cap++) {
		memset(buf, 'X', sizeof(buf));
		jw_init(&w, buf, cap);
		write_doc(&w);
		assert_int_equal(w.overflow, cap <= len);
		assert_true(strlen(jw_result(&w)) < cap);
		assert_memory_equal(jw_result(&w), full, strlen(jw_result(&w)));
		assert_int_equal(buf[cap], 'X'); /* nothing written past cap */
		if (!w.overflow)
			assert_string_equal(jw_result(&w), full);
	}
}

static void test_overflow_sticks(void **state)
{
	char buf[8];
	struct jw w;

	(void)state;
	jw_init(&w, buf, sizeof(buf));
	jw_str(&w, "this does not fit");
	assert_true(w.overflow);
	jw_str(&w, "");
	jw_int(&w, 1); /* would fit, but the document is already cut */
	assert_true(w.overflow);
	assert_true(strlen(jw_result(&w)) < sizeof(buf));
	assert_null(strchr(jw_result(&w), '1'));
}

static void test_depth_limit(void **state)
{
	char buf[256];
	struct jw w;

	(void)state;
	jw_init(&w, buf, sizeof(buf));
	for (int i = 0; i < JW_MAX_DEPTH + 4; i++)
		jw_arr_begin(&w);
	assert_true(w.overflow);
	assert_true(w.depth < JW_MAX_DEPTH);
}

/* ---- terminal escaping ---- */

static const char *tty(char *dst, size_t dstlen, const char *src)
{
	escape_tty(dst, dstlen, src, strlen(src) + 1);
	return dst;
}

static void test_tty_plain_and_utf8(void **state)
{
	char out[128];

	(void)state;
	assert_string_equal(tty(out, sizeof(out), "AliYunDun 12_93"), "AliYunDun 12_93");
	assert_string_equal(tty(out, sizeof(out), "\xe4\xb8\xad caf\xc3\xa9"),
			    "\xe4\xb8\xad caf\xc3\xa9");
	assert_string_equal(tty(out, sizeof(out), ""), "");
}

static void test_tty_escape_sequences(void **state)
{
	char out[128];

	(void)state;
	assert_string_equal(tty(out, sizeof(out), "\x1b[31mred\x1b[0m"),
			    "\\x1b[31mred\\x1b[0m");
	assert_string_equal(tty(out, sizeof(out), "\x1b]0;title\x07"), "\\x1b]0;title\\x07");
	assert_string_equal(tty(out, sizeof(out), "a\nb\rc\td"), "a\\x0ab\\x0dc\\x09d");
	assert_string_equal(tty(out, sizeof(out), "\x7f"), "\\x7f");
	assert_null(strchr(out, 0x1b));
}

static void test_tty_c1_and_invalid(void **state)
{
	char out[128];

	(void)state;
	/* CSI as UTF-8 U+009B and as a raw byte: both neutralised */
	assert_string_equal(tty(out, sizeof(out), "\xc2\x9b" "2J"), "\\u009b2J");
	assert_string_equal(tty(out, sizeof(out), "\x9b" "2J"), "\\x9b2J");
	assert_string_equal(tty(out, sizeof(out), "\xc2\x85"), "\\u0085");
	assert_string_equal(tty(out, sizeof(out), "\xff\xfe"), "\\xff\\xfe");
	assert_string_equal(tty(out, sizeof(out), "\xed\xa0\x80"), "\\xed\\xa0\\x80");
	assert_string_equal(tty(out, sizeof(out), "\xc2\xa0"), "\xc2\xa0"); /* NBSP is text */
}

static void test_tty_backslash_doubled(void **state)
{
	char out[64];

	(void)state;
	/* a literal "\x1b" in a name must not read like an escaped ESC */
	assert_string_equal(tty(out, sizeof(out), "a\\b"), "a\\\\b");
	assert_string_equal(tty(out, sizeof(out), "\\x1b"), "\\\\x1b");
}

static void test_tty_srclen_bound(void **state)
{
	char out[64];
	char raw[3] = { 'a', 'b', 'c' }; /* no NUL */

	(void)state;
	assert_int_equal(escape_tty(out, sizeof(out), raw, sizeof(raw)), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(escape_tty(out, sizeof(out), "abc\0def", 8), 3);
	assert_string_equal(out, "abc");
}

/* Truncation: always NUL-terminated, never past dstlen, never half an escape
 * or half a UTF-8 sequence (the output is a prefix of the full output cut at
 * a unit boundary). */
static void test_tty_truncation(void **state)
{
	const char *src = "ab\x1b" "c\xe4\xb8\xad\\d\xff" "e";
	char full[128], out[128];
	size_t flen, n;

	(void)state;
	flen = escape_tty(full, sizeof(full), src, strlen(src));
	assert_string_equal(full, "ab\\x1bc\xe4\xb8\xad\\\\d\\xffe");
	assert_int_equal(flen, strlen(full));
	assert_int_equal(escape_tty(out, 0, src, strlen(src)), 0);
	for (size_t dl = 1; dl <= flen + 1; dl++) {
		memset(out, 'X', sizeof(out));
		n = escape_tty(out, dl, src, strlen(src));
		assert_true(n < dl);
		assert_int_equal(out[n], '\0');
		assert_int_equal(strlen(out), n);
		assert_memory_equal(out, full, n);
		assert_int_equal(out[dl], 'X');
		/* a cut lands between units of the full output */
		static const size_t cuts[] = { 0, 1, 2, 6, 7, 10, 12, 13, 17, 18 };
		bool ok = false;

		for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++)
			ok |= cuts[k] == n;
		if (!ok)
			fail_msg("dstlen %zu cut the output at %zu, inside a unit", dl, n);
	}
	assert_int_equal(escape_tty(out, flen + 1, src, strlen(src)), flen);
	assert_int_equal(escape_tty(out, flen, src, strlen(src)), flen - 1);
}

static void test_utf8_seq_len(void **state)
{
	(void)state;
	assert_int_equal(utf8_seq_len((const unsigned char *)"A", 1), 1);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xc3\xa9", 2), 2);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xc3\xa9", 1), 0);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xe4\xb8\xad", 3), 3);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xf5\x80\x80\x80", 4), 0);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xc1\xbf", 2), 0);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xf0\x8f\xbf\xbf", 4), 0);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xc2\x80", 2), 0);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xc2\xa0", 2), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_containers),
		cmocka_unit_test(test_nesting_and_commas),
		cmocka_unit_test(test_array_of_objects),
		cmocka_unit_test(test_escape_quote_backslash_controls),
		cmocka_unit_test(test_escape_key),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_valid_utf8_kept),
		cmocka_unit_test(test_c1_control_escaped_as_code_point),
		cmocka_unit_test(test_bidi_and_invisible_escaped),
		cmocka_unit_test(test_round_trip_by_parser),
		cmocka_unit_test(test_path_hex_sibling),
		cmocka_unit_test(test_json_to_ascii),
		cmocka_unit_test(test_strn_bounds),
		cmocka_unit_test(test_exact_fit_and_overflow),
		cmocka_unit_test(test_overflow_every_cap),
		cmocka_unit_test(test_overflow_sticks),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_tty_plain_and_utf8),
		cmocka_unit_test(test_tty_escape_sequences),
		cmocka_unit_test(test_tty_c1_and_invalid),
		cmocka_unit_test(test_tty_backslash_doubled),
		cmocka_unit_test(test_tty_srclen_bound),
		cmocka_unit_test(test_tty_truncation),
		cmocka_unit_test(test_utf8_seq_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
