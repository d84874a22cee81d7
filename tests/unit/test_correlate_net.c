// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Network correlation: connect results, TCP fate and netfilter drops in,
 * network causes out. Event time only.
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
#include "json.h"
#include "sink.h"

#define S 1000000000ULL
#define MS 1000000ULL
#define NS_CLIENT 4026532001u
#define NS_OTHER 4026532002u
#define AGENT_PID 4242

struct net_fixture {
	struct diag_log log; /* first: the collector's ctx */
	struct agent_env env;
	struct correlator_config cfg;
	struct correlator *c;
};

static int setup(void **state)
{
	struct net_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->env.nroots = 1;
	snprintf(f->env.roots[0], sizeof(f->env.roots[0]), "/usr/local/aegis");
	correlator_config_defaults(&f->cfg);
	f->cfg.env = &f->env;
	f->c = correlator_new(&f->cfg, diag_log_collect, f);
	*state = f;
	return f->c ? 0 : -1;
}

static int teardown(void **state)
{
	struct net_fixture *f = *state;

	correlator_free(f->c);
	free(f);
	return 0;
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

static struct ev base(unsigned type, size_t size, uint64_t ts)
{
	struct ev e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = (__u16)type;
	e.hdr.size = (__u16)size;
	e.hdr.ts_ns = ts;
	e.hdr.pid = e.hdr.tgid = AGENT_PID;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "AliYunDun");
	return e;
}

static void tcp(struct net_fixture *f, uint64_t ts, int from, int to, int err, unsigned retries,
		unsigned flags, uint32_t netns)
{
	struct ev e = base(AEGIS_EV_TCP_STATE, sizeof(e.tcp), ts);

	tuple(&e.tcp.tuple, "192.0.2.1", 40000, "100.100.77.2", 80, 6);
	e.tcp.oldstate = (uint8_t)from;
	e.tcp.newstate = (uint8_t)to;
	e.tcp.sk_err = err;
	e.tcp.syn_retries = (uint16_t)retries;
	e.tcp.flags = flags | AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT;
	e.tcp.netns = netns;
	e.tcp.sock_id = 7;
	correlator_feed(f->c, &e);
}

static void connect_ret(struct net_fixture *f, uint64_t ts, const char *dst, uint16_t port, int ret,
			uint8_t proto)
{
	struct ev e = base(AEGIS_EV_CONNECT, sizeof(e.connect), ts);

	tuple(&e.connect.tuple, "0.0.0.0", 0, dst, port, proto);
	e.connect.ret = ret;
	e.connect.flags = AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT;
	e.connect.netns = NS_CLIENT;
	correlator_feed(f->c, &e);
}

static void drop(struct net_fixture *f, uint64_t ts, bool ingress, uint32_t netns, bool owner)
{
	struct ev e = base(AEGIS_EV_NF_DROP, sizeof(e.drop), ts);

	e.hdr.tgid = e.hdr.pid = 0; /* softirq: not the agent */
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "swapper/0");
	if (ingress)
		tuple(&e.drop.tuple, "100.100.77.2", 80, "192.0.2.1", 40000, 6);
	else
		tuple(&e.drop.tuple, "192.0.2.1", 40000, "100.100.77.2", 80, 6);
	e.drop.flags = AEGIS_NET_ENDPOINT | (ingress ? AEGIS_NET_INGRESS : 0);
	if (owner) {
		e.drop.flags |= AEGIS_NET_OWNER;
		e.drop.owner_tgid = AGENT_PID;
		snprintf(e.drop.owner_comm, sizeof(e.drop.owner_comm), "AliYunDun");
	}
	e.drop.netns = netns;
	correlator_feed(f->c, &e);
}

/* A drop told by its site (a kernel before 5.17, or
 * AEGISMON_FORCE_NO_DROP_REASON): no reason value, the flag instead. */
static void drop_by_site(struct net_fixture *f, uint64_t ts, struct ev *out)
{
	struct ev e = base(AEGIS_EV_NF_DROP, sizeof(e.drop), ts);

	e.hdr.tgid = e.hdr.pid = 0;
	tuple(&e.drop.tuple, "192.0.2.1", 40000, "100.100.77.2", 80, 6);
	e.drop.flags = AEGIS_NET_ENDPOINT | AEGIS_NET_OWNER | AEGIS_NET_BY_SITE;
	e.drop.owner_tgid = AGENT_PID;
	snprintf(e.drop.owner_comm, sizeof(e.drop.owner_comm), "AliYunDun");
	e.drop.reason = 0;
	e.drop.netns = NS_CLIENT;
	*out = e;
	correlator_feed(f->c, &e);
}

