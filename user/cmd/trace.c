// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* aegismon trace: load, seed, one epoll loop, diagnoses until the end. */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/utsname.h>
#include <limits.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "correlate.h"
#include "enrich.h"
#include "escape.h"
#include "ev.h"
#include "loader.h"
#include "memcg.h"
#include "options.h"
#include "procfs.h"
#include "record.h"
#include "refusal.h"
#include "replay.h"
#include "report.h"
#include "products.h"
#include "remediate.h"
#include "remedy.h"
#include "res_sample.h"
#include "safefile.h"
#include "sink.h"
#include "sink_metrics.h"
#include "sink_syslog.h"
#include "sdnotify.h"
#include "reloadstat.h"
#include "sockid.h"
#include "timefmt.h"
#include "version.h"

#define NSEC 1000000000ULL
#define TICK_NS (NSEC / 4)

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

static void open_json_log(struct session *s);
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
			fprintf(stderr, "aegismon: %s is writable again (%llu lines were lost)\n", s->opt.json_log,
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
		fprintf(stderr, "aegismon: cannot write %s: %s (lines are lost until it recovers; "
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
		fprintf(stderr, "aegismon: %s\n", err);
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
static void open_json_log(struct session *s)
{
	char err[512];

	if (reopen_json_log(s, err, sizeof(err)))
		fprintf(stderr, "aegismon: --json-log %s (diagnoses still go to the other outputs)\n", err);
}

/* At start: every file asked for, or a clear error (the session does not
 * start). The record's header and the report come later, into these files. */
static int open_outputs(struct session *s, char *err, size_t errlen)
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
static void notify_status(struct session *s, const char *prefix)
{
	sdnotify("%sSTATUS=%u probes attached%s; last diagnosis: %s%s%s", prefix, s->loader.attached,
		 s->loader.failed ? " (some failed)" : "",
		 s->last_diagnosis[0] ? s->last_diagnosis : "none",
		 s->reload_refused ? "; " : "", s->reload_refused ? s->reload_said : "");
}

/* WATCHDOG=1 from the tick: a loop that stops turning stops feeding it. */
static void feed_watchdog(struct session *s)
{
	uint64_t now = clock_event_ns();

	if (!s->watchdog_ns || now < s->watchdog_next_ns)
		return;
	sdnotify("WATCHDOG=1");
	s->watchdog_next_ns = now + s->watchdog_ns;
}

/* The status line lives on the last terminal row: take it away before a
 * line is printed, draw it again on the next tick. */
static void status_clear(struct session *s)
{
	if (s->status_shown) {
		fputs("\r\033[K", stdout);
		s->status_shown = false;
	}
}

static void status_draw(struct session *s)
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

static void on_enriched(void *ctx, struct diagnosis *d, uint32_t seq)
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
		fprintf(stderr, "aegismon: %d local drop diagnoses wait for their nft rules already: "
				"more go out without the rules\n", ENRICH_HELD);
	}
	s->enrich_overflows_said = n;
}

/*
 * A local drop's diagnosis waits (up to ENRICH_HOLD_MS, the loop going on) for
 * the worker that reads the nft rules; every other one goes out at once.
 */
static void on_diagnosis(const struct diagnosis *diag, void *ctx)
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
static void on_own_diagnosis(void *ctx, const struct diagnosis *d)
{
	struct session *s = ctx;

	s->extra_occurrences[d->cause]++; /* counted in the metrics like the others */
	correlator_note_diagnosis(s->corr, d); /* and lasts like them */
	output_diagnosis(s, d);
}

/* A remediation action: like a diagnosis, to syslog, the JSON log and stdout. */
static void on_action(void *ctx, const struct action *a)
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

/* The daemon always remediates (advise by default); trace only when asked to
 * restart or run a hook. */
static bool remediation_wanted(const struct session *s)
{
	if (s->opt.remediation == REM_OFF && !s->opt.remediation_hook)
		return false;
	return s->daemon || s->opt.remediation == REM_RESTART || s->opt.remediation_hook;
}

static void remediation_config(struct session *s, struct remediate_config *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->policy.mode = remediation_wanted(s) ? (enum remediation_mode)s->opt.remediation : REM_OFF;
	rc->policy.restart_max = s->opt.restart_max;
	rc->policy.window_ns = (uint64_t)(s->opt.restart_window_s * 1e9);
	rc->policy.delay_ns = (uint64_t)(s->opt.restart_delay_s * 1e9);
	rc->hook = remediation_wanted(s) ? s->opt.remediation_hook : NULL;
	rc->hook_timeout_ns = (uint64_t)(s->opt.hook_timeout_s * 1e9);
	rc->restart_timeout_ms = 10000;
	rc->env = &s->env;
	rc->sysroot = remedy_sysroot();
	rc->clock = &s->clock;
}

static int setup_remediation(struct session *s)
{
	struct remediate_config rc;

	if (!remediation_wanted(s))
		return 0;
	remediation_config(s, &rc);
	s->rem = remediator_new(&rc, on_action, on_own_diagnosis, s);
	return s->rem ? 0 : -1;
}

/* After a reload: the remediator follows the new settings; one no longer
 * wanted stays, switched off, so a restart under way can finish. */
static void reload_remediation(struct session *s)
{
	struct remediate_config rc;

	if (s->rem) {
		remediation_config(s, &rc);
		remediator_reconfigure(s->rem, &rc);
		return;
	}
	if (!remediation_wanted(s))
		return;
	if (setup_remediation(s) == 0 && s->epfd >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = remediator_fd(s->rem) };

		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			fprintf(stderr, "aegismon: reload: remediation: %s\n", strerror(errno));
	}
}

/* An Aegis name resolved: connects to that address are endpoint connects now. */
static void learn_endpoint(void *ctx, int family, const uint8_t *addr, uint32_t ttl, const char *qname)
{
	struct session *s = ctx;

	(void)ttl; /* the correlator expires it (forget) */
	(void)qname;
	if (s->loader.net)
		loader_add_endpoint(&s->loader, family, addr, family == AF_INET6 ? 128 : 32);
}

