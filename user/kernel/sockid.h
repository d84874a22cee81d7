/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Socket ids that leave aegismon: the kernel ties a socket's events together
 * by its address, which must never reach a file or a terminal (it would
 * undo KASLR). Each is replaced at ingestion by a keyed hash, random per
 * session: the same socket keeps one id, and the id says nothing else. */
#ifndef AEGISMON_SOCKID_H
#define AEGISMON_SOCKID_H

#include <stddef.h>
#include <stdint.h>

struct ev;

struct sockid_key {
	uint64_t k0, k1;
};

/* A fresh random key (getrandom); 0, or -errno. */
int sockid_key_init(struct sockid_key *key);
/* SipHash-2-4 of len bytes: the keyed hash (exposed for its test vectors). */
uint64_t siphash24(const struct sockid_key *key, const void *data, size_t len);
/* Replace the kernel socket addresses of e (tcp, drop) by their hashes. */
void sockid_hide(const struct sockid_key *key, struct ev *e);

#endif
