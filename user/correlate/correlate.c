// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Agent lifecycle correlation: the process table, who is the agent, and the events in. */
#include "correlate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate_int.h"

void correlator_config_defaults(struct correlator_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->grace_ns = 30 * NSEC;
	cfg->flap_window_ns = 300 * NSEC;
	cfg->flap_count = 3;
	cfg->dedup_ns = 10 * NSEC;
	cfg->net_window_ns = 120 * NSEC;
	cfg->dns_timeout_ns = 5 * NSEC;
	cfg->oom_wait_ns = NSEC / 2;
	cfg->res_window_ns = 60 * NSEC;
	cfg->cpu_busy_pm = 950;
	cfg->mem_used_pm = 950;
	cfg->mem_psi_full = 1000;
	cfg->starve_us = 100000;
}

struct correlator *correlator_new(const struct correlator_config *cfg, diag_fn fn, void *ctx)
{
	struct correlator *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	correlator_reconfigure(c, cfg);
	c->fn = fn;
	c->ctx = ctx;
	for (int i = 0; i < CORE_COUNT; i++)
		c->cores[i].last_death = -1;
	for (int i = 0; i < MAX_DEDUP; i++)
		c->dedup[i].held = &c->diag_pool[i];
	c->scratch = &c->diag_pool[MAX_DEDUP];
	c->stats.verdicts = &c->verdicts;
	return c;
}

void correlator_set_probes_since(struct correlator *c, uint64_t ns)
{
	c->probes_since_ns = ns;
}

void correlator_reconfigure(struct correlator *c, const struct correlator_config *cfg)
{
	c->cfg = *cfg;
	if (c->cfg.flap_count < 2)
		c->cfg.flap_count = 2;
	if (c->cfg.flap_count > MAX_FLAP)
		c->cfg.flap_count = MAX_FLAP;
	c->rel_win[REL_WIN_NET] = c->cfg.net_window_ns;
	c->rel_win[REL_WIN_FLAP] = c->cfg.flap_window_ns;
	c->rel_win[REL_WIN_RES] = c->cfg.res_window_ns;
	c->rel_win[REL_WIN_SESSION] = UINT64_MAX;
	memcpy(c->verdicts.win, c->rel_win, sizeof(c->verdicts.win));
}

void correlator_free(struct correlator *c)
{
	free(c);
}

unsigned correlator_core_running(const struct correlator *c, int core)
{
	return core >= 0 && core < CORE_COUNT ? c->cores[core].running : 0;
}

const struct correlator_stats *correlator_stats(const struct correlator *c)
{
	return &c->stats;
}

/* ---- process table: open addressing, linear probing, backward-shift delete ---- */

static unsigned slot_of(uint32_t tgid)
{
	return (tgid * 2654435761u) & (PROC_SLOTS - 1);
}

struct proc *proc_find(struct correlator *c, uint32_t tgid)
{
	unsigned i = slot_of(tgid);

	for (unsigned n = 0; n < PROC_SLOTS; n++, i = (i + 1) & (PROC_SLOTS - 1)) {
		if (c->procs[i].tgid == tgid)
			return &c->procs[i];
		if (c->procs[i].tgid == 0)
			return NULL;
	}
	return NULL;
}

static struct proc *proc_insert(struct correlator *c, uint32_t tgid)
{
	unsigned i = slot_of(tgid);

	for (unsigned n = 0; n < PROC_SLOTS; n++, i = (i + 1) & (PROC_SLOTS - 1)) {
		struct proc *p = &c->procs[i];

		if (p->tgid == tgid || p->tgid == 0) {
			/* a reused pid starts clean */
			memset(p, 0, sizeof(*p));
			p->tgid = tgid;
			p->core = CORE_NONE;
			return p;
		}
	}
	c->stats.table_full++;
	return NULL;
}

void proc_remove(struct correlator *c, struct proc *p)
{
	unsigned hole = (unsigned)(p - c->procs), i = hole;

	memset(p, 0, sizeof(*p));
	for (;;) {
		unsigned home;

		i = (i + 1) & (PROC_SLOTS - 1);
		if (c->procs[i].tgid == 0)
			return;
		home = slot_of(c->procs[i].tgid);
		/* move back if the hole lies cyclically between home and i */
		if (((i - home) & (PROC_SLOTS - 1)) >= ((i - hole) & (PROC_SLOTS - 1))) {
			c->procs[hole] = c->procs[i];
			memset(&c->procs[i], 0, sizeof(c->procs[i]));
			hole = i;
		}
	}
}

