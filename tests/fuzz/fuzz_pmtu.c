// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz the path MTU probe's parsers: the error-queue message of a DF echo
 * (its ancillary data, and the start of the probe as a router quoted it: a
 * remote peer chooses those bytes) and the netlink route reply. Only the
 * given lengths may be read; what comes out must be sane.
 *
 * Input: byte 0 picks the parser and the family; for the error queue, byte 1
 * is the control length (the rest is data); for netlink, all of it is the
 * reply.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netprobe.h"
#include "fuzz.h"

/* an exact-size copy: ASan sees a read past the end */
static uint8_t *copy_of(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	CHECK(c != NULL);
	memcpy(c, p, n);
	return c;
}

static void fuzz_errqueue(int family, const uint8_t *data, size_t size)
{
	size_t clen = size ? data[0] : 0;
	uint8_t *control, *quoted;
	struct pmtu_err e;
	int rc;

	if (size)
		data++, size--;
	if (clen > size)
		clen = size;
	control = copy_of(data, clen);
	quoted = copy_of(data + clen, size - clen);
	for (int id = -1; id <= 0x1234; id += 0x1235) {
		rc = pmtu_errqueue_parse(family, control, clen, quoted, size - clen, id, &e);
		CHECK(rc == 0 || rc == 1);
		if (rc) {
			CHECK(e.err < 0 && e.err > -4096);
			CHECK(e.mtu == 0 || (e.mtu >= 68 && e.mtu <= 65535));
			CHECK(family == AF_INET || e.mtu == 0 || e.mtu >= 1280);
			CHECK(e.mtu == 0 || e.err == -EMSGSIZE);
		}
	}
	free(control);
	free(quoted);
}

static void fuzz_route(const uint8_t *data, size_t size)
{
	uint8_t *buf = copy_of(data, size);
	int rc = route_reply_oif(buf, size, 1);

	CHECK(rc > 0 || (rc < 0 && rc > -4096));
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0: fuzz_errqueue(AF_INET, data + 1, size - 1); break;
	case 1: fuzz_errqueue(AF_INET6, data + 1, size - 1); break;
	default: fuzz_route(data + 1, size - 1); break;
	}
	return 0;
}
