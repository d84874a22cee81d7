// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What explains what (user/correlate/relations.c) and the verdict (user/correlate/verdict.c):
 * events through correlator_feed, diagnoses collected, each link of the
 * table checked with the id of the diagnosis that explains. Event time only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "correlate.h"
#include "diag_log.h"
#include "dns.h"
#include "relations.h"
#include "signals.h"
#include "sink.h"
#include "verdict.h"

#define S 1000000000ULL
#define MS 1000000ULL
#define GIB (1024ULL * 1024)
#define ROOT "/usr/local/aegis"
#define EXE_DUN ROOT "/aegis_client/aegis_12_93/AliYunDun"
#define AGENT_PID 4242
#define NS_AGENT 4026531840u
#define CLIENT "192.0.2.1"
#define SERVER "198.51.100.53"
#define ENDPOINT "100.100.77.2"

struct fixture {
	struct diag_log log; /* first: the collector's ctx */
	struct agent_env env;
	struct correlator_config cfg;
	struct correlator *c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->env.nroots = 1;
	snprintf(f->env.roots[0], sizeof(f->env.roots[0]), "%s", ROOT);
	f->env.install.found = true;
	snprintf(f->env.install.root, sizeof(f->env.install.root), "%s", ROOT);
	f->env.install.major = 12;
	f->env.install.minor = 93;
	f->env.install.present_mask = 1u << CORE_ALIYUNDUN;
	correlator_config_defaults(&f->cfg);
	f->cfg.env = &f->env;
	f->cfg.res_window_ns = 5 * S;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	correlator_free(f->c);
	free(f);
	return 0;
}

static void start(struct fixture *f)
{
	f->c = correlator_new(&f->cfg, diag_log_collect, f);
	assert_non_null(f->c);
}

/* ---- events ---- */

static struct ev mk(unsigned type, size_t size, uint64_t ts, uint32_t tgid, const char *comm)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = (__u16)type;
	e.hdr.size = (__u16)size;
	e.hdr.ts_ns = ts;
	e.hdr.pid = e.hdr.tgid = tgid;
	e.hdr.ppid = 1;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "%s", comm);
	return e;
}

static void feed(struct fixture *f, const struct ev *e)
{
	correlator_feed(f->c, e);
}

/* exe inside ROOT: the agent; elsewhere: an impostor (as agent_judge says) */
static void exec_(struct fixture *f, uint64_t ts, uint32_t tgid, const char *exe)
{
	struct ev e = mk(AEGIS_EV_EXEC, sizeof(e.exec), ts, tgid, "AliYunDun");

	snprintf(e.exe, sizeof(e.exe), "%s", exe);
	snprintf(e.exec.filename, sizeof(e.exec.filename), "%s", exe);
	if (path_inside(exe, ROOT)) {
		e.ident = IDENT_AGENT;
	} else {
		e.ident = IDENT_IMPOSTOR;
		e.ident_why = WHY_NOT_INSTALLED;
	}
	e.exec.netns = NS_AGENT;
	feed(f, &e);
}

static void exit_(struct fixture *f, uint64_t ts, uint32_t tgid, unsigned code)
{
	struct ev e = mk(AEGIS_EV_EXIT, sizeof(e.exit), ts, tgid, "AliYunDun");

	e.exit.exit_code = code;
	e.exit.flags = AEGIS_EXIT_GROUP_DEAD;
	feed(f, &e);
}

static void kill_by(struct fixture *f, uint64_t ts, uint32_t tgid, const char *comm, const char *exe)
{
	struct ev e = mk(AEGIS_EV_SIGNAL, sizeof(e.signal), ts, tgid, "AliYunDun");

	e.signal.sig = 9;
	e.signal.si_code = AEGIS_SI_USER;
	e.signal.group = 1;
	e.signal.sender_pid = e.signal.sender_tgid = 4000;
	snprintf(e.signal.sender_comm, sizeof(e.signal.sender_comm), "%s", comm);
	snprintf(e.sender_exe, sizeof(e.sender_exe), "%s", exe);
	feed(f, &e);
	exit_(f, ts + MS, tgid, 9);
}

