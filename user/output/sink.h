/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Output renderers: JSON lines for machines, text lines for people. */
#ifndef AEGISMON_SINK_H
#define AEGISMON_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "action.h"
#include "correlate.h"
#include "diagnosis.h"
#include "ev.h"
#include "json.h"
#include "timefmt.h"

struct session_summary {
	uint64_t start_ns, end_ns;       /* CLOCK_MONOTONIC */
	unsigned probes_attached;
	unsigned probes_failed;
	uint64_t events;                 /* events from the kernel */
	uint64_t pidset_full;            /* agent processes the kernel could not track */
	uint64_t socks_full;             /* TCP sockets the kernel could not watch */
	uint64_t dns_seen;               /* DNS packets inspected in the kernel */
	uint64_t dns_other;              /* ... of them about names not watched */
	const struct correlator_stats *stats;
};

/*
 * The version of the JSON lines' contract (docs/schema/): raised when a field
 * changes meaning or goes; a new field does not raise it.
 */
#define JSON_SCHEMA_VERSION 1

/* The host every JSON line names ("host"): this one's name unless set (a
 * replay names the recorded host). Truncated at 63 bytes. */
void json_set_host(const char *host);

/* Open a JSON line: {"kind":KIND,"schema":N,"host":HOST (the caller goes on). */
void json_line_begin(struct jw *w, const char *kind);

/* The fields of an event, as JSON members (no braces): shared by the event
 * line and by the evidence of a diagnosis. */
void json_event_fields(struct jw *w, const struct clockmap *cm, const struct ev *e);

void sink_json_event(FILE *f, const struct clockmap *cm, const struct ev *e);
void sink_json_diagnosis(FILE *f, const struct clockmap *cm, const struct diagnosis *d);
/* The diagnosis object into buf (w->overflow if it did not fit). */
void json_diagnosis(struct jw *w, char *buf, size_t len, const struct clockmap *cm,
		    const struct diagnosis *d);
void sink_json_summary(FILE *f, const struct clockmap *cm, const struct session_summary *s);
/* {"kind":"action",...}: a remediation action and its outcome. */
void json_action(struct jw *w, char *buf, size_t len, const struct clockmap *cm, const struct action *a);
void sink_json_action(FILE *f, const struct clockmap *cm, const struct action *a);

/* Text lines also show the time since start_ns (0: clock time only). */
void sink_text_origin(uint64_t start_ns);
void sink_text_event(FILE *f, const struct clockmap *cm, const struct ev *e, bool color);
/* A diagnosis; its cause's fix the first time only (then "as for CAUSE above"). */
void sink_text_diagnosis(FILE *f, const struct clockmap *cm, const struct diagnosis *d, bool color);
/* Every fix is printed again from now on (a new session in the same process). */
void sink_text_forget_fixes(void);
void sink_text_summary(FILE *f, const struct session_summary *s, bool color);
void sink_text_action(FILE *f, const struct clockmap *cm, const struct action *a, bool color);

/* 0 when nothing was diagnosed, 1 when a problem was (the exit status of trace). */
int summary_exit_status(const struct session_summary *s);

#endif
