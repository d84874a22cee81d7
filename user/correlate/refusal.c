// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What refused a connect(): the facts of the live host (refusal_gather) and
 * what they say (refusal_choose, refusal_describe). See refusal.h.
 *
 * The BPF queries go through the bpf() syscall itself, not libbpf: this runs
 * in the enrichment worker, which the unit tests link without libbpf.
 */
#include "refusal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"

#define OWN_MAX 64 /* aegismon's own programs: a few dozen */

const char *refusal_mechanism_name(enum policy_mechanism m)
{
	switch (m) {
	case POLICY_CGROUP_BPF:
		return "cgroup_bpf";
	case POLICY_SECCOMP:
		return "seccomp";
	case POLICY_LSM:
		return "lsm";
	default:
		return "unknown";
	}
}

bool refusal_label_confines(const char *lsm, const char *label)
{
	size_t n = strlen(label);

	if (!n)
		return false;
	if (!strcmp(lsm, "apparmor")) {
		/* "unconfined", or "profile (enforce)" / "(complain)" / "(unconfined)" */
		if (!strcmp(label, "unconfined"))
			return false;
		return !(n > 11 && !strcmp(label + n - 11, " (complain)")) &&
		       !(n > 13 && !strcmp(label + n - 13, " (unconfined)"));
	}
	if (!strcmp(lsm, "selinux"))
		return strstr(label, ":unconfined_t:") == NULL && strcmp(label, "kernel") != 0;
	return true; /* smack and the others: a label is all there is to say */
}

static void copy_str(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

static void use_prog(const struct refusal_facts *f, struct diag_policy *out)
{
	out->mechanism = POLICY_CGROUP_BPF;
	out->prog_id = f->progs[0].id;
	copy_str(out->prog_name, sizeof(out->prog_name), f->progs[0].name);
	copy_str(out->cgroup, sizeof(out->cgroup), f->progs[0].cgroup);
}

void refusal_choose(const struct refusal_facts *f, bool before_hook, struct diag_policy *out)
{
	bool confined = f->label[0] && refusal_label_confines(f->lsm, f->label);

	memset(out, 0, sizeof(*out));
	out->seccomp_filters = -1;
	copy_str(out->lsms, sizeof(out->lsms), f->lsms);
	out->gone = f->gone;
	out->mechanism = POLICY_UNKNOWN;
	/* seccomp runs at syscall entry and an LSM before the cgroup hook: a connect
	 * that reached the probes got past seccomp, one that did not met a cgroup
	 * program only if it runs after ours */
	if (before_hook && f->seccomp == 2) {
		out->mechanism = POLICY_SECCOMP;
		out->seccomp_filters = f->seccomp_filters;
	} else if (f->nprogs && (!before_hook || !confined)) {
		use_prog(f, out);
	} else if (confined) {
		out->mechanism = POLICY_LSM;
		copy_str(out->lsm, sizeof(out->lsm), f->lsm);
		copy_str(out->label, sizeof(out->label), f->label);
	}
}

int refusal_describe(const struct diag_policy *p, char *buf, size_t len)
{
	switch (p->mechanism) {
	case POLICY_CGROUP_BPF:
		return snprintf(buf, len, "; cgroup BPF program %u '%s'%s%s refuses it", p->prog_id,
				p->prog_name, p->cgroup[0] ? " on " : "", p->cgroup);
	case POLICY_SECCOMP:
		if (p->seccomp_filters > 0)
			return snprintf(buf, len, "; a seccomp filter (%d) confines the process",
					p->seccomp_filters);
		return snprintf(buf, len, "; a seccomp filter confines the process");
	case POLICY_LSM:
		return snprintf(buf, len, "; the %s LSM confines the process (label %s)", p->lsm,
				p->label);
	case POLICY_UNKNOWN:
		if (p->gone)
			return snprintf(buf, len, "; the process exited before it could be inspected");
		return snprintf(buf, len, "; what refused it was not seen: no cgroup BPF connect "
				"program but aegismon's, no seccomp filter that could have, no confining "
				"LSM label (LSMs: %s)", p->lsms[0] ? p->lsms : "unknown");
	default:
		if (len)
			buf[0] = '\0';
		return 0;
	}
}

/* ---------- the live host ---------- */

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

static int prog_info_of_fd(int fd, struct bpf_prog_info *info)
{
	union bpf_attr a;

	memset(info, 0, sizeof(*info));
	memset(&a, 0, sizeof(a));
	a.info.bpf_fd = (__u32)fd;
	a.info.info_len = sizeof(*info);
	a.info.info = (__u64)(unsigned long)info;
	return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a) ? -errno : 0;
}

