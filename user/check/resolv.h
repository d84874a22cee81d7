/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* /etc/resolv.conf and /etc/hosts, read the way glibc reads them. Pure
 * parsers over a text buffer: fuzzed by tests/fuzz/fuzz_resolv.c. */
#ifndef AEGISMON_RESOLV_H
#define AEGISMON_RESOLV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RESOLV_MAX_NS 8        /* glibc uses the first 3; we report on all listed */
#define RESOLV_MAX_SEARCH 6
#define RESOLV_NAME_MAX 256

struct resolv_ns {
	int family;              /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	char text[64];           /* as written */
	unsigned line;
};

struct resolv_conf {
	int nns;
	struct resolv_ns ns[RESOLV_MAX_NS];
	int nsearch;
	char search[RESOLV_MAX_SEARCH][RESOLV_NAME_MAX];
	unsigned timeout_s;      /* options timeout:N (default 5) */
	unsigned attempts;       /* options attempts:N (default 2) */
	bool rotate;
	unsigned ignored;        /* nameserver lines beyond the limit or malformed */
};

/* Parse resolv.conf text. Never fails: what is malformed is counted in ignored. */
void resolv_conf_parse(const char *text, size_t len, struct resolv_conf *out);

/* One address-to-name line of /etc/hosts that concerns a name we care about. */
struct hosts_entry {
	int family;
	uint8_t addr[16];
	char addr_text[64];
	char name[RESOLV_NAME_MAX];  /* lowercase */
	unsigned line;
};

/*
 * Call fn for every (address, name) pair of hosts text (aliases included;
 * comments, malformed addresses and overlong names skipped). fn returns
 * non-zero to stop.
 */
void hosts_parse(const char *text, size_t len,
		 int (*fn)(const struct hosts_entry *e, void *ctx), void *ctx);

#endif
