// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * nftables rule attribution. The ruleset is walked the way the kernel walks it for one
 * packet: each base chain whose hook the packet crosses, rule by rule, following jump and
 * goto, stopping at a verdict we are sure of. What we cannot evaluate (ct state, interface
 * names, marks, xt matches...) is assumed to match, and the result is marked uncertain.
 */
#include "nftrules.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_JUMP_DEPTH 8      /* nested jump/goto followed */
#define MAX_NEST 8            /* set / elem / concat nesting followed on a right-hand side */
#define MAX_CONCAT 8          /* components of a concatenation */
#define MAX_STEPS 500000UL    /* work units per call (~0.2 s): bounds jump fan-out, huge sets */

enum tri { T_NO, T_YES, T_UNK };

/* What a left-hand expression is for this packet: a value, a header it lacks, or unknown. */
enum key_state { K_OK, K_ABSENT, K_UNK };

/* How string constants of an integer key are spelled (tcp, ipv4, http...). */
enum vsym { SYM_NONE, SYM_PORT, SYM_PROTO, SYM_NFPROTO, SYM_ETHER };

struct val {
	int alen;              /* 4 or 16 for an address, 0 for an integer */
	uint8_t addr[16];
	uint64_t num;
	enum vsym sym;
};

struct key {
	int n;                 /* 1, or the number of components of a concatenation */
	struct val v[MAX_CONCAT];
};

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

enum walk { W_NEXT, W_STOP, W_RETURN };

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

/* ---------- small helpers ---------- */

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* nft statements and expressions are objects with a single key naming them. */
static const json_t *stmt_of(const json_t *o, const char **name)
{
	void *it = json_is_object(o) ? json_object_iter((json_t *)o) : NULL;

	*name = it ? json_object_iter_key(it) : NULL;
	return it ? json_object_iter_value(it) : NULL;
}

static bool charge(struct ctx *c, unsigned long units)
{
	c->steps += units;
	if (c->steps > MAX_STEPS)
		c->aborted = true;
	return !c->aborted;
}

static enum tri tri_not(enum tri x)
{
	return x == T_UNK ? T_UNK : x == T_YES ? T_NO : T_YES;
}

/* ---------- symbols ---------- */

struct sym {
	const char *name;
	uint64_t num;
};

static const struct sym port_syms[] = {
	{ "ftp", 21 }, { "ssh", 22 }, { "telnet", 23 }, { "smtp", 25 }, { "domain", 53 },
	{ "http", 80 }, { "www", 80 }, { "ntp", 123 }, { "https", 443 },
};
static const struct sym proto_syms[] = {
	{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 }, { "dccp", 33 },
	{ "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "icmpv6", 58 }, { "ipv6-icmp", 58 },
	{ "comp", 108 }, { "sctp", 132 }, { "udplite", 136 },
};
static const struct sym nfproto_syms[] = { { "ipv4", 2 }, { "ipv6", 10 } };
static const struct sym ether_syms[] = {
	{ "ip", 0x0800 }, { "arp", 0x0806 }, { "vlan", 0x8100 }, { "ip6", 0x86dd },
};

#define NSYM(a) (sizeof(a) / sizeof((a)[0]))

static bool sym_lookup(const struct sym *tab, size_t n, const char *s, uint64_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(tab[i].name, s)) {
			*out = tab[i].num;
			return true;
		}
	return false;
}

static bool sym_num(enum vsym sym, const char *s, uint64_t *out)
{
	switch (sym) {
	case SYM_PORT: return sym_lookup(port_syms, NSYM(port_syms), s, out);
	case SYM_PROTO: return sym_lookup(proto_syms, NSYM(proto_syms), s, out);
	case SYM_NFPROTO: return sym_lookup(nfproto_syms, NSYM(nfproto_syms), s, out);
	case SYM_ETHER: return sym_lookup(ether_syms, NSYM(ether_syms), s, out);
	case SYM_NONE: break;
	}
	return false;
}

/* ---------- left-hand side: what the packet carries ---------- */

static enum key_state set_num(struct val *v, uint64_t num, enum vsym sym)
{
	v->alen = 0;
	v->num = num;
	v->sym = sym;
	return K_OK;
}

