// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Live enrichment of diagnoses: the nftables rules behind a local drop and the drop's kernel
 * symbol. Reading a ruleset runs nft, which takes seconds for a ruleset with a large set:
 * it is done by a worker thread, with a deadline, and cached per namespace and generation,
 * so the event loop never waits for it.
 */
#include "enrich.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kallsyms.h"
#include "netns.h"
#include "nftcache.h"
#include "nftexec.h"
#include "nftgen.h"
#include "nftrules.h"
#include "procfs.h"
#include "products.h"
#include "refusal.h"

#define BIG_LISTING (1u << 20) /* a parse this large leaves megabytes in the worker's arena */

enum held_state { HELD_FREE, HELD_QUEUED, HELD_RUNNING, HELD_DONE };

/* What the worker needs of a diagnosis... */
struct job_in {
	bool refusal;           /* a connect_blocked_policy: what refused it */
	uint32_t tgid, tid;
	bool before_hook;
	uint32_t netns;
	uint64_t location;
	struct nft_tuple t;
	uint64_t until_ns;      /* mono_ns() at which the loop stops holding the diagnosis */
};

/* ... and what it gives back. */
struct job_out {
	const char *unread;     /* why the rules could not be read (rules_unread), or NULL */
	unsigned nrules;
	struct nft_rule_match rules[DIAG_MAX_RULES];
	char symbol[sizeof(((struct diagnosis *)0)->drop_symbol)];
	bool has_policy;
	struct diag_policy policy;
};

struct held {
	enum held_state state;  /* under the lock */
	uint64_t id;            /* submission order, under the lock */
	struct job_in in;       /* set before QUEUED, read by the worker under the lock */
	struct job_out out;     /* written by the worker under the lock (DONE) */
	/* the event loop's alone */
	uint64_t deadline_ns;
	uint32_t seq;
	struct diagnosis d;
};

struct enricher {
	struct enrich_ops ops;
	uint64_t hold_ns;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool started;
	bool stop;              /* under the lock */
	int ready_fd;           /* eventfd: the worker finished a job */
	int cancel_fd;          /* eventfd: give up the nft run under way (shutdown) */
	int home_fd;            /* our network namespace, for the worker to come back to */
	uint64_t next_id;
	uint64_t overflows;
	struct held held[ENRICH_HELD];
	struct diagnosis out;   /* the event loop's: the diagnosis being given back */
	struct nft_cache cache; /* the worker's alone */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The first evidence of this type in a diagnosis of this cause, or NULL. */
static const struct ev *evidence_for(const struct diagnosis *d, enum cause cause, unsigned type)
{
	if (d->cause != cause)
		return NULL;
	for (unsigned i = 0; i < d->n_evidence && i < DIAG_MAX_EVIDENCE; i++)
		if (d->evidence[i].hdr.type == type)
			return &d->evidence[i];
	return NULL;
}

const struct ev *enrich_drop_evidence(const struct diagnosis *d)
{
	return evidence_for(d, CAUSE_CONNECT_BLOCKED_LOCAL, AEGIS_EV_NF_DROP);
}

const struct ev *enrich_refusal_evidence(const struct diagnosis *d)
{
	return evidence_for(d, CAUSE_CONNECT_BLOCKED_POLICY, AEGIS_EV_CONNECT);
}

void enrich_apply_policy(struct diagnosis *d, const struct diag_policy *p)
{
	size_t n = strnlen(d->summary, sizeof(d->summary));

	d->policy = *p;
	if (n + 1 < sizeof(d->summary))
		refusal_describe(p, d->summary + n, sizeof(d->summary) - n);
}

static void refusal_input(const struct ev *e, struct job_in *in)
{
	memset(in, 0, sizeof(*in));
	in->refusal = true;
	in->tgid = e->hdr.tgid;
	in->tid = e->hdr.pid;
	in->before_hook = e->connect.flags & AEGIS_NET_UNHOOKED;
}

static void job_input(const struct aegis_drop *dr, struct job_in *in)
{
	memset(in, 0, sizeof(*in));
	/* the ruleset that dropped it is the one of the drop's namespace */
	in->netns = dr->netns;
	in->location = dr->location;
	in->t.family = dr->tuple.family == AF_INET6 ? AF_INET6 : AF_INET;
	in->t.l4proto = dr->tuple.proto;
	memcpy(in->t.saddr, dr->tuple.saddr, 16);
	memcpy(in->t.daddr, dr->tuple.daddr, 16);
	in->t.sport = dr->tuple.sport;
	in->t.dport = dr->tuple.dport;
	in->t.dir = dr->flags & AEGIS_NET_INGRESS ? NFT_DIR_INPUT : NFT_DIR_OUTPUT;
}

/* ---------- the host, for real ---------- */

static int real_open_ns(void *ctx, uint32_t netns)
{
	int fd = netns_open_by_inode(netns);

	(void)ctx;
	return fd < 0 ? -ENOENT : fd;
}

static void real_close_ns(void *ctx, int ns)
{
	(void)ctx;
	close(ns);
}

static int real_generation(void *ctx, int ns, uint32_t *gen)
{
	const struct enricher *en = ctx;

	return nft_gen_read(ns, en->home_fd, gen);
}

static int real_read(void *ctx, int ns, int cancel_fd, unsigned timeout_ms, char **json,
		     size_t *jlen, char **text, size_t *tlen)
{
	(void)ctx;
	/* two nft runs share the time */
	return nft_ruleset_read_cancellable(ns, timeout_ms / 2 ? timeout_ms / 2 : 1, cancel_fd,
					    json, jlen, text, tlen);
}

static int real_refusal(void *ctx, uint32_t tgid, uint32_t tid, bool before_hook,
			struct diag_policy *out)
{
	struct refusal_facts f;
	int rc = refusal_gather(tgid, tid, &f);

