// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Option parsing with getopt_long: strict numbers, bounded repeats. */
#include "options.h"
#include "causes.h"
#include "config.h"
#include "policy.h"
#include "sink_syslog.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void options_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->grace_s = 30;
	o->flap_window_s = 300;
	o->flap_count = 3;
	o->ringbuf_kib = 1024;
	o->color = COLOR_AUTO;
	endpoints_defaults(&o->endpoints);
	domains_defaults(&o->domains);
	o->dns_timeout_s = 5;
	o->cpu_threshold = 95;
	o->memory_threshold = 95;
	o->memory_pressure = 10;
	o->resource_window_s = 60;
	o->starve_ms = 100;
	o->net_probes_hold_s = 600;
	o->syslog_facility = 3; /* daemon */
	o->json_log_keep = 4;
	o->only_cause = -1;
	o->remediation = REM_ADVISE;
	o->restart_max = 3;
	o->restart_window_s = 3600;
	o->restart_delay_s = 10;
	o->hook_timeout_s = 10;
}

void usage_main(void *out)
{
	fputs("usage: aegismon COMMAND [options]\n"
	      "\n"
	      "Tells why the Alibaba Cloud Security Center agent (AliYunDun) went offline.\n"
	      "\n"
	      "commands:\n"
	      "  trace     trace the agent live and diagnose what happens to it\n"
	      "  run       the always-on daemon: the same diagnoses to syslog and a JSON log\n"
	      "  check     run the official troubleshooting steps now and judge each one\n"
	      "  replay    run the correlator again on a 'trace --record' file\n"
	      "  restart   restart the agent the official way, safely (--dry-run to see how)\n"
	      "  reload    make a running daemon re-read its config and wait for the outcome\n"
	      "  version   print the version\n"
	      "\n"
	      "'aegismon COMMAND --help' describes the options of a command.\n"
	      "Exit status: 0 nothing wrong, 1 a problem was diagnosed, 2 usage error,\n"
	      "3 the environment cannot support it (not root, no BPF, no BTF).\n",
	      (FILE *)out);
}

