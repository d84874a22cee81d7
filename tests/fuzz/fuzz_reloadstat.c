// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz the reload status parser: `aegismon reload` reads the file the daemon
 * wrote in /run/aegismon. What parses must format back to the same bytes,
 * and the message never holds a line break or a control byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reloadstat.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reload_status st;
	char *copy = malloc(size ? size : 1), out[4096];
	size_t n;

	CHECK(copy != NULL);
	memcpy(copy, data, size); /* exact size: ASan sees a read past len */
	if (reload_status_parse(copy, size, &st) == 0) {
		CHECK(memchr(st.message, 0, sizeof(st.message)) != NULL);
		CHECK(strchr(st.message, '\n') == NULL);
		n = reload_status_format(out, sizeof(out), &st);
		CHECK(n > 0);
		/* formatting escapes: the message comes back as a valid one */
		CHECK(reload_status_parse(out, n, &st) == 0);
		for (const char *p = st.message; *p; p++)
			CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	free(copy);
	return 0;
}
