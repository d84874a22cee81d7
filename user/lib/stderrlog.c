// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Lines to stderr with their priority: journald reads "<N>" at a line's start
 * from a service's stream (sd-daemon(3)), so `journalctl -p warning` finds them. */
#include "stderrlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

const char *journal_level_prefix(int level)
{
	static const char *const prefix[] = { "<0>", "<1>", "<2>", "<3>", "<4>", "<5>", "<6>", "<7>" };
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (level < 0 || level > 7 || !stream || sscanf(stream, "%llu:%llu", &dev, &ino) != 2 ||
	    fstat(STDERR_FILENO, &st) || (unsigned long long)st.st_dev != dev ||
	    (unsigned long long)st.st_ino != ino)
		return "";
	return prefix[level];
}

void stderr_say(int level, const char *fmt, ...)
{
	va_list ap;

	/* stderr is unbuffered: one write for the prefix, one for the line; the
	 * journal reads whole lines, so the two cannot be split by another's */
	fputs(journal_level_prefix(level), stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}
