// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* aegismon check: options, the run of every check under one deadline, and
 * the report (a table on a terminal, JSON lines with --json). */
#include "check.h"
#include "sink.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "jsonflat.h"
#include "options.h"
#include "timefmt.h"

#define RED "\033[1;31m"
#define YELLOW "\033[33m"
#define GREEN "\033[32m"
#define DIM "\033[2m"
#define RESET "\033[0m"

static const char *status_name(enum check_status s)
{
	static const char *const names[] = { "ok", "warn", "fail", "skip" };

	return names[s];
}

static int status_rank(enum check_status s)
{
	return s == CHECK_FAIL ? 3 : s == CHECK_WARN ? 2 : s == CHECK_OK ? 1 : 0;
}

void check_raise(struct check_result *r, enum check_status s)
{
	if (status_rank(s) > status_rank(r->status))
		r->status = s;
}

size_t check_read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

unsigned check_budget_ms(const struct check_ctx *c, unsigned want_ms)
{
	uint64_t now = clock_event_ns();
	uint64_t left = c->deadline_ns > now ? (c->deadline_ns - now) / 1000000 : 0;

	return left < want_ms ? (unsigned)left : want_ms;
}

static void usage_check(FILE *out)
{
	fputs("usage: aegismon check [options]\n"
	      "\n"
	      "Run the official troubleshooting procedure now and judge each step: agent\n"
	      "installed, processes, which endpoint applies, DNS per nameserver, hosts-file pins,\n"
	      "TCP 80/443, ICMP and path MTU reachability, local firewall rules, resources,\n"
	      "third-party security software, clock, identity. Sends real DNS queries, pings\n"
	      "and connects to the Aegis endpoints. Finishes within 10 s even when the network\n"
	      "is black-holed.\n"
	      "\n"
	      "  -j, --json             one JSON object per check, then a summary\n"
	      "      --server NAME      Aegis name to test (repeatable; default: jsrv and update,\n"
	      "                         or jsrv2 and update2 without a public address)\n"
	      "      --timeout SECONDS  per network step (default 2)\n"
	      "      --no-metadata      do not ask the ECS metadata service for an EIP\n"
	      "      --agent-root DIR   agent install root (repeatable)\n"
	      "      --endpoint CIDR    Aegis endpoint addresses (repeatable)\n"
	      "      --port N           endpoint port (repeatable)\n"
	      "      --resolv-conf FILE (default /etc/resolv.conf)\n"
	      "      --hosts FILE       (default /etc/hosts)\n"
	      "      --config FILE, --no-config  as for trace\n"
	      "      --color WHEN       auto, always or never\n"
	      "  -v, --verbose          the evidence of every check, not only of problems\n"
	      "  -h, --help             this text\n"
	      "\n"
	      "Exit status: 0 no check failed, 1 a check failed, 2 usage error.\n",
	      out);
}

enum { OPT_SERVER = 300, OPT_TIMEOUT, OPT_NO_METADATA, OPT_AGENT_ROOT, OPT_ENDPOINT, OPT_PORT,
       OPT_RESOLV, OPT_HOSTS, OPT_CONFIG, OPT_NO_CONFIG, OPT_COLOR };

