// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target for the nftables attribution: the input is taken as `nft -j list ruleset`
 * output and matched against fixed tuples (IPv4 and IPv6, every direction), then as
 * `nft -a list ruleset` text for the rules found. Nothing may crash, hang or leak.
 */
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "nftrules.h"

#define MAXM 8

static void fill(struct nft_tuple *t, int family, enum nft_hook_dir dir)
{
	static const uint8_t v4s[4] = { 10, 0, 0, 5 }, v4d[4] = { 100, 100, 1, 2 };
	static const uint8_t v6s[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 5 };
	static const uint8_t v6d[16] = { 0x24, 0x08, 0x40, 0x00, [15] = 1 };

	memset(t, 0, sizeof(*t));
	t->family = family;
	t->l4proto = dir == NFT_DIR_FORWARD ? IPPROTO_UDP : IPPROTO_TCP;
	memcpy(t->saddr, family == AF_INET ? v4s : v6s, family == AF_INET ? 4 : 16);
	memcpy(t->daddr, family == AF_INET ? v4d : v6d, family == AF_INET ? 4 : 16);
	t->sport = 40000;
	t->dport = 80;
	t->dir = dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum nft_hook_dir dirs[] = { NFT_DIR_ANY, NFT_DIR_OUTPUT, NFT_DIR_INPUT,
						  NFT_DIR_FORWARD };
	struct nft_rule_match m[MAXM];
	struct nft_tuple t;

	for (size_t i = 0; i < 2 * sizeof(dirs) / sizeof(dirs[0]); i++) {
		int n;

		fill(&t, i & 1 ? AF_INET6 : AF_INET, dirs[i / 2]);
		n = nft_rules_match((const char *)data, size, &t, m, MAXM);
		if (n < 0)
			break;         /* not JSON: the other tuples would say the same */
		if (n > MAXM)
			__builtin_trap();
		nft_rules_attach_text((const char *)data, size, m, n);
		for (int j = 0; j < n; j++)
			if (!memchr(m[j].text, '\0', sizeof(m[j].text)))
				__builtin_trap();
	}
	/* and as text alone, with a synthetic match to fill */
	memset(m, 0, sizeof(m));
	memcpy(m[0].family, "ip", 3);
	memcpy(m[0].table, "filter", 7);
	memcpy(m[0].chain, "OUTPUT", 7);
	m[0].handle = 4;
	nft_rules_attach_text((const char *)data, size, m, 1);
	return 0;
}
