/* aegismon trace: load, seed, one epoll loop, diagnoses until the end. */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/un.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "agent.h"
#include "correlate.h"
#include "enrich.h"
#include "ev.h"
#include "loader.h"
#include "options.h"
#include "procfs.h"
#include "res_sample.h"
#include "sink.h"
#include "sink_metrics.h"
#include "sink_syslog.h"
#include "timefmt.h"

#define NSEC 1000000000ULL
#define TICK_NS (NSEC / 4)

struct session {
	struct options opt;
	struct agent_env env;
	struct clockmap clock;
	struct loader loader;
	struct correlator *corr;
	bool color;
	uint64_t kernel_events;
	uint64_t malformed;
	uint64_t json_errors;
	long clk_tck;
	struct ev scratch; /* decoded here: no allocation per event */
	struct diagnosis enriched;
	bool daemon;                 /* aegismon run */
	struct syslog_target syslog[4];
	int nsyslog;
	int json_fd;                 /* --json-log, or -1 */
	char host[64];
	char line[32768];            /* one syslog message */
	struct metrics metrics;
	uint64_t metrics_next_ns;
	struct res_sampler res;      /* host and agent resources, once a second */
	uint64_t res_next_ns;
};

/* syslog receivers and the JSON log: never block, never stop the loop */
static void emit_outputs(struct session *s, const struct diagnosis *d)
{
	uint64_t now = clock_mono_ns();

	for (int i = 0; i < s->nsyslog; i++) {
		struct syslog_target *t = &s->syslog[i];
		size_t n = syslog_format(s->line, sizeof(s->line), s->opt.syslog_facility, s->host,
					 "aegismon", (int)getpid(), t->dropped, &s->clock, d);

		if (n)
			syslog_send(t, s->line, n, now);
	}
	if (s->json_fd >= 0) {
		struct jw w;
		size_t len;

		json_diagnosis(&w, s->line, sizeof(s->line) - 1, &s->clock, d);
		if (!w.overflow) {
			len = strlen(s->line);
			s->line[len++] = '\n';
			if (write(s->json_fd, s->line, len) != (ssize_t)len)
				s->json_errors++;
		}
	}
}

static void open_json_log(struct session *s)
{
	if (s->json_fd >= 0)
		close(s->json_fd);
	s->json_fd = -1;
	if (!s->opt.json_log)
		return;
	s->json_fd = open(s->opt.json_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (s->json_fd < 0)
		fprintf(stderr, "aegismon: cannot open %s: %s (diagnoses still go to the other outputs)\n",
			s->opt.json_log, strerror(errno));
}

/* sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET. */
static void notify_systemd(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) >= sizeof(un.sun_path))
		return;
	memcpy(un.sun_path, path, strlen(path));
	if (un.sun_path[0] == '@')
		un.sun_path[0] = '\0'; /* abstract namespace */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&un, len) < 0)
		fprintf(stderr, "aegismon: sd_notify: %s\n", strerror(errno));
	close(fd);
}

static void on_diagnosis(const struct diagnosis *diag, void *ctx)
{
	struct session *s = ctx;
	struct diagnosis *d = &s->enriched;

	*d = *diag;
	enrich_diagnosis(d);
	emit_outputs(s, d);
	if (s->daemon && !s->opt.json)
		return; /* a daemon's diagnoses go to syslog and the JSON log */

	if (s->opt.json)
		sink_json_diagnosis(stdout, &s->clock, d);
	else
		sink_text_diagnosis(stdout, &s->clock, d, s->color);
}

/* An Aegis name resolved: connects to that address are endpoint connects now. */
static void learn_endpoint(void *ctx, int family, const uint8_t *addr, uint32_t ttl, const char *qname)
{
	struct session *s = ctx;

	(void)ttl; /* learned entries stay for the session; the trie is bounded */
	(void)qname;
	if (s->loader.net)
		loader_add_endpoint(&s->loader, family, addr, family == AF_INET6 ? 128 : 32);
}

