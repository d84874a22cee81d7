/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Lines to stderr with their priority, for the journal when stderr is its stream. */
#ifndef AEGISMON_STDERRLOG_H
#define AEGISMON_STDERRLOG_H

#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO */

/*
 * "<N>" (sd-daemon(3)) when stderr is a journal stream ($JOURNAL_STREAM is
 * its device:inode), so that a line's priority reaches the journal; "" when
 * stderr is anything else (a terminal, a file, a pipe). level: 0-7, as syslog's.
 */
const char *journal_level_prefix(int level);

/* fprintf(stderr, ...) of one line, after journal_level_prefix(level). */
void stderr_say(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
