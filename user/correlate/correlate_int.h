/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Internal to the correlator modules (correlate.c: the process table and the
 * events in, correlate_emit.c: delivering diagnoses, correlate_exit.c: deaths
 * and restarts, correlate_net.c: network). Not part of the public surface. */
#ifndef AEGISMON_CORRELATE_INT_H
#define AEGISMON_CORRELATE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "correlate.h"
#include "dns.h"
#include "relations.h"
#include "verdict.h"

#define NSEC 1000000000ULL
#define PROC_SLOTS 1024       /* power of two; agent processes alive at once */
#define MAX_DEFERRED 32       /* exits waiting for a late OOM event */
#define MAX_DEDUP 128
#define MAX_FLAP 32
#define MAX_IGNORED 64        /* dropped impostors whose events may be in flight */
#define SIGKILL_NR 9

struct proc {
	uint32_t tgid; /* 0: free slot */
	uint8_t ident; /* enum agent_identity */
	uint8_t ident_why; /* enum agent_why, for an impostor */
	int8_t core;   /* enum agent_core or CORE_NONE */
	bool forked;   /* forked from an agent process, never exec'd */
	bool counted;  /* counts as a running core process */
	bool has_signal;
	bool has_oom;
	/* with tgid, which process holds the slot: the kernel's start time from
	 * exec, fork or exit (exact), or for a process of the start scan the
	 * scan's time (kstart_upper: it had started by then; /proc's own start
	 * is to a tick and on the boot clock); 0 unknown (a recording before
	 * ABI 4): the tgid alone says. A pid reused after a lost exit comes
	 * with another start and does not inherit the slot. */
	bool kstart_upper;
	uint64_t kstart_ns;
	uint64_t start_ns; /* for the uptime: exec time, or the start scan's start */
	uint32_t uid;
	char comm[AEGIS_COMM_LEN];
	char exe[AEGIS_PATH_LEN];
	struct aegis_signal last_signal; /* the last fatal-capable signal to it */
	char sender_exe[AEGIS_PATH_LEN];
	struct aegis_oom oom;
};

struct core_state {
	unsigned running;
	uint64_t deadline_ns;   /* agent_not_running at this time; 0 = none */
	int last_death;         /* cause of the last death, -1 if none */
	uint64_t last_exit_ns;
	bool exited_once;
	uint64_t restarts[MAX_FLAP];
	unsigned nrestarts;     /* total, index = nrestarts % MAX_FLAP */
	uint64_t flap_emitted_ns;
	bool flap_emitted;
};

struct deferred_exit {
	bool used;
	struct ev exit;
	struct proc proc; /* copy: the table slot is gone */
	uint64_t until_ns;
};

struct dedup_entry {
	bool used;
	enum cause cause;
	char key[AEGIS_PATH_LEN];
	uint64_t first_ns, last_ns;
	uint64_t window_ns;     /* start of the current rate window */
	uint32_t window_emits;  /* delivered in this window */
	uint32_t count;
	bool pending;
	struct diagnosis *held; /* the newest repeat, emitted when the interval ends (in diag_pool) */
	uint64_t last_id;       /* id of the last one delivered: what a held repeat is known by */
};

#define NET_SLOTS 256 /* remote endpoints remembered (attempts, drops) */

/* What we know about one remote endpoint seen from one network namespace. */
struct net_peer {
	bool used;
	uint32_t netns;
	struct aegis_tuple key;   /* family, daddr, dport of the remote side */
	uint64_t last_attempt_ns; /* connect began */
	uint32_t attempt_tgid;
	char attempt_comm[AEGIS_COMM_LEN];
	bool attempt_agent;
	uint64_t last_drop_ns;    /* a local netfilter drop */
	uint32_t drops;
	struct ev drop;           /* the first drop of the current run */
	uint64_t last_tcp_fail_ns; /* a TCP-level failure already reported */
	int failed_cause;         /* last failure cause, -1 none: for agent_online */
	uint64_t stall_sock;      /* the stall said last: its socket and its start */
	uint64_t stall_since_ns;
	uint64_t last_used_ns;
	/* describe_peer's text, kept: the same peer fails thousands of times in
	 * a storm, and the key (family, address, port) is fixed for the slot */
	char where[96];            /* "" until made */
	uint8_t where_proto;       /* what it was made from, besides the key */
	char where_qname[DNS_NAME_MAX];
};