void usage_trace(void *out)
{
	fputs("usage: aegismon trace [options]\n"
	      "\n"
	      "Attach the probes, print diagnoses as they happen, and a summary at the end.\n"
	      "\n"
	      "  -d, --duration SECONDS   stop after this long (default: until Ctrl-C/SIGTERM)\n"
	      "  -j, --json               JSON lines instead of text\n"
	      "  -e, --events             also print every raw event\n"
	      "      --record FILE        write every event to FILE for 'aegismon replay FILE'\n"
	      "      --report FILE        write a self-contained HTML report (SVG timeline) at the end\n"
	      "      --pid PID            print only what concerns this process\n"
	      "      --cause CAUSE        print only diagnoses of this cause (syslog, the JSON log\n"
	      "                           and the report still get every one)\n"
	      "      --agent-root DIR     agent install root (repeatable; default\n"
	      "                           /usr/local/aegis, then /opt/aegis)\n"
	      "      --endpoint CIDR      Aegis endpoint addresses (repeatable; replaces the\n"
	      "                           defaults 100.100.0.0/16, 106.11.0.0/16, 100.103.0.0/16)\n"
	      "      --domain SUFFIX      Aegis domain suffix watched in DNS (repeatable; replaces\n"
	      "                           aegis.aliyun.com, aegis.aliyuncs.com, aegis.alicdn.com)\n"
	      "      --port N             endpoint port (repeatable; replaces 80, 443, 8080)\n"
	      "      --dns-timeout SECONDS  a watched query unanswered this long is dns_timeout\n"
	      "                           (default 5, the glibc resolver's)\n"
	      "      --grace SECONDS      an agent process not back this long after its exit\n"
	      "                           is agent_not_running (default 30)\n"
	      "      --flap-count N       restarts that make agent_flapping (default 3)\n"
	      "      --flap-window SECONDS  ... within this window (default 300)\n"
	      "      --ringbuf-size KIB   kernel ring buffer size (default 1024)\n"
	      "      --cpu-threshold PCT  host CPU busy at least this for the whole window is\n"
	      "                           cpu_saturated (1-100, default 95)\n"
	      "      --memory-threshold PCT  memory used ((MemTotal-MemAvailable)/MemTotal) at\n"
	      "                           least this for the whole window is memory_exhausted\n"
	      "                           (1-100, default 95)\n"
	      "      --memory-pressure PCT  ... or PSI memory 'full avg10' at least this\n"
	      "                           (0-100, default 10; 0: off)\n"
	      "      --resource-window SECONDS  how long a resource condition must hold\n"
	      "                           (1-3600, default 60)\n"
	      "      --starve-threshold MS  the agent's p90 run-queue wait at least this in\n"
	      "                           every second of the window is agent_starved\n"
	      "                           (1-60000, default 100)\n"
	      "      --color WHEN         auto, always or never (default auto: on a tty)\n"
	      "      --syslog URL         also send diagnoses to syslog (repeatable): journal\n"
	      "                           (journald's fields), unix:/dev/log, udp://HOST:PORT,\n"
	      "                           tcp://HOST:PORT (RFC 5424; TCP octet-counted); run's\n"
	      "                           default: journal where journald runs, else unix:/dev/log\n"
	      "      --syslog-facility NAME  daemon (default), user, auth, syslog, authpriv, local0-7\n"
	      "      --json-log FILE      append diagnoses as JSON lines (mode 0640; reopened on SIGHUP)\n"
	      "      --json-log-max-size SIZE  rotate the JSON log at this size: N MiB, or NK,\n"
	      "                           NM, NG (default 0: never, leave it to logrotate)\n"
	      "      --json-log-keep N    rotated files kept, FILE.1 to FILE.N (default 4)\n"
	      "      --metrics FILE       Prometheus textfile, rewritten atomically every 5 s\n"
	      "      --remediation MODE   off, advise (default: say what to do) or restart (restart\n"
	      "                           the agent when it is down; never for network/DNS causes)\n"
	      "      --remediation-hook PATH  executable run per diagnosis: JSON on stdin,\n"
	      "                           AEGISMON_CAUSE/SEVERITY/PID/COMM/SUMMARY in its environment\n"
	      "      --restart-max N      restarts allowed per window, then remediation_failed (default 3)\n"
	      "      --restart-window SECONDS  ... the window (default 3600)\n"
	      "      --restart-delay SECONDS  first restart delay, doubled per restart (default 10)\n"
	      "      --hook-timeout SECONDS  the hook is killed after this long (default 10)\n"
	      "      --config FILE        read options from FILE first (default /etc/aegismon.conf\n"
	      "                           when it exists); the command line wins over it\n"
	      "      --no-config          do not read a config file\n"
	      "      --check-config       check the config file and the options, print the\n"
	      "                           effective settings, exit (0 valid, 2 invalid)\n"
	      "      --net-scope SCOPE    agent (default): the network programs on the agent's\n"
	      "                           cgroups only, the rest of the host pays nothing;\n"
	      "                           host: on every cgroup, also other processes' connects\n"
	      "                           to the endpoints\n"
	      "      --net-probes WHEN    on-demand (default, agent scope): the TCP-state\n"
	      "                           (sockops), netfilter-drop and ICMP-error probes\n"
	      "                           attached at the agent's network activity; always:\n"
	      "                           for the whole run\n"
	      "      --net-probes-hold SECONDS  on demand, detached after this long without\n"
	      "                           agent network activity (default 600)\n"
	      "      --btf FILE           kernel types from FILE, for a kernel without\n"
	      "                           /sys/kernel/btf/vmlinux (see README, Kernel support)\n"
	      "  -v, --verbose            libbpf and loader details on stderr\n"
	      "  -h, --help               this text\n",
	      (FILE *)out);
}

void usage_run(void *out)
{
	fputs("usage: aegismon run [options]\n"
	      "\n"
	      "The always-on daemon (foreground, for systemd: Type=notify). Diagnoses go to\n"
	      "the journal where journald runs, else to syslog at unix:/dev/log (or --syslog),\n"
	      "and to --json-log; SIGTERM/SIGINT detach every probe and exit 0. SIGHUP\n"
	      "re-reads the config file and applies it without detaching the probes (an\n"
	      "invalid file is rejected and the running settings kept), and reopens the JSON\n"
	      "log. It takes the options of 'aegismon trace'\n"
	      "(see 'aegismon trace --help'); --duration is for tests.\n",
	      (FILE *)out);
}

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

