// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Untrusted bytes on their way out (issue #20, item 8): the UTF-8 validator,
 * the list of code points never shown raw, every escaping style, and what the
 * text sink, the JSON sink and the HTML report make of a hostile path.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "escape.h"
#include "report.h"
#include "sink.h"
#include "utf8_check.h"

/* The hostile path of the issue: a Latin-1 byte, a right-to-left override,
 * a raw 8-bit CSI, then an ESC and the characters every style treats. */
#define HOSTILE "/tmp/\xe9vil\xe2\x80\xae\x9b\x1b\\<&\"']"

static size_t encode(uint32_t cp, unsigned char *b)
{
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	b[0] = (unsigned char)(0xf0 | (cp >> 18));
	b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	b[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

static size_t dec(const char *s, size_t avail, uint32_t *cp)
{
	return utf8_decode((const unsigned char *)s, avail, cp);
}

/* ---- the validator ---- */

static void test_decode_every_code_point(void **state)
{
	unsigned char b[4];
	uint32_t cp;

	(void)state;
	for (uint32_t c = 0; c <= 0x10ffff; c++) {
		size_t n = encode(c, b);

		if (c >= 0xd800 && c <= 0xdfff) {
			assert_int_equal(utf8_decode(b, n, &cp), 0); /* surrogates */
			continue;
		}
		assert_int_equal(utf8_decode(b, n, &cp), n);
		assert_int_equal(cp, c);
		assert_true(well_formed_utf8(b, n));
		if (n > 1) /* cut short by avail */
			assert_int_equal(utf8_decode(b, n - 1, &cp), 0);
	}
}

static void test_decode_invalid(void **state)
{
	static const struct {
		const char *s;
		size_t avail;
	} bad[] = {
		{ "\xc0\xaf", 2 },          /* overlong '/' */
		{ "\xc1\xbf", 2 },          /* overlong DEL */
		{ "\xe0\x80\xaf", 3 },      /* overlong '/', 3 bytes */
		{ "\xe0\x9f\xbf", 3 },      /* overlong U+07FF */
		{ "\xf0\x80\x80\xaf", 4 },  /* overlong '/', 4 bytes */
		{ "\xf0\x8f\xbf\xbf", 4 },  /* overlong U+FFFF */
		{ "\xed\xa0\x80", 3 },      /* U+D800 */
		{ "\xed\xbf\xbf", 3 },      /* U+DFFF */
		{ "\xf4\x90\x80\x80", 4 },  /* U+110000 */
		{ "\xf5\x80\x80\x80", 4 },
		{ "\xf8\x88\x80\x80\x80", 5 },
		{ "\xfe", 1 },
		{ "\xff", 1 },
		{ "\x80", 1 },              /* a stray continuation */
		{ "\x9b", 1 },              /* the 8-bit CSI as a byte */
		{ "\xbf", 1 },
		{ "\xc3", 1 },              /* cut */
		{ "\xc3" "A", 2 },          /* not a continuation */
		{ "\xe2\x28\xa1", 3 },
		{ "\xe2\x80", 2 },
		{ "\xe2\x80\xae", 2 },      /* cut by avail */
		{ "\xf0\x9f\x98", 3 },
		{ "\xf0\x9f\x98\x41", 4 },
		{ "\xc3\x00", 2 },          /* a NUL ends it */
		{ "", 0 },
	};
	uint32_t cp = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (dec(bad[i].s, bad[i].avail, &cp) != 0)
			fail_msg("case %zu was taken as valid", i);
		assert_int_equal(cp, 12345); /* untouched */
	}
	assert_int_equal(dec("", 1, &cp), 1); /* a NUL is a one-byte sequence */
	assert_int_equal(cp, 0);
}

static void test_utf8_valid(void **state)
{
	(void)state;
	assert_true(utf8_valid("", 10));
	assert_true(utf8_valid("/usr/local/aegis/AliYunDun", 64));
	assert_true(utf8_valid("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", 64));
	assert_true(utf8_valid("evil\xe2\x80\xae" "gpj", 64)); /* valid, though hidden */
	assert_false(utf8_valid("/tmp/\xe9vil", 64));
	assert_false(utf8_valid("\xc0\xaf", 64));
	assert_false(utf8_valid("a\x9b", 64));
	assert_true(utf8_valid("abc\0\xff", 5));    /* stops at the NUL */
	assert_true(utf8_valid("ab\xff", 2));       /* and at len */
	assert_false(utf8_valid("ab\xc3\xa9", 3));  /* len cuts a sequence */
}

static void test_hidden_list(void **state)
{
	static const uint32_t hidden[] = {
		0x00, 0x09, 0x0a, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9b, 0x9f, 0xad, 0x61c, 0x180e,
		0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c,
		0x202d, 0x202e, 0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0x206f, 0xfeff, 0xfff9,
		0xfffb, 0xe0000, 0xe0001, 0xe007f,
	};
	static const uint32_t shown[] = {
		0x20, 'A', '~', '\\', 0xa0, 0xac, 0xae, 0xe9, 0x61b, 0x61d, 0x180d, 0x180f, 0x200a,
		0x2010, 0x2027, 0x202f, 0x205f, 0x2070, 0x4e2d, 0xfefe, 0xfff8, 0xfffc, 0xfffd,
		0x1f600, 0xdffff, 0xe0080, 0x10ffff,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (!cp_is_hidden(hidden[i]))
			fail_msg("U+%04X is not hidden", hidden[i]);
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (cp_is_hidden(shown[i]))
			fail_msg("U+%04X is hidden", shown[i]);
}

static void test_utf8_seq_len_refuses_c1(void **state)
{
	(void)state;
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xc2\x9b", 2), 0);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xc2\xa0", 2), 2);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xe2\x80\xae", 3), 3);
	assert_int_equal(utf8_seq_len((const unsigned char *)"\xe9", 1), 0);
}

