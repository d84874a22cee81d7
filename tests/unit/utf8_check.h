/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * For tests: an independent check that bytes are well-formed UTF-8, written
 * from the Unicode standard's table of well-formed byte sequences (Table 3-7)
 * rather than from escape.c's decoder, so the two check each other.
 */
#ifndef AEGISMON_TEST_UTF8_CHECK_H
#define AEGISMON_TEST_UTF8_CHECK_H

#include <stdbool.h>
#include <stddef.h>

static inline bool well_formed_utf8(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], lo = 0x80, hi = 0xbf, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c == 0xe0)
			k = 2, lo = 0xa0;
		else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
			k = 2;
		else if (c == 0xed)
			k = 2, hi = 0x9f;
		else if (c == 0xf0)
			k = 3, lo = 0x90;
		else if (c >= 0xf1 && c <= 0xf3)
			k = 3;
		else if (c == 0xf4)
			k = 3, hi = 0x8f;
		else
			return false;
		if (n - i <= k)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (unsigned j = 2; j <= k; j++)
			if (s[i + j] < 0x80 || s[i + j] > 0xbf)
				return false;
		i += k + 1;
	}
	return true;
}

/* The UTF-8 bytes of the code points that must never be written raw, as
 * strings to look for in an output (see cp_is_hidden). */
static const char *const hidden_utf8[] = {
	"\xc2\x80", "\xc2\x85", "\xc2\x9b", "\xc2\x9f",                  /* C1 */
	"\xd8\x9c",                                                      /* ALM */
	"\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d",                  /* zero-width */
	"\xe2\x80\x8e", "\xe2\x80\x8f",                                  /* LRM RLM */
	"\xe2\x80\xa8", "\xe2\x80\xa9",                                  /* LS PS */
	"\xe2\x80\xaa", "\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad",  /* LRE RLE PDF LRO */
	"\xe2\x80\xae",                                                  /* RLO */
	"\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9",  /* LRI RLI FSI PDI */
	"\xef\xbb\xbf",                                                  /* BOM */
	"\xf3\xa0\x80\x81",                                              /* tag */
};

#endif
