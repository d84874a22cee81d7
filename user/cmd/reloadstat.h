/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The outcome of a SIGHUP reload, for `aegismon reload PID`, the unit's
 * ExecReload=: the daemon writes /run/aegismon/reload.PID after each reload,
 * the command sends SIGHUP and waits for the next generation, so that
 * `systemctl reload` returns when the reload is done and fails when it was
 * refused (systemd before 253 has no Type=notify-reload).
 */
#ifndef AEGISMON_RELOADSTAT_H
#define AEGISMON_RELOADSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RELOAD_STATUS_DIR "/run/aegismon"

struct reload_status {
	unsigned long generation; /* reloads done since the start, 1 the first */
	bool ok;
	char message[512];        /* "reloaded FILE: what changed" or why it was refused */
};

/* "generation N\nok|refused\nMESSAGE\n" into buf: the length, 0 if it does not fit. */
size_t reload_status_format(char *buf, size_t len, const struct reload_status *st);
/* The reverse; 0, or -EINVAL for anything else (a message may be cut, never a line forged). */
int reload_status_parse(const char *text, size_t len, struct reload_status *st);

/* The daemon's file, written whole (safefile_replace, 0644). 0 or -errno, err said. */
int reload_status_write(pid_t pid, const struct reload_status *st, char *err, size_t errlen);
/* 0, -ENOENT (no reload yet), -EINVAL, or another -errno. */
int reload_status_read(pid_t pid, struct reload_status *st);
void reload_status_remove(pid_t pid);

/* aegismon reload PID [--timeout SECONDS] */
int cmd_reload(int argc, char **argv);

#endif