/* ---- the styles ---- */

static const char *esc(char *dst, size_t len, const char *src, enum esc_style st)
{
	escape_str(dst, len, src, strlen(src), st, NULL);
	return dst;
}

static void test_styles(void **state)
{
	char out[256];

	(void)state;
	assert_string_equal(esc(out, sizeof(out), HOSTILE, ESC_TTY),
			    "/tmp/\\xe9vil\\u202e\\x9b\\x1b\\\\<&\"']");
	assert_string_equal(esc(out, sizeof(out), HOSTILE, ESC_TEXT),
			    "/tmp/\xef\xbf\xbdvil\\u202e\xef\xbf\xbd\\x1b\\\\<&\"']");
	assert_string_equal(esc(out, sizeof(out), HOSTILE, ESC_HTML),
			    "/tmp/\xef\xbf\xbdvil\\u202e\xef\xbf\xbd\\x1b\\\\&lt;&amp;&quot;&#39;]");
	/* RFC 5424: a receiver that undoes \" \\ \] gets the ESC_TEXT form */
	assert_string_equal(esc(out, sizeof(out), HOSTILE, ESC_SD),
			    "/tmp/\xef\xbf\xbdvil\\\\u202e\xef\xbf\xbd\\\\x1b\\\\\\\\<&\\\"'\\]");

	for (int st = ESC_TTY; st <= ESC_SD; st++) {
		const char *bs = st == ESC_SD ? "\\\\" : "\\";
		char want[64];

		/* C1 as a code point, a tag, a line separator, NBSP (text) */
		snprintf(want, sizeof(want), "%su009b%sU000e0001%su2028\xc2\xa0", bs, bs, bs);
		assert_string_equal(esc(out, sizeof(out), "\xc2\x9b\xf3\xa0\x80\x81\xe2\x80\xa8\xc2\xa0",
					(enum esc_style)st), want);
		assert_string_equal(esc(out, sizeof(out), "AliYunDun caf\xc3\xa9 \xe4\xb8\xad",
					(enum esc_style)st), "AliYunDun caf\xc3\xa9 \xe4\xb8\xad");
		/* an overlong '/' is two bytes that are not UTF-8, never a '/' */
		esc(out, sizeof(out), "\xc0\xaf", (enum esc_style)st);
		assert_null(strchr(out, '/'));
	}
	assert_string_equal(esc(out, sizeof(out), "\xc0\xaf", ESC_TTY), "\\xc0\\xaf");
	assert_string_equal(esc(out, sizeof(out), "\xc0\xaf", ESC_TEXT), "\xef\xbf\xbd\xef\xbf\xbd");
}