/* The name of program id ("" if it is gone). */
static void prog_name(uint32_t id, char *name, size_t len)
{
	struct bpf_prog_info info;
	union bpf_attr a;
	int fd;

	name[0] = '\0';
	memset(&a, 0, sizeof(a));
	a.prog_id = id;
	fd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &a);
	if (fd < 0)
		return;
	if (!prog_info_of_fd(fd, &info))
		snprintf(name, len, "%.*s", (int)sizeof(info.name), info.name);
	close(fd);
}

/* The ids of the programs this process holds: aegismon's own, which never refuse. */
static unsigned own_prog_ids(uint32_t *ids, unsigned max)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	unsigned n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir)) && n < max) {
		char path[64], target[32];
		struct bpf_prog_info info;
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", de->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, "anon_inode:bpf-prog") != 0)
			continue;
		if (!prog_info_of_fd(atoi(de->d_name), &info))
			ids[n++] = info.id;
	}
	closedir(dir);
	return n;
}

static bool has_id(const uint32_t *ids, unsigned n, uint32_t id)
{
	for (unsigned i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Program ids of one attach type on the cgroup at fd: effective (what runs for its
 * processes, ancestors included) or attached there. */
static unsigned query_progs(int fd, enum bpf_attach_type type, bool effective, uint32_t *ids,
			    unsigned max)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.query.target_fd = (__u32)fd;
	a.query.attach_type = type;
	a.query.query_flags = effective ? BPF_F_QUERY_EFFECTIVE : 0;
	a.query.prog_ids = (__u64)(unsigned long)ids;
	a.query.prog_cnt = max;
	if (sys_bpf(BPF_PROG_QUERY, &a))
		return 0;
	return a.query.prog_cnt < max ? a.query.prog_cnt : max;
}

/* Is program id attached (not only effective) at the cgroup at path? */
static bool attached_at(const char *path, uint32_t id)
{
	static const enum bpf_attach_type types[] = { BPF_CGROUP_INET4_CONNECT,
						      BPF_CGROUP_INET6_CONNECT };
	uint32_t ids[64];
	bool found = false;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return false;
	for (size_t t = 0; t < 2 && !found; t++)
		found = has_id(ids, query_progs(fd, types[t], false, ids, 64), id);
	close(fd);
	return found;
}

/* Where program id is attached: the cgroup path itself or its nearest ancestor
 * that has it; the path is cut back in place. "" when none has it (detached). */
static void attach_level(char *path, size_t root_len, uint32_t id)
{
	for (;;) {
		char *slash;

		if (attached_at(path, id))
			return;
		slash = strrchr(path, '/');
		if (strlen(path) <= root_len || !slash || (size_t)(slash - path) < root_len) {
			path[0] = '\0';
			return;
		}
		if ((size_t)(slash - path) == root_len) {
			/* the root itself, last */
			path[root_len] = '\0';
			if (!attached_at(path, id))
				path[0] = '\0';
			return;
		}
		*slash = '\0';
	}
}

/* The connect programs not aegismon's that run for the process's sockets. */
static void gather_progs(uint32_t tgid, struct refusal_facts *f)
{
	static const enum bpf_attach_type types[] = { BPF_CGROUP_INET4_CONNECT,
						      BPF_CGROUP_INET6_CONNECT };
	char buf[1024], rel[256], mnt[128], path[sizeof(mnt) + sizeof(rel)];
	uint32_t own[OWN_MAX], ids[64];
	unsigned nown;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/cgroup", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0 || proc_parse_cgroup2(buf, (size_t)n, rel, sizeof(rel)) ||
	    proc_cgroup2_mount(mnt, sizeof(mnt)))
		return;
	snprintf(path, sizeof(path), "%s%s", mnt, strcmp(rel, "/") ? rel : "");
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	nown = own_prog_ids(own, OWN_MAX);
	for (size_t t = 0; t < 2; t++) {
		unsigned cnt = query_progs(fd, types[t], true, ids, 64);

		for (unsigned i = 0; i < cnt && f->nprogs < REFUSAL_MAX_PROGS; i++) {
			bool seen = false;

			if (has_id(own, nown, ids[i]))
				continue;
			for (unsigned j = 0; j < f->nprogs; j++)
				seen |= f->progs[j].id == ids[i];
			if (seen)
				continue;
			f->progs[f->nprogs].id = ids[i];
			prog_name(ids[i], f->progs[f->nprogs].name, sizeof(f->progs[0].name));
			snprintf(f->progs[f->nprogs].cgroup, sizeof(f->progs[0].cgroup), "%s", path);
			attach_level(f->progs[f->nprogs].cgroup, strlen(mnt), ids[i]);
			f->nprogs++;
		}
	}
	close(fd);
}

