/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Internal to trace and run: the session and the functions its files share.
 * trace.c: the session, trace_output.c: the outputs, trace_events.c: the event
 * path, trace_reload.c: the settings and SIGHUP. Not part of the public surface. */
#ifndef AEGISMON_TRACE_INT_H
#define AEGISMON_TRACE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent.h"
#include "correlate.h"
#include "enrich.h"
#include "ev.h"
#include "loader.h"
#include "memcg.h"
#include "options.h"
#include "record.h"
#include "remediate.h"
#include "report.h"
#include "res_sample.h"
#include "sink_metrics.h"
#include "sink_syslog.h"
#include "sockid.h"
#include "timefmt.h"

#define NSEC 1000000000ULL
#define TICK_NS (NSEC / 4)

/* One trace or run session: what the loop and its callbacks share. */
struct session {
	struct options opt;
	struct agent_env env;
	struct sockid_key sockid_key;
	struct clockmap clock;
	struct loader loader;
	struct correlator *corr;
	bool color;
	uint64_t kernel_events;
	uint64_t malformed;
	uint64_t json_errors;        /* JSON log lines lost (disk full, I/O error) */
	uint64_t json_errors_said;
	bool json_failing;
	long clk_tck;
	struct ev scratch; /* decoded here: no allocation per event */
	struct diagnosis enriched;
	struct diagnosis third_party;  /* made here, not by the correlator */
	uint64_t third_party_at;
	uint64_t extra_occurrences[CAUSE_COUNT];
	struct recorder rec;         /* --record */
	struct report *report;       /* trace: the end-of-session report */
	bool tty;                    /* text on a terminal: a status line at the bottom */
	bool status_shown;
	uint64_t start_ns, status_next_ns, status_events;
	uint64_t diagnoses_shown;
	uint32_t diag_seq;           /* diagnoses so far: what a record's annotations refer to */
	bool daemon;                 /* aegismon run */
	bool started;                /* the start line is out: scope changes are said */
	bool scope_complained;
	bool net_armed;           /* the network probes are attached now (on demand) */
	/* the refused-connect exit probe, while an agent process is confined */
	bool unhooked_armed, unhooked_absent;
	/* the memory cgroups of the agent processes seen last (note_memcg) */
	struct {
		uint32_t tgid;
		struct memcg_where where;
	} memcg_seen[64];
	unsigned memcg_next;
	uint64_t unhooked_next_ns, unhooked_seen_ns;
	bool net_complained;
	uint64_t net_retry_ns;    /* after a failed attach, not before this */
	uint64_t net_activity_ns; /* the agent's last network activity seen */
	struct syslog_target syslog[4];
	int nsyslog;
	int json_fd;                 /* --json-log, or -1 */
	int report_fd;               /* trace --report, opened at start, or -1 */
	char host[64];
	char line[32768];            /* one syslog message */
	struct metrics metrics;
	uint64_t metrics_next_ns;
	int argc;                    /* kept to re-read the options on SIGHUP */
	char **argv;
	uint64_t json_size;          /* bytes in the JSON log, for --json-log-max-size */
	uint64_t syslog_dropped_past; /* by receivers a reload replaced */
	struct remediator *rem;      /* restarts and the hook; NULL when not in use */
	int epfd;                    /* the event loop's, for a remediator a reload starts */
	struct res_sampler res;      /* host and agent resources, once a second */
	uint64_t res_next_ns;
	struct enricher *enricher;   /* nft rules for local drops, off the loop; NULL: none */
	uint64_t enrich_overflows_said;
	/* systemd: STATUS= says the last diagnosis and a refused reload */
	unsigned long reload_generation;
	bool reload_refused;
	char reload_said[512];
	char last_diagnosis[256];
	uint64_t watchdog_ns, watchdog_next_ns; /* WATCHDOG=1 every watchdog_ns; 0: off */
};

/* trace_output.c: the outputs of a diagnosis, an action and the session */
int open_outputs(struct session *s, char *err, size_t errlen);
void open_json_log(struct session *s);
int open_record(struct session *s, uint64_t start_ns, char *err, size_t errlen);
void write_settings_text(FILE *f, const struct session *s);
void notify_status(struct session *s, const char *prefix);
void status_clear(struct session *s);
void status_draw(struct session *s);
void on_diagnosis(const struct diagnosis *diag, void *ctx);
void on_enriched(void *ctx, struct diagnosis *d, uint32_t seq);
void on_own_diagnosis(void *ctx, const struct diagnosis *d);
void on_action(void *ctx, const struct action *a);
void write_metrics(struct session *s, bool now);
void write_html_report(struct session *s, const struct session_summary *sum);

/* trace_events.c: from the kernel (and the seed scan) to the correlator */
int on_ring_event(void *ctx, void *data, size_t size);
int seed_one(int pid, void *ctx);
void feed_marker(struct session *s, unsigned type);
void presyn_failed(void *ctx, const struct pending_connect *pc);
void scope_said(struct session *s, int changed);
void net_probes_tick(struct session *s);
void unhooked_tick(struct session *s);
void sample_resources(struct session *s);

/* trace_reload.c: the settings, at start and on SIGHUP */
int parse_options(struct session *s, struct options *o, char *err, size_t errlen);
void open_syslog_targets(struct session *s);
void correlator_config_from(struct session *s, struct correlator_config *cfg);
int setup_remediation(struct session *s);
void reload(struct session *s);

#endif
