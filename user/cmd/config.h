/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The config file: `key = value` lines, keys being the long option names
 * (agent-root, endpoint, grace, syslog, ...; '_' may stand for '-'), '#'
 * comments (whole lines, or after a blank behind an unquoted value), list
 * keys repeated. Errors name FILE:LINE and the reason.
 */
#ifndef AEGISMON_CONFIG_H
#define AEGISMON_CONFIG_H

#include <stddef.h>

struct options;

#define CONFIG_MAX_BYTES (1 << 20)
#define CONFIG_MAX_LINE 4096

/* Apply the text of a config file (fname is for messages) on top of o.
 * 0, or -1 with "fname:line: reason" in err; o may be partly applied then. */
int config_parse(const char *text, size_t len, const char *fname, struct options *o,
		 char *err, size_t errlen);

/*
 * Read and apply a config file. It configures what a root daemon runs, so it
 * must be a regular file owned by root (or by the user running us) and not
 * writable by group or others. 0, or -1 with the reason in err.
 */
int config_load(const char *path, struct options *o, char *err, size_t errlen);

#endif
