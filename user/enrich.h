/* What a diagnosis gains from the live host after the correlator made it:
 * the nftables rules behind a local drop and the kernel symbol of the drop.
 * Kept out of the correlator, which stays pure. */
#ifndef AEGISMON_ENRICH_H
#define AEGISMON_ENRICH_H

#include "diagnosis.h"

/* Fill d->rules and d->drop_symbol for connect_blocked_local; no-op otherwise. */
void enrich_diagnosis(struct diagnosis *d);

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