/* The metrics file: every 5 s and at the end; a failure is said once. */
static void write_metrics(struct session *s, bool now)
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
		fprintf(stderr, "aegismon: --metrics %s\n", why[0] ? why : strerror(-rc));
		complained = true;
	}
}

static void ingest(struct session *s, const struct ev *e)
{
	if (e->hdr.type < METRICS_EVENT_TYPES)
		s->metrics.events[e->hdr.type]++;
	if (s->opt.events && e->hdr.type != AEGIS_EV_TICK && e->hdr.type != AEGIS_EV_SEED_DONE &&
	    (!s->opt.only_pid || e->hdr.tgid == s->opt.only_pid) && s->opt.only_cause < 0) {
		status_clear(s);
		if (s->opt.json)
			sink_json_event(stdout, &s->clock, e);
		else
			sink_text_event(stdout, &s->clock, e, s->color);
	}
	rec_event(&s->rec, e);
	report_event(s->report, e);
	correlator_feed(s->corr, e);
}

/* Where the network programs run, said when it changes after the start. */
static void scope_said(struct session *s, int changed)
{
	char where[320];

	if (changed != 1 || !s->started)
		return;
	netscope_describe(&s->loader.scope, where, sizeof(where));
	status_clear(s);
	fprintf(stderr, "aegismon: network scope: %s\n", where);
}

/* An agent process: its cgroup gets the network programs (agent scope). */
/* Where an agent process's memory cgroup is, noted when it is first seen:
 * an OOM victim may be reaped before its mark is read. */
static void note_memcg(struct session *s, int pid)
{
	unsigned k = s->memcg_next++ % (sizeof(s->memcg_seen) / sizeof(s->memcg_seen[0]));

	if (memcg_where_of(pid, &s->memcg_seen[k].where))
		s->memcg_seen[k].where.rel[0] = '\0';
	s->memcg_seen[k].tgid = (uint32_t)pid;
}

/* The memory cgroup limit of an OOM victim: read now, or where it was seen. */
static void oom_memcg(struct session *s, struct ev *e)
{
	unsigned n = sizeof(s->memcg_seen) / sizeof(s->memcg_seen[0]);

	if (!memcg_limit_of((int)e->hdr.tgid, &e->memcg))
		return;
	for (unsigned i = 0; i < n; i++) {
		unsigned k = (s->memcg_next - 1 - i) % n;

		if (s->memcg_seen[k].tgid == e->hdr.tgid && s->memcg_seen[k].where.rel[0]) {
			memcg_limit_from(&s->memcg_seen[k].where, &e->memcg);
			return;
		}
	}
}

static void follow_agent(struct session *s, int pid)
{
	int rc = loader_follow_agent(&s->loader, pid);

	note_memcg(s, pid);
	if (rc < 0 && rc != -ENOENT && rc != -ESRCH && !s->scope_complained) {
		status_clear(s);
		fprintf(stderr, "aegismon: cannot put the network probes on the cgroup of pid %d "
			"(%s); they stay where they are%s%s\n", pid, strerror(-rc),
			s->loader.scope.last_error[0] ? ": " : "", s->loader.scope.last_error);
		s->scope_complained = true;
	}
	scope_said(s, rc);
}

/* An executable unknown at the last scan may be a new version just put in
 * place: the install is scanned again when one of its directories changed
 * (a few stat() calls, so an impostor storm costs little). */
static enum agent_identity judge_rescanning(struct session *s, const char *comm,
					    const struct agent_facts *f, enum agent_why *why)
{
	enum agent_identity id = agent_judge(&s->env, comm, f, why);

	if (id != IDENT_IMPOSTOR || *why != WHY_NOT_INSTALLED || !agent_install_changed(&s->env))
		return id;
	agent_scan_install(&s->env);
	return agent_judge(&s->env, comm, f, why);
}

/*
 * Who exec'd: judged by what the kernel vouches for. The executable is the
 * one the exec event names by device and inode (never the execve() path,
 * which may be relative, gone or planted), the uid and the tracer come from
 * the event; /proc adds whether it is stopped or traced now, when it still
 * runs that same file. The exe path is read for display only.
 */
static void judge_exec(struct session *s, struct ev *e)
{
	struct agent_facts f = { 0 }, now;
	enum agent_why why;

	if (!agent_is_comm(e->hdr.comm)) {
		e->ident = IDENT_OTHER;
		e->ident_why = WHY_NONE;
		return;
	}
	f.exe_known = e->exec.flags & AEGIS_EXEC_EXE_KNOWN;
	f.dev = agent_kdev_to_dev(e->exec.exe_dev);
	f.ino = e->exec.exe_ino;
	f.ruid = e->hdr.uid;
	f.traced = e->exec.flags & AEGIS_EXEC_TRACED;
	if (agent_facts_of_pid((int)e->hdr.tgid, &now) == 0 && now.exe_known && now.dev == f.dev &&
	    now.ino == f.ino) {
		f.traced |= now.traced;
		f.stopped = now.stopped;
		proc_read_exe((int)e->hdr.tgid, e->exe, sizeof(e->exe));
	}
	e->ident = (uint8_t)judge_rescanning(s, e->hdr.comm, &f, &why);
	e->ident_why = (uint8_t)why;
}

/* The target of a signal, judged while it lives: the correlator uses this
 * only for a process whose exec it never saw (lost events). */
static void judge_target(struct session *s, struct ev *e)
{
	struct agent_facts f;
	enum agent_why why = WHY_NONE;

	e->ident = IDENT_UNVERIFIED;
	e->ident_why = WHY_NONE;
	if (!agent_is_comm(e->hdr.comm) || agent_facts_of_pid((int)e->hdr.tgid, &f))
		return;
	e->ident = (uint8_t)judge_rescanning(s, e->hdr.comm, &f, &why);
	e->ident_why = (uint8_t)why;
}