static void oom(struct fixture *f, uint64_t ts, uint32_t tgid)
{
	struct ev e = mk(AEGIS_EV_OOM_VICTIM, sizeof(e.oom), ts, tgid, "AliYunDun");

	e.oom.flags = AEGIS_OOM_TRACKED;
	feed(f, &e);
}

static void tuple(struct aegis_tuple *t, const char *src, uint16_t sport, const char *dst,
		  uint16_t dport, uint8_t proto)
{
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	t->proto = proto;
	inet_pton(AF_INET, src, t->saddr);
	inet_pton(AF_INET, dst, t->daddr);
	t->sport = sport;
	t->dport = dport;
}

static void connect_ret(struct fixture *f, uint64_t ts, uint32_t tgid, const char *dst, int ret,
			unsigned flags)
{
	struct ev e = mk(AEGIS_EV_CONNECT, sizeof(e.connect), ts, tgid, "AliYunDun");

	tuple(&e.connect.tuple, "0.0.0.0", 0, dst, 443, 6);
	e.connect.ret = ret;
	e.connect.flags = flags | AEGIS_NET_ENDPOINT;
	e.connect.netns = NS_AGENT;
	feed(f, &e);
}

/* the agent's SYN_SENT -> CLOSE to dst:443 */
static void syn_fail(struct fixture *f, uint64_t ts, const char *dst, int err, bool rst)
{
	struct ev e = mk(AEGIS_EV_TCP_STATE, sizeof(e.tcp), ts, AGENT_PID, "AliYunDun");

	tuple(&e.tcp.tuple, CLIENT, 40000, dst, 443, 6);
	e.tcp.oldstate = 2;
	e.tcp.newstate = 7;
	e.tcp.sk_err = err;
	e.tcp.syn_retries = err == ETIMEDOUT ? 6 : 0;
	e.tcp.flags = AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT | (rst ? AEGIS_NET_RST : 0);
	e.tcp.netns = NS_AGENT;
	e.tcp.sock_id = 7;
	feed(f, &e);
}

/* this host's netfilter drops the agent's SYN to dst:443 */
static void drop(struct fixture *f, uint64_t ts, const char *dst)
{
	struct ev e = mk(AEGIS_EV_NF_DROP, sizeof(e.drop), ts, 0, "swapper/0");

	tuple(&e.drop.tuple, CLIENT, 40000, dst, 443, 6);
	e.drop.flags = AEGIS_NET_ENDPOINT | AEGIS_NET_OWNER | AEGIS_NET_AGENT;
	e.drop.owner_tgid = AGENT_PID;
	snprintf(e.drop.owner_comm, sizeof(e.drop.owner_comm), "AliYunDun");
	e.drop.netns = NS_AGENT;
	feed(f, &e);
}

static void dns_msg(struct fixture *f, uint64_t ts, bool answer, uint16_t id, const char *name,
		    unsigned rcode, const char *addr)
{
	struct ev e = mk(AEGIS_EV_DNS, sizeof(e.dns), ts, answer ? 0 : AGENT_PID, answer ? "" : "AliYunDun");
	size_t n = dns_build_query(e.dns.data, sizeof(e.dns.data), id, name, DNS_T_A);

	assert_true(n > 12);
	if (answer) {
		uint8_t rr[16] = { 0xc0, 0x0c, 0, DNS_T_A, 0, 1, 0, 0, 0, 60, 0, 4 };

		e.dns.data[2] |= 0x80;
		e.dns.data[3] = 0x80 | (uint8_t)rcode;
		if (addr) {
			inet_pton(AF_INET, addr, rr + 12);
			memcpy(e.dns.data + n, rr, sizeof(rr));
			n += sizeof(rr);
			e.dns.data[7] = 1;
		}
		tuple(&e.dns.tuple, SERVER, 53, CLIENT, 40000, 17);
		e.dns.flags = AEGIS_NET_INGRESS;
	} else {
		tuple(&e.dns.tuple, CLIENT, 40000, SERVER, 53, 17);
		e.dns.netns = NS_AGENT;
	}
	e.dns.len = e.dns.wire_len = (__u32)n;
	feed(f, &e);
}

