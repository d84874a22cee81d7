/* Command-line options. Unknown or malformed options are errors (exit 2). */
#ifndef AEGISMON_OPTIONS_H
#define AEGISMON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "agent.h"
#include "endpoints.h"

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

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
	struct endpoint_set endpoints; /* defaults, or the --endpoint CIDRs */
	bool endpoints_given;
	struct domain_set domains;     /* defaults, or the --domain suffixes */
	bool domains_given;
	double dns_timeout_s;
	/* outputs (trace and run) */
	const char *syslog_urls[4];
	int nsyslog;
	int syslog_facility;     /* code; default daemon (3) */
	const char *json_log;    /* JSON lines file, or NULL */
	const char *metrics;     /* Prometheus textfile, or NULL */
};

void options_defaults(struct options *o);

/*
 * Parse the options of `aegismon trace` (argv[0] is the command name).
 * Returns 0 on success, 1 if --help was given (usage printed to out),
 * 2 on a usage error (message in err).
 */
int options_parse_trace(int argc, char **argv, struct options *o, char *err, size_t errlen);
/* The same options for `aegismon run`, with its usage text. */
int options_parse_run(int argc, char **argv, struct options *o, char *err, size_t errlen);
void usage_run(void *out);

void usage_trace(void *out);
void usage_main(void *out);

#endif