/* What the kernel cannot cheaply tell: the executables, read while the
 * processes still exist. */
static void enrich(struct session *s, struct ev *e)
{
	switch (e->hdr.type) {
	case AEGIS_EV_EXEC:
		judge_exec(s, e);
		if (e->ident == IDENT_IMPOSTOR)
			loader_untrack(&s->loader, e->hdr.tgid); /* no more events for it */
		else if (e->ident == IDENT_AGENT)
			follow_agent(s, (int)e->hdr.tgid);
		break;
	case AEGIS_EV_SIGNAL:
		proc_read_exe((int)e->signal.sender_tgid, e->sender_exe, sizeof(e->sender_exe));
		judge_target(s, e);
		break;
	case AEGIS_EV_OOM_VICTIM:
		oom_memcg(s, e);
		break;
	default:
		break;
	}
}

/*
 * The network probes on demand (sockops, kfree_skb, inet_sk_error_report):
 * attached at the agent's network activity (a connect of the agent or to an
 * endpoint, a watched TCP socket's change, a watched DNS message), detached
 * after --net-probes-hold without any. The first packet of a quiet agent
 * goes before they are there: a SYN is sent again a second later, a resolver
 * asks again, and the connect asked for its socket's state changes, which
 * sockops hears once attached (connect_attempt in netpath.bpf.c).
 */
static void net_probes_activity(struct session *s, const struct ev *e)
{
	uint64_t now, done;
	int rc;

	if (!s->loader.net_on_demand)
		return;
	if (e->hdr.type != AEGIS_EV_CONNECT && e->hdr.type != AEGIS_EV_TCP_STATE &&
	    e->hdr.type != AEGIS_EV_DNS)
		return;
	s->net_activity_ns = e->hdr.ts_ns;
	if (s->net_armed)
		return;
	now = clock_event_ns();
	if (now < s->net_retry_ns)
		return; /* an agent storm must not become a storm of attach calls */
	rc = loader_net_arm(&s->loader, true);
	status_clear(s);
	if (rc) {
		/* said once; tried again at an activity a second later */
		if (!s->net_complained)
			fprintf(stderr, "aegismon: cannot attach the network probes: %s\n", strerror(-rc));
		s->net_complained = true;
		s->net_retry_ns = now + NSEC;
		return;
	}
	s->net_armed = true;
	/* from when the attach is done: a lookup sent while it was under way
	 * (the connect that asked for it goes first) may have had its ICMP error
	 * before the probes were there (seen with a 119 ms attach on an
	 * emulated 6.12) */
	done = clock_event_ns();
	correlator_set_probes_since(s->corr, done);
	fprintf(stderr, "aegismon: network probes attached: the agent uses the network (%.1f ms)\n",
		(double)(done - now) / 1e6);
}

static void net_probes_tick(struct session *s)
{
	uint64_t hold = (uint64_t)(s->opt.net_probes_hold_s * 1e9), now = clock_event_ns();

	/* a lookup's ICMP error may come until its timeout: not detached before */
	if (hold < (uint64_t)(s->opt.dns_timeout_s * 1e9) + NSEC)
		hold = (uint64_t)(s->opt.dns_timeout_s * 1e9) + NSEC;

	/* an event's kernel time may be a hair ahead of ours */
	if (!s->net_armed || now < s->net_activity_ns || now - s->net_activity_ns < hold)
		return;
	loader_net_arm(&s->loader, false);
	s->net_armed = false;
	status_clear(s);
	fprintf(stderr, "aegismon: network probes detached: no agent network activity for %g s\n",
		(double)hold / 1e9);
}

/* The first confined agent process of the scan, 0 if none. */
static void find_confined(uint32_t tgid, void *ctx)
{
	uint32_t *pid = ctx;

	if (!*pid && refusal_confined(tgid))
		*pid = tgid;
}

/*
 * The exit probe of connects refused before the network probes (seccomp, an
 * LSM) runs only while an agent process is confined: a syscall tracepoint
 * makes every syscall of the host take the traced slow path while it is
 * attached, and an agent under no filter and no confining label cannot be
 * refused there. Looked at once a second (a few status reads); kept 10 s
 * after the last confined process, so that a restart loop does not attach
 * and detach it each time. A connect in the second before it is attached is
 * seen at the agent's next try.
 */
static void unhooked_tick(struct session *s)
{
	uint64_t now = clock_event_ns();
	uint32_t pid = 0;
	int rc;

	if (s->unhooked_absent || now < s->unhooked_next_ns)
		return;
	s->unhooked_next_ns = now + NSEC;
	loader_for_each_tracked(&s->loader, find_confined, &pid, 256);
	if (pid) {
		s->unhooked_seen_ns = now;
		if (s->unhooked_armed)
			return;
		rc = loader_unhooked_arm(&s->loader, true);
		if (rc == -ENOENT) {
			s->unhooked_absent = true; /* the syscall path sees them itself */
			return;
		}
		if (rc) {
			fprintf(stderr, "aegismon: cannot attach the refused-connect probe: %s\n", strerror(-rc));
			s->unhooked_next_ns = now + 10 * NSEC;
			return;
		}
		s->unhooked_armed = true;
		fprintf(stderr, "aegismon: refused-connect probe attached: agent process %u is confined "
				"(seccomp or an LSM label)\n", pid);
		return;
	}
	if (s->unhooked_armed && now - s->unhooked_seen_ns >= 10 * NSEC) {
		loader_unhooked_arm(&s->loader, false);
		s->unhooked_armed = false;
		fprintf(stderr, "aegismon: refused-connect probe detached: no agent process is confined\n");
	}
}

/* A watched TCP connect that never sent its SYN (agent scope): it failed at
 * the route lookup, as tcp_destroy_sock says in the host scope. */
