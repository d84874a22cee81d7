/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * What explains what: the one table of relations between causes that the
 * correlator reads (relations.c), and the memory of recent diagnoses that
 * may explain later ones. A diagnosis explained by another is not primary;
 * it names the explaining cause (explained_by) and diagnosis (explained_by_id).
 * Pure: no clock, no allocation.
 */
#ifndef AEGISMON_RELATIONS_H
#define AEGISMON_RELATIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "diagnosis.h"

#define REL_CAUSE(c) (1ULL << (c))

/* What the two diagnoses must share. */
enum rel_match {
	REL_SAME_PID,      /* the same subject process */
	REL_SAME_PROCESS,  /* the same agent process name (AliYunDun, ...) */
	REL_SAME_ENDPOINT, /* the same remote address and port */
	REL_SAME_NAME,     /* the same Aegis name (a DNS failure, a connect to an address learned for it) */
	REL_HOST,          /* nothing: a host-wide condition */
};

/* How far apart they may be (event time): a window of the configuration. */
enum rel_window {
	REL_WIN_NET,       /* --net-window: a drop or failure explains what follows */
	REL_WIN_FLAP,      /* the flapping window */
	REL_WIN_RES,       /* the resource window (refreshed while the condition holds) */
	REL_WIN_SESSION,   /* no limit: the latest one explains */
	REL_WIN_COUNT
};

struct relation {
	uint64_t explaining;   /* REL_CAUSE() mask */
	uint64_t explained;    /* REL_CAUSE() mask */
	enum rel_match match;
	enum rel_window window;
	/* the explaining diagnosis may come after the explained one (a fold:
	 * flapping counts exits already said): applied by the verdict */
	bool either_order;
	const char *why;       /* for the reader: docs and README say the same */
};

/* The table, in priority order: the first row that applies wins. */
const struct relation *relations_table(unsigned *n);

/* What a relation compares of a diagnosis. */
struct rel_subject {
	enum cause cause;
	uint32_t pid;
	bool has_peer;
	uint8_t family;
	uint16_t dport;
	uint8_t daddr[16];
	uint64_t ts_ns;
	uint64_t id;           /* the diagnosis's id, 0 if none */
	char process[32];
	char qname[DNS_NAME_MAX];
};

void rel_subject_of(const struct diagnosis *d, struct rel_subject *s);

/* The first row under which a explains b, or NULL. any_order: a may also
 * come after b (rows with either_order). win: by enum rel_window. */
const struct relation *relation_between(const struct rel_subject *a, const struct rel_subject *b,
					const uint64_t win[REL_WIN_COUNT], bool any_order);

/* Is cause c the explaining side of any row? */
bool relations_explains_any(enum cause c);

#define REL_RECENT 64

/* Recent diagnoses that may explain later ones: one slot per cause and
 * subject, the oldest goes when full. */
struct rel_memory {
	uint64_t causes;       /* REL_CAUSE() of every cause ever remembered: a quick no */
	struct rel_subject recent[REL_RECENT];
	bool used[REL_RECENT];
};

/* Remember d (when its cause explains anything) under id. */
void relations_note(struct rel_memory *m, const struct diagnosis *d, uint64_t id);
/* A remembered cause still holds at ts (a resource condition): its window
 * runs from ts. */
void relations_refresh(struct rel_memory *m, enum cause cause, uint64_t ts);
/* Mark d explained by the newest remembered diagnosis that explains it:
 * primary false, explained_by, explained_by_id. True if it was. */
bool relations_explain(const struct rel_memory *m, struct diagnosis *d, const uint64_t win[REL_WIN_COUNT]);

#endif