/*
 * Network namespaces the agent's own sockets were seen in (its connects and
 * TCP events carry the namespace). A drop or a failure of another process
 * concerns the agent only in one of these: a user's private namespace
 * (unshare -Urn) is not the agent's. An entry lasts AGENT_NETNS_TTL_NS after
 * the agent's last socket event there: a namespace inode is reused once the
 * namespace is gone.
 */
#define AGENT_NETNS_SLOTS 8
#define AGENT_NETNS_TTL_NS (600 * NSEC)

struct agent_netns {
	uint32_t inum;            /* 0: free */
	uint64_t last_ns;
};

#define DNS_PENDING 256          /* watched queries awaiting an answer */
#define DNS_PENDING_BUCKETS 512  /* power of two: the hash of id and ports */
#define DNS_NAMES 128            /* learned address -> name, for attribution */
/* An answer that matches no query is said at most this often (event time). */
#define DNS_WARN_INTERVAL_NS (60 * NSEC)

/* A watched query that left, waiting for its answer. The links are slot + 1
 * (0: none), so the zeroed table of a new correlator is empty. */
struct dns_pending {
	bool used;
	uint64_t ts_ns;           /* the first try: the lifetime runs from it */
	struct aegis_tuple tuple; /* as the query left: client -> server */
	uint64_t sock;            /* the socket's cookie (0: a recording before ABI 3) */
	uint32_t netns;           /* the sender's network namespace, 0 unknown */
	uint16_t id;
	uint16_t qtype, qclass;
	uint32_t tgid;
	char comm[AEGIS_COMM_LEN];
	char qname[DNS_NAME_MAX];
	uint16_t hnext;           /* next in its bucket (or in the free list) */
	uint16_t older, newer;    /* the age list: the oldest is evicted first */
};

struct dns_name {
	int family;
	uint8_t addr[16];
	uint64_t last_ns;
	char qname[DNS_NAME_MAX];
};

/* A resource condition that must hold for the whole window (correlate_res.c). */
struct res_run {
	uint64_t since_ns;  /* start of the first sample of the current run; 0: none */
	bool reported;      /* said for this run: re-armed when the condition clears */
	unsigned n;         /* samples in the run */
	uint64_t sum;       /* of the judged figure, for the mean */
	uint32_t min, max;
	struct ev first;    /* the sample that started the run */
};

struct res_state {
	uint64_t last_ns;   /* previous sample */
	struct res_run cpu, mem, starve;
};

/* A problem that may last (correlate_active.c): one per cause and subject. */
#define ACTIVE_SLOTS 64

struct active_entry {
	bool used;
	enum cause cause;
	uint64_t last_ns;         /* its last occurrence */
	bool has_peer;
	struct aegis_tuple peer;
	char process[32];
	char qname[DNS_NAME_MAX];
};

struct correlator {
	struct correlator_config cfg;
	diag_fn fn;
	void *ctx;
	struct correlator_stats stats;
	uint64_t now_ns;
	bool seeded;
	struct proc procs[PROC_SLOTS];
	struct core_state cores[CORE_COUNT];
	struct deferred_exit deferred[MAX_DEFERRED];
	/* the memory cgroup limits of the last OOM marks, by victim */
	struct {
		uint32_t tgid;
		struct memcg_limit limit;
	} oom_memcg[8];
	unsigned oom_memcg_next;
	struct dedup_entry dedup[MAX_DEDUP];
	unsigned dedup_hint;      /* entry of the last diagnosis: a storm repeats one */
	uint32_t ignored[MAX_IGNORED]; /* ring of impostor tgids, 0 = empty */
	unsigned nignored;
	struct net_peer peers[NET_SLOTS];
	unsigned peer_hint;       /* slot of the last peer found: a storm hits one peer */
	struct agent_netns agent_netns[AGENT_NETNS_SLOTS];
	struct dns_pending dns_pending[DNS_PENDING];
	uint16_t dns_buckets[DNS_PENDING_BUCKETS];
	uint16_t dns_oldest, dns_newest; /* ends of the age list */
	uint16_t dns_free;        /* freed slots */
	uint16_t dns_slots_used;  /* slots ever taken */
	uint64_t dns_warned_ns;   /* the last warning of an unmatched answer */
	bool dns_warned;
	bool learned_full_said;
	struct learned_set learned; /* addresses learned from matched answers */
	uint64_t probes_since_ns; /* correlator_set_probes_since */
	struct dns_name dns_names[DNS_NAMES];
	unsigned dns_names_used;  /* slots ever written: lookups (one per failed connect) scan only these */
	struct res_state res;
	struct dns_msg dns_msg; /* parsed here: no allocation per message */
	/* Diagnoses are built in *scratch (no allocation per event). Holding a
	 * repeat back swaps scratch with the entry's held buffer instead of
	 * copying 8.5 KiB: one buffer per dedup entry and one spare. */
	struct diagnosis diag_pool[MAX_DEDUP + 1];
	struct diagnosis *scratch;
	/* what explains what (relations.c) and the verdict (verdict.c) */
	uint64_t next_id;         /* the id of the last diagnosis delivered */
	uint64_t rel_win[REL_WIN_COUNT];
	struct rel_memory rel;
	struct verdict_set verdicts;
	struct active_entry active[ACTIVE_SLOTS];
	unsigned active_hint;     /* the entry noted last */
};


