/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The user hook: an executable run for each diagnosis with the diagnosis JSON
 * on stdin and AEGISMON_* variables in a clean environment. Non-blocking: the
 * caller watches pidfd and out_fd and enforces the deadline.
 */
#ifndef AEGISMON_HOOK_H
#define AEGISMON_HOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HOOK_OUT_MAX 2048   /* bytes of output kept for the log */
#define HOOK_OUT_LINES 10   /* lines of output kept */
#define HOOK_ENV_MAX 512    /* bytes of one variable's value */

struct hook_env {
	const char *cause;
	const char *severity;
	unsigned pid;
	const char *comm;
	const char *summary;
};

struct hook_run {
	pid_t pid;          /* 0: none running */
	int pidfd;          /* readable when it exits */
	int out_fd;         /* its stdout and stderr, non-blocking */
	char out[HOOK_OUT_MAX + 1];
	size_t outlen;
	unsigned lines;
	bool truncated;     /* output beyond what is kept */
	bool killed;        /* killed at the deadline */
};

/*
 * Check path (safepath: root-owned, not group/world-writable, a symlink must
 * stay in the hook's directory) and start it with json (plus a newline) on
 * stdin. 0, or -1 with the reason (a refusal or an exec error).
 */
int hook_start(const char *path, const char *json, const struct hook_env *env, struct hook_run *h,
	       char *why, size_t whylen);
/* Read what is available from out_fd into the bounded buffer (the rest is drained). */
void hook_read_output(struct hook_run *h);
/* The hook exited (pidfd readable): drain, reap, close. Returns its wait status. */
int hook_finish(struct hook_run *h);
/* Past its deadline: SIGKILL (by pidfd), then hook_finish. */
int hook_kill(struct hook_run *h);
/* Blocking helper for tests and shutdown: wait up to timeout_ms, kill after. */
int hook_wait(struct hook_run *h, unsigned timeout_ms);

#endif