static int parse_check_options(int argc, char **argv, struct options *shared, struct check_opts *o,
			       char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "no-metadata", no_argument, NULL, OPT_NO_METADATA },
		{ "agent-root", required_argument, NULL, OPT_AGENT_ROOT },
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "resolv-conf", required_argument, NULL, OPT_RESOLV },
		{ "hosts", required_argument, NULL, OPT_HOSTS },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "no-config", no_argument, NULL, OPT_NO_CONFIG },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ NULL, 0, NULL, 0 },
	};
	const char *color = "auto";
	char why[256];
	int ch;

	/* the config file first (agent roots, endpoints), then the command line */
	if (options_read_config(argc, argv, shared, err, errlen))
		return 2;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":jvh", longopts, NULL)) != -1) {
		const char *name = NULL;

		switch (ch) {
		case 'j': o->json = true; continue;
		case 'v': o->verbose = true; continue;
		case 'h': usage_check(stdout); return 1;
		case OPT_NO_METADATA: o->metadata = false; continue;
		case OPT_CONFIG: case OPT_NO_CONFIG: continue;
		case OPT_RESOLV: o->resolv_conf = optarg; continue;
		case OPT_HOSTS: o->hosts = optarg; continue;
		case OPT_COLOR: color = optarg; continue;
		case OPT_SERVER:
			if (o->nservers >= CHECK_MAX_NAMES || !optarg[0] || strlen(optarg) >= 250) {
				snprintf(err, errlen, "--server: at most %d names of up to 250 characters", CHECK_MAX_NAMES);
				return 2;
			}
			o->servers[o->nservers++] = optarg;
			continue;
		case OPT_TIMEOUT: {
			char *end;
			double s = strtod(optarg, &end);

			if (end == optarg || *end || !(s >= 0.1 && s <= 9)) {
				snprintf(err, errlen, "--timeout: '%s' is not a number of seconds (0.1-9)", optarg);
				return 2;
			}
			o->timeout_ms = (unsigned)(s * 1000);
			continue;
		}
		case OPT_AGENT_ROOT: name = "agent-root"; break;
		case OPT_ENDPOINT: name = "endpoint"; break;
		case OPT_PORT: name = "port"; break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return 2;
		default:
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return 2;
		}
		if (options_apply(shared, name, optarg, SRC_CMDLINE, why, sizeof(why))) {
			snprintf(err, errlen, "--%s: %s", name, why);
			return 2;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never")) {
		snprintf(err, errlen, "--color: '%s' is not auto, always or never", color);
		return 2;
	}
	o->color = !strcmp(color, "always") ||
		   (!strcmp(color, "auto") && !o->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	for (int i = 0; i < shared->nroots; i++)
		o->roots[i] = shared->roots[i];
	o->nroots = shared->nroots;
	o->endpoints = shared->endpoints;
	o->cpu_threshold = shared->cpu_threshold;
	o->memory_threshold = shared->memory_threshold;
	return 0;
}

static const char *status_color(enum check_status s)
{
	return s == CHECK_FAIL ? RED : s == CHECK_WARN ? YELLOW : s == CHECK_OK ? GREEN : DIM;
}

/* The text columns: the check's name, its status, then what it found; the
 * fix and the evidence under what it found. */
#define COL_NAME 16
#define COL_STATUS 6
#define COL_INDENT "                         " /* COL_NAME + 1 + COL_STATUS + 2 */

static void print_header(void)
{
	printf("%-*s %-*s  %s\n", COL_NAME, "CHECK", COL_STATUS, "STATUS", "FINDING");
}

/* The evidence as "key: value" lines, escaped for the terminal; raw (and
 * escaped) only if it is somehow not one JSON document. */
static void print_evidence(const struct check_opts *o, const struct check_result *r)
{
	static char flat[8192], safe[16384];
	const char *json = jw_result((struct jw *)&r->ev);
	int n = json_flatten(json, sizeof(r->evbuf), COL_INDENT "  ", flat, sizeof(flat));

	printf(COL_INDENT "%sevidence:%s", o->color ? DIM : "", o->color ? RESET : "");
	if (!strcmp(json, "{}"))
		n = 0;
	if (n == 0 || n == -EINVAL) {
		escape_tty(safe, sizeof(safe), json, sizeof(r->evbuf));
		printf(" %s\n", n == 0 ? "(none)" : safe);
		return;
	}
	/* escape_tty keeps the newlines between lines it may not see: each line alone */
	putchar('\n');
	for (char *line = flat, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		*nl = '\0';
		escape_tty(safe, sizeof(safe), line, (size_t)(nl - line) + 1);
		puts(safe);
	}
	if (n == -ENOSPC)
		printf(COL_INDENT "  ... (cut; --json has all of it)\n");
}

static void print_text(const struct check_opts *o, const struct check_result *r)
{
	char summary[1024], advice[1536];
	const char *st = status_name(r->status);

	escape_tty(summary, sizeof(summary), r->summary, sizeof(r->summary));
	escape_tty(advice, sizeof(advice), r->advice, sizeof(r->advice));
	printf("%-*s %s%-*s%s  %s\n", COL_NAME, r->name, o->color ? status_color(r->status) : "",
	       COL_STATUS, st, o->color ? RESET : "", summary);
	if (advice[0] && (r->status == CHECK_FAIL || r->status == CHECK_WARN))
		printf(COL_INDENT "%sfix:%s %s\n", o->color ? DIM : "", o->color ? RESET : "", advice);
	if (o->verbose || r->status == CHECK_FAIL)
		print_evidence(o, r);
}

static void print_json(const struct clockmap *cm, const struct check_result *r)
{
	static char line[20000];
	char ts[RFC3339_LEN];
	struct jw w;

	fmt_rfc3339(cm, clock_event_ns(), ts, sizeof(ts));
	jw_init(&w, line, sizeof(line));
	json_line_begin(&w, "check");
	jw_kstr(&w, "ts", ts);
	jw_kstr(&w, "name", r->name);
	jw_kstr(&w, "status", status_name(r->status));
	jw_kstrn(&w, "summary", r->summary, sizeof(r->summary));
	jw_key(&w, "evidence");
	jw_raw(&w, jw_result((struct jw *)&r->ev));
	jw_kstrn(&w, "advice", r->advice, sizeof(r->advice));
	jw_obj_end(&w);
	puts(jw_result(&w));
}

typedef void (*check_fn)(struct check_ctx *, struct check_result *);

int cmd_check(int argc, char **argv)
{
	static const struct {
		const char *name;
		check_fn fn;
	} steps[] = {
		{ "agent_installed", check_agent_installed },
		{ "processes", check_processes },
		{ "endpoint_choice", check_endpoint_choice },
		{ "dns", check_dns },
		{ "hosts_file", check_hosts_file },
		{ "reachability", check_reachability },
		{ "firewall", check_firewall },
		{ "resources", check_resources },
		{ "third_party", check_third_party },
		{ "clock", check_clock },
		{ "identity", check_identity },
	};
	struct check_opts o = { .timeout_ms = 2000, .metadata = true, .resolv_conf = "/etc/resolv.conf",
				.hosts = "/etc/hosts" };
	struct options shared;
	struct check_ctx *c = calloc(1, sizeof(*c));
	struct check_result *r = calloc(1, sizeof(*r));
	unsigned count[4] = { 0 };
	struct clockmap cm;
	uint64_t start = clock_event_ns();
	char err[512], ts[RFC3339_LEN];
	int rc;

	if (!c || !r) {
		fprintf(stderr, "aegismon: out of memory\n");
		free(c);
		free(r);
		return 3;
	}
	options_defaults(&shared);
	rc = parse_check_options(argc, argv, &shared, &o, err, sizeof(err));
	if (rc) {
		if (rc == 2)
			fprintf(stderr, "aegismon check: %s\nTry 'aegismon check --help'.\n", err);
		options_free(&shared);
		free(c);
		free(r);
		return rc == 1 ? 0 : 2;
	}
	clockmap_init_now(&cm);
	c->o = &o;
	c->deadline_ns = start + (uint64_t)CHECK_TOTAL_MS * 1000000;
	agent_env_init(&c->env, o.roots, o.nroots);

	if (!o.json)
		print_header();
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		memset(r, 0, sizeof(*r));
		r->name = steps[i].name;
		r->status = CHECK_OK;
		jw_init(&r->ev, r->evbuf, sizeof(r->evbuf));
		jw_obj_begin(&r->ev);
		steps[i].fn(c, r);
		jw_obj_end(&r->ev);
		if (r->ev.overflow) /* never a cut document in the output */
			jw_init(&r->ev, r->evbuf, sizeof(r->evbuf)), jw_raw(&r->ev, "{\"truncated\":true}");
		count[r->status]++;
		if (o.json)
			print_json(&cm, r);
		else
			print_text(&o, r);
		fflush(stdout);
	}

	if (o.json) {
		struct jw w;
		char line[512];

		fmt_rfc3339(&cm, clock_event_ns(), ts, sizeof(ts));
		jw_init(&w, line, sizeof(line));
		json_line_begin(&w, "summary");
		jw_kstr(&w, "ts", ts);
		jw_kstr(&w, "verdict", count[CHECK_FAIL] ? "fail" : "ok");
		jw_kuint(&w, "ok", count[CHECK_OK]);
		jw_kuint(&w, "warn", count[CHECK_WARN]);
		jw_kuint(&w, "fail", count[CHECK_FAIL]);
		jw_kuint(&w, "skip", count[CHECK_SKIP]);
		jw_kuint(&w, "elapsed_ms", (clock_event_ns() - start) / 1000000);
		jw_obj_end(&w);
		puts(jw_result(&w));
	} else {
		printf("\nverdict: %s%s%s (%u ok, %u warning%s, %u failed, %u skipped) in %.1f s\n",
		       o.color ? status_color(count[CHECK_FAIL] ? CHECK_FAIL : CHECK_OK) : "",
		       count[CHECK_FAIL] ? "FAIL" : "OK", o.color ? RESET : "", count[CHECK_OK],
		       count[CHECK_WARN], count[CHECK_WARN] == 1 ? "" : "s", count[CHECK_FAIL],
		       count[CHECK_SKIP], (double)(clock_event_ns() - start) / 1e9);
	}
	rc = count[CHECK_FAIL] ? 1 : 0;
	options_free(&shared);
	free(c);
	free(r);
	return rc;
}