/* A small file's first line, without its newline; "" when unreadable. */
static void read_line(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	out[0] = '\0';
	if (fd < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0) {
		out[0] = '\0';
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	/* attr/current may end in a NUL of its own */
	out[strnlen(out, (size_t)n)] = '\0';
}

/* The first LSM of the list that labels processes (the owner of attr/current). */
static void labelling_lsm(const char *lsms, char *out, size_t len)
{
	static const char *const labelling[] = { "selinux", "smack", "apparmor", "tomoyo" };
	const char *best = NULL;
	size_t best_at = (size_t)-1;

	for (size_t i = 0; i < sizeof(labelling) / sizeof(labelling[0]); i++) {
		const char *p = strstr(lsms, labelling[i]);

		if (p && (size_t)(p - lsms) < best_at) {
			best = labelling[i];
			best_at = (size_t)(p - lsms);
		}
	}
	snprintf(out, len, "%s", best ? best : "");
}

static void gather_lsm(uint32_t tgid, struct refusal_facts *f)
{
	char path[64];

	read_line("/sys/kernel/security/lsm", f->lsms, sizeof(f->lsms));
	/* AppArmor's own file (5.1+) whatever the stacking order */
	snprintf(path, sizeof(path), "/proc/%u/attr/apparmor/current", tgid);
	read_line(path, f->label, sizeof(f->label));
	if (f->label[0]) {
		copy_str(f->lsm, sizeof(f->lsm), "apparmor");
		return;
	}
	labelling_lsm(f->lsms, f->lsm, sizeof(f->lsm));
	if (!f->lsm[0])
		return; /* no securityfs, or no labelling LSM: attr/current says nothing */
	snprintf(path, sizeof(path), "/proc/%u/attr/current", tgid);
	read_line(path, f->label, sizeof(f->label));
}

int refusal_gather(uint32_t tgid, uint32_t tid, struct refusal_facts *f)
{
	struct proc_status st;
	char path[64];

	memset(f, 0, sizeof(*f));
	f->seccomp = f->seccomp_filters = -1;
	/* seccomp filters are per thread: the one that called connect() */
	snprintf(path, sizeof(path), "/proc/%u/task/%u", tgid, tid ? tid : tgid);
	if (access(path, F_OK) || proc_read_status((int)(tid ? tid : tgid), &st)) {
		if (tid && tid != tgid && !proc_read_status((int)tgid, &st))
			goto alive;
		f->gone = true;
		return 0;
	}
alive:
	f->seccomp = st.seccomp;
	f->seccomp_filters = st.seccomp_filters;
	gather_progs(tgid, f);
	gather_lsm(tgid, f);
	return 0;
}

bool refusal_confined(uint32_t tgid)
{
	struct refusal_facts f;
	struct proc_status st;

	if (proc_read_status((int)tgid, &st))
		return false;
	if (st.seccomp == 2)
		return true;
	memset(&f, 0, sizeof(f));
	gather_lsm(tgid, &f);
	return f.label[0] && refusal_label_confines(f.lsm, f.label);
}
