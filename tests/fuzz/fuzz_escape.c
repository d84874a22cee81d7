// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz the escaping of untrusted bytes (escape.c, json.c, the syslog and journal formats):
 * process names and paths are chosen by any local user. The first input byte
 * picks the output size, the rest is the string. Whatever it is:
 *   - escape_str (every style) writes inside dstlen only, NUL-terminated,
 *     valid UTF-8 with no control byte and no hidden code point (C1, bidi,
 *     invisible), HTML's special characters only as entities, and consumed
 *     bytes that give the same output again;
 *   - the JSON string parses (jansson) back to the input when the input was
 *     UTF-8, to valid UTF-8 otherwise, and an exe's _hex field decodes to the
 *     exact input bytes; json_to_ascii keeps the document and is ASCII;
 *   - a syslog message carrying the string in its structured data and its
 *     JSON is valid UTF-8 with nothing hidden, and its MSG is ASCII.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "escape.h"
#include "fuzz.h"
#include "json.h"
#include "sink.h"
#include "sink_syslog.h"
#include "../unit/utf8_check.h"

static void check_clean(const char *out, size_t n)
{
	CHECK(strlen(out) == n);
	CHECK(well_formed_utf8(out, n));
	for (size_t i = 0; i < n; i++)
		CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
	for (size_t k = 0; k < sizeof(hidden_utf8) / sizeof(hidden_utf8[0]); k++)
		CHECK(strstr(out, hidden_utf8[k]) == NULL);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_decode((const unsigned char *)out + i, n - i, &cp);

		CHECK(l > 0 && !cp_is_hidden(cp));
		i += l;
	}
}

/* As check_clean, for text made of lines: each line clean, each ended by '\n'. */
static void check_clean_lines(char *out, size_t n)
{
	for (char *line = out; line < out + n;) {
		char *nl = memchr(line, '\n', (size_t)(out + n - line));

		CHECK(nl != NULL);
		*nl = '\0';
		check_clean(line, (size_t)(nl - line));
		*nl = '\n';
		line = nl + 1;
	}
}

static void check_html(const char *out)
{
	static const char *const ent[] = { "&lt;", "&gt;", "&amp;", "&quot;", "&#39;" };

	CHECK(strpbrk(out, "<>\"'") == NULL);
	for (const char *p = strchr(out, '&'); p; p = strchr(p + 1, '&')) {
		bool ok = false;

		for (size_t k = 0; k < 5; k++)
			ok |= !strncmp(p, ent[k], strlen(ent[k]));
		CHECK(ok);
	}
}

static void fuzz_styles(const char *s, size_t len, size_t dstlen)
{
	for (int st = ESC_TTY; st <= ESC_SD; st++) {
		/* an exact-size heap buffer: ASan catches a write past dstlen */
		char *dst = malloc(dstlen ? dstlen : 1), *again;
		size_t used, n;

		CHECK(dst != NULL);
		n = escape_str(dst, dstlen, s, len, (enum esc_style)st, &used);
		CHECK(used <= len);
		if (dstlen == 0) {
			CHECK(n == 0 && used == 0);
			free(dst);
			continue;
		}
		CHECK(n < dstlen);
		check_clean(dst, n);
		if (st == ESC_HTML)
			check_html(dst);
		again = malloc(dstlen);
		CHECK(again != NULL);
		CHECK(escape_str(again, dstlen, s, used, (enum esc_style)st, NULL) == n);
		CHECK(memcmp(again, dst, n + 1) == 0);
		free(again);
		free(dst);
	}
}

