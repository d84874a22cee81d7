/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The nftables ruleset generation of a network namespace: one NFT_MSG_GETGEN
 * request on a NETLINK_NETFILTER socket. Every committed ruleset change bumps
 * it, so a listing read at generation G is still the ruleset while the
 * generation reads G (elements a rule adds from the packet path excepted).
 */
#ifndef AEGISMON_NFTGEN_H
#define AEGISMON_NFTGEN_H

#include <stddef.h>
#include <stdint.h>

#define NFT_GEN_REQUEST_LEN 20 /* nlmsghdr + nfgenmsg */

/* The request, with sequence number seq, into buf (at least NFT_GEN_REQUEST_LEN bytes).
 * Returns its length, or -EINVAL if buf is too small. */
int nft_gen_build_request(void *buf, size_t len, uint32_t seq);

/*
 * The generation from the kernel's reply in buf (len bytes, one or more netlink messages):
 * the NFT_MSG_NEWGEN message of sequence seq. Returns 0 and sets *gen, the kernel's
 * -errno from an error message, -ENOMSG if there is no answer to seq, -EBADMSG if the
 * answer is malformed. Reads nothing outside buf[0..len).
 */
int nft_gen_parse(const void *buf, size_t len, uint32_t seq, uint32_t *gen);

/*
 * Ask the kernel for the generation of network namespace netns_fd (-1: our own). With a
 * namespace, the calling thread enters it to open the socket and goes back to home_fd
 * (an fd of the namespace it was in) at once: call it from a thread that does nothing
 * else meanwhile. Waits at most a second for the reply. 0 or -errno.
 */
int nft_gen_read(int netns_fd, int home_fd, uint32_t *gen);

#endif