struct opt_def {
	const char *name;
	int id;
	bool has_arg;
	bool config_key; /* also allowed as `name = value` in the config file */
};

static const struct opt_def opt_defs[] = {
	{ "duration", OPT_DURATION, true, false },
	{ "json", OPT_JSON, false, false },
	{ "events", OPT_EVENTS, false, false },
	{ "verbose", OPT_VERBOSE, false, true },
	{ "help", OPT_HELP, false, false },
	{ "color", OPT_COLOR, true, false },
	{ "config", OPT_CONFIG, true, false },
	{ "no-config", OPT_NO_CONFIG, false, false },
	{ "check-config", OPT_CHECK_CONFIG, false, false },
	{ "record", OPT_RECORD, true, false },
	{ "report", OPT_REPORT, true, false },
	{ "btf", OPT_BTF, true, true },
	{ "net-scope", OPT_NET_SCOPE, true, true },
	{ "net-probes", OPT_NET_PROBES, true, true },
	{ "net-probes-hold", OPT_NET_PROBES_HOLD, true, true },
	{ "pid", OPT_PID, true, false },
	{ "cause", OPT_CAUSE, true, false },
	{ "agent-root", OPT_AGENT_ROOT, true, true },
	{ "endpoint", OPT_ENDPOINT, true, true },
	{ "port", OPT_PORT, true, true },
	{ "domain", OPT_DOMAIN, true, true },
	{ "dns-timeout", OPT_DNS_TIMEOUT, true, true },
	{ "grace", OPT_GRACE, true, true },
	{ "flap-count", OPT_FLAP_COUNT, true, true },
	{ "flap-window", OPT_FLAP_WINDOW, true, true },
	{ "ringbuf-size", OPT_RINGBUF, true, true },
	{ "syslog", OPT_SYSLOG, true, true },
	{ "syslog-facility", OPT_SYSLOG_FACILITY, true, true },
	{ "json-log", OPT_JSON_LOG, true, true },
	{ "json-log-max-size", OPT_JSON_LOG_MAX_SIZE, true, true },
	{ "json-log-keep", OPT_JSON_LOG_KEEP, true, true },
	{ "metrics", OPT_METRICS, true, true },
	{ "remediation", OPT_REMEDIATION, true, true },
	{ "remediation-hook", OPT_REMEDIATION_HOOK, true, true },
	{ "restart-max", OPT_RESTART_MAX, true, true },
	{ "restart-window", OPT_RESTART_WINDOW, true, true },
	{ "restart-delay", OPT_RESTART_DELAY, true, true },
	{ "hook-timeout", OPT_HOOK_TIMEOUT, true, true },
	{ "cpu-threshold", OPT_CPU_THRESHOLD, true, true },
	{ "memory-threshold", OPT_MEMORY_THRESHOLD, true, true },
	{ "memory-pressure", OPT_MEMORY_PRESSURE, true, true },
	{ "resource-window", OPT_RESOURCE_WINDOW, true, true },
	{ "starve-threshold", OPT_STARVE_THRESHOLD, true, true },
};
#define N_OPT_DEFS (sizeof(opt_defs) / sizeof(opt_defs[0]))

static const struct opt_def *find_def(const char *name)
{
	for (size_t i = 0; i < N_OPT_DEFS; i++)
		if (!strcmp(opt_defs[i].name, name))
			return &opt_defs[i];
	return NULL;
}

static const struct opt_def *find_id(int id)
{
	for (size_t i = 0; i < N_OPT_DEFS; i++)
		if (opt_defs[i].id == id)
			return &opt_defs[i];
	return NULL;
}

enum opt_key_kind options_key_kind(const char *name)
{
	const struct opt_def *d = find_def(name);

	if (!d)
		return KEY_UNKNOWN;
	return d->config_key ? KEY_CONFIG : KEY_CMDLINE_ONLY;
}