static struct ev sample(uint64_t ts)
{
	struct ev e = mk(AEGIS_EV_RESOURCES, sizeof(e.resources), ts, 0, "");

	e.resources.interval_ms = 1000;
	e.resources.ncpu = 2;
	e.resources.cpu_busy_pm = 100;
	e.resources.mem_total_kib = 24 * GIB;
	e.resources.mem_avail_kib = 24 * GIB * 8 / 10;
	e.resources.agent_procs = 2;
	e.resources.flags = AEGIS_RES_HIST;
	e.resources.rq_hist[3] = 200;
	e.resources.rq_sum_ns = 200 * 10000;
	return e;
}

enum { CALM, MEM_FULL, CPU_BUSY_STARVED };

static uint64_t samples(struct fixture *f, uint64_t ts, unsigned n, int how)
{
	for (unsigned i = 0; i < n; i++, ts += S) {
		struct ev e = sample(ts);

		if (how == MEM_FULL)
			e.resources.mem_avail_kib = e.resources.mem_total_kib / 50;
		if (how == CPU_BUSY_STARVED) {
			e.resources.cpu_busy_pm = 990;
			memset(e.resources.rq_hist, 0, sizeof(e.resources.rq_hist));
			e.resources.rq_hist[3] = 5;
			e.resources.rq_hist[17] = 20;
			e.resources.rq_sum_ns = 20 * 150000000ULL;
		}
		feed(f, &e);
	}
	return ts;
}

/* ---- assertions ---- */

static const struct diagnosis *last_of(const struct fixture *f, enum cause c)
{
	for (unsigned i = f->log.n; i-- > 0;)
		if (f->log.d[i].cause == c)
			return &f->log.d[i];
	fail_msg("no %s", cause_code(c));
	return NULL;
}

static void assert_explained(const struct diagnosis *d, const struct diagnosis *by)
{
	assert_false(d->primary);
	assert_string_equal(cause_code((enum cause)d->explained_by), cause_code(by->cause));
	assert_true(by->id != 0);
	assert_int_equal(d->explained_by_id, by->id);
}

static const struct verdict_entry *verdict(const struct fixture *f)
{
	return verdict_of(correlator_stats(f->c)->verdicts);
}

/* ---- the links ---- */

/* A host out of memory explains the OOM killer choosing the agent; without
 * it, the OOM kill is the cause. */
static void test_memory_explains_oom_kill(void **state)
{
	struct fixture *f = *state;
	uint64_t ts;

	start(f);
	exec_(f, 1 * S, AGENT_PID, EXE_DUN);
	oom(f, 2 * S, AGENT_PID);
	exit_(f, 2 * S + MS, AGENT_PID, 9);
	assert_true(last_of(f, CAUSE_AGENT_OOM_KILLED)->primary);

	ts = samples(f, 10 * S, 7, MEM_FULL);
	exec_(f, ts, 5000, EXE_DUN);
	oom(f, ts + S, 5000);
	exit_(f, ts + S + MS, 5000, 9);
	assert_explained(last_of(f, CAUSE_AGENT_OOM_KILLED), last_of(f, CAUSE_MEMORY_EXHAUSTED));
}

/* A restart loop folds the exits it counts: the exits after it name it, and
 * the verdict is the loop, not the first crash, though that came earlier. */