static void tick(struct net_fixture *f, uint64_t ts)
{
	struct ev e = base(AEGIS_EV_TICK, sizeof(e.tick), ts);

	correlator_feed(f->c, &e);
}

enum { EST = 1, SYN_SENT = 2, CLOSE = 7 };

static void test_refused(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	tcp(f, 1 * S + MS, SYN_SENT, CLOSE, ECONNREFUSED, 0, AEGIS_NET_RST, NS_CLIENT);
	/* the syscall's own ECONNREFUSED is the same failure, not a second one */
	connect_ret(f, 1 * S + 2 * MS, "100.100.77.2", 80, -ECONNREFUSED, 6);
	d = diag_only(&f->log, CAUSE_CONNECT_REFUSED);
	assert_int_equal(d->pid, AGENT_PID);
	assert_int_equal(d->peer.dport, 80);
	assert_int_equal(d->err, ECONNREFUSED);
	assert_non_null(strstr(d->summary, "100.100.77.2:80/tcp: refused"));
	assert_int_equal(f->log.n, 1);
}

static void test_timeout_without_drop(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	tcp(f, 4 * S, SYN_SENT, CLOSE, ETIMEDOUT, 2, 0, NS_CLIENT);
	d = diag_only(&f->log, CAUSE_CONNECT_TIMEOUT);
	assert_non_null(strstr(d->summary, "2 SYN retransmissions"));
}

static void test_local_drop_first_then_timeout(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	drop(f, 1 * S + MS, false, NS_CLIENT, true);
	d = diag_only(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL);
	assert_string_equal(d->hook, "OUTPUT");
	assert_int_equal(d->pid, AGENT_PID);
	assert_int_equal(d->evidence[0].hdr.type, AEGIS_EV_NF_DROP);
	/* the timeout that follows is explained by the drop, not a timeout */
	tcp(f, 4 * S, SYN_SENT, CLOSE, ETIMEDOUT, 2, 0, NS_CLIENT);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_TIMEOUT), 0);
	tick(f, 20 * S);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL), 2);
	assert_int_equal(f->log.d[f->log.n - 1].count, 2);
}

/* The same cause from a drop told by its site, and the evidence says how. */
static void test_local_drop_by_site(void **state)
{
	struct net_fixture *f = *state;
	struct clockmap cm = { 0 };
	const struct diagnosis *d;
	struct ev e;
	struct jw w;
	char buf[2048];

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	drop_by_site(f, 1 * S + MS, &e);
	d = diag_only(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL);
	assert_string_equal(d->hook, "OUTPUT");
	assert_int_equal(d->pid, AGENT_PID);
	jw_init(&w, buf, sizeof(buf));
	jw_obj_begin(&w);
	json_event_fields(&w, &cm, &e);
	jw_obj_end(&w);
	assert_false(w.overflow);
	assert_non_null(strstr(jw_result(&w), "\"reason\":\"NETFILTER_DROP\",\"reason_from\":\"drop site\""));
	tcp(f, 4 * S, SYN_SENT, CLOSE, ETIMEDOUT, 0, 0, NS_CLIENT);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_TIMEOUT), 0);
}

static void test_drop_in_other_namespace_is_not_local(void **state)
{
	struct net_fixture *f = *state;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	drop(f, 1 * S + MS, false, NS_OTHER, false);
	tcp(f, 4 * S, SYN_SENT, CLOSE, ETIMEDOUT, 1, 0, NS_CLIENT);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL), 0);
	diag_only(&f->log, CAUSE_CONNECT_TIMEOUT);
}

static void test_ingress_drop_of_synack(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	drop(f, 1 * S + MS, true, NS_CLIENT, false);
	d = diag_only(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL);
	assert_string_equal(d->hook, "INPUT");
	assert_int_equal(d->pid, AGENT_PID); /* from the attempt, not the softirq */
}

static void test_drop_without_attempt_is_ignored(void **state)
{
	struct net_fixture *f = *state;

	drop(f, 1 * S, false, NS_CLIENT, false);
	assert_int_equal(f->log.n, 0);
}

