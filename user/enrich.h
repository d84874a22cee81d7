/* What a diagnosis gains from the live host after the correlator made it:
 * the nftables rules behind a local drop and the kernel symbol of the drop.
 * Kept out of the correlator, which stays pure. */
#ifndef AEGISMON_ENRICH_H
#define AEGISMON_ENRICH_H

#include "diagnosis.h"

/* Fill d->rules and d->drop_symbol for connect_blocked_local; no-op otherwise. */
void enrich_diagnosis(struct diagnosis *d);

#endif
