// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* aegismon replay FILE: the correlator re-run on a recorded session. The
 * same code path as live: the recorded events in order, the live session's
 * enrichment re-applied to the diagnosis it belonged to, so the diagnoses
 * come out byte for byte as they did live. */
#include "replay.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "correlate.h"
#include "enrich.h"
#include "options.h"
#include "record.h"
#include "report.h"
#include "safefile.h"
#include "sink.h"
#include "timefmt.h"

struct replay {
	struct options opt;
	struct agent_env env;
	struct clockmap clock;
	struct correlator *corr;
	bool json, events, color;
	long pid;                 /* --pid filter, or -1 */
	int cause;                /* --cause filter, or -1 */
	uint64_t since_ns;        /* --since: from this event time on */
	uint64_t start_ns;
	uint32_t seq;
	struct rec_enrich *enrich;  /* annotations by diagnosis number (first pass) */
	size_t nenrich, capenrich;
	struct rec_suspect *suspect;
	size_t nsuspect, capsuspect;
	struct rec_end end;
	bool have_end;
	struct diagnosis d, extra;
	struct report *report;
	const char *report_file;
	int report_fd;            /* --report, opened at start */
	uint64_t kernel_events;
};

static void usage_replay(FILE *out)
{
	fputs("usage: aegismon replay FILE [options]\n"
	      "\n"
	      "Run the correlator on the events of 'aegismon trace --record FILE': the same\n"
	      "diagnoses as the live session, byte for byte in --json.\n"
	      "\n"
	      "  -j, --json           JSON lines instead of text\n"
	      "  -e, --events         also print every recorded event\n"
	      "      --pid PID        only what concerns this process\n"
	      "      --cause CAUSE    only diagnoses of this cause\n"
	      "      --since SECONDS  only from this many seconds after the start of the record\n"
	      "      --color WHEN     auto, always or never\n"
	      "      --report FILE    write the HTML report of the recorded session\n"
	      "  -h, --help           this text\n"
	      "\n"
	      "Exit status: 0 nothing diagnosed, 1 a problem was diagnosed, 2 usage error or a\n"
	      "file that is not a valid record.\n",
	      out);
}

static bool shown(const struct replay *r, uint64_t ts, uint32_t pid, int cause)
{
	if (ts < r->since_ns)
		return false;
	if (r->pid >= 0 && pid != (uint32_t)r->pid)
		return false;
	return r->cause < 0 || cause < 0 || cause == r->cause;
}

static void print_diagnosis(struct replay *r, const struct diagnosis *d)
{
	report_diagnosis(r->report, d);
	if (!shown(r, d->ts_ns, d->pid, (int)d->cause))
		return;
	if (r->json)
		sink_json_diagnosis(stdout, &r->clock, d);
	else
		sink_text_diagnosis(stdout, &r->clock, d, r->color);
}

static void on_diagnosis(const struct diagnosis *diag, void *ctx)
{
	struct replay *r = ctx;

	r->d = *diag;
	r->seq++;
	for (size_t i = 0; i < r->nenrich; i++)
		if (r->enrich[i].seq == r->seq) {
			memcpy(r->d.drop_symbol, r->enrich[i].drop_symbol, sizeof(r->d.drop_symbol));
			r->d.nrules = r->enrich[i].nrules;
			memcpy(r->d.rules, r->enrich[i].rules, sizeof(r->d.rules));
			memcpy(r->d.rules_unread, r->enrich[i].rules_unread,
			       sizeof(r->d.rules_unread));
			if (r->enrich[i].policy.mechanism != POLICY_NOT_INSPECTED)
				enrich_apply_policy(&r->d, &r->enrich[i].policy);
			break;
		}
	print_diagnosis(r, &r->d);
	for (size_t i = 0; i < r->nsuspect; i++)
		if (r->suspect[i].seq == r->seq) {
			make_suspect_diagnosis(&r->d, r->suspect[i].product, r->suspect[i].pid,
					       r->suspect[i].comm, &r->extra);
			print_diagnosis(r, &r->extra);
		}
}

static int keep(void **arr, size_t *n, size_t *cap, size_t size, const void *item)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *grown = c < (1u << 20) ? realloc(*arr, c * size) : NULL;

		if (!grown)
			return -1;
		*arr = grown;
		*cap = c;
	}
	memcpy((char *)*arr + *n * size, item, size);
	(*n)++;
	return 0;
}

