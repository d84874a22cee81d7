// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Run nft to list a namespace's ruleset. fork + setns + execve, no shell: the only input to
 * the child is a fixed argv. The child does only async-signal-safe calls before execve, so
 * this is safe in a process with threads. Output is bounded in size and time.
 */
#include "nftexec.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const nft_paths[] = { "/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft" };

static const char *find_nft(void)
{
	for (size_t i = 0; i < sizeof(nft_paths) / sizeof(nft_paths[0]); i++)
		if (access(nft_paths[i], X_OK) == 0)
			return nft_paths[i];
	return NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---------- child: async-signal-safe calls only ---------- */

/* Tell the parent why we could not exec (it reads an int from the error pipe). */
static void child_fail(int errfd)
{
	int e = errno;
	ssize_t w = write(errfd, &e, sizeof(e));

	(void)w;           /* nothing more we can do: the exit status says it failed */
	_exit(127);
}

static void close_from(int lowfd)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0u) == 0)
		return;
#endif
	for (int fd = lowfd; fd < 4096; fd++)
		close(fd);
}

/*
 * 0 stdin and 2 stderr on /dev/null, 1 the pipe, 3 the error pipe; nothing else open.
 * err_w is already above 3, so it survives the dup2s for error reports.
 */
static int child_fds(int out_w, int err_w)
{
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* lift the others above 10 too so the dup2s below cannot clobber one another */
	if (nul < 0 || (nul = fcntl(nul, F_DUPFD_CLOEXEC, 10)) < 0 ||
	    (out_w = fcntl(out_w, F_DUPFD_CLOEXEC, 10)) < 0)
		return -1;
	if (dup2(nul, 0) < 0 || dup2(out_w, 1) < 0 || dup2(nul, 2) < 0 || dup2(err_w, 3) < 0 ||
	    fcntl(3, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	close_from(4);
	return 0;
}

static void child_run(const char *nft, const char *mode, int netns_fd, int out_w, int err_w,
		      pid_t parent)
{
	char *const argv[] = { (char *)"nft", (char *)mode, (char *)"list", (char *)"ruleset",
			       NULL };
	char *const envp[] = { (char *)"LC_ALL=C", NULL };
	sigset_t none;

	/* a daemon blocks signals for its signalfd; nft should not inherit that */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* nft dies with the thread that waits for it (a daemon killed, a worker gone) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	err_w = fcntl(err_w, F_DUPFD_CLOEXEC, 10);
	if (err_w < 0)
		_exit(127);
	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
		child_fail(err_w);
	if (child_fds(out_w, err_w) < 0)
		child_fail(err_w);
	execve(nft, argv, envp);
	child_fail(3);
}

/* ---------- parent ---------- */

static int grow(char **buf, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 65536;
	char *b;

	if (ncap > NFT_OUTPUT_MAX + 2)
		ncap = NFT_OUTPUT_MAX + 2;   /* room to notice one byte too many, and the NUL */
	b = realloc(*buf, ncap);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*cap = ncap;
	return 0;
}

/*
 * Wait for data and read once: bytes read, 0 at EOF, or -errno (-ETIMEDOUT at the deadline,
 * -ECANCELED when cancel_fd, if >= 0, became readable).
 */
static ssize_t read_some(int fd, int cancel_fd, int64_t deadline, char *dst, size_t room)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = cancel_fd, .events = POLLIN } };
		int64_t left = deadline - now_ms();
		ssize_t got;
		int rc;

		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(p, cancel_fd >= 0 ? 2 : 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return rc < 0 ? -errno : -ETIMEDOUT;
		if (cancel_fd >= 0 && p[1].revents)
			return -ECANCELED;
		got = read(fd, dst, room);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		return got < 0 ? -errno : got;
	}
}

/* Read fd to EOF before the deadline, at most NFT_OUTPUT_MAX bytes; NUL-terminated. */
static int read_capped(int fd, int cancel_fd, int64_t deadline, char **out, size_t *outlen)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	ssize_t got;
	int rc;

	do {
		if (cap - n < 2 && (rc = grow(&buf, &cap)) < 0)
			break;
		got = read_some(fd, cancel_fd, deadline, buf + n, cap - n - 1);
		rc = got < 0 ? (int)got : 0;
		n += got > 0 ? (size_t)got : 0;
		if (n > NFT_OUTPUT_MAX)
			rc = -EFBIG;
	} while (got > 0 && rc == 0);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

