/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* A diagnosis: one cause, its subject, evidence and advice. */
#ifndef AEGISMON_DIAGNOSIS_H
#define AEGISMON_DIAGNOSIS_H

#include <stdbool.h>
#include <stdint.h>

#include "causes.h"
#include "ev.h"
#include "nftrules.h"
#include "dns.h"

#define DIAG_MAX_EVIDENCE 4
#define DIAG_SUMMARY_LEN 512
#define DIAG_MAX_RULES 4

/* What refused a connect() that failed with EPERM/EACCES and no netfilter
 * drop (connect_blocked_policy), as seen on the live host (user/correlate/refusal.c). */
enum policy_mechanism {
	POLICY_NOT_INSPECTED = 0, /* not looked at (a replay, another cause) */
	POLICY_CGROUP_BPF,        /* a connect program not ours on the process's cgroup */
	POLICY_SECCOMP,           /* the process runs under seccomp filters */
	POLICY_LSM,               /* an LSM confines the process (a label not "unconfined") */
	POLICY_UNKNOWN,           /* none of them was seen */
};

struct diag_policy {
	enum policy_mechanism mechanism;
	bool gone;              /* the process exited before it could be inspected */
	uint32_t prog_id;       /* cgroup_bpf: the program, */
	char prog_name[16];     /* its name (BPF_OBJ_NAME_LEN), */
	char cgroup[160];       /* and the cgroup it is attached at (a path) */
	int seccomp_filters;    /* seccomp: filters installed, -1 if the kernel does not say */
	char lsm[16];           /* lsm: which one (apparmor, selinux, ...), */
	char label[64];         /* the process's label */
	char lsms[96];          /* the active LSMs, "" if securityfs is not there */
};

/* Why a connect_blocked_local has no rules (its rules_unread). */
#define RULES_UNREAD_TIMEOUT "timeout"       /* nft did not list them within the hold */
#define RULES_UNREAD_NO_NFT "no_nft"         /* no nft binary to run */
#define RULES_UNREAD_TOO_LARGE "too_large"   /* a listing over NFT_OUTPUT_MAX */
#define RULES_UNREAD_NFT_FAILED "nft_failed" /* nft failed, or could not enter the namespace */
#define RULES_UNREAD_NETNS_GONE "netns_gone" /* the drop's namespace is gone */

struct diagnosis {
	enum cause cause;
	bool primary;
	int explained_by;      /* cause that explains this one, or -1 */
	uint64_t id;           /* per session, in the order the correlator delivers: 1, 2, ... (0: none) */
	uint64_t explained_by_id; /* id of the diagnosis that explains this one, 0 if none */
	uint64_t ts_ns;        /* event time it was made at */
	uint64_t first_ns;     /* first occurrence (aggregated by cause + subject) */
	uint64_t last_ns;
	uint32_t count;
	uint64_t events_lost;  /* events lost so far in the session */

	/* subject: the agent process */
	uint32_t pid;          /* 0 when the subject is a process name, not a pid */
	uint32_t uid;          /* the subject process's real uid (with pid) */
	bool unverified;       /* its start was not seen (events lost): nothing vouches
				  that it is the agent, so nothing is done on its word */
	bool impostor;         /* the subject is a process judged not the agent: what it
				  does is never the agent's cause (it is agent_impostor) */
	bool not_installed;    /* agent_not_running because no install was found */
	char process[32];      /* AliYunDun, AliYunDunMonitor, ... */
	char comm[AEGIS_COMM_LEN];
	char exe[AEGIS_PATH_LEN];
	int exit_status;       /* -1 if not applicable */
	int signal;            /* 0 if none */
	bool core_dumped;
	uint64_t uptime_ns;    /* 0 if unknown */
	/* network subject: the remote endpoint */
	bool has_peer;
	struct aegis_tuple peer; /* daddr/dport = the remote side; proto */
	int err;               /* errno of the failure, 0 if none */
	uint32_t packets;      /* packets dropped, for connect_blocked_local */
	char hook[16];         /* OUTPUT / INPUT, for local drops */
	char qname[DNS_NAME_MAX]; /* the Aegis name (DNS causes; a connect to a learned address) */
	uint16_t qtype;
	int rcode;             /* -1 if none */
	bool is_dns;           /* peer is the nameserver */
	bool peer_unknown;     /* the connect was refused before the kernel read its address */
	/* filled from the live host (enrich.c), not by the correlator */
	char drop_symbol[96];  /* kernel function that dropped: nf_hook_slow+0x9b */
	struct diag_policy policy; /* connect_blocked_policy: what refused it */
	struct memcg_limit memcg;  /* agent_oom_killed: the cgroup limit it ran into
				      (path "" when the OOM was not at a limit) */
	char rules_unread[16]; /* connect_blocked_local without rules because nft could not
				  be read: one of RULES_UNREAD_* ("" when it was read: then
				  no rule matched, or some did) */
	unsigned nrules;       /* nftables rules that match the dropped packet (the rules
				  array after it is copied in part: keep new fields above) */
	struct nft_rule_match rules[DIAG_MAX_RULES];

	char summary[DIAG_SUMMARY_LEN];
	unsigned n_evidence;
	struct ev evidence[DIAG_MAX_EVIDENCE];
};

#endif