static void presyn_failed(void *ctx, const struct pending_connect *pc)
{
	struct session *s = ctx;
	struct ev *e = &s->scratch;

	memset(e, 0, sizeof(*e));
	e->hdr.type = AEGIS_EV_CONNECT;
	e->hdr.size = sizeof(e->connect);
	e->hdr.ts_ns = clock_event_ns();
	e->hdr.pid = pc->pid;
	e->hdr.tgid = pc->tgid;
	e->hdr.uid = pc->uid;
	memcpy(e->hdr.comm, pc->comm, sizeof(e->hdr.comm));
	e->hdr.comm[sizeof(e->hdr.comm) - 1] = '\0';
	e->connect.tuple = pc->tuple;
	e->connect.tuple.proto = IPPROTO_TCP;
	e->connect.ret = -ENETUNREACH;
	e->connect.flags = pc->flags;
	e->connect.netns = pc->netns;
	e->connect.fd = pc->fd;
	e->connect.duration_ns = e->hdr.ts_ns > pc->start_ns ? e->hdr.ts_ns - pc->start_ns : 0;
	net_probes_activity(s, e);
	ingest(s, e);
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (ev_decode(data, size, &s->scratch)) {
		s->malformed++;
		return 0;
	}
	s->kernel_events++;
	sockid_hide(&s->sockid_key, &s->scratch); /* before anything can write it out */
	enrich(s, &s->scratch);
	net_probes_activity(s, &s->scratch);
	ingest(s, &s->scratch);
	return 0;
}

static int seed_one(int pid, void *ctx)
{
	struct session *s = ctx;
	struct proc_stat st, again;
	struct ev *e = &s->scratch;
	uid_t uid = 0;

	if (proc_read_stat(pid, &st) || !agent_is_comm(st.comm))
		return 0;
	/* track first, then confirm it is the same process: one that exits in
	 * between must not leave a stale pid in the kernel set */
	loader_track(&s->loader, (uint32_t)pid);
	if (proc_read_stat(pid, &again) || again.starttime_ticks != st.starttime_ticks) {
		loader_untrack(&s->loader, (uint32_t)pid);
		return 0;
	}
	memset(e, 0, sizeof(*e));
	e->hdr.type = AEGIS_EV_SEED;
	e->hdr.size = sizeof(e->seed);
	e->hdr.ts_ns = clock_event_ns();
	e->hdr.pid = e->hdr.tgid = (uint32_t)pid;
	e->hdr.ppid = (uint32_t)st.ppid;
	proc_read_uid(pid, &uid);
	e->hdr.uid = uid;
	memcpy(e->hdr.comm, st.comm, sizeof(e->hdr.comm));
	e->seed.start_ns = clock_event_from_proc_ticks(st.starttime_ticks, s->clk_tck);
	{
		char nspath[64];
		struct stat ns;

		snprintf(nspath, sizeof(nspath), "/proc/%d/ns/net", pid);
		e->seed.netns = stat(nspath, &ns) == 0 ? (uint32_t)ns.st_ino : 0;
	}
	proc_read_exe(pid, e->exe, sizeof(e->exe));
	{
		struct agent_facts f;
		enum agent_why why = WHY_EXE_UNKNOWN;

		if (agent_facts_of_pid(pid, &f)) { /* gone meanwhile: its exit is not ours to tell */
			loader_untrack(&s->loader, (uint32_t)pid);
			return 0;
		}
		e->hdr.uid = f.ruid;
		e->ident = (uint8_t)judge_rescanning(s, e->hdr.comm, &f, &why);
		e->ident_why = (uint8_t)why;
	}
	if (e->ident != IDENT_AGENT)
		loader_untrack(&s->loader, (uint32_t)pid);
	else
		follow_agent(s, pid);
	ingest(s, e);
	return 0;
}

static void feed_marker(struct session *s, unsigned type)
{
	struct ev *e = &s->scratch;

	memset(e, 0, sizeof(*e));
	e->hdr.type = (__u16)type;
	e->hdr.size = type == AEGIS_EV_TICK ? sizeof(e->tick) : sizeof(e->hdr);
	e->hdr.ts_ns = clock_event_ns();
	if (type == AEGIS_EV_TICK)
		e->tick.events_lost = loader_counter(&s->loader, AEGIS_CNT_RINGBUF_FULL);
	ingest(s, e);
}

static void correlator_config_from(struct session *s, struct correlator_config *cfg)
{
	correlator_config_from_options(cfg, &s->opt); /* as a replay does */
	cfg->env = &s->env;
	cfg->learn = learn_endpoint;
	cfg->learn_ctx = s;
	cfg->forget = loader_forget_endpoint; /* learned addresses expire (correlate_dns.c) */
	cfg->forget_ctx = &s->loader;
}

/* The daemon's receiver when none is given: journald's own socket where
 * journald runs (its fields can be filtered on), else the classic /dev/log. */
static const char *default_syslog(void)
{
	struct stat st;

	if (stat(JOURNAL_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode))
		return "journal";
	return "unix:/dev/log";
}

static int parse_options(struct session *s, struct options *o, char *err, size_t errlen)
{
	int rc = s->daemon ? options_parse_run(s->argc, s->argv, o, err, errlen)
			   : options_parse_trace(s->argc, s->argv, o, err, errlen);

	if (rc == 0 && s->daemon && o->nsyslog == 0)
		o->syslog_urls[o->nsyslog++] = default_syslog();
	return rc;
}

static void open_syslog_targets(struct session *s)
{
	char err[256];

	s->nsyslog = 0;
	for (int i = 0; i < s->opt.nsyslog; i++)
		if (syslog_target_parse(s->opt.syslog_urls[i], &s->syslog[s->nsyslog], err, sizeof(err)) == 0)
			s->nsyslog++;
}

