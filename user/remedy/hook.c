// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Run the remediation hook: no shell, argv {path}, bounded output and time. */
#include "hook.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "safepath.h"
#include "spawn.h"

/* Values are UTF-8 on one line: controls, bidi and invisible code points are
 * shown as \xNN or \uXXXX, bytes that are not UTF-8 become U+FFFD (escape_str). */
static void put_env(char *dst, size_t len, const char *name, const char *value)
{
	char v[HOOK_ENV_MAX + 1];

	escape_str(v, sizeof(v), value, value ? strnlen(value, (size_t)HOOK_ENV_MAX * 4) : 0, ESC_TEXT, NULL);
	snprintf(dst, len, "%s=%s", name, v);
}

int hook_start(const char *path, const char *json, const struct hook_env *env, struct hook_run *h,
	       char *why, size_t whylen)
{
	char resolved[PATH_MAX], dir[PATH_MAX], *slash;
	char e_cause[HOOK_ENV_MAX + 32], e_sev[64], e_pid[48], e_comm[HOOK_ENV_MAX + 32],
		e_sum[HOOK_ENV_MAX + 32];
	char *envp[] = { (char *)SPAWN_PATH, e_cause, e_sev, e_pid, e_comm, e_sum, NULL };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 }, e = 0;
	size_t jlen = strlen(json);
	ssize_t n;
	pid_t pid;

	memset(h, 0, sizeof(*h));
	h->pidfd = h->out_fd = -1;
	/* the allowed place is the directory the hook is configured in */
	snprintf(dir, sizeof(dir), "%s", path ? path : "");
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (safepath_check_exec(path, dir, resolved, sizeof(resolved), why, whylen))
		return -1;
	put_env(e_cause, sizeof(e_cause), "AEGISMON_CAUSE", env->cause);
	put_env(e_sev, sizeof(e_sev), "AEGISMON_SEVERITY", env->severity);
	snprintf(e_pid, sizeof(e_pid), "AEGISMON_PID=%u", env->pid);
	put_env(e_comm, sizeof(e_comm), "AEGISMON_COMM", env->comm);
	put_env(e_sum, sizeof(e_sum), "AEGISMON_SUMMARY", env->summary);

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC))
		goto sys_fail;
	/* stdin is written in full before the start: a diagnosis fits a pipe
	 * (64 KiB), and the hook can never make us block */
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) || fcntl(out[0], F_SETFL, O_NONBLOCK))
		goto sys_fail;
	n = write(in[1], json, jlen);
	if (n == (ssize_t)jlen)
		n = write(in[1], "\n", 1);
	if (n < 0)
		goto sys_fail;
	close(in[1]);
	in[1] = -1;

	pid = fork();
	if (pid < 0)
		goto sys_fail;
	if (pid == 0) {
		char *const argv[] = { resolved, NULL };
		int err;

		if (chdir("/") || spawn_child_setup(in[0], out[1], out[1], errp[1]))
			goto child_fail;
		execve(resolved, argv, envp);
child_fail:
		err = errno;
		/* errp[1] is fd 3 after the setup; nothing more to do if it fails */
		if (write(3, &err, sizeof(err)) != sizeof(err))
			_exit(126);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	do
		n = read(errp[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(errp[0]);
	h->pid = pid;
	h->out_fd = out[0];
	h->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (n == (ssize_t)sizeof(e) && e) {
		hook_finish(h);
		snprintf(why, whylen, "cannot execute %s: %s", resolved, strerror(e));
		return -1;
	}
	return 0;

sys_fail:
	e = errno;
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	snprintf(why, whylen, "cannot run the hook: %s", strerror(e));
	return -1;
}

void hook_read_output(struct hook_run *h)
{
	char buf[4096];
	ssize_t n;

	if (h->out_fd < 0)
		return;
	while ((n = read(h->out_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (h->outlen >= HOOK_OUT_MAX || h->lines >= HOOK_OUT_LINES) {
				h->truncated = true;
				break;
			}
			h->out[h->outlen++] = buf[i];
			if (buf[i] == '\n')
				h->lines++;
		}
	}
	h->out[h->outlen] = '\0';
	if (n == 0) { /* EOF: every writer is gone */
		close(h->out_fd);
		h->out_fd = -1;
	}
}

int hook_finish(struct hook_run *h)
{
	int st = -1;

	if (h->out_fd >= 0) {
		/* a grandchild may hold the pipe: read what is there, no more */
		hook_read_output(h);
		if (h->out_fd >= 0)
			close(h->out_fd);
		h->out_fd = -1;
	}
	if (h->pid > 0)
		while (waitpid(h->pid, &st, 0) < 0 && errno == EINTR)
			;
	if (h->pidfd >= 0)
		close(h->pidfd);
	h->pidfd = -1;
	h->pid = 0;
	while (h->outlen && (h->out[h->outlen - 1] == '\n' || h->out[h->outlen - 1] == '\r'))
		h->out[--h->outlen] = '\0';
	return st;
}

int hook_kill(struct hook_run *h)
{
	if (h->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, h->pidfd, SIGKILL, NULL, 0);
	else if (h->pid > 0)
		kill(h->pid, SIGKILL);
	h->killed = true;
	return hook_finish(h);
}

int hook_wait(struct hook_run *h, unsigned timeout_ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (h->pid > 0) {
		struct pollfd p[2] = { { .fd = h->pidfd, .events = POLLIN }, { .fd = h->out_fd, .events = POLLIN } };
		long el;

		clock_gettime(CLOCK_MONOTONIC, &t);
		el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= (long)timeout_ms)
			return hook_kill(h);
		if (poll(p, 2, (int)(timeout_ms - el)) < 0 && errno != EINTR)
			return hook_kill(h);
		if (p[1].revents)
			hook_read_output(h);
		if (p[0].revents)
			return hook_finish(h);
	}
	return -1;
}