static void test_policy_eperm(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	connect_ret(f, 1 * S, "100.100.77.2", 80, -EPERM, 6);
	d = diag_only(&f->log, CAUSE_CONNECT_BLOCKED_POLICY);
	assert_int_equal(d->err, EPERM);
}

/* Refused before the probes saw it (seccomp, an LSM): no address; said so,
 * never as 0.0.0.0:0, and the summary claims no mechanism (the enricher adds
 * what it sees). */
static void test_policy_before_hook(void **state)
{
	struct net_fixture *f = *state;
	struct ev e = base(AEGIS_EV_CONNECT, sizeof(e.connect), 1 * S);
	const struct diagnosis *d;

	e.connect.ret = -EPERM;
	e.connect.flags = AEGIS_NET_AGENT | AEGIS_NET_UNHOOKED;
	e.connect.netns = NS_CLIENT;
	correlator_feed(f->c, &e);
	d = diag_only(&f->log, CAUSE_CONNECT_BLOCKED_POLICY);
	assert_int_equal(d->err, EPERM);
	assert_true(d->peer_unknown);
	assert_int_equal(d->policy.mechanism, POLICY_NOT_INSPECTED);
	assert_non_null(strstr(d->summary, "-> an address not known (refused before the kernel read it): "
					   "connect() failed with EPERM; netfilter dropped nothing"));
	assert_null(strstr(d->summary, "0.0.0.0"));
	assert_null(strstr(d->summary, "seccomp"));
}

static void test_unreachable(void **state)
{
	struct net_fixture *f = *state;

	connect_ret(f, 1 * S, "100.100.77.2", 80, -ENETUNREACH, 6);
	assert_int_equal(diag_only(&f->log, CAUSE_CONNECT_UNREACHABLE)->err, ENETUNREACH);
}

static void test_reset_after_established_then_online(void **state)
{
	struct net_fixture *f = *state;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	tcp(f, 1 * S + MS, SYN_SENT, EST, 0, 0, 0, NS_CLIENT);
	assert_int_equal(f->log.n, 0); /* a first success is not a recovery */
	tcp(f, 2 * S, EST, CLOSE, ECONNRESET, 0, AEGIS_NET_RST, NS_CLIENT);
	diag_only(&f->log, CAUSE_CONNECTION_RESET);
	/* an orderly close is nothing */
	tcp(f, 3 * S, EST, CLOSE, 0, 0, 0, NS_CLIENT);
	assert_int_equal(f->log.n, 1);
}

static void test_online_after_failure(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	tcp(f, 1 * S + MS, SYN_SENT, CLOSE, ECONNREFUSED, 0, AEGIS_NET_RST, NS_CLIENT);
	tcp(f, 5 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	tcp(f, 5 * S + MS, SYN_SENT, EST, 0, 0, 0, NS_CLIENT);
	d = diag_only(&f->log, CAUSE_AGENT_ONLINE);
	assert_non_null(strstr(d->summary, "after connect_refused"));
}

/* The agent's TCP connect to 127.0.0.1:80 (a sink), refused: its SYN_SENT
 * at ts, its end a millisecond later. */
static void sink_refused(struct net_fixture *f, uint64_t ts, unsigned flags)
{
	struct ev e = base(AEGIS_EV_TCP_STATE, sizeof(e.tcp), ts);

	tuple(&e.tcp.tuple, "127.0.0.1", 40000, "127.0.0.1", 80, 6);
	e.tcp.oldstate = CLOSE;
	e.tcp.newstate = SYN_SENT;
	e.tcp.flags = AEGIS_NET_AGENT | flags;
	e.tcp.netns = NS_CLIENT;
	correlator_feed(f->c, &e);
	e.hdr.ts_ns += MS;
	e.tcp.oldstate = SYN_SENT;
	e.tcp.newstate = CLOSE;
	e.tcp.sk_err = ECONNREFUSED;
	correlator_feed(f->c, &e);
}

static void test_sinkhole_tcp_and_udp(void **state)
{
	struct net_fixture *f = *state;

	sink_refused(f, 1 * S, 0);
	assert_int_equal(diag_count(&f->log, CAUSE_ENDPOINT_SINKHOLED), 1);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_REFUSED), 0); /* explained by the sinkhole */
	connect_ret(f, 2 * S, "0.0.0.0", 443, 0, 17);
	assert_int_equal(diag_count(&f->log, CAUSE_ENDPOINT_SINKHOLED), 2);
	/* not an endpoint port: a local service, not a sinkhole */
	connect_ret(f, 3 * S, "127.0.0.1", 5432, 0, 17);
	assert_int_equal(diag_count(&f->log, CAUSE_ENDPOINT_SINKHOLED), 2);
}

