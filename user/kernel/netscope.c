// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Where the network programs run: the agent's cgroups or the cgroup v2 root. */
#include "netscope.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "procfs.h"

static bool cg_attached(const struct netscope_cg *cg)
{
	return cg->used && cg->links[0];
}

static void destroy_links(struct bpf_link **links, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
}

static void cg_disarm(struct netscope *ns, struct netscope_cg *cg)
{
	destroy_links(cg->lazy_links, ns->nlazy);
}

static void cg_detach(struct netscope *ns, struct netscope_cg *cg)
{
	cg_disarm(ns, cg);
	destroy_links(cg->links, ns->nprogs);
}

/* progs[i] on cg as links[i] where there is none yet; the first refusal is
 * named in last_error: 0 or -errno (what was attached stays). */
static int attach_progs(struct netscope *ns, struct netscope_cg *cg, struct bpf_program **progs,
			struct bpf_link **links, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (links[i])
			continue;
		links[i] = bpf_program__attach_cgroup(progs[i], cg->fd);
		if (!links[i]) {
			int rc = errno ? -errno : -EINVAL;

			snprintf(ns->last_error, sizeof(ns->last_error), "%s on cgroup %s: %s",
				 bpf_program__name(progs[i]), cg->rel, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* The lazy programs on cg, or none: 0 or -errno. */
static int cg_arm(struct netscope *ns, struct netscope_cg *cg)
{
	int rc = attach_progs(ns, cg, ns->lazy, cg->lazy_links, ns->nlazy);

	if (rc)
		cg_disarm(ns, cg);
	return rc;
}

static void cg_forget(struct netscope *ns, struct netscope_cg *cg)
{
	cg_detach(ns, cg);
	if (cg->used && cg->fd >= 0)
		close(cg->fd);
	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
}

/* All programs on cg, or none: 0 or -errno. */
static int cg_attach(struct netscope *ns, struct netscope_cg *cg)
{
	int rc = attach_progs(ns, cg, ns->progs, cg->links, ns->nprogs);

	if (rc) {
		cg_detach(ns, cg);
		return rc;
	}
	/* best effort: the scope follows the agent even without them */
	if (ns->lazy_armed)
		cg_arm(ns, cg);
	return 0;
}

int netscope_init(struct netscope *ns, bool agent_scope)
{
	struct mntent *m;
	FILE *f;

	memset(ns, 0, sizeof(*ns));
	ns->agent_scope = agent_scope;
	for (int i = 0; i < NETSCOPE_CGROUPS; i++)
		ns->cg[i].fd = -1;
	f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while ((m = getmntent(f)))
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(ns->mount, sizeof(ns->mount), "%s", m->mnt_dir);
			break;
		}
	endmntent(f);
	if (!ns->mount[0])
		return -ENOENT;
	ns->cg[0].fd = open(ns->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ns->cg[0].fd < 0) {
		ns->mount[0] = '\0';
		return -errno;
	}
	ns->cg[0].used = true;
	snprintf(ns->cg[0].rel, sizeof(ns->cg[0].rel), "/");
	return 0;
}

int netscope_add_prog(struct netscope *ns, struct bpf_program *prog)
{
	if (ns->nprogs == NETSCOPE_PROGS)
		return -E2BIG;
	ns->progs[ns->nprogs++] = prog;
	return 0;
}

int netscope_add_companion(struct netscope *ns, struct bpf_program *prog)
{
	if (ns->ncompanions == sizeof(ns->companions) / sizeof(ns->companions[0]))
		return -E2BIG;
	ns->companions[ns->ncompanions++] = prog;
	return 0;
}

int netscope_add_lazy(struct netscope *ns, struct bpf_program *prog)
{
	if (ns->nlazy == NETSCOPE_LAZY)
		return -E2BIG;
	ns->lazy[ns->nlazy++] = prog;
	return 0;
}

/* The lazy programs on (or off) every cgroup that has the others: all of
 * them, or none. 0 or -errno. */
int netscope_arm(struct netscope *ns, bool on)
{
	ns->lazy_armed = on;
	for (int i = 0; i < NETSCOPE_CGROUPS; i++) {
		struct netscope_cg *cg = &ns->cg[i];
		int rc;

		if (!cg_attached(cg))
			continue;
		if (!on) {
			cg_disarm(ns, cg);
			continue;
		}
		rc = cg_arm(ns, cg);
		if (rc) {
			netscope_arm(ns, false);
			return rc;
		}
	}
	return 0;
}

static bool companions_attached(const struct netscope *ns)
{
	for (size_t i = 0; i < ns->ncompanions; i++)
		if (ns->companion_links[i])
			return true;
	return false;
}

static void companions_detach(struct netscope *ns)
{
	for (size_t i = 0; i < ns->ncompanions; i++) {
		bpf_link__destroy(ns->companion_links[i]);
		ns->companion_links[i] = NULL;
	}
	ns->foreign_sig = 0;
}

/* Best effort: without them a refusal by another program above the agent's
 * cgroup reads as a route failure. */
static void companions_attach(struct netscope *ns)
{
	for (size_t i = 0; i < ns->ncompanions; i++) {
		if (ns->companion_links[i])
			continue;
		ns->companion_links[i] = bpf_program__attach_cgroup(ns->companions[i], ns->cg[0].fd);
		if (!ns->companion_links[i])
			snprintf(ns->last_error, sizeof(ns->last_error), "%s on the root: %s",
				 bpf_program__name(ns->companions[i]), strerror(errno));
	}
}

static bool own_prog(const struct netscope *ns, __u32 id)
{
	for (size_t i = 0; i < ns->nown; i++)
		if (ns->own_ids[i] == id)
			return true;
	return false;
}

/*
 * A program running the same instructions as one of ours: another aegismon
 * of this build (the kernel's tag hashes the instructions, with map
 * references left out), whose programs let every connect through as ours
 * do. The tag is the kernel's word, not a name anyone may give a program.
 */
static bool same_code_as_ours(const struct netscope *ns, __u32 id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool same = false;

	if (fd < 0)
		return false;
	memset(&info, 0, sizeof(info));
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		for (size_t i = 0; i < ns->nown && !same; i++)
			same = !memcmp(info.tag, ns->own_tags[i], sizeof(ns->own_tags[i]));
	close(fd);
	return same;
}

/*
 * The connect programs not ours that run for the agent's sockets (on its
 * cgroups or on a cgroup above, the root included), as a fingerprint of their
 * ids in the order they run: 0 when there are none. A query that fails counts
 * as one: the companions are then kept, as before they were on demand.
 */
static unsigned long long foreign_connect_progs(const struct netscope *ns)
{
	static const enum bpf_attach_type types[] = { BPF_CGROUP_INET4_CONNECT,
						      BPF_CGROUP_INET6_CONNECT };
	unsigned long long sig = 0;

	for (int i = 1; i < NETSCOPE_CGROUPS; i++) {
		if (!cg_attached(&ns->cg[i]))
			continue;
		for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
			__u32 ids[64], cnt = sizeof(ids) / sizeof(ids[0]);

			if (bpf_prog_query(ns->cg[i].fd, types[t], BPF_F_QUERY_EFFECTIVE, NULL, ids,
					   &cnt)) {
				sig = sig * 31 + 1;
				continue;
			}
			for (__u32 j = 0; j < cnt; j++)
				if (!own_prog(ns, ids[j]) && !same_code_as_ours(ns, ids[j]))
					sig = sig * 31 + ids[j] + 2;
		}
	}
	return sig;
}

/*
 * The companions on the root only while another connect program runs for
 * the agent's sockets: it may refuse a connect after ours let it through,
 * and without one nothing can, so the rest of the host does not run them.
 * A new foreign set gets them attached anew, after it: on the root, programs
 * run in the order they were attached. 1 when they changed.
 */
static int companions_update(struct netscope *ns)
{
	unsigned long long sig = foreign_connect_progs(ns);
	bool had = companions_attached(ns);

	if (sig == ns->foreign_sig && had == (sig != 0))
		return 0;
	companions_detach(ns);
	if (sig)
		companions_attach(ns);
	ns->foreign_sig = sig;
	return had != companions_attached(ns) || sig != 0;
}

/* Note a loaded program of ours: its id and its tag (zero if the kernel does not say). */
static void note_own(struct netscope *ns, const struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(prog);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
		memset(&info, 0, sizeof(info));
	ns->own_ids[ns->nown] = info.id;
	memcpy(ns->own_tags[ns->nown], info.tag, sizeof(ns->own_tags[ns->nown]));
	ns->nown++;
}

int netscope_start(struct netscope *ns, char *failed, size_t failed_len)
{
	struct netscope_cg *root = &ns->cg[0];
	size_t kept = 0;
	int n = 0;

	/* one by one at the start: a program the kernel refuses is named, and
	 * the scope carries on with the others */
	for (size_t i = 0; i < ns->nprogs; i++) {
		struct bpf_link *link =
			root->fd >= 0 ? bpf_program__attach_cgroup(ns->progs[i], root->fd) : NULL;
		size_t o = strlen(failed);

		if (!link) {
			snprintf(failed + o, failed_len - o, "%s%s%s", o ? ", " : "",
				 bpf_program__name(ns->progs[i]),
				 root->fd < 0 ? " (no cgroup v2 mount)" : "");
			continue;
		}
		ns->progs[kept] = ns->progs[i];
		root->links[kept++] = link;
		n++;
	}
	ns->nprogs = kept;
	ns->nown = 0;
	for (size_t i = 0; i < ns->nprogs; i++)
		note_own(ns, ns->progs[i]);
	for (size_t i = 0; i < ns->nlazy; i++)
		note_own(ns, ns->lazy[i]);
	for (size_t i = 0; i < ns->ncompanions; i++)
		note_own(ns, ns->companions[i]);
	return n;
}

/* The cgroup pid lives in, opened: fd, or -errno. */
static int open_cgroup_of(struct netscope *ns, pid_t pid, char *rel, size_t len)
{
	char path[64], text[4096], full[512]; /* hybrid hosts list v1 lines first */
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	text[n] = '\0';
	if (proc_parse_cgroup2(text, (size_t)n, rel, len))
		return -ENOENT;
	snprintf(full, sizeof(full), "%s%s", ns->mount, rel);
	fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* The root is let go once an agent cgroup has the programs; kept while an
 * agent process lives in the root itself. */
static bool root_needed(const struct netscope *ns)
{
	if (ns->agent_in_root)
		return true;
	for (int i = 1; i < NETSCOPE_CGROUPS; i++)
		if (cg_attached(&ns->cg[i]))
			return false;
	return true;
}

static void release_root(struct netscope *ns)
{
	if (cg_attached(&ns->cg[0]) && !root_needed(ns)) {
		companions_update(ns);
		cg_detach(ns, &ns->cg[0]);
		ns->moves++;
	}
}

static int attach_root(struct netscope *ns)
{
	int rc;

	if (cg_attached(&ns->cg[0]))
		return 0;
	rc = cg_attach(ns, &ns->cg[0]);
	if (rc)
		return rc;
	companions_detach(ns); /* the root's full set does their work */
	ns->moves++;
	return 1;
}

/* Does the cgroup still exist as the one we attached, with a process in it? */
static bool cg_alive(const struct netscope *ns, const struct netscope_cg *cg, bool *populated)
{
	char full[512], buf[256];
	struct stat st;
	ssize_t n;
	int fd;

	*populated = false;
	snprintf(full, sizeof(full), "%s%s", ns->mount, cg->rel);
	if (stat(full, &st) || st.st_dev != cg->dev || st.st_ino != cg->ino)
		return false;
	fd = openat(cg->fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n > 0) {
		buf[n] = '\0';
		*populated = strstr(buf, "populated 1") != NULL;
	}
	return true;
}

/* Forget the agent cgroups that were removed (their links died with them);
 * whether one left has a process goes to *populated. 1 if one went. */
static int prune(struct netscope *ns, bool *any_populated)
{
	int changed = 0;

	*any_populated = false;
	for (int i = 1; i < NETSCOPE_CGROUPS; i++) {
		struct netscope_cg *cg = &ns->cg[i];
		bool populated;

		if (!cg->used)
			continue;
		if (!cg_alive(ns, cg, &populated)) {
			cg_forget(ns, cg);
			ns->moves++;
			changed = 1;
			continue;
		}
		*any_populated |= populated;
	}
	return changed;
}

int netscope_follow(struct netscope *ns, pid_t pid)
{
	char rel[256];
	struct stat st;
	struct netscope_cg *slot = NULL;
	bool had_root;
	int fd, rc;

	if (!ns->agent_scope || !ns->mount[0] || !ns->nprogs)
		return 0;
	fd = open_cgroup_of(ns, pid, rel, sizeof(rel));
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (!strcmp(rel, "/")) {
		/* the agent runs in the root: only the root serves it */
		close(fd);
		ns->agent_in_root = true;
		rc = attach_root(ns);
		for (int i = 1; i < NETSCOPE_CGROUPS; i++)
			if (ns->cg[i].used) {
				cg_forget(ns, &ns->cg[i]);
				rc = 1;
			}
		return rc;
	}
	if (ns->agent_in_root) {
		close(fd);
		return 0;
	}
	for (int i = 1; i < NETSCOPE_CGROUPS; i++) {
		struct netscope_cg *cg = &ns->cg[i];

		if (cg->used && cg->dev == st.st_dev && cg->ino == st.st_ino) {
			had_root = cg_attached(&ns->cg[0]);
			close(fd);
			release_root(ns);
			return had_root && !cg_attached(&ns->cg[0]);
		}
	}
	{
		bool populated;

		/* a new cgroup (a restart's) comes before the tick has seen the
		 * old one removed: forget the removed ones first */
		prune(ns, &populated);
	}
	for (int i = 1; i < NETSCOPE_CGROUPS && !slot; i++)
		if (!ns->cg[i].used)
			slot = &ns->cg[i];
	if (!slot) {
		close(fd);
		snprintf(ns->last_error, sizeof(ns->last_error),
			 "more than %d agent cgroups: %s stays on the root", NETSCOPE_CGROUPS - 1, rel);
		return -ENOSPC;
	}
	slot->used = true;
	slot->fd = fd;
	slot->dev = st.st_dev;
	slot->ino = st.st_ino;
	snprintf(slot->rel, sizeof(slot->rel), "%s", rel);
	rc = cg_attach(ns, slot);
	if (rc) {
		cg_forget(ns, slot);
		return rc; /* the root keeps serving it */
	}
	ns->moves++;
	had_root = cg_attached(&ns->cg[0]);
	/* on the agent's cgroup first, then off the root (which asks whether the
	 * companions are needed): nothing is missed */
	release_root(ns);
	if (!had_root && netscope_on_agent(ns))
		companions_update(ns); /* a second agent cgroup may be under another parent */
	return 1;
}

int netscope_refresh(struct netscope *ns)
{
	bool any_populated;
	int changed;

	if (!ns->agent_scope || !ns->mount[0] || !ns->nprogs || ns->agent_in_root)
		return 0;
	changed = prune(ns, &any_populated);
	/* no agent cgroup with a process: the next agent may start anywhere */
	if (!any_populated && attach_root(ns) == 1)
		changed = 1;
	/* a deny program put above the agent after us is seen within a tick */
	if (netscope_on_agent(ns) && companions_update(ns))
		changed = 1;
	return changed;
}

void netscope_describe(const struct netscope *ns, char *buf, size_t len)
{
	size_t o;

	if (!ns->agent_scope) {
		snprintf(buf, len, "host (cgroup v2 root)");
		return;
	}
	if (ns->agent_in_root) {
		snprintf(buf, len, "agent, cgroup v2 root (the agent runs there)");
		return;
	}
	/* agent cgroups kept while the root serves have no process: not said */
	if (cg_attached(&ns->cg[0])) {
		snprintf(buf, len, "agent, cgroup v2 root until an agent cgroup is known");
		return;
	}
	o = (size_t)snprintf(buf, len, "agent");
	for (int i = 1; i < NETSCOPE_CGROUPS && o < len; i++)
		if (cg_attached(&ns->cg[i]))
			o += (size_t)snprintf(buf + o, len - o, "%scgroup %s",
					      o > strlen("agent") ? " + " : ", ", ns->cg[i].rel);
	if (companions_attached(ns) && o < len)
		snprintf(buf + o, len - o, "; companions on the root (another connect program "
			 "runs for the agent)");
}

int netscope_on_agent(const struct netscope *ns)
{
	return ns->agent_scope && !ns->agent_in_root && !cg_attached(&ns->cg[0]);
}

void netscope_close(struct netscope *ns)
{
	companions_detach(ns);
	for (int i = 0; i < NETSCOPE_CGROUPS; i++)
		if (ns->cg[i].used)
			cg_forget(ns, &ns->cg[i]);
}
