/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Internal to the nftables rule matcher (nftrules.c: the index of the listing and the
 * walk of its chains; nftrules_expr.c: one rule's expressions against the tuple).
 * Not part of the public surface. */
#ifndef AEGISMON_NFTRULES_INT_H
#define AEGISMON_NFTRULES_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nftrules.h"

#define MAX_STEPS 500000UL    /* work units per call (~0.2 s): bounds jump fan-out, huge sets */

#define NSYM(a) (sizeof(a) / sizeof((a)[0]))

enum vkind { V_NONE, V_ACCEPT, V_DROP, V_REJECT, V_JUMP, V_GOTO, V_RETURN, V_OPAQUE };

struct verdict {
	enum vkind kind;       /* V_OPAQUE: may end evaluation, we cannot tell how */
	const char *target;    /* jump / goto */
};

struct chain_ix {
	const char *family, *table, *name, *hook, *policy;
	long long prio;
	size_t seq;            /* position in the listing: ties keep nft's order */
	size_t first, count;   /* its rules in ctx.rules */
};

struct rule_ix {
	const json_t *obj;
	size_t chain, seq;
};

struct set_ix {
	const char *family, *table, *name;
	const json_t *elem;
};

struct seen {
	const struct chain_ix *chain, *base;
	uint64_t handle;
};

struct ctx {
	const struct nft_tuple *t;
	struct chain_ix *chains;
	size_t nchains;
	struct rule_ix *rules;
	size_t nrules;
	struct set_ix *sets;
	size_t nsets;
	struct nft_rule_match *out;
	struct seen *seen;     /* one per out[] entry: dedup without comparing cut strings */
	int max, n, seen_cap;
	unsigned long steps;
	bool aborted;          /* work budget exhausted */
	const struct chain_ix *base;
	bool skipped;          /* passed an uncertain rule that may have ended the traversal */
	bool base_unc;         /* base chain bound to a device we do not know */
	bool base_dropped;     /* a certain drop ended this base chain */
};

static inline const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static inline bool charge(struct ctx *c, unsigned long units)
{
	c->steps += units;
	if (c->steps > MAX_STEPS)
		c->aborted = true;
	return !c->aborted;
}

/* The named set or map of the current base chain's table; NULL if there is none. */
const struct set_ix *find_set(const struct ctx *c, const char *name);
/* Evaluate a rule's expressions; false if the packet certainly does not match. */
bool rule_matches(struct ctx *c, const json_t *rule, struct verdict *v, bool *unc);

#endif