/* A TCP connect to a sink made while sockops was away (on demand): the
 * sinkhole is said at the connect, once, not again when sockops hears the
 * socket late; a TCP connect with sockops there waits for its SYN_SENT. */
static void test_sinkhole_tcp_before_sockops(void **state)
{
	struct net_fixture *f = *state;
	struct ev e = base(AEGIS_EV_CONNECT, sizeof(e.connect), 1 * S);

	tuple(&e.connect.tuple, "0.0.0.0", 0, "127.0.0.1", 80, 6);
	e.connect.flags = AEGIS_NET_AGENT;
	e.connect.netns = NS_CLIENT;
	correlator_feed(f->c, &e);
	assert_int_equal(diag_count(&f->log, CAUSE_ENDPOINT_SINKHOLED), 0);
	e.hdr.ts_ns += MS;
	e.connect.flags |= AEGIS_NET_UNARMED;
	correlator_feed(f->c, &e);
	assert_int_equal(diag_count(&f->log, CAUSE_ENDPOINT_SINKHOLED), 1);
	sink_refused(f, 1 * S + 2 * MS, AEGIS_NET_UNARMED);
	assert_int_equal(diag_count(&f->log, CAUSE_ENDPOINT_SINKHOLED), 1);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_REFUSED), 0);
}

static void test_cancelled_connect_is_nothing(void **state)
{
	struct net_fixture *f = *state;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	tcp(f, 1 * S + MS, SYN_SENT, CLOSE, 0, 0, 0, NS_CLIENT);
	assert_int_equal(f->log.n, 0);
}

#define OTHER_PID 5151
#define NS_PRIVATE 4026533333u

/* Another process (uid 65534's, say) in netns: its connect to the endpoint,
 * the drop of its watched socket's SYN, and the end of the attempt after
 * SYN retransmissions. No AEGIS_NET_AGENT anywhere. */
static void other_blocked(struct net_fixture *f, uint64_t ts, uint32_t netns)
{
	struct ev e = base(AEGIS_EV_CONNECT, sizeof(e.connect), ts);

	e.hdr.pid = e.hdr.tgid = OTHER_PID;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "othertool");
	tuple(&e.connect.tuple, "0.0.0.0", 0, "100.100.77.2", 80, 6);
	e.connect.ret = -EINPROGRESS;
	e.connect.flags = AEGIS_NET_ENDPOINT;
	e.connect.netns = netns;
	correlator_feed(f->c, &e);

	e = base(AEGIS_EV_NF_DROP, sizeof(e.drop), ts + MS);
	e.hdr.pid = e.hdr.tgid = OTHER_PID;
	tuple(&e.drop.tuple, "192.0.2.1", 40000, "100.100.77.2", 80, 6);
	e.drop.flags = AEGIS_NET_ENDPOINT | AEGIS_NET_OWNER;
	e.drop.owner_tgid = OTHER_PID;
	snprintf(e.drop.owner_comm, sizeof(e.drop.owner_comm), "othertool");
	e.drop.netns = netns;
	correlator_feed(f->c, &e);

	e = base(AEGIS_EV_TCP_STATE, sizeof(e.tcp), ts + 3 * S);
	e.hdr.pid = e.hdr.tgid = OTHER_PID;
	snprintf(e.hdr.comm, sizeof(e.hdr.comm), "othertool");
	tuple(&e.tcp.tuple, "192.0.2.1", 40000, "100.100.77.2", 80, 6);
	e.tcp.oldstate = SYN_SENT;
	e.tcp.newstate = CLOSE;
	e.tcp.sk_err = ETIMEDOUT;
	e.tcp.syn_retries = 2;
	e.tcp.flags = AEGIS_NET_ENDPOINT;
	e.tcp.netns = netns;
	correlator_feed(f->c, &e);
}

