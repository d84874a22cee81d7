// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The table of what explains what, and the memory the correlator asks it with. */
#include "relations.h"

#include <string.h>
#include <sys/socket.h>

#define C(x) REL_CAUSE(CAUSE_##x)

#define DEATHS (C(AGENT_CRASHED) | C(AGENT_KILLED) | C(AGENT_OOM_KILLED) | C(AGENT_EXITED))
#define DNS_FAILURES (C(DNS_NXDOMAIN) | C(DNS_SERVFAIL) | C(DNS_REFUSED) | C(DNS_TIMEOUT) | \
		      C(DNS_UNREACHABLE) | C(DNS_BLOCKED_LOCAL))
#define CONNECT_FAILURES (C(CONNECT_TIMEOUT) | C(CONNECT_REFUSED) | C(CONNECT_UNREACHABLE))

/*
 * Every rule of "X explains Y" is here, nowhere else. README.md ("What
 * explains what") lists the same rows: keep them together.
 */
static const struct relation table[] = {
	{ C(THIRD_PARTY_SECURITY), C(AGENT_KILLED) | C(CONNECT_BLOCKED_POLICY) | C(CONNECT_BLOCKED_LOCAL) |
	  C(DNS_BLOCKED_LOCAL), REL_SAME_PID, REL_WIN_NET, false,
	  "a security product explains the kill or the block it did" },
	{ C(MEMORY_EXHAUSTED), C(AGENT_OOM_KILLED), REL_HOST, REL_WIN_RES, true,
	  "the host out of memory explains the OOM killer choosing the agent" },
	{ C(CPU_SATURATED), C(AGENT_STARVED), REL_HOST, REL_WIN_RES, false,
	  "a saturated host CPU explains the agent waiting to run" },
	{ C(AGENT_FLAPPING), C(AGENT_EXITED) | C(AGENT_CRASHED), REL_SAME_PROCESS, REL_WIN_FLAP, true,
	  "a restart loop folds the exits it counts" },
	/* either order: a death after it says the process ran again since */
	{ DEATHS, C(AGENT_NOT_RUNNING), REL_SAME_PROCESS, REL_WIN_SESSION, true,
	  "the last death of a process explains that it is not running" },
	{ C(CONNECT_BLOCKED_LOCAL), C(CONNECT_TIMEOUT), REL_SAME_ENDPOINT, REL_WIN_NET, false,
	  "this host's firewall dropping the packets explains a later timeout to that endpoint" },
	{ DNS_FAILURES, CONNECT_FAILURES, REL_SAME_NAME, REL_WIN_NET, true,
	  "a failed lookup of a name explains failed connects to a stale address of it" },
};

#define NROWS (sizeof(table) / sizeof(table[0]))

const struct relation *relations_table(unsigned *n)
{
	*n = NROWS;
	return table;
}

bool relations_explains_any(enum cause c)
{
	for (unsigned i = 0; i < NROWS; i++)
		if (table[i].explaining & REL_CAUSE(c))
			return true;
	return false;
}

void rel_subject_of(const struct diagnosis *d, struct rel_subject *s)
{
	s->cause = d->cause;
	s->pid = d->pid;
	s->has_peer = d->has_peer;
	s->family = d->peer.family;
	s->dport = d->peer.dport;
	memcpy(s->daddr, d->peer.daddr, sizeof(s->daddr));
	s->ts_ns = d->ts_ns;
	s->id = d->id;
	memcpy(s->process, d->process, sizeof(s->process));
	s->process[sizeof(s->process) - 1] = '\0';
	memcpy(s->qname, d->qname, sizeof(s->qname));
	s->qname[sizeof(s->qname) - 1] = '\0';
}

static bool same_endpoint(const struct rel_subject *a, const struct rel_subject *b)
{
	size_t alen = a->family == AF_INET6 ? 16 : 4;

	return a->has_peer && b->has_peer && a->family == b->family && a->dport == b->dport &&
	       !memcmp(a->daddr, b->daddr, alen);
}

static bool subjects_match(enum rel_match m, const struct rel_subject *a, const struct rel_subject *b)
{
	switch (m) {
	case REL_SAME_PID:
		return a->pid && a->pid == b->pid;
	case REL_SAME_PROCESS:
		return a->process[0] && !strcmp(a->process, b->process);
	case REL_SAME_ENDPOINT:
		return same_endpoint(a, b);
	case REL_SAME_NAME:
		return a->qname[0] && !strcmp(a->qname, b->qname);
	case REL_HOST:
		return true;
	}
	return false;
}