static bool same_strings(const char *const *a, int na, const char *const *b, int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (strcmp(a[i], b[i]))
			return false;
	return true;
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The agent install as found and the effective settings (as config lines):
 * the end of the record's header, and a reload's record (replay.c reads
 * both with one function). */
static void write_settings_text(FILE *f, const struct session *s)
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

/* A reload during --record: the settings from here on, so that a replay
 * applies them between the same two events as the live session did. */
static void record_reload(struct session *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!s->rec.f || s->rec.failed)
		return;
	f = open_memstream(&text, &len);
	if (f) {
		write_settings_text(f, s);
		if (fclose(f)) {
			free(text);
			text = NULL;
		}
	}
	if (!text || rec_settings(&s->rec, clock_event_ns(), text))
		fprintf(stderr, "aegismon: reload: the new settings could not be recorded: "
			"a replay of %s goes on with the old ones\n", s->opt.record);
	free(text);
}

/*
 * SIGHUP: read the config file and the command line again and apply what
 * changed without detaching a probe. A file that does not parse changes
 * nothing. The JSON log is reopened either way (logrotate moved it).
 */
static bool reload_apply(struct session *s, char *said, size_t saidlen)
{
	struct options next;
	struct correlator_config cfg;
	char err[512], changed[256] = "";
	bool roots, outputs;
	int rc;

#define CHANGED(what) snprintf(changed + strlen(changed), sizeof(changed) - strlen(changed), \
			       "%s%s", changed[0] ? ", " : "", what)
	options_defaults(&next);
	rc = parse_options(s, &next, err, sizeof(err));
	if (rc) {
		snprintf(said, saidlen, "reload refused, the running settings stay: %s", err);
		fprintf(stderr, "%saegismon: %s\n", journal_level_prefix(4), said);
		options_free(&next);
		open_json_log(s);
		return false;
	}
	if (memcmp(&next.endpoints, &s->opt.endpoints, sizeof(next.endpoints))) {
		rc = s->loader.net ? loader_set_endpoints(&s->loader, &s->opt.endpoints, &next.endpoints) : 0;
		if (rc)
			fprintf(stderr, "aegismon: reload: endpoint map: %s\n", strerror(-rc));
		CHANGED("endpoints");
	}
	if (memcmp(&next.domains, &s->opt.domains, sizeof(next.domains))) {
		rc = s->loader.dns ? loader_set_domains(&s->loader, &s->opt.domains, &next.domains) : 0;
		if (rc)
			fprintf(stderr, "aegismon: reload: domain map: %s\n", strerror(-rc));
		CHANGED("domains");
	}
	roots = !same_strings(next.roots, next.nroots, s->opt.roots, s->opt.nroots);
	if (roots)
		CHANGED("agent roots");
	outputs = !same_strings(next.syslog_urls, next.nsyslog, s->opt.syslog_urls, s->opt.nsyslog);
	if (outputs)
		CHANGED("syslog");
	if (next.syslog_facility != s->opt.syslog_facility)
		CHANGED("syslog facility");
	if (!same_str(next.json_log, s->opt.json_log) || next.json_log_max_bytes != s->opt.json_log_max_bytes ||
	    next.json_log_keep != s->opt.json_log_keep)
		CHANGED("JSON log");
	if (!same_str(next.metrics, s->opt.metrics))
		CHANGED("metrics");
	if (next.remediation != s->opt.remediation || !same_str(next.remediation_hook, s->opt.remediation_hook) ||
	    next.restart_max != s->opt.restart_max || next.restart_window_s != s->opt.restart_window_s ||
	    next.restart_delay_s != s->opt.restart_delay_s || next.hook_timeout_s != s->opt.hook_timeout_s)
		CHANGED("remediation");
	if (next.grace_s != s->opt.grace_s || next.flap_count != s->opt.flap_count ||
	    next.flap_window_s != s->opt.flap_window_s || next.dns_timeout_s != s->opt.dns_timeout_s ||
	    next.cpu_threshold != s->opt.cpu_threshold || next.memory_threshold != s->opt.memory_threshold ||
	    next.memory_pressure != s->opt.memory_pressure || next.resource_window_s != s->opt.resource_window_s ||
	    next.starve_ms != s->opt.starve_ms)
		CHANGED("thresholds");
	if (next.ringbuf_kib != s->opt.ringbuf_kib) {
		fprintf(stderr, "aegismon: reload: ringbuf-size %u applies at the next start (the ring buffer stays %u KiB)\n",
			next.ringbuf_kib, s->opt.ringbuf_kib);
		next.ringbuf_kib = s->opt.ringbuf_kib;
	}
	if (next.net_probes_always != s->opt.net_probes_always) {
		fprintf(stderr, "aegismon: reload: net-probes %s applies at the next start (it stays %s)\n",
			next.net_probes_always ? "always" : "on-demand",
			s->opt.net_probes_always ? "always" : "on-demand");
		next.net_probes_always = s->opt.net_probes_always;
	}
	if (next.host_scope != s->opt.host_scope) {
		fprintf(stderr, "aegismon: reload: net-scope %s applies at the next start (it stays %s)\n",
			next.host_scope ? "host" : "agent", s->opt.host_scope ? "host" : "agent");
		next.host_scope = s->opt.host_scope;
	}

	if (outputs)
		for (int i = 0; i < s->nsyslog; i++) {
			s->syslog_dropped_past += s->syslog[i].dropped_total;
			syslog_close(&s->syslog[i]);
		}
	options_free(&s->opt); /* the old strings go; next owns its own */
	s->opt = next;
	if (outputs)
		open_syslog_targets(s);
	if (roots)
		agent_env_init(&s->env, s->opt.roots, s->opt.nroots);
	loader_set_verbose(s->opt.verbose);
	correlator_config_from(s, &cfg);
	correlator_reconfigure(s->corr, &cfg);
	record_reload(s);
	/* the sampler names the top consumers when a threshold is crossed */
	s->res.cpu_thr_pm = cfg.cpu_busy_pm;
	s->res.mem_thr_pm = cfg.mem_used_pm;
	s->res.psi_thr = cfg.mem_psi_full;
	s->res.full_rate_ns = cfg.res_window_ns;
	reload_remediation(s); /* always: the hook string moved to the new options */
	open_json_log(s);
	write_metrics(s, true);
	snprintf(said, saidlen, "reloaded %s: %s", s->opt.config ? s->opt.config : "the options",
		 changed[0] ? changed : "no change");
	fprintf(stderr, "%saegismon: %s\n", journal_level_prefix(5), said);
	return true;
