/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * nftables rule attribution: given the ruleset as `nft -j list ruleset` prints it and the
 * tuple of a packet netfilter dropped, name the rule(s) that drop it. Pure: no I/O.
 */
#ifndef AEGISMON_NFTRULES_H
#define AEGISMON_NFTRULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nft_hook_dir { NFT_DIR_ANY, NFT_DIR_OUTPUT, NFT_DIR_INPUT, NFT_DIR_FORWARD };

struct nft_tuple {
	int family;            /* AF_INET or AF_INET6 */
	uint8_t l4proto;       /* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t saddr[16], daddr[16]; /* network order; IPv4 in the first 4 bytes */
	uint16_t sport, dport; /* host order */
	enum nft_hook_dir dir; /* where the drop happened, if known */
};

struct nft_rule_match {
	char family[16];       /* ip, ip6, inet (netdev for ingress/egress chains) */
	char table[64];
	char chain[64];        /* the chain holding the rule (a regular chain if reached by jump) */
	char hook[16];         /* hook of the base chain: output, input, forward, prerouting, ... */
	uint64_t handle;       /* 0 for a chain's policy */
	char verdict[16];      /* drop, reject */
	char text[512];        /* the rule as `nft -a list ruleset` prints it, if supplied */
	bool certain;          /* false if the rule has match expressions we could not evaluate */
};

/*
 * Parse `nft -j list ruleset` output (json, len) and return up to max rules whose verdict is
 * drop or reject (a chain's policy drop is reported with handle 0 and text "policy drop") in
 * base chains whose hook fits t->dir and whose match expressions the tuple satisfies.
 * Tables of family ip, ip6, inet and netdev are read; jumps and gotos are followed (depth 8).
 *
 * Results come in packet order (hook, then chain priority). A base chain is walked until a
 * certain accept, drop or reject; with a known direction a certain drop also ends the walk
 * of base chains later on the packet's path. certain is false when the rule's expressions,
 * or those of the jump that led to it, could not all be evaluated (ct, interfaces, marks,
 * xt matches...), for chains bound to a device (ingress/egress), and for a policy drop
 * when an earlier rule that may have decided the packet could not be evaluated.
 *
 * Returns the count, or -1 if the JSON is malformed (also: t NULL or invalid, max < 0,
 * out of memory). Never crashes on any input; work is bounded, and a pathological ruleset
 * that exhausts the bound yields what was found until then.
 */
int nft_rules_match(const char *json, size_t len, const struct nft_tuple *t,
		    struct nft_rule_match *out, int max);

/*
 * Fill out[i].text from the text of `nft -a list ruleset`: the rule line of the same family,
 * table, chain and handle, without its indentation and its "# handle N" suffix.
 * Entries with handle 0 (policy) and entries without a matching line are left as they are.
 */
void nft_rules_attach_text(const char *text, size_t len, struct nft_rule_match *out, int n);

#endif
