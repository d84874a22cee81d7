// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The settings of trace and run, read at start and again on SIGHUP (the reload).
 * A reload applies what changed without detaching a probe and tells the outcome
 * to systemd and `aegismon reload`; the settings set up the syslog receivers,
 * the correlator and remediation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reloadstat.h"
#include "remedy.h"
#include "replay.h"
#include "sdnotify.h"
#include "stderrlog.h"
#include "trace_int.h"

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

int setup_remediation(struct session *s)
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
			stderr_say(LOG_WARNING, "aegismon: reload: remediation: %s\n", strerror(errno));
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

void correlator_config_from(struct session *s, struct correlator_config *cfg)
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

int parse_options(struct session *s, struct options *o, char *err, size_t errlen)
{
	int rc = s->daemon ? options_parse_run(s->argc, s->argv, o, err, errlen)
			   : options_parse_trace(s->argc, s->argv, o, err, errlen);

	if (rc == 0 && s->daemon && o->nsyslog == 0)
		o->syslog_urls[o->nsyslog++] = default_syslog();
	return rc;
}

void open_syslog_targets(struct session *s)
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
		stderr_say(LOG_WARNING, "aegismon: reload: the new settings could not be recorded: "
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
		stderr_say(LOG_WARNING, "aegismon: %s\n", said);
		options_free(&next);
		open_json_log(s);
		return false;
	}
	if (memcmp(&next.endpoints, &s->opt.endpoints, sizeof(next.endpoints))) {
		rc = s->loader.net ? loader_set_endpoints(&s->loader, &s->opt.endpoints, &next.endpoints) : 0;
		if (rc)
			stderr_say(LOG_WARNING, "aegismon: reload: endpoint map: %s\n", strerror(-rc));
		CHANGED("endpoints");
	}
	if (memcmp(&next.domains, &s->opt.domains, sizeof(next.domains))) {
		rc = s->loader.dns ? loader_set_domains(&s->loader, &s->opt.domains, &next.domains) : 0;
		if (rc)
			stderr_say(LOG_WARNING, "aegismon: reload: domain map: %s\n", strerror(-rc));
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
		stderr_say(LOG_NOTICE, "aegismon: reload: ringbuf-size %u applies at the next start (the ring buffer stays %u KiB)\n",
			next.ringbuf_kib, s->opt.ringbuf_kib);
		next.ringbuf_kib = s->opt.ringbuf_kib;
	}
	if (next.net_probes_always != s->opt.net_probes_always) {
		stderr_say(LOG_NOTICE, "aegismon: reload: net-probes %s applies at the next start (it stays %s)\n",
			next.net_probes_always ? "always" : "on-demand",
			s->opt.net_probes_always ? "always" : "on-demand");
		next.net_probes_always = s->opt.net_probes_always;
	}
	if (next.host_scope != s->opt.host_scope) {
		stderr_say(LOG_NOTICE, "aegismon: reload: net-scope %s applies at the next start (it stays %s)\n",
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
	stderr_say(LOG_NOTICE, "aegismon: %s\n", said);
	return true;
#undef CHANGED
}

/*
 * SIGHUP, told to systemd (RELOADING=1, then READY=1 with the outcome in
 * STATUS=) and, for the daemon, to `aegismon reload` (ExecReload=), which
 * waits for this reload's generation in the status file.
 */
void reload(struct session *s)
{
	struct reload_status st = { 0 };
	char err[256];

	sdnotify_reloading();
	st.ok = reload_apply(s, st.message, sizeof(st.message));
	st.generation = ++s->reload_generation;
	if (s->daemon && reload_status_write(getpid(), &st, err, sizeof(err)))
		stderr_say(LOG_WARNING, "aegismon: reload: %s (`aegismon reload` cannot see the outcome)\n", err);
	s->reload_refused = !st.ok;
	snprintf(s->reload_said, sizeof(s->reload_said), "%s", st.message);
	notify_status(s, "READY=1\n");
}