#undef CHANGED
}

/*
 * SIGHUP, told to systemd (RELOADING=1, then READY=1 with the outcome in
 * STATUS=) and, for the daemon, to `aegismon reload` (ExecReload=), which
 * waits for this reload's generation in the status file.
 */
static void reload(struct session *s)
{
	struct reload_status st = { 0 };
	char err[256];

	sdnotify_reloading();
	st.ok = reload_apply(s, st.message, sizeof(st.message));
	st.generation = ++s->reload_generation;
	if (s->daemon && reload_status_write(getpid(), &st, err, sizeof(err)))
		fprintf(stderr, "aegismon: reload: %s (`aegismon reload` cannot see the outcome)\n", err);
	s->reload_refused = !st.ok;
	snprintf(s->reload_said, sizeof(s->reload_said), "%s", st.message);
	notify_status(s, "READY=1\n");
}

/* What a replay needs besides the events: the host, the agent install as
 * found, and the effective settings (as config lines). */
static int open_record(struct session *s, uint64_t start_ns, char *err, size_t errlen)
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

/* Once a second (every fourth tick): the AEGIS_EV_RESOURCES sample. */
static void sample_resources(struct session *s)
{
	uint64_t now = clock_event_ns();

	if (now < s->res_next_ns)
		return;
	s->res_next_ns = now + NSEC - TICK_NS / 2; /* tolerate a tick that fires early */
	/* a p90 wait of the threshold needs a mean wait of a tenth of it */
	s->res.arm_wait_ns = (uint64_t)(s->opt.starve_ms * 1e6 / 10);
	/* the kernel counts the waits at or above the threshold (a reload may change it) */
	{
		uint64_t thr_us = (uint64_t)(s->opt.starve_ms * 1000 + 0.5);

		if (thr_us != s->res.rq_threshold_us && loader_rq_threshold(&s->loader, thr_us * 1000) == 0)
			s->res.rq_threshold_us = thr_us;
	}
	if (res_sample(&s->res, &s->loader, now, &s->scratch) == 0)
		ingest(s, &s->scratch);
	if (s->res.sched_changed) {
		s->res.sched_changed = false;
		status_clear(s);
		if (s->res.sched_armed)
			fprintf(stderr, "aegismon: scheduler probes attached: the agent's threads wait "
				"%.1f ms on average to run\n", (double)s->res.last_mean_wait_ns / 1e6);
		else
			fprintf(stderr, "aegismon: scheduler probes detached: the agent's threads run "
				"without waiting\n");
	}
}

static int setup_fds(int *sigfd, int *timerfd, int *epfd, int rbfd)
{
	struct itimerspec its = { { 0, TICK_NS }, { 0, TICK_NS } };
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	*sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	*timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	*epfd = epoll_create1(EPOLL_CLOEXEC);
	if (*sigfd < 0 || *timerfd < 0 || *epfd < 0)
		return -errno;
	if (timerfd_settime(*timerfd, 0, &its, NULL))
		return -errno;
	ev.data.fd = rbfd;
	if (epoll_ctl(*epfd, EPOLL_CTL_ADD, rbfd, &ev))
		return -errno;
	ev.data.fd = *sigfd;
	if (epoll_ctl(*epfd, EPOLL_CTL_ADD, *sigfd, &ev))
		return -errno;
	ev.data.fd = *timerfd;
	if (epoll_ctl(*epfd, EPOLL_CTL_ADD, *timerfd, &ev))
		return -errno;
	return 0;
}

/* "N probes attached in X ms (...)": what runs, where, and what could not. */
static void start_line(struct session *s)
{
	fprintf(stderr, "aegismon: %u probes attached in %.1f ms", s->loader.attached,
		(double)s->loader.attach_ns / 1e6);
	if (s->loader.net)
		fprintf(stderr, " (connect() via %s)",
			loader_connect_hook_name(s->loader.connect_hook));
	if (s->loader.scope.nprogs) {
		char where[320];

		netscope_describe(&s->loader.scope, where, sizeof(where));
		fprintf(stderr, "; network scope: %s", where);
	}
	if (s->loader.net_on_demand)
		fprintf(stderr, "; network probes when the agent uses the network");
	if (s->loader.sched)
		fprintf(stderr, "; scheduler probes when the agent waits to run");
	if (s->loader.failed)
		fprintf(stderr, "; %u failed to attach: %s", s->loader.failed,
			s->loader.failed_names);
	{
		char fb[128];

		/* a fallback in use is said: it changes what can be seen */
		loader_plan_summary(&s->loader.plan, fb, sizeof(fb));
		if (fb[0])
			fprintf(stderr, "; fallbacks: %s", fb);
	}
	if (s->env.install.found)
		fprintf(stderr, "; agent root %s", s->env.install.root);
	else
		fprintf(stderr, "; no agent install under %s%s%s", s->env.roots[0],
			s->env.nroots > 1 ? " or " : "", s->env.nroots > 1 ? s->env.roots[1] : "");
	fputc('\n', stderr);
	s->started = true;
}

