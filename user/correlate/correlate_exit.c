// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Why an agent process died (exit, kill, crash, OOM), its restarts, and its absence. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "correlate_int.h"
#include "products.h"
#include "signals.h"

/* ---- evidence of a death ---- */

static void diag_add_signal(struct diagnosis *d, const struct proc *p)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.signal = p->last_signal;
	memcpy(e.sender_exe, p->sender_exe, sizeof(e.sender_exe));
	diag_add_evidence(d, &e);
}

/* The memory cgroup limit the OOM mark of tgid found, or NULL. */
static const struct memcg_limit *oom_memcg_of(const struct correlator *c, uint32_t tgid)
{
	for (unsigned i = 0; i < sizeof(c->oom_memcg) / sizeof(c->oom_memcg[0]); i++) {
		unsigned k = (c->oom_memcg_next - 1 - i) % (sizeof(c->oom_memcg) / sizeof(c->oom_memcg[0]));

		if (c->oom_memcg[k].tgid == tgid && c->oom_memcg[k].limit.path[0])
			return &c->oom_memcg[k].limit;
	}
	return NULL;
}

static void diag_add_oom(struct diagnosis *d, const struct proc *p)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.oom = p->oom;
	diag_add_evidence(d, &e);
}

/* ---- deaths ---- */

static void format_sender(char *buf, size_t len, const struct aegis_signal *s)
{
	size_t o;

	o = (size_t)snprintf(buf, len, "pid %u (%s, uid %u)", s->sender_tgid, s->sender_comm,
			     s->sender_uid);
	for (unsigned i = 0; i < s->chain_len && i < AEGIS_CHAIN_LEN && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, " <- %s (%u)", s->chain[i].comm,
				      s->chain[i].pid);
}

/* A kill by known security software: that product is the cause. Said before
 * the kill, which it explains (relations.c). */
static void report_product_kill(struct correlator *c, const struct proc *p, const struct product *product,
				int sig, const char *signame)
{
	struct diagnosis *d = diag_begin(c, CAUSE_THIRD_PARTY_SECURITY, p);
	char sender[256];

	format_sender(sender, sizeof(sender), &p->last_signal);
	d->signal = sig;
	snprintf(d->summary, sizeof(d->summary), "%s killed %s (pid %u) with %s: its process %s",
		 product->name, process_name(p), p->tgid, signame, sender);
	diag_add_signal(d, p);
	emit(c, d, product->name);
}

static void classify_exit(struct correlator *c, const struct ev *e, const struct proc *p)
{
	unsigned code = e->exit.exit_code;
	int sig = (int)(code & 0x7f);
	bool core_dumped = code & 0x80;
	int status = (int)((code >> 8) & 0xff);
	const struct aegis_signal *s = p->has_signal ? &p->last_signal : NULL;
	char sigbuf[16], sender[256];
	const char *signame = signal_name(sig, sigbuf, sizeof(sigbuf));
	struct diagnosis *d;
	enum cause cause;
	bool sent_by_other = s && s->sig == sig && signal_code_from_user(s->si_code) &&
			     s->sender_tgid != p->tgid;
	uint64_t start = p->start_ns ? p->start_ns : e->exit.start_ns;
	const struct product *product;

	sender[0] = '\0';
	if (sig == 0)
		cause = CAUSE_AGENT_EXITED;
	else if (p->has_oom && sig == SIGKILL_NR)
		cause = CAUSE_AGENT_OOM_KILLED;
	else if (signal_is_fault(sig) && !sent_by_other)
		cause = CAUSE_AGENT_CRASHED;
	else
		cause = CAUSE_AGENT_KILLED;

	product = cause == CAUSE_AGENT_KILLED && s && s->sig == sig && signal_code_from_user(s->si_code)
			  ? product_of_process(s->sender_comm, p->sender_exe)
			  : NULL;
	if (product)
		report_product_kill(c, p, product, sig, signame);
	d = diag_begin(c, cause, p);
	d->exit_status = sig ? -1 : status;
	d->signal = sig;
	d->core_dumped = core_dumped;
	if (start && e->hdr.ts_ns > start)
		d->uptime_ns = e->hdr.ts_ns - start;

	switch (cause) {
	case CAUSE_AGENT_EXITED:
		snprintf(d->summary, sizeof(d->summary), "%s (pid %u) exited with code %d",
			 process_name(p), p->tgid, status);
		break;
	case CAUSE_AGENT_OOM_KILLED:
		if (s && s->sig == SIGKILL_NR)
			snprintf(d->summary, sizeof(d->summary),
				 "%s (pid %u) killed by the OOM killer (SIGKILL in the context of pid %u, %s)",
				 process_name(p), p->tgid, s->sender_tgid, s->sender_comm);
		else
			snprintf(d->summary, sizeof(d->summary), "%s (pid %u) killed by the OOM killer",
				 process_name(p), p->tgid);
		{
			/* a cgroup's limit, not the host, ran out: say which */
			const struct memcg_limit *m = oom_memcg_of(c, p->tgid);

			if (m && memcg_at_limit(m)) {
				size_t o = strlen(d->summary);

				d->memcg = *m;
				snprintf(d->summary + o, sizeof(d->summary) - o,
					 ": its memory cgroup %s reached its limit (%llu MiB)", m->path,
					 (unsigned long long)(m->max_bytes >> 20));
			}
		}
		diag_add_oom(d, p);
		break;
	case CAUSE_AGENT_CRASHED:
		snprintf(d->summary, sizeof(d->summary), "%s (pid %u) crashed with %s%s",
			 process_name(p), p->tgid, signame, core_dumped ? " (core dumped)" : "");
		break;
	default:
		if (s && s->sig == sig && signal_code_from_user(s->si_code)) {
			format_sender(sender, sizeof(sender), s);
			snprintf(d->summary, sizeof(d->summary), "%s (pid %u) killed by %s from %s",
				 process_name(p), p->tgid, signame, sender);
		} else if (s && s->sig == sig) {
			snprintf(d->summary, sizeof(d->summary),
				 "%s (pid %u) killed by %s sent by the kernel (in the context of pid %u, %s)",
				 process_name(p), p->tgid, signame, s->sender_tgid, s->sender_comm);
		} else {
			snprintf(d->summary, sizeof(d->summary),
				 "%s (pid %u) killed by %s; the sender was not seen%s",
				 process_name(p), p->tgid, signame,
				 c->stats.events_lost ? " (events were lost)" : "");
		}
		break;
	}
	if (s && (s->sig == sig || cause == CAUSE_AGENT_OOM_KILLED))
		diag_add_signal(d, p);
	diag_add_evidence(d, e);

	if (p->core != CORE_NONE && !p->forked)
		c->cores[p->core].last_death = (int)cause;
	emit(c, d, process_name(p));
}

