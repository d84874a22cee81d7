// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The daemon's remediation engine: policy, restart child, hook child. */
#include "remediate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hook.h"
#include "remedy.h"
#include "safepath.h"
#include "sink.h"
#include "stderrlog.h"

#define NSEC 1000000000ULL
#define HOOK_QUEUE 8
#define OWN_PIDS 8          /* recent restart children: their signals are ours */
#define LINE_BUF 16384

struct queued_hook {
	char *json;
	enum cause cause;
	unsigned pid;
	char comm[16];
	char summary[DIAG_SUMMARY_LEN];
};

struct remediator {
	struct remediate_config cfg;
	remediate_action_fn act;
	remediate_diag_fn diag;
	void *ctx;
	int epfd;
	struct policy_state pol;
	/* the restart: scheduled, then a child */
	bool scheduled;
	uint64_t due_ns;
	enum cause trigger;
	char trigger_process[32];
	uint32_t trigger_pid;
	pid_t child;
	uint64_t child_deadline_ns;   /* the procedure is bounded; this is the backstop */
	int child_pidfd, child_out;
	char lines[LINE_BUF];
	size_t nlines;
	bool got_result, result_ok, result_fatal;
	char result_reason[REMEDY_DETAIL_LEN];
	pid_t own[OWN_PIDS];
	unsigned nown;
	enum cause last_death;
	/* the hook */
	struct hook_run hook;
	uint64_t hook_deadline_ns;
	enum cause hook_cause;
	struct queued_hook queue[HOOK_QUEUE];
	unsigned qhead, qlen;
	char json[32768];
	struct diagnosis escalation;
};

static void emit(struct remediator *r, const struct action *a)
{
	r->act(r->ctx, a);
}

