/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Loading, attaching and talking to the BPF side. */
#ifndef AEGISMON_LOADER_H
#define AEGISMON_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "events.h"
#include "netscope.h"

struct lifecycle_bpf;
struct netpath_bpf;
struct dns_bpf;
struct sched_bpf;
struct domain_set;
struct ring_buffer;
struct perf_buffer;
struct perf_batch;
struct btf;
struct endpoint_set;

typedef int (*loader_event_fn)(void *ctx, void *data, size_t size);

/* How connect() is traced (see choose_connect_hook). */
enum loader_connect_hook {
	LOADER_CONNECT_SYSCALL,
	LOADER_CONNECT_CGROUP,
	LOADER_CONNECT_FEXIT,
};

/*
 * Which variant of each probe family this kernel gets, and why: the
 * kernel's features, or an AEGISMON_FORCE_* switch (to run the fallbacks on
 * a kernel that does not need them: tests, and a way out if a newer variant
 * misbehaves somewhere).
 */
struct loader_plan {
	bool perfbuf;    /* perf buffer instead of the BPF ring buffer (< 5.8) */
	bool classic_tp; /* lifecycle on classic tracepoints instead of raw_tp */
	bool drop_site;  /* netfilter drops told by the site that freed them (< 5.17) */
	bool syscall_connect; /* connect() not by cgroup/connect4+6 (< 5.18): by fexit
			       * on __sys_connect, or the syscall tracepoints */
	bool fexit_connect;  /* ...by fexit (BPF trampolines), not the syscall tracepoints */
	bool trampoline;     /* fentry/fexit attach here (asked only where needed) */
	bool sk_error_fentry; /* socket errors (ICMP to a DNS socket) by fentry on
			       * sock_def_error_report: no inet_sk_error_report (< 5.14) */
	bool no_sk_error;    /* neither: an unreachable nameserver shows as a timeout */
	bool host_scope; /* network programs on the cgroup v2 root and TCP tracepoints,
			  * not on the agent's cgroups */
	char perfbuf_why[96];
	char classic_why[96];
	char drop_why[96];
	char connect_why[96];
	char trampoline_why[96];
	char sk_error_why[128];
	char scope_why[96];
};

/* Probe the kernel (program and map types need root) and read the switches. */
void loader_plan(struct loader_plan *p);
/* Has struct type a member named member in btf (NULL: no)? */
bool loader_btf_has_member(const struct btf *btf, const char *type, const char *member);
/* "perf buffer, classic tracepoints" for the fallbacks in use, "" for none. */
void loader_plan_summary(const struct loader_plan *p, char *buf, size_t len);

struct loader {
	struct lifecycle_bpf *skel;   /* owns the shared maps */
	struct netpath_bpf *net;
	struct dns_bpf *dns;
	struct sched_bpf *sched;      /* run-queue waits of agent threads; NULL if it did not load */
	struct netscope scope;        /* where the cgroup programs are attached */
	enum loader_connect_hook connect_hook;
	struct ring_buffer *rb;
	struct perf_buffer *pb;       /* instead of rb when plan.perfbuf */
	struct loader_plan plan;
	loader_event_fn fn;
	void *fn_ctx;
	uint64_t perf_lost;           /* samples the kernel could not put in the perf buffer */
	struct perf_batch *batch;     /* perf samples of one read, put in time order */
	/* kfree_skb and inet_sk_error_report, attached on demand in the agent
	 * scope (net_on_demand) by loader_net_arm, with sockops (lazy in the
	 * network scope) */
	bool net_on_demand;
	struct bpf_program *drop_progs[4];
	struct bpf_link **drop_links[4];
	/* on_connect_denied (sys_exit_connect): only while an agent process is
	 * confined (loader_unhooked_arm) */
	struct bpf_link *denied_link;
	size_t ndrop;
	unsigned attached;
	unsigned failed;
	char failed_names[256];
	uint64_t attach_ns; /* open to all attached */
};

/* Exit status 3 with a message when the host cannot run us: not root (no
 * CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN), no kernel BTF, no BPF syscall. */
int loader_check_env(char *err, size_t errlen);

void loader_set_verbose(bool verbose);
/* The oom:mark_victim prototype: (task, uid) since 6.9, or (int pid). */
bool loader_mark_victim_takes_task(void);
/* Use the kernel types in path instead of /sys/kernel/btf/vmlinux (NULL: the kernel's). */
void loader_set_btf(const char *path);
/* Do the probes stamp events with the boot clock (bpf_ktime_get_boot_ns,
 * 5.8+), or the monotonic clock? The same BTF their CO-RE choice reads
 * (bpf/maps.bpf.h aegis_now_ns) answers; no BTF: the boot clock. */
bool loader_boot_clock(void);
/* --net-scope host: the network programs on the whole host, as before the
 * agent scope (also sees other processes' connects to the endpoints). */