	(void)ctx;
	if (rc < 0)
		return rc;
	refusal_choose(&f, before_hook, out);
	return 0;
}

/* The worker is ksym_resolve's only caller in a session: its cache needs no lock. */
static int real_symbol(void *ctx, uint64_t addr, char *out, size_t len)
{
	(void)ctx;
	return ksym_resolve(addr, out, len) ? -ENOENT : 0;
}

/* ---------- the worker ---------- */

/*
 * The time nft may take for a job: what is left of the diagnosis's hold less a tenth of
 * the hold (for the symbol lookup after it), at most ENRICH_NFT_TIMEOUT_MS; 0 when that is
 * gone and a result could not reach the diagnosis anyway (the job waited behind another).
 */
static unsigned nft_budget_ms(const struct enricher *en, const struct job_in *in,
			      uint64_t now_ns)
{
	uint64_t margin = en->hold_ns / 10;
	uint64_t left_ms;

	if (now_ns + margin >= in->until_ns)
		return 0;
	left_ms = (in->until_ns - now_ns - margin) / 1000000ULL;
	return left_ms > ENRICH_NFT_TIMEOUT_MS ? ENRICH_NFT_TIMEOUT_MS : (unsigned)left_ms;
}

static const struct nft_cached *read_into_cache(struct enricher *en, int ns, uint32_t netns,
						bool has_gen, uint32_t gen, unsigned budget_ms)
{
	char *json = NULL, *text = NULL;
	size_t jlen = 0, tlen = 0;
	int rc = en->ops.read(en->ops.ctx, ns, en->cancel_fd, budget_ms, &json, &jlen, &text,
			      &tlen);

	/* shut down, or too slow for a job that got less than the whole budget (it
	 * waited behind another): the next drop tries again */
	if (rc == -ECANCELED || (rc == -ETIMEDOUT && budget_ms < ENRICH_NFT_TIMEOUT_MS)) {
		free(json);
		free(text);
		return NULL;
	}
	if (rc < 0) {
		free(json);
		free(text);
		json = text = NULL;
		jlen = tlen = 0;
	}
	return nft_cache_put(&en->cache, netns, has_gen, gen, mono_ns(), rc, json, jlen, text,
			     tlen);
}

static void match_rules(const struct nft_cached *e, const struct job_in *in,
			struct job_out *out)
{
	int n = nft_rules_match(e->json, e->jlen, &in->t, out->rules, DIAG_MAX_RULES);

