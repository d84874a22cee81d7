// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The outputs of trace and run: each diagnosis and action routed, the output files written.
 * Syslog, the JSON log (appended, rotated), stdout, systemd's STATUS=, the
 * record's header, the metrics file, the HTML report; the terminal's status line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "escape.h"
#include "products.h"
#include "safefile.h"
#include "sdnotify.h"
#include "stderrlog.h"
#include "sink.h"
#include "version.h"
#include "trace_int.h"

static void rotate_json_log(struct session *s);

/*
 * One line to the JSON log. A full disk or an I/O error loses the line, never
 * the daemon: a partial line is cut off again so the file stays JSON lines,
 * the loss is counted (metrics) and said once per outage.
 */
static void json_log_append(struct session *s, char *line, size_t len)
{
	ssize_t n;
	int err = 0;

	line[len++] = '\n';
	n = write(s->json_fd, line, len);
	if (n >= 0 && (size_t)n < len) {
		/* a short write: the rest completes it, or fails and says why (ENOSPC) */
		ssize_t rest = write(s->json_fd, line + n, len - (size_t)n);

		if (rest < 0)
			err = errno;
		else if ((size_t)rest == len - (size_t)n)
			n = (ssize_t)len;
		else
			err = ENOSPC;
	} else if (n < 0) {
		err = errno;
	}
	if (n == (ssize_t)len) {
		s->json_size += len;
		if (s->json_failing) {
			stderr_say(LOG_NOTICE, "aegismon: %s is writable again (%llu lines were lost)\n", s->opt.json_log,
				(unsigned long long)(s->json_errors - s->json_errors_said));
			s->json_failing = false;
		}
		if (s->opt.json_log_max_bytes && s->json_size >= s->opt.json_log_max_bytes)
			rotate_json_log(s);
		return;
	}
	/* cut off a partial line: the file stays JSON lines */
	if (ftruncate(s->json_fd, (off_t)s->json_size) && !err)
		err = errno;
	s->json_errors++;
	if (!s->json_failing) {
		stderr_say(LOG_WARNING, "aegismon: cannot write %s: %s (lines are lost until it recovers; "
				"aegismon_json_log_errors_total counts them)\n",
			s->opt.json_log, strerror(err ? err : EIO));
		s->json_failing = true;
		s->json_errors_said = s->json_errors - 1;
	}
}

/* FILE -> FILE.1 -> ... -> FILE.N (the oldest goes), then a fresh FILE;
 * a planted name among them is left alone (safefile_rotate). */
static void rotate_json_log(struct session *s)
{
	char err[512];

	if (safefile_rotate(s->opt.json_log, s->opt.json_log_keep, err, sizeof(err)))
		stderr_say(LOG_WARNING, "aegismon: %s\n", err);
	open_json_log(s);
}

/* syslog receivers and the JSON log: never block, never stop the loop */
static void emit_outputs(struct session *s, const struct diagnosis *d)
{
	uint64_t now = clock_event_ns();

	for (int i = 0; i < s->nsyslog; i++) {
		struct syslog_target *t = &s->syslog[i];
		size_t n = t->kind == SYSLOG_JOURNAL
				   ? journal_format(s->line, sizeof(s->line), s->opt.syslog_facility,
						    t->dropped, &s->clock, d)
				   : syslog_format(s->line, sizeof(s->line), s->opt.syslog_facility, s->host,
						   "aegismon", (int)getpid(), t->dropped, &s->clock, d);

		if (n)
			syslog_send(t, s->line, n, now);
	}
	if (s->json_fd >= 0) {
		struct jw w;

		json_diagnosis(&w, s->line, sizeof(s->line) - 1, &s->clock, d);
		if (!w.overflow)
			json_log_append(s, s->line, strlen(s->line));
	}
}

/* --json-log, (re)opened: appended to, 0640, never through a planted name
 * (safefile_open). 0, or -errno with the reason in err. */
static int reopen_json_log(struct session *s, char *err, size_t errlen)
{
	struct stat st;

	if (s->json_fd >= 0)
		close(s->json_fd);
	s->json_fd = -1;
	if (!s->opt.json_log)
		return 0;
	s->json_fd = safefile_open(s->opt.json_log, SAFEFILE_APPEND, 0640, err, errlen);
	if (s->json_fd < 0) {
		int rc = s->json_fd;

		s->json_fd = -1;
		return rc;
	}
	s->json_size = 0;
	if (fstat(s->json_fd, &st) == 0)
		s->json_size = (uint64_t)st.st_size;
	return 0;
}

/* SIGHUP and rotation: a refused or missing file is said, the rest goes on */
void open_json_log(struct session *s)
{
	char err[512];

	if (reopen_json_log(s, err, sizeof(err)))
		stderr_say(LOG_WARNING, "aegismon: --json-log %s (diagnoses still go to the other outputs)\n", err);
}

