/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* aegismon restart: the official restart of the agent, safely and audited. */
#ifndef AEGISMON_RESTART_H
#define AEGISMON_RESTART_H

int cmd_restart(int argc, char **argv);
void usage_restart(void *out);

#endif