/* Edit distance, bounded: names are short. */
static unsigned edit_distance(const char *a, const char *b)
{
	unsigned row[40], prev, tmp;
	size_t la = strlen(a), lb = strlen(b);

	if (la >= 39 || lb >= 39)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned best = prev + (a[i - 1] != b[j - 1]);

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			tmp = row[j];
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

const char *options_suggest(const char *name)
{
	const char *best = NULL;
	unsigned best_d = 3; /* only near misses */

	for (size_t i = 0; i < N_OPT_DEFS; i++) {
		unsigned d;

		if (!opt_defs[i].config_key)
			continue;
		d = edit_distance(name, opt_defs[i].name);
		if (d < best_d) {
			best_d = d;
			best = opt_defs[i].name;
		}
	}
	return best;
}

void options_free(struct options *o)
{
	for (size_t i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	o->owned = NULL;
	o->nowned = o->capowned = 0;
}

const char *options_own(struct options *o, const char *s)
{
	char *copy;

	if (o->nowned == o->capowned) {
		size_t cap = o->capowned ? o->capowned * 2 : 16;
		char **grown = realloc(o->owned, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		o->owned = grown;
		o->capowned = cap;
	}
	copy = strdup(s);
	if (copy)
		o->owned[o->nowned++] = copy;
	return copy;
}

/* A list option from a higher source starts the list over. */
static bool list_restart(unsigned char *list_src, enum opt_src src)
{
	if (*list_src == src)
		return false;
	*list_src = (unsigned char)src;
	return true;
}

static int apply_id(struct options *o, int id, const char *v, enum opt_src src, char *err,
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
		o->config = v; /* read before the command line, see options_parse */
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

int options_apply(struct options *o, const char *name, const char *value, enum opt_src src,
		  char *err, size_t errlen)
{
	const struct opt_def *d = find_def(name);

	if (!d) {
		snprintf(err, errlen, "unknown option");
		return -1;
	}
	return apply_id(o, d->id, value, src, err, errlen);
}

/* getopt_long's table, made once from opt_defs. */
static const struct option *long_options(void)
{
	static struct option table[N_OPT_DEFS + 1];

	if (!table[0].name)
		for (size_t i = 0; i < N_OPT_DEFS; i++) {
			table[i].name = opt_defs[i].name;
			table[i].has_arg = opt_defs[i].has_arg ? required_argument : no_argument;
			table[i].val = opt_defs[i].id;
		}
	return table;
}

/* --config and --no-config are needed before the rest: the file comes first. */
static void scan_config_options(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			break;
		if (!strcmp(a, "--no-config"))
			o->no_config = true;
		else if (!strcmp(a, "--config") && i + 1 < argc)
			o->config = argv[++i];
		else if (!strncmp(a, "--config=", 9))
			o->config = a + 9;
	}
}

int options_read_config(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	const char *path;

	scan_config_options(argc, argv, o);
	if (o->no_config) {
		o->config = NULL;
		return 0;
	}
	path = o->config;
	if (!path && access(OPTIONS_DEFAULT_CONFIG, F_OK) == 0)
		path = OPTIONS_DEFAULT_CONFIG;
	if (!path)
		return 0;
	if (config_load(path, o, err, errlen))
		return -1;
	o->config = path;
	return 0;
}

static int parse_common(int argc, char **argv, struct options *o, char *err, size_t errlen,
			void (*usage)(void *))
{
	int c;

	if (options_read_config(argc, argv, o, err, errlen))
		return 2;

	optind = 0; /* full reset: parse_common runs again on a reload */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:jevh", long_options(), NULL)) != -1) {
		const struct opt_def *d;
		char why[256];

		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == ':') {
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return 2;
		}
		d = find_id(c);
		if (!d) {
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return 2;
		}
		if (d->id == OPT_CONFIG || d->id == OPT_NO_CONFIG)
			continue; /* done above */
		if (apply_id(o, d->id, d->has_arg ? optarg : "yes", SRC_CMDLINE, why, sizeof(why))) {
			snprintf(err, errlen, "--%s: %s", d->name, why);
			return 2;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return 2;
	}
	return 0;
}

int options_parse_trace(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	return parse_common(argc, argv, o, err, errlen, usage_trace);
}

int options_parse_run(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	int rc = parse_common(argc, argv, o, err, errlen, usage_run);

	/* accepted and then never written would be worse than refused */
	if (rc == 0 && o->report) {
		snprintf(err, errlen, "--report is for 'aegismon trace': the daemon keeps no report "
			 "(it runs for months); read its --json-log, or replay a trace --record");
		return 2;
	}
	return rc;
}

/* The effective settings, as config lines: what --check-config prints. */
void options_dump(void *stream, const struct options *o)
{
	FILE *out = stream;
	char buf[64];

	fprintf(out, "# effective settings%s%s\n", o->config ? " from " : " (no config file)",
		o->config ? o->config : "");
	if (o->nroots == 0)
		fputs("# agent-root: the defaults /usr/local/aegis, /opt/aegis\n", out);
	for (int i = 0; i < o->nroots; i++)
		fprintf(out, "agent-root = %s\n", o->roots[i]);
	for (int i = 0; i < o->endpoints.ncidrs; i++) {
		const struct cidr *c = &o->endpoints.cidrs[i];

		addr_str(c->family, c->addr, buf, sizeof(buf));
		fprintf(out, "endpoint = %s/%u\n", buf, c->prefixlen);
	}
	for (int i = 0; i < o->endpoints.nports; i++)
		fprintf(out, "port = %u\n", o->endpoints.ports[i]);
	for (int i = 0; i < o->domains.n; i++)
		fprintf(out, "domain = %s\n", o->domains.names[i]);
	fprintf(out, "dns-timeout = %g\ngrace = %g\nflap-count = %u\nflap-window = %g\n",
		o->dns_timeout_s, o->grace_s, o->flap_count, o->flap_window_s);
	fprintf(out, "cpu-threshold = %g\nmemory-threshold = %g\nmemory-pressure = %g\n", o->cpu_threshold,
		o->memory_threshold, o->memory_pressure);
	fprintf(out, "resource-window = %g\nstarve-threshold = %g\n", o->resource_window_s, o->starve_ms);
	fprintf(out, "ringbuf-size = %u\n", o->ringbuf_kib);
	if (o->btf)
		fprintf(out, "btf = %s\n", o->btf);
	fprintf(out, "net-scope = %s\n", o->host_scope ? "host" : "agent");
	fprintf(out, "net-probes = %s\nnet-probes-hold = %g\n",
		o->net_probes_always ? "always" : "on-demand", o->net_probes_hold_s);
	for (int i = 0; i < o->nsyslog; i++)
		fprintf(out, "syslog = %s\n", o->syslog_urls[i]);
	fprintf(out, "syslog-facility = %s\n", syslog_facility_name(o->syslog_facility));
	if (o->json_log)
		fprintf(out, "json-log = %s\n", o->json_log);
	fprintf(out, "json-log-max-size = %lluK\njson-log-keep = %u\n",
		(unsigned long long)(o->json_log_max_bytes >> 10), o->json_log_keep);
	if (o->metrics)
		fprintf(out, "metrics = %s\n", o->metrics);
	fprintf(out, "remediation = %s\n", remediation_mode_name((enum remediation_mode)o->remediation));
	if (o->remediation_hook)
		fprintf(out, "remediation-hook = %s\n", o->remediation_hook);
	fprintf(out, "restart-max = %u\nrestart-window = %g\nrestart-delay = %g\nhook-timeout = %g\n",
		o->restart_max, o->restart_window_s, o->restart_delay_s, o->hook_timeout_s);
	fprintf(out, "verbose = %s\n", o->verbose ? "yes" : "no");
}

/*
 * `aegismon options`: the option table for tools (the man page test, the
 * shell completion). One line per record, fields separated by a blank:
 *   command NAME
 *   option NAME SHORT ARG COMMANDS KIND CONFIG
 *   cause NAME
 * SHORT is the letter or '-'; ARG is "arg" or '-'; COMMANDS a comma list;
 * KIND flag, file, dir, cause, pid, number, string or choice(V1,V2,...);
 * CONFIG is "config" when the name is also a config file key, else '-'.
 */

/* The commands other than trace and run parse their own options (check.c,
 * restart.c, replay.c, reloadstat.c, main.c); their names are listed here and
 * tests/docs/test_man.sh checks them against each command's --help. */
struct listed_opt {
	const char *name;
	const char *cmds;
	bool has_arg;
};

static const struct listed_opt other_opts[] = {
	{ "json", "check,restart,replay", false },
	{ "verbose", "check", false },
	{ "help", "check,restart,replay,reload,version", false },
	{ "color", "check,replay", true },
	{ "config", "check,restart", true },
	{ "no-config", "check,restart", false },
	{ "agent-root", "check,restart", true },
	{ "endpoint", "check", true },
	{ "port", "check", true },
	{ "server", "check", true },
	{ "timeout", "check,restart,reload", true },
	{ "no-metadata", "check", false },
	{ "resolv-conf", "check", true },
	{ "hosts", "check", true },
	{ "dry-run", "restart", false },
	{ "events", "replay", false },
	{ "pid", "replay", true },
	{ "cause", "replay", true },
	{ "since", "replay", true },
	{ "report", "replay", true },
	{ "features", "version", false },
	{ "btf", "version", true },
};
#define N_OTHER_OPTS (sizeof(other_opts) / sizeof(other_opts[0]))

static const char *const listed_commands[] = {
	"trace", "run", "check", "replay", "restart", "reload", "version", "help",
};

static char short_letter(const char *name)
{
	static const char *const shorts[] = { "duration", "json", "events", "verbose", "help" };
	static const char letters[] = "djevh";

	for (size_t i = 0; i < sizeof(shorts) / sizeof(shorts[0]); i++)
		if (!strcmp(name, shorts[i]))
			return letters[i];
	return '-';
}

static const char *listed_kind(const char *name, bool has_arg)
{
	static const struct {
		const char *name, *kind;
	} kinds[] = {
		{ "color", "choice(auto,always,never)" },
		{ "net-scope", "choice(agent,host)" },
		{ "net-probes", "choice(on-demand,always)" },
		{ "remediation", "choice(off,advise,restart)" },
		{ "syslog-facility", "choice(daemon,user,auth,syslog,authpriv,local0,local1,local2,"
				     "local3,local4,local5,local6,local7)" },
		{ "config", "file" }, { "record", "file" }, { "report", "file" }, { "btf", "file" },
		{ "json-log", "file" }, { "metrics", "file" }, { "remediation-hook", "file" },
		{ "resolv-conf", "file" }, { "hosts", "file" }, { "agent-root", "dir" },
		{ "cause", "cause" }, { "pid", "pid" }, { "endpoint", "string" },
		{ "domain", "string" }, { "syslog", "string" }, { "server", "string" },
	};

	if (!has_arg)
		return "flag";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(name, kinds[i].name))
			return kinds[i].kind;
	return "number"; /* seconds, counts, percentages, sizes */
}

/* The commands of name, comma-separated: trace/run's table, then the others'. */
static void listed_commands_of(const char *name, char *buf, size_t len)
{
	const struct opt_def *d = find_def(name);
	size_t used = 0;

	buf[0] = '\0';
	if (d)
		used = (size_t)snprintf(buf, len, "%s", d->id == OPT_REPORT ? "trace" : "trace,run");
	for (size_t i = 0; i < N_OTHER_OPTS && used < len; i++)
		if (!strcmp(other_opts[i].name, name))
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
						 other_opts[i].cmds);
}

