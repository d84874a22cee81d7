/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What the agent is: its process names, its install, and who counts as it. */
#ifndef AEGISMON_AGENT_H
#define AEGISMON_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_MAX_ROOTS 4
#define AGENT_PATH_MAX 4096
#define AGENT_MAX_FILES 512 /* executables trusted as the agent's, over all roots */
#define AGENT_MAX_DIRS 64   /* directories watched for a change of the install */

/* The core processes; the official page checks these three. */
enum agent_core {
	CORE_ALIYUNDUN,
	CORE_MONITOR,
	CORE_UPDATE,
	CORE_COUNT,
	CORE_NONE = -1,
};

struct agent_install {
	bool found;
	char root[AGENT_PATH_MAX];        /* canonical root that holds the install */
	char client_dir[AGENT_PATH_MAX];  /* highest aegis_client/aegis_<major>_<minor> */
	int major, minor;
	unsigned present_mask;            /* 1 << core for each core binary found */
};

/* A file by what the kernel names it by: device (userspace dev_t) and inode. */
struct agent_file {
	uint64_t dev;
	uint64_t ino;
};

struct agent_env {
	int nroots;
	char roots[AGENT_MAX_ROOTS][AGENT_PATH_MAX]; /* canonical where they exist */
	struct agent_install install;
	/* the installed files: regular, root's, not writable by group or others,
	 * in directories that are root's and not writable by group or others */
	unsigned nfiles;
	bool files_truncated; /* more than AGENT_MAX_FILES: said by the caller */
	struct agent_file files[AGENT_MAX_FILES];
	/* the directories scanned, as they were: a new file shows in its
	 * directory's change time (agent_install_changed) */
	unsigned ndirs;
	struct agent_dir {
		uint64_t dev, ino;
		int64_t ctime_sec, ctime_nsec, mtime_sec, mtime_nsec;
		char path[AGENT_PATH_MAX / 4];
	} dirs[AGENT_MAX_DIRS];
};

/* Process names (comm, truncated to 15 characters) that belong to the agent. */
extern const char *const agent_comm_names[];
extern const size_t agent_comm_count;

bool agent_is_comm(const char *comm);
/* Which core process a comm names, or CORE_NONE. */
int agent_core_of_comm(const char *comm);
/* Full executable name of a core process: "AliYunDunMonitor". */
const char *agent_core_name(int core);

/* path is root itself or inside it, compared by whole components. */
bool path_inside(const char *path, const char *root);

/* Parse "aegis_12_93" into 12, 93; -1 if it is not a version directory. */
int agent_parse_version_dir(const char *name, int *major, int *minor);
/* <0, 0, >0 like strcmp, numeric: 12_93 > 12_9 > 11_99 > 10_75. */
int agent_version_cmp(int amaj, int amin, int bmaj, int bmin);
/* Index of the highest version directory among names (malformed ones
 * ignored), or -1 if none; its numbers in major, minor. */
int agent_highest_version(const char *const *names, size_t n, int *major, int *minor);

/*
 * Set up the roots (the given ones, or the defaults /usr/local/aegis and
 * /opt/aegis) and scan for the install. Returns 0; a missing install is not
 * an error (install.found is false).
 */
int agent_env_init(struct agent_env *env, const char *const *roots, int nroots);
/* Re-scan the install under the configured roots. */
void agent_scan_install(struct agent_env *env);
/* Has a directory of the install changed since the last scan (a version
 * added, a file replaced)? A few stat() calls. */
bool agent_install_changed(const struct agent_env *env);

enum agent_identity {
	IDENT_UNVERIFIED, /* agent name, executable unknown (a recording without it) */
	IDENT_AGENT,      /* agent name, and the kernel vouches for it (agent_judge) */
	IDENT_IMPOSTOR,   /* agent name, but fails a check */
	IDENT_OTHER,      /* not an agent name */
};

/* Why a process with an agent name is not the agent. */
enum agent_why {
	WHY_NONE,
	WHY_EXE_UNKNOWN,   /* the kernel could not say which file it runs */
	WHY_NOT_INSTALLED, /* its executable is no installed agent file */
	WHY_NOT_ROOT,      /* its real uid is not 0: the agent runs as root */
	WHY_TRACED,        /* it is ptraced */
	WHY_STOPPED,       /* it is stopped (job control or a tracer) */
};

/* What the kernel says about a process, from an exec event or /proc. */
struct agent_facts {
	bool exe_known;
	uint64_t dev, ino;   /* of the executable; dev as userspace dev_t */
	uint32_t ruid;       /* real uid */
	bool traced;
	bool stopped;
	bool exe_deleted;    /* /proc only: the running file was unlinked (an upgrade) */
	uint32_t exe_uid;    /* /proc only, with exe_deleted: the file's owner */
	uint32_t exe_mode;
};

/*
 * The verdict on a process named comm: IDENT_OTHER for a name that is not
 * the agent's; IDENT_AGENT only when its executable is an installed agent
 * file (by device and inode), it runs as real uid 0, and it is neither
 * traced nor stopped; else IDENT_IMPOSTOR with the reason in *why.
 */
enum agent_identity agent_judge(const struct agent_env *env, const char *comm,
				const struct agent_facts *f, enum agent_why *why);
/* The facts of a live process from /proc: -errno when it is gone. */
int agent_facts_of_pid(int pid, struct agent_facts *f);
/* The verdict on a live process: agent_facts_of_pid + agent_judge (comm from
 * /proc); IDENT_OTHER when it is gone. */
enum agent_identity agent_identify_pid(const struct agent_env *env, int pid, enum agent_why *why);
/* userspace dev_t of the kernel's internal one (major << 20 | minor) */
uint64_t agent_kdev_to_dev(uint32_t kdev);
bool agent_is_installed_file(const struct agent_env *env, uint64_t dev, uint64_t ino);

const char *agent_identity_name(enum agent_identity id);
/* "its executable is not an installed agent file", ... */
const char *agent_why_text(enum agent_why why);

#endif
