// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The event path of trace and run: each event judged, enriched and fed to the correlator.
 * Kernel records, the seed scan of /proc and the ticks; who exec'd is judged, an
 * OOM victim's memory cgroup read; the network, refused-connect and scheduler
 * probes are attached while the agent needs them. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "procfs.h"
#include "refusal.h"
#include "sink.h"
#include "trace_int.h"
#include "stderrlog.h"

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
void scope_said(struct session *s, int changed)
{
	char where[320];

	if (changed != 1 || !s->started)
		return;
	netscope_describe(&s->loader.scope, where, sizeof(where));
	status_clear(s);
	stderr_say(LOG_INFO, "aegismon: network scope: %s\n", where);
}

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

/* An agent process: its cgroup gets the network programs (agent scope). */
static void follow_agent(struct session *s, int pid)
{
	int rc = loader_follow_agent(&s->loader, pid);

	note_memcg(s, pid);
	if (rc < 0 && rc != -ENOENT && rc != -ESRCH && !s->scope_complained) {
		status_clear(s);
		stderr_say(LOG_WARNING, "aegismon: cannot put the network probes on the cgroup of pid %d "
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
			stderr_say(LOG_WARNING, "aegismon: cannot attach the network probes: %s\n", strerror(-rc));
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
	stderr_say(LOG_INFO, "aegismon: network probes attached: the agent uses the network (%.1f ms)\n",
		(double)(done - now) / 1e6);
}

void net_probes_tick(struct session *s)
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
	stderr_say(LOG_INFO, "aegismon: network probes detached: no agent network activity for %g s\n",
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
void unhooked_tick(struct session *s)
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
			stderr_say(LOG_WARNING, "aegismon: cannot attach the refused-connect probe: %s\n", strerror(-rc));
			s->unhooked_next_ns = now + 10 * NSEC;
			return;
		}
		s->unhooked_armed = true;
		stderr_say(LOG_INFO, "aegismon: refused-connect probe attached: agent process %u is confined "
				"(seccomp or an LSM label)\n", pid);
		return;
	}
	if (s->unhooked_armed && now - s->unhooked_seen_ns >= 10 * NSEC) {
		loader_unhooked_arm(&s->loader, false);
		s->unhooked_armed = false;
		stderr_say(LOG_INFO, "aegismon: refused-connect probe detached: no agent process is confined\n");
	}
}

/* A watched TCP connect that never sent its SYN (agent scope): it failed at
 * the route lookup, as tcp_destroy_sock says in the host scope. */
void presyn_failed(void *ctx, const struct pending_connect *pc)
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

int on_ring_event(void *ctx, void *data, size_t size)
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

int seed_one(int pid, void *ctx)
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

void feed_marker(struct session *s, unsigned type)
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

/* Once a second (every fourth tick): the AEGIS_EV_RESOURCES sample. */
void sample_resources(struct session *s)
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
			stderr_say(LOG_INFO, "aegismon: scheduler probes attached: the agent's threads wait "
				"%.1f ms on average to run\n", (double)s->res.last_mean_wait_ns / 1e6);
		else
			stderr_say(LOG_INFO, "aegismon: scheduler probes detached: the agent's threads run "
				"without waiting\n");
	}
}