	if (n > 0) {
		out->nrules = (unsigned)n;
		if (e->text)
			nft_rules_attach_text(e->text, e->tlen, out->rules, n);
	}
	if (e->jlen > BIG_LISTING)
		malloc_trim(0);
}

/* A failed nft read as the diagnosis's rules_unread. */
static const char *unread_reason(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return RULES_UNREAD_TIMEOUT;
	case -ENOENT:
		return RULES_UNREAD_NO_NFT;
	case -EFBIG:
		return RULES_UNREAD_TOO_LARGE;
	default:
		return RULES_UNREAD_NFT_FAILED;
	}
}

static void run_job(struct enricher *en, const struct job_in *in, struct job_out *out)
{
	const struct nft_cached *e = NULL;
	uint32_t gen = 0;
	unsigned budget_ms;
	bool has_gen;
	int ns;

	memset(out, 0, sizeof(*out));
	if (in->refusal) {
		out->has_policy = en->ops.refusal(en->ops.ctx, in->tgid, in->tid, in->before_hook,
						  &out->policy) == 0;
		return;
	}
	/* the rules first: they are what the operator acts on */
	ns = en->ops.open_ns(en->ops.ctx, in->netns);
	if (ns >= 0) {
		has_gen = en->ops.generation(en->ops.ctx, ns, &gen) == 0;
		e = nft_cache_get(&en->cache, in->netns, has_gen, gen, mono_ns());
		if (!e && (budget_ms = nft_budget_ms(en, in, mono_ns())))
			e = read_into_cache(en, ns, in->netns, has_gen, gen, budget_ms);
		en->ops.close_ns(en->ops.ctx, ns);
		if (e && !e->err && e->json)
			match_rules(e, in, out);
		else    /* no time left, cut short, or failed */
			out->unread = e ? unread_reason(e->err) : RULES_UNREAD_TIMEOUT;
		nft_cache_expire(&en->cache, mono_ns());
	} else {
		out->unread = RULES_UNREAD_NETNS_GONE;
	}
	if (in->location && en->ops.symbol(en->ops.ctx, in->location, out->symbol,
					   sizeof(out->symbol)) < 0)
		out->symbol[0] = '\0';
}

/* The oldest queued job, under the lock. */
static struct held *next_queued(struct enricher *en)
{
	struct held *best = NULL;

	for (int i = 0; i < ENRICH_HELD; i++) {
		struct held *h = &en->held[i];

		if (h->state == HELD_QUEUED && (!best || h->id < best->id))
			best = h;
	}
	return best;
}

static void signal_fd(int fd)
{
	uint64_t one = 1;

	/* an eventfd counter does not fill up with ones */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

static void *worker(void *arg)
{
	struct enricher *en = arg;
	struct job_in in;
	struct job_out out;

	pthread_mutex_lock(&en->lock);
	for (;;) {
		struct held *h = NULL;
		uint64_t id;

		while (!en->stop && !(h = next_queued(en)))
			pthread_cond_wait(&en->wake, &en->lock);
		if (en->stop)
			break;
		h->state = HELD_RUNNING;
		id = h->id;
		in = h->in;
		pthread_mutex_unlock(&en->lock);
		run_job(en, &in, &out);
		pthread_mutex_lock(&en->lock);
		/* the loop may have given it back at its deadline meanwhile */
		if (h->state == HELD_RUNNING && h->id == id) {
			h->out = out;
			h->state = HELD_DONE;
			signal_fd(en->ready_fd);
		}
	}
	pthread_mutex_unlock(&en->lock);
	return NULL;
}

/* ---------- the event loop's side ---------- */

static void enricher_close(struct enricher *en)
{
	if (en->ready_fd >= 0)
		close(en->ready_fd);
	if (en->cancel_fd >= 0)
		close(en->cancel_fd);
	if (en->home_fd >= 0)
		close(en->home_fd);
	nft_cache_clear(&en->cache);
	pthread_cond_destroy(&en->wake);
	pthread_mutex_destroy(&en->lock);
	free(en);
}

/* The worker gets no signal: SIGTERM and the others stay the event loop's (signalfd). */
static int start_worker(struct enricher *en)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&en->thread, NULL, worker, en);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	en->started = rc == 0;
	return -rc;
}

