// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* aegismon trace and run: the session (load, seed, the epoll loop, the end). */
#include "trace.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "procfs.h"
#include "reloadstat.h"
#include "sdnotify.h"
#include "stderrlog.h"
#include "sink.h"
#include "trace_int.h"

/* WATCHDOG=1 from the tick: a loop that stops turning stops feeding it. */
static void feed_watchdog(struct session *s)
{
	uint64_t now = clock_event_ns();

	if (!s->watchdog_ns || now < s->watchdog_next_ns)
		return;
	sdnotify("WATCHDOG=1");
	s->watchdog_next_ns = now + s->watchdog_ns;
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
		stderr_say(LOG_ERR, "aegismon: cannot set up the event loop: %s\n", strerror(-rc));
		goto out;
	}
	while (!stop) {
		struct epoll_event evs[4];
		int n = epoll_wait(epfd, evs, 4, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			stderr_say(LOG_ERR, "aegismon: epoll_wait: %s\n", strerror(errno));
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
					stderr_say(LOG_ERR, "aegismon: timerfd: %s\n", strerror(errno));
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
		stderr_say(LOG_ERR, "aegismon: out of memory\n");
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
			stderr_say(LOG_ERR, "aegismon %s: %s\nTry 'aegismon %s --help'.\n",
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
		stderr_say(LOG_ERR, "aegismon: %s\n", err);
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
		stderr_say(LOG_WARNING, "aegismon: the agent root holds more than %d files: only the first "
			"identify the agent\n", AGENT_MAX_FILES);
	rc = sockid_key_init(&s->sockid_key);
	if (rc) {
		stderr_say(LOG_ERR, "aegismon: no random key for socket ids: %s\n", strerror(-rc));
		return 2;
	}
	/* the event clock is the kernel's (bpf/maps.bpf.h): set before any "now" */
	{
		int crc = clock_event_init(loader_boot_clock());

		if (crc)
			stderr_say(LOG_WARNING, "aegismon: cannot read the time namespace's offsets (%s): "
				"event times are taken as the host's\n", strerror(-crc));
	}
	clockmap_init_now(&s->clock);

	correlator_config_from(s, &cfg);
	s->corr = correlator_new(&cfg, on_diagnosis, s);
	if (!s->corr || setup_remediation(s) ||
	    res_sampler_init(&s->res, cfg.cpu_busy_pm, cfg.mem_used_pm, cfg.mem_psi_full)) {
		stderr_say(LOG_ERR, "aegismon: out of memory\n");
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
		stderr_say(LOG_ERR, "aegismon: %s\n", err);
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
		stderr_say(LOG_WARNING, "aegismon: cannot start the nft rules worker: local drops are "
				"diagnosed without their rules\n");

	/* trace keeps a report; the daemon, which runs for months, does not */
	if (!daemon && (s->opt.report || !s->opt.json)) {
		s->report = report_new(&s->clock, start_ns);
		if (!s->report)
			stderr_say(LOG_WARNING, "aegismon: out of memory for the report (continuing without)\n");
	}
	if (s->opt.record && open_record(s, start_ns, err, sizeof(err)))
		stderr_say(LOG_WARNING, "aegismon: --record: %s (tracing without a record)\n", err);
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
		stderr_say(LOG_WARNING, "aegismon: %llu malformed events ignored\n",
			(unsigned long long)s->malformed);
	if (s->rec.f) {
		struct rec_end end = { sum.end_ns, sum.events, sum.pidset_full, sum.socks_full,
				       sum.dns_seen, sum.dns_other, s->malformed };
		uint64_t n = s->rec.records;
		int rrc = rec_close(&s->rec, &end);

		if (rrc)
			stderr_say(LOG_WARNING, "aegismon: --record %s: incomplete: %s\n", s->opt.record, strerror(-rrc));
		else
			stderr_say(LOG_INFO, "aegismon: recorded %llu records to %s\n", (unsigned long long)n, s->opt.record);
	}

	for (int i = 0; i < s->nsyslog; i++) {
		if (s->syslog[i].dropped_total)
			stderr_say(LOG_WARNING, "aegismon: syslog %s: %llu messages dropped (receiver down or slow)\n",
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
