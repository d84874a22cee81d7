// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Agent lifecycle correlation: why did an agent process die, and is it back? */
#include "correlate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate_int.h"
#include "products.h"
#include "signals.h"

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

static void proc_remove(struct correlator *c, struct proc *p)
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
static struct proc *proc_lookup(struct correlator *c, uint32_t tgid, uint64_t start_ns)
{
	struct proc *p = proc_find(c, tgid);

	if (p && !same_process(p, start_ns)) {
		retire_stale(c, p);
		return NULL;
	}
	return p;
}

/* ---- diagnoses ---- */

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

static void release_held(struct correlator *c, bool all)
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

/* ---- identity and core bookkeeping ---- */

static bool counts_as_agent(const struct proc *p)
{
	return p->ident == IDENT_AGENT || p->ident == IDENT_UNVERIFIED;
}

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
static uint32_t *ignored_slot(struct correlator *c, uint32_t tgid)
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

static void core_started(struct correlator *c, struct proc *p)
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

static void finish_exit(struct correlator *c, const struct ev *e, const struct proc *p)
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

static void on_exit_ev(struct correlator *c, const struct ev *e)
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

static void on_oom(struct correlator *c, const struct ev *e)
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

static void on_time(struct correlator *c)
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