static enum key_state set_addr(struct val *v, const uint8_t *a, int alen)
{
	v->alen = alen;
	memcpy(v->addr, a, (size_t)alen);
	v->sym = SYM_NONE;
	return K_OK;
}

/* ip / ip6 header fields; the other family's header is absent (nft adds that dependency). */
static enum key_state l3_key(const struct nft_tuple *t, bool v6, const char *field, struct val *v)
{
	int alen = v6 ? 16 : 4;

	if (t->family != (v6 ? AF_INET6 : AF_INET))
		return K_ABSENT;
	if (!strcmp(field, "saddr"))
		return set_addr(v, t->saddr, alen);
	if (!strcmp(field, "daddr"))
		return set_addr(v, t->daddr, alen);
	if (!strcmp(field, v6 ? "nexthdr" : "protocol"))
		return set_num(v, t->l4proto, SYM_PROTO);
	return K_UNK;
}

static int l4_number(const char *proto)
{
	uint64_t n;

	return sym_lookup(proto_syms, NSYM(proto_syms), proto, &n) ? (int)n : -1;
}

static enum key_state l4_key(const struct nft_tuple *t, const char *proto, const char *field,
			     struct val *v)
{
	bool th = !strcmp(proto, "th");
	int num = th ? -1 : l4_number(proto);
	bool ported = t->l4proto == IPPROTO_TCP || t->l4proto == IPPROTO_UDP;

	if (!th && num < 0)
		return K_UNK;          /* ether, vlan, arp, raw...: not modelled */
	if (!th && num != t->l4proto)
		return K_ABSENT;       /* a tcp match never sees a udp packet */
	if (!ported)
		return K_UNK;          /* no ports in the tuple for this protocol */
	if (!strcmp(field, "sport"))
		return set_num(v, t->sport, SYM_PORT);
	if (!strcmp(field, "dport"))
		return set_num(v, t->dport, SYM_PORT);
	return K_UNK;
}

static enum key_state payload_key(const struct nft_tuple *t, const json_t *p, struct val *v)
{
	const char *proto = jstr(p, "protocol"), *field = jstr(p, "field");

	if (!proto || !field)
		return K_UNK;          /* raw payload (base/offset/len) */
	if (!strcmp(proto, "ip") || !strcmp(proto, "ip6"))
		return l3_key(t, proto[2] == '6', field, v);
	return l4_key(t, proto, field, v);
}

static enum key_state meta_key(const struct nft_tuple *t, const json_t *m, struct val *v)
{
	const char *key = jstr(m, "key");
	bool v6 = t->family == AF_INET6;

	if (!key)
		return K_UNK;
	if (!strcmp(key, "l4proto"))
		return set_num(v, t->l4proto, SYM_PROTO);
	if (!strcmp(key, "nfproto"))
		return set_num(v, v6 ? 10 : 2, SYM_NFPROTO);
	if (!strcmp(key, "protocol"))
		return set_num(v, v6 ? 0x86dd : 0x0800, SYM_ETHER);
	return K_UNK;              /* iif, oifname, mark, skuid...: unknown for a drop */
}

static enum key_state key_one(const struct nft_tuple *t, const json_t *e, struct val *v)
{
	const json_t *x;

	if ((x = json_object_get(e, "payload")))
		return payload_key(t, x, v);
	if ((x = json_object_get(e, "meta")))
		return meta_key(t, x, v);
	return K_UNK;              /* ct, fib, binops, numgen...: not modelled */
}

static enum key_state key_of(const struct nft_tuple *t, const json_t *e, struct key *k)
{
	const json_t *cat = json_object_get(e, "concat"), *part;
	enum key_state st = K_OK, s;
	size_t i;

	memset(k, 0, sizeof(*k));
	k->n = 1;
	if (!cat)
		return key_one(t, e, &k->v[0]);
	if (!json_is_array(cat) || json_array_size(cat) == 0 ||
	    json_array_size(cat) > MAX_CONCAT)
		return K_UNK;
	k->n = (int)json_array_size(cat);
	json_array_foreach(cat, i, part) {
		s = key_one(t, part, &k->v[i]);
		if (s == K_ABSENT)
			return K_ABSENT;
		if (s == K_UNK)
			st = K_UNK;
	}
	return st;
}

