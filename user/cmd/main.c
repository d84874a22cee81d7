// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* aegismon: why did the Alibaba Cloud Security Center agent go offline? */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "events.h"
#include "kfeatures.h"
#include "options.h"
#include "reloadstat.h"
#include "replay.h"
#include "restart.h"
#include "trace.h"
#include "version.h"

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage_main(stderr);
		return 2;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage_main(stdout);
		return 0;
	}
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			printf("usage: aegismon version [--features [--btf FILE]]\n\n"
			       "The version and the event ABI; --features adds what this kernel offers each\n"
			       "probe family, the variant chosen, and a real load check (root).\n");
			return 0;
		}
		if (argc > 2 && strcmp(argv[2], "--features")) {
			fprintf(stderr, "aegismon version: unknown option '%s' (--features [--btf FILE])\n", argv[2]);
			return 2;
		}
		printf("aegismon %s (event ABI %d)\n", AEGISMON_VERSION, AEGIS_ABI_VERSION);
		if (argc > 2)
			return features_report(stdout, argc > 4 && !strcmp(argv[3], "--btf") ? argv[4] : NULL);
		return 0;
	}
	if (!strcmp(cmd, "options")) /* for tools: the option table (completion, man page test) */
		return options_list(stdout);
	if (!strcmp(cmd, "trace"))
		return cmd_trace(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(cmd, "reload"))
		return cmd_reload(argc - 1, argv + 1);
	if (!strcmp(cmd, "restart"))
		return cmd_restart(argc - 1, argv + 1);
	fprintf(stderr, "aegismon: unknown command '%s'\n", cmd);
	usage_main(stderr);
	return 2;
}