/* No style writes a hidden code point, a control byte or a byte that is not
 * UTF-8, whatever the input: every pair of byte values, then a continuation. */
static void test_styles_never_raw(void **state)
{
	char in[4], out[64];

	(void)state;
	for (int st = ESC_TTY; st <= ESC_SD; st++)
		for (unsigned a = 1; a < 256; a++)
			for (unsigned b = 0; b < 256; b++) {
				in[0] = (char)a;
				in[1] = (char)b;
				in[2] = (char)0x80;
				in[3] = '\0';
				escape_str(out, sizeof(out), in, sizeof(in), (enum esc_style)st, NULL);
				assert_true(well_formed_utf8(out, strlen(out)));
				for (size_t k = 0; k < sizeof(hidden_utf8) / sizeof(hidden_utf8[0]); k++)
					assert_null(strstr(out, hidden_utf8[k]));
				for (const char *p = out; *p; p++)
					assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
			}
}

/* Every dstlen: a NUL-terminated prefix that is the escape of the bytes
 * consumed, so never half an escape or half a sequence, nothing past dstlen. */
static void test_truncation_every_style(void **state)
{
	const char *src = HOSTILE "\xf0\x9f\x98\x80\xc2\x85z";
	char full[256], out[256], again[256];

	(void)state;
	for (int st = ESC_TTY; st <= ESC_SD; st++) {
		size_t flen = escape_str(full, sizeof(full), src, strlen(src), (enum esc_style)st, NULL);
		size_t used;

		assert_int_equal(escape_str(out, 0, src, strlen(src), (enum esc_style)st, &used), 0);
		assert_int_equal(used, 0);
		for (size_t dl = 1; dl <= flen + 1; dl++) {
			size_t n;

			memset(out, 'X', sizeof(out));
			n = escape_str(out, dl, src, strlen(src), (enum esc_style)st, &used);
			assert_true(n < dl);
			assert_int_equal(strlen(out), n);
			assert_int_equal(out[dl], 'X');
			assert_memory_equal(out, full, n);
			escape_str(again, sizeof(again), src, used, (enum esc_style)st, NULL);
			assert_string_equal(again, out);
			assert_int_equal(used == strlen(src), dl == flen + 1);
			assert_true(well_formed_utf8(out, n));
		}
	}
}

static void test_consumed_and_bounds(void **state)
{
	char out[64];
	char raw[3] = { 'a', '\xe9', 'c' }; /* no NUL, as from the kernel */
	size_t used;

	(void)state;
	assert_int_equal(escape_str(out, sizeof(out), raw, sizeof(raw), ESC_TTY, &used), 6);
	assert_string_equal(out, "a\\xe9c");
	assert_int_equal(used, 3);
	escape_str(out, sizeof(out), "abc\0def", 8, ESC_TEXT, &used);
	assert_string_equal(out, "abc");
	assert_int_equal(used, 3);
	/* a sequence cut by srclen is invalid there */
	escape_str(out, sizeof(out), "\xc3\xa9", 1, ESC_TEXT, &used);
	assert_string_equal(out, "\xef\xbf\xbd");
	escape_str(out, sizeof(out), NULL, 5, ESC_TEXT, &used);
	assert_string_equal(out, "");
	assert_int_equal(used, 0);
}

static void test_hex_encode(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(hex_encode(out, sizeof(out), "/tmp/\xe9vil", 64), 18);
	assert_string_equal(out, "2f746d702fe976696c");
	assert_int_equal(hex_encode(out, 6, "\xff\x00\x9b", 3), 2); /* stops at the NUL */
	assert_string_equal(out, "ff");
	assert_int_equal(hex_encode(out, 4, "abc", 3), 2);        /* whole bytes only */
	assert_string_equal(out, "61");
	assert_int_equal(hex_encode(out, 2, "abc", 3), 0);
	assert_string_equal(out, "");
	assert_int_equal(hex_encode(out, 0, "abc", 3), 0);
	assert_int_equal(hex_encode(out, sizeof(out), "abcdef", 2), 4);
	assert_string_equal(out, "6162");
}

