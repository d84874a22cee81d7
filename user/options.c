/* Option parsing with getopt_long: strict numbers, bounded repeats. */
#include "options.h"
#include "sink_syslog.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	o->syslog_facility = 3; /* daemon */
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
	      "      --agent-root DIR     agent install root (repeatable; default\n"
	      "                           /usr/local/aegis, then /opt/aegis)\n"
	      "      --endpoint CIDR      Aegis endpoint addresses (repeatable; replaces the\n"
	      "                           defaults 100.100.0.0/16, 106.11.0.0/16, 100.103.0.0/16)\n"
	      "      --domain SUFFIX      Aegis domain suffix watched in DNS (repeatable; replaces\n"
	      "                           aegis.aliyun.com, aegis.aliyuncs.com, aegis.alicdn.com)\n"
	      "      --dns-timeout SECONDS  a watched query unanswered this long is dns_timeout\n"
	      "                           (default 5, the glibc resolver's)\n"
	      "      --grace SECONDS      an agent process not back this long after its exit\n"
	      "                           is agent_not_running (default 30)\n"
	      "      --flap-count N       restarts that make agent_flapping (default 3)\n"
	      "      --flap-window SECONDS  ... within this window (default 300)\n"
	      "      --ringbuf-size KIB   kernel ring buffer size (default 1024)\n"
	      "      --color WHEN         auto, always or never (default auto: on a tty)\n"
	      "      --syslog URL         also send diagnoses to syslog (repeatable): unix:/dev/log,\n"
	      "                           udp://HOST:PORT, tcp://HOST:PORT (RFC 5424; TCP octet-counted)\n"
	      "      --syslog-facility NAME  daemon (default), user, auth, syslog, authpriv, local0-7\n"
	      "      --json-log FILE      append diagnoses as JSON lines (mode 0640; reopened on SIGHUP)\n"
	      "      --metrics FILE       Prometheus textfile, rewritten atomically every 5 s\n"
	      "  -v, --verbose            libbpf and loader details on stderr\n"
	      "  -h, --help               this text\n",
	      (FILE *)out);
}

