// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz config_parse: an operator's file, or whatever a broken deploy leaves in
 * /etc/aegismon.conf. It must read only len bytes, never crash or leak, and
 * on success leave options that are in range.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "options.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct options o;
	char err[512];
	char *copy = malloc(size ? size : 1);

	CHECK(copy != NULL);
	memcpy(copy, data, size); /* exact size: ASan sees a read past len */
	options_defaults(&o);
	err[0] = '\0';
	if (config_parse(copy, size, "fuzz.conf", &o, err, sizeof(err)) == 0) {
		CHECK(o.nroots >= 0 && o.nroots <= AGENT_MAX_ROOTS);
		CHECK(o.endpoints.ncidrs >= 0 && o.endpoints.ncidrs <= ENDPOINT_MAX_CIDRS);
		CHECK(o.endpoints.nports >= 0 && o.endpoints.nports <= ENDPOINT_MAX_PORTS);
		CHECK(o.domains.n >= 0 && o.domains.n <= DOMAIN_MAX);
		CHECK(o.nsyslog >= 0 && o.nsyslog <= OPTIONS_MAX_SYSLOG);
		CHECK(o.flap_count >= 2 && o.flap_count <= 32);
		CHECK(o.ringbuf_kib >= 64 && (o.ringbuf_kib & (o.ringbuf_kib - 1)) == 0);
		for (int i = 0; i < o.nroots; i++)
			CHECK(o.roots[i][0] == '/');
	} else {
		CHECK(strncmp(err, "fuzz.conf", 9) == 0); /* errors name the file */
	}
	options_free(&o);
	free(copy);
	return 0;
}
