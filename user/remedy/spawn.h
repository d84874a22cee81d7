/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* fork/exec without a shell: fixed argv, clean environment, no inherited fds. */
#ifndef AEGISMON_SPAWN_H
#define AEGISMON_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SPAWN_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * In a child, before execve: default signal dispositions and an empty mask
 * (the daemon blocks signals for its signalfd), stdin/stdout/stderr from the
 * given fds (-1: /dev/null), every other fd closed except keep (moved to 3,
 * close-on-exec; -1 for none). Async-signal-safe. Returns 0 or -1.
 */
int spawn_child_setup(int in_fd, int out_fd, int err_fd, int keep);

/*
 * Start path detached from us (double fork, setsid, cwd, environment PATH
 * only, stdio on /dev/null, no other fd): it survives us and is not our
 * child. Returns its pid, or -1 with the reason (exec errors included).
 */
pid_t spawn_detached(const char *path, char *const argv[], const char *cwd, char *why,
		     size_t whylen);

/*
 * Run path to completion (environment PATH only, stdio on /dev/null),
 * killing it after timeout_ms. Returns its wait status, or -1 with the reason.
 * Blocks: for the restart command and the restart child, not the daemon loop.
 */
int spawn_wait(const char *path, char *const argv[], unsigned timeout_ms, char *why, size_t whylen);

/* Argv as one line for reports: words joined by spaces. */
void spawn_argv_str(char *const argv[], char *buf, size_t len);

#endif
