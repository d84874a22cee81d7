/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The verdict of a session: the one diagnosis that names the cause of the
 * outage. Every output (the text report, the HTML page, the JSON summary)
 * takes it from verdict_of. Pure: no clock, no allocation.
 */
#ifndef AEGISMON_VERDICT_H
#define AEGISMON_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "diagnosis.h"
#include "relations.h"

#define VERDICT_MAX 64

/* A diagnosis as the verdict weighs it: the latest of its cause and subject. */
struct verdict_entry {
	struct rel_subject s;  /* cause, subject, ts_ns and id of the latest */
	uint64_t first_ns;
	uint32_t uid;
	bool primary;
	bool impostor;         /* about a process judged not the agent */
	bool unverified;
	bool not_installed;    /* agent_not_running: no install at all */
	char summary[DIAG_SUMMARY_LEN];
};

struct verdict_set {
	uint64_t win[REL_WIN_COUNT]; /* the relations' windows (the correlator's config) */
	unsigned n;
	uint64_t dropped;      /* subjects left out when full (the least severe go) */
	struct verdict_entry e[VERDICT_MAX];
};

void verdict_note(struct verdict_set *v, const struct diagnosis *d);
/* What to do about it: the advice its diagnosis gave. */
const char *verdict_advice(const struct verdict_entry *e);

/*
 * The cause of the outage, or NULL: among primary diagnoses that no other
 * explains (the table of relations.c, in either order), never an impostor's
 * activity (that is agent_impostor) nor agent_online: the most severe, then a
 * verified subject, then the earliest, then the lowest id.
 */
const struct verdict_entry *verdict_of(const struct verdict_set *v);

#endif
