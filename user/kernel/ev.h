/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* The events the correlator consumes: kernel events as decoded, plus what
 * userspace learned at ingestion (executables), plus userspace-made events. */
#ifndef AEGISMON_EV_H
#define AEGISMON_EV_H

#include <linux/types.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "memcg.h"

/* A process with an agent name found by the scan at start. */
struct aegis_seed {
	struct aegis_hdr hdr;
	__u64 start_ns; /* CLOCK_MONOTONIC, from /proc/<pid>/stat */
	/* ABI 3 */
	__u32 netns;    /* its network namespace (/proc/<pid>/ns/net), 0 unknown */
	__u32 pad;
};

/* Size of a seed before ABI 3 (recordings made then). */
#define AEGIS_SEED_SIZE_V2 (sizeof(struct aegis_hdr) + 8)

/* Time passes; carries the loss counter so diagnoses can say events were lost. */
struct aegis_tick {
	struct aegis_hdr hdr;
	__u64 events_lost;
};

struct ev {
	union {
		struct aegis_hdr hdr;
		struct aegis_exec exec;
		struct aegis_fork fork;
		struct aegis_exit exit;
		struct aegis_signal signal;
		struct aegis_oom oom;
		struct aegis_connect connect;
		struct aegis_tcp tcp;
		struct aegis_tcp_retrans retrans;
		struct aegis_drop drop;
		struct aegis_dns dns;
		struct aegis_sockerr sockerr;
		struct aegis_seed seed;
		struct aegis_tick tick;
		struct aegis_resources resources;
	};
	char exe[AEGIS_PATH_LEN];        /* subject executable; "" if unknown */
	char sender_exe[AEGIS_PATH_LEN]; /* signal sender executable; "" if unknown */
	/* exec and seed: who the subject is, judged at ingestion from what the
	 * kernel vouches for (enum agent_identity, enum agent_why); recorded
	 * with the event, so a replay judges as the live session did */
	uint8_t ident;
	uint8_t ident_why;
	/* OOM marks: the memory cgroup limit the victim ran under, read at
	 * ingestion while it still exists; recorded with the event */
	struct memcg_limit memcg;
};

/*
 * Decode one raw ring-buffer record into out. Checks the size against the
 * type, zero-fills what the record does not carry and NUL-terminates every
 * string. Returns 0, or -1 for a malformed or unknown record.
 */
int ev_decode(const void *data, size_t len, struct ev *out);

/*
 * ev_decode into an out that holds the previous event decoded by this
 * function or ev_decode, or zeros: the same result, but only the bytes the
 * previous event used are cleared (a replay decodes every event into one
 * struct). Any other content of out is undefined behaviour of the result,
 * not of memory: call ev_decode then.
 */
int ev_decode_again(const void *data, size_t len, struct ev *out);

/* Short name of an event type: "exec", "exit", ... */
const char *ev_type_name(unsigned type);

#endif