static void test_flapping_folds_exits(void **state)
{
	struct fixture *f = *state;
	const struct verdict_entry *v;
	uint32_t pid = 100;

	start(f);
	for (unsigned i = 0; i < 4; i++, pid++) {
		exec_(f, (1 + 2 * i) * S, pid, EXE_DUN);
		exit_(f, (2 + 2 * i) * S, pid, 11); /* SIGSEGV */
	}
	correlator_flush(f->c, 20 * S); /* the fourth crash was held back as a repeat */
	assert_int_equal(diag_count(&f->log, CAUSE_AGENT_FLAPPING), 1);
	assert_true(f->log.d[0].primary); /* the first crash: before the loop was seen */
	assert_explained(last_of(f, CAUSE_AGENT_CRASHED), last_of(f, CAUSE_AGENT_FLAPPING));
	v = verdict(f);
	assert_non_null(v);
	assert_string_equal(cause_code(v->s.cause), "agent_flapping");
}

/* This host's firewall dropping the SYNs explains a later timeout to that
 * endpoint, even when the endpoint's slot was taken by others since. */
static void test_local_drop_explains_timeout(void **state)
{
	struct fixture *f = *state;
	char ip[32];

	start(f);
	exec_(f, 1 * S, AGENT_PID, EXE_DUN);
	connect_ret(f, 2 * S, AGENT_PID, ENDPOINT, -EINPROGRESS, AEGIS_NET_AGENT);
	drop(f, 2 * S + MS, ENDPOINT);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL), 1);
	/* a storm of other endpoints pushes this one out of the peer table */
	for (unsigned i = 0; i < 300; i++) {
		snprintf(ip, sizeof(ip), "100.100.%u.%u", 100 + i / 200, 1 + i % 200);
		connect_ret(f, 3 * S + i * MS, AGENT_PID, ip, -EINPROGRESS, AEGIS_NET_AGENT);
	}
	syn_fail(f, 60 * S, ENDPOINT, ETIMEDOUT, false);
	assert_explained(last_of(f, CAUSE_CONNECT_TIMEOUT), last_of(f, CAUSE_CONNECT_BLOCKED_LOCAL));
	/* past the window: a timeout of its own */
	syn_fail(f, 60 * S + f->cfg.net_window_ns + S, ENDPOINT, ETIMEDOUT, false);
	assert_true(last_of(f, CAUSE_CONNECT_TIMEOUT)->primary);
}

/* A failed lookup of a name explains connects refused at the stale address
 * learned for it before; the verdict is the lookup. */
static void test_dns_failure_explains_stale_address(void **state)
{
	struct fixture *f = *state;
	const struct verdict_entry *v;

	start(f);
	exec_(f, 1 * S, AGENT_PID, EXE_DUN);
	dns_msg(f, 2 * S, false, 0x100, "update.aegis.aliyun.com", 0, NULL);
	dns_msg(f, 2 * S + MS, true, 0x100, "update.aegis.aliyun.com", DNS_RC_NOERROR, "100.100.30.25");
	assert_int_equal(f->log.n, 0);
	dns_msg(f, 10 * S, false, 0x101, "update.aegis.aliyun.com", 0, NULL);
	dns_msg(f, 10 * S + MS, true, 0x101, "update.aegis.aliyun.com", DNS_RC_SERVFAIL, NULL);
	assert_int_equal(diag_count(&f->log, CAUSE_DNS_SERVFAIL), 1);
	syn_fail(f, 12 * S, "100.100.30.25", ECONNREFUSED, true);
	assert_string_equal(last_of(f, CAUSE_CONNECT_REFUSED)->qname, "update.aegis.aliyun.com");
	assert_explained(last_of(f, CAUSE_CONNECT_REFUSED), last_of(f, CAUSE_DNS_SERVFAIL));
	/* an address never learned for the name: not explained */
	syn_fail(f, 13 * S, "100.100.30.99", ECONNREFUSED, true);
	assert_true(last_of(f, CAUSE_CONNECT_REFUSED)->primary);
	v = verdict(f);
	assert_non_null(v);
	assert_string_equal(cause_code(v->s.cause), "dns_servfail");
}