/* A user's private namespace (unshare -Urn) with its own drop rule: not the
 * agent's, whatever the address; nothing at all is said, even though the
 * agent's own sockets are known elsewhere. */
static void test_other_process_in_private_namespace_is_nothing(void **state)
{
	struct net_fixture *f = *state;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	tcp(f, 1 * S + MS, SYN_SENT, EST, 0, 0, 0, NS_CLIENT);
	for (int i = 0; i < 8; i++)
		other_blocked(f, (uint64_t)(2 + 4 * i) * S, NS_PRIVATE);
	tick(f, 60 * S);
	assert_int_equal(f->log.n, 0);
}

/* The same process in the namespace the agent's sockets live in (the host,
 * as the host scope sees it): the host's firewall there is the agent's too. */
static void test_other_process_in_agent_namespace_is_diagnosed(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	tcp(f, 1 * S + MS, SYN_SENT, EST, 0, 0, 0, NS_CLIENT);
	other_blocked(f, 2 * S, NS_CLIENT);
	d = diag_only(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL);
	assert_int_equal(d->pid, OTHER_PID);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_TIMEOUT), 0);
}

/* Before any agent socket was seen there, another process's namespace is not
 * the agent's; a drop of the agent's own (watched) socket always is. */
static void test_agent_socket_drop_in_new_namespace(void **state)
{
	struct net_fixture *f = *state;
	struct ev e = base(AEGIS_EV_NF_DROP, sizeof(e.drop), 1 * S);

	other_blocked(f, 1 * S, NS_OTHER);
	assert_int_equal(f->log.n, 0);
	e.hdr.tgid = e.hdr.pid = 0;
	tuple(&e.drop.tuple, "192.0.2.1", 40001, "100.100.77.2", 80, 6);
	e.drop.flags = AEGIS_NET_ENDPOINT | AEGIS_NET_OWNER | AEGIS_NET_AGENT;
	e.drop.owner_tgid = AGENT_PID;
	snprintf(e.drop.owner_comm, sizeof(e.drop.owner_comm), "AliYunDun");
	e.drop.netns = NS_OTHER;
	e.hdr.ts_ns = 10 * S;
	correlator_feed(f->c, &e);
	assert_int_equal(diag_only(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL)->pid, AGENT_PID);
	/* and the namespace is the agent's now */
	other_blocked(f, 11 * S, NS_OTHER);
	tick(f, 60 * S); /* the repeat of the same peer is held for its interval */
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL), 2);
	assert_int_equal(f->log.d[f->log.n - 1].pid, OTHER_PID);
}

/* A namespace the agent left long ago (its inode may be another's now) is
 * not the agent's any more. */
static void test_agent_namespace_expires(void **state)
{
	struct net_fixture *f = *state;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	tcp(f, 1 * S + MS, SYN_SENT, EST, 0, 0, 0, NS_CLIENT);
	other_blocked(f, 1 * S + 601 * S, NS_CLIENT);
	assert_int_equal(f->log.n, 0);
}

/* Drops in many private namespaces take no slot: the agent's drop explains
 * its timeout afterwards as before. */
static void test_private_drops_do_not_evict_agent_peers(void **state)
{
	struct net_fixture *f = *state;

	tcp(f, 1 * S, CLOSE, SYN_SENT, 0, 0, 0, NS_CLIENT);
	drop(f, 1 * S + MS, false, NS_CLIENT, true);
	for (uint32_t i = 0; i < 300; i++)
		other_blocked(f, 1 * S + 2 * MS, NS_PRIVATE + 1 + i);
	tcp(f, 4 * S, SYN_SENT, CLOSE, ETIMEDOUT, 2, 0, NS_CLIENT);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_TIMEOUT), 0);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL), 1);
}

/* More agent namespaces than slots: the one seen last the longest ago goes. */
static void test_agent_namespaces_bounded(void **state)
{
	struct net_fixture *f = *state;
	unsigned n;

	for (uint32_t i = 0; i < 9; i++)
		tcp(f, (1 + i) * S, CLOSE, SYN_SENT, 0, 0, 0, NS_PRIVATE + i);
	/* NS_PRIVATE + 0 was replaced by + 8; + 1 is still there */
	other_blocked(f, 20 * S, NS_PRIVATE + 1);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL), 1);
	tick(f, 60 * S); /* its failure's repeat, held until here */
	n = f->log.n;
	other_blocked(f, 70 * S, NS_PRIVATE);
	tick(f, 300 * S); /* a repeat would be held until here */
	assert_int_equal(f->log.n, n);
}