/*
 * A slot is a process: its tgid and its start. The kernel's start time
 * (exec, fork, exit: task->start_time) is exact. The start scan reads
 * /proc, to a clock tick and on the boot clock: what it vouches for is that
 * the process had started by the scan (hdr.ts_ns), so that time is kept,
 * as an upper bound.
 */
static uint64_t event_start(const struct ev *e, bool *upper_bound)
{
	*upper_bound = false;
	switch (e->hdr.type) {
	case AEGIS_EV_EXEC: return e->exec.start_ns;
	case AEGIS_EV_FORK: return e->fork.start_ns;
	case AEGIS_EV_EXIT: return e->exit.start_ns;
	case AEGIS_EV_SEED:
		*upper_bound = true;
		return e->hdr.ts_ns;
	default: return 0;
	}
}

/* Whether the process in p can be the one the kernel says started at
 * start_ns. 0 on either side is unknown (recordings before ABI 4, a slot
 * made from a signal): the tgid alone says, as it always did. */
static bool same_process(const struct proc *p, uint64_t start_ns)
{
	if (!start_ns || !p->kstart_ns)
		return true;
	if (p->kstart_upper)
		return start_ns <= p->kstart_ns; /* started by the scan */
	return start_ns == p->kstart_ns;
}

/* The process in p is gone and its exit was lost (its pid came back with
 * another start): the core process it counted as is one fewer, from now at
 * the latest, as an exit would have said. */
static void retire_stale(struct correlator *c, struct proc *p)
{
	if (p->counted) {
		struct core_state *cs = &c->cores[p->core];

		if (cs->running)
			cs->running--;
		cs->exited_once = true;
		cs->last_exit_ns = c->now_ns;
		if (cs->running == 0)
			cs->deadline_ns = c->now_ns + c->cfg.grace_ns;
	}
	proc_remove(c, p);
}

/* The slot of process tgid that started at start_ns (the kernel's, 0
 * unknown), or NULL. A slot of an older process under the same pid is
 * stale: retired, never inherited. */
struct proc *proc_lookup(struct correlator *c, uint32_t tgid, uint64_t start_ns)
{
	struct proc *p = proc_find(c, tgid);

	if (p && !same_process(p, start_ns)) {
		retire_stale(c, p);
		return NULL;
	}
	return p;
}

/* ---- identity ---- */

static void report_impostor(struct correlator *c, const struct proc *p, const struct ev *e)
{
	struct diagnosis *d = diag_begin(c, CAUSE_AGENT_IMPOSTOR, p);
	const struct agent_env *env = c->cfg.env;
	char key[32];

	/* the path is for the reader only: the verdict came from the inode */
	const char *exe = p->exe[0] ? p->exe : e->hdr.type == AEGIS_EV_EXEC ? e->exec.filename : "";

	if (p->ident_why == WHY_NOT_INSTALLED)
		snprintf(d->summary, sizeof(d->summary),
			 "%s (pid %u, uid %u) is not the agent: it runs %s%s, which is not an installed "
			 "file of the agent root %s", p->comm, p->tgid, p->uid, exe[0] ? exe : "an unknown file",
			 !p->exe[0] && exe[0] ? " (as exec'd; gone since)" : "",
			 env && env->nroots ? env->roots[0] : "?");
	else
		snprintf(d->summary, sizeof(d->summary), "%s (pid %u, uid %u) is not the agent: %s%s%s",
			 p->comm, p->tgid, p->uid, agent_why_text((enum agent_why)p->ident_why),
			 exe[0] ? "; it runs " : "", exe);
	diag_add_evidence(d, e);
	/* one user's impostors are one subject, however many files or names
	 * they use: the repeats are folded into its count */
	snprintf(key, sizeof(key), "uid:%u", p->uid);
	emit(c, d, key);
}

/* The kernel stops tracking an impostor, but events it queued before that
 * (signal, fork, exit) still arrive: remember the pid so they are not judged
 * by the agent name they carry. */
uint32_t *ignored_slot(struct correlator *c, uint32_t tgid)
{
	for (int i = 0; tgid && i < MAX_IGNORED; i++)
		if (c->ignored[i] == tgid)
			return &c->ignored[i];
	return NULL;
}

