// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * nftables rule attribution: the listing indexed, its chains walked for one packet.
 * The ruleset is walked the way the kernel walks it for one packet: each base chain whose
 * hook the packet crosses, rule by rule, following jump and goto, stopping at a verdict we
 * are sure of. What we cannot evaluate (ct state, interface names, marks, xt matches...)
 * is assumed to match, and the result is marked uncertain. A rule's expressions are
 * evaluated in nftrules_expr.c, the rule text is found in nftrules_text.c.
 */
#include "nftrules.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "nftrules_int.h"

#define MAX_JUMP_DEPTH 8      /* nested jump/goto followed */

enum walk { W_NEXT, W_STOP, W_RETURN };

/* ---------- results ---------- */

static uint64_t rule_handle(const json_t *rule)
{
	json_int_t h = json_integer_value(json_object_get(rule, "handle"));

	return h > 0 ? (uint64_t)h : 0;
}

/* Reached again from the same base chain (two jumps): one entry, certain if either path is. */
static bool already_seen(struct ctx *c, const struct chain_ix *ch, uint64_t handle,
			 bool certain)
{
	for (int i = 0; i < c->n; i++)
		if (c->seen[i].chain == ch && c->seen[i].base == c->base &&
		    c->seen[i].handle == handle) {
			c->out[i].certain |= certain && !c->base_unc;
			return true;
		}
	return false;
}

static bool grow_seen(struct ctx *c)
{
	struct seen *s;
	int cap;

	if (c->n < c->seen_cap)
		return true;
	cap = c->seen_cap ? c->seen_cap * 2 : 16;
	if (cap > c->max)
		cap = c->max;
	s = realloc(c->seen, (size_t)cap * sizeof(*s));
	if (!s)
		return false;
	c->seen = s;
	c->seen_cap = cap;
	return true;
}

static void record(struct ctx *c, const struct chain_ix *ch, uint64_t handle,
		   const char *verdict, const char *text, bool certain)
{
	struct nft_rule_match *m;

	if (already_seen(c, ch, handle, certain) || c->n >= c->max || !grow_seen(c))
		return;
	c->seen[c->n] = (struct seen){ ch, c->base, handle };
	m = &c->out[c->n++];
	memset(m, 0, sizeof(*m));
	snprintf(m->family, sizeof(m->family), "%s", ch->family);
	snprintf(m->table, sizeof(m->table), "%s", ch->table);
	snprintf(m->chain, sizeof(m->chain), "%s", ch->name);
	snprintf(m->hook, sizeof(m->hook), "%s", c->base->hook);
	snprintf(m->verdict, sizeof(m->verdict), "%s", verdict);
	snprintf(m->text, sizeof(m->text), "%s", text ? text : "");
	m->handle = handle;
	m->certain = certain && !c->base_unc;
}

/* ---------- lookups in the index ---------- */

static int set_cmp(const char *f1, const char *t1, const char *n1, const char *f2,
		   const char *t2, const char *n2)
{
	int d = strcmp(f1, f2);

	if (!d)
		d = strcmp(t1, t2);
	return d ? d : strcmp(n1, n2);
}