static int run_loop(struct session *s)
{
	int sigfd = -1, timerfd = -1, epfd = -1, rc;
	int rbfd = loader_epoll_fd(&s->loader);
	/* --duration is time traced: counted from now, attached, not from before
	 * the load (seconds of it on a slow or loaded host) */
	uint64_t end_ns = s->opt.duration_s > 0 ? clock_event_ns() + (uint64_t)(s->opt.duration_s * 1e9) : 0;
	bool stop = false;

	rc = setup_fds(&sigfd, &timerfd, &epfd, rbfd);
	s->epfd = epfd;
	if (!rc && s->rem) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = remediator_fd(s->rem) };

		if (epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			rc = -errno;
	}
	if (!rc && s->enricher) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = enricher_fd(s->enricher) };

		if (epoll_ctl(epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
			rc = -errno;
	}
	if (rc) {
		fprintf(stderr, "aegismon: cannot set up the event loop: %s\n", strerror(-rc));
		goto out;
	}
	while (!stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(epfd, evs, 4, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			fprintf(stderr, "aegismon: epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == rbfd) {
				loader_consume(&s->loader);
			} else if (s->rem && fd == remediator_fd(s->rem)) {
				remediator_dispatch(s->rem, clock_event_ns());
			} else if (s->enricher && fd == enricher_fd(s->enricher)) {
				enricher_dispatch(s->enricher, clock_event_ns(), on_enriched, s);
			} else if (fd == timerfd) {
				uint64_t expirations;

				if (read(timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
					fprintf(stderr, "aegismon: timerfd: %s\n", strerror(errno));
				/* events first, then the tick that may judge their silence */
				loader_consume(&s->loader);
				feed_marker(s, AEGIS_EV_TICK);
				scope_said(s, loader_refresh_scope(&s->loader));
				loader_expire_presyn(&s->loader, clock_event_ns(), NSEC, presyn_failed, s);
				net_probes_tick(s);
				unhooked_tick(s);
				if (s->rem)
					remediator_tick(s->rem, clock_event_ns());
				/* a held local drop whose rules are late goes out without them */
				enricher_dispatch(s->enricher, clock_event_ns(), on_enriched, s);
				sample_resources(s);
				write_metrics(s, false);
				status_draw(s);
				feed_watchdog(s);
				if (end_ns && clock_event_ns() >= end_ns)
					stop = true;
			} else if (fd == sigfd) {
				struct signalfd_siginfo si;

				while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
						stop = true;
					else if (si.ssi_signo == SIGHUP)
						reload(s);
				}
			}
		}
	}
out:
	if (epfd >= 0)
		close(epfd);
	if (timerfd >= 0)
		close(timerfd);
	if (sigfd >= 0)
		close(sigfd);
	return rc;
}

/* Into the file open_outputs opened and checked at start, emptied now. */
static void write_html_report(struct session *s, const struct session_summary *sum)
{
	FILE *f = s->report_fd < 0 || ftruncate(s->report_fd, 0) ? NULL : fdopen(s->report_fd, "w");
	int bad;

	if (!f) {
		fprintf(stderr, "aegismon: --report %s: %s\n", s->opt.report, strerror(errno));
		return;
	}
	s->report_fd = -1; /* f has it */
	bad = report_html(s->report, f, sum, s->host);
	if (fclose(f) || bad)
		fprintf(stderr, "aegismon: --report %s: write failed\n", s->opt.report);
	else
		fprintf(stderr, "aegismon: report written to %s\n", s->opt.report);
}

static int session_main(int argc, char **argv, bool daemon);

int cmd_trace(int argc, char **argv)
{
	return session_main(argc, argv, false);
}

int cmd_run(int argc, char **argv)
{
	return session_main(argc, argv, true);
}

static int session_main(int argc, char **argv, bool daemon)
{
	struct session *s = calloc(1, sizeof(*s));
	struct correlator_config cfg;
	struct session_summary sum;
	char err[512];
	uint64_t start_ns, end_ns;
	int rc;

	if (!s) {
		fprintf(stderr, "aegismon: out of memory\n");
		return 3;
	}
	options_defaults(&s->opt);
	s->daemon = daemon;
	s->json_fd = -1;
	s->report_fd = -1;
	s->epfd = -1;
	s->argc = argc;
	s->argv = argv;
	rc = parse_options(s, &s->opt, err, sizeof(err));
	if (rc == 0 && s->opt.check_config) {
		options_dump(stdout, &s->opt);
		rc = 1;
	}
	if (rc) {
		if (rc == 2)
			fprintf(stderr, "aegismon %s: %s\nTry 'aegismon %s --help'.\n",
				daemon ? "run" : "trace", err, daemon ? "run" : "trace");
		options_free(&s->opt);
		free(s);
		return rc == 1 ? 0 : 2;
	}
	open_syslog_targets(s);
	gethostname(s->host, sizeof(s->host) - 1);
	loader_set_verbose(s->opt.verbose);
	loader_set_btf(s->opt.btf);
	loader_set_host_scope(s->opt.host_scope);
	loader_set_net_probes_always(s->opt.net_probes_always);
	rc = loader_check_env(err, sizeof(err));
	if (rc == 0 && open_outputs(s, err, sizeof(err)))
		rc = 2; /* a file refused: like a bad option */
	if (rc) {
		fprintf(stderr, "aegismon: %s\n", err);
		if (s->json_fd >= 0)
			close(s->json_fd);
		rec_abandon(&s->rec);
		options_free(&s->opt);
		free(s);
		return rc;
	}
	s->clk_tck = sysconf(_SC_CLK_TCK);
	if (s->clk_tck <= 0)
		s->clk_tck = 100;
	s->tty = !daemon && !s->opt.json && isatty(STDOUT_FILENO);
	s->color = s->opt.color == COLOR_ALWAYS ||
		   (s->opt.color == COLOR_AUTO && !s->opt.json && isatty(STDOUT_FILENO) &&
		    !getenv("NO_COLOR"));
	agent_env_init(&s->env, s->opt.roots, s->opt.nroots);
	if (s->env.files_truncated)
		fprintf(stderr, "aegismon: the agent root holds more than %d files: only the first "
			"identify the agent\n", AGENT_MAX_FILES);
	rc = sockid_key_init(&s->sockid_key);
	if (rc) {
		fprintf(stderr, "aegismon: no random key for socket ids: %s\n", strerror(-rc));
		return 2;
	}
	/* the event clock is the kernel's (bpf/maps.bpf.h): set before any "now" */
	{
		int crc = clock_event_init(loader_boot_clock());

		if (crc)
			fprintf(stderr, "aegismon: cannot read the time namespace's offsets (%s): "
				"event times are taken as the host's\n", strerror(-crc));
	}
	clockmap_init_now(&s->clock);

	correlator_config_from(s, &cfg);
	s->corr = correlator_new(&cfg, on_diagnosis, s);
	if (!s->corr || setup_remediation(s) ||
	    res_sampler_init(&s->res, cfg.cpu_busy_pm, cfg.mem_used_pm, cfg.mem_psi_full)) {
		fprintf(stderr, "aegismon: out of memory\n");
		correlator_free(s->corr);
		options_free(&s->opt);
		free(s);
		return 3;
	}
	s->res.full_rate_ns = cfg.res_window_ns;

	start_ns = clock_event_ns();
	s->start_ns = s->status_next_ns = start_ns;
	sink_text_origin(start_ns);
	rc = loader_open(&s->loader, s->opt.ringbuf_kib, &s->opt.endpoints, &s->opt.domains,
			 on_ring_event, s, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "aegismon: %s\n", err);
		res_sampler_free(&s->res);
		correlator_free(s->corr);
		options_free(&s->opt);
		free(s);
		return rc;
	}
	/* loading parsed the kernel BTF (megabytes): give that heap back */
	malloc_trim(0);
	s->enricher = enricher_new(NULL, ENRICH_HOLD_MS);
	if (!s->enricher)
		fprintf(stderr, "aegismon: cannot start the nft rules worker: local drops are "
				"diagnosed without their rules\n");

	/* trace keeps a report; the daemon, which runs for months, does not */
	if (!daemon && (s->opt.report || !s->opt.json)) {
		s->report = report_new(&s->clock, start_ns);
		if (!s->report)
			fprintf(stderr, "aegismon: out of memory for the report (continuing without)\n");
	}
	if (s->opt.record && open_record(s, start_ns, err, sizeof(err)))
		fprintf(stderr, "aegismon: --record: %s (tracing without a record)\n", err);
	/* attach first, then scan: a process started in between is seen by both,
	 * and the correlator keys on the pid */
	proc_for_each_pid(seed_one, s);
	/* said once the scan has put the network probes where the agent is */
	start_line(s);
	feed_marker(s, AEGIS_EV_SEED_DONE);
	sample_resources(s); /* the baseline of the first interval */
	notify_status(s, "READY=1\n");
	s->watchdog_ns = sdnotify_watchdog_interval_ns();
	s->watchdog_next_ns = clock_event_ns() + s->watchdog_ns;
	write_metrics(s, true);

	rc = run_loop(s);
	sdnotify("STOPPING=1");
	if (s->daemon)
		reload_status_remove(getpid());

	loader_consume(&s->loader);
	feed_marker(s, AEGIS_EV_TICK);
	status_clear(s);
	end_ns = clock_event_ns(); /* recorded: a replay flushes at the same time */
	correlator_flush(s->corr, end_ns);
	/* held local drops go out, with their rules if they come within the hold */
	enricher_drain(s->enricher, on_enriched, s);
	write_metrics(s, true);

	memset(&sum, 0, sizeof(sum));
	sum.start_ns = start_ns;
	sum.end_ns = end_ns;
	sum.probes_attached = s->loader.attached;
	sum.probes_failed = s->loader.failed;
	sum.events = s->kernel_events;
	sum.stats = correlator_stats(s->corr);
	sum.pidset_full = loader_counter(&s->loader, AEGIS_CNT_PIDSET_FULL);
	sum.socks_full = loader_counter(&s->loader, AEGIS_CNT_SOCKS_FULL);
	sum.dns_seen = loader_counter(&s->loader, AEGIS_CNT_DNS_SEEN);
	sum.dns_other = loader_counter(&s->loader, AEGIS_CNT_DNS_OTHER);
	if (s->opt.json)
		sink_json_summary(stdout, &s->clock, &sum);
	else if (s->report)
		report_text(s->report, stdout, &sum, s->color);
	else
		sink_text_summary(stderr, &sum, s->color);
	if (s->report && s->opt.report)
		write_html_report(s, &sum);
	if (s->malformed)
		fprintf(stderr, "aegismon: %llu malformed events ignored\n",
			(unsigned long long)s->malformed);
	if (s->rec.f) {
		struct rec_end end = { sum.end_ns, sum.events, sum.pidset_full, sum.socks_full,
				       sum.dns_seen, sum.dns_other, s->malformed };
		uint64_t n = s->rec.records;
		int rrc = rec_close(&s->rec, &end);

		if (rrc)
			fprintf(stderr, "aegismon: --record %s: incomplete: %s\n", s->opt.record, strerror(-rrc));
		else
			fprintf(stderr, "aegismon: recorded %llu records to %s\n", (unsigned long long)n, s->opt.record);
	}

	for (int i = 0; i < s->nsyslog; i++) {
		if (s->syslog[i].dropped_total)
			fprintf(stderr, "aegismon: syslog %s: %llu messages dropped (receiver down or slow)\n",
				s->syslog[i].url, (unsigned long long)s->syslog[i].dropped_total);
		syslog_close(&s->syslog[i]);
	}
	if (s->json_fd >= 0)
		close(s->json_fd);
	if (s->report_fd >= 0)
		close(s->report_fd);
	loader_close(&s->loader);
	remediator_free(s->rem);
	enricher_free(s->enricher);
	/* the daemon's job is to run: a diagnosis is not a failure of it */
	rc = rc ? 3 : daemon ? 0 : summary_exit_status(&sum);
	res_sampler_free(&s->res);
	correlator_free(s->corr);
	report_free(s->report);
	options_free(&s->opt);
	free(s);
	return rc;
}