/* A data retransmission of the agent's established socket 7: the same
 * unacknowledged data, since since_ns, the n-th time, segments of min..max. */
static void retrans(struct net_fixture *f, uint64_t ts, uint64_t since, unsigned n, unsigned min,
		    unsigned max, uint64_t acked)
{
	struct ev e = base(AEGIS_EV_TCP_RETRANS, sizeof(e.retrans), ts);

	tuple(&e.retrans.tuple, "192.0.2.1", 40000, "100.100.77.2", 80, 6);
	e.retrans.flags = AEGIS_NET_AGENT | AEGIS_NET_ENDPOINT;
	e.retrans.netns = NS_CLIENT;
	e.retrans.sock_id = 7;
	e.retrans.since_ns = since;
	e.retrans.retrans = n;
	e.retrans.seg_len = max;
	e.retrans.min_seg_len = min;
	e.retrans.max_seg_len = max;
	e.retrans.mss = 1448;
	e.retrans.pmtu = 1500;
	e.retrans.in_flight = 8000;
	e.retrans.bytes_acked = acked;
	correlator_feed(f->c, &e);
}

static void test_blackhole_after_threshold(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	tcp(f, 1 * S, 7, 2, 0, 0, 0, NS_CLIENT);
	tcp(f, 1 * S + MS, 2, 1, 0, 0, 0, NS_CLIENT);
	/* below the count, then below the time: nothing yet */
	retrans(f, 2 * S, 1 * S + 200 * MS, 3, 1448, 7240, 201);
	retrans(f, 2 * S + 500 * MS, 1 * S + 200 * MS, 4, 1448, 7240, 201);
	assert_int_equal(f->log.n, 0);
	retrans(f, 4 * S, 1 * S + 200 * MS, 5, 1448, 7240, 201);
	d = diag_only(&f->log, CAUSE_PATH_MTU_BLACKHOLE);
	assert_int_equal(d->pid, AGENT_PID);
	assert_non_null(strstr(d->summary, "1448-byte segments (1488-byte packets) sent 5 times over 2.8 s"));
	assert_non_null(strstr(d->summary, "smaller data was acknowledged before"));
	assert_int_equal(d->n_evidence, 1);
	/* the same stall again: said once */
	retrans(f, 7 * S, 1 * S + 200 * MS, 6, 1448, 7240, 201);
	assert_int_equal(f->log.n, 1);
	/* the connection's end after it: not a second stall */
	tcp(f, 9 * S, 1, 7, ETIMEDOUT, 0, 0, NS_CLIENT);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECTION_STALLED), 0);
}

static void test_small_segments_lost_are_a_stall(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	/* 200 bytes fit any path: not a question of size */
	retrans(f, 5 * S, 1 * S, 5, 200, 200, 1);
	d = diag_only(&f->log, CAUSE_CONNECTION_STALLED);
	assert_non_null(strstr(d->summary, "established, 8000 bytes unacknowledged for 4.0 s, sent 5 times in segments of 200 bytes at most"));
	assert_int_equal(diag_count(&f->log, CAUSE_PATH_MTU_BLACKHOLE), 0);
}

static void test_segment_over_mss_counts_as_mss(void **state)
{
	struct net_fixture *f = *state;

	/* a 536-byte segment lost (576-byte packet) passes any IPv4 path */
	retrans(f, 5 * S, 1 * S, 5, 536, 536, 1);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECTION_STALLED), 1);
	teardown(state);
	setup(state);
	f = *state;
	/* several MSS at once (SACK recovery): judged as MSS-sized packets */
	retrans(f, 5 * S, 1 * S, 5, 4344, 7240, 1);
	assert_int_equal(diag_count(&f->log, CAUSE_PATH_MTU_BLACKHOLE), 1);
}