/* ---------- right-hand side: literals, prefixes, ranges, sets ---------- */

/* Parse a constant of the same type as v. */
static bool parse_lit(const json_t *r, const struct val *v, struct val *out)
{
	const char *s = json_string_value(r);
	char *end;

	*out = *v;
	if (v->alen)
		return s && inet_pton(v->alen == 4 ? AF_INET : AF_INET6, s, out->addr) == 1;
	if (json_is_integer(r)) {
		if (json_integer_value(r) < 0)
			return false;
		out->num = (uint64_t)json_integer_value(r);
		return true;
	}
	if (!s || !*s)
		return false;
	if (sym_num(v->sym, s, &out->num))
		return true;
	out->num = strtoull(s, &end, 0);
	return *end == '\0' && s[0] >= '0' && s[0] <= '9';
}

static int val_cmp(const struct val *a, const struct val *b)
{
	if (a->alen)
		return memcmp(a->addr, b->addr, (size_t)a->alen);
	return a->num < b->num ? -1 : a->num > b->num;
}

static enum tri lit_eq(const json_t *r, const struct val *v)
{
	struct val l;

	return !parse_lit(r, v, &l) ? T_UNK : val_cmp(v, &l) == 0 ? T_YES : T_NO;
}

static enum tri prefix_has(const json_t *p, const struct val *v)
{
	const json_t *len = json_object_get(p, "len");
	struct val a;
	long long bits;
	int full, rem;

	if (!v->alen || !json_is_integer(len) || !parse_lit(json_object_get(p, "addr"), v, &a))
		return T_UNK;
	bits = json_integer_value(len);
	if (bits < 0 || bits > (json_int_t)v->alen * 8)
		return T_UNK;
	full = (int)bits / 8;
	rem = (int)bits % 8;
	if (memcmp(a.addr, v->addr, (size_t)full))
		return T_NO;
	if (rem && ((a.addr[full] ^ v->addr[full]) & (uint8_t)(0xff << (8 - rem))))
		return T_NO;
	return T_YES;
}

static enum tri range_has(const json_t *r, const struct val *v)
{
	struct val lo, hi;

	if (json_array_size(r) != 2 || !parse_lit(json_array_get(r, 0), v, &lo) ||
	    !parse_lit(json_array_get(r, 1), v, &hi))
		return T_UNK;
	return val_cmp(v, &lo) >= 0 && val_cmp(v, &hi) <= 0 ? T_YES : T_NO;
}

static enum tri rhs_has(struct ctx *c, const json_t *r, const struct val *v, int n, int nest);

static enum tri any_has(struct ctx *c, const json_t *arr, const struct val *v, int n, int nest)
{
	const json_t *e;
	bool unk = false;
	size_t i;

	json_array_foreach(arr, i, e) {
		enum tri m = rhs_has(c, e, v, n, nest);

		if (m == T_YES)
			return T_YES;
		unk |= m == T_UNK;
		if (c->aborted)
			return T_UNK;
	}
	return unk ? T_UNK : T_NO;
}

static enum tri concat_has(struct ctx *c, const json_t *arr, const struct val *v, int n,
			   int nest)
{
	const json_t *e;
	bool unk = false;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) != (size_t)n)
		return T_UNK;
	json_array_foreach(arr, i, e) {
		enum tri m = rhs_has(c, e, &v[i], 1, nest);

		if (m == T_NO)
			return T_NO;
		unk |= m == T_UNK;
	}
	return unk ? T_UNK : T_YES;
}

static int set_cmp(const char *f1, const char *t1, const char *n1, const char *f2,
		   const char *t2, const char *n2)
{
	int d = strcmp(f1, f2);

	if (!d)
		d = strcmp(t1, t2);
	return d ? d : strcmp(n1, n2);
}

static const struct set_ix *find_set(const struct ctx *c, const char *name)
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

static enum tri named_has(struct ctx *c, const char *name, const struct val *v, int n)
{
	const struct set_ix *s = find_set(c, name);

	if (!s)
		return T_UNK;
	if (!s->elem)
		return T_NO;           /* empty set */
	return json_is_array(s->elem) ? any_has(c, s->elem, v, n, 1) : T_UNK;
}