/* ---- the sinks ---- */

static struct diagnosis hostile_diag(void)
{
	struct diagnosis d;

	memset(&d, 0, sizeof(d));
	d.cause = CAUSE_AGENT_IMPOSTOR;
	d.primary = true;
	d.explained_by = -1;
	d.rcode = -1;
	d.exit_status = -1;
	d.pid = 4242;
	d.count = 1;
	d.ts_ns = 1000000000ULL;
	snprintf(d.process, sizeof(d.process), "AliYunDun");
	snprintf(d.comm, sizeof(d.comm), "AliYunDun");
	snprintf(d.exe, sizeof(d.exe), "%s/AliYunDun", HOSTILE);
	snprintf(d.summary, sizeof(d.summary), "AliYunDun (pid 4242) runs %s", d.exe);
	d.n_evidence = 1;
	d.evidence[0].hdr.type = AEGIS_EV_SIGNAL;
	d.evidence[0].hdr.tgid = d.evidence[0].hdr.pid = 4242;
	d.evidence[0].signal.sig = 9;
	d.evidence[0].signal.sender_tgid = 77;
	snprintf(d.evidence[0].signal.sender_comm, sizeof(d.evidence[0].signal.sender_comm), "k\xe2\x80\xae" "ll");
	snprintf(d.evidence[0].sender_exe, sizeof(d.evidence[0].sender_exe), "/tmp/\x9b" "kill");
	return d;
}

static FILE *capture(char **buf, size_t *len)
{
	FILE *f = open_memstream(buf, len);

	assert_non_null(f);
	return f;
}

static void assert_no_hidden(const char *out, size_t len)
{
	for (size_t k = 0; k < sizeof(hidden_utf8) / sizeof(hidden_utf8[0]); k++)
		if (memmem(out, len, hidden_utf8[k], strlen(hidden_utf8[k])))
			fail_msg("hidden code point %zu written raw: %s", k, out);
	assert_null(memchr(out, 0x9b, len)); /* no raw 8-bit CSI */
	assert_null(memchr(out, 0x1b, len));
}

static void test_text_sink(void **state)
{
	struct clockmap cm = { 0 };
	struct diagnosis d = hostile_diag();
	struct ev e;
	char *buf = NULL;
	size_t len;
	FILE *f;

	(void)state;
	f = capture(&buf, &len);
	sink_text_diagnosis(f, &cm, &d, false);
	memset(&e, 0, sizeof(e));
	e.hdr.type = AEGIS_EV_EXEC;
	e.hdr.tgid = e.hdr.pid = 4242;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "Ali\xe2\x81\xa6YunDun");
	snprintf(e.exe, sizeof(e.exe), "%s", d.exe);
	sink_text_event(f, &cm, &e, false);
	fclose(f);
	assert_no_hidden(buf, len);
	assert_non_null(strstr(buf, "exe: /tmp/\\xe9vil\\u202e\\x9b\\x1b\\\\<&\"']/AliYunDun\n"));
	assert_non_null(strstr(buf, "[/tmp/\\x9bkill]"));
	assert_non_null(strstr(buf, " Ali\\u2066YunDun pid 4242 /tmp/\\xe9vil\\u202e"));
	free(buf);
}

