/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Options of `trace` and `run`, from the command line and the config file.
 * Config keys are the long option names (`grace = 30` is `--grace 30`); the
 * command line wins over the file, the file over the defaults. Unknown or
 * malformed options are errors (exit 2).
 */
#ifndef AEGISMON_OPTIONS_H
#define AEGISMON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "endpoints.h"

#define OPTIONS_MAX_SYSLOG 4
#define OPTIONS_DEFAULT_CONFIG "/etc/aegismon.conf"

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

/* Where a value came from: a list option from a higher source replaces the
 * whole list of a lower one (one --endpoint replaces the file's endpoints). */
enum opt_src { SRC_DEFAULT, SRC_CONFIG, SRC_CMDLINE };

struct options {
	const char *roots[AGENT_MAX_ROOTS];
	int nroots;
	double duration_s;   /* 0: until SIGINT/SIGTERM */
	bool json;
	bool events;
	bool verbose;
	double grace_s;
	double flap_window_s;
	unsigned flap_count;
	unsigned ringbuf_kib;
	enum color_mode color;
	struct endpoint_set endpoints; /* defaults, or the configured CIDRs and ports */
	struct domain_set domains;     /* defaults, or the configured suffixes */
	double dns_timeout_s;
	/* resource causes */
	double cpu_threshold;     /* percent: host CPU busy -> cpu_saturated */
	double memory_threshold;  /* percent: memory used -> memory_exhausted */
	double memory_pressure;   /* percent: PSI memory full avg10 -> memory_exhausted (0: off) */
	double resource_window_s; /* the condition held this long */
	double starve_ms;         /* p90 run-queue wait of agent threads -> agent_starved */
	/* outputs (trace and run) */
	const char *syslog_urls[OPTIONS_MAX_SYSLOG];
	int nsyslog;
	int syslog_facility;     /* code; default daemon (3) */
	const char *json_log;    /* JSON lines file, or NULL */
	uint64_t json_log_max_bytes; /* rotate at this size; 0: never (logrotate's job) */
	unsigned json_log_keep;  /* rotated files kept: FILE.1 ... FILE.N */
	const char *metrics;     /* Prometheus textfile, or NULL */
	const char *record;      /* --record FILE: every event, for replay */
	const char *btf;         /* --btf FILE: kernel types for a kernel without BTF */
	bool host_scope;         /* --net-scope host: network probes on every cgroup */
	bool net_probes_always; /* --net-probes always: kfree_skb, inet_sk_error_report all along */
	double net_probes_hold_s; /* on demand: detached after this long without agent network activity */
	const char *report;      /* --report FILE: the HTML report at the end */
	unsigned only_pid;       /* --pid: print only what concerns it (0: all) */
	int only_cause;          /* --cause: print only these diagnoses (-1: all) */
	/* remediation (issue #6) */
	int remediation;         /* enum remediation_mode: off, advise (default), restart */
	const char *remediation_hook; /* executable run per diagnosis, or NULL */
	unsigned restart_max;    /* restarts per window (default 3) */
	double restart_window_s; /* default 3600 */
	double restart_delay_s;  /* first delay, doubled per restart (default 10) */
	double hook_timeout_s;   /* default 10 */
	/* the config file */
	const char *config;      /* path read, or NULL */
	bool no_config;
	bool check_config;       /* validate, print, exit */
	/* list sources */
	unsigned char roots_src, cidrs_src, ports_src, domains_src, syslog_src;
	/* strings from a config file, owned (options_free) */
	char **owned;
	size_t nowned, capowned;
};

void options_defaults(struct options *o);
void options_free(struct options *o);
/* Keep a copy of s for as long as o lives; NULL when out of memory. */
const char *options_own(struct options *o, const char *s);

/* Whether name (a long option name) is a config key. */
enum opt_key_kind { KEY_UNKNOWN, KEY_CONFIG, KEY_CMDLINE_ONLY };
enum opt_key_kind options_key_kind(const char *name);
/* A config key close to name (a likely typo), or NULL. */
const char *options_suggest(const char *name);

/*
 * Apply one option by long name. value is kept by pointer where a string is
 * stored (argv, or a string owned by o). Returns 0, or -1 with the reason in
 * err (without the option name).
 */
int options_apply(struct options *o, const char *name, const char *value, enum opt_src src,
		  char *err, size_t errlen);

/*
 * The config file named by --config in argv, or /etc/aegismon.conf when it
 * exists, unless --no-config: applied to o (o->config is set to it). For the
 * commands that parse the rest of their options themselves. 0, or -1 with
 * "FILE:LINE: reason" in err.
 */
int options_read_config(int argc, char **argv, struct options *o, char *err, size_t errlen);

/*
 * Parse the options of `aegismon trace` / `run` (argv[0] is the command name):
 * first the config file (--config FILE, or /etc/aegismon.conf when it exists,
 * unless --no-config), then the command line. Returns 0 on success, 1 if
 * --help was given (usage printed), 2 on an error (message in err).
 */
int options_parse_trace(int argc, char **argv, struct options *o, char *err, size_t errlen);
int options_parse_run(int argc, char **argv, struct options *o, char *err, size_t errlen);

/* The effective settings as config lines (--check-config). out: a FILE *. */
void options_dump(void *out, const struct options *o);

/* `aegismon options`: commands, options and causes, one per line, for
 * tools (completion, the man page test). out: a FILE *. 0, or 1 on a write error. */
int options_list(void *out);

void usage_run(void *out);
void usage_trace(void *out);
void usage_main(void *out);

#endif
