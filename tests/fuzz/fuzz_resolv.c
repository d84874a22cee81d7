// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz the resolv.conf and hosts parsers: `check` reads them from hosts an
 * attacker may have touched (a miner's hosts-file pins). Only len bytes may
 * be read; what comes out must be sane.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "resolv.h"
#include "fuzz.h"

static int check_entry(const struct hosts_entry *e, void *ctx)
{
	(void)ctx;
	CHECK(e->family == AF_INET || e->family == AF_INET6);
	CHECK(memchr(e->name, 0, sizeof(e->name)) != NULL);
	CHECK(memchr(e->addr_text, 0, sizeof(e->addr_text)) != NULL);
	CHECK(e->line >= 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolv_conf rc;
	char *copy = malloc(size ? size : 1);

	CHECK(copy != NULL);
	memcpy(copy, data, size); /* exact size: ASan sees a read past len */
	resolv_conf_parse(copy, size, &rc);
	CHECK(rc.nns >= 0 && rc.nns <= RESOLV_MAX_NS);
	CHECK(rc.nsearch >= 0 && rc.nsearch <= RESOLV_MAX_SEARCH);
	CHECK(rc.timeout_s <= 30 && rc.attempts <= 5);
	for (int i = 0; i < rc.nns; i++)
		CHECK(memchr(rc.ns[i].text, 0, sizeof(rc.ns[i].text)) != NULL);
	hosts_parse(copy, size, check_entry, NULL);
	free(copy);
	return 0;
}