struct enricher *enricher_new(const struct enrich_ops *ops, unsigned hold_ms)
{
	struct enricher *en = calloc(1, sizeof(*en));

	if (!en)
		return NULL;
	pthread_mutex_init(&en->lock, NULL);
	pthread_cond_init(&en->wake, NULL);
	en->hold_ns = (uint64_t)hold_ms * 1000000ULL;
	en->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	en->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	en->home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ops) {
		en->ops = *ops;
	} else {
		en->ops = (struct enrich_ops){ real_open_ns, real_close_ns, real_generation,
					       real_read, real_symbol, en, real_refusal };
	}
	if (en->ready_fd < 0 || en->cancel_fd < 0 || start_worker(en) < 0) {
		enricher_close(en);
		return NULL;
	}
	return en;
}

int enricher_fd(const struct enricher *en)
{
	return en ? en->ready_fd : -1;
}

int enricher_submit(struct enricher *en, const struct diagnosis *d, uint32_t seq,
		    uint64_t now_ns)
{
	const struct ev *e = enrich_drop_evidence(d);
	const struct ev *refused = en && en->ops.refusal ? enrich_refusal_evidence(d) : NULL;
	struct held *h = NULL;

	if (!en || (!e && !refused))
		return 0;
	pthread_mutex_lock(&en->lock);
	for (int i = 0; i < ENRICH_HELD && !h; i++)
		if (en->held[i].state == HELD_FREE)
			h = &en->held[i];
	if (!h) {
		en->overflows++;
		pthread_mutex_unlock(&en->lock);
		return 0;
	}
	h->d = *d;
	h->seq = seq;
	h->deadline_ns = now_ns + en->hold_ns;
	if (e)
		job_input(&e->drop, &h->in);
	else
		refusal_input(refused, &h->in);
	/* the worker's clock: now_ns is the event clock, which may be another */
	h->in.until_ns = mono_ns() + en->hold_ns;
	h->id = ++en->next_id;
	h->state = HELD_QUEUED;
	pthread_cond_signal(&en->wake);
	pthread_mutex_unlock(&en->lock);
	return 1;
}

/* The oldest held diagnosis that is done or whose hold ended, under the lock. */
static struct held *next_ready(struct enricher *en, uint64_t now_ns)
{
	struct held *best = NULL;

	for (int i = 0; i < ENRICH_HELD; i++) {
		struct held *h = &en->held[i];

		if (h->state == HELD_FREE || (h->state != HELD_DONE && now_ns < h->deadline_ns))
			continue;
		if (!best || h->id < best->id)
			best = h;
	}
	return best;
}

static void apply(struct diagnosis *d, const struct job_out *o)
{
	if (o->unread)
		snprintf(d->rules_unread, sizeof(d->rules_unread), "%s", o->unread);
	if (o->has_policy)
		enrich_apply_policy(d, &o->policy);
	if (o->symbol[0])
		memcpy(d->drop_symbol, o->symbol, sizeof(d->drop_symbol));
	d->nrules = o->nrules;
	memcpy(d->rules, o->rules, sizeof(d->rules));
}

void enricher_dispatch(struct enricher *en, uint64_t now_ns, enrich_done_fn done, void *ctx)
{
	uint64_t count;

	if (!en)
		return;
	if (read(en->ready_fd, &count, sizeof(count)) < 0)
		count = 0;         /* EAGAIN: woken by the tick */
	for (;;) {
		struct held *h;
		uint32_t seq;

		pthread_mutex_lock(&en->lock);
		h = next_ready(en, now_ns);
		if (!h) {
			pthread_mutex_unlock(&en->lock);
			return;
		}
		en->out = h->d;
		if (h->state == HELD_DONE)
			apply(&en->out, &h->out);
		else if (!h->in.refusal)  /* the hold ended first */
			snprintf(en->out.rules_unread, sizeof(en->out.rules_unread), "%s",
				 RULES_UNREAD_TIMEOUT);
		seq = h->seq;
		h->state = HELD_FREE;
		pthread_mutex_unlock(&en->lock);
		done(ctx, &en->out, seq);
	}
}

