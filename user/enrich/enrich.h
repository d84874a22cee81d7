/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* What a diagnosis gains from the live host after the correlator made it:
 * the nftables rules behind a local drop and the kernel symbol of the drop.
 * Kept out of the correlator, which stays pure. */
#ifndef AEGISMON_ENRICH_H
#define AEGISMON_ENRICH_H

#include <stdbool.h>
#include <stdint.h>

#include "diagnosis.h"

/*
 * The enricher: connect_blocked_local diagnoses get the rules and the drop's symbol from a
 * worker thread, never in the event loop; connect_blocked_policy ones get what refused the
 * connect (the policy object and the end of their summary: refusal.h). A diagnosis is held
 * until the worker is done with it, at most hold_ms, then given back with whatever is known
 * by then (the rules may be missing); the event loop goes on meanwhile. The worker reads a
 * namespace's ruleset once per nftables generation (nftcache.h); its two nft runs get what
 * is left of the hold less a tenth of it, at most ENRICH_NFT_TIMEOUT_MS together.
 * At most ENRICH_HELD diagnoses wait; one more is given back at once, unenriched.
 * nft lists a plain ruleset in milliseconds; the hold is long for a loaded host with a
 * large ruleset, where a drop diagnosis a few seconds late with its rule beats one without.
 */
#define ENRICH_HOLD_MS 10000
#define ENRICH_NFT_TIMEOUT_MS 9000
#define ENRICH_HELD 16

/* What the worker does to the host: the real thing by default, fakes in tests.
 * Each returns 0 or -errno; handles are whatever open_ns returns (>= 0). */
struct enrich_ops {
	int (*open_ns)(void *ctx, uint32_t netns);
	void (*close_ns)(void *ctx, int ns);
	/* the nftables ruleset generation of ns */
	int (*generation)(void *ctx, int ns, uint32_t *gen);
	/* the `nft -j` and `nft -at` listings of ns within timeout_ms, malloc'd,
	 * NUL-terminated; gives up with -ECANCELED when cancel_fd becomes readable */
	int (*read)(void *ctx, int ns, int cancel_fd, unsigned timeout_ms, char **json,
		    size_t *jlen, char **text, size_t *tlen);
	/* the kernel symbol of a drop location */
	int (*symbol)(void *ctx, uint64_t addr, char *out, size_t len);
	void *ctx;
	/* what refused a connect of process tgid (thread tid) with EPERM/EACCES
	 * (refusal.h); before_hook: it never reached the network probes. NULL: the
	 * connect_blocked_policy diagnoses go on as they are. */
	int (*refusal)(void *ctx, uint32_t tgid, uint32_t tid, bool before_hook,
		       struct diag_policy *out);
};

struct enricher;

/* A diagnosis back from the enricher; seq is the one given at submit. */
typedef void (*enrich_done_fn)(void *ctx, struct diagnosis *d, uint32_t seq);

/* Start the worker (with every signal blocked). ops NULL: the real host. NULL on failure. */
struct enricher *enricher_new(const struct enrich_ops *ops, unsigned hold_ms);

/* Readable when a held diagnosis is ready: watch it and call enricher_dispatch. */
int enricher_fd(const struct enricher *en);

/*
 * A diagnosis from the correlator. Returns 1 if it is held (it comes back through
 * enricher_dispatch or enricher_drain), 0 if there is nothing to add or no room (the
 * caller goes on with d as it is).
 */
int enricher_submit(struct enricher *en, const struct diagnosis *d, uint32_t seq,
		    uint64_t now_ns);

/* Give back, in submission order, every held diagnosis the worker is done with or whose
 * hold ended by now_ns (CLOCK_MONOTONIC). Call at the fd and at each tick. */
void enricher_dispatch(struct enricher *en, uint64_t now_ns, enrich_done_fn done, void *ctx);

/* At the end: wait for the held diagnoses until their holds end, give them all back. */
void enricher_drain(struct enricher *en, enrich_done_fn done, void *ctx);

/* Diagnoses given back unenriched because ENRICH_HELD were waiting. */
uint64_t enricher_overflows(const struct enricher *en);

/* Stop the worker (an nft run is cancelled) and free. Drain first: held ones are lost. */
void enricher_free(struct enricher *en);

/* The parts of an enrichment, for the worker and tests: the drop of a
 * connect_blocked_local diagnosis, or NULL. */
const struct ev *enrich_drop_evidence(const struct diagnosis *d);
/* The refused connect of a connect_blocked_policy diagnosis, or NULL. */
const struct ev *enrich_refusal_evidence(const struct diagnosis *d);
/* Give d its policy p: the object, and what was seen at the end of its summary. */
void enrich_apply_policy(struct diagnosis *d, const struct diag_policy *p);

struct product;

/*
 * A known security product running on this host, for a diagnosis whose actor
 * the kernel cannot name (connect_blocked_policy: LSM, cgroup BPF, seccomp;
 * local drops). Returns the product and fills pid and comm, or NULL. It scans
 * /proc: call it only for those (rate-limited) diagnoses.
 */
const struct product *enrich_running_product(const struct diagnosis *d, int *pid, char *comm, size_t len);

/* The third_party_security diagnosis for a block while product runs as
 * pid/comm: built the same way live and in a replay. */
void make_suspect_diagnosis(const struct diagnosis *blocked, const char *product, int pid,
			    const char *comm, struct diagnosis *out);

#endif