/* At start: every file asked for, or a clear error (the session does not
 * start). The record's header and the report come later, into these files. */
int open_outputs(struct session *s, char *err, size_t errlen)
{
	char why[448];

	if (reopen_json_log(s, why, sizeof(why))) {
		snprintf(err, errlen, "--json-log %s", why);
		return -1;
	}
	if (s->opt.record && rec_create(&s->rec, s->opt.record, why, sizeof(why))) {
		snprintf(err, errlen, "--record %s", why);
		return -1;
	}
	if (!s->daemon && s->opt.report) {
		s->report_fd = safefile_open(s->opt.report, 0, 0644, why, sizeof(why));
		if (s->report_fd < 0) {
			snprintf(err, errlen, "--report %s", why);
			return -1;
		}
	}
	return 0;
}

/*
 * STATUS= for `systemctl status`: the probes, the last diagnosis, and a
 * refused reload (which otherwise only the journal would tell). prefix: other
 * assignments sent with it ("READY=1\n").
 */
void notify_status(struct session *s, const char *prefix)
{
	sdnotify("%sSTATUS=%u probes attached%s; last diagnosis: %s%s%s", prefix, s->loader.attached,
		 s->loader.failed ? " (some failed)" : "",
		 s->last_diagnosis[0] ? s->last_diagnosis : "none",
		 s->reload_refused ? "; " : "", s->reload_refused ? s->reload_said : "");
}

/* The status line lives on the last terminal row: take it away before a
 * line is printed, draw it again on the next tick. */
void status_clear(struct session *s)
{
	if (s->status_shown) {
		fputs("\r\033[K", stdout);
		s->status_shown = false;
	}
}

void status_draw(struct session *s)
{
	uint64_t now = clock_event_ns();
	double el = (double)(now - s->start_ns) / 1e9;
	uint64_t lost = loader_counter(&s->loader, AEGIS_CNT_RINGBUF_FULL);
	unsigned rate;

	if (!s->tty || now < s->status_next_ns)
		return;
	rate = (unsigned)((s->kernel_events - s->status_events) * NSEC / (now - s->status_next_ns + NSEC));
	s->status_events = s->kernel_events;
	s->status_next_ns = now + NSEC;
	status_clear(s);
	printf("%s%u probes%s | %llu events (%u/s) | %s%llu lost%s | %llu diagnoses | %02u:%02u elapsed",
	       s->color ? "\033[2m" : "", s->loader.attached, s->loader.failed ? " (some failed)" : "",
	       (unsigned long long)s->kernel_events, rate, lost && s->color ? "\033[1;31m" : "",
	       (unsigned long long)lost, lost && s->color ? "\033[0m\033[2m" : "",
	       (unsigned long long)s->diagnoses_shown, (unsigned)el / 60, (unsigned)el % 60);
	if (s->opt.duration_s > 0) {
		unsigned left = el < s->opt.duration_s ? (unsigned)(s->opt.duration_s - el) : 0;

		printf(", %02u:%02u left", left / 60, left % 60);
	}
	fputs(s->color ? "\033[0m" : "", stdout);
	fflush(stdout);
	s->status_shown = true;
}

static void output_diagnosis(struct session *s, const struct diagnosis *d)
{
	char when[RFC3339_LEN];
	size_t o;

	report_diagnosis(s->report, d);
	s->diagnoses_shown++;
	if (s->daemon) {
		/* escaped: a newline would end STATUS= and start another assignment */
		fmt_rfc3339(&s->clock, d->ts_ns, when, sizeof(when));
		o = (size_t)snprintf(s->last_diagnosis, sizeof(s->last_diagnosis), "%s at %s: ",
				     cause_code(d->cause), when);
		if (o < sizeof(s->last_diagnosis))
			escape_str(s->last_diagnosis + o, sizeof(s->last_diagnosis) - o, d->summary,
				   sizeof(d->summary), ESC_TEXT, NULL);
		notify_status(s, "");
	}
	status_clear(s);
	emit_outputs(s, d);
	if (s->daemon && !s->opt.json)
		return; /* a daemon's diagnoses go to syslog and the JSON log */
	if ((s->opt.only_pid && d->pid != s->opt.only_pid) ||
	    (s->opt.only_cause >= 0 && (int)d->cause != s->opt.only_cause))
		return; /* --pid, --cause: the terminal only; the other outputs get all */
	if (s->opt.json)
		sink_json_diagnosis(stdout, &s->clock, d);
	else
		sink_text_diagnosis(stdout, &s->clock, d, s->color);
}

/*
 * A block whose actor the kernel cannot name, while known security software
 * runs here: say so as third_party_security (live only, like the nft rules;
 * at most once a minute, the /proc scan is not free).
 */