/* snprintf(dst, cap, "%s", src) without the formatting machinery: the hot
 * path copies names once per event. */
static inline void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

struct diagnosis *diag_begin(struct correlator *c, enum cause cause, const struct proc *p);
void diag_add_evidence(struct diagnosis *d, const struct ev *e);
/* Deliver or aggregate by (cause, key). */
void emit(struct correlator *c, struct diagnosis *d, const char *key);
/* Deliver the held repeats whose interval ended (all: every one). */
void release_held(struct correlator *c, bool all);
const char *process_name(const struct proc *p);
struct proc *proc_find(struct correlator *c, uint32_t tgid);
/* proc_find, but a slot of an older process under tgid is retired: NULL. */
struct proc *proc_lookup(struct correlator *c, uint32_t tgid, uint64_t start_ns);
void proc_remove(struct correlator *c, struct proc *p);
/* A pid judged an impostor and no longer tracked (its events still come). */
bool proc_is_impostor(struct correlator *c, uint32_t tgid);
/* Its entry in the ring of dropped impostors, or NULL. */
uint32_t *ignored_slot(struct correlator *c, uint32_t tgid);

/* Deaths and restarts (correlate_exit.c). A core process started: a restart
 * within the window counts toward agent_flapping. */
void core_started(struct correlator *c, struct proc *p);
/* Diagnose the exit of p and count it gone (a deferred one, too). */
void finish_exit(struct correlator *c, const struct ev *e, const struct proc *p);
/* An exit: diagnosed now, or held a moment for a late OOM mark. */
void on_exit_ev(struct correlator *c, const struct ev *e);
void on_oom(struct correlator *c, const struct ev *e);
/* On a tick: the held exits and the grace deadlines that are due. */
void on_time(struct correlator *c);

void net_on_connect(struct correlator *c, const struct ev *e);
void net_on_tcp(struct correlator *c, const struct ev *e);
void net_on_drop(struct correlator *c, const struct ev *e);
void net_on_retrans(struct correlator *c, const struct ev *e);
/* A socket event (flags AEGIS_NET_*, its namespace inode) concerns the agent:
 * its own socket, or a namespace its sockets were seen in (remembered here). */
bool net_concerns_agent(struct correlator *c, uint32_t flags, uint32_t netns);

void dns_on_message(struct correlator *c, const struct ev *e);
void dns_on_sockerr(struct correlator *c, const struct ev *e);
/* A netfilter drop on port 53; true if it was taken as a DNS matter. */
bool dns_on_drop(struct correlator *c, const struct ev *e);
void dns_on_tick(struct correlator *c);
void res_on_sample(struct correlator *c, const struct ev *e);
/* The name a remote address was learned from, or NULL. */
const char *dns_name_of(const struct correlator *c, int family, const uint8_t *addr);
/* A reported resource condition (cpu_saturated, ...) still holds. */
bool res_holds(const struct correlator *c, enum cause cause);

/* What ends a lasting problem (correlate_active.c): d occurred; a process of
 * that name runs again; the agent connected to remote; qname resolved. */
void active_note(struct correlator *c, const struct diagnosis *d);
void active_process_up(struct correlator *c, const char *name);
void active_peer_up(struct correlator *c, const struct aegis_tuple *remote);
void active_name_up(struct correlator *c, const char *qname);

#endif