/* A saturated host CPU explains the agent waiting to run. */
static void test_cpu_explains_starved(void **state)
{
	struct fixture *f = *state;

	start(f);
	samples(f, 1 * S, 8, CPU_BUSY_STARVED);
	assert_explained(last_of(f, CAUSE_AGENT_STARVED), last_of(f, CAUSE_CPU_SATURATED));
}

/* A security product explains the kill it did: said first, named by id. */
static void test_product_explains_kill(void **state)
{
	struct fixture *f = *state;
	const struct diagnosis *tp, *kill;

	start(f);
	exec_(f, 1 * S, AGENT_PID, EXE_DUN);
	kill_by(f, 5 * S, AGENT_PID, "safedog", "/usr/local/safedog/safedog");
	tp = last_of(f, CAUSE_THIRD_PARTY_SECURITY);
	kill = last_of(f, CAUSE_AGENT_KILLED);
	assert_true(tp->primary);
	assert_true(tp < kill); /* delivered first */
	assert_explained(kill, tp);
	assert_string_equal(cause_code(verdict(f)->s.cause), "third_party_security");
}

/* The last death explains that the agent is not running. */
static void test_death_explains_not_running(void **state)
{
	struct fixture *f = *state;
	struct ev t = mk(AEGIS_EV_TICK, sizeof(t.tick), 0, 0, "");

	start(f);
	exec_(f, 1 * S, AGENT_PID, EXE_DUN);
	kill_by(f, 5 * S, AGENT_PID, "killall", "/usr/bin/killall");
	t.hdr.ts_ns = 5 * S + f->cfg.grace_ns + S;
	feed(f, &t);
	assert_explained(last_of(f, CAUSE_AGENT_NOT_RUNNING), last_of(f, CAUSE_AGENT_KILLED));
}

/* A block a proven product did (no event shows one today: the table row on
 * its own). */
static void test_product_explains_block_row(void **state)
{
	uint64_t win[REL_WIN_COUNT] = { 120 * S, 300 * S, 60 * S, UINT64_MAX };
	struct rel_subject a, b;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.cause = CAUSE_THIRD_PARTY_SECURITY;
	a.pid = b.pid = AGENT_PID;
	a.ts_ns = 10 * S;
	b.cause = CAUSE_CONNECT_BLOCKED_POLICY;
	b.ts_ns = 11 * S;
	assert_non_null(relation_between(&a, &b, win, false));
	b.pid = AGENT_PID + 1;
	assert_null(relation_between(&a, &b, win, false));
	b.pid = AGENT_PID;
	b.ts_ns = 10 * S + win[REL_WIN_NET] + 1;
	assert_null(relation_between(&a, &b, win, false));
	/* the product said after the block does not explain it */
	b.ts_ns = 9 * S;
	assert_null(relation_between(&a, &b, win, true));
}

/* ---- the verdict ---- */

/* An impostor's refused connect, after the real agent was killed: the
 * verdict is the kill (it was the impostor's connect_refused, the latest of
 * the same severity). */
static void test_verdict_ignores_impostor_activity(void **state)
{
	struct fixture *f = *state;
	const struct verdict_entry *v;
	const struct diagnosis *refused;

	start(f);
	exec_(f, 1 * S, AGENT_PID, EXE_DUN);
	exec_(f, 2 * S, 6666, "/tmp/AliYunDun");
	assert_int_equal(diag_count(&f->log, CAUSE_AGENT_IMPOSTOR), 1);
	kill_by(f, 3 * S, AGENT_PID, "killall", "/usr/bin/killall");
	connect_ret(f, 5 * S, 6666, ENDPOINT, -ECONNREFUSED, 0);
	refused = last_of(f, CAUSE_CONNECT_REFUSED);
	assert_int_equal(refused->pid, 6666);
	assert_true(refused->impostor);
	assert_true(refused->unverified);
	v = verdict(f);
	assert_non_null(v);
	assert_string_equal(cause_code(v->s.cause), "agent_killed");
	assert_int_equal(v->s.pid, AGENT_PID);
	assert_int_equal(v->s.id, last_of(f, CAUSE_AGENT_KILLED)->id);
}