static void blame_running_product(struct session *s, const struct diagnosis *blocked, uint32_t seq)
{
	const struct product *p;
	char comm[16];
	int pid;

	if (s->third_party_at && blocked->ts_ns < s->third_party_at + 60 * NSEC)
		return;
	p = enrich_running_product(blocked, &pid, comm, sizeof(comm));
	if (!p)
		return;
	s->third_party_at = blocked->ts_ns;
	make_suspect_diagnosis(blocked, p->name, pid, comm, &s->third_party);
	if (s->rec.f) {
		struct rec_suspect rs = { .seq = seq, .pid = pid };

		snprintf(rs.product, sizeof(rs.product), "%s", p->name);
		snprintf(rs.comm, sizeof(rs.comm), "%s", comm);
		rec_suspect(&s->rec, &rs);
	}
	s->extra_occurrences[CAUSE_THIRD_PARTY_SECURITY]++;
	correlator_note_diagnosis(s->corr, &s->third_party);
	output_diagnosis(s, &s->third_party);
}

/* A diagnosis, enriched as far as it goes: recorded, said, acted on. seq is
 * its number in the correlator's order (what a record's annotations name). */
static void finish_diagnosis(struct session *s, struct diagnosis *d, uint32_t seq)
{
	rec_enrich(&s->rec, seq, d);
	output_diagnosis(s, d);
	blame_running_product(s, d, seq);
	if (s->rem)
		remediator_on_diagnosis(s->rem, d, clock_event_ns());
}

void on_enriched(void *ctx, struct diagnosis *d, uint32_t seq)
{
	finish_diagnosis(ctx, d, seq);
}

/* The enricher's queue was full: said once per run of them. */
static void enrich_overflow_said(struct session *s)
{
	uint64_t n = enricher_overflows(s->enricher);

	if (n == s->enrich_overflows_said)
		return;
	if (!s->enrich_overflows_said) {
		status_clear(s);
		stderr_say(LOG_WARNING, "aegismon: %d local drop diagnoses wait for their nft rules already: "
				"more go out without the rules\n", ENRICH_HELD);
	}
	s->enrich_overflows_said = n;
}

/*
 * A local drop's diagnosis waits (up to ENRICH_HOLD_MS, the loop going on) for
 * the worker that reads the nft rules; every other one goes out at once.
 */
void on_diagnosis(const struct diagnosis *diag, void *ctx)
{
	struct session *s = ctx;
	struct diagnosis *d = &s->enriched;

	s->diag_seq++;
	if (enricher_submit(s->enricher, diag, s->diag_seq, clock_event_ns()))
		return;
	if (s->enricher && enrich_drop_evidence(diag))
		enrich_overflow_said(s);
	*d = *diag;
	finish_diagnosis(s, d, s->diag_seq);
}

/* remediation_failed, made by the remediator: the same outputs */
void on_own_diagnosis(void *ctx, const struct diagnosis *d)
{
	struct session *s = ctx;

	s->extra_occurrences[d->cause]++; /* counted in the metrics like the others */
	correlator_note_diagnosis(s->corr, d); /* and lasts like them */
	output_diagnosis(s, d);
}

/* A remediation action: like a diagnosis, to syslog, the JSON log and stdout. */
void on_action(void *ctx, const struct action *a)
{
	struct session *s = ctx;
	uint64_t now = clock_event_ns();

	for (int i = 0; i < s->nsyslog; i++) {
		struct syslog_target *t = &s->syslog[i];
		size_t n = t->kind == SYSLOG_JOURNAL
				   ? journal_format_action(s->line, sizeof(s->line), s->opt.syslog_facility,
							   t->dropped, &s->clock, a)
				   : syslog_format_action(s->line, sizeof(s->line), s->opt.syslog_facility,
							  s->host, "aegismon", (int)getpid(), t->dropped,
							  &s->clock, a);

		if (n)
			syslog_send(t, s->line, n, now);
	}
	if (s->json_fd >= 0) {
		struct jw w;

		json_action(&w, s->line, sizeof(s->line) - 1, &s->clock, a);
		if (!w.overflow)
			json_log_append(s, s->line, strlen(s->line));
	}
	status_clear(s);
	if (s->opt.json)
		sink_json_action(stdout, &s->clock, a);
	else if (!s->daemon)
		sink_text_action(stdout, &s->clock, a, s->color);
}

