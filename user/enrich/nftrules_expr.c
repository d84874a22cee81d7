// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * One nftables rule against a packet's tuple: the left-hand side of a match (what the
 * packet carries), the right-hand side (literals, prefixes, ranges, sets, concatenations),
 * verdicts, verdict maps and the statements that decide nothing. What cannot be evaluated
 * is T_UNK, and makes the rule uncertain.
 */
#include "nftrules_int.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAX_NEST 8            /* set / elem / concat nesting followed on a right-hand side */
#define MAX_CONCAT 8          /* components of a concatenation */

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

/* ---------- small helpers ---------- */

/* nft statements and expressions are objects with a single key naming them. */
static const json_t *stmt_of(const json_t *o, const char **name)
{
	void *it = json_is_object(o) ? json_object_iter((json_t *)o) : NULL;

	*name = it ? json_object_iter_key(it) : NULL;
	return it ? json_object_iter_value(it) : NULL;
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
bool rule_matches(struct ctx *c, const json_t *rule, struct verdict *v, bool *unc)
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
