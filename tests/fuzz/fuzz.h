/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Shared by the fuzz targets: an invariant that does not hold is a crash. */
#ifndef AEGISMON_FUZZ_H
#define AEGISMON_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                 \
	do {                                                                        \
		if (!(cond)) {                                                      \
			fprintf(stderr, "check failed: %s (%s:%d)\n", #cond, __FILE__, \
				__LINE__);                                          \
			abort();                                                    \
		}                                                                   \
	} while (0)

#endif
