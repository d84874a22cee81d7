/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Internal to the option modules (options.c: the table and getopt,
 * options_parse.c: the values, options_usage.c: the texts). Not part of the
 * public surface. */
#ifndef AEGISMON_OPTIONS_INT_H
#define AEGISMON_OPTIONS_INT_H

#include <stddef.h>

#include "options.h"

enum opt_id {
	OPT_DURATION = 'd',
	OPT_JSON = 'j',
	OPT_EVENTS = 'e',
	OPT_VERBOSE = 'v',
	OPT_HELP = 'h',
	OPT_AGENT_ROOT = 256,
	OPT_GRACE,
	OPT_FLAP_COUNT,
	OPT_FLAP_WINDOW,
	OPT_RINGBUF,
	OPT_COLOR,
	OPT_ENDPOINT,
	OPT_PORT,
	OPT_DOMAIN,
	OPT_DNS_TIMEOUT,
	OPT_SYSLOG,
	OPT_SYSLOG_FACILITY,
	OPT_JSON_LOG,
	OPT_JSON_LOG_MAX_SIZE,
	OPT_JSON_LOG_KEEP,
	OPT_METRICS,
	OPT_CONFIG,
	OPT_NO_CONFIG,
	OPT_CHECK_CONFIG,
	OPT_RECORD,
	OPT_REPORT,
	OPT_BTF,
	OPT_NET_SCOPE,
	OPT_NET_PROBES,
	OPT_NET_PROBES_HOLD,
	OPT_PID,
	OPT_CAUSE,
	OPT_REMEDIATION,
	OPT_REMEDIATION_HOOK,
	OPT_RESTART_MAX,
	OPT_RESTART_WINDOW,
	OPT_RESTART_DELAY,
	OPT_HOOK_TIMEOUT,
	OPT_CPU_THRESHOLD,
	OPT_MEMORY_THRESHOLD,
	OPT_MEMORY_PRESSURE,
	OPT_RESOURCE_WINDOW,
	OPT_STARVE_THRESHOLD,
};

/* Apply the value v of the option id (enum opt_id) to o; src says where it
 * came from, for the list options. 0, or -1 with the reason in err. */
int apply_id(struct options *o, int id, const char *v, enum opt_src src, char *err,
	     size_t errlen);

#endif
