// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz rec_decode: `aegismon replay` reads record files from anywhere (a
 * ticket attachment). The first two bytes pick the record kind, the rest is
 * the payload. Nothing may be read past it; what comes out must be sane.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rec_item item;
	uint16_t kind;
	uint8_t *copy;
	int rc;

	if (size < 2)
		return 0;
	kind = (uint16_t)(data[0] % 6);
	copy = malloc(size - 2 ? size - 2 : 1);
	CHECK(copy != NULL);
	memcpy(copy, data + 2, size - 2); /* exact size: ASan sees a read past len */
	rc = rec_decode(kind, copy, size - 2, &item);
	CHECK(rc >= -1 && rc <= 1);
	if (rc == 0 && kind == REC_EVENT) {
		CHECK(item.ev.hdr.size <= size - 2);
		CHECK(memchr(item.ev.exe, 0, sizeof(item.ev.exe)) != NULL);
		CHECK(memchr(item.ev.sender_exe, 0, sizeof(item.ev.sender_exe)) != NULL);
		CHECK(memchr(item.ev.hdr.comm, 0, sizeof(item.ev.hdr.comm)) != NULL);
	}
	if (rc == 0 && kind == REC_ENRICH) {
		CHECK(item.enrich.nrules <= DIAG_MAX_RULES);
		for (unsigned i = 0; i < item.enrich.nrules; i++)
			CHECK(memchr(item.enrich.rules[i].text, 0, sizeof(item.enrich.rules[i].text)) != NULL);
		/* what refused a connect: a known mechanism, strings that end */
		CHECK(item.enrich.policy.mechanism <= POLICY_UNKNOWN);
		CHECK(item.enrich.policy.seccomp_filters >= -1);
		CHECK(memchr(item.enrich.policy.cgroup, 0, sizeof(item.enrich.policy.cgroup)) != NULL);
		CHECK(memchr(item.enrich.policy.label, 0, sizeof(item.enrich.policy.label)) != NULL);
		CHECK(memchr(item.enrich.policy.lsms, 0, sizeof(item.enrich.policy.lsms)) != NULL);
	}
	if (rc == 0 && kind == REC_SETTINGS) {
		CHECK(item.settings.len == size - 2 - 8);
		CHECK(item.settings.text == (const char *)copy + 8);
		CHECK(memchr(item.settings.text, 0, item.settings.len) == NULL);
	}
	if (rc == 0 && kind == REC_SUSPECT)
		CHECK(memchr(item.suspect.product, 0, sizeof(item.suspect.product)) != NULL);
	free(copy);
	return 0;
}
