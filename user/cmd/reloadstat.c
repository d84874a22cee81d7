// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* aegismon reload: SIGHUP the daemon and wait for the reload's outcome. */
#include "reloadstat.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "safefile.h"

size_t reload_status_format(char *buf, size_t len, const struct reload_status *st)
{
	char msg[sizeof(st->message) * 4];
	int n;

	/* escaped: the message is one line whatever a config path holds */
	escape_str(msg, sizeof(msg), st->message, sizeof(st->message), ESC_TEXT, NULL);
	n = snprintf(buf, len, "generation %lu\n%s\n%s\n", st->generation, st->ok ? "ok" : "refused", msg);
	return n < 0 || (size_t)n >= len ? 0 : (size_t)n;
}

int reload_status_parse(const char *text, size_t len, struct reload_status *st)
{
	const char *end = text + len, *line, *nl;
	unsigned long gen = 0;
	size_t digits = 0;

	memset(st, 0, sizeof(*st));
	if (len < 11 || memcmp(text, "generation ", 11))
		return -EINVAL;
	for (line = text + 11; line < end && *line >= '0' && *line <= '9'; line++, digits++) {
		if (gen > (ULONG_MAX - 9) / 10)
			return -EINVAL;
		gen = gen * 10 + (unsigned long)(*line - '0');
	}
	if (!digits || line >= end || *line != '\n')
		return -EINVAL;
	line++;
	if ((size_t)(end - line) >= 3 && !memcmp(line, "ok\n", 3)) {
		st->ok = true;
		line += 3;
	} else if ((size_t)(end - line) >= 8 && !memcmp(line, "refused\n", 8)) {
		line += 8;
	} else {
		return -EINVAL;
	}
	nl = memchr(line, '\n', (size_t)(end - line));
	if (!nl || nl + 1 != end || memchr(line, '\0', (size_t)(nl - line)))
		return -EINVAL;
	snprintf(st->message, sizeof(st->message), "%.*s", (int)(nl - line), line);
	st->generation = gen;
	return 0;
}

static void status_path(pid_t pid, char *out, size_t len)
{
	snprintf(out, len, RELOAD_STATUS_DIR "/reload.%ld", (long)pid);
}

/* /run/aegismon: made by root; one that is not a directory of root's that
 * only root writes is refused (nothing in /run is anyone else's to plant). */
static int status_dir(char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(RELOAD_STATUS_DIR, 0755) && errno != EEXIST) {
		int e = -errno;

		snprintf(err, errlen, RELOAD_STATUS_DIR ": %s", strerror(-e));
		return e;
	}
	if (lstat(RELOAD_STATUS_DIR, &st)) {
		int e = -errno;

		snprintf(err, errlen, RELOAD_STATUS_DIR ": %s", strerror(-e));
		return e;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(err, errlen, RELOAD_STATUS_DIR " is not a directory of ours that only we write");
		return -EPERM;
	}
	return 0;
}

int reload_status_write(pid_t pid, const struct reload_status *st, char *err, size_t errlen)
{
	char path[64], text[2560];
	size_t n = reload_status_format(text, sizeof(text), st);
	int rc = status_dir(err, errlen);

	if (rc)
		return rc;
	status_path(pid, path, sizeof(path));
	return safefile_replace(path, text, n, 0644, 0, err, errlen);
}

int reload_status_read(pid_t pid, struct reload_status *st)
{
	char path[64], text[2560];
	ssize_t n;
	int fd;

	status_path(pid, path, sizeof(path));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n < 0)
		return -errno;
	return reload_status_parse(text, (size_t)n, st);
}

void reload_status_remove(pid_t pid)
{
	char path[64];

	status_path(pid, path, sizeof(path));
	unlink(path);
}

static void usage(FILE *f)
{
	fputs("usage: aegismon reload PID [--timeout SECONDS]\n"
	      "\n"
	      "Make the daemon `aegismon run` with this pid re-read its config (SIGHUP) and\n"
	      "wait for the outcome: exit 0 when the new settings apply, 1 when the reload\n"
	      "was refused (the running settings stay; the reason is printed) or no answer\n"
	      "came within the timeout (default 30 s). For the unit's ExecReload=, with\n"
	      "$MAINPID.\n",
	      f);
}

/* A guard against a wrong pid, not a security check: the program's name. */
static int is_aegismon(pid_t pid, char *exe, size_t len)
{
	char link[64];
	const char *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%ld/exe", (long)pid);
	n = readlink(link, exe, len - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base ? base + 1 : exe;
	return !strncmp(base, "aegismon", 8); /* also "aegismon (deleted)" after an upgrade */
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int cmd_reload(int argc, char **argv)
{
	struct reload_status before = { 0 }, after = { 0 };
	double timeout_s = 30;
	char exe[PATH_MAX], *end;
	long pid = 0;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
			timeout_s = strtod(argv[++i], &end);
			if (*end || !(timeout_s > 0 && timeout_s <= 3600)) {
				fprintf(stderr, "aegismon reload: --timeout '%s' is not 0-3600 seconds\n", argv[i]);
				return 2;
			}
			continue;
		}
		errno = 0;
		pid = strtol(argv[i], &end, 10);
		if (argv[i][0] == '-' || errno || *end || pid < 2 || pid > INT_MAX) {
			fprintf(stderr, "aegismon reload: '%s' is not a pid or an option\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (!pid) {
		fprintf(stderr, "aegismon reload: which daemon? (its pid: $MAINPID in a unit)\n");
		usage(stderr);
		return 2;
	}
	rc = is_aegismon((pid_t)pid, exe, sizeof(exe));
	if (rc <= 0) {
		if (rc)
			fprintf(stderr, "aegismon reload: pid %ld: %s\n", pid, strerror(-rc));
		else
			fprintf(stderr, "aegismon reload: pid %ld runs %s, not aegismon\n", pid, exe);
		return 2;
	}
	if (reload_status_read((pid_t)pid, &before))
		before.generation = 0;
	if (kill((pid_t)pid, SIGHUP)) {
		fprintf(stderr, "aegismon reload: pid %ld: %s\n", pid, strerror(errno));
		return 1;
	}
	for (unsigned waited = 0; waited < timeout_s * 1000; waited += 50) {
		sleep_ms(50);
		if (reload_status_read((pid_t)pid, &after) == 0 && after.generation > before.generation) {
			fprintf(after.ok ? stdout : stderr, "aegismon: %s\n", after.message);
			return after.ok ? 0 : 1;
		}
		if (kill((pid_t)pid, 0) && errno == ESRCH) {
			fprintf(stderr, "aegismon reload: the daemon (pid %ld) exited\n", pid);
			return 1;
		}
	}
	fprintf(stderr, "aegismon reload: no outcome from pid %ld within %g s\n", pid, timeout_s);
	return 1;
}