bool proc_is_impostor(struct correlator *c, uint32_t tgid)
{
	return ignored_slot(c, tgid) != NULL;
}

static void drop_impostor(struct correlator *c, struct proc *p)
{
	if (!ignored_slot(c, p->tgid))
		c->ignored[c->nignored++ % MAX_IGNORED] = p->tgid;
	proc_remove(c, p);
}

static struct proc *track(struct correlator *c, const struct ev *e, bool forked)
{
	struct proc *p = proc_insert(c, e->hdr.tgid);
	uint32_t *ign = ignored_slot(c, e->hdr.tgid);

	if (ign) /* a new process under a pid once an impostor's */
		*ign = 0;
	if (!p)
		return NULL;
	memcpy(p->comm, e->hdr.comm, sizeof(p->comm));
	memcpy(p->exe, e->exe, sizeof(p->exe));
	p->forked = forked;
	p->uid = e->hdr.uid;
	p->ident = agent_is_comm(p->comm) ? e->ident : IDENT_OTHER;
	p->ident_why = e->ident_why;
	p->core = (int8_t)agent_core_of_comm(p->comm);
	p->start_ns = e->hdr.ts_ns;
	p->kstart_ns = event_start(e, &p->kstart_upper);
	return p;
}

/* ---- event handlers ---- */

static void on_seed(struct correlator *c, const struct ev *e)
{
	struct proc *p = track(c, e, false);

	if (!p)
		return;
	p->start_ns = e->seed.start_ns;
	if (p->ident == IDENT_IMPOSTOR) {
		report_impostor(c, p, e);
		drop_impostor(c, p); /* userspace also stops tracking it in the kernel */
		return;
	}
	if (p->ident == IDENT_AGENT && e->seed.netns)
		net_concerns_agent(c, AEGIS_NET_AGENT, e->seed.netns); /* its namespace is the agent's */
	core_started(c, p);
}

static void on_seed_done(struct correlator *c)
{
	const struct agent_env *env = c->cfg.env;
	unsigned expected = (1u << CORE_COUNT) - 1;
	struct diagnosis *d;

	c->seeded = true;
	if (!env || !env->install.found) {
		d = diag_begin(c, CAUSE_AGENT_NOT_RUNNING, NULL);
		snprintf(d->process, sizeof(d->process), "agent");
		d->not_installed = true;
		snprintf(d->summary, sizeof(d->summary),
			 "the agent is not installed: no aegis_client or aegis_update under %s%s%s",
			 env && env->nroots > 0 ? env->roots[0] : "/usr/local/aegis",
			 env && env->nroots > 1 ? " or " : "",
			 env && env->nroots > 1 ? env->roots[1] : "");
		emit(c, d, "agent");
		return;
	}
	/* expect the core processes whose binaries the install has */
	expected = env->install.present_mask;
	for (int i = 0; i < CORE_COUNT; i++) {
		if (!(expected & (1u << i)) || c->cores[i].running)
			continue;
		d = diag_begin(c, CAUSE_AGENT_NOT_RUNNING, NULL);
		snprintf(d->process, sizeof(d->process), "%s", agent_core_name(i));
		if (env->install.major >= 0)
			snprintf(d->summary, sizeof(d->summary),
				 "%s is not running (agent root %s, version aegis_%d_%d)",
				 agent_core_name(i), env->install.root, env->install.major,
				 env->install.minor);
		else
			snprintf(d->summary, sizeof(d->summary),
				 "%s is not running (agent root %s)", agent_core_name(i),
				 env->install.root);
		emit(c, d, agent_core_name(i));
	}
}

static void on_exec(struct correlator *c, const struct ev *e)
{
	struct proc *old = proc_lookup(c, e->hdr.tgid, e->exec.start_ns), *p;
	bool was_counted = old && old->counted;

	/* exec replaces the image in place: a counted process stays counted only
	 * if it is still the same core process */
	if (was_counted && c->cores[old->core].running)
		c->cores[old->core].running--;
	if (!agent_is_comm(e->hdr.comm)) {
		/* a tracked process became another program: forget it, as the
		 * kernel did; a running core process that did is gone */
		if (was_counted && c->cores[old->core].running == 0)
			c->cores[old->core].deadline_ns = e->hdr.ts_ns + c->cfg.grace_ns;
		if (old)
			proc_remove(c, old);
		return;
	}
	p = track(c, e, false);
	if (!p)
		return;
	if (p->ident == IDENT_IMPOSTOR) {
		report_impostor(c, p, e);
		drop_impostor(c, p); /* userspace also stops tracking it in the kernel */
		return;
	}
	/* where the agent lives, before its first socket: its first lookup */
	if (p->ident == IDENT_AGENT && e->exec.netns)
		net_concerns_agent(c, AEGIS_NET_AGENT, e->exec.netns);
	core_started(c, p);
}

