/* aegismon replay FILE: a recorded session through the correlator again. */
#ifndef AEGISMON_REPLAY_H
#define AEGISMON_REPLAY_H

int cmd_replay(int argc, char **argv);

#endif