/* The metrics file: every 5 s and at the end; a failure is said once. */
static void write_metrics(struct session *s, bool now)
{
	static bool complained;
	struct metrics *m = &s->metrics;
	const struct correlator_stats *st = correlator_stats(s->corr);
	uint64_t t = clock_mono_ns();
	size_t n;
	int rc;

	if (!s->opt.metrics || (!now && t < s->metrics_next_ns))
		return;
	s->metrics_next_ns = t + 5 * NSEC;
	memcpy(m->diagnoses, st->occurrences, sizeof(m->diagnoses));
	m->events_lost = st->events_lost;
	m->probes_attached = s->loader.attached;
	m->probes_failed = s->loader.failed;
	m->agent_installed = s->env.install.found;
	m->core_expected = s->env.install.found ? s->env.install.present_mask : 0;
	for (int c = 0; c < CORE_COUNT; c++)
		m->core_running[c] = correlator_core_running(s->corr, c);
	m->syslog_dropped = 0;
	for (int i = 0; i < s->nsyslog; i++)
		m->syslog_dropped += s->syslog[i].dropped_total;
	n = metrics_format(s->line, sizeof(s->line), m);
	rc = n ? metrics_write(s->opt.metrics, s->line, n) : -ENOSPC;
	if (rc && !complained) {
		fprintf(stderr, "aegismon: cannot write %s: %s\n", s->opt.metrics, strerror(-rc));
		complained = true;
	}
}

static void ingest(struct session *s, const struct ev *e)
{
	if (e->hdr.type < METRICS_EVENT_TYPES)
		s->metrics.events[e->hdr.type]++;
	if (s->opt.events && e->hdr.type != AEGIS_EV_TICK && e->hdr.type != AEGIS_EV_SEED_DONE) {
		if (s->opt.json)
			sink_json_event(stdout, &s->clock, e);
		else
			sink_text_event(stdout, &s->clock, e, s->color);
	}
	correlator_feed(s->corr, e);
}

/* What the kernel cannot cheaply tell: the executables, read while the
 * processes still exist. */
static void enrich(struct session *s, struct ev *e)
{
	switch (e->hdr.type) {
	case AEGIS_EV_EXEC:
		if (proc_read_exe((int)e->hdr.tgid, e->exe, sizeof(e->exe)) &&
		    e->exec.filename[0] == '/')
			snprintf(e->exe, sizeof(e->exe), "%s", e->exec.filename);
		if (agent_identify(&s->env, e->hdr.comm, e->exe) == IDENT_IMPOSTOR)
			loader_untrack(&s->loader, e->hdr.tgid); /* no more events for it */
		break;
	case AEGIS_EV_SIGNAL:
		proc_read_exe((int)e->signal.sender_tgid, e->sender_exe, sizeof(e->sender_exe));
		break;
	default:
		break;
	}
}

static int on_ring_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (ev_decode(data, size, &s->scratch)) {
		s->malformed++;
		return 0;
	}
	s->kernel_events++;
	enrich(s, &s->scratch);
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
	e->hdr.ts_ns = clock_mono_ns();
	e->hdr.pid = e->hdr.tgid = (uint32_t)pid;
	e->hdr.ppid = (uint32_t)st.ppid;
	proc_read_uid(pid, &uid);
	e->hdr.uid = uid;
	memcpy(e->hdr.comm, st.comm, sizeof(e->hdr.comm));
	e->seed.start_ns = st.starttime_ticks * (NSEC / (uint64_t)s->clk_tck);
	proc_read_exe(pid, e->exe, sizeof(e->exe));
	if (agent_identify(&s->env, e->hdr.comm, e->exe) == IDENT_IMPOSTOR)
		loader_untrack(&s->loader, (uint32_t)pid);
	ingest(s, e);
	return 0;
}

