// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* aegismon restart [--dry-run] [--agent-root DIR] [--timeout SECONDS] [--json] */
#include "restart.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "options.h"
#include "remedy.h"
#include "sink.h"
#include "timefmt.h"

struct out {
	bool json;
	bool dry_run;
	struct clockmap cm;
};

void usage_restart(void *out)
{
	fputs("usage: aegismon restart [options]\n"
	      "\n"
	      "Restart the agent the official way, safely: find the agent root and its highest\n"
	      "aegis_client/aegis_<major>_<minor>, stop AliYunDun, AliYunDunMonitor and\n"
	      "AliYunDunUpdate (only processes whose executable is inside the root: SIGTERM,\n"
	      "SIGKILL after the timeout), start the agent the way the host does ('systemctl\n"
	      "restart aegis', '/etc/init.d/aegis restart', or AliYunDun itself, detached), and\n"
	      "verify that it runs. Every step and every refusal is printed.\n"
	      "\n"
	      "      --dry-run            print every step (with the exact argv), change nothing\n"
	      "      --agent-root DIR     agent install root (repeatable; default /usr/local/aegis,\n"
	      "                           then /opt/aegis; also read from the config file)\n"
	      "      --timeout SECONDS    SIGTERM to SIGKILL, service command and verification\n"
	      "                           (each; default 10)\n"
	      "  -j, --json               one {\"kind\":\"action\"} JSON line per step and at the end\n"
	      "      --config FILE        read agent-root from FILE (default /etc/aegismon.conf\n"
	      "                           when it exists)\n"
	      "      --no-config          do not read a config file\n"
	      "  -h, --help               this text\n"
	      "\n"
	      "Exit status: 0 restarted and verified (--dry-run: every check passed), 1 failed\n"
	      "(the reason is printed), 2 usage error, 3 not root.\n",
	      (FILE *)out);
}

static void on_step(void *ctx, const char *step, const char *outcome, const char *detail)
{
	struct out *o = ctx;
	struct action a = action_init(clock_event_ns(), "restart", outcome);

	a.step = step;
	a.detail = detail;
	a.dry_run = o->dry_run;
	if (o->json)
		sink_json_action(stdout, &o->cm, &a);
	else
		printf("%-7s %-8s %s\n", step, outcome, detail);
	fflush(stdout);
}

int cmd_restart(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },   { "agent-root", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
		{ "config", required_argument, NULL, 'c' }, { "no-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
	};
	const char *roots[AGENT_MAX_ROOTS];
	int nroots = 0, c, rc;
	double timeout_s = 10;
	struct out out = { 0 };
	struct options opt;
	struct agent_env env;
	struct remedy_opts ro;
	struct remedy_result res;
	char err[512];

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jh", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'n':
			out.dry_run = true;
			break;
		case 'j':
			out.json = true;
			break;
		case 'r':
			if (optarg[0] != '/' || nroots >= AGENT_MAX_ROOTS) {
				fprintf(stderr, "aegismon restart: --agent-root: '%s' is not an absolute path "
					"(at most %d roots)\n", optarg, AGENT_MAX_ROOTS);
				return 2;
			}
			roots[nroots++] = optarg;
			break;
		case 't':
			errno = 0;
			timeout_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(timeout_s) || timeout_s < 0.1 ||
			    timeout_s > 600) {
				fprintf(stderr, "aegismon restart: --timeout: '%s' is not a number of seconds "
					"(0.1-600)\n", optarg);
				return 2;
			}
			break;
		case 'c':
		case 'C':
			break; /* read by options_read_config */
		case 'h':
			usage_restart(stdout);
			return 0;
		case ':':
			fprintf(stderr, "aegismon restart: option '%s' needs a value\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "aegismon restart: unknown option '%s'\nTry 'aegismon restart --help'.\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "aegismon restart: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	/* the roots of the config file, unless given here */
	options_defaults(&opt);
	if (options_read_config(argc, argv, &opt, err, sizeof(err))) {
		fprintf(stderr, "aegismon restart: %s\n", err);
		options_free(&opt);
		return 2;
	}
	if (!nroots)
		for (int i = 0; i < opt.nroots; i++)
			roots[nroots++] = opt.roots[i];
	if (geteuid() != 0) {
		fprintf(stderr, "aegismon restart: must run as root: stopping and starting the agent "
			"(a root service) needs it; try 'sudo aegismon restart'\n");
		options_free(&opt);
		return 3;
	}
	clockmap_init_now(&out.cm);
	agent_env_init(&env, roots, nroots);
	options_free(&opt);

	memset(&ro, 0, sizeof(ro));
	ro.env = &env;
	ro.timeout_ms = (unsigned)(timeout_s * 1000);
	ro.dry_run = out.dry_run;
	ro.sysroot = remedy_sysroot();
	ro.report = on_step;
	ro.ctx = &out;
	rc = remedy_restart(&ro, &res);
	if (out.json) {
		struct action a = action_init(clock_event_ns(), "restart",
					      rc ? "failed" : out.dry_run ? "would" : "ok");
		char detail[REMEDY_DETAIL_LEN + 64];

		if (rc)
			snprintf(detail, sizeof(detail), "%s", res.reason);
		else if (out.dry_run)
			snprintf(detail, sizeof(detail), "dry run: nothing changed (method %s)",
				 remedy_method_name(res.method));
		else
			snprintf(detail, sizeof(detail), "restarted (method %s), AliYunDun pid %d",
				 remedy_method_name(res.method), (int)res.pids[CORE_ALIYUNDUN]);
		a.detail = detail;
		a.dry_run = out.dry_run;
		/* none when it was refused before choosing one */
		a.method = res.method == METHOD_NONE ? NULL : remedy_method_name(res.method);
		sink_json_action(stdout, &out.cm, &a);
	} else if (rc) {
		printf("aegismon restart: FAILED: %s\n", res.reason);
	} else if (out.dry_run) {
		printf("aegismon restart: dry run, nothing changed\n");
	} else {
		printf("aegismon restart: restarted (%s), AliYunDun pid %d\n", remedy_method_name(res.method),
		       (int)res.pids[CORE_ALIYUNDUN]);
	}
	return rc ? 1 : 0;
}
