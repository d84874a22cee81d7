// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Diagnoses: built in a scratch buffer, aggregated by cause and subject, delivered. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "correlate_int.h"

const char *process_name(const struct proc *p)
{
	return p->core != CORE_NONE ? agent_core_name(p->core) : p->comm;
}

/*
 * A diagnosis is 8.5 KiB, mostly the evidence and rule arrays, of which a
 * diagnosis uses a few entries. The scratch and held copies are kept "clean"
 * (every entry past n_evidence and nrules is zero), so clearing or copying the
 * used entries gives the same bytes as a whole memset or struct copy, at a
 * fraction of the cost: this runs once per failed connect of a storm.
 */
static void diag_clear(struct diagnosis *d)
{
	unsigned nev = d->n_evidence < DIAG_MAX_EVIDENCE ? d->n_evidence : DIAG_MAX_EVIDENCE;
	unsigned nrules = d->nrules < DIAG_MAX_RULES ? d->nrules : DIAG_MAX_RULES;

	memset(d, 0, offsetof(struct diagnosis, rules));
	memset(d->rules, 0, nrules * sizeof(d->rules[0]));
	memset(d->summary, 0, offsetof(struct diagnosis, evidence) - offsetof(struct diagnosis, summary));
	memset(d->evidence, 0, nev * sizeof(d->evidence[0]));
}

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

/* *dst = *src for clean diagnoses (see diag_clear); dst stays clean: the
 * entries src does not use are zeroed where dst used them. */
static void diag_copy(struct diagnosis *dst, const struct diagnosis *src)
{
	unsigned nev = min_u(src->n_evidence, DIAG_MAX_EVIDENCE);
	unsigned nrules = min_u(src->nrules, DIAG_MAX_RULES);
	unsigned old_nev = min_u(dst->n_evidence, DIAG_MAX_EVIDENCE);
	unsigned old_nrules = min_u(dst->nrules, DIAG_MAX_RULES);

	memcpy(dst, src, offsetof(struct diagnosis, rules));
	memcpy(dst->rules, src->rules, nrules * sizeof(dst->rules[0]));
	if (old_nrules > nrules)
		memset(&dst->rules[nrules], 0, (old_nrules - nrules) * sizeof(dst->rules[0]));
	memcpy(dst->summary, src->summary,
	       offsetof(struct diagnosis, evidence) - offsetof(struct diagnosis, summary));
	memcpy(dst->evidence, src->evidence, nev * sizeof(dst->evidence[0]));
	if (old_nev > nev)
		memset(&dst->evidence[nev], 0, (old_nev - nev) * sizeof(dst->evidence[0]));
}

struct diagnosis *diag_begin(struct correlator *c, enum cause cause, const struct proc *p)
{
	struct diagnosis *d = c->scratch;

	diag_clear(d);
	d->cause = cause;
	d->primary = true;
	d->explained_by = -1;
	d->ts_ns = c->now_ns;
	d->exit_status = -1;
	d->rcode = -1;
	if (p) {
		d->pid = p->tgid;
		d->uid = p->uid;
		d->impostor = p->ident == IDENT_IMPOSTOR;
		d->unverified = p->ident == IDENT_UNVERIFIED || d->impostor;
		copy_str(d->process, sizeof(d->process), process_name(p));
		memcpy(d->comm, p->comm, sizeof(d->comm));
		memcpy(d->exe, p->exe, sizeof(d->exe));
	}
	return d;
}

void diag_add_evidence(struct diagnosis *d, const struct ev *e)
{
	if (d->n_evidence < DIAG_MAX_EVIDENCE)
		d->evidence[d->n_evidence++] = *e;
}

static void deliver(struct correlator *c, struct diagnosis *d)
{
	d->id = ++c->next_id;
	verdict_note(&c->verdicts, d);
	d->events_lost = c->stats.events_lost;
	c->stats.diagnoses++;
	c->stats.any = true;
	if (cause_severity(d->cause) > c->stats.worst)
		c->stats.worst = cause_severity(d->cause);
	c->fn(d, c->ctx);
}

