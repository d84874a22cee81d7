/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* aegismon trace: the on-demand session. */
#ifndef AEGISMON_TRACE_H
#define AEGISMON_TRACE_H

int cmd_trace(int argc, char **argv);
/* aegismon run: the always-on daemon, the same engine with other outputs. */
int cmd_run(int argc, char **argv);

#endif
