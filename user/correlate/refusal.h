/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What refused a connect() that failed with EPERM or EACCES while netfilter
 * dropped nothing (connect_blocked_policy): looked up on the live host at
 * diagnosis time, by the enrichment worker (enrich.c), never in the event loop.
 *
 * Three things can refuse a connect() before a packet exists, in the order the
 * kernel runs them: a seccomp filter (at syscall entry: the syscall never
 * runs), an LSM (security_socket_connect) and a cgroup BPF connect4/connect6
 * program (inside the protocol's connect). The kernel does not say which one
 * refused; what this module reports is what was seen on the process then: a
 * connect program not aegismon's on its cgroup, its seccomp filters, its LSM
 * label. Whether the connect reached the cgroup hook narrows it: one refused
 * before the hook (seen at the syscall's exit, AEGIS_NET_UNHOOKED) was refused
 * by seccomp or an LSM; one the hook saw got past seccomp.
 */
#ifndef AEGISMON_REFUSAL_H
#define AEGISMON_REFUSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diagnosis.h"

#define REFUSAL_MAX_PROGS 4

/* What the host shows of a process (refusal_gather), for refusal_choose. */
struct refusal_facts {
	bool gone;              /* /proc/PID was not there any more */
	unsigned nprogs;        /* connect programs not ours effective on its cgroup */
	struct {
		uint32_t id;
		char name[16];
		char cgroup[160];   /* where it is attached ("" if not found) */
	} progs[REFUSAL_MAX_PROGS];
	int seccomp;            /* Seccomp: of its status, -1 unknown */
	int seccomp_filters;    /* Seccomp_filters:, -1 unknown */
	char lsms[96];          /* /sys/kernel/security/lsm, "" if unreadable */
	char lsm[16];           /* the LSM whose label is below */
	char label[64];         /* the process's label, "" if none */
};

/* The mechanism name in the JSON: "cgroup_bpf", "seccomp", "lsm", "unknown". */
const char *refusal_mechanism_name(enum policy_mechanism m);

/* Does an LSM label confine its process? AppArmor: not "unconfined" nor a
 * profile in complain mode; SELinux: a type other than unconfined_t. */
bool refusal_label_confines(const char *lsm, const char *label);

/* The policy of a diagnosis from the facts; before_hook: the connect never
 * reached the network probes (refused at syscall entry or by an LSM). */
void refusal_choose(const struct refusal_facts *f, bool before_hook, struct diag_policy *out);

/* "; a seccomp filter (1) confines the process", appended to the summary:
 * what was seen, nothing more. Returns the length written (snprintf's). */
int refusal_describe(const struct diag_policy *p, char *buf, size_t len);

/* Could process tgid have a connect refused before the network probes see
 * it: a seccomp filter, or an LSM label that confines it? From its status
 * and attr files; false when it is gone. */
bool refusal_confined(uint32_t tgid);

/* Look at the live host: process tgid (thread tid, 0 if unknown). Fills f;
 * 0, or -errno when nothing could be read at all. */
int refusal_gather(uint32_t tgid, uint32_t tid, struct refusal_facts *f);

#endif