void loader_set_host_scope(bool host);

/* --net-probes always: sockops, kfree_skb and inet_sk_error_report attached
 * for the whole run in the agent scope too (they always are in the host
 * scope, where TCP state comes from tracepoints instead of sockops). */
void loader_set_net_probes_always(bool always);

const char *loader_connect_hook_name(enum loader_connect_hook h);

/* Open, load and attach. Returns 0, or 3 with err set (environment). */
int loader_open(struct loader *l, unsigned ringbuf_kib, const struct endpoint_set *eps,
		const struct domain_set *doms, loader_event_fn fn, void *ctx, char *err, size_t errlen);
void loader_close(struct loader *l);

int loader_epoll_fd(const struct loader *l);
/* Consume what the ring buffer (or perf buffer) holds; returns events
 * consumed (the ring buffer) or 0 (the perf buffer), or -errno. */
int loader_consume(struct loader *l);

int loader_track(struct loader *l, uint32_t tgid);
/* An agent process (at start, at exec): in the agent scope its cgroup gets
 * the network programs. 1 when the scope changed, 0 when not, -errno. */
int loader_follow_agent(struct loader *l, pid_t pid);
/* At every tick of the event loop: let go of removed agent cgroups, back
 * to the root when no agent cgroup has a process. 1 when the scope changed. */
int loader_refresh_scope(struct loader *l);
int loader_untrack(struct loader *l, uint32_t tgid);
/* Agent scope: watched TCP connects still waiting for their SYN age_ns after
 * they began (the SYN leaves inside connect(), so these failed before it: no
 * route) are taken out of the kernel map and given to fn. Only connects made
 * while sockops was there are in it (those before go to unarmed_connects).
 * Returns how many. */
int loader_expire_presyn(struct loader *l, uint64_t now_ns, uint64_t age_ns,
			 void (*fn)(void *ctx, const struct pending_connect *pc), void *ctx);
/* Add one address (a learned endpoint) or a CIDR to the kernel endpoint set. */
int loader_add_endpoint(struct loader *l, int family, const unsigned char *addr, unsigned prefixlen);
/* Remove one such entry (absent: not an error). 0 or -errno. */
int loader_del_endpoint(struct loader *l, int family, const unsigned char *addr, unsigned prefixlen);
/* correlator_config.forget (ctx: the loader): a learned address whose TTL ran
 * out leaves the kernel endpoint set. */
void loader_forget_endpoint(void *loader, int family, const uint8_t *addr);
/* Replace the configured endpoints / watched domains (a config reload):
 * entries only in old are removed, learned addresses stay. 0 or -errno. */
int loader_set_endpoints(struct loader *l, const struct endpoint_set *old, const struct endpoint_set *eps);
int loader_set_domains(struct loader *l, const struct domain_set *old, const struct domain_set *doms);
/* Attach (on) or detach the scheduler probes. They run at every context
 * switch of the host, so they are attached only while the agent's threads
 * wait to run (res_sample decides). 0, or -errno (-ENOENT: not loaded). */
int loader_sched_arm(struct loader *l, bool on);
/* Attach (on) or detach the network probes on demand: kfree_skb (netfilter
 * drops), inet_sk_error_report (ICMP errors on DNS sockets) and sockops on
 * the agent's cgroups run for every dropped packet, socket error and TCP
 * connect of the host, so in the agent scope they are attached only while
 * the agent uses the network (the session decides). All or none.
 * 0, or -errno (-ENOENT: none loaded). */
int loader_net_arm(struct loader *l, bool on);
/* The run-queue wait histogram of agent threads since load, summed over the
 * CPUs: AEGIS_RQ_SLOTS slots then the sum in ns. 0, or -ENOENT without the
 * scheduler probes. */
int loader_rq_hist(struct loader *l, uint64_t out[AEGIS_RQ_CELLS]);
/* The wait the kernel counts as starved (AEGIS_RQ_OVER), in ns. 0 or -errno. */
int loader_rq_threshold(struct loader *l, uint64_t ns);
/*
 * The exit probe of connects refused before the network probes (seccomp, an
 * LSM): attached (on) or detached. A syscall tracepoint puts every syscall
 * of every task of the host on the traced slow path while it is attached, so
 * the session attaches it only while an agent process is confined. 0,
 * -ENOENT when this session has no such probe (the syscall path sees those
 * refusals itself), or -errno.
 */
int loader_unhooked_arm(struct loader *l, bool on);
/* Call fn for every process in the kernel's agent set (at most max). */
int loader_for_each_tracked(struct loader *l, void (*fn)(uint32_t tgid, void *ctx), void *ctx,
			    unsigned max);
/* Sum of a per-CPU counter. AEGIS_CNT_RINGBUF_FULL: with a perf buffer, the
 * larger of that and the kernel's lost-sample count. */
uint64_t loader_counter(struct loader *l, enum aegis_counter idx);

#endif