/* The end of the latest hold among the diagnoses still held; 0 if none is. */
static uint64_t last_deadline(struct enricher *en)
{
	uint64_t last = 0;

	pthread_mutex_lock(&en->lock);
	for (int i = 0; i < ENRICH_HELD; i++)
		if (en->held[i].state != HELD_FREE && en->held[i].deadline_ns > last)
			last = en->held[i].deadline_ns;
	pthread_mutex_unlock(&en->lock);
	return last;
}

void enricher_drain(struct enricher *en, enrich_done_fn done, void *ctx)
{
	uint64_t last, now;

	if (!en)
		return;
	while ((last = last_deadline(en))) {
		struct pollfd p = { .fd = en->ready_fd, .events = POLLIN };

		now = mono_ns();
		if (now < last)
			poll(&p, 1, (int)((last - now) / 1000000ULL) + 1);
		/* past the last hold, everything left is given back as it is */
		now = mono_ns();
		enricher_dispatch(en, now < last ? now : last, done, ctx);
	}
}

uint64_t enricher_overflows(const struct enricher *en)
{
	return en ? en->overflows : 0;
}

void enricher_free(struct enricher *en)
{
	if (!en)
		return;
	if (en->started) {
		pthread_mutex_lock(&en->lock);
		en->stop = true;
		pthread_cond_signal(&en->wake);
		pthread_mutex_unlock(&en->lock);
		signal_fd(en->cancel_fd);
		pthread_join(en->thread, NULL);
	}
	enricher_close(en);
}

struct product_scan {
	const struct product *found;
	int pid;
	char comm[16];
};

static int product_one(int pid, void *ctx)
{
	struct product_scan *s = ctx;
	struct proc_stat st;
	char exe[AEGIS_PATH_LEN] = "";

	if (proc_read_stat(pid, &st))
		return 0;
	proc_read_exe(pid, exe, sizeof(exe));
	s->found = product_of_process(st.comm, exe);
	if (!s->found)
		return 0;
	s->pid = pid;
	memcpy(s->comm, st.comm, sizeof(s->comm));
	return 1;
}

const struct product *enrich_running_product(const struct diagnosis *d, int *pid, char *comm, size_t len)
{
	struct product_scan s = { 0 };

	if (d->cause != CAUSE_CONNECT_BLOCKED_POLICY && d->cause != CAUSE_CONNECT_BLOCKED_LOCAL &&
	    d->cause != CAUSE_DNS_BLOCKED_LOCAL)
		return NULL;
	proc_for_each_pid(product_one, &s);
	if (!s.found)
		return NULL;
	*pid = s.pid;
	snprintf(comm, len, "%s", s.comm);
	return s.found;
}

void make_suspect_diagnosis(const struct diagnosis *blocked, const char *product, int pid,
			    const char *comm, struct diagnosis *d)
{
	char what[DIAG_SUMMARY_LEN];

	*d = *blocked;
	d->cause = CAUSE_THIRD_PARTY_SECURITY;
	d->primary = false; /* a suspect, not a proof */
	d->explained_by = -1;
	d->explained_by_id = 0;
	d->id = 0; /* made here, not by the correlator */
	d->count = 1;
	d->first_ns = d->last_ns = d->ts_ns;
	d->nrules = 0;
	d->drop_symbol[0] = '\0';
	/* what was seen on the process stays with the block's own diagnosis */
	memset(&d->policy, 0, sizeof(d->policy));
	snprintf(what, sizeof(what), "%s", blocked->summary);
	snprintf(d->summary, sizeof(d->summary), "%s runs here (%s, pid %d): the likely author of %s: %s",
		 product, comm, pid, cause_code(blocked->cause), what);
}
