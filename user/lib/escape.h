/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Untrusted bytes (process names, paths, argv, DNS names) on their way out.
 *
 * One validator and one list of code points never shown raw serve every
 * output: the terminal, the HTML report, syslog, the hook's environment and,
 * through json.c, JSON. docs/escaping.md says what each output makes of them.
 */
#ifndef AEGISMON_ESCAPE_H
#define AEGISMON_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Decode the UTF-8 sequence at s, reading at most avail bytes: its length
 * (1-4) with the code point in *cp, or 0 when s does not start a valid
 * sequence: a continuation byte, a lead byte that is never valid (0xc0, 0xc1,
 * 0xf5-0xff), a sequence cut short (by avail or by a byte that is not a
 * continuation), an overlong form, a surrogate (U+D800-U+DFFF) or a code
 * point past U+10FFFF. A NUL is a valid one-byte sequence.
 */
size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp);

/* Is s valid UTF-8 up to its NUL or its first len bytes, whichever is first? */
bool utf8_valid(const char *s, size_t len);

/*
 * A code point that no output shows raw, because it drives a terminal or
 * changes how the text around it displays without being seen:
 *   U+0000-U+001F, U+007F, U+0080-U+009F  C0 controls, DEL, C1 controls
 *   U+00AD          soft hyphen (invisible unless a line breaks there)
 *   U+061C          Arabic letter mark (bidi)
 *   U+180E          Mongolian vowel separator (invisible)
 *   U+200B-U+200F   zero-width space, non-joiner, joiner; LRM, RLM (bidi)
 *   U+2028, U+2029  line and paragraph separators
 *   U+202A-U+202E   bidi embeddings and overrides (LRE RLE PDF LRO RLO)
 *   U+2060-U+206F   word joiner, invisible operators, bidi isolates
 *                   (LRI RLI FSI PDI), deprecated format controls
 *   U+FEFF          zero-width no-break space (BOM)
 *   U+FFF9-U+FFFB   interlinear annotation controls
 *   U+E0000-U+E007F tag characters (invisible)
 */
bool cp_is_hidden(uint32_t cp);

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 if it is invalid or a
 * C1 control (U+0080-U+009F). For callers that check an output's bytes.
 */
size_t utf8_seq_len(const unsigned char *s, size_t avail);

/*
 * Every output's escaping. Printable ASCII and valid UTF-8 that is not hidden
 * pass; a backslash becomes "\\"; a control byte (C0, DEL) becomes "\xNN"; any
 * other hidden code point becomes "\uXXXX" ("\UXXXXXXXX" past U+FFFF). A byte
 * that is not valid UTF-8 becomes:
 */
enum esc_style {
	ESC_TTY,  /* "\xNN": for people, who may want the exact byte */
	ESC_TEXT, /* U+FFFD: valid UTF-8 for logs and the hook's environment */
	ESC_HTML, /* as ESC_TEXT, and & < > " ' as HTML entities */
	ESC_SD,   /* as ESC_TEXT inside an RFC 5424 PARAM-VALUE: every backslash
		   * of the text above, and '"' and ']', escaped with a backslash */
};

/*
 * Escape src (at most srclen bytes, up to a NUL) into dst. Stops before a
 * unit (an escape, a UTF-8 sequence) that does not fit: never half of one.
 * Always NUL-terminates dst (if dstlen > 0); returns the length written.
 * consumed (may be NULL) gets the number of bytes of src used, so a caller
 * can tell a cut or go on from there.
 */
size_t escape_str(char *dst, size_t dstlen, const char *src, size_t srclen, enum esc_style style,
		  size_t *consumed);

/* escape_str(..., ESC_TTY, NULL): for a terminal or a text log line. */
size_t escape_tty(char *dst, size_t dstlen, const char *src, size_t srclen);

/*
 * The exact bytes of src (up to its NUL or srclen) as lowercase hex, two
 * digits a byte, never half a byte. NUL-terminated; returns the length.
 */
size_t hex_encode(char *dst, size_t dstlen, const char *src, size_t srclen);

#endif