const struct set_ix *find_set(const struct ctx *c, const char *name)
{
	const struct chain_ix *b = c->base;
	size_t lo = 0, hi = c->nsets;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct set_ix *s = &c->sets[mid];
		int d = set_cmp(b->family, b->table, name, s->family, s->table, s->name);

		if (!d)
			return s;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct chain_ix *find_chain(const struct ctx *c, const char *family,
					 const char *table, const char *name)
{
	size_t lo = 0, hi = c->nchains;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct chain_ix *ch = &c->chains[mid];
		int d = set_cmp(family, table, name, ch->family, ch->table, ch->name);

		if (!d)
			return ch;
		if (d < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---------- chain walk ---------- */

static enum walk walk_chain(struct ctx *c, const struct chain_ix *ch, int depth, bool unc);

static enum walk follow(struct ctx *c, const struct chain_ix *ch, const struct verdict *v,
			bool unc, int depth)
{
	const struct chain_ix *to = find_chain(c, ch->family, ch->table, v->target);
	enum walk w;

	if (!to || depth >= MAX_JUMP_DEPTH) {
		c->skipped = true;     /* its rules are unknown to us */
		return W_NEXT;
	}
	w = walk_chain(c, to, depth + 1, unc);
	if (c->aborted)
		return W_STOP;
	if (unc)
		return W_NEXT;         /* maybe not taken: go on here */
	if (w == W_STOP)
		return W_STOP;
	/* after a goto the current chain is done; after a jump it goes on */
	return v->kind == V_GOTO ? W_RETURN : W_NEXT;
}

static enum walk apply(struct ctx *c, const struct chain_ix *ch, const json_t *rule,
		       const struct verdict *v, bool unc, int depth)
{
	switch (v->kind) {
	case V_NONE:
		return W_NEXT;
	case V_DROP:
	case V_REJECT:
		record(c, ch, rule_handle(rule), v->kind == V_DROP ? "drop" : "reject", NULL, !unc);
		if (unc)
			break;
		c->base_dropped = !c->base_unc;
		return W_STOP;
	case V_ACCEPT:
		if (unc)
			break;
		return W_STOP;
	case V_RETURN:
		if (unc)
			break;
		return W_RETURN;
	case V_JUMP:
	case V_GOTO:
		return follow(c, ch, v, unc, depth);
	case V_OPAQUE:
		break;
	}
	c->skipped = true;
	return W_NEXT;
}

static enum walk walk_chain(struct ctx *c, const struct chain_ix *ch, int depth, bool unc)
{
	for (size_t i = 0; i < ch->count; i++) {
		const struct rule_ix *r = &c->rules[ch->first + i];
		struct verdict v;
		bool runc = unc;
		enum walk w;

		if (!charge(c, 1))
			return W_STOP;
		if (!rule_matches(c, r->obj, &v, &runc))
			continue;
		w = apply(c, ch, r->obj, &v, runc, depth);
		if (c->aborted || w == W_STOP)
			return W_STOP;
		if (w == W_RETURN)
			return W_NEXT;
	}
	return W_NEXT;
}

/* ---------- base chains ---------- */

static bool family_fits(const char *family, int af)
{
	if (!strcmp(family, "ip"))
		return af == AF_INET;
	if (!strcmp(family, "ip6"))
		return af == AF_INET6;
	return !strcmp(family, "inet") || !strcmp(family, "netdev");
}

/* Order of the hooks along a packet's path; -1 for hooks that never see IP packets. */
static int hook_stage(const char *hook)
{
	static const char *const order[] = {
		"ingress", "prerouting", "input", "forward", "output", "postrouting", "egress",
	};
	static const int stage[] = { 0, 1, 2, 2, 2, 3, 4 };

	for (size_t i = 0; i < NSYM(order); i++)
		if (!strcmp(order[i], hook))
			return stage[i];
	return -1;
}

static bool hook_fits(const char *hook, enum nft_hook_dir dir)
{
	static const struct { const char *hook; unsigned dirs; } tab[] = {
		{ "output", 1u << NFT_DIR_OUTPUT },
		{ "input", 1u << NFT_DIR_INPUT },
		{ "forward", 1u << NFT_DIR_FORWARD },
		{ "prerouting", 1u << NFT_DIR_INPUT | 1u << NFT_DIR_FORWARD },
		{ "postrouting", 1u << NFT_DIR_OUTPUT | 1u << NFT_DIR_FORWARD },
		{ "ingress", 1u << NFT_DIR_INPUT | 1u << NFT_DIR_FORWARD },
		{ "egress", 1u << NFT_DIR_OUTPUT | 1u << NFT_DIR_FORWARD },
	};

	for (size_t i = 0; i < NSYM(tab); i++)
		if (!strcmp(tab[i].hook, hook))
			return dir == NFT_DIR_ANY || (tab[i].dirs & (1u << dir));
	return false;
}

static bool base_applies(const struct ctx *c, const struct chain_ix *ch)
{
	return ch->hook && family_fits(ch->family, c->t->family) &&
	       hook_fits(ch->hook, c->t->dir);
}

/* Packet order: hook stage, then priority, then listing order. */
static int base_cmp(const void *a, const void *b)
{
	const struct chain_ix *x = *(const struct chain_ix *const *)a;
	const struct chain_ix *y = *(const struct chain_ix *const *)b;
	int d = hook_stage(x->hook) - hook_stage(y->hook);

	if (d)
		return d;
	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool same_slot(const struct chain_ix *a, const struct chain_ix *b)
{
	return hook_stage(a->hook) == hook_stage(b->hook) && a->prio == b->prio;
}

static void walk_base(struct ctx *c, const struct chain_ix *b)
{
	enum walk w;

	c->base = b;
	c->skipped = false;
	c->base_dropped = false;
	/* ingress/egress chains are bound to a device the tuple does not name */
	c->base_unc = !strcmp(b->hook, "ingress") || !strcmp(b->hook, "egress");
	w = walk_chain(c, b, 0, false);
	if (c->aborted || w == W_STOP || !b->policy || strcmp(b->policy, "drop"))
		return;
	record(c, b, 0, "drop", "policy drop", !c->skipped);
	c->base_dropped = !c->skipped && !c->base_unc;
}

static int walk_all(struct ctx *c)
{
	// NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, on purpose
	const struct chain_ix **bases = calloc(c->nchains + 1, sizeof(*bases));
	const struct chain_ix *stop = NULL;
	size_t nb = 0;

	if (!bases)
		return -1;
	for (size_t i = 0; i < c->nchains; i++)
		if (base_applies(c, &c->chains[i]))
			bases[nb++] = &c->chains[i];
	qsort(bases, nb, sizeof(*bases), base_cmp); // NOLINT(bugprone-sizeof-expression)
	for (size_t i = 0; i < nb && !c->aborted; i++) {
		/* a certain drop on a known path: later hooks never see the packet */
		if (stop && !same_slot(stop, bases[i]))
			break;
		walk_base(c, bases[i]);
		if (c->base_dropped && c->t->dir != NFT_DIR_ANY && !stop)
			stop = bases[i];
	}
	free(bases);
	return 0;
}

/* ---------- index of the listing ---------- */

static int chain_cmp(const void *a, const void *b)
{
	const struct chain_ix *x = a, *y = b;
	int d = set_cmp(x->family, x->table, x->name, y->family, y->table, y->name);

	return d ? d : x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int sets_cmp(const void *a, const void *b)
{
	const struct set_ix *x = a, *y = b;

	return set_cmp(x->family, x->table, x->name, y->family, y->table, y->name);
}

static int rule_cmp(const void *a, const void *b)
{
	const struct rule_ix *x = a, *y = b;

	if (x->chain != y->chain)
		return x->chain < y->chain ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void add_chain(struct ctx *c, const json_t *o, size_t seq)
{
	struct chain_ix *ch = &c->chains[c->nchains];

	ch->family = jstr(o, "family");
	ch->table = jstr(o, "table");
	ch->name = jstr(o, "name");
	if (!ch->family || !ch->table || !ch->name)
		return;
	ch->hook = jstr(o, "hook");
	ch->policy = jstr(o, "policy");
	ch->prio = json_integer_value(json_object_get(o, "prio"));
	ch->seq = seq;
	c->nchains++;
}

static void add_set(struct ctx *c, const json_t *o)
{
	struct set_ix *s = &c->sets[c->nsets];

	s->family = jstr(o, "family");
	s->table = jstr(o, "table");
	s->name = jstr(o, "name");
	s->elem = json_object_get(o, "elem");
	if (s->family && s->table && s->name)
		c->nsets++;
}

/* Rules are attached to their chain once all chains are known. */
static void add_rule(struct ctx *c, const json_t *o, size_t seq)
{
	c->rules[c->nrules].obj = o;
	c->rules[c->nrules].seq = seq;
	c->nrules++;
}

static void bind_rules(struct ctx *c)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->nrules; i++) {
		const json_t *o = c->rules[i].obj;
		const char *f = jstr(o, "family"), *t = jstr(o, "table"), *n = jstr(o, "chain");
		const struct chain_ix *ch = f && t && n ? find_chain(c, f, t, n) : NULL;

		if (!ch || !json_is_array(json_object_get(o, "expr")))
			continue;
		c->rules[kept] = c->rules[i];
		c->rules[kept++].chain = (size_t)(ch - c->chains);
	}
	c->nrules = kept;
	qsort(c->rules, c->nrules, sizeof(*c->rules), rule_cmp);
	for (size_t i = 0; i < c->nrules; i++) {
		struct chain_ix *ch = &c->chains[c->rules[i].chain];

		if (!ch->count)
			ch->first = i;
		ch->count++;
	}
}

static int build_index(struct ctx *c, const json_t *arr)
{
	size_t n = json_array_size(arr) + 1, i;
	const json_t *o, *x;

	c->chains = calloc(n, sizeof(*c->chains));
	c->rules = calloc(n, sizeof(*c->rules));
	c->sets = calloc(n, sizeof(*c->sets));
	if (!c->chains || !c->rules || !c->sets)
		return -1;
	json_array_foreach(arr, i, o) {
		if (json_is_object(x = json_object_get(o, "chain")))
			add_chain(c, x, i);
		else if (json_is_object(x = json_object_get(o, "rule")))
			add_rule(c, x, i);
		else if (json_is_object(x = json_object_get(o, "set")) ||
			 json_is_object(x = json_object_get(o, "map")))
			add_set(c, x);
	}
	qsort(c->chains, c->nchains, sizeof(*c->chains), chain_cmp);
	qsort(c->sets, c->nsets, sizeof(*c->sets), sets_cmp);
	bind_rules(c);
	return 0;
}

static void free_ctx(struct ctx *c)
{
	free(c->chains);
	free(c->rules);
	free(c->sets);
	free(c->seen);
}

int nft_rules_match(const char *json, size_t len, const struct nft_tuple *t,
		    struct nft_rule_match *out, int max)
{
	struct ctx c = { .t = t, .out = out, .max = max };
	json_error_t err;
	json_t *root;
	int ret;

	if (!json || !t || max < 0 || (max > 0 && !out) ||
	    (t->family != AF_INET && t->family != AF_INET6) ||
	    (unsigned)t->dir > NFT_DIR_FORWARD)
		return -1;
	root = json_loadb(json, len, 0, &err);
	if (!root)
		return -1;
	ret = json_is_array(json_object_get(root, "nftables")) ? 0 : -1;
	if (!ret)
		ret = build_index(&c, json_object_get(root, "nftables"));
	if (!ret)
		ret = walk_all(&c);
	free_ctx(&c);
	json_decref(root);
	return ret < 0 ? -1 : c.n;
}