/* The metrics file: every 5 s and at the end; a failure is said once. */
void write_metrics(struct session *s, bool now)
{
	static bool complained;
	char why[512];
	struct metrics *m = &s->metrics;
	const struct correlator_stats *st = correlator_stats(s->corr);
	uint64_t t = clock_event_ns();
	size_t n;
	int rc;

	if (!s->opt.metrics || (!now && t < s->metrics_next_ns))
		return;
	s->metrics_next_ns = t + 5 * NSEC;
	for (int i = 0; i < CAUSE_COUNT; i++)
		m->diagnoses[i] = st->occurrences[i] + s->extra_occurrences[i];
	m->events_lost = st->events_lost;
	m->dns = st->dns;
	m->drops_elsewhere = st->drops_elsewhere;
	m->probes_attached = s->loader.attached;
	m->probes_failed = s->loader.failed;
	m->net_scope_agent = !s->loader.scope.nprogs ? -1 : netscope_on_agent(&s->loader.scope);
	m->sched_attached = s->res.sched_armed;
	m->net_attached = !s->loader.ndrop && !s->loader.scope.nlazy
				 ? -1
				 : !s->loader.net_on_demand || s->net_armed;
	m->agent_installed = s->env.install.found;
	m->core_expected = s->env.install.found ? s->env.install.present_mask : 0;
	for (int c = 0; c < CORE_COUNT; c++)
		m->core_running[c] = correlator_core_running(s->corr, c);
	correlator_active(s->corr, m->active);
	m->version = AEGISMON_VERSION;
	m->abi = AEGIS_ABI_VERSION;
	metrics_bpf_features(m->bpf_features, sizeof(m->bpf_features), &s->loader.plan,
			     (int)s->loader.connect_hook, s->loader.net != NULL);
	m->written_s = (int64_t)time(NULL);
	m->syslog_dropped = s->syslog_dropped_past;
	m->json_log_errors = s->json_errors;
	for (int i = 0; i < s->nsyslog; i++)
		m->syslog_dropped += s->syslog[i].dropped_total;
	n = metrics_format(s->line, sizeof(s->line), m);
	why[0] = '\0';
	rc = n ? metrics_write(s->opt.metrics, s->line, n, why, sizeof(why)) : -ENOSPC;
	if (rc && !complained) { /* said once; tracing goes on */
		stderr_say(LOG_WARNING, "aegismon: --metrics %s\n", why[0] ? why : strerror(-rc));
		complained = true;
	}
}

/* The agent install as found and the effective settings (as config lines):
 * the end of the record's header, and a reload's record (replay.c reads
 * both with one function). */
void write_settings_text(FILE *f, const struct session *s)
{
	const struct agent_install *in = &s->env.install;

	fprintf(f, "install_found = %d\ninstall_root = %s\ninstall_client_dir = %s\n", in->found, in->root,
		in->client_dir);
	fprintf(f, "install_version = %d %d\ninstall_present_mask = %u\n", in->major, in->minor,
		in->present_mask);
	for (int i = 0; i < s->env.nroots; i++)
		fprintf(f, "root = %s\n", s->env.roots[i]);
	fprintf(f, "[settings]\n");
	options_dump(f, &s->opt);
}

/* What a replay needs besides the events: the host, the agent install as
 * found, and the effective settings (as config lines). */
int open_record(struct session *s, uint64_t start_ns, char *err, size_t errlen)
{
	struct utsname u;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int rc;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		rec_abandon(&s->rec);
		return -1;
	}
	uname(&u);
	fprintf(f, "host = %s\nkernel = %s %s\nmachine = %s\n", s->host, u.release, u.version, u.machine);
	fprintf(f, "start_ns = %llu\nmono_to_real_ns = %lld\nevent_clock = %s\n",
		(unsigned long long)start_ns, (long long)s->clock.mono_to_real_ns, clock_event_name());
	fprintf(f, "probes_attached = %u\nprobes_failed = %u\nfailed_probes = %s\n", s->loader.attached,
		s->loader.failed, s->loader.failed_names);
	write_settings_text(f, s);
	if (fclose(f)) {
		free(text);
		snprintf(err, errlen, "out of memory");
		rec_abandon(&s->rec);
		return -1;
	}
	rc = rec_begin(&s->rec, text, err, errlen); /* the file: open_outputs */
	free(text);
	return rc;
}

/* Into the file open_outputs opened and checked at start, emptied now. */
void write_html_report(struct session *s, const struct session_summary *sum)
{
	FILE *f = s->report_fd < 0 || ftruncate(s->report_fd, 0) ? NULL : fdopen(s->report_fd, "w");
	int bad;

	if (!f) {
		stderr_say(LOG_WARNING, "aegismon: --report %s: %s\n", s->opt.report, strerror(errno));
		return;
	}
	s->report_fd = -1; /* f has it */
	bad = report_html(s->report, f, sum, s->host);
	if (fclose(f) || bad)
		stderr_say(LOG_WARNING, "aegismon: --report %s: write failed\n", s->opt.report);
	else
		stderr_say(LOG_INFO, "aegismon: report written to %s\n", s->opt.report);
}
