/* Agent names, install layout and identity. */
#include "agent.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* From the agent reference: comm is the executable name cut to 15 bytes. */
const char *const agent_comm_names[] = {
	"AliYunDun",       "AliYunDunMonito", "AliYunDunUpdate", "AliSecCheck",
	"AliHips",         "AliNet",          "AliSecGuard",     "AliWebGuard",
	"AliSecureCheckA", "AliDetect",       "AliScriptEngine", "AliHids",
	"aegis_cli",       "aegis_update",    "aegis_quartz",
};
const size_t agent_comm_count = sizeof(agent_comm_names) / sizeof(agent_comm_names[0]);

static const char *const core_comms[CORE_COUNT] = {
	[CORE_ALIYUNDUN] = "AliYunDun",
	[CORE_MONITOR] = "AliYunDunMonito",
	[CORE_UPDATE] = "AliYunDunUpdate",
};

static const char *const core_names[CORE_COUNT] = {
	[CORE_ALIYUNDUN] = "AliYunDun",
	[CORE_MONITOR] = "AliYunDunMonitor",
	[CORE_UPDATE] = "AliYunDunUpdate",
};

static const char *const default_roots[] = { "/usr/local/aegis", "/opt/aegis" };

bool agent_is_comm(const char *comm)
{
	for (size_t i = 0; i < agent_comm_count; i++)
		if (strncmp(comm, agent_comm_names[i], 16) == 0)
			return true;
	return false;
}

int agent_core_of_comm(const char *comm)
{
	for (int i = 0; i < CORE_COUNT; i++)
		if (strncmp(comm, core_comms[i], 16) == 0)
			return i;
	return CORE_NONE;
}

const char *agent_core_name(int core)
{
	return core >= 0 && core < CORE_COUNT ? core_names[core] : "?";
}

bool path_inside(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 0 || strncmp(path, root, n) != 0)
		return false;
	if (n == 1 && root[0] == '/')
		return path[0] == '/';
	return path[n] == '\0' || path[n] == '/';
}

static int parse_uint(const char *s, const char **end)
{
	long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		if (v > 1000000)
			return -1;
		p++;
	}
	*end = p;
	return (int)v;
}

int agent_parse_version_dir(const char *name, int *major, int *minor)
{
	const char *p;
	int a, b;

	if (strncmp(name, "aegis_", 6) != 0)
		return -1;
	a = parse_uint(name + 6, &p);
	if (a < 0 || *p != '_')
		return -1;
	b = parse_uint(p + 1, &p);
	if (b < 0 || *p != '\0')
		return -1;
	*major = a;
	*minor = b;
	return 0;
}

int agent_version_cmp(int amaj, int amin, int bmaj, int bmin)
{
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

int agent_highest_version(const char *const *names, size_t n, int *major, int *minor)
{
	int best = -1, bma = -1, bmi = -1;

	for (size_t i = 0; i < n; i++) {
		int ma, mi;

		if (!names[i] || agent_parse_version_dir(names[i], &ma, &mi))
			continue;
		if (best < 0 || agent_version_cmp(ma, mi, bma, bmi) > 0) {
			best = (int)i;
			bma = ma;
			bmi = mi;
		}
	}
	if (best >= 0) {
		*major = bma;
		*minor = bmi;
	}
	return best;
}

static bool is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_dir(const char *dir, const char *name)
{
	char path[AGENT_PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool scan_root(const char *root, struct agent_install *inst)
{
	char dir[AGENT_PATH_MAX + 32], path[AGENT_PATH_MAX * 2];
	struct dirent *de;
	DIR *d;
	bool any = false;

	memset(inst, 0, sizeof(*inst));
	inst->major = inst->minor = -1;
	snprintf(dir, sizeof(dir), "%s/aegis_client", root);
	d = opendir(dir);
	if (d) {
		while ((de = readdir(d))) {
			int ma, mi;

			if (agent_parse_version_dir(de->d_name, &ma, &mi))
				continue;
			if (inst->major >= 0 &&
			    agent_version_cmp(ma, mi, inst->major, inst->minor) <= 0)
				continue;
			if (!is_dir(dir, de->d_name)) /* a stray file is no version */
				continue;
			inst->major = ma;
			inst->minor = mi;
			snprintf(inst->client_dir, sizeof(inst->client_dir), "%s/%s", dir,
				 de->d_name);
		}
		closedir(d);
	}
	if (inst->major >= 0) {
		snprintf(path, sizeof(path), "%s/AliYunDun", inst->client_dir);
		if (is_regular(path))
			inst->present_mask |= 1u << CORE_ALIYUNDUN;
		snprintf(path, sizeof(path), "%s/AliYunDunMonitor", inst->client_dir);
		if (is_regular(path))
			inst->present_mask |= 1u << CORE_MONITOR;
		any = true;
	}
	snprintf(path, sizeof(path), "%s/aegis_update/AliYunDunUpdate", root);
	if (is_regular(path)) {
		inst->present_mask |= 1u << CORE_UPDATE;
		any = true;
	}
	if (any) {
		inst->found = true;
		snprintf(inst->root, sizeof(inst->root), "%s", root);
	}
	return any;
}

void agent_scan_install(struct agent_env *env)
{
	memset(&env->install, 0, sizeof(env->install));
	for (int i = 0; i < env->nroots; i++)
		if (scan_root(env->roots[i], &env->install))
			return;
	memset(&env->install, 0, sizeof(env->install));
}

int agent_env_init(struct agent_env *env, const char *const *roots, int nroots)
{
	memset(env, 0, sizeof(*env));
	if (nroots <= 0) {
		roots = default_roots;
		nroots = 2;
	}
	for (int i = 0; i < nroots && env->nroots < AGENT_MAX_ROOTS; i++) {
		char canon[PATH_MAX];
		const char *use = roots[i];

		/* /proc/<pid>/exe is canonical: compare it with a canonical root */
		if (realpath(roots[i], canon))
			use = canon;
		snprintf(env->roots[env->nroots], AGENT_PATH_MAX, "%s", use);
		env->nroots++;
	}
	agent_scan_install(env);
	return 0;
}

enum agent_identity agent_identify(const struct agent_env *env, const char *comm,
				   const char *exe)
{
	if (!agent_is_comm(comm))
		return IDENT_OTHER;
	if (!exe || !exe[0])
		return IDENT_UNVERIFIED;
	for (int i = 0; i < env->nroots; i++)
		if (path_inside(exe, env->roots[i]))
			return IDENT_AGENT;
	return IDENT_IMPOSTOR;
}

const char *agent_identity_name(enum agent_identity id)
{
	switch (id) {
	case IDENT_AGENT: return "agent";
	case IDENT_IMPOSTOR: return "impostor";
	case IDENT_OTHER: return "other";
	default: return "unverified";
	}
}