static int unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The JSON writer: parses back, the hex sibling is the exact bytes. */
static void fuzz_json(const char *s, size_t len)
{
	static char buf[8 * 4096 + 256], ascii[16 * 4096 + 256];
	size_t slen = strnlen(s, len);
	struct jw w;
	json_error_t err;
	json_t *v, *a;
	const char *hex;

	jw_init(&w, buf, sizeof(buf));
	jw_obj_begin(&w);
	jw_kpath(&w, "exe", s, len);
	jw_obj_end(&w);
	CHECK(!w.overflow);
	check_clean(buf, strlen(buf));
	v = json_loads(buf, 0, &err);
	CHECK(v != NULL);
	CHECK(well_formed_utf8(json_string_value(json_object_get(v, "exe")),
			       strlen(json_string_value(json_object_get(v, "exe")))));
	hex = json_string_value(json_object_get(v, "exe_hex"));
	if (utf8_valid(s, len)) {
		/* valid UTF-8 comes back exactly, hidden code points included */
		CHECK(hex == NULL);
		CHECK(strlen(json_string_value(json_object_get(v, "exe"))) == slen);
		CHECK(memcmp(json_string_value(json_object_get(v, "exe")), s, slen) == 0);
	} else {
		CHECK(hex != NULL && strlen(hex) == 2 * slen);
		for (size_t i = 0; i < slen; i++) {
			int hi = unhex(hex[2 * i]), lo = unhex(hex[2 * i + 1]);

			CHECK(hi >= 0 && lo >= 0);
			CHECK((unsigned char)s[i] == (unsigned)(hi << 4 | lo));
		}
	}
	CHECK(json_to_ascii(ascii, sizeof(ascii), buf) > 0);
	for (const char *p = ascii; *p; p++)
		CHECK((unsigned char)*p < 0x80);
	a = json_loads(ascii, 0, &err);
	CHECK(a != NULL && json_equal(a, v));
	json_decref(a);
	json_decref(v);
}

static void copy_field(char *dst, size_t cap, const char *s, size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* The syslog message: UTF-8 throughout, nothing hidden, an ASCII MSG. */
static void fuzz_syslog(const char *s, size_t len)
{
	static char buf[65536];
	static struct diagnosis d;
	struct clockmap cm = { 0 };
	const char *msg;
	size_t n;

	memset(&d, 0, sizeof(d));
	d.cause = CAUSE_AGENT_IMPOSTOR;
	d.explained_by = -1;
	d.rcode = -1;
	d.exit_status = -1;
	d.pid = 1;
	copy_field(d.process, sizeof(d.process), s, len);
	copy_field(d.exe, sizeof(d.exe), s, len);
	copy_field(d.summary, sizeof(d.summary), s, len);
	copy_field(d.qname, sizeof(d.qname), s, len);
	d.nrules = 1;
	copy_field(d.rules[0].text, sizeof(d.rules[0].text), s, len);
	d.n_evidence = 1;
	d.evidence[0].hdr.type = AEGIS_EV_SIGNAL;
	d.evidence[0].signal.sender_tgid = 2;
	copy_field(d.evidence[0].signal.sender_comm, sizeof(d.evidence[0].signal.sender_comm), s, len);
	copy_field(d.evidence[0].sender_exe, sizeof(d.evidence[0].sender_exe), s, len);
	n = syslog_format(buf, sizeof(buf), 3, "host", "aegismon", 1, 0, &cm, &d);
	CHECK(n > 0 && strlen(buf) == n);
	check_clean(buf, n);
	msg = strstr(buf, "] {\"kind\"");
	CHECK(msg != NULL);
	for (const char *p = msg; *p; p++)
		CHECK((unsigned char)*p < 0x80);

	/* the same diagnosis as journal fields: NAME=value lines and nothing
	 * else, so no value can end its field early and forge another */
	n = journal_format(buf, sizeof(buf), 3, 0, &cm, &d);
	CHECK(n > 0 && strlen(buf) == n && buf[n - 1] == '\n');
	check_clean_lines(buf, n);
	for (const char *line = buf; line < buf + n;) {
		const char *nl = memchr(line, '\n', (size_t)(buf + n - line));
		const char *p = line;

		CHECK(nl != NULL && *p != '_' && *p != '=');
		while (p < nl && ((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			p++;
		CHECK(p < nl && *p == '=');
		line = nl + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	size_t len;

	if (size < 1 || size > 4097)
		return 0;
	len = size - 1;
	/* an exact-size copy without a NUL: ASan catches a read past len */
	s = malloc(len ? len : 1);
	CHECK(s != NULL);
	memcpy(s, data + 1, len);
	fuzz_styles(s, len, (size_t)data[0] * (data[0] & 1 ? 1 : 16));
	fuzz_json(s, len);
	fuzz_syslog(s, len);
	free(s);
	return 0;
}