/* Not running at the start, then started and killed before the grace ran
 * out: the kill is the cause, the earlier not-running is over. */
static void test_verdict_not_running_then_killed(void **state)
{
	struct fixture *f = *state;
	struct ev done = mk(AEGIS_EV_SEED_DONE, sizeof(done.hdr), 1 * S, 0, "");

	start(f);
	feed(f, &done);
	assert_true(last_of(f, CAUSE_AGENT_NOT_RUNNING)->primary);
	exec_(f, 2 * S, AGENT_PID, EXE_DUN);
	kill_by(f, 3 * S, AGENT_PID, "killall", "/usr/bin/killall");
	assert_string_equal(cause_code(verdict(f)->s.cause), "agent_killed");
}

/* Of two primaries as severe, the earlier is the cause. */
static void test_verdict_earliest_of_a_tie(void **state)
{
	struct fixture *f = *state;

	start(f);
	exec_(f, 1 * S, AGENT_PID, EXE_DUN);
	connect_ret(f, 2 * S, AGENT_PID, ENDPOINT, -ECONNREFUSED, AEGIS_NET_AGENT);
	kill_by(f, 3 * S, AGENT_PID, "killall", "/usr/bin/killall");
	assert_string_equal(cause_code(verdict(f)->s.cause), "connect_refused");
}

/* The JSON summary carries the verdict's cause, the diagnoses their ids. */
static void test_json_verdict_and_ids(void **state)
{
	struct fixture *f = *state;
	struct clockmap cm = { 0 };
	struct session_summary sum = { .start_ns = 1, .end_ns = 10 * S };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	start(f);
	exec_(f, 1 * S, AGENT_PID, EXE_DUN);
	exec_(f, 2 * S, 6666, "/tmp/AliYunDun");
	kill_by(f, 3 * S, AGENT_PID, "safedog", "/usr/local/safedog/safedog");
	connect_ret(f, 5 * S, 6666, ENDPOINT, -ECONNREFUSED, 0);
	sum.stats = correlator_stats(f->c);
	out = open_memstream(&buf, &len);
	assert_non_null(out);
	sink_json_summary(out, &cm, &sum);
	sink_json_diagnosis(out, &cm, last_of(f, CAUSE_AGENT_KILLED));
	sink_json_diagnosis(out, &cm, last_of(f, CAUSE_CONNECT_REFUSED));
	fclose(out);
	assert_non_null(strstr(buf, "\"verdict\":\"fail\",\"verdict_cause\":\"third_party_security\","
				    "\"verdict_summary\":\"SafeDog"));
	assert_non_null(strstr(buf, "\"id\":3,"));
	assert_non_null(strstr(buf, "\"explained_by\":\"third_party_security\",\"explained_by_id\":2,"));
	assert_non_null(strstr(buf, "\"verified\":false,\"impostor\":true"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_memory_explains_oom_kill),
		T(test_flapping_folds_exits),
		T(test_local_drop_explains_timeout),
		T(test_dns_failure_explains_stale_address),
		T(test_cpu_explains_starved),
		T(test_product_explains_kill),
		T(test_death_explains_not_running),
		cmocka_unit_test(test_product_explains_block_row),
		T(test_verdict_ignores_impostor_activity),
		T(test_verdict_not_running_then_killed),
		T(test_verdict_earliest_of_a_tie),
		T(test_json_verdict_and_ids),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