static void on_fork(struct correlator *c, const struct ev *e)
{
	struct proc *parent, *p;
	bool from_impostor;

	/* a stale slot of the child's pid goes first: a removal moves slots */
	proc_lookup(c, e->hdr.tgid, e->fork.start_ns);
	parent = proc_find(c, e->hdr.ppid);
	from_impostor = !parent && ignored_slot(c, e->hdr.ppid);
	p = track(c, e, true);
	if (p && parent) {
		memcpy(p->exe, parent->exe, sizeof(p->exe));
		p->ident = parent->ident;
	} else if (p && from_impostor) {
		/* forked before the impostor was untracked: the kernel tracks the
		 * child until it exits, and it is no agent either */
		p->ident = IDENT_IMPOSTOR;
	}
}

static void on_signal(struct correlator *c, const struct ev *e)
{
	struct proc *p = proc_find(c, e->hdr.tgid);

	if (!p && ignored_slot(c, e->hdr.tgid))
		return; /* an impostor's, queued before it was untracked */
	if (!p) {
		struct ev seen = *e;

		/* tracked by the kernel before we knew it (pid seeded late) */
		seen.exe[0] = '\0';
		p = track(c, &seen, false);
		if (!p)
			return;
	}
	/* SIGKILL from the OOM killer must not be overwritten by a later, weaker
	 * signal; otherwise the newest signal is the one that explains an exit. */
	if (p->has_signal && p->last_signal.sig == SIGKILL_NR && e->signal.sig != SIGKILL_NR)
		return;
	p->has_signal = true;
	p->last_signal = e->signal;
	memcpy(p->sender_exe, e->sender_exe, sizeof(p->sender_exe));
}

void correlator_feed(struct correlator *c, const struct ev *e)
{
	c->stats.events++;
	/* time only moves forward: a late event from another CPU does not rewind it */
	if (e->hdr.ts_ns > c->now_ns)
		c->now_ns = e->hdr.ts_ns;

	switch (e->hdr.type) {
	case AEGIS_EV_SEED: on_seed(c, e); break;
	case AEGIS_EV_SEED_DONE: on_seed_done(c); break;
	case AEGIS_EV_EXEC: on_exec(c, e); break;
	case AEGIS_EV_FORK: on_fork(c, e); break;
	case AEGIS_EV_SIGNAL: on_signal(c, e); break;
	case AEGIS_EV_EXIT: on_exit_ev(c, e); break;
	case AEGIS_EV_OOM_VICTIM: on_oom(c, e); break;
	case AEGIS_EV_CONNECT: net_on_connect(c, e); break;
	case AEGIS_EV_TCP_STATE: net_on_tcp(c, e); break;
	case AEGIS_EV_TCP_RETRANS: net_on_retrans(c, e); break;
	case AEGIS_EV_NF_DROP:
		if (!dns_on_drop(c, e))
			net_on_drop(c, e);
		break;
	case AEGIS_EV_DNS: dns_on_message(c, e); break;
	case AEGIS_EV_SOCK_ERROR: dns_on_sockerr(c, e); break;
	case AEGIS_EV_RESOURCES: res_on_sample(c, e); break;
	case AEGIS_EV_TICK:
		if (e->tick.events_lost > c->stats.events_lost)
			c->stats.events_lost = e->tick.events_lost;
		/* silence is judged on ticks only: kernel events stay cheap */
		dns_on_tick(c);
		on_time(c);
		break;
	default: break;
	}
}

void correlator_flush(struct correlator *c, uint64_t now_ns)
{
	if (now_ns > c->now_ns)
		c->now_ns = now_ns;
	for (int i = 0; i < MAX_DEFERRED; i++) {
		struct deferred_exit *d = &c->deferred[i];

		if (d->used) {
			d->used = false;
			finish_exit(c, &d->exit, &d->proc);
		}
	}
	release_held(c, true);
}