static bool within(const struct relation *r, const struct rel_subject *a, const struct rel_subject *b,
		   const uint64_t win[REL_WIN_COUNT], bool any_order)
{
	uint64_t w = r->window == REL_WIN_SESSION ? UINT64_MAX : win[r->window];

	if (a->ts_ns <= b->ts_ns)
		return b->ts_ns - a->ts_ns <= w;
	return any_order && r->either_order && a->ts_ns - b->ts_ns <= w;
}

const struct relation *relation_between(const struct rel_subject *a, const struct rel_subject *b,
					const uint64_t win[REL_WIN_COUNT], bool any_order)
{
	for (unsigned i = 0; i < NROWS; i++) {
		const struct relation *r = &table[i];

		if ((r->explaining & REL_CAUSE(a->cause)) && (r->explained & REL_CAUSE(b->cause)) &&
		    subjects_match(r->match, a, b) && within(r, a, b, win, any_order))
			return r;
	}
	return NULL;
}

/* The slot of (cause, subject), else a free one, else the oldest. */
static unsigned note_slot(const struct rel_memory *m, const struct rel_subject *s)
{
	unsigned free_i = REL_RECENT, oldest = 0;

	for (unsigned i = 0; i < REL_RECENT; i++) {
		const struct rel_subject *r = &m->recent[i];

		if (!m->used[i]) {
			if (free_i == REL_RECENT)
				free_i = i;
			continue;
		}
		if (r->cause == s->cause && r->pid == s->pid && !strcmp(r->process, s->process) &&
		    r->has_peer == s->has_peer && (!s->has_peer || same_endpoint(r, s)) &&
		    !strcmp(r->qname, s->qname))
			return i;
		if (r->ts_ns < m->recent[oldest].ts_ns || !m->used[oldest])
			oldest = i;
	}
	return free_i < REL_RECENT ? free_i : oldest;
}

void relations_note(struct rel_memory *m, const struct diagnosis *d, uint64_t id)
{
	struct rel_subject s;
	unsigned i;

	if (!relations_explains_any(d->cause))
		return;
	rel_subject_of(d, &s);
	s.id = id;
	i = note_slot(m, &s);
	m->recent[i] = s;
	m->used[i] = true;
	m->causes |= REL_CAUSE(d->cause);
}

void relations_refresh(struct rel_memory *m, enum cause cause, uint64_t ts)
{
	for (unsigned i = 0; i < REL_RECENT; i++)
		if (m->used[i] && m->recent[i].cause == cause && m->recent[i].ts_ns < ts)
			m->recent[i].ts_ns = ts;
}

bool relations_explain(const struct rel_memory *m, struct diagnosis *d, const uint64_t win[REL_WIN_COUNT])
{
	const struct rel_subject *best = NULL;
	const struct relation *best_row = NULL;
	struct rel_subject s;
	uint64_t explainers = 0;
	bool have_s = false;

	for (unsigned i = 0; i < NROWS; i++)
		if (table[i].explained & REL_CAUSE(d->cause))
			explainers |= table[i].explaining;
	if (!(explainers & m->causes))
		return false; /* the usual case: nothing remembered can explain this cause */
	for (unsigned i = 0; i < REL_RECENT; i++) {
		const struct rel_subject *r = &m->recent[i];
		const struct relation *row;

		/* a storm of refused connects asks here each time: skip cheaply,
		 * and copy the subject only once something may explain it */
		if (!m->used[i] || !(explainers & REL_CAUSE(r->cause)))
			continue;
		if (!have_s) {
			rel_subject_of(d, &s);
			have_s = true;
		}
		row = relation_between(r, &s, win, false);
		/* the first row of the table wins, then the newest diagnosis */
		if (row && (!best || row < best_row || (row == best_row && r->ts_ns >= best->ts_ns))) {
			best = r;
			best_row = row;
		}
	}
	if (!best)
		return false;
	d->primary = false;
	d->explained_by = (int)best->cause;
	d->explained_by_id = best->id;
	return true;
}