void finish_exit(struct correlator *c, const struct ev *e, const struct proc *p)
{
	/* normal exits of forked helpers are routine; their violent deaths are not */
	if (!(p->forked && (e->exit.exit_code & 0x7f) == 0) && p->ident != IDENT_IMPOSTOR &&
	    p->ident != IDENT_OTHER)
		classify_exit(c, e, p);

	if (p->counted) {
		struct core_state *cs = &c->cores[p->core];

		if (cs->running)
			cs->running--;
		cs->exited_once = true;
		cs->last_exit_ns = e->hdr.ts_ns;
		if (cs->running == 0)
			cs->deadline_ns = e->hdr.ts_ns + c->cfg.grace_ns;
	}
}

/* A SIGKILL from the kernel without its OOM event yet: the OOM killer sends the
 * signal before it marks the victim, so give the mark a moment to arrive. */
static bool should_defer(const struct correlator *c, const struct ev *e, const struct proc *p)
{
	return c->cfg.oom_wait_ns && (e->exit.exit_code & 0x7f) == SIGKILL_NR && !p->has_oom &&
	       p->has_signal && p->last_signal.sig == SIGKILL_NR &&
	       !signal_code_from_user(p->last_signal.si_code);
}

void on_exit_ev(struct correlator *c, const struct ev *e)
{
	struct proc *p = proc_lookup(c, e->hdr.tgid, e->exit.start_ns), tmp;
	uint32_t *ign = p ? NULL : ignored_slot(c, e->hdr.tgid);

	if (ign) { /* an impostor's last event: the pid is free for reuse */
		*ign = 0;
		return;
	}
	if (!p) {
		/* tracked in the kernel, unknown here (its exec event was lost):
		 * nothing vouches for it */
		memset(&tmp, 0, sizeof(tmp));
		tmp.tgid = e->hdr.tgid;
		memcpy(tmp.comm, e->hdr.comm, sizeof(tmp.comm));
		tmp.uid = e->hdr.uid;
		tmp.ident = agent_is_comm(tmp.comm) ? IDENT_UNVERIFIED : IDENT_OTHER;
		tmp.core = (int8_t)agent_core_of_comm(tmp.comm);
		p = &tmp;
	}
	if (should_defer(c, e, p)) {
		for (int i = 0; i < MAX_DEFERRED; i++) {
			struct deferred_exit *d = &c->deferred[i];

			if (d->used)
				continue;
			d->used = true;
			d->exit = *e;
			d->proc = *p;
			d->until_ns = e->hdr.ts_ns + c->cfg.oom_wait_ns;
			if (p != &tmp)
				proc_remove(c, p);
			return;
		}
	}
	finish_exit(c, e, p);
	if (p != &tmp)
		proc_remove(c, p);
}

