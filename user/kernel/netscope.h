/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Where the network programs run: the cgroups of the agent (the agent
 * scope), or the cgroup v2 root (the host scope).
 *
 * A cgroup program runs for the sockets created in its cgroup and below, so
 * on the agent's cgroup (systemd's aegis.service) the rest of the host does
 * not pay for it at all. While no agent cgroup is known or populated (the
 * agent not started yet, or between a restart's exit and its exec) the
 * programs stay on the root, so the first connect of an agent that starts is
 * seen; when its cgroup is attached the root is let go.
 */
#ifndef AEGISMON_NETSCOPE_H
#define AEGISMON_NETSCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct bpf_program;
struct bpf_link;

#define NETSCOPE_PROGS 8
#define NETSCOPE_CGROUPS 8
#define NETSCOPE_LAZY 2

struct netscope_cg {
	bool used;
	char rel[256]; /* below the cgroup2 mount: "/" is the root */
	int fd;
	dev_t dev;
	ino_t ino;
	struct bpf_link *links[NETSCOPE_PROGS];
	struct bpf_link *lazy_links[NETSCOPE_LAZY];
};

struct netscope {
	bool agent_scope;
	bool agent_in_root; /* an agent process runs in the root: only the root serves */
	char mount[256]; /* the cgroup2 mount, "" if none */
	struct bpf_program *progs[NETSCOPE_PROGS];
	size_t nprogs;
	/* with the others while armed (netscope_arm): on demand */
	struct bpf_program *lazy[NETSCOPE_LAZY];
	size_t nlazy;
	bool lazy_armed;
	struct netscope_cg cg[NETSCOPE_CGROUPS]; /* cg[0]: the root */
	/* on the root while the programs are on agent cgroups and another
	 * connect program runs for the agent's sockets: they see what it
	 * refuses after ours let it through */
	struct bpf_program *companions[2];
	struct bpf_link *companion_links[2];
	size_t ncompanions;
	unsigned long long foreign_sig; /* the other programs the companions follow */
	unsigned int own_ids[NETSCOPE_PROGS + NETSCOPE_LAZY + 2];
	unsigned char own_tags[NETSCOPE_PROGS + NETSCOPE_LAZY + 2][8]; /* BPF_TAG_SIZE */
	size_t nown;
	unsigned moves;   /* attachments made or let go after the start */
	char last_error[160];
};

/* Find the cgroup2 mount; no program is attached yet. 0 or -ENOENT. */
int netscope_init(struct netscope *ns, bool agent_scope);
/* A program to attach to each cgroup of the scope (before netscope_start). */
int netscope_add_prog(struct netscope *ns, struct bpf_program *prog);
/* A program for the root while the others are on the agent's cgroups and
 * another connect program runs for the agent's sockets (at most 2; before
 * netscope_start). */
int netscope_add_companion(struct netscope *ns, struct bpf_program *prog);
int netscope_add_lazy(struct netscope *ns, struct bpf_program *prog);
int netscope_arm(struct netscope *ns, bool on);
/* Attach every program to the root. Returns how many attached; the names of
 * those that did not go to failed (comma-separated). */
int netscope_start(struct netscope *ns, char *failed, size_t failed_len);
/* An agent process: in the agent scope, attach its cgroup if it is not yet,
 * and let the root go. 1 when the scope changed, 0 when not, -errno. */
int netscope_follow(struct netscope *ns, pid_t pid);
/* Let go of agent cgroups that were removed; back to the root when no
 * attached agent cgroup has a process left; the companions on the root
 * while another connect program runs for the agent. 1 when the scope
 * changed. */
int netscope_refresh(struct netscope *ns);
/* "agent, cgroup /system.slice/aegis.service" (+ "; companions on the
 * root ..." while they are there), "agent scope, cgroup v2 root
 * until an agent runs", "host (cgroup v2 root)". */
void netscope_describe(const struct netscope *ns, char *buf, size_t len);
/* 1 when the programs sit on agent cgroups only (the root has at most the
 * companions), 0 when the root serves every socket. */
int netscope_on_agent(const struct netscope *ns);
void netscope_close(struct netscope *ns);

#endif