static void watch(struct remediator *r, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (fd >= 0)
		epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void unwatch(struct remediator *r, int fd)
{
	if (fd >= 0)
		epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* Say at start that the hook would be refused, not only at the first diagnosis
 * (it is checked again before every run: it may be fixed meanwhile). */
static void check_hook_now(struct remediator *r)
{
	char dir[PATH_MAX], why[1024], *slash;

	snprintf(dir, sizeof(dir), "%s", r->cfg.hook);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	if (safepath_check_exec(r->cfg.hook, dir, NULL, 0, why, sizeof(why)) == 0)
		return;
	stderr_say(LOG_WARNING, "aegismon: the remediation hook will be refused: %s\n", why);
	{
		struct action a = action_init(clock_event_ns(), "hook", "refused");

		a.detail = why;
		emit(r, &a);
	}
}

struct remediator *remediator_new(const struct remediate_config *cfg, remediate_action_fn act,
				  remediate_diag_fn diag, void *ctx)
{
	struct remediator *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cfg = *cfg;
	r->act = act;
	r->diag = diag;
	r->ctx = ctx;
	r->child_pidfd = r->child_out = -1;
	r->hook.pidfd = r->hook.out_fd = -1;
	r->last_death = -1;
	policy_init(&r->pol);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		free(r);
		return NULL;
	}
	if (r->cfg.hook && r->cfg.policy.mode != REM_OFF)
		check_hook_now(r);
	return r;
}

void remediator_reconfigure(struct remediator *r, const struct remediate_config *cfg)
{
	/* the budget spent, a restart under way and queued hooks stay */
	r->cfg = *cfg;
	if (r->cfg.hook && r->cfg.policy.mode != REM_OFF)
		check_hook_now(r);
}

int remediator_fd(const struct remediator *r)
{
	return r->epfd;
}

/* ---- hook ---- */

static void hook_report(struct remediator *r, uint64_t now_ns, int st)
{
	struct action a = action_init(now_ns, "hook", "ok");
	char detail[512];

	a.cause = (int)r->hook_cause;
	a.output = r->hook.out;
	if (r->hook.killed) {
		a.outcome = "timeout";
		snprintf(detail, sizeof(detail), "%s killed after %.1f s (--hook-timeout)", r->cfg.hook,
			 (double)r->cfg.hook_timeout_ns / NSEC);
	} else if (st >= 0 && WIFEXITED(st)) {
		a.exit_code = WEXITSTATUS(st);
		a.outcome = a.exit_code ? "failed" : "ok";
		snprintf(detail, sizeof(detail), "%s exited with status %d%s", r->cfg.hook, a.exit_code,
			 r->hook.truncated ? " (output cut)" : "");
	} else if (st >= 0 && WIFSIGNALED(st)) {
		a.signal = WTERMSIG(st);
		a.outcome = "failed";
		snprintf(detail, sizeof(detail), "%s killed by signal %d", r->cfg.hook, a.signal);
	} else {
		a.outcome = "failed";
		snprintf(detail, sizeof(detail), "%s: lost track of it", r->cfg.hook);
	}
	a.detail = detail;
	emit(r, &a);
}

static void hook_next(struct remediator *r, uint64_t now_ns)
{
	while (r->hook.pid == 0 && r->qlen) {
		struct queued_hook *q = &r->queue[r->qhead];
		struct hook_env env = { cause_code(q->cause), severity_name(cause_severity(q->cause)), q->pid,
					q->comm, q->summary };
		char why[1024];

		r->qhead = (r->qhead + 1) % HOOK_QUEUE;
		r->qlen--;
		if (!q->json) /* out of memory when it was queued */
			continue;
		r->hook_cause = q->cause;
		if (hook_start(r->cfg.hook, q->json, &env, &r->hook, why, sizeof(why))) {
			struct action a = action_init(now_ns, "hook", "refused");

			a.cause = (int)q->cause;
			a.detail = why;
			emit(r, &a);
		} else {
			struct action a = action_init(now_ns, "hook", "started");
			char detail[512];

			snprintf(detail, sizeof(detail), "%s started as pid %d", r->cfg.hook, (int)r->hook.pid);
			a.cause = (int)q->cause;
			a.detail = detail;
			emit(r, &a);
			r->hook_deadline_ns = now_ns + r->cfg.hook_timeout_ns;
			watch(r, r->hook.pidfd);
			watch(r, r->hook.out_fd);
		}
		free(q->json);
		q->json = NULL;
	}
}

static void hook_done(struct remediator *r, uint64_t now_ns, bool kill_it)
{
	int st;

	unwatch(r, r->hook.pidfd);
	unwatch(r, r->hook.out_fd);
	st = kill_it ? hook_kill(&r->hook) : hook_finish(&r->hook);
	hook_report(r, now_ns, st);
	hook_next(r, now_ns);
}

static void fill_queued(struct queued_hook *q, const struct diagnosis *d)
{
	q->cause = d->cause;
	q->pid = d->pid;
	memcpy(q->comm, d->comm, sizeof(q->comm));
	q->comm[sizeof(q->comm) - 1] = '\0';
	snprintf(q->summary, sizeof(q->summary), "%s", d->summary);
}

/* The newest queued diagnosis less severe than cause, or NULL. */
static struct queued_hook *less_severe_queued(struct remediator *r, enum cause cause)
{
	struct queued_hook *best = NULL;

	for (unsigned i = 0; i < r->qlen; i++) {
		struct queued_hook *q = &r->queue[(r->qhead + i) % HOOK_QUEUE];

		if (cause_severity(q->cause) < cause_severity(cause) &&
		    (!best || cause_severity(q->cause) <= cause_severity(best->cause)))
			best = q;
	}
	return best;
}

static void queue_hook(struct remediator *r, const struct diagnosis *d, uint64_t now_ns)
{
	struct queued_hook *q;
	struct jw w;

	if (!r->cfg.hook || r->cfg.policy.mode == REM_OFF)
		return;
	if (r->qlen == HOOK_QUEUE) {
		struct action a = action_init(now_ns, "hook", "dropped");
		struct queued_hook *victim = less_severe_queued(r, d->cause);

		if (!victim) {
			a.cause = (int)d->cause;
			a.detail = "the hook is busy and 8 diagnoses as severe already wait for it: "
				   "this one is not given to it";
			emit(r, &a);
			return;
		}
		/* a flood of warnings (impostors) never crowds out a critical
		 * cause: the newest less severe one waiting gives way */
		a.cause = (int)victim->cause;
		a.detail = "the hook is busy and 8 diagnoses wait for it: this one gave way to a more severe one";
		emit(r, &a);
		free(victim->json);
		victim->json = NULL;
		json_diagnosis(&w, r->json, sizeof(r->json), r->cfg.clock, d);
		victim->json = strdup(w.overflow ? "{\"kind\":\"error\",\"schema\":1,\"error\":\"diagnosis too long\"}" : jw_result(&w));
		fill_queued(victim, d);
		return;
	}
	json_diagnosis(&w, r->json, sizeof(r->json), r->cfg.clock, d);
	q = &r->queue[(r->qhead + r->qlen) % HOOK_QUEUE];
	q->json = strdup(w.overflow ? "{\"kind\":\"error\",\"schema\":1,\"error\":\"diagnosis too long\"}" : jw_result(&w));
	if (!q->json)
		return;
	fill_queued(q, d);
	r->qlen++;
	hook_next(r, now_ns);
}

/* ---- escalation ---- */

static void escalate(struct remediator *r, uint64_t now_ns, const char *why)
{
	struct diagnosis *d = &r->escalation;
	struct action a = action_init(now_ns, "escalate", "failed");
	unsigned n = policy_restarts_in_window(&r->pol, &r->cfg.policy, now_ns);

	memset(d, 0, sizeof(*d));
	d->cause = CAUSE_REMEDIATION_FAILED;
	d->primary = true;
	d->explained_by = -1;
	d->ts_ns = d->first_ns = d->last_ns = now_ns;
	d->count = 1;
	d->exit_status = -1;
	d->rcode = -1;
	snprintf(d->process, sizeof(d->process), "%s", r->trigger_process[0] ? r->trigger_process : "agent");
	snprintf(d->summary, sizeof(d->summary),
		 "automatic restarts of the agent stopped: %s (%u restart%s within %.0f s, last cause %s)", why, n,
		 n == 1 ? "" : "s", (double)r->cfg.policy.window_ns / NSEC,
		 r->last_death >= 0 ? cause_code(r->last_death) : "unknown");
	a.cause = (int)r->trigger;
	a.detail = d->summary;
	a.mode = remediation_mode_name(r->cfg.policy.mode);
	emit(r, &a);
	r->diag(r->ctx, d);
	queue_hook(r, d, now_ns);
}

/* ---- restart ---- */

static void child_report(void *ctx, const char *step, const char *outcome, const char *detail)
{
	int fd = *(int *)ctx;
	char line[REMEDY_DETAIL_LEN + 64];
	int n = snprintf(line, sizeof(line), "S\t%s\t%s\t%s\n", step, outcome, detail);
	ssize_t w;

	for (char *p = line + 2; p < line + n - 1; p++)
		if (*p == '\n')
			*p = ' ';
	w = write(fd, line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
	(void)w;
}

static void start_restart(struct remediator *r, uint64_t now_ns)
{
	struct action a = action_init(now_ns, "restart", "started");
	char detail[256];
	int out[2];
	pid_t pid;

	r->scheduled = false;
	/* back by itself (its service, its updater, an SRE's 'aegismon restart'):
	 * a restart now would only kill a healthy agent */
	if (r->cfg.env->install.found) {
		int core = -1;
		pid_t running;

		for (int i = 0; i < CORE_COUNT; i++)
			if (!strcmp(r->trigger_process, agent_core_name(i)))
				core = i;
		running = core >= 0 ? remedy_core_running(r->cfg.env, core) : 0;
		if (running) {
			snprintf(detail, sizeof(detail), "%s runs again (pid %d) without us: no restart needed",
				 r->trigger_process, (int)running);
			a.outcome = "skipped";
			a.cause = (int)r->trigger;
			a.process = r->trigger_process;
			a.pid = r->trigger_pid;
			a.detail = detail;
			emit(r, &a);
			policy_restart_cancel(&r->pol);
			return;
		}
	}
	if (pipe2(out, O_CLOEXEC)) {
		snprintf(detail, sizeof(detail), "pipe: %s", strerror(errno));
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(detail, sizeof(detail), "fork: %s", strerror(errno));
		close(out[0]);
		close(out[1]);
		goto fail;
	}
	if (pid == 0) {
		/* our own copy: look for the install again, an update may have
		 * added a higher version directory since the daemon started */
		static struct agent_env env;
		struct remedy_opts o = { .env = &env, .timeout_ms = r->cfg.restart_timeout_ms,
					 .sysroot = r->cfg.sysroot, .report = child_report, .ctx = &out[1] };
		struct remedy_result res;

		env = *r->cfg.env;
		agent_scan_install(&env);
		char line[REMEDY_DETAIL_LEN + 32];
		int n, rc;
		ssize_t w;

		close(out[0]);
		rc = remedy_restart(&o, &res);
		n = snprintf(line, sizeof(line), "R\t%d\t%d\t%s\n", rc == 0, res.fatal, res.reason);
		w = write(out[1], line, (size_t)(n < (int)sizeof(line) ? n : (int)sizeof(line) - 1));
		(void)w;
		_exit(rc ? 1 : 0);
	}
	close(out[1]);
	r->child = pid;
	r->child_deadline_ns = now_ns + 4ULL * r->cfg.restart_timeout_ms * 1000000ULL + 5 * NSEC;
	r->child_out = out[0];
	fcntl(r->child_out, F_SETFL, O_NONBLOCK);
	r->child_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	r->nlines = 0;
	r->got_result = false;
	r->own[r->nown++ % OWN_PIDS] = pid;
	watch(r, r->child_pidfd);
	watch(r, r->child_out);
	snprintf(detail, sizeof(detail), "restart of the agent running in child pid %d", (int)pid);
	a.cause = (int)r->trigger;
	a.process = r->trigger_process;
	a.pid = r->trigger_pid;
	a.detail = detail;
	emit(r, &a);
	return;
fail:
	a.outcome = "failed";
	a.detail = detail;
	emit(r, &a);
	policy_restart_done(&r->pol, &r->cfg.policy, false, false, now_ns);
}

/* One line from the child: a step, or the result. */
static void child_line(struct remediator *r, char *line, uint64_t now_ns)
{
	char *f[4] = { 0 };
	int n = 0;

	for (char *p = line; n < 4; n++) {
		f[n] = p;
		p = n < 3 ? strchr(p, '\t') : NULL;
		if (!p)
			break;
		*p++ = '\0';
	}
	if (line[0] == 'S' && f[3]) {
		struct action a = action_init(now_ns, "restart", f[2]);

		a.step = f[1];
		a.detail = f[3];
		a.cause = (int)r->trigger;
		emit(r, &a);
	} else if (line[0] == 'R' && f[3]) {
		r->got_result = true;
		r->result_ok = f[1][0] == '1';
		r->result_fatal = f[2][0] == '1';
		snprintf(r->result_reason, sizeof(r->result_reason), "%s", f[3]);
	}
}

/* Read the child's report lines; true at EOF (the child is exiting). */
static bool child_read(struct remediator *r, uint64_t now_ns)
{
	ssize_t n = -1;

	while (r->child_out >= 0 &&
	       (n = read(r->child_out, r->lines + r->nlines, sizeof(r->lines) - 1 - r->nlines)) > 0) {
		char *start = r->lines, *nl;

		r->nlines += (size_t)n;
		r->lines[r->nlines] = '\0';
		while ((nl = memchr(start, '\n', r->nlines - (size_t)(start - r->lines)))) {
			*nl = '\0';
			child_line(r, start, now_ns);
			start = nl + 1;
		}
		r->nlines -= (size_t)(start - r->lines);
		memmove(r->lines, start, r->nlines);
		if (r->nlines == sizeof(r->lines) - 1)
			r->nlines = 0; /* a line too long: drop it */
	}
	return n == 0;
}

static void child_done(struct remediator *r, uint64_t now_ns)
{
	struct action a = action_init(now_ns, "restart", "ok");
	struct policy_decision pd;
	int st = 0;

	child_read(r, now_ns);
	unwatch(r, r->child_pidfd);
	unwatch(r, r->child_out);
	close(r->child_out);
	close(r->child_pidfd);
	r->child_out = r->child_pidfd = -1;
	while (waitpid(r->child, &st, 0) < 0 && errno == EINTR)
		;
	r->child = 0;
	if (!r->got_result)
		snprintf(r->result_reason, sizeof(r->result_reason), "the restart child died (status 0x%x)", st);
	/* a death while the child finished was coalesced into this restart:
	 * look again before calling it a success */
	if (r->got_result && r->result_ok && r->cfg.env->install.found &&
	    !remedy_core_running(r->cfg.env, CORE_ALIYUNDUN)) {
		r->result_ok = false;
		snprintf(r->result_reason, sizeof(r->result_reason),
			 "AliYunDun died again right after the restart");
	}
	a.cause = (int)r->trigger;
	a.process = r->trigger_process;
	a.pid = r->trigger_pid;
	if (r->got_result && r->result_ok) {
		a.detail = "the agent was restarted and runs again";
	} else {
		a.outcome = "failed";
		a.detail = r->result_reason;
	}
	emit(r, &a);
	pd = policy_restart_done(&r->pol, &r->cfg.policy, r->got_result && r->result_ok,
				 r->got_result && r->result_fatal, now_ns);
	if (pd.action == POL_ESCALATE) {
		escalate(r, now_ns, r->result_fatal ? r->result_reason : pd.reason);
	} else if (pd.action == POL_RESTART) {
		struct action s = action_init(now_ns, "restart", "scheduled");

		r->scheduled = true;
		r->due_ns = pd.at_ns;
		s.cause = (int)r->trigger;
		s.delay_ms = (int64_t)(pd.delay_ns / 1000000);
		s.detail = pd.reason;
		emit(r, &s);
	}
}

static bool own_pid(const struct remediator *r, uint32_t pid)
{
	for (unsigned k = 0; k < OWN_PIDS && k < r->nown; k++)
		if (r->own[k] && pid == (uint32_t)r->own[k])
			return true;
	return false;
}

/* Did one of our restart children (or a service script it ran) send the
 * signal in this diagnosis? Then it is our restart, not a new death. */
static bool our_doing(const struct remediator *r, const struct diagnosis *d)
{
	for (unsigned i = 0; i < d->n_evidence; i++) {
		const struct aegis_signal *sg = &d->evidence[i].signal;

		if (d->evidence[i].hdr.type != AEGIS_EV_SIGNAL)
			continue;
		if (own_pid(r, sg->sender_tgid))
			return true;
		for (unsigned c = 0; c < sg->chain_len && c < AEGIS_CHAIN_LEN; c++)
			if (own_pid(r, sg->chain[c].pid))
				return true;
	}
	return false;
}

static bool core_subject(const struct diagnosis *d)
{
	return !strcmp(d->process, "agent") || !strcmp(d->process, "AliYunDun") ||
	       !strcmp(d->process, "AliYunDunMonitor") || !strcmp(d->process, "AliYunDunUpdate");
}

void remediator_on_diagnosis(struct remediator *r, const struct diagnosis *d, uint64_t now_ns)
{
	const struct policy_config *pc = &r->cfg.policy;
	struct policy_decision pd;
	struct action a = action_init(now_ns, "restart", "skipped");
	char detail[DIAG_SUMMARY_LEN + 128];

	queue_hook(r, d, now_ns);
	if (d->cause == CAUSE_REMEDIATION_FAILED)
		return;
	if (policy_cause_restartable(d->cause) && core_subject(d))
		r->last_death = d->cause;
	a.cause = (int)d->cause;
	a.process = d->process;
	a.pid = d->pid;
	a.mode = remediation_mode_name(pc->mode);
	if (pc->mode == REM_RESTART && our_doing(r, d)) {
		a.detail = "stopped by aegismon's own restart";
		emit(r, &a);
		return;
	}
	/* a process whose exec was never seen may be anyone's: a user who
	 * filled the event buffer must not get the agent restarted */
	if (pc->mode == REM_RESTART && d->unverified && policy_cause_restartable(d->cause)) {
		a.outcome = "refused";
		a.detail = "the process was not verified as the agent (its start was not seen: events "
			   "were lost): no restart on its word";
		emit(r, &a);
		return;
	}
	pd = policy_on_diagnosis(&r->pol, pc, d->cause, core_subject(d), now_ns);
	switch (pd.action) {
	case POL_NONE:
		if (pc->mode == REM_RESTART && cause_severity(d->cause) != SEV_INFO) {
			a.detail = pd.reason;
			emit(r, &a);
		}
		return;
	case POL_ADVISE:
		if (pc->mode == REM_RESTART) {
			a.outcome = "refused";
		} else {
			a.action = "advise";
			a.outcome = "advised";
		}
		snprintf(detail, sizeof(detail), "%s", pd.reason);
		a.detail = detail;
		a.advice = cause_advice(d->cause);
		emit(r, &a);
		return;
	case POL_ESCALATE:
		snprintf(r->trigger_process, sizeof(r->trigger_process), "%s", d->process);
		r->trigger = d->cause;
		escalate(r, now_ns, pd.reason);
		return;
	case POL_RESTART:
		r->scheduled = true;
		r->due_ns = pd.at_ns;
		r->trigger = d->cause;
		r->trigger_pid = d->pid;
		snprintf(r->trigger_process, sizeof(r->trigger_process), "%s", d->process);
		a.outcome = "scheduled";
		a.delay_ms = (int64_t)(pd.delay_ns / 1000000);
		snprintf(detail, sizeof(detail), "restart in %.1f s (%u of %u in the window): %s",
			 (double)pd.delay_ns / NSEC, policy_restarts_in_window(&r->pol, pc, now_ns) + 1,
			 pc->restart_max, pd.reason);
		a.detail = detail;
		emit(r, &a);
		return;
	}
}

void remediator_dispatch(struct remediator *r, uint64_t now_ns)
{
	struct epoll_event evs[4];
	int n = epoll_wait(r->epfd, evs, 4, 0);

	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;

		if (fd == r->child_out && r->child) {
			/* without a pidfd (kernel < 5.3) the pipe's EOF says it ends */
			if (child_read(r, now_ns) && r->child_pidfd < 0)
				child_done(r, now_ns);
		}
		else if (fd == r->child_pidfd && r->child)
			child_done(r, now_ns);
		else if (fd == r->hook.out_fd && r->hook.pid)
			hook_read_output(&r->hook);
		else if (fd == r->hook.pidfd && r->hook.pid)
			hook_done(r, now_ns, false);
	}
}

void remediator_tick(struct remediator *r, uint64_t now_ns)
{
	if (r->child && now_ns >= r->child_deadline_ns) {
		/* stuck (a service command that ignores its own timeout): stop it;
		 * child_done reports the failure */
		if (r->child_pidfd >= 0)
			syscall(SYS_pidfd_send_signal, r->child_pidfd, SIGKILL, NULL, 0);
		else
			kill(r->child, SIGKILL);
		r->child_deadline_ns = UINT64_MAX;
		if (r->child_pidfd < 0)
			child_done(r, now_ns);
	}
	if (r->hook.pid && now_ns >= r->hook_deadline_ns)
		hook_done(r, now_ns, true);
	if (r->scheduled && !r->child && now_ns >= r->due_ns)
		start_restart(r, now_ns);
}

void remediator_free(struct remediator *r)
{
	if (!r)
		return;
	if (r->hook.pid)
		hook_kill(&r->hook); /* a hook does not outlive us */
	/* a restart under way is left to finish: killing it could leave the agent stopped */
	if (r->child_out >= 0)
		close(r->child_out);
	if (r->child_pidfd >= 0)
		close(r->child_pidfd);
	for (unsigned i = 0; i < HOOK_QUEUE; i++)
		free(r->queue[i].json);
	close(r->epfd);
	free(r);
}