static struct dedup_entry *dedup_get(struct correlator *c, enum cause cause, const char *key)
{
	struct dedup_entry *free_e = NULL, *oldest = NULL;
	struct dedup_entry *hint = &c->dedup[c->dedup_hint];

	/* (cause, key) is in at most one entry: the last one found is tried
	 * first, the scan (one 9 KiB entry after another) is for the others */
	if (hint->used && hint->cause == cause && strcmp(hint->key, key) == 0)
		return hint;
	for (int i = 0; i < MAX_DEDUP; i++) {
		struct dedup_entry *e = &c->dedup[i];

		if (!e->used) {
			if (!free_e)
				free_e = e;
			continue;
		}
		if (e->cause == cause && strcmp(e->key, key) == 0) {
			c->dedup_hint = (unsigned)i;
			return e;
		}
		if (!e->pending && (!oldest || e->last_ns < oldest->last_ns))
			oldest = e;
	}
	if (!free_e)
		free_e = oldest; /* bounded: forget the stalest settled entry */
	if (!free_e)
		return NULL;
	{
		struct diagnosis *buf = free_e->held; /* the entry's buffer stays its own */

		memset(free_e, 0, sizeof(*free_e));
		free_e->held = buf;
	}
	c->dedup_hint = (unsigned)(free_e - c->dedup);
	free_e->used = true;
	free_e->cause = cause;
	snprintf(free_e->key, sizeof(free_e->key), "%s", key);
	return free_e;
}

/* Emit now, or, past a small burst within the dedup interval, hold the repeat
 * back and aggregate it: distinct deaths are reported at once, a restart loop
 * does not flood the outputs. */
void emit(struct correlator *c, struct diagnosis *d, const char *key)
{
	struct dedup_entry *e = dedup_get(c, d->cause, key);

	c->stats.occurrences[d->cause]++;
	active_note(c, d);
	relations_explain(&c->rel, d, c->rel_win);
	if (!e) { /* every entry holds a pending repeat: deliver unaggregated */
		d->count = 1;
		d->first_ns = d->last_ns = d->ts_ns;
		deliver(c, d);
		relations_note(&c->rel, d, d->id);
		return;
	}
	if (e->count == 0)
		e->first_ns = d->ts_ns;
	e->count++;
	e->last_ns = d->ts_ns;
	d->count = e->count;
	d->first_ns = e->first_ns;
	d->last_ns = e->last_ns;
	if (e->window_emits == 0 || d->ts_ns - e->window_ns >= c->cfg.dedup_ns) {
		e->window_ns = d->ts_ns;
		e->window_emits = 0;
	}
	if (e->window_emits >= cause_burst(d->cause)) {
		if (d == c->scratch) { /* the usual case: swap, no copy */
			c->scratch = e->held;
			e->held = d;
		} else {
			diag_copy(e->held, d);
		}
		e->pending = true;
		/* known by the id of the line that said it last */
		relations_note(&c->rel, e->held, e->last_id);
		return;
	}
	e->window_emits++;
	e->pending = false;
	deliver(c, d);
	e->last_id = d->id;
	relations_note(&c->rel, d, d->id);
}

void release_held(struct correlator *c, bool all)
{
	for (int i = 0; i < MAX_DEDUP; i++) {
		struct dedup_entry *e = &c->dedup[i];

		if (!e->used || !e->pending)
			continue;
		if (!all && c->now_ns - e->window_ns < c->cfg.dedup_ns)
			continue;
		e->pending = false;
		e->window_ns = c->now_ns;
		e->window_emits = 1;
		e->held->count = e->count;
		e->held->first_ns = e->first_ns;
		e->held->last_ns = e->last_ns;
		deliver(c, e->held);
		e->last_id = e->held->id;
	}
}