/* Reap the child, killing it if it outlives the deadline. Returns its status, or -1. */
static int reap(pid_t pid, int64_t deadline, bool *killed)
{
	struct timespec ms = { 0, 1000000 };
	int st;

	*killed = false;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 && errno != EINTR)
			return -1;       /* ECHILD: someone else reaped it (SIGCHLD ignored) */
		if (now_ms() >= deadline)
			break;
		nanosleep(&ms, NULL);
	}
	kill(pid, SIGKILL);
	*killed = true;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* The child's setns/exec errno, if it sent one. */
static int child_errno(int err_r)
{
	int e = 0;
	ssize_t got;

	do
		got = read(err_r, &e, sizeof(e));
	while (got < 0 && errno == EINTR);
	return got == (ssize_t)sizeof(e) && e > 0 ? e : 0;
}

static int finish(pid_t pid, int64_t deadline, int rc, int err_r)
{
	bool killed;
	int st, e;

	if (rc < 0)
		kill(pid, SIGKILL);
	st = reap(pid, deadline, &killed);
	if (rc < 0)
		return rc;
	if ((e = child_errno(err_r)))
		return -e;
	if (killed)
		return -ETIMEDOUT;
	if (st == -1)
		return 0;          /* status lost to another reaper: trust the complete output */
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static int capture(const char *path, const char *mode, int netns_fd, unsigned timeout_ms,
		   int cancel_fd, char **out, size_t *len)
{
	int64_t deadline = now_ms() + timeout_ms;
	int op[2], ep[2], rc;
	pid_t pid, self = getpid();

	if (!path || !mode || !out || !len)
		return -EINVAL;
	*out = NULL;
	*len = 0;
	if (pipe2(op, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(ep, O_CLOEXEC) < 0) {
		rc = -errno;
		close(op[0]);
		close(op[1]);
		return rc;
	}
	pid = fork();
	if (pid == 0)
		child_run(path, mode, netns_fd, op[1], ep[1], self);
	rc = pid < 0 ? -errno : 0;
	close(op[1]);
	close(ep[1]);
	if (pid > 0) {
		rc = read_capped(op[0], cancel_fd, deadline, out, len);
		rc = finish(pid, deadline, rc, ep[0]);
		if (rc < 0 && *out) {
			free(*out);
			*out = NULL;
			*len = 0;
		}
	}
	close(op[0]);
	close(ep[0]);
	return rc;
}

int nft_exec_capture(const char *path, const char *mode, int netns_fd, unsigned timeout_ms,
		     char **out, size_t *len)
{
	return capture(path, mode, netns_fd, timeout_ms, -1, out, len);
}

int nft_exec_capture_cancellable(const char *path, const char *mode, int netns_fd,
				 unsigned timeout_ms, int cancel_fd, char **out, size_t *len)
{
	return capture(path, mode, netns_fd, timeout_ms, cancel_fd, out, len);
}

int nft_ruleset_read(int netns_fd, char **json, size_t *jlen, char **text, size_t *tlen)
{
	return nft_ruleset_read_within(netns_fd, NFT_TIMEOUT_MS, json, jlen, text, tlen);
}

int nft_ruleset_read_within(int netns_fd, unsigned timeout_ms, char **json, size_t *jlen,
			    char **text, size_t *tlen)
{
	return nft_ruleset_read_cancellable(netns_fd, timeout_ms, -1, json, jlen, text, tlen);
}

int nft_ruleset_read_cancellable(int netns_fd, unsigned timeout_ms, int cancel_fd, char **json,
				 size_t *jlen, char **text, size_t *tlen)
{
	const char *nft = find_nft();
	int rc;

	if (!json || !jlen || !text || !tlen)
		return -EINVAL;
	*json = *text = NULL;
	*jlen = *tlen = 0;
	if (!nft)
		return -ENOENT;
	rc = capture(nft, "-j", netns_fd, timeout_ms, cancel_fd, json, jlen);
	/* the text is for the rule lines only: terse, without the elements of named sets,
	 * which can be hundreds of thousands (the JSON has them for the matcher) */
	if (rc == 0)
		rc = capture(nft, "-at", netns_fd, timeout_ms, cancel_fd, text, tlen);
	if (rc < 0) {
		free(*json);
		*json = NULL;
		*jlen = 0;
	}
	return rc;
}
