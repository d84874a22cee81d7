// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Timeline labels in rows: greedy, left to right (labels.h). */
#include "labels.h"

#include <errno.h>

#define LABELS_MAX_LANES 32

int labels_place(struct label_box *b, size_t n, double gap, unsigned max_lanes)
{
	double end[LABELS_MAX_LANES]; /* the right edge of the last label in each row */
	unsigned used = 0;

	if (!max_lanes || max_lanes > LABELS_MAX_LANES || gap < 0)
		return -EINVAL;
	for (size_t i = 1; i < n; i++)
		if (!(b[i].anchor >= b[i - 1].anchor)) /* also refuses NaN */
			return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		double want = b[i].anchor - b[i].width / 2;
		unsigned k;

		for (k = 0; k < used; k++)
			if (end[k] + gap <= want)
				break;
		if (k == used && used < max_lanes)
			used++;
		else if (k == used) { /* every row taken: the one that frees first */
			k = 0;
			for (unsigned j = 1; j < used; j++)
				if (end[j] < end[k])
					k = j;
			want = end[k] + gap;
		}
		b[i].lane = k;
		b[i].left = want;
		end[k] = want + b[i].width;
	}
	return (int)used;
}