/* Does the right-hand side r contain the key v[0..n-1]? "@set" only at the top level. */
static enum tri rhs_has(struct ctx *c, const json_t *r, const struct val *v, int n, int nest)
{
	const json_t *x;
	const char *s = json_string_value(r);

	if (!charge(c, 1) || nest > MAX_NEST)
		return T_UNK;
	if (s && s[0] == '@')
		return nest == 0 ? named_has(c, s + 1, v, n) : T_UNK;
	if (json_is_array(r))
		return any_has(c, r, v, n, nest + 1);
	if (json_is_object(r)) {
		if ((x = json_object_get(r, "set")))
			return json_is_array(x) ? any_has(c, x, v, n, nest + 1) : T_UNK;
		if ((x = json_object_get(r, "elem")))
			return rhs_has(c, json_object_get(x, "val"), v, n, nest + 1);
		if ((x = json_object_get(r, "concat")))
			return concat_has(c, x, v, n, nest + 1);
	}
	if (n != 1)
		return T_UNK;
	if (s || json_is_integer(r))
		return lit_eq(r, v);
	if ((x = json_object_get(r, "prefix")))
		return prefix_has(x, v);
	if ((x = json_object_get(r, "range")))
		return range_has(x, v);
	return T_UNK;
}

static enum tri cmp_op(const char *op, const json_t *r, const struct key *k)
{
	struct val l;
	int d;

	if (k->n != 1 || !parse_lit(r, &k->v[0], &l))
		return T_UNK;
	d = val_cmp(&k->v[0], &l);
	if (!strcmp(op, "<"))
		return d < 0 ? T_YES : T_NO;
	if (!strcmp(op, ">"))
		return d > 0 ? T_YES : T_NO;
	if (!strcmp(op, "<="))
		return d <= 0 ? T_YES : T_NO;
	if (!strcmp(op, ">="))
		return d >= 0 ? T_YES : T_NO;
	return T_UNK;
}

static enum tri eval_match(struct ctx *c, const json_t *m)
{
	const char *op = jstr(m, "op");
	const json_t *right = json_object_get(m, "right");
	struct key k;

	switch (key_of(c->t, json_object_get(m, "left"), &k)) {
	case K_ABSENT: return T_NO;
	case K_UNK: return T_UNK;
	case K_OK: break;
	}
	if (!op || !strcmp(op, "==") || !strcmp(op, "in"))
		return rhs_has(c, right, k.v, k.n, 0);
	if (!strcmp(op, "!="))
		return tri_not(rhs_has(c, right, k.v, k.n, 0));
	return cmp_op(op, right, &k);
}

/* ---------- statements and verdicts ---------- */

static bool verdict_of(const char *name, const json_t *arg, struct verdict *v)
{
	static const struct { const char *name; enum vkind kind; } tab[] = {
		{ "accept", V_ACCEPT }, { "drop", V_DROP }, { "reject", V_REJECT },
		{ "jump", V_JUMP }, { "goto", V_GOTO }, { "return", V_RETURN },
		{ "continue", V_NONE }, { "queue", V_OPAQUE }, { "fwd", V_OPAQUE },
		{ "synproxy", V_OPAQUE },
		/* nat statements end the chain with an accept */
		{ "snat", V_ACCEPT }, { "dnat", V_ACCEPT }, { "masquerade", V_ACCEPT },
		{ "redirect", V_ACCEPT },
	};

	for (size_t i = 0; i < NSYM(tab); i++) {
		if (strcmp(tab[i].name, name))
			continue;
		v->kind = tab[i].kind;
		v->target = NULL;
		if (v->kind == V_JUMP || v->kind == V_GOTO) {
			v->target = jstr(arg, "target");
			if (!v->target)
				v->kind = V_OPAQUE;
		}
		return true;
	}
	return false;
}

