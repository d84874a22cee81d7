// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Fuzz json_flatten, which reads check's evidence back for the terminal:
 * only the given length may be read, the output stays NUL-terminated within
 * its size, and a document jansson accepts (within the depth limit) is
 * accepted too.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonflat.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1), out[512];
	int n;

	CHECK(copy != NULL);
	memcpy(copy, data, size); /* exact size, no NUL: ASan sees a read past the end */
	n = json_flatten(copy, size, "  ", out, sizeof(out));
	CHECK(n >= -ENOSPC);
	CHECK(memchr(out, '\0', sizeof(out)) != NULL);
	if (n == -EINVAL)
		CHECK(out[0] == '\0');
	if (n > 0 || n == -ENOSPC) {
		/* whole lines only */
		size_t len = strlen(out);

		CHECK(len == 0 || out[len - 1] == '\n');
	}
	if (size && !memchr(data, '\0', size)) {
		json_error_t err;
		json_t *doc = json_loadb(copy, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);

		/* jansson's depth limit is larger; its \u escapes are checked more strictly */
		if (doc && n == -EINVAL && size < 64)
			CHECK(memchr(data, '[', size) || memchr(data, '{', size));
		json_decref(doc);
	}
	free(copy);
	return 0;
}