void on_oom(struct correlator *c, const struct ev *e)
{
	struct proc *p = proc_find(c, e->hdr.tgid);
	unsigned k = c->oom_memcg_next++ % (sizeof(c->oom_memcg) / sizeof(c->oom_memcg[0]));

	c->oom_memcg[k].tgid = e->hdr.tgid;
	c->oom_memcg[k].limit = e->memcg;
	c->oom_memcg[k].limit.path[sizeof(e->memcg.path) - 1] = '\0';

	if (p) {
		p->has_oom = true;
		p->oom = e->oom;
		return;
	}
	for (int i = 0; i < MAX_DEFERRED; i++) {
		struct deferred_exit *d = &c->deferred[i];

		if (d->used && d->proc.tgid == e->hdr.tgid) {
			d->proc.has_oom = true;
			d->proc.oom = e->oom;
			d->used = false;
			finish_exit(c, &d->exit, &d->proc);
			return;
		}
	}
}

/* ---- restarts and absence ---- */

static bool counts_as_agent(const struct proc *p)
{
	return p->ident == IDENT_AGENT || p->ident == IDENT_UNVERIFIED;
}

void core_started(struct correlator *c, struct proc *p)
{
	struct core_state *cs;

	if (!p->forked && counts_as_agent(p))
		active_process_up(c, process_name(p)); /* its death's problem ends */
	if (p->core == CORE_NONE || p->forked || !counts_as_agent(p))
		return;
	cs = &c->cores[p->core];
	p->counted = true;
	cs->running++;
	cs->deadline_ns = 0;
	if (!cs->exited_once || c->now_ns - cs->last_exit_ns > c->cfg.flap_window_ns)
		return;

	/* a restart: the previous instance exited within the window */
	cs->restarts[cs->nrestarts % MAX_FLAP] = c->now_ns;
	cs->nrestarts++;
	if (cs->nrestarts >= c->cfg.flap_count) {
		unsigned n = c->cfg.flap_count;
		uint64_t oldest = cs->restarts[(cs->nrestarts - n) % MAX_FLAP];

		if (c->now_ns - oldest <= c->cfg.flap_window_ns &&
		    (!cs->flap_emitted || c->now_ns - cs->flap_emitted_ns > c->cfg.flap_window_ns)) {
			struct diagnosis *d = diag_begin(c, CAUSE_AGENT_FLAPPING, p);

			snprintf(d->summary, sizeof(d->summary),
				 "%s restarted %u times within %llu s (now pid %u)%s%s",
				 process_name(p), n,
				 (unsigned long long)((c->now_ns - oldest + NSEC - 1) / NSEC), p->tgid,
				 cs->last_death >= 0 ? "; last exit: " : "",
				 cs->last_death >= 0 ? cause_code(cs->last_death) : "");
			cs->flap_emitted = true;
			cs->flap_emitted_ns = c->now_ns;
			emit(c, d, process_name(p));
		}
	}
}

void on_time(struct correlator *c)
{
	for (int i = 0; i < MAX_DEFERRED; i++) {
		struct deferred_exit *d = &c->deferred[i];

		if (d->used && c->now_ns >= d->until_ns) {
			d->used = false;
			finish_exit(c, &d->exit, &d->proc);
		}
	}
	for (int i = 0; i < CORE_COUNT; i++) {
		struct core_state *cs = &c->cores[i];
		struct diagnosis *d;

		if (!cs->deadline_ns || c->now_ns < cs->deadline_ns || cs->running)
			continue;
		cs->deadline_ns = 0;
		d = diag_begin(c, CAUSE_AGENT_NOT_RUNNING, NULL);
		snprintf(d->process, sizeof(d->process), "%s", agent_core_name(i));
		snprintf(d->summary, sizeof(d->summary),
			 "%s is not running: not restarted within %llu s after it exited%s%s",
			 agent_core_name(i), (unsigned long long)(c->cfg.grace_ns / NSEC),
			 cs->last_death >= 0 ? " (" : "",
			 cs->last_death >= 0 ? cause_code(cs->last_death) : "");
		if (cs->last_death >= 0) {
			size_t l = strlen(d->summary);

			snprintf(d->summary + l, sizeof(d->summary) - l, ")");
		}
		/* the last death explains it: relations.c, in emit */
		emit(c, d, agent_core_name(i));
	}
	release_held(c, false);
}