void correlator_config_from_options(struct correlator_config *cfg, const struct options *o)
{
	correlator_config_defaults(cfg);
	cfg->endpoints = &o->endpoints;
	cfg->domains = &o->domains;
	cfg->dns_timeout_ns = (uint64_t)(o->dns_timeout_s * 1e9);
	cfg->grace_ns = (uint64_t)(o->grace_s * 1e9);
	cfg->flap_window_ns = (uint64_t)(o->flap_window_s * 1e9);
	cfg->flap_count = o->flap_count;
	cfg->res_window_ns = (uint64_t)(o->resource_window_s * 1e9);
	cfg->cpu_busy_pm = (uint32_t)(o->cpu_threshold * 10 + 0.5);
	cfg->mem_used_pm = (uint32_t)(o->memory_threshold * 10 + 0.5);
	cfg->mem_psi_full = (int32_t)(o->memory_pressure * 100 + 0.5);
	cfg->starve_us = (uint64_t)(o->starve_ms * 1000 + 0.5);
}

/*
 * The live session's agent install and settings from text as trace_output.c
 * writes it (the header, a reload's record): "root = " and install_* lines,
 * then the settings as config lines after "[settings]". Into *opt (fresh
 * from options_defaults) and r->env; r->env is left alone on an error.
 */
static int restore_settings(struct replay *r, const char *text, struct options *opt, char *err, size_t errlen)
{
	const char *settings = strstr(text, "[settings]\n");
	const char *roots[AGENT_MAX_ROOTS];
	char v[AGENT_PATH_MAX], rootbuf[AGENT_MAX_ROOTS][AGENT_PATH_MAX];
	struct agent_install *in;
	int nroots = 0;

	if (!settings) {
		snprintf(err, errlen, "no settings section");
		return -1;
	}
	settings += strlen("[settings]\n");
	if (config_parse(settings, strlen(settings), "record settings", opt, err, errlen))
		return -1;
	for (const char *line = text; line < settings && nroots < AGENT_MAX_ROOTS;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (n > 7 && !strncmp(line, "root = ", 7) && n - 7 < AGENT_PATH_MAX) {
			memcpy(rootbuf[nroots], line + 7, n - 7);
			rootbuf[nroots][n - 7] = '\0';
			roots[nroots] = rootbuf[nroots];
			nroots++;
		}
		line += n + (nl != NULL);
	}
	/* the roots as they were; the install as it was found, not as it is here */
	agent_env_init(&r->env, roots, nroots);
	for (int i = 0; i < nroots; i++)
		snprintf(r->env.roots[i], AGENT_PATH_MAX, "%s", roots[i]);
	in = &r->env.install;
	memset(in, 0, sizeof(*in));
	in->found = rec_text_get(text, "install_found", v, sizeof(v)) && !strcmp(v, "1");
	if (rec_text_get(text, "install_root", v, sizeof(v)))
		snprintf(in->root, sizeof(in->root), "%s", v);
	if (rec_text_get(text, "install_client_dir", v, sizeof(v)))
		snprintf(in->client_dir, sizeof(in->client_dir), "%s", v);
	if (!rec_text_get(text, "install_version", v, sizeof(v)) ||
	    sscanf(v, "%d %d", &in->major, &in->minor) != 2)
		in->major = in->minor = -1;
	if (rec_text_get(text, "install_present_mask", v, sizeof(v)))
		in->present_mask = (unsigned)strtoul(v, NULL, 10) & 7u;
	return 0;
}

/* The live session's agent install and settings, from the header. */
static int restore_header(struct replay *r, const struct rec_reader *rd, char *err, size_t errlen)
{
	char v[64];
	long long off = 0;

	if (restore_settings(r, rd->header, &r->opt, err, errlen)) {
		if (!strcmp(err, "no settings section"))
			snprintf(err, errlen, "the record has no settings section");
		return -1;
	}
	if (rec_header_get(rd, "mono_to_real_ns", v, sizeof(v)))
		off = strtoll(v, NULL, 10);
	r->clock.mono_to_real_ns = off;
	if (rec_header_get(rd, "start_ns", v, sizeof(v)))
		r->start_ns = strtoull(v, NULL, 10);
	/* the lines name the host that was traced, not this one */
	if (rec_header_get(rd, "host", v, sizeof(v)))
		json_set_host(v);
	return 0;
}