void usage_run(void *out)
{
	fputs("usage: aegismon run [options]\n"
	      "\n"
	      "The always-on daemon (foreground, for systemd: Type=notify). Diagnoses go to\n"
	      "syslog (default unix:/dev/log) and to --json-log; SIGTERM/SIGINT detach every probe\n"
	      "and exit 0; SIGHUP reopens the JSON log. It takes the options of 'aegismon trace'\n"
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

enum {
	OPT_AGENT_ROOT = 256,
	OPT_GRACE,
	OPT_FLAP_COUNT,
	OPT_FLAP_WINDOW,
	OPT_RINGBUF,
	OPT_COLOR,
	OPT_ENDPOINT,
	OPT_DOMAIN,
	OPT_DNS_TIMEOUT,
	OPT_SYSLOG,
	OPT_SYSLOG_FACILITY,
	OPT_JSON_LOG,
	OPT_METRICS,
};

static int parse_common(int argc, char **argv, struct options *o, char *err, size_t errlen,
			void (*usage)(void *));

int options_parse_trace(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	return parse_common(argc, argv, o, err, errlen, usage_trace);
}

int options_parse_run(int argc, char **argv, struct options *o, char *err, size_t errlen)
{
	return parse_common(argc, argv, o, err, errlen, usage_run);
}

static int parse_common(int argc, char **argv, struct options *o, char *err, size_t errlen,
			void (*usage)(void *))
{
	static const struct option longopts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "events", no_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "agent-root", required_argument, NULL, OPT_AGENT_ROOT },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ "flap-count", required_argument, NULL, OPT_FLAP_COUNT },
		{ "flap-window", required_argument, NULL, OPT_FLAP_WINDOW },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "dns-timeout", required_argument, NULL, OPT_DNS_TIMEOUT },
		{ "syslog", required_argument, NULL, OPT_SYSLOG },
		{ "syslog-facility", required_argument, NULL, OPT_SYSLOG_FACILITY },
		{ "json-log", required_argument, NULL, OPT_JSON_LOG },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:jevh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_seconds(optarg, 0.001, 31536000, &o->duration_s)) {
				snprintf(err, errlen, "--duration: '%s' is not a number of seconds > 0", optarg);
				return 2;
			}
			break;
		case 'j': o->json = true; break;
		case 'e': o->events = true; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); return 1;
		case OPT_AGENT_ROOT:
			if (o->nroots >= AGENT_MAX_ROOTS) {
				snprintf(err, errlen, "--agent-root: at most %d roots", AGENT_MAX_ROOTS);
				return 2;
			}
			if (optarg[0] != '/') {
				snprintf(err, errlen, "--agent-root: '%s' is not an absolute path", optarg);
				return 2;
			}
			o->roots[o->nroots++] = optarg;
			break;
		case OPT_GRACE:
			if (parse_seconds(optarg, 0, 86400, &o->grace_s)) {
				snprintf(err, errlen, "--grace: '%s' is not a number of seconds (0-86400)", optarg);
				return 2;
			}
			break;
		case OPT_FLAP_COUNT:
			if (parse_uint(optarg, 2, 32, &o->flap_count)) {
				snprintf(err, errlen, "--flap-count: '%s' is not a number from 2 to 32", optarg);
				return 2;
			}
			break;
		case OPT_FLAP_WINDOW:
			if (parse_seconds(optarg, 1, 86400, &o->flap_window_s)) {
				snprintf(err, errlen, "--flap-window: '%s' is not a number of seconds (1-86400)", optarg);
				return 2;
			}
			break;
		case OPT_RINGBUF:
			if (parse_uint(optarg, 64, 1048576, &o->ringbuf_kib) ||
			    (o->ringbuf_kib & (o->ringbuf_kib - 1))) {
				snprintf(err, errlen, "--ringbuf-size: '%s' is not a power of two from 64 to 1048576 KiB", optarg);
				return 2;
			}
			break;
		case OPT_COLOR:
			if (!strcmp(optarg, "auto"))
				o->color = COLOR_AUTO;
			else if (!strcmp(optarg, "always"))
				o->color = COLOR_ALWAYS;
			else if (!strcmp(optarg, "never"))
				o->color = COLOR_NEVER;
			else {
				snprintf(err, errlen, "--color: '%s' is not auto, always or never", optarg);
				return 2;
			}
			break;
		case OPT_ENDPOINT: {
			char why[160];

			if (!o->endpoints_given) { /* the first --endpoint replaces the defaults */
				o->endpoints.ncidrs = 0;
				o->endpoints_given = true;
			}
			if (o->endpoints.ncidrs >= ENDPOINT_MAX_CIDRS) {
				snprintf(err, errlen, "--endpoint: at most %d CIDRs", ENDPOINT_MAX_CIDRS);
				return 2;
			}
			if (cidr_parse(optarg, &o->endpoints.cidrs[o->endpoints.ncidrs], why, sizeof(why))) {
				snprintf(err, errlen, "--endpoint: %s", why);
				return 2;
			}
			o->endpoints.ncidrs++;
			break;
		}
		case OPT_DOMAIN: {
			char why[160];

			if (!o->domains_given) { /* the first --domain replaces the defaults */
				o->domains.n = 0;
				o->domains_given = true;
			}
			if (domains_add(&o->domains, optarg, why, sizeof(why))) {
				snprintf(err, errlen, "--domain: %s", why);
				return 2;
			}
			break;
		}
		case OPT_SYSLOG: {
			struct syslog_target t;
			char why[200];

			if (o->nsyslog >= 4) {
				snprintf(err, errlen, "--syslog: at most 4 receivers");
				return 2;
			}
			if (syslog_target_parse(optarg, &t, why, sizeof(why))) {
				snprintf(err, errlen, "--syslog: %s", why);
				return 2;
			}
			o->syslog_urls[o->nsyslog++] = optarg;
			break;
		}
		case OPT_SYSLOG_FACILITY:
			o->syslog_facility = syslog_facility_parse(optarg);
			if (o->syslog_facility < 0) {
				snprintf(err, errlen, "--syslog-facility: '%s' is not user, daemon, auth, syslog, authpriv or local0-local7", optarg);
				return 2;
			}
			break;
		case OPT_JSON_LOG:
			if (optarg[0] != '/') {
				snprintf(err, errlen, "--json-log: '%s' is not an absolute path", optarg);
				return 2;
			}
			o->json_log = optarg;
			break;
		case OPT_METRICS:
			if (optarg[0] != '/') {
				snprintf(err, errlen, "--metrics: '%s' is not an absolute path", optarg);
				return 2;
			}
			o->metrics = optarg;
			break;
		case OPT_DNS_TIMEOUT:
			if (parse_seconds(optarg, 0.1, 600, &o->dns_timeout_s)) {
				snprintf(err, errlen, "--dns-timeout: '%s' is not a number of seconds (0.1-600)", optarg);
				return 2;
			}
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return 2;
		default:
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return 2;
	}
	return 0;
}
