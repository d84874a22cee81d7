// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target for the NFT_MSG_GETGEN reply parser: the first four bytes are the
 * sequence number asked for, the rest is what the kernel (or anything on the socket)
 * sent. Nothing may crash or read outside the buffer; an answer is 0 with a generation,
 * or a negative errno.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "nftgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t seq, gen = 0xdeadbeef;
	uint8_t *copy;
	int rc;

	if (size < sizeof(seq))
		return 0;
	memcpy(&seq, data, sizeof(seq));
	/* an exact-size heap copy: ASan sees any read past the end */
	copy = malloc(size - sizeof(seq) ? size - sizeof(seq) : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + sizeof(seq), size - sizeof(seq));
	rc = nft_gen_parse(copy, size - sizeof(seq), seq, &gen);
	CHECK(rc <= 0 && rc >= -4095);
	/* an answer needs a header, the nfgenmsg and the attribute at least */
	CHECK(rc != 0 || size - sizeof(seq) >= 28);
	free(copy);
	return 0;
}
