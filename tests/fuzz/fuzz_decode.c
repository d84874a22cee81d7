// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz ev_decode and everything that renders a decoded event: the JSON and
 * text sinks and json_event_fields. Besides memory safety, the output must be
 * well-formed JSON (balanced, escaped, valid UTF-8) and the text output must
 * carry no terminal control bytes; neither shows a bidi or invisible code
 * point raw.
 *
 * Input: one raw record; bytes past hdr.size become the executables that
 * userspace would read from /proc (arbitrary bytes in file names).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "ev.h"
#include "json.h"
#include "sink.h"
#include "fuzz.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the valid UTF-8 sequence at s, or 0 if it is invalid or a code
 * point no output may show raw (C1, bidi, invisible: cp_is_hidden). */
static size_t shown_seq_len(const char *s, size_t avail)
{
	uint32_t cp;
	size_t n = utf8_decode((const unsigned char *)s, avail, &cp);

	return n && !cp_is_hidden(cp) ? n : 0;
}

/* One JSON document: strings escaped, no raw control bytes, valid UTF-8,
 * containers balanced. Not a full parser; enough to catch escaping bugs. */
static void check_json(const char *s, size_t len)
{
	int depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		CHECK(c >= 0x20 && c != 0x7f);
		if (c >= 0x80) {
			size_t n = shown_seq_len(s + i, len - i);

			CHECK(n > 1);
			i += n - 1;
			continue;
		}
		if (in_str) {
			if (c == '"') {
				in_str = false;
			} else if (c == '\\') {
				CHECK(i + 1 < len);
				c = (unsigned char)s[++i];
				if (c == 'u') {
					CHECK(i + 4 < len);
					for (int k = 1; k <= 4; k++)
						CHECK(is_hex(s[i + k]));
					i += 4;
				} else {
					CHECK(strchr("\"\\/bfnrt", c) != NULL);
				}
			}
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
			CHECK(--depth >= 0);
	}
	CHECK(!in_str);
	CHECK(depth == 0);
}

/* Every line of a stream of JSON lines. */
static void check_json_lines(const char *buf, size_t len)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);

		CHECK(nl != NULL);
		check_json(buf, (size_t)(nl - buf));
		len -= (size_t)(nl - buf) + 1;
		buf = nl + 1;
	}
}

/* Text for a terminal (without colour): printable ASCII, newlines, and valid
 * UTF-8 that is not hidden (C1, bidi, invisible). */
static void check_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80) {
			size_t n = shown_seq_len(s + i, len - i);

			CHECK(n > 1);
			i += n - 1;
			continue;
		}
		CHECK(c == '\n' || (c >= 0x20 && c != 0x7f));
	}
}

static void fill_str(char *dst, size_t cap, const uint8_t **p, size_t *left)
{
	size_t n = *left < cap - 1 ? *left : cap - 1;

	memcpy(dst, *p, n);
	dst[n] = '\0';
	*p += n;
	*left -= n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a realistic wall-clock offset: event times near 2^63 must not overflow */
	const struct clockmap cm = { .mono_to_real_ns = 1700000000000000000LL };
	static struct ev e;
	static struct diagnosis d;
	char small[96], big[32768];
	struct jw w;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	if (ev_decode(data, size, &e))
		return 0;

	/* decode's promises */
	CHECK(memchr(e.hdr.comm, 0, sizeof(e.hdr.comm)));
	CHECK(e.signal.chain_len <= AEGIS_CHAIN_LEN || e.hdr.type != AEGIS_EV_SIGNAL);
	CHECK(e.signal.sender_args_len <= AEGIS_ARGS_LEN || e.hdr.type != AEGIS_EV_SIGNAL);
	CHECK(e.exe[0] == 0 && e.sender_exe[0] == 0);

	if (size > e.hdr.size) {
		const uint8_t *p = data + e.hdr.size;
		size_t left = size - e.hdr.size;

		fill_str(e.exe, sizeof(e.exe), &p, &left);
		fill_str(e.sender_exe, sizeof(e.sender_exe), &p, &left);
	}

	/* the event as members of an object, in a big and in a too small buffer */
	jw_init(&w, big, sizeof(big));
	jw_obj_begin(&w);
	json_event_fields(&w, &cm, &e);
	jw_obj_end(&w);
	CHECK(!w.overflow);
	check_json(jw_result(&w), strlen(jw_result(&w)));

	jw_init(&w, small, sizeof(small));
	jw_obj_begin(&w);
	json_event_fields(&w, &cm, &e);
	jw_obj_end(&w);
	CHECK(strlen(jw_result(&w)) < sizeof(small));
	if (!w.overflow)
		check_json(jw_result(&w), strlen(jw_result(&w)));

	/* a diagnosis carrying the event as evidence, summary from the same bytes */
	memset(&d, 0, sizeof(d));
	d.cause = (enum cause)(e.hdr.cpu % CAUSE_COUNT);
	d.explained_by = (int)(e.hdr.uid % (CAUSE_COUNT + 1)) - 1;
	d.ts_ns = d.first_ns = d.last_ns = e.hdr.ts_ns;
	d.count = 1;
	d.pid = e.hdr.tgid;
	d.exit_status = -1;
	d.signal = (int)(e.hdr.ppid & 0x7f);
	memcpy(d.comm, e.hdr.comm, sizeof(d.comm));
	memcpy(d.exe, e.exe, sizeof(d.exe));
	snprintf(d.process, sizeof(d.process), "%s", e.hdr.comm);
	snprintf(d.summary, sizeof(d.summary), "%s %s", e.exe, e.sender_exe);
	d.n_evidence = 1 + e.hdr.pid % DIAG_MAX_EVIDENCE;
	for (unsigned i = 0; i < d.n_evidence; i++)
		d.evidence[i] = e;

	f = open_memstream(&out, &outlen);
	CHECK(f != NULL);
	sink_json_event(f, &cm, &e);
	sink_json_diagnosis(f, &cm, &d);
	fclose(f);
	check_json_lines(out, outlen);
	free(out);

	out = NULL;
	f = open_memstream(&out, &outlen);
	CHECK(f != NULL);
	sink_text_event(f, &cm, &e, false);
	sink_text_diagnosis(f, &cm, &d, false);
	fclose(f);
	check_text(out, outlen);
	free(out);
	return 0;
}
