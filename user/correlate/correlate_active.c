// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Which problems last now: aegismon_diagnosis_active{cause} (docs/metrics.md
 * says the same, cause by cause). A diagnosis says a problem began; what ends
 * it depends on its subject:
 *
 * - a process (the agent's deaths, agent_not_running, remediation_failed, a
 *   kill by security software): until a process of that name, judged the
 *   agent, runs again (any of the three core processes for "agent");
 * - an endpoint the agent could not connect to: until the agent connects to
 *   it (the handshake completes) or the network window (120 s) passes without another
 *   failure there;
 * - an established connection that failed (reset, stalled, MTU black hole),
 *   a sinkhole: until the network window (120 s) passes without another one (a new
 *   connection's handshake passes in these too: it proves nothing);
 * - an Aegis name that did not resolve: until a lookup of it is answered with
 *   an address, or the network window (120 s) passes without another failure;
 * - agent_flapping: until the flapping window passes without a restart;
 * - agent_impostor: until the flapping window passes without another one
 *   (an impostor is no longer traced once judged: its exit is not seen);
 * - a resource condition: while it holds (correlate_res.c's run);
 * - agent_online: never (it is the end of a problem).
 *
 * By event time, like everything else in the correlator: live, unit tests
 * and replay agree. Bounded: the oldest subject goes when the table is full.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "correlate_int.h"

enum active_kind {
	ACT_NEVER,
	ACT_PROCESS,  /* until a process of that name runs again */
	ACT_PEER,     /* until a connect to the endpoint succeeds, or the net window */
	ACT_WINDOW,   /* the net window after the last occurrence */
	ACT_NAME,     /* until the name resolves, or the net window */
	ACT_FLAP,     /* the flapping window after the last restart */
	ACT_IMPOSTOR, /* the flapping window after the last one */
	ACT_RESOURCE, /* while the condition holds */
};

static enum active_kind kind_of_cause(enum cause cause, bool has_peer)
{
	switch (cause) {
	case CAUSE_AGENT_NOT_RUNNING:
	case CAUSE_AGENT_CRASHED:
	case CAUSE_AGENT_KILLED:
	case CAUSE_AGENT_OOM_KILLED:
	case CAUSE_AGENT_EXITED:
	case CAUSE_REMEDIATION_FAILED:
		return ACT_PROCESS;
	case CAUSE_THIRD_PARTY_SECURITY:
		/* a kill, or the suspect of a blocked connect (trace_output.c) */
		return has_peer ? ACT_PEER : ACT_PROCESS;
	case CAUSE_CONNECT_BLOCKED_LOCAL:
	case CAUSE_CONNECT_BLOCKED_POLICY:
	case CAUSE_CONNECT_TIMEOUT:
	case CAUSE_CONNECT_REFUSED:
	case CAUSE_CONNECT_UNREACHABLE:
		return ACT_PEER;
	case CAUSE_CONNECTION_RESET:
	case CAUSE_CONNECTION_STALLED:
	case CAUSE_PATH_MTU_BLACKHOLE:
	case CAUSE_ENDPOINT_SINKHOLED:
		return ACT_WINDOW;
	case CAUSE_DNS_NXDOMAIN:
	case CAUSE_DNS_SERVFAIL:
	case CAUSE_DNS_REFUSED:
	case CAUSE_DNS_TIMEOUT:
	case CAUSE_DNS_UNREACHABLE:
	case CAUSE_DNS_BLOCKED_LOCAL:
		return ACT_NAME;
	case CAUSE_AGENT_FLAPPING:
		return ACT_FLAP;
	case CAUSE_AGENT_IMPOSTOR:
		return ACT_IMPOSTOR;
	case CAUSE_CPU_SATURATED:
	case CAUSE_MEMORY_EXHAUSTED:
	case CAUSE_AGENT_STARVED:
		return ACT_RESOURCE;
	default:
		return ACT_NEVER;
	}
}

static bool same_subject(const struct active_entry *e, const struct diagnosis *d)
{
	size_t alen = d->peer.family == AF_INET6 ? 16 : 4;

	if (e->cause != d->cause)
		return false;
	switch (kind_of_cause(d->cause, d->has_peer)) {
	case ACT_PROCESS:
	case ACT_FLAP:
		return !strcmp(e->process, d->process);
	case ACT_PEER:
	case ACT_WINDOW:
		return e->has_peer == d->has_peer && e->peer.family == d->peer.family &&
		       e->peer.dport == d->peer.dport && !memcmp(e->peer.daddr, d->peer.daddr, alen) &&
		       !strcmp(e->qname, d->qname);
	case ACT_NAME:
		return !strcmp(e->qname, d->qname) && e->peer.dport == d->peer.dport &&
		       !memcmp(e->peer.daddr, d->peer.daddr, alen);
	default:
		return true; /* one subject: the host, or every impostor */
	}
}

static bool entry_active(const struct correlator *c, const struct active_entry *e);

/* Which entry gives way to a new subject, lowest first: a free one, one
 * whose problem ended, then a network or other timed one, a process that is
 * still down last. A storm of failures to many addresses must not push out
 * an agent that is still down. */
static int eviction_rank(const struct correlator *c, const struct active_entry *e)
{
	if (!e->used)
		return 0;
	if (!entry_active(c, e))
		return 1;
	return kind_of_cause(e->cause, e->has_peer) == ACT_PROCESS ? 3 : 2;
}

/* The entry of d's cause and subject, else the one that gives way (the
 * stalest of its rank), emptied. */
static struct active_entry *entry_for(struct correlator *c, const struct diagnosis *d)
{
	struct active_entry *hint = &c->active[c->active_hint % ACTIVE_SLOTS], *victim = NULL;
	int victim_rank = 4;

	if (hint->used && same_subject(hint, d)) /* a storm repeats one subject */
		return hint;
	for (int i = 0; i < ACTIVE_SLOTS; i++) {
		struct active_entry *e = &c->active[i];

		if (e->used && same_subject(e, d)) {
			c->active_hint = (unsigned)i;
			return e;
		}
	}
	for (int i = 0; i < ACTIVE_SLOTS && victim_rank > 0; i++) {
		struct active_entry *e = &c->active[i];
		int rank = eviction_rank(c, e);

		if (rank < victim_rank || (rank == victim_rank && e->last_ns < victim->last_ns)) {
			victim = e;
			victim_rank = rank;
		}
	}
	c->active_hint = (unsigned)(victim - c->active);
	memset(victim, 0, sizeof(*victim));
	return victim;
}

void active_note(struct correlator *c, const struct diagnosis *d)
{
	struct active_entry *e;

	/* what an impostor does is not the agent's problem: agent_impostor is */
	if (d->impostor && d->cause != CAUSE_AGENT_IMPOSTOR)
		return;
	switch (kind_of_cause(d->cause, d->has_peer)) {
	case ACT_NEVER:
	case ACT_RESOURCE: /* the condition's own run says */
		return;
	default:
		break;
	}
	e = entry_for(c, d);
	e->used = true;
	e->cause = d->cause;
	e->last_ns = c->now_ns;
	e->has_peer = d->has_peer;
	e->peer = d->peer;
	copy_str(e->process, sizeof(e->process), d->process);
	copy_str(e->qname, sizeof(e->qname), d->qname);
}

void correlator_note_diagnosis(struct correlator *c, const struct diagnosis *d)
{
	active_note(c, d);
}

void active_process_up(struct correlator *c, const char *name)
{
	for (int i = 0; i < ACTIVE_SLOTS; i++) {
		struct active_entry *e = &c->active[i];

		if (e->used && kind_of_cause(e->cause, e->has_peer) == ACT_PROCESS &&
		    (!strcmp(e->process, name) || !strcmp(e->process, "agent")))
			e->used = false;
	}
}

void active_peer_up(struct correlator *c, const struct aegis_tuple *remote)
{
	size_t alen = remote->family == AF_INET6 ? 16 : 4;

	for (int i = 0; i < ACTIVE_SLOTS; i++) {
		struct active_entry *e = &c->active[i];

		if (!e->used || kind_of_cause(e->cause, e->has_peer) != ACT_PEER)
			continue;
		/* family 0: refused before the kernel read the address, any endpoint */
		if (!e->peer.family || (e->peer.family == remote->family && e->peer.dport == remote->dport &&
					!memcmp(e->peer.daddr, remote->daddr, alen)))
			e->used = false;
	}
}

void active_name_up(struct correlator *c, const char *qname)
{
	for (int i = 0; i < ACTIVE_SLOTS; i++) {
		struct active_entry *e = &c->active[i];

		/* no name: a nameserver blocked or unreachable, whatever was asked */
		if (e->used && kind_of_cause(e->cause, e->has_peer) == ACT_NAME &&
		    (!e->qname[0] || !strcasecmp(e->qname, qname)))
			e->used = false;
	}
}

/* A process of that name judged the agent runs now (not a forked helper). */
static bool process_running(const struct correlator *c, const char *name)
{
	int core = -1;

	if (!strcmp(name, "agent")) {
		for (int i = 0; i < CORE_COUNT; i++)
			if (c->cores[i].running)
				return true;
		return false;
	}
	for (int i = 0; i < CORE_COUNT; i++)
		if (!strcmp(name, agent_core_name(i)))
			core = i;
	if (core >= 0)
		return c->cores[core].running > 0;
	for (int i = 0; i < PROC_SLOTS; i++) {
		const struct proc *p = &c->procs[i];

		if (p->tgid && !p->forked && (p->ident == IDENT_AGENT || p->ident == IDENT_UNVERIFIED) &&
		    !strncmp(p->comm, name, sizeof(p->comm)))
			return true;
	}
	return false;
}

static bool within(const struct correlator *c, uint64_t since_ns, uint64_t window_ns)
{
	return c->now_ns - since_ns <= window_ns;
}

/* The last restart of the core process named, or 0. */
static uint64_t last_restart(const struct correlator *c, const char *name)
{
	for (int i = 0; i < CORE_COUNT; i++) {
		const struct core_state *cs = &c->cores[i];

		if (!strcmp(name, agent_core_name(i)) && cs->nrestarts)
			return cs->restarts[(cs->nrestarts - 1) % MAX_FLAP];
	}
	return 0;
}

static bool entry_active(const struct correlator *c, const struct active_entry *e)
{
	uint64_t last;

	switch (kind_of_cause(e->cause, e->has_peer)) {
	case ACT_PROCESS:
		return !process_running(c, e->process);
	case ACT_PEER:
	case ACT_WINDOW:
	case ACT_NAME:
		return within(c, e->last_ns, c->cfg.net_window_ns);
	case ACT_FLAP:
		last = last_restart(c, e->process);
		return within(c, last > e->last_ns ? last : e->last_ns, c->cfg.flap_window_ns);
	case ACT_IMPOSTOR:
		return within(c, e->last_ns, c->cfg.flap_window_ns);
	default:
		return false;
	}
}

void correlator_active(const struct correlator *c, uint8_t active[CAUSE_COUNT])
{
	memset(active, 0, CAUSE_COUNT);
	for (int i = 0; i < ACTIVE_SLOTS; i++)
		if (c->active[i].used && entry_active(c, &c->active[i]))
			active[c->active[i].cause] = 1;
	active[CAUSE_CPU_SATURATED] = res_holds(c, CAUSE_CPU_SATURATED);
	active[CAUSE_MEMORY_EXHAUSTED] = res_holds(c, CAUSE_MEMORY_EXHAUSTED);
	active[CAUSE_AGENT_STARVED] = res_holds(c, CAUSE_AGENT_STARVED);
}
