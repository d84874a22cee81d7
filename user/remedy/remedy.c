// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The restart procedure: find, check, stop, start, verify. */
#include "remedy.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "safepath.h"
#include "spawn.h"

#define MAX_PROCS 64
#define KILL_WAIT_MS 2000   /* after SIGKILL */
#define STABLE_MS 300       /* a started process must still run this much later */

struct agent_proc {
	pid_t pid;
	int core;
	enum agent_why why;     /* for an impostor */
	uint64_t dev, ino;      /* its executable, to know it again */
	char comm[16];
	char exe[AGENT_PATH_MAX];
};

struct ctx {
	const struct remedy_opts *o;
	struct remedy_result *r;
	const char *root;
};

static void report(struct ctx *c, const char *step, const char *outcome, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct ctx *c, const char *step, const char *outcome, const char *fmt, ...)
{
	char detail[REMEDY_DETAIL_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (c->o->report)
		c->o->report(c->o->ctx, step, outcome, detail);
}

/* The failure reason (first one wins) and -1. */
static int failed(struct ctx *c, bool fatal, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int failed(struct ctx *c, bool fatal, const char *fmt, ...)
{
	va_list ap;

	if (!c->r->reason[0]) {
		va_start(ap, fmt);
		vsnprintf(c->r->reason, sizeof(c->r->reason), fmt, ap);
		va_end(ap);
	}
	c->r->fatal = c->r->fatal || fatal;
	c->r->ok = false;
	return -1;
}

const char *remedy_sysroot(void)
{
	const char *s = getenv("AEGISMON_SYSROOT");

	return s && s[0] == '/' ? s : "";
}

const char *remedy_method_name(enum remedy_method m)
{
	switch (m) {
	case METHOD_SYSTEMD: return "systemd";
	case METHOD_SYSV: return "sysv";
	case METHOD_DIRECT: return "direct";
	default: return "none";
	}
}

static bool exists(const char *sysroot, const char *path, bool dir)
{
	char full[PATH_MAX];
	struct stat st;

	snprintf(full, sizeof(full), "%s%s", sysroot, path);
	return stat(full, &st) == 0 && (dir ? S_ISDIR(st.st_mode) : !S_ISDIR(st.st_mode));
}

enum remedy_method remedy_pick_method(const char *sysroot, char *prog, size_t len)
{
	static const char *const units[] = { "/etc/systemd/system/aegis.service",
					     "/lib/systemd/system/aegis.service",
					     "/usr/lib/systemd/system/aegis.service" };
	static const char *const ctls[] = { "/usr/bin/systemctl", "/bin/systemctl" };

	if (exists(sysroot, "/run/systemd/system", true)) {
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (!exists(sysroot, units[i], false))
				continue;
			for (size_t j = 0; j < sizeof(ctls) / sizeof(ctls[0]); j++)
				if (exists(sysroot, ctls[j], false)) {
					snprintf(prog, len, "%s%s", sysroot, ctls[j]);
					return METHOD_SYSTEMD;
				}
			snprintf(prog, len, "%s%s", sysroot, ctls[0]); /* checked later */
			return METHOD_SYSTEMD;
		}
	}
	if (exists(sysroot, "/etc/init.d/aegis", false)) {
		snprintf(prog, len, "%s/etc/init.d/aegis", sysroot);
		return METHOD_SYSV;
	}
	prog[0] = '\0';
	return METHOD_DIRECT;
}

/* ---- the agent's processes ---- */

struct scan {
	const struct agent_env *env;
	struct agent_proc procs[MAX_PROCS];
	int n;
	struct agent_proc impostors[8];
	int nimpostors;
};

/* A live (not zombie) process with a core name, judged by what the kernel
 * vouches for (agent_judge): 1 the agent, 0 an impostor (p->why), -1 gone
 * or not a core process. */
static int read_core(const struct agent_env *env, int pid, struct agent_proc *p)
{
	struct agent_facts f;
	struct proc_stat st;

	if (proc_read_stat(pid, &st) || st.state == 'Z' || st.state == 'X')
		return -1;
	p->core = agent_core_of_comm(st.comm);
	if (p->core == CORE_NONE || agent_facts_of_pid(pid, &f))
		return -1;
	p->pid = pid;
	p->dev = f.dev;
	p->ino = f.ino;
	memcpy(p->comm, st.comm, sizeof(p->comm));
	if (proc_read_exe(pid, p->exe, sizeof(p->exe)))
		p->exe[0] = '\0';
	return agent_judge(env, st.comm, &f, &p->why) == IDENT_AGENT;
}

static int scan_one(int pid, void *arg)
{
	struct scan *s = arg;
	struct agent_proc p;
	int rc;

	if (pid == getpid() || (rc = read_core(s->env, pid, &p)) < 0)
		return 0;
	if (rc) {
		if (s->n < MAX_PROCS)
			s->procs[s->n++] = p;
	} else if (s->nimpostors < 8) {
		s->impostors[s->nimpostors++] = p;
	}
	return 0;
}

static int by_core(const void *a, const void *b)
{
	const struct agent_proc *x = a, *y = b;

	return x->core != y->core ? x->core - y->core : x->pid - y->pid;
}

/* AliYunDun first: when its self-protection refuses the signal, nothing
 * else has been stopped yet */
static void scan_agent(const struct agent_env *env, struct scan *s)
{
	memset(s, 0, sizeof(*s));
	s->env = env;
	proc_for_each_pid(scan_one, s);
	qsort(s->procs, (size_t)s->n, sizeof(s->procs[0]), by_core);
}

pid_t remedy_core_running(const struct agent_env *env, int core)
{
	struct scan s;

	scan_agent(env, &s);
	for (int i = 0; i < s.n; i++)
		if (s.procs[i].core == core)
			return s.procs[i].pid;
	return 0;
}

/* ---- stop ---- */

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until every pidfd is readable (the process exited) or the deadline. */
static void wait_exits(int *fds, int n, long long deadline)
{
	for (;;) {
		struct pollfd p[MAX_PROCS];
		int live = 0, rc;
		long long left = deadline - now_ms();

		for (int i = 0; i < n; i++)
			if (fds[i] >= 0) {
				p[live].fd = fds[i];
				p[live].events = POLLIN;
				p[live].revents = 0;
				live++;
			}
		if (!live || left <= 0)
			return;
		rc = poll(p, (nfds_t)live, (int)left);
		if (rc < 0 && errno != EINTR)
			return;
		for (int j = 0; j < live; j++)
			if (p[j].revents)
				for (int i = 0; i < n; i++)
					if (fds[i] == p[j].fd) {
						close(fds[i]);
						fds[i] = -1;
					}
	}
}

static int stop_agent(struct ctx *c, struct scan *s, bool *update_was_running)
{
	const struct remedy_opts *o = c->o;
	int fds[MAX_PROCS], rc = 0;

	for (int i = 0; i < MAX_PROCS; i++)
		fds[i] = -1;

	*update_was_running = false;
	for (int i = 0; i < s->nimpostors; i++)
		report(c, "stop", "skipped", "pid %d (%s, %s) left alone: not the agent (%s)",
		       s->impostors[i].pid, s->impostors[i].comm,
		       s->impostors[i].exe[0] ? s->impostors[i].exe : "(unknown)",
		       agent_why_text(s->impostors[i].why));
	if (s->n == 0) {
		report(c, "stop", "skipped", "no agent process runs under %s", c->root);
		return 0;
	}
	for (int i = 0; i < s->n; i++) {
		struct agent_proc *p = &s->procs[i], again;

		fds[i] = -1;
		if (p->core == CORE_UPDATE)
			*update_was_running = true;
		if (o->dry_run) {
			report(c, "stop", "would", "send SIGTERM to pid %d (%s, %s), SIGKILL after %u ms if it still runs",
			       p->pid, p->comm, p->exe, o->timeout_ms);
			continue;
		}
		fds[i] = pidfd_open_(p->pid);
		if (fds[i] < 0) {
			report(c, "stop", "skipped", "pid %d (%s) already gone", p->pid, p->comm);
			continue;
		}
		/* the pidfd pins the process: check it is still the one we scanned */
		if (read_core(c->o->env, p->pid, &again) != 1 || again.dev != p->dev || again.ino != p->ino) {
			report(c, "stop", "skipped", "pid %d is no longer %s", p->pid, p->comm);
			close(fds[i]);
			fds[i] = -1;
			continue;
		}
		if (pidfd_signal(fds[i], SIGTERM)) {
			int e = errno;

			close(fds[i]);
			fds[i] = -1;
			if (e == ESRCH)
				continue;
			report(c, "stop", "refused", "SIGTERM to pid %d (%s): %s%s", p->pid, p->comm,
			       strerror(e), e == EPERM ? " (the agent's self-protection, or an LSM)" : "");
			rc = failed(c, e == EPERM, "cannot stop pid %d (%s): %s%s", p->pid, p->comm,
				    strerror(e), e == EPERM ? ": turn off the agent's self-protection in the console" : "");
			/* reported once, not retried; the rest is left running */
			for (int k = i + 1; k < s->n; k++)
				fds[k] = -1;
			break;
		}
		report(c, "stop", "ok", "SIGTERM sent to pid %d (%s, %s)", p->pid, p->comm, p->exe);
		c->r->stopped++;
	}
	if (o->dry_run)
		return 0;
	wait_exits(fds, s->n, now_ms() + o->timeout_ms);
	for (int i = 0; i < s->n; i++) {
		if (fds[i] < 0)
			continue;
		if (pidfd_signal(fds[i], SIGKILL)) {
			int e = errno;

			report(c, "stop", "refused", "SIGKILL to pid %d (%s): %s", s->procs[i].pid,
			       s->procs[i].comm, strerror(e));
			rc = failed(c, e == EPERM, "cannot kill pid %d (%s): %s", s->procs[i].pid,
				    s->procs[i].comm, strerror(e));
			close(fds[i]);
			fds[i] = -1;
			continue;
		}
		report(c, "stop", "ok", "pid %d (%s) still ran after %u ms: SIGKILL sent", s->procs[i].pid,
		       s->procs[i].comm, o->timeout_ms);
	}
	wait_exits(fds, s->n, now_ms() + KILL_WAIT_MS);
	for (int i = 0; i < s->n; i++)
		if (fds[i] >= 0) {
			rc = failed(c, false, "pid %d (%s) did not exit", s->procs[i].pid, s->procs[i].comm);
			report(c, "stop", "failed", "pid %d (%s) did not exit after SIGKILL", s->procs[i].pid,
			       s->procs[i].comm);
			close(fds[i]);
		}
	return rc;
}

/* ---- start ---- */

static int start_direct(struct ctx *c, const char *bin, const char *cwd, const char *name)
{
	char *const argv[] = { (char *)bin, NULL };
	char why[512];
	pid_t pid;

	if (c->o->dry_run) {
		report(c, "start", "would", "run %s detached (double fork, setsid), argv [\"%s\"], cwd %s, "
		       "environment %s, stdio /dev/null", bin, bin, cwd, SPAWN_PATH);
		return 0;
	}
	pid = spawn_detached(bin, argv, cwd, why, sizeof(why));
	if (pid < 0) {
		report(c, "start", "failed", "%s: %s", name, why);
		return failed(c, false, "cannot start %s: %s", name, why);
	}
	report(c, "start", "ok", "%s started as pid %d (argv [\"%s\"], cwd %s)", name, (int)pid, bin, cwd);
	return 0;
}

static int start_service(struct ctx *c, const char *prog, char *const argv[])
{
	char line[1024], why[512];
	int st;

	spawn_argv_str(argv, line, sizeof(line));
	if (c->o->dry_run) {
		report(c, "start", "would", "run %s (argv: %s), environment %s", prog, line, SPAWN_PATH);
		return 0;
	}
	st = spawn_wait(prog, argv, c->o->timeout_ms, why, sizeof(why));
	if (st < 0) {
		report(c, "start", "failed", "%s: %s", line, why);
		return failed(c, false, "%s: %s", line, why);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		report(c, "start", "failed", "%s: %s %d", line, WIFEXITED(st) ? "exit status" : "killed by signal",
		       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return failed(c, false, "%s failed (%s %d)", line,
			      WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	report(c, "start", "ok", "%s: exit status 0", line);
	return 0;
}

/* ---- verify ---- */

static bool was_stopped(const struct scan *before, pid_t pid)
{
	for (int i = 0; i < before->n; i++)
		if (before->procs[i].pid == pid)
			return true;
	return false;
}

/* Find a new instance of each wanted core; 0 when all were found. */
static int find_new(struct ctx *c, const struct scan *before, unsigned want, pid_t *pids)
{
	struct scan now;
	unsigned found = 0;

	scan_agent(c->o->env, &now);
	for (int i = 0; i < now.n; i++) {
		int core = now.procs[i].core;

		if ((want & (1u << core)) && !(found & (1u << core)) && !was_stopped(before, now.procs[i].pid)) {
			found |= 1u << core;
			pids[core] = now.procs[i].pid;
		}
	}
	return found == want ? 0 : -1;
}

static bool alive(const struct ctx *c, pid_t pid)
{
	struct agent_proc p;

	return read_core(c->o->env, pid, &p) == 1;
}

static int verify(struct ctx *c, const struct scan *before, unsigned want)
{
	long long deadline = now_ms() + c->o->timeout_ms;
	struct timespec tick = { 0, 100 * 1000000L }, stable = { 0, STABLE_MS * 1000000L };
	pid_t pids[CORE_COUNT];

	if (c->o->dry_run) {
		report(c, "verify", "would", "wait up to %u ms for %s%s to run from inside %s", c->o->timeout_ms,
		       "AliYunDun", want & (1u << CORE_UPDATE) ? " and AliYunDunUpdate" : "", c->root);
		return 0;
	}
	for (;;) {
		memset(pids, 0, sizeof(pids));
		if (find_new(c, before, want, pids) == 0)
			break;
		if (now_ms() >= deadline) {
			report(c, "verify", "failed", "AliYunDun%s not running from inside %s after %u ms",
			       want & (1u << CORE_UPDATE) ? " or AliYunDunUpdate" : "", c->root, c->o->timeout_ms);
			return failed(c, false, "the agent did not come up within %u ms", c->o->timeout_ms);
		}
		nanosleep(&tick, NULL);
	}
	/* a start that dies at once is no restart */
	nanosleep(&stable, NULL);
	for (int i = 0; i < CORE_COUNT; i++)
		if (pids[i] && !alive(c, pids[i])) {
			report(c, "verify", "failed", "%s (pid %d) exited within %d ms of its start",
			       agent_core_name(i), (int)pids[i], STABLE_MS);
			return failed(c, false, "%s exited right after its start", agent_core_name(i));
		}
	memcpy(c->r->pids, pids, sizeof(pids));
	for (int i = 0; i < CORE_COUNT; i++)
		if (pids[i])
			report(c, "verify", "ok", "%s runs as pid %d from inside %s", agent_core_name(i), (int)pids[i],
			       c->root);
	return 0;
}

/* ---- the procedure ---- */

int remedy_restart(const struct remedy_opts *o, struct remedy_result *r)
{
	const struct agent_install *inst = &o->env->install;
	struct ctx c = { .o = o, .r = r };
	char bin[AGENT_PATH_MAX + 32], resolved[PATH_MAX], prog[PATH_MAX], why[1024];
	char upd[AGENT_PATH_MAX + 64];
	bool update_was_running = false, start_update = false;
	unsigned want = 1u << CORE_ALIYUNDUN;
	struct scan before;

	memset(r, 0, sizeof(*r));
	if (!inst->found || inst->major < 0) {
		report(&c, "find", "failed", "no aegis_client/aegis_<major>_<minor> under %s%s%s",
		       o->env->nroots ? o->env->roots[0] : "?", o->env->nroots > 1 ? " or " : "",
		       o->env->nroots > 1 ? o->env->roots[1] : "");
		r->fatal = true;
		snprintf(r->reason, sizeof(r->reason), "the agent is not installed (no version directory): "
			 "reinstall it from the Security Center console");
		return -1;
	}
	c.root = inst->root;
	report(&c, "find", "ok", "agent root %s, highest version aegis_%d_%d (%s)", inst->root, inst->major,
	       inst->minor, inst->client_dir);

	snprintf(bin, sizeof(bin), "%s/AliYunDun", inst->client_dir);
	if (safepath_check_exec(bin, inst->root, resolved, sizeof(resolved), why, sizeof(why))) {
		report(&c, "check", "refused", "%s", why);
		failed(&c, true, "unsafe agent binary: %s", why);
		return -1;
	}
	report(&c, "check", "ok", "%s: regular file, owned by root, not group/world-writable, inside %s",
	       resolved, inst->root);

	r->method = remedy_pick_method(o->sysroot ? o->sysroot : "", prog, sizeof(prog));
	if (r->method != METHOD_DIRECT) {
		if (safepath_check_exec(prog, NULL, NULL, 0, why, sizeof(why))) {
			report(&c, "check", "refused", "%s", why);
			failed(&c, true, "unsafe service program: %s", why);
			return -1;
		}
		report(&c, "method", "ok", "%s: %s", remedy_method_name(r->method), prog);
	} else {
		report(&c, "method", "ok", "direct: no aegis.service under systemd and no /etc/init.d/aegis%s%s",
		       o->sysroot && o->sysroot[0] ? " in " : "", o->sysroot ? o->sysroot : "");
	}

	scan_agent(o->env, &before);
	if (stop_agent(&c, &before, &update_was_running))
		return -1;

	switch (r->method) {
	case METHOD_SYSTEMD: {
		char *const argv[] = { prog, (char *)"restart", (char *)"aegis", NULL };

		if (start_service(&c, prog, argv))
			return -1;
		break;
	}
	case METHOD_SYSV: {
		char *const argv[] = { prog, (char *)"restart", NULL };

		if (start_service(&c, prog, argv))
			return -1;
		break;
	}
	case METHOD_NONE:
	case METHOD_DIRECT:
		/* the official restart runs AliYunDun; the updater (the service's
		 * bootstrap, a core process too) comes back when it is installed */
		snprintf(upd, sizeof(upd), "%s/aegis_update/AliYunDunUpdate", inst->root);
		if (update_was_running || (inst->present_mask & (1u << CORE_UPDATE))) {
			if (safepath_check_exec(upd, inst->root, NULL, 0, why, sizeof(why))) {
				report(&c, "check", "refused", "%s", why);
				failed(&c, true, "unsafe updater binary: %s", why);
				return -1;
			}
			start_update = true;
		}
		if (start_direct(&c, resolved, inst->client_dir, "AliYunDun"))
			return -1;
		if (start_update) {
			char dir[AGENT_PATH_MAX + 32];

			snprintf(dir, sizeof(dir), "%s/aegis_update", inst->root);
			if (start_direct(&c, upd, dir, "AliYunDunUpdate"))
				return -1;
			want |= 1u << CORE_UPDATE;
		}
		break;
	}
	if (verify(&c, &before, want))
		return -1;
	r->ok = true;
	return 0;
}
