/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Where the labels of the report's timeline go (report.c): each diagnosis
 * mark has a label, and labels of marks close in time must not cover each
 * other on a page. Pure: positions in, positions out.
 */
#ifndef AEGISMON_LABELS_H
#define AEGISMON_LABELS_H

#include <stddef.h>

struct label_box {
	double anchor; /* in: the x of its mark; the label is centred on it if it can be */
	double width;  /* in: the label's width */
	unsigned lane; /* out: its row under the marks, 0 the nearest */
	double left;   /* out: the x of its left edge; right of anchor - width/2 when shifted */
};

/* Places n labels, given in order of anchor (ascending), in at most max_lanes
 * rows so that labels in one row keep gap apart: each in the first row where
 * it fits centred on its mark, else a new row, else (all rows taken) shifted
 * right in the row that frees earliest (the caller draws a leader to its
 * mark). Returns the rows used, or -EINVAL (labels out of order, no room). */
int labels_place(struct label_box *b, size_t n, double gap, unsigned max_lanes);

#endif
