// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Agent names, install layout and identity. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "procfs.h"

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

/* Nobody but root can change it. */
static bool root_only(const struct stat *st)
{
	return st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

#define SCAN_DEPTH 6

static void note_dir(struct agent_env *env, const char *path, const struct stat *st)
{
	struct agent_dir *d;

	if (env->ndirs == AGENT_MAX_DIRS || strlen(path) >= sizeof(d->path))
		return; /* not watched: a change there waits for the next scan */
	d = &env->dirs[env->ndirs++];
	d->dev = st->st_dev;
	d->ino = st->st_ino;
	d->ctime_sec = st->st_ctim.tv_sec;
	d->ctime_nsec = st->st_ctim.tv_nsec;
	d->mtime_sec = st->st_mtim.tv_sec;
	d->mtime_nsec = st->st_mtim.tv_nsec;
	snprintf(d->path, sizeof(d->path), "%s", path);
}

/* Record the installed files under the directory dirfd (path, already
 * checked): what identifies the agent's processes. Symbolic links are not
 * followed: each file counts where it is, and only where root alone can
 * change it. */
static void scan_files(struct agent_env *env, int dirfd, const char *path, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((de = readdir(d))) {
		char sub_path[AGENT_PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) || !root_only(&st))
			continue;
		if (S_ISREG(st.st_mode)) {
			if (env->nfiles == AGENT_MAX_FILES) {
				env->files_truncated = true;
				break;
			}
			env->files[env->nfiles].dev = st.st_dev;
			env->files[env->nfiles].ino = st.st_ino;
			env->nfiles++;
		} else if (S_ISDIR(st.st_mode) && depth < SCAN_DEPTH) {
			int sub = openat(dirfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub < 0)
				continue;
			snprintf(sub_path, sizeof(sub_path), "%s/%s", path, de->d_name);
			note_dir(env, sub_path, &st);
			scan_files(env, sub, sub_path, depth + 1);
		}
	}
	closedir(d);
}

static void scan_all_files(struct agent_env *env)
{
	env->nfiles = 0;
	env->ndirs = 0;
	env->files_truncated = false;
	for (int i = 0; i < env->nroots; i++) {
		int fd = open(env->roots[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;

		/* watched even when absent or not root's: an install may come */
		if (fd < 0 || fstat(fd, &st)) {
			memset(&st, 0, sizeof(st));
			note_dir(env, env->roots[i], &st);
			if (fd >= 0)
				close(fd);
			continue;
		}
		note_dir(env, env->roots[i], &st);
		if (!root_only(&st)) {
			close(fd);
			continue;
		}
		scan_files(env, fd, env->roots[i], 0);
	}
}

bool agent_install_changed(const struct agent_env *env)
{
	for (unsigned i = 0; i < env->ndirs; i++) {
		const struct agent_dir *d = &env->dirs[i];
		struct stat st;

		if (lstat(d->path, &st)) {
			if (d->ino) /* gone */
				return true;
			continue; /* still absent */
		}
		if (st.st_dev != d->dev || st.st_ino != d->ino ||
		    st.st_ctim.tv_sec != d->ctime_sec || st.st_ctim.tv_nsec != d->ctime_nsec ||
		    st.st_mtim.tv_sec != d->mtime_sec || st.st_mtim.tv_nsec != d->mtime_nsec)
			return true;
	}
	return false;
}

void agent_scan_install(struct agent_env *env)
{
	scan_all_files(env);
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

uint64_t agent_kdev_to_dev(uint32_t kdev)
{
	return makedev(kdev >> 20, kdev & 0xfffff);
}

bool agent_is_installed_file(const struct agent_env *env, uint64_t dev, uint64_t ino)
{
	for (unsigned i = 0; i < env->nfiles; i++)
		if (env->files[i].ino == ino && env->files[i].dev == dev)
			return true;
	return false;
}

enum agent_identity agent_judge(const struct agent_env *env, const char *comm,
				const struct agent_facts *f, enum agent_why *why)
{
	enum agent_why w = WHY_NONE;

	if (!agent_is_comm(comm)) {
		*why = WHY_NONE;
		return IDENT_OTHER;
	}
	if (!f->exe_known)
		w = WHY_EXE_UNKNOWN;
	else if (f->ruid != 0)
		w = WHY_NOT_ROOT;
	else if (!agent_is_installed_file(env, f->dev, f->ino) &&
		 /* replaced by an upgrade while it ran: still root's own file */
		 !(f->exe_deleted && f->exe_uid == 0 && !(f->exe_mode & (S_IWGRP | S_IWOTH))))
		w = WHY_NOT_INSTALLED;
	else if (f->traced)
		w = WHY_TRACED;
	else if (f->stopped)
		w = WHY_STOPPED;
	*why = w;
	return w == WHY_NONE ? IDENT_AGENT : IDENT_IMPOSTOR;
}

int agent_facts_of_pid(int pid, struct agent_facts *f)
{
	struct proc_status ps;
	char path[64];
	struct stat st;

	memset(f, 0, sizeof(*f));
	if (proc_read_status(pid, &ps))
		return -ESRCH;
	f->ruid = ps.ruid;
	f->traced = ps.tracer_pid != 0;
	f->stopped = ps.state == 'T' || ps.state == 't';
	/* the kernel's own link to the running file: stat follows it to that
	 * inode even when the path is gone or was replaced */
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st) == 0) {
		f->exe_known = true;
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->exe_deleted = st.st_nlink == 0;
		f->exe_uid = st.st_uid;
		f->exe_mode = st.st_mode;
	}
	return 0;
}

enum agent_identity agent_identify_pid(const struct agent_env *env, int pid, enum agent_why *why)
{
	struct agent_facts f;
	struct proc_stat st;

	*why = WHY_NONE;
	if (proc_read_stat(pid, &st) || agent_facts_of_pid(pid, &f))
		return IDENT_OTHER;
	return agent_judge(env, st.comm, &f, why);
}

const char *agent_why_text(enum agent_why why)
{
	switch (why) {
	case WHY_EXE_UNKNOWN: return "the kernel could not tell its executable";
	case WHY_NOT_INSTALLED: return "its executable is not an installed agent file";
	case WHY_NOT_ROOT: return "it does not run as root";
	case WHY_TRACED: return "it is traced (ptrace)";
	case WHY_STOPPED: return "it is stopped";
	default: return "";
	}
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