static void test_stall_under_local_drop_is_the_drop(void **state)
{
	struct net_fixture *f = *state;

	tcp(f, 1 * S, 7, 2, 0, 0, 0, NS_CLIENT);
	drop(f, 2 * S, true, NS_CLIENT, true); /* this host's INPUT drops the ACKs */
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECT_BLOCKED_LOCAL), 1);
	retrans(f, 5 * S, 1 * S + 500 * MS, 5, 1448, 1448, 201);
	assert_int_equal(diag_count(&f->log, CAUSE_PATH_MTU_BLACKHOLE), 0);
	assert_int_equal(diag_count(&f->log, CAUSE_CONNECTION_STALLED), 0);
}

static void test_drop_elsewhere_is_not_local(void **state)
{
	struct net_fixture *f = *state;
	struct ev e = base(AEGIS_EV_NF_DROP, sizeof(e.drop), 2 * S);

	tcp(f, 1 * S, 7, 2, 0, 0, 0, NS_CLIENT);
	/* at the far end of the veth, the agent's socket still attached */
	tuple(&e.drop.tuple, "192.0.2.1", 40000, "100.100.77.2", 80, 6);
	e.drop.flags = AEGIS_NET_ENDPOINT | AEGIS_NET_OWNER | AEGIS_NET_AGENT | AEGIS_NET_INGRESS |
		       AEGIS_NET_ELSEWHERE;
	e.drop.owner_tgid = AGENT_PID;
	e.drop.netns = NS_OTHER;
	correlator_feed(f->c, &e);
	assert_int_equal(f->log.n, 0);
	assert_int_equal(correlator_stats(f->c)->drops_elsewhere, 1);
	/* and the stall it causes is the path's */
	retrans(f, 5 * S, 1 * S + 500 * MS, 5, 1448, 1448, 201);
	assert_int_equal(diag_count(&f->log, CAUSE_PATH_MTU_BLACKHOLE), 1);
}

static void test_established_timeout_is_a_stall(void **state)
{
	struct net_fixture *f = *state;
	const struct diagnosis *d;

	tcp(f, 1 * S, 7, 2, 0, 0, 0, NS_CLIENT);
	tcp(f, 1 * S + MS, 2, 1, 0, 0, 0, NS_CLIENT);
	tcp(f, 900 * S, 1, 7, ETIMEDOUT, 0, 0, NS_CLIENT);
	d = diag_only(&f->log, CAUSE_CONNECTION_STALLED);
	assert_int_equal(d->err, ETIMEDOUT);
	assert_non_null(strstr(d->summary, "established connection timed out (ETIMEDOUT)"));
	/* an orderly close is nothing */
	tcp(f, 901 * S, 1, 7, 0, 0, 0, NS_CLIENT);
	assert_int_equal(f->log.n, 1);
}

static void test_stall_in_private_namespace_is_nothing(void **state)
{
	struct net_fixture *f = *state;
	struct ev e = base(AEGIS_EV_TCP_RETRANS, sizeof(e.retrans), 5 * S);

	/* a user's own process (not the agent) in a namespace the agent is not in */
	e.hdr.tgid = e.hdr.pid = 999;
	tuple(&e.retrans.tuple, "192.0.2.1", 40000, "100.100.77.2", 80, 6);
	e.retrans.flags = AEGIS_NET_ENDPOINT;
	e.retrans.netns = NS_OTHER;
	e.retrans.since_ns = 1 * S;
	e.retrans.retrans = 9;
	e.retrans.min_seg_len = e.retrans.max_seg_len = 1448;
	correlator_feed(f->c, &e);
	assert_int_equal(f->log.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_without_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_drop_first_then_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_drop_by_site, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_in_other_namespace_is_not_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ingress_drop_of_synack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_without_attempt_is_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_before_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_eperm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_after_established_then_online, setup, teardown),
		cmocka_unit_test_setup_teardown(test_online_after_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sinkhole_tcp_and_udp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sinkhole_tcp_before_sockops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancelled_connect_is_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_process_in_private_namespace_is_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_process_in_agent_namespace_is_diagnosed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_socket_drop_in_new_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_namespace_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_drops_do_not_evict_agent_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_agent_namespaces_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blackhole_after_threshold, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_segments_lost_are_a_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_segment_over_mss_counts_as_mss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stall_under_local_drop_is_the_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_drop_elsewhere_is_not_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_established_timeout_is_a_stall, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stall_in_private_namespace_is_nothing, setup, teardown),
	};

	return cmocka_run_group_tests_name("correlate_net", tests, NULL, NULL);
}
