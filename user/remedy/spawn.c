// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* fork/exec helpers. Children call only async-signal-safe functions before execve. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
#endif
	for (int fd = lowfd; fd < 65536; fd++)
		close(fd);
}

int spawn_child_setup(int in_fd, int out_fd, int err_fd, int keep)
{
	struct sigaction dfl;
	sigset_t none;
	int fds[3] = { in_fd, out_fd, err_fd }, nul;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &dfl, NULL); /* fails harmlessly for SIGKILL/SIGSTOP */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (nul < 0)
		return -1;
	/* lift everything above 10 first so the dup2s cannot clobber one another */
	if ((nul = fcntl(nul, F_DUPFD_CLOEXEC, 10)) < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10)) < 0)
			return -1;
	if (keep >= 0 && (keep = fcntl(keep, F_DUPFD_CLOEXEC, 10)) < 0)
		return -1;
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i] >= 0 ? fds[i] : nul, i) < 0)
			return -1;
	if (keep >= 0) {
		if (dup2(keep, 3) < 0 || fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
			return -1;
		close_from(4);
	} else {
		close_from(3);
	}
	return 0;
}

static void child_fail(int errfd)
{
	int e = errno;
	ssize_t w = write(errfd, &e, sizeof(e));

	(void)w;
	_exit(127);
}

/* errno sent by a child before exec, or 0 (the pipe closed at exec). */
static int read_errno(int fd)
{
	int e = 0;
	ssize_t n;

	do
		n = read(fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(e) ? e : 0;
}

pid_t spawn_detached(const char *path, char *const argv[], const char *cwd, char *why,
		     size_t whylen)
{
	char *const envp[] = { (char *)SPAWN_PATH, NULL };
	int pidpipe[2], errpipe[2], st, e;
	pid_t mid, pid = -1;
	ssize_t n;

	if (pipe2(pidpipe, O_CLOEXEC) || pipe2(errpipe, O_CLOEXEC)) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	mid = fork();
	if (mid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(pidpipe[0]), close(pidpipe[1]), close(errpipe[0]), close(errpipe[1]);
		return -1;
	}
	if (mid == 0) {
		/* the middle child: a new session, then the grandchild, then exit so
		 * init adopts the grandchild */
		pid_t g;

		if (setsid() < 0)
			child_fail(errpipe[1]);
		g = fork();
		if (g < 0)
			child_fail(errpipe[1]);
		if (g > 0) {
			n = write(pidpipe[1], &g, sizeof(g));
			_exit(n == (ssize_t)sizeof(g) ? 0 : 1);
		}
		if (chdir(cwd) || spawn_child_setup(-1, -1, -1, errpipe[1]))
			child_fail(errpipe[1]);
		umask(022);
		execve(path, argv, envp);
		child_fail(3);
	}
	close(pidpipe[1]);
	close(errpipe[1]);
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;
	do
		n = read(pidpipe[0], &pid, sizeof(pid));
	while (n < 0 && errno == EINTR);
	e = read_errno(errpipe[0]); /* EOF once the grandchild execs */
	close(pidpipe[0]);
	close(errpipe[0]);
	if (e) {
		snprintf(why, whylen, "cannot execute %s: %s", path, strerror(e));
		return -1;
	}
	if (n != (ssize_t)sizeof(pid) || pid <= 0) {
		snprintf(why, whylen, "cannot start %s: fork failed", path);
		return -1;
	}
	return pid;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int spawn_wait(const char *path, char *const argv[], unsigned timeout_ms, char *why, size_t whylen)
{
	char *const envp[] = { (char *)SPAWN_PATH, NULL };
	long long deadline = now_ms() + timeout_ms;
	struct timespec tick = { 0, 20 * 1000000L };
	int errpipe[2], st, e;
	pid_t pid, r;

	if (pipe2(errpipe, O_CLOEXEC)) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(errpipe[0]), close(errpipe[1]);
		return -1;
	}
	if (pid == 0) {
		if (chdir("/") || spawn_child_setup(-1, -1, -1, errpipe[1]))
			child_fail(errpipe[1]);
		execve(path, argv, envp);
		child_fail(3);
	}
	close(errpipe[1]);
	e = read_errno(errpipe[0]);
	close(errpipe[0]);
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			snprintf(why, whylen, "%s did not finish within %u ms: killed", path, timeout_ms);
			return -1;
		}
		nanosleep(&tick, NULL);
	}
	if (e) {
		snprintf(why, whylen, "cannot execute %s: %s", path, strerror(e));
		return -1;
	}
	return st;
}

void spawn_argv_str(char *const argv[], char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; argv[i] && o + 1 < len; i++) {
		int n = snprintf(buf + o, len - o, "%s%s", i ? " " : "", argv[i]);

		if (n < 0)
			break;
		o += (size_t)n;
	}
}
