/* Escaping of untrusted strings (process names, paths, argv) for output. */
#ifndef AEGISMON_ESCAPE_H
#define AEGISMON_ESCAPE_H

#include <stddef.h>

/*
 * Escape src (NUL-terminated, at most srclen bytes read) for a terminal or a
 * log line: printable ASCII and valid UTF-8 pass, everything else (control
 * characters, ESC, DEL, invalid UTF-8) becomes \xNN, and a backslash becomes
 * \\. Always NUL-terminates dst; returns the length written.
 */
size_t escape_tty(char *dst, size_t dstlen, const char *src, size_t srclen);

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t utf8_seq_len(const unsigned char *s, size_t avail);

#endif
