/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The report of a trace session (live or replayed): what it saw, kept in
 * bounded tables as events and diagnoses go by, then written as the
 * end-of-session text (the verdict first) or a self-contained HTML page with
 * an SVG timeline. Pure: no clock, no I/O but the FILE given.
 */
#ifndef AEGISMON_REPORT_H
#define AEGISMON_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "diagnosis.h"
#include "ev.h"
#include "sink.h"
#include "timefmt.h"
#include "verdict.h"

struct report;

struct report *report_new(const struct clockmap *cm, uint64_t start_ns);
void report_free(struct report *r);
void report_event(struct report *r, const struct ev *e);
void report_diagnosis(struct report *r, const struct diagnosis *d);

/* The cause of the outage (verdict_of, verdict.h): from the correlator's
 * diagnoses in sum->stats, else from those this report was given; NULL if
 * nothing was diagnosed. */
const struct verdict_entry *report_verdict(const struct report *r, const struct session_summary *sum);

/* Verdict (one sentence and the fix), each diagnosis, then the counters. */
void report_text(const struct report *r, FILE *f, const struct session_summary *sum, bool color);
/* A self-contained HTML page (inline CSS and SVG, no external asset). */
int report_html(const struct report *r, FILE *f, const struct session_summary *sum, const char *host);

#endif