static int parse_args(int argc, char **argv, struct replay *r, const char **file, char *err, size_t errlen)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "events", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "pid", required_argument, NULL, 'p' },
		{ "cause", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 's' },
		{ "color", required_argument, NULL, 'C' },
		{ "report", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	const char *color = "auto";
	int ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":jeh", longopts, NULL)) != -1) {
		char *end;

		switch (ch) {
		case 'j': r->json = true; break;
		case 'e': r->events = true; break;
		case 'h': usage_replay(stdout); return 1;
		case 'C': color = optarg; break;
		case 'R': r->report_file = optarg; break;
		case 'p':
			r->pid = strtol(optarg, &end, 10);
			if (end == optarg || *end || r->pid < 1 || r->pid > 0x3fffffff) {
				snprintf(err, errlen, "--pid: '%s' is not a process id", optarg);
				return 2;
			}
			break;
		case 'c':
			r->cause = -1;
			for (int i = 0; i < CAUSE_COUNT; i++)
				if (!strcmp(optarg, cause_code((enum cause)i)))
					r->cause = i;
			if (r->cause < 0) {
				snprintf(err, errlen, "--cause: '%s' is not a cause code (see README)", optarg);
				return 2;
			}
			break;
		case 's': {
			double sec = strtod(optarg, &end);

			if (end == optarg || *end || !(sec >= 0 && sec < 1e9)) {
				snprintf(err, errlen, "--since: '%s' is not a number of seconds", optarg);
				return 2;
			}
			r->since_ns = (uint64_t)(sec * 1e9);
			break;
		}
		case ':':
			snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
			return 2;
		default:
			snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		snprintf(err, errlen, optind < argc ? "one record file, please" : "which record file?");
		return 2;
	}
	*file = argv[optind];
	if (strcmp(color, "auto") && strcmp(color, "always") && strcmp(color, "never")) {
		snprintf(err, errlen, "--color: '%s' is not auto, always or never", color);
		return 2;
	}
	r->color = !strcmp(color, "always") ||
		   (!strcmp(color, "auto") && !r->json && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"));
	return 0;
}

/* A reload of the live session: its settings from here on, as the live
 * correlator took them between the same two events. */
static void apply_reload(struct replay *r, const struct rec_settings *rs)
{
	struct correlator_config cfg;
	struct options next;
	char *text = malloc((size_t)rs->len + 1);
	char err[512];

	if (!text) {
		fprintf(stderr, "aegismon replay: out of memory: a recorded reload is not applied\n");
		return;
	}
	memcpy(text, rs->text, rs->len);
	text[rs->len] = '\0';
	options_defaults(&next);
	if (restore_settings(r, text, &next, err, sizeof(err))) {
		/* the live session applied it: this file was not written by aegismon */
		fprintf(stderr, "aegismon replay: a recorded reload does not parse (%s): the settings before it stay\n",
			err);
		options_free(&next);
		free(text);
		return;
	}
	free(text);
	options_free(&r->opt);
	r->opt = next; /* the same address: cfg's sets point here */
	correlator_config_from_options(&cfg, &r->opt);
	cfg.env = &r->env;
	correlator_reconfigure(r->corr, &cfg);
}

/* --report: opened (and checked) before the replay, emptied when written */
static int open_report(struct replay *r, char *err, size_t errlen)
{
	if (!r->report_file)
		return 0;
	r->report_fd = safefile_open(r->report_file, 0, 0644, err, errlen);
	return r->report_fd < 0 ? -1 : 0;
}

static void write_report(struct replay *r, struct rec_reader *rd, const struct session_summary *sum)
{
	FILE *f = ftruncate(r->report_fd, 0) ? NULL : fdopen(r->report_fd, "w");
	char host[256];
	int bad;

	if (!f) {
		fprintf(stderr, "aegismon replay: --report %s: %s\n", r->report_file, strerror(errno));
		return;
	}
	r->report_fd = -1; /* f has it */
	bad = report_html(r->report, f, sum, rec_header_get(rd, "host", host, sizeof(host)) ? host : "?");
	if (fclose(f) || bad)
		fprintf(stderr, "aegismon replay: --report %s: write failed\n", r->report_file);
}

int cmd_replay(int argc, char **argv)
{
	struct replay *r = calloc(1, sizeof(*r));
	struct rec_reader *rd = calloc(1, sizeof(*rd));
	struct rec_item *item = calloc(1, sizeof(*item));
	struct correlator_config cfg;
	struct session_summary sum;
	const char *file = NULL;
	char err[512], v[64];
	int rc, n;

	if (!r || !rd || !item) {
		fprintf(stderr, "aegismon: out of memory\n");
		rc = 3;
		goto out;
	}
	r->pid = -1;
	r->cause = -1;
	r->report_fd = -1;
	options_defaults(&r->opt);
	rc = parse_args(argc, argv, r, &file, err, sizeof(err));
	if (rc) {
		if (rc == 2)
			fprintf(stderr, "aegismon replay: %s\nTry 'aegismon replay --help'.\n", err);
		rc = rc == 1 ? 0 : 2;
		goto out;
	}
	if (rec_reader_open(rd, file, err, sizeof(err)) || restore_header(r, rd, err, sizeof(err))) {
		fprintf(stderr, "aegismon replay: %s\n", err);
		rc = 2;
		goto out;
	}
	if (open_report(r, err, sizeof(err))) {
		fprintf(stderr, "aegismon replay: --report %s\n", err);
		rc = 2;
		goto out;
	}
	r->since_ns += r->start_ns;
	sink_text_origin(r->start_ns);

	/* first pass: what the live session added to its diagnoses */
	while ((n = rec_next(rd, item, err, sizeof(err))) > 0) {
		if (item->kind == REC_ENRICH &&
		    keep((void **)&r->enrich, &r->nenrich, &r->capenrich, sizeof(*r->enrich), &item->enrich))
			break;
		if (item->kind == REC_SUSPECT &&
		    keep((void **)&r->suspect, &r->nsuspect, &r->capsuspect, sizeof(*r->suspect), &item->suspect))
			break;
		if (item->kind == REC_END) {
			r->end = item->end;
			r->have_end = true;
		}
	}
	if (n < 0) {
		fprintf(stderr, "aegismon replay: %s: %s\n", file, err);
		rc = 2;
		goto out;
	}
	if (!r->have_end)
		fprintf(stderr, "aegismon replay: %s has no end record (cut short?): replaying what is there\n", file);

	correlator_config_from_options(&cfg, &r->opt);
	cfg.env = &r->env;
	r->corr = correlator_new(&cfg, on_diagnosis, r);
	if (!r->corr) {
		fprintf(stderr, "aegismon: out of memory\n");
		rc = 3;
		goto out;
	}

	/* the report is only needed for the text summary or --report: JSON
	 * without it formats nothing per event */
	if (!r->json || r->report_file)
		r->report = report_new(&r->clock, r->start_ns);
	rec_rewind(rd);
	while ((n = rec_next(rd, item, err, sizeof(err))) > 0) {
		const struct ev *e = &item->ev;

		if (item->kind == REC_SETTINGS)
			apply_reload(r, &item->settings);
		if (item->kind != REC_EVENT)
			continue;
		if (e->hdr.type < AEGIS_EV_USER_BASE)
			r->kernel_events++;
		if (r->events && e->hdr.type != AEGIS_EV_TICK && e->hdr.type != AEGIS_EV_SEED_DONE &&
		    shown(r, e->hdr.ts_ns, e->hdr.tgid, -1) && r->cause < 0) {
			if (r->json)
				sink_json_event(stdout, &r->clock, e);
			else
				sink_text_event(stdout, &r->clock, e, r->color);
		}
		report_event(r->report, e);
		correlator_feed(r->corr, e);
	}
	if (n < 0)
		fprintf(stderr, "aegismon replay: %s: %s; replayed up to there\n", file, err);
	correlator_flush(r->corr, r->have_end ? r->end.end_ns : r->start_ns);

	memset(&sum, 0, sizeof(sum));
	sum.start_ns = r->start_ns;
	sum.end_ns = r->have_end ? r->end.end_ns : r->start_ns;
	sum.probes_attached = rec_header_get(rd, "probes_attached", v, sizeof(v)) ? (unsigned)atoi(v) : 0;
	sum.probes_failed = rec_header_get(rd, "probes_failed", v, sizeof(v)) ? (unsigned)atoi(v) : 0;
	sum.events = r->have_end ? r->end.events : r->kernel_events;
	sum.pidset_full = r->end.pidset_full;
	sum.socks_full = r->end.socks_full;
	sum.dns_seen = r->end.dns_seen;
	sum.dns_other = r->end.dns_other;
	sum.stats = correlator_stats(r->corr);
	if (r->json)
		sink_json_summary(stdout, &r->clock, &sum);
	else if (r->report)
		report_text(r->report, stdout, &sum, r->color);
	else
		sink_text_summary(stdout, &sum, r->color);
	if (r->report_fd >= 0 && r->report)
		write_report(r, rd, &sum);
	rc = summary_exit_status(&sum);
out:
	if (r && r->corr)
		correlator_free(r->corr);
	if (r)
		report_free(r->report);
	if (rd)
		rec_reader_close(rd);
	if (r && r->report_fd >= 0)
		close(r->report_fd);
	if (r) {
		free(r->enrich);
		free(r->suspect);
		options_free(&r->opt);
	}
	free(r);
	free(rd);
	free(item);
	return rc;
}
