/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* systemd's notify protocol without libsystemd (sd_notify(3)): readiness,
 * reloads, a status line and the watchdog. A no-op when the daemon was not
 * started with $NOTIFY_SOCKET. */
#ifndef AEGISMON_SDNOTIFY_H
#define AEGISMON_SDNOTIFY_H

#include <stdint.h>

/* One datagram of newline-separated assignments ("READY=1\nSTATUS=...").
 * Printf-style; a state that does not fit (4 KiB) is cut at a line end. */
void sdnotify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "RELOADING=1" with MONOTONIC_USEC, as systemd 253+ expects it. */
void sdnotify_reloading(void);

/* The interval to send WATCHDOG=1 at: half of $WATCHDOG_USEC, in ns, when
 * the watchdog is on for this process ($WATCHDOG_PID ours or absent); 0 when off. */
uint64_t sdnotify_watchdog_interval_ns(void);

#endif
