/* What the agent is: its process names, its install, and who counts as it. */
#ifndef AEGISMON_AGENT_H
#define AEGISMON_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#define AGENT_MAX_ROOTS 4
#define AGENT_PATH_MAX 4096

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

struct agent_env {
	int nroots;
	char roots[AGENT_MAX_ROOTS][AGENT_PATH_MAX]; /* canonical where they exist */
	struct agent_install install;
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

enum agent_identity {
	IDENT_UNVERIFIED, /* agent name, executable unknown (process already gone) */
	IDENT_AGENT,      /* agent name, executable inside an agent root */
	IDENT_IMPOSTOR,   /* agent name, executable elsewhere */
	IDENT_OTHER,      /* not an agent name */
};

enum agent_identity agent_identify(const struct agent_env *env, const char *comm,
				   const char *exe);
const char *agent_identity_name(enum agent_identity id);

#endif