static void list_option(FILE *out, const char *name, bool has_arg, bool config_key)
{
	char cmds[160];

	listed_commands_of(name, cmds, sizeof(cmds));
	fprintf(out, "option %s %c %s %s %s %s\n", name, short_letter(name), has_arg ? "arg" : "-",
		cmds, listed_kind(name, has_arg), config_key ? "config" : "-");
}

static bool listed_before(size_t i)
{
	if (find_def(other_opts[i].name))
		return true;
	for (size_t j = 0; j < i; j++)
		if (!strcmp(other_opts[j].name, other_opts[i].name))
			return true;
	return false;
}

int options_list(void *stream)
{
	FILE *out = stream;

	for (size_t i = 0; i < sizeof(listed_commands) / sizeof(listed_commands[0]); i++)
		fprintf(out, "command %s\n", listed_commands[i]);
	for (size_t i = 0; i < N_OPT_DEFS; i++)
		list_option(out, opt_defs[i].name, opt_defs[i].has_arg, opt_defs[i].config_key);
	for (size_t i = 0; i < N_OTHER_OPTS; i++)
		if (!listed_before(i))
			list_option(out, other_opts[i].name, other_opts[i].has_arg, false);
	for (int i = 0; i < CAUSE_COUNT; i++)
		fprintf(out, "cause %s\n", cause_code((enum cause)i));
	return fflush(out) ? 1 : 0;
}
