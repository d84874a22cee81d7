/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* aegismon replay FILE: a recorded session through the correlator again. */
#ifndef AEGISMON_REPLAY_H
#define AEGISMON_REPLAY_H

#include "correlate.h"
#include "options.h"

int cmd_replay(int argc, char **argv);

/* The correlator's thresholds, windows and sets from the options: one
 * mapping for the live session (and its reloads) and for a replay. The
 * environment and the callbacks are the caller's. */
void correlator_config_from_options(struct correlator_config *cfg, const struct options *o);

#endif
