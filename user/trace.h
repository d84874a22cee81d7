/* aegismon trace: the on-demand session. */
#ifndef AEGISMON_TRACE_H
#define AEGISMON_TRACE_H

int cmd_trace(int argc, char **argv);

#endif
