// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Untrusted bytes for every output: one UTF-8 validator, one hidden list. */
#include "escape.h"

#include <stdio.h>
#include <string.h>

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD, for a byte that is not UTF-8 */

size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	unsigned char c;
	uint32_t v, min;
	size_t n, i;

	if (avail == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0; /* a continuation byte, or a lead byte that is never valid */
	}
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, and past U+10FFFF */
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

/* Bytes available from s + i: up to srclen and the first NUL, at most 4. */
static size_t avail_at(const unsigned char *s, size_t i, size_t srclen)
{
	size_t a = 0;

	while (i + a < srclen && s[i + a] && a < 4)
		a++;
	return a;
}

bool utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	uint32_t cp;

	while (i < len && s[i]) {
		size_t n = utf8_decode(s + i, avail_at(s, i, len), &cp);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

bool cp_is_hidden(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return true; /* C0, DEL, C1 */
	switch (cp) {
	case 0x00ad: /* soft hyphen */
	case 0x061c: /* Arabic letter mark */
	case 0x180e: /* Mongolian vowel separator */
	case 0x2028: /* line separator */
	case 0x2029: /* paragraph separator */
	case 0xfeff: /* zero-width no-break space */
		return true;
	}
	return (cp >= 0x200b && cp <= 0x200f) ||   /* zero-width, LRM, RLM */
	       (cp >= 0x202a && cp <= 0x202e) ||   /* embeddings, overrides */
	       (cp >= 0x2060 && cp <= 0x206f) ||   /* joiners, isolates, format */
	       (cp >= 0xfff9 && cp <= 0xfffb) ||   /* interlinear annotation */
	       (cp >= 0xe0000 && cp <= 0xe007f);   /* tags */
}

size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
	uint32_t cp;
	size_t n = utf8_decode(s, avail, &cp);

	return n && (cp < 0x80 || cp > 0x9f) ? n : 0;
}

/* The escape of a hidden code point: "\xNN" for a control byte, else "\uXXXX". */
static size_t visible_cp(char *u, size_t ulen, const char *bs, uint32_t cp)
{
	int n;

	if (cp < 0x20 || cp == 0x7f)
		n = snprintf(u, ulen, "%sx%02x", bs, (unsigned)cp);
	else if (cp <= 0xffff)
		n = snprintf(u, ulen, "%su%04x", bs, (unsigned)cp);
	else
		n = snprintf(u, ulen, "%sU%08x", bs, (unsigned)cp);
	return n > 0 ? (size_t)n : 0;
}

/* What a printable ASCII character becomes in this style. */
static size_t ascii_unit(char *u, size_t ulen, const char *bs, unsigned char c, enum esc_style style)
{
	const char *rep = NULL;

	if (c == '\\')
		return (size_t)snprintf(u, ulen, "%s%s", bs, bs);
	if (style == ESC_HTML)
		rep = c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '"' ? "&quot;"
		    : c == '\'' ? "&#39;" : NULL;
	else if (style == ESC_SD)
		rep = c == '"' ? "\\\"" : c == ']' ? "\\]" : NULL;
	if (rep)
		return (size_t)snprintf(u, ulen, "%s", rep);
	u[0] = (char)c;
	return 1;
}

/* A printable ASCII character this style writes as it is. */
static bool ascii_plain(unsigned char c, enum esc_style style)
{
	if (c < 0x20 || c >= 0x7f || c == '\\')
		return false;
	if (style == ESC_HTML)
		return c != '<' && c != '>' && c != '&' && c != '"' && c != '\'';
	if (style == ESC_SD)
		return c != '"' && c != ']';
	return true;
}

size_t escape_str(char *dst, size_t dstlen, const char *src, size_t srclen, enum esc_style style,
		  size_t *consumed)
{
	const unsigned char *s = (const unsigned char *)src;
	/* in a PARAM-VALUE the backslash of our notation takes one too */
	const char *bs = style == ESC_SD ? "\\\\" : "\\";
	size_t i = 0, o = 0;

	if (consumed)
		*consumed = 0;
	if (dstlen == 0)
		return 0;
	while (src && i < srclen && s[i]) {
		char u[16];
		size_t ulen, n;
		uint32_t cp;

		/* a run of plain ASCII in one copy, as much as fits */
		for (n = 0; i + n < srclen && ascii_plain(s[i + n], style) && o + n + 1 < dstlen; n++)
			;
		if (n) {
			memcpy(dst + o, s + i, n);
			o += n;
			i += n;
			continue;
		}
		n = utf8_decode(s + i, avail_at(s, i, srclen), &cp);
		if (n == 0) {
			n = 1;
			if (style == ESC_TTY)
				ulen = (size_t)snprintf(u, sizeof(u), "%sx%02x", bs, s[i]);
			else
				ulen = (size_t)snprintf(u, sizeof(u), "%s", REPLACEMENT);
		} else if (cp_is_hidden(cp)) {
			ulen = visible_cp(u, sizeof(u), bs, cp);
		} else if (cp < 0x80) {
			ulen = ascii_unit(u, sizeof(u), bs, (unsigned char)cp, style);
		} else {
			memcpy(u, s + i, n);
			ulen = n;
		}
		if (o + ulen >= dstlen)
			break;
		memcpy(dst + o, u, ulen);
		o += ulen;
		i += n;
	}
	dst[o] = '\0';
	if (consumed)
		*consumed = i;
	return o;
}

size_t escape_tty(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	return escape_str(dst, dstlen, src, srclen, ESC_TTY, NULL);
}

size_t hex_encode(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, o = 0;

	if (dstlen == 0)
		return 0;
	for (i = 0; i < srclen && src[i] && o + 2 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[o++] = digits[c >> 4];
		dst[o++] = digits[c & 0xf];
	}
	dst[o] = '\0';
	return o;
}