static void test_json_sink(void **state)
{
	struct clockmap cm = { 0 };
	struct diagnosis d = hostile_diag();
	char *buf = NULL;
	size_t len;
	FILE *f;
	json_error_t err;
	json_t *v, *sub, *evd;

	(void)state;
	f = capture(&buf, &len);
	sink_json_diagnosis(f, &cm, &d);
	fclose(f);
	assert_no_hidden(buf, len);
	assert_true(well_formed_utf8(buf, len));
	v = json_loads(buf, 0, &err);
	if (!v)
		fail_msg("not JSON: %s: %s", err.text, buf);
	sub = json_object_get(v, "subject");
	assert_string_equal(json_string_value(json_object_get(sub, "exe")),
			    "/tmp/\xef\xbf\xbdvil\xe2\x80\xae\xef\xbf\xbd\x1b\\<&\"']/AliYunDun");
	assert_string_equal(json_string_value(json_object_get(sub, "exe_hex")),
			    "2f746d702fe976696ce280ae9b1b5c3c2622275d2f416c6959756e44756e");
	assert_null(json_object_get(sub, "comm_hex"));
	/* the summary carries the path too: the same replacement, no hex */
	assert_non_null(strstr(json_string_value(json_object_get(v, "summary")), "\xe2\x80\xae"));
	evd = json_array_get(json_object_get(v, "evidence"), 0);
	assert_string_equal(json_string_value(json_object_get(evd, "sender_exe")), "/tmp/\xef\xbf\xbdkill");
	assert_string_equal(json_string_value(json_object_get(evd, "sender_exe_hex")), "2f746d702f9b6b696c6c");
	assert_string_equal(json_string_value(json_object_get(evd, "sender_comm")), "k\xe2\x80\xae" "ll");
	json_decref(v);
	free(buf);
}

/* The exec event: exe and filename are paths; a valid one has no _hex. */
static void test_json_sink_exec_event(void **state)
{
	struct clockmap cm = { 0 };
	struct ev e;
	char *buf = NULL;
	size_t len;
	FILE *f;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.hdr.type = AEGIS_EV_EXEC;
	e.hdr.tgid = e.hdr.pid = 4242;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "AliYunDun");
	snprintf(e.exe, sizeof(e.exe), "/tmp/\xe9/AliYunDun");
	snprintf(e.exec.filename, sizeof(e.exec.filename), "/usr/local/aegis/AliYunDun");
	f = capture(&buf, &len);
	sink_json_event(f, &cm, &e);
	fclose(f);
	assert_non_null(strstr(buf, "\"exe\":\"/tmp/\\ufffd/AliYunDun\",\"exe_hex\":\"2f746d702fe92f416c6959756e44756e\""));
	assert_non_null(strstr(buf, "\"filename\":\"/usr/local/aegis/AliYunDun\""));
	assert_null(strstr(buf, "filename_hex"));
	free(buf);
}

static void test_html_report(void **state)
{
	struct clockmap cm = { 0 };
	struct diagnosis d = hostile_diag();
	struct session_summary sum = { .start_ns = 1, .end_ns = 2000000000ULL };
	struct report *r = report_new(&cm, 1);
	struct ev e;
	char *buf = NULL;
	size_t len;
	FILE *f;

	(void)state;
	assert_non_null(r);
	memset(&e, 0, sizeof(e));
	e.hdr.type = AEGIS_EV_EXEC;
	e.hdr.ts_ns = 10;
	e.hdr.tgid = e.hdr.pid = 4242;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "Ali\xe2\x80\xae<b>\x9b");
	report_event(r, &e);
	report_diagnosis(r, &d);
	f = capture(&buf, &len);
	assert_int_equal(report_html(r, f, &sum, "host\xe2\x80\x8f\xff"), 0);
	fclose(f);
	assert_no_hidden(buf, len);
	assert_true(well_formed_utf8(buf, len));
	assert_null(strstr(buf, "<b>\xef"));
	assert_non_null(strstr(buf, "Ali\\u202e&lt;b&gt;\xef\xbf\xbd"));
	assert_non_null(strstr(buf, "runs /tmp/\xef\xbf\xbdvil\\u202e\xef\xbf\xbd\\x1b\\\\&lt;&amp;&quot;&#39;]"));
	assert_non_null(strstr(buf, "host\\u200f\xef\xbf\xbd"));
	free(buf);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_every_code_point),
		cmocka_unit_test(test_decode_invalid),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_hidden_list),
		cmocka_unit_test(test_utf8_seq_len_refuses_c1),
		cmocka_unit_test(test_styles),
		cmocka_unit_test(test_styles_never_raw),
		cmocka_unit_test(test_truncation_every_style),
		cmocka_unit_test(test_consumed_and_bounds),
		cmocka_unit_test(test_hex_encode),
		cmocka_unit_test(test_text_sink),
		cmocka_unit_test(test_json_sink),
		cmocka_unit_test(test_json_sink_exec_event),
		cmocka_unit_test(test_html_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
