// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Option values: strict numbers, sizes, choices and bounded lists, checked and stored. */
#include "options_int.h"
#include "causes.h"
#include "policy.h"
#include "sink_syslog.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_seconds(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* "64" (MiB), "512K", "64M", "1G"; 0 means off; at least 4 KiB otherwise. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned shift = 20;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end || v > (1ULL << 40) >> shift)
		return -1;
	v <<= shift;
	if (v && v < 4096)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

/* A list option from a higher source starts the list over. */
static bool list_restart(unsigned char *list_src, enum opt_src src)
{
	if (*list_src == src)
		return false;
	*list_src = (unsigned char)src;
	return true;
}

int apply_id(struct options *o, int id, const char *v, enum opt_src src, char *err,
	     size_t errlen)
{
	char why[200];

	switch (id) {
	case OPT_DURATION:
		if (parse_seconds(v, 0.001, 31536000, &o->duration_s))
			goto bad_seconds_pos;
		return 0;
	case OPT_JSON:
		return parse_bool(v, &o->json) ? (snprintf(err, errlen, "'%s' is not yes or no", v), -1) : 0;
	case OPT_EVENTS:
		return parse_bool(v, &o->events) ? (snprintf(err, errlen, "'%s' is not yes or no", v), -1) : 0;
	case OPT_VERBOSE:
		return parse_bool(v, &o->verbose) ? (snprintf(err, errlen, "'%s' is not yes or no", v), -1) : 0;
	case OPT_NO_CONFIG:
		o->no_config = true;
		return 0;
	case OPT_CHECK_CONFIG:
		o->check_config = true;
		return 0;
	case OPT_CONFIG:
		o->config = v; /* read before the command line, see options_read_config */
		return 0;
	case OPT_BTF:
		if (v[0] != '/') {
			snprintf(err, errlen, "'%s' is not an absolute path", v);
			return -1;
		}
		o->btf = v;
		return 0;
	case OPT_PID:
		if (parse_uint(v, 1, 0x3fffffff, &o->only_pid)) {
			snprintf(err, errlen, "'%s' is not a process id", v);
			return -1;
		}
		return 0;
	case OPT_CAUSE:
		o->only_cause = -1;
		for (int i = 0; i < CAUSE_COUNT; i++)
			if (!strcmp(v, cause_code((enum cause)i)))
				o->only_cause = i;
		if (o->only_cause < 0) {
			snprintf(err, errlen, "'%s' is not a cause code (see README)", v);
			return -1;
		}
		return 0;
	case OPT_RECORD:
	case OPT_REPORT:
		if (!v[0]) {
			snprintf(err, errlen, "needs a file name");
			return -1;
		}
		if (id == OPT_RECORD)
			o->record = v;
		else
			o->report = v;
		return 0;
	case OPT_AGENT_ROOT:
		if (list_restart(&o->roots_src, src))
			o->nroots = 0;
		if (o->nroots >= AGENT_MAX_ROOTS) {
			snprintf(err, errlen, "at most %d roots", AGENT_MAX_ROOTS);
			return -1;
		}
		if (v[0] != '/') {
			snprintf(err, errlen, "'%s' is not an absolute path", v);
			return -1;
		}
		o->roots[o->nroots++] = v;
		return 0;
	case OPT_GRACE:
		if (parse_seconds(v, 0, 86400, &o->grace_s)) {
			snprintf(err, errlen, "'%s' is not a number of seconds (0-86400)", v);
			return -1;
		}
		return 0;
	case OPT_FLAP_COUNT:
		if (parse_uint(v, 2, 32, &o->flap_count)) {
			snprintf(err, errlen, "'%s' is not a number from 2 to 32", v);
			return -1;
		}
		return 0;
	case OPT_FLAP_WINDOW:
		if (parse_seconds(v, 1, 86400, &o->flap_window_s)) {
			snprintf(err, errlen, "'%s' is not a number of seconds (1-86400)", v);
			return -1;
		}
		return 0;
	case OPT_RINGBUF:
		if (parse_uint(v, 64, 1048576, &o->ringbuf_kib) || (o->ringbuf_kib & (o->ringbuf_kib - 1))) {
			snprintf(err, errlen, "'%s' is not a power of two from 64 to 1048576 KiB", v);
			return -1;
		}
		return 0;
	case OPT_NET_SCOPE:
		if (!strcmp(v, "agent"))
			o->host_scope = false;
		else if (!strcmp(v, "host"))
			o->host_scope = true;
		else {
			snprintf(err, errlen, "'%s' is not agent or host", v);
			return -1;
		}
		return 0;
	case OPT_NET_PROBES:
		if (!strcmp(v, "on-demand"))
			o->net_probes_always = false;
		else if (!strcmp(v, "always"))
			o->net_probes_always = true;
		else {
			snprintf(err, errlen, "'%s' is not on-demand or always", v);
			return -1;
		}
		return 0;
	case OPT_NET_PROBES_HOLD:
		if (parse_seconds(v, 1, 86400, &o->net_probes_hold_s)) {
			snprintf(err, errlen, "'%s' is not a number of seconds from 1 to 86400", v);
			return -1;
		}
		return 0;
	case OPT_COLOR:
		if (!strcmp(v, "auto"))
			o->color = COLOR_AUTO;
		else if (!strcmp(v, "always"))
			o->color = COLOR_ALWAYS;
		else if (!strcmp(v, "never"))
			o->color = COLOR_NEVER;
		else {
			snprintf(err, errlen, "'%s' is not auto, always or never", v);
			return -1;
		}
		return 0;
	case OPT_ENDPOINT:
		if (list_restart(&o->cidrs_src, src))
			o->endpoints.ncidrs = 0;
		if (o->endpoints.ncidrs >= ENDPOINT_MAX_CIDRS) {
			snprintf(err, errlen, "at most %d CIDRs", ENDPOINT_MAX_CIDRS);
			return -1;
		}
		if (cidr_parse(v, &o->endpoints.cidrs[o->endpoints.ncidrs], err, errlen))
			return -1;
		o->endpoints.ncidrs++;
		return 0;
	case OPT_PORT: {
		unsigned port;

		if (list_restart(&o->ports_src, src))
			o->endpoints.nports = 0;
		if (parse_uint(v, 1, 65535, &port)) {
			snprintf(err, errlen, "'%s' is not a port number (1-65535)", v);
			return -1;
		}
		for (int i = 0; i < o->endpoints.nports; i++)
			if (o->endpoints.ports[i] == port)
				return 0;
		if (o->endpoints.nports >= ENDPOINT_MAX_PORTS) {
			snprintf(err, errlen, "at most %d ports", ENDPOINT_MAX_PORTS);
			return -1;
		}
		o->endpoints.ports[o->endpoints.nports++] = (uint16_t)port;
		return 0;
	}
	case OPT_DOMAIN:
		if (list_restart(&o->domains_src, src))
			o->domains.n = 0;
		return domains_add(&o->domains, v, err, errlen) ? -1 : 0;
	case OPT_DNS_TIMEOUT:
		if (parse_seconds(v, 0.1, 600, &o->dns_timeout_s)) {
			snprintf(err, errlen, "'%s' is not a number of seconds (0.1-600)", v);
			return -1;
		}
		return 0;
	case OPT_SYSLOG: {
		struct syslog_target t;

		if (list_restart(&o->syslog_src, src))
			o->nsyslog = 0;
		if (o->nsyslog >= OPTIONS_MAX_SYSLOG) {
			snprintf(err, errlen, "at most %d receivers", OPTIONS_MAX_SYSLOG);
			return -1;
		}
		if (syslog_target_parse(v, &t, why, sizeof(why))) {
			snprintf(err, errlen, "%s", why);
			return -1;
		}
		o->syslog_urls[o->nsyslog++] = v;
		return 0;
	}
	case OPT_SYSLOG_FACILITY: {
		int f = syslog_facility_parse(v);

		if (f < 0) {
			snprintf(err, errlen, "'%s' is not user, daemon, auth, syslog, authpriv or local0-local7", v);
			return -1;
		}
		o->syslog_facility = f;
		return 0;
	}
	case OPT_JSON_LOG:
	case OPT_METRICS:
		if (v[0] != '/') {
			snprintf(err, errlen, "'%s' is not an absolute path", v);
			return -1;
		}
		if (id == OPT_JSON_LOG)
			o->json_log = v;
		else
			o->metrics = v;
		return 0;
	case OPT_JSON_LOG_MAX_SIZE:
		if (parse_size(v, &o->json_log_max_bytes)) {
			snprintf(err, errlen, "'%s' is not a size: N (MiB), NK, NM or NG, at least 4K, or 0 (no rotation)", v);
			return -1;
		}
		return 0;
	case OPT_JSON_LOG_KEEP:
		if (parse_uint(v, 1, 100, &o->json_log_keep)) {
			snprintf(err, errlen, "'%s' is not a number from 1 to 100", v);
			return -1;
		}
		return 0;
	case OPT_REMEDIATION: {
		enum remediation_mode m;

		if (remediation_mode_parse(v, &m)) {
			snprintf(err, errlen, "'%s' is not off, advise or restart", v);
			return -1;
		}
		o->remediation = (int)m;
		return 0;
	}
	case OPT_REMEDIATION_HOOK:
		if (v[0] != '/') {
			snprintf(err, errlen, "'%s' is not an absolute path", v);
			return -1;
		}
		o->remediation_hook = v;
		return 0;
	case OPT_RESTART_MAX:
		if (parse_uint(v, 1, 64, &o->restart_max)) {
			snprintf(err, errlen, "'%s' is not a number from 1 to 64", v);
			return -1;
		}
		return 0;
	case OPT_RESTART_WINDOW:
		if (parse_seconds(v, 1, 604800, &o->restart_window_s)) {
			snprintf(err, errlen, "'%s' is not a number of seconds (1-604800)", v);
			return -1;
		}
		return 0;
	case OPT_RESTART_DELAY:
		if (parse_seconds(v, 0, 86400, &o->restart_delay_s)) {
			snprintf(err, errlen, "'%s' is not a number of seconds (0-86400)", v);
			return -1;
		}
		return 0;
	case OPT_HOOK_TIMEOUT:
		if (parse_seconds(v, 0.1, 3600, &o->hook_timeout_s)) {
			snprintf(err, errlen, "'%s' is not a number of seconds (0.1-3600)", v);
			return -1;
		}
		return 0;
	case OPT_CPU_THRESHOLD:
	case OPT_MEMORY_THRESHOLD:
		if (parse_seconds(v, 1, 100, id == OPT_CPU_THRESHOLD ? &o->cpu_threshold
								    : &o->memory_threshold)) {
			snprintf(err, errlen, "'%s' is not a percentage (1-100)", v);
			return -1;
		}
		return 0;
	case OPT_MEMORY_PRESSURE:
		if (parse_seconds(v, 0, 100, &o->memory_pressure)) {
			snprintf(err, errlen, "'%s' is not a percentage (0-100; 0: off)", v);
			return -1;
		}
		return 0;
	case OPT_RESOURCE_WINDOW:
		if (parse_seconds(v, 1, 3600, &o->resource_window_s)) {
			snprintf(err, errlen, "'%s' is not a number of seconds (1-3600)", v);
			return -1;
		}
		return 0;
	case OPT_STARVE_THRESHOLD:
		if (parse_seconds(v, 1, 60000, &o->starve_ms)) {
			snprintf(err, errlen, "'%s' is not a number of milliseconds (1-60000)", v);
			return -1;
		}
		return 0;
	default:
		snprintf(err, errlen, "not an option");
		return -1;
	}
bad_seconds_pos:
	snprintf(err, errlen, "'%s' is not a number of seconds > 0", v);
	return -1;
}