/* iptables-nft rules keep some matches and targets as xtables blobs. */
static bool xt_verdict(const json_t *arg, struct verdict *v)
{
	const char *type = jstr(arg, "type"), *name = jstr(arg, "name");

	if (!type || !name || strcmp(type, "target"))
		return false;
	v->target = NULL;
	if (!strcmp(name, "REJECT"))
		v->kind = V_REJECT;
	else if (!strcmp(name, "DROP"))
		v->kind = V_DROP;
	else if (!strcmp(name, "ACCEPT"))
		v->kind = V_ACCEPT;
	else
		return false;
	return true;
}

/* Statements that neither filter nor end evaluation. */
static bool stmt_neutral(const char *name, const json_t *arg)
{
	static const char *const tab[] = {
		"counter", "log", "comment", "notrack", "mangle", "set", "flow", "dup",
	};
	const char *xname;

	if (!strcmp(name, "xt")) {
		xname = jstr(arg, "name");
		return xname && !strcmp(xname, "comment");
	}
	for (size_t i = 0; i < NSYM(tab); i++)
		if (!strcmp(tab[i], name))
			return true;
	return false;
}

static const json_t *map_elems(struct ctx *c, const json_t *data)
{
	const char *s = json_string_value(data);
	const struct set_ix *m;

	if (s && s[0] == '@') {
		m = find_set(c, s + 1);
		return m ? m->elem : NULL;
	}
	return json_object_get(data, "set");
}

/* Verdict map: the verdict of the element holding the key; no element means no match. */
static bool eval_vmap(struct ctx *c, const json_t *arg, struct verdict *v, bool *unc)
{
	const json_t *elems = map_elems(c, json_object_get(arg, "data")), *e;
	enum key_state ks;
	struct key k;
	bool maybe = false;
	size_t i;
	const char *name;

	v->kind = V_OPAQUE;
	v->target = NULL;
	ks = key_of(c->t, json_object_get(arg, "key"), &k);
	if (ks == K_ABSENT)
		return false;
	if (ks == K_UNK || !json_is_array(elems)) {
		*unc = true;
		return true;
	}
	json_array_foreach(elems, i, e) {
		enum tri m = json_array_size(e) == 2 ?
			rhs_has(c, json_array_get(e, 0), k.v, k.n, 1) : T_UNK;
		const json_t *arg2;

		if (m == T_YES) {
			arg2 = stmt_of(json_array_get(e, 1), &name);
			if (!name || !verdict_of(name, arg2, v))
				*unc = true;
			return true;
		}
		maybe |= m == T_UNK;
		if (c->aborted)
			break;
	}
	*unc |= maybe;
	return maybe;
}

/* Evaluate a rule's expressions; false if the packet certainly does not match. */
static bool rule_matches(struct ctx *c, const json_t *rule, struct verdict *v, bool *unc)
{
	const json_t *exprs = json_object_get(rule, "expr"), *st, *arg;
	const char *name;
	size_t i;

	v->kind = V_NONE;
	v->target = NULL;
	json_array_foreach(exprs, i, st) {
		arg = stmt_of(st, &name);
		if (!name) {
			*unc = true;
			continue;
		}
		if (!strcmp(name, "match")) {
			enum tri m = eval_match(c, arg);

			if (m == T_NO)
				return false;
			*unc |= m == T_UNK;
		} else if (!strcmp(name, "vmap")) {
			return eval_vmap(c, arg, v, unc);
		} else if (verdict_of(name, arg, v)) { // NOLINT(bugprone-branch-clone): two kinds of verdict
			return true;   /* nothing after a verdict runs */
		} else if (!strcmp(name, "xt") && xt_verdict(arg, v)) {
			return true;
		} else if (!stmt_neutral(name, arg)) {
			*unc = true;   /* limit, quota, ct, unknown: cannot tell */
		}
	}
	return true;
}

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

/* ---------- chain walk ---------- */

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

/* ---------- text of `nft -a list ruleset` ---------- */

struct txt_pos {
	char family[16], table[64], chain[64];
	int depth;
	bool in_chain;
};

static const char *skip_ws(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* End of the code part of a line (its '#' comment excluded), counting braces outside quotes. */
static const char *scan_code(const char *s, const char *e, int *opens, int *closes)
{
	bool quoted = false;

	for (; s < e; s++) {
		if (quoted && *s == '\\' && s + 1 < e)
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == '#')
			break;
		else if (!quoted && *s == '{' && *opens < 100000)
			(*opens)++;
		else if (!quoted && *s == '}' && *closes < 100000)
			(*closes)++;
	}
	return s;
}