static void feed_marker(struct session *s, unsigned type)
{
	struct ev *e = &s->scratch;

	memset(e, 0, sizeof(*e));
	e->hdr.type = (__u16)type;
	e->hdr.size = type == AEGIS_EV_TICK ? sizeof(e->tick) : sizeof(e->hdr);
	e->hdr.ts_ns = clock_mono_ns();
	if (type == AEGIS_EV_TICK)
		e->tick.events_lost = loader_counter(&s->loader, AEGIS_CNT_RINGBUF_FULL);
	ingest(s, e);
}

/* Once a second (every fourth tick): the AEGIS_EV_RESOURCES sample. */
static void sample_resources(struct session *s)
{
	uint64_t now = clock_mono_ns();

	if (now < s->res_next_ns)
		return;
	s->res_next_ns = now + NSEC - TICK_NS / 2; /* tolerate a tick that fires early */
	if (res_sample(&s->res, &s->loader, now, &s->scratch) == 0)
		ingest(s, &s->scratch);
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

static int run_loop(struct session *s, uint64_t start_ns)
{
	int sigfd = -1, timerfd = -1, epfd = -1, rc;
	int rbfd = loader_epoll_fd(&s->loader);
	uint64_t end_ns = s->opt.duration_s > 0 ? start_ns + (uint64_t)(s->opt.duration_s * 1e9) : 0;
	bool stop = false;

	rc = setup_fds(&sigfd, &timerfd, &epfd, rbfd);
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
			} else if (fd == timerfd) {
				uint64_t expirations;

				if (read(timerfd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
					fprintf(stderr, "aegismon: timerfd: %s\n", strerror(errno));
				/* events first, then the tick that may judge their silence */
				loader_consume(&s->loader);
				feed_marker(s, AEGIS_EV_TICK);
				sample_resources(s);
				write_metrics(s, false);
				if (end_ns && clock_mono_ns() >= end_ns)
					stop = true;
			} else if (fd == sigfd) {
				struct signalfd_siginfo si;

				while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
						stop = true;
					else if (si.ssi_signo == SIGHUP)
						open_json_log(s); /* after logrotate moved it */
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
	uint64_t start_ns;
	int rc;

	if (!s) {
		fprintf(stderr, "aegismon: out of memory\n");
		return 3;
	}
	options_defaults(&s->opt);
	s->daemon = daemon;
	s->json_fd = -1;
	rc = daemon ? options_parse_run(argc, argv, &s->opt, err, sizeof(err))
		    : options_parse_trace(argc, argv, &s->opt, err, sizeof(err));
	if (rc) {
		if (rc == 2)
			fprintf(stderr, "aegismon %s: %s\nTry 'aegismon %s --help'.\n",
				daemon ? "run" : "trace", err, daemon ? "run" : "trace");
		free(s);
		return rc == 1 ? 0 : 2;
	}
	if (daemon && s->opt.nsyslog == 0)
		s->opt.syslog_urls[s->opt.nsyslog++] = "unix:/dev/log";
	for (int i = 0; i < s->opt.nsyslog; i++)
		syslog_target_parse(s->opt.syslog_urls[i], &s->syslog[s->nsyslog++], err, sizeof(err));
	gethostname(s->host, sizeof(s->host) - 1);
	open_json_log(s);
	loader_set_verbose(s->opt.verbose);
	rc = loader_check_env(err, sizeof(err));
	if (rc) {
		fprintf(stderr, "aegismon: %s\n", err);
		free(s);
		return rc;
	}
	s->clk_tck = sysconf(_SC_CLK_TCK);
	if (s->clk_tck <= 0)
		s->clk_tck = 100;
	s->color = s->opt.color == COLOR_ALWAYS ||
		   (s->opt.color == COLOR_AUTO && !s->opt.json && isatty(STDOUT_FILENO) &&
		    !getenv("NO_COLOR"));
	agent_env_init(&s->env, s->opt.roots, s->opt.nroots);
	clockmap_init_now(&s->clock);

	correlator_config_defaults(&cfg);
	cfg.env = &s->env;
	cfg.endpoints = &s->opt.endpoints;
	cfg.domains = &s->opt.domains;
	cfg.dns_timeout_ns = (uint64_t)(s->opt.dns_timeout_s * 1e9);
	cfg.learn = learn_endpoint;
	cfg.learn_ctx = s;
	cfg.grace_ns = (uint64_t)(s->opt.grace_s * 1e9);
	cfg.flap_window_ns = (uint64_t)(s->opt.flap_window_s * 1e9);
	cfg.flap_count = s->opt.flap_count;
	cfg.res_window_ns = (uint64_t)(s->opt.resource_window_s * 1e9);
	cfg.cpu_busy_pm = (uint32_t)(s->opt.cpu_threshold * 10 + 0.5);
	cfg.mem_used_pm = (uint32_t)(s->opt.memory_threshold * 10 + 0.5);
	cfg.mem_psi_full = (int32_t)(s->opt.memory_pressure * 100 + 0.5);
	cfg.starve_us = (uint64_t)(s->opt.starve_ms * 1000 + 0.5);
	s->corr = correlator_new(&cfg, on_diagnosis, s);
	if (!s->corr || res_sampler_init(&s->res, cfg.cpu_busy_pm, cfg.mem_used_pm, cfg.mem_psi_full)) {
		fprintf(stderr, "aegismon: out of memory\n");
		correlator_free(s->corr);
		free(s);
		return 3;
	}

	start_ns = clock_mono_ns();
	rc = loader_open(&s->loader, s->opt.ringbuf_kib, &s->opt.endpoints, &s->opt.domains,
			 on_ring_event, s, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "aegismon: %s\n", err);
		res_sampler_free(&s->res);
		correlator_free(s->corr);
		free(s);
		return rc;
	}
	/* loading parsed the kernel BTF (megabytes): give that heap back */
	malloc_trim(0);
	fprintf(stderr, "aegismon: %u probes attached in %.1f ms", s->loader.attached,
		(double)s->loader.attach_ns / 1e6);
	if (s->loader.failed)
		fprintf(stderr, "; %u failed to attach: %s", s->loader.failed,
			s->loader.failed_names);
	if (s->env.install.found)
		fprintf(stderr, "; agent root %s", s->env.install.root);
	else
		fprintf(stderr, "; no agent install under %s%s%s", s->env.roots[0],
			s->env.nroots > 1 ? " or " : "", s->env.nroots > 1 ? s->env.roots[1] : "");
	fputc('\n', stderr);

	/* attach first, then scan: a process started in between is seen by both,
	 * and the correlator keys on the pid */
	proc_for_each_pid(seed_one, s);
	feed_marker(s, AEGIS_EV_SEED_DONE);
	sample_resources(s); /* the baseline of the first interval */
	notify_systemd("READY=1");
	write_metrics(s, true);

	rc = run_loop(s, start_ns);
	notify_systemd("STOPPING=1");

	loader_consume(&s->loader);
	feed_marker(s, AEGIS_EV_TICK);
	correlator_flush(s->corr, clock_mono_ns());
	write_metrics(s, true);

	memset(&sum, 0, sizeof(sum));
	sum.start_ns = start_ns;
	sum.end_ns = clock_mono_ns();
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
	else
		sink_text_summary(stderr, &sum, s->color);
	if (s->malformed)
		fprintf(stderr, "aegismon: %llu malformed events ignored\n",
			(unsigned long long)s->malformed);

	for (int i = 0; i < s->nsyslog; i++) {
		if (s->syslog[i].dropped_total)
			fprintf(stderr, "aegismon: syslog %s: %llu messages dropped (receiver down or slow)\n",
				s->syslog[i].url, (unsigned long long)s->syslog[i].dropped_total);
		syslog_close(&s->syslog[i]);
	}
	if (s->json_fd >= 0)
		close(s->json_fd);
	loader_close(&s->loader);
	/* the daemon's job is to run: a diagnosis is not a failure of it */
	rc = rc ? 3 : daemon ? 0 : summary_exit_status(&sum);
	res_sampler_free(&s->res);
	correlator_free(s->corr);
	free(s);
	return rc;
}
