// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The verdict: one function for every output. */
#include "verdict.h"

#include "causes.h"

#include <string.h>

static bool same_key(const struct verdict_entry *a, const struct diagnosis *d)
{
	size_t alen = d->peer.family == 10 ? 16 : 4;

	if (a->s.cause != d->cause)
		return false;
	/* one user's impostors are one subject, as the correlator folds them */
	if (d->cause == CAUSE_AGENT_IMPOSTOR)
		return a->uid == d->uid;
	return a->s.pid == d->pid && !strncmp(a->s.process, d->process, sizeof(a->s.process)) &&
	       a->s.has_peer == d->has_peer &&
	       (!d->has_peer || (a->s.dport == d->peer.dport && !memcmp(a->s.daddr, d->peer.daddr, alen))) &&
	       !strncmp(a->s.qname, d->qname, sizeof(a->s.qname));
}

static void fill(struct verdict_entry *e, const struct diagnosis *d)
{
	uint64_t first = d->first_ns ? d->first_ns : d->ts_ns;

	rel_subject_of(d, &e->s);
	e->first_ns = first;
	e->uid = d->uid;
	e->primary = d->primary;
	e->impostor = d->impostor;
	e->unverified = d->unverified;
	e->not_installed = d->not_installed;
	memcpy(e->summary, d->summary, sizeof(e->summary));
	e->summary[sizeof(e->summary) - 1] = '\0';
}

/* Full: the least severe, oldest subject makes room for a more severe one. */
static struct verdict_entry *room_for(struct verdict_set *v, const struct diagnosis *d)
{
	unsigned victim = 0;

	for (unsigned i = 1; i < v->n; i++) {
		const struct verdict_entry *a = &v->e[victim], *b = &v->e[i];
		enum severity sa = cause_severity(a->s.cause), sb = cause_severity(b->s.cause);

		if (sb < sa || (sb == sa && b->s.ts_ns < a->s.ts_ns))
			victim = i;
	}
	v->dropped++;
	return cause_severity(v->e[victim].s.cause) < cause_severity(d->cause) ? &v->e[victim] : NULL;
}

void verdict_note(struct verdict_set *v, const struct diagnosis *d)
{
	struct verdict_entry *e = NULL;

	for (unsigned i = 0; i < v->n && !e; i++)
		if (same_key(&v->e[i], d))
			e = &v->e[i];
	if (e) {
		uint64_t first = e->first_ns;

		fill(e, d); /* the latest */
		if (first && first < e->first_ns)
			e->first_ns = first;
		return;
	}
	e = v->n < VERDICT_MAX ? &v->e[v->n++] : room_for(v, d);
	if (e)
		fill(e, d);
}

/* An impostor's activity is never the agent's cause: it is agent_impostor. */
static bool candidate(const struct verdict_entry *e)
{
	return e->primary && e->s.cause != CAUSE_AGENT_ONLINE &&
	       (!e->impostor || e->s.cause == CAUSE_AGENT_IMPOSTOR);
}

static bool explained_by_other(const struct verdict_set *v, unsigned i)
{
	for (unsigned j = 0; j < v->n; j++)
		if (j != i && !v->e[j].impostor && relation_between(&v->e[j].s, &v->e[i].s, v->win, true))
			return true;
	return false;
}

/* a before b: more severe, verified, earlier, lower id */
static bool better(const struct verdict_entry *a, const struct verdict_entry *b)
{
	enum severity sa = cause_severity(a->s.cause), sb = cause_severity(b->s.cause);

	if (sa != sb)
		return sa > sb;
	if (a->unverified != b->unverified)
		return !a->unverified;
	if (a->first_ns != b->first_ns)
		return a->first_ns < b->first_ns;
	return a->s.id < b->s.id;
}

const struct verdict_entry *verdict_of(const struct verdict_set *v)
{
	const struct verdict_entry *best = NULL;

	for (unsigned i = 0; v && i < v->n; i++) {
		const struct verdict_entry *e = &v->e[i];

		if (!candidate(e) || (best && !better(e, best)) || explained_by_other(v, i))
			continue;
		best = e;
	}
	return best;
}

const char *verdict_advice(const struct verdict_entry *e)
{
	return e->not_installed ? advice_not_installed() : cause_advice(e->s.cause);
}
