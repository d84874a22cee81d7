/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The official restart, done safely: find the agent root and its highest
 * aegis_client/aegis_<major>_<minor>, stop the agent's core processes
 * (comm and executable inside the root: never an impostor), start it the way
 * the host does (systemd unit, SysV script, or AliYunDun itself, detached),
 * and verify it runs. Every step and every refusal is reported.
 */
#ifndef AEGISMON_REMEDY_H
#define AEGISMON_REMEDY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "agent.h"

#define REMEDY_DETAIL_LEN 768

/* METHOD_NONE first: a restart refused before it chose (not installed, an
 * unsafe binary) names no method, not the enum's zero value */
enum remedy_method { METHOD_NONE, METHOD_SYSTEMD, METHOD_SYSV, METHOD_DIRECT };

/* One step's report: step (find, check, method, stop, start, verify),
 * outcome (ok, would, refused, failed, skipped), detail for people. */
typedef void (*remedy_report_fn)(void *ctx, const char *step, const char *outcome,
				 const char *detail);

struct remedy_opts {
	const struct agent_env *env;  /* roots and the install found in them */
	unsigned timeout_ms;          /* SIGTERM -> SIGKILL, service command, verification */
	bool dry_run;                 /* report every step, change nothing */
	const char *sysroot;          /* prefix of /run, /etc, /lib, /usr for the service
					 detection ("" for the host; AEGISMON_SYSROOT in tests) */
	remedy_report_fn report;
	void *ctx;
};

struct remedy_result {
	bool ok;                      /* restarted and verified (dry run: every check passed) */
	bool fatal;                   /* refused or impossible: retrying will not help */
	enum remedy_method method;
	unsigned stopped;             /* processes stopped */
	pid_t pids[CORE_COUNT];       /* verified core processes, 0 if not */
	char reason[REMEDY_DETAIL_LEN];
};

/* The sysroot from AEGISMON_SYSROOT, or "" (the host). */
const char *remedy_sysroot(void);
const char *remedy_method_name(enum remedy_method m);

/*
 * Which way the host starts the agent, judged under sysroot: systemd when
 * <sysroot>/run/systemd/system exists and an aegis.service unit file does
 * (etc, lib, usr/lib), else <sysroot>/etc/init.d/aegis, else direct. The
 * program to run goes to prog (systemctl or the script).
 */
enum remedy_method remedy_pick_method(const char *sysroot, char *prog, size_t len);

/* The pid of a live instance of core (enum agent_core) that is the agent by
 * agent_judge (an installed file by inode, root, not traced or stopped), or 0. */
pid_t remedy_core_running(const struct agent_env *env, int core);

/* Runs the whole procedure (blocking, up to about 3 x timeout). 0 ok, -1 failed. */
int remedy_restart(const struct remedy_opts *o, struct remedy_result *r);

#endif
