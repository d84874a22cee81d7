/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Diagnoses a correlator delivered during a unit test, and lookups on them.
 * Shared by the correlator tests; header-only, cmocka asserts. */
#ifndef AEGISMON_TEST_DIAG_LOG_H
#define AEGISMON_TEST_DIAG_LOG_H

#include "diagnosis.h"

#define DIAG_LOG_MAX 32

struct diag_log {
	unsigned n;
	struct diagnosis d[DIAG_LOG_MAX];
};

/* A diag_fn: ctx points at a struct diag_log (first member of a fixture). */
static inline void diag_log_collect(const struct diagnosis *d, void *ctx)
{
	struct diag_log *l = ctx;

	if (l->n < DIAG_LOG_MAX)
		l->d[l->n++] = *d;
}

/* The one diagnosis of cause c: fails the test if there is none or several. */
static inline const struct diagnosis *diag_only(const struct diag_log *l, enum cause c)
{
	const struct diagnosis *found = NULL;

	for (unsigned i = 0; i < l->n; i++)
		if (l->d[i].cause == c) {
			assert_null(found);
			found = &l->d[i];
		}
	assert_non_null(found);
	return found;
}

static inline unsigned diag_count(const struct diag_log *l, enum cause c)
{
	unsigned n = 0;

	for (unsigned i = 0; i < l->n; i++)
		n += l->d[i].cause == c;
	return n;
}

#endif
