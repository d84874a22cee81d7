// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The options of trace and run: the table, getopt parsing and `aegismon options`. */
#include "options.h"
#include "options_int.h"
#include "causes.h"
#include "config.h"
#include "policy.h"

#include <getopt.h>
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