/* Copy the next word (maybe quoted) into buf; false if it does not fit. */
static bool next_word(const char **sp, const char *e, char *buf, size_t size)
{
	const char *s = skip_ws(*sp, e), *w;
	bool quoted = s < e && *s == '"';
	size_t n;

	if (quoted)
		s++;
	for (w = s; s < e; s++) {
		if (quoted ? *s == '"' : (*s == ' ' || *s == '\t' || *s == '{'))
			break;
	}
	n = (size_t)(s - w);
	*sp = s < e && quoted ? s + 1 : s;
	if (!n || n >= size)
		return false;
	memcpy(buf, w, n);
	buf[n] = '\0';
	return true;
}

static bool starts_word(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);

	return (size_t)(e - s) > n && !memcmp(s, w, n) && (s[n] == ' ' || s[n] == '\t');
}

/* "# handle N" and nothing else (but trailing blanks) in the comment part. */
static bool parse_handle(const char *s, const char *e, uint64_t *h)
{
	static const char tag[] = "# handle ";
	size_t n = sizeof(tag) - 1;
	bool digits = false;

	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if ((size_t)(e - s) <= n || memcmp(s, tag, n))
		return false;
	*h = 0;
	for (s += n; s < e; s++) {
		if (*s < '0' || *s > '9' || *h > (UINT64_MAX - 9) / 10)
			return false;
		*h = *h * 10 + (uint64_t)(*s - '0');
		digits = true;
	}
	return digits;
}

static void fill_text(const struct txt_pos *p, uint64_t h, const char *s, const char *code_end,
		      struct nft_rule_match *out, int n)
{
	while (code_end > s && (code_end[-1] == ' ' || code_end[-1] == '\t'))
		code_end--;
	for (int i = 0; i < n; i++) {
		struct nft_rule_match *m = &out[i];
		size_t len = (size_t)(code_end - s);

		if (m->handle != h || strcmp(m->family, p->family) || strcmp(m->table, p->table) ||
		    strcmp(m->chain, p->chain))
			continue;
		if (len >= sizeof(m->text))
			len = sizeof(m->text) - 1;
		memcpy(m->text, s, len);
		m->text[len] = '\0';
	}
}

static void txt_header(struct txt_pos *p, const char *s, const char *code_end)
{
	if (p->depth == 0 && starts_word(s, code_end, "table")) {
		s += 5;
		if (!next_word(&s, code_end, p->family, sizeof(p->family)) ||
		    !next_word(&s, code_end, p->table, sizeof(p->table)))
			p->family[0] = p->table[0] = '\0';
	} else if (p->depth == 1) {
		p->in_chain = false;   /* a set, map, flowtable... block */
		if (starts_word(s, code_end, "chain")) {
			s += 5;
			p->in_chain = next_word(&s, code_end, p->chain, sizeof(p->chain));
		}
	}
}

static void txt_line(struct txt_pos *p, const char *s, const char *e,
		     struct nft_rule_match *out, int n)
{
	int opens = 0, closes = 0;
	const char *code_end;
	uint64_t h;

	s = skip_ws(s, e);
	code_end = scan_code(s, e, &opens, &closes);
	if (opens > closes)
		txt_header(p, s, code_end);
	else if (p->depth == 2 && p->in_chain && opens == closes && p->table[0] &&
		 parse_handle(code_end, e, &h) && h)
		fill_text(p, h, s, code_end, out, n);
	p->depth += opens - closes;
	if (p->depth < 0 || p->depth > 1000)
		p->depth = 0;
	if (p->depth < 2)
		p->in_chain = false;
	if (p->depth < 1)
		p->family[0] = p->table[0] = '\0';
}

void nft_rules_attach_text(const char *text, size_t len, struct nft_rule_match *out, int n)
{
	struct txt_pos p;
	const char *line, *nl, *end;

	if (!text || !out || n <= 0)
		return;
	memset(&p, 0, sizeof(p));
	for (line = text, end = text + len; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		txt_line(&p, line, nl, out, n);
		if (nl == end)
			break;
	}
}
