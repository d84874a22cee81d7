// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Network correlation: how a connection to an Aegis endpoint failed, and where. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "correlate_int.h"
#include "endpoints.h"
#include "signals.h"

#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_CLOSE 7
#define DUP_WINDOW_NS (2 * NSEC) /* a syscall error right after the TCP failure is the same one */
/* A stall is said once the same unacknowledged data was sent again this many
 * times over this long: from a 200 ms retransmission timeout, doubling, that
 * is about 3 s after its first retransmission; a loss that recovers never
 * gets there (the kernel reports from the second retransmission on). */
#define STALL_MIN_RETRANS 4
#define STALL_MIN_NS (2 * NSEC)
/* The packet every IPv4 (RFC 791) and IPv6 (RFC 8200) path must carry: a
 * lost segment that fits in it is not lost for its size. */
#define MIN_PATH_MTU_V4 576
#define MIN_PATH_MTU_V6 1280
#define IP_TCP_HDR_V4 40
#define IP_TCP_HDR_V6 60

/* The remote side of a tuple as seen from the local socket. */
static void remote_of(const struct aegis_tuple *t, bool ingress, struct aegis_tuple *out)
{
	memset(out, 0, sizeof(*out));
	out->family = t->family;
	out->proto = t->proto;
	memcpy(out->daddr, ingress ? t->saddr : t->daddr, 16);
	out->dport = ingress ? t->sport : t->dport;
	memcpy(out->saddr, ingress ? t->daddr : t->saddr, 16);
	out->sport = ingress ? t->dport : t->sport;
}

static bool same_peer(const struct net_peer *p, uint32_t netns, const struct aegis_tuple *r)
{
	size_t alen = r->family == AF_INET6 ? 16 : 4;

	return p->used && p->netns == netns && p->key.family == r->family &&
	       p->key.dport == r->dport && !memcmp(p->key.daddr, r->daddr, alen);
}

/* Find the peer, or take a free or the least recently used slot. */
static struct net_peer *peer_get(struct correlator *c, uint32_t netns, const struct aegis_tuple *r,
				 bool create)
{
	struct net_peer *lru = NULL;

	/* a peer is in at most one slot: trying the last one found first finds
	 * the same slot as the scan, without touching the 256 others */
	if (same_peer(&c->peers[c->peer_hint], netns, r)) {
		c->peers[c->peer_hint].last_used_ns = c->now_ns;
		return &c->peers[c->peer_hint];
	}
	for (int i = 0; i < NET_SLOTS; i++) {
		struct net_peer *p = &c->peers[i];

		if (same_peer(p, netns, r)) {
			p->last_used_ns = c->now_ns;
			c->peer_hint = (unsigned)i;
			return p;
		}
		if (!lru || !p->used || (lru->used && p->last_used_ns < lru->last_used_ns))
			lru = p;
	}
	if (!create || !lru)
		return NULL;
	c->peer_hint = (unsigned)(lru - c->peers);
	memset(lru, 0, sizeof(*lru));
	lru->used = true;
	lru->netns = netns;
	lru->key.family = r->family;
	lru->key.dport = r->dport;
	memcpy(lru->key.daddr, r->daddr, 16);
	lru->failed_cause = -1;
	lru->last_used_ns = c->now_ns;
	return lru;
}

/* The agent's own socket was seen in netns: refresh it, or take the slot
 * seen last the longest ago (free slots first). */
static void agent_netns_note(struct correlator *c, uint32_t netns)
{
	struct agent_netns *oldest = &c->agent_netns[0];

	if (!netns)
		return;
	for (int i = 0; i < AGENT_NETNS_SLOTS; i++) {
		struct agent_netns *a = &c->agent_netns[i];

		if (a->inum == netns) {
			a->last_ns = c->now_ns;
			return;
		}
		if (!a->inum || a->last_ns < oldest->last_ns)
			oldest = a;
		if (!a->inum)
			break;
	}
	oldest->inum = netns;
	oldest->last_ns = c->now_ns;
}

static bool agent_netns_has(const struct correlator *c, uint32_t netns)
{
	for (int i = 0; netns && i < AGENT_NETNS_SLOTS; i++) {
		const struct agent_netns *a = &c->agent_netns[i];

		if (a->inum == netns)
			return c->now_ns - a->last_ns <= AGENT_NETNS_TTL_NS;
	}
	return false;
}

/*
 * Does a socket event concern the agent? Its own socket (the kernel's set of
 * tracked agent processes: AEGIS_NET_AGENT), or a socket in a network
 * namespace the agent's sockets live in, where another process's failure to
 * reach an endpoint says something of the agent's path. Anything else (a
 * user's private namespace with its own rules) is not an agent matter.
 */
bool net_concerns_agent(struct correlator *c, uint32_t flags, uint32_t netns)
{
	if (flags & AEGIS_NET_AGENT) {
		agent_netns_note(c, netns);
		return true;
	}
	return agent_netns_has(c, netns);
}

static bool recent(const struct correlator *c, uint64_t ts)
{
	return ts && c->now_ns - ts <= c->cfg.net_window_ns;
}

static const char *proto_name(unsigned proto)
{
	return proto == 6 ? "tcp" : proto == 17 ? "udp" : "ip";
}

/* A diagnosis about a process and a remote endpoint. */
static struct diagnosis *net_diag(struct correlator *c, enum cause cause, const struct ev *e,
				  const struct aegis_tuple *remote, int err)
{
	struct proc *p = proc_find(c, e->hdr.tgid);
	struct diagnosis *d = diag_begin(c, cause, p);

	if (!p) {
		d->pid = e->hdr.tgid;
		memcpy(d->comm, e->hdr.comm, sizeof(d->comm));
		copy_str(d->process, sizeof(d->process), e->hdr.comm);
		memcpy(d->exe, e->exe, sizeof(d->exe));
		/* an impostor untracked after its judgement: its failures are not the agent's */
		d->impostor = proc_is_impostor(c, e->hdr.tgid);
		d->unverified = d->impostor;
	}
	d->has_peer = true;
	d->peer = *remote;
	d->err = err;
	{
		const char *name = dns_name_of(c, remote->family, remote->daddr);

		if (name)
			copy_str(d->qname, sizeof(d->qname), name);
	}
	return d;
}

static void describe_peer(const struct diagnosis *d, char *buf, size_t len)
{
	char a[64];

	if (d->qname[0])
		snprintf(buf, len, "%s (%s):%u/%s", d->qname,
			 addr_str(d->peer.family, d->peer.daddr, a, sizeof(a)), d->peer.dport,
			 proto_name(d->peer.proto));
	else if (d->peer.family == AF_INET6)
		snprintf(buf, len, "[%s]:%u/%s", addr_str(AF_INET6, d->peer.daddr, a, sizeof(a)),
			 d->peer.dport, proto_name(d->peer.proto));
	else
		snprintf(buf, len, "%s:%u/%s", addr_str(AF_INET, d->peer.daddr, a, sizeof(a)),
			 d->peer.dport, proto_name(d->peer.proto));
}

/* Appends s to buf (len bytes, o used), cut as snprintf cuts; the new o. */
static size_t put_str(char *buf, size_t len, size_t o, const char *s)
{
	size_t n = strlen(s);

	if (o + 1 >= len)
		return o;
	if (n > len - 1 - o)
		n = len - 1 - o;
	memcpy(buf + o, s, n);
	buf[o + n] = '\0';
	return o + n;
}

/* "%s (pid %u) -> %s: refused (RST)", without the format interpreter: the
 * summary of every refused connect of a storm. The same bytes as snprintf. */
static void refused_summary(char *buf, size_t len, const struct diagnosis *d, const char *where)
{
	char pid[16], *p = pid + sizeof(pid) - 1;
	uint32_t v = d->pid;
	size_t o = 0;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	buf[0] = '\0';
	o = put_str(buf, len, o, d->process);
	o = put_str(buf, len, o, " (pid ");
	o = put_str(buf, len, o, p);
	o = put_str(buf, len, o, ") -> ");
	o = put_str(buf, len, o, where);
	put_str(buf, len, o, ": refused (RST)");
}

/* describe_peer, from the text kept in the peer's slot when it was made from
 * the same protocol and name (the slot fixes family, address and port). */
static void describe_peer_cached(struct net_peer *peer, const struct diagnosis *d, char *buf, size_t len)
{
	if (peer && peer->where[0] && peer->where_proto == d->peer.proto &&
	    !strcmp(peer->where_qname, d->qname)) {
		copy_str(buf, len, peer->where);
		return;
	}
	describe_peer(d, buf, len);
	if (peer) {
		copy_str(peer->where, sizeof(peer->where), buf);
		peer->where_proto = d->peer.proto;
		copy_str(peer->where_qname, sizeof(peer->where_qname), d->qname);
	}
}

static void report_local_drop(struct correlator *c, struct net_peer *peer, const struct ev *failure,
			      const struct aegis_tuple *remote, int err)
{
	const struct ev *who = failure ? failure : &peer->drop;
	struct diagnosis *d;
	char where[96], eb[16];
	struct ev owner;

	if (!failure) {
		/* the drop ran in softirq: name the process that made the attempt */
		owner = peer->drop;
		owner.hdr.tgid = peer->attempt_tgid;
		memcpy(owner.hdr.comm, peer->attempt_comm, sizeof(owner.hdr.comm));
		if (peer->drop.drop.flags & AEGIS_NET_OWNER) {
			owner.hdr.tgid = peer->drop.drop.owner_tgid;
			memcpy(owner.hdr.comm, peer->drop.drop.owner_comm, sizeof(owner.hdr.comm));
		}
		owner.exe[0] = '\0';
		who = &owner;
	}
	d = net_diag(c, CAUSE_CONNECT_BLOCKED_LOCAL, who, remote, err);
	d->packets = peer->drops;
	snprintf(d->hook, sizeof(d->hook), "%s",
		 peer->drop.drop.flags & AEGIS_NET_INGRESS ? "INPUT" : "OUTPUT");
	describe_peer(d, where, sizeof(where));
	snprintf(d->summary, sizeof(d->summary),
		 "%s (pid %u) -> %s: dropped by this host's netfilter (%s, %s packets)%s%s",
		 d->process, d->pid, where, d->hook,
		 peer->drop.drop.flags & AEGIS_NET_INGRESS ? "replies" : "outgoing",
		 err ? "; connect failed with " : "", err ? errno_name(err, eb, sizeof(eb)) : "");
	diag_add_evidence(d, &peer->drop);
	if (failure)
		diag_add_evidence(d, failure);
	peer->failed_cause = CAUSE_CONNECT_BLOCKED_LOCAL;
	/* OUTPUT and INPUT drops are different rules: aggregate them apart */
	snprintf(where + strlen(where), sizeof(where) - strlen(where), " %s", d->hook);
	emit(c, d, where);
}

/* Classify a failed connection attempt; a local drop explains it first. */
static void report_failure(struct correlator *c, const struct ev *e, const struct aegis_tuple *remote,
			   uint32_t netns, int err, unsigned syn_retries, bool rst)
{
	struct net_peer *peer = peer_get(c, netns, remote, true);
	struct diagnosis *d;
	enum cause cause;
	char where[96], eb[16];

	if (peer && recent(c, peer->last_drop_ns)) {
		report_local_drop(c, peer, e, remote, err);
		return;
	}
	if (err == EPERM || err == EACCES)
		cause = CAUSE_CONNECT_BLOCKED_POLICY;
	else if (err == ECONNREFUSED || rst)
		cause = CAUSE_CONNECT_REFUSED;
	else if (err == EHOSTUNREACH || err == ENETUNREACH)
		cause = CAUSE_CONNECT_UNREACHABLE;
	else if (err == ETIMEDOUT || (err == 0 && syn_retries > 0))
		cause = CAUSE_CONNECT_TIMEOUT;
	else
		return; /* cancelled by the application, or an errno that says nothing of the path */

	d = net_diag(c, cause, e, remote, err ? err : ETIMEDOUT);
	if (e->hdr.type == AEGIS_EV_CONNECT && (e->connect.flags & AEGIS_NET_UNHOOKED) &&
	    !e->connect.tuple.family) {
		d->peer_unknown = true;
		copy_str(where, sizeof(where), "an address not known (refused before the kernel read it)");
	} else {
		describe_peer_cached(peer, d, where, sizeof(where));
	}
	switch (cause) {
	case CAUSE_CONNECT_BLOCKED_POLICY:
		/* what refused it is added from the live host (enrich.c, refusal.h) */
		snprintf(d->summary, sizeof(d->summary),
			 "%s (pid %u) -> %s: connect() failed with %s; netfilter dropped nothing",
			 d->process, d->pid, where, errno_name(err, eb, sizeof(eb)));
		break;
	case CAUSE_CONNECT_REFUSED:
		refused_summary(d->summary, sizeof(d->summary), d, where);
		break;
	case CAUSE_CONNECT_UNREACHABLE:
		snprintf(d->summary, sizeof(d->summary), "%s (pid %u) -> %s: unreachable (%s)",
			 d->process, d->pid, where, errno_name(err, eb, sizeof(eb)));
		break;
	default:
		snprintf(d->summary, sizeof(d->summary),
			 "%s (pid %u) -> %s: no answer after %u SYN retransmissions (ETIMEDOUT), "
			 "nothing dropped on this host", d->process, d->pid, where, syn_retries);
		break;
	}
	diag_add_evidence(d, e);
	if (peer)
		peer->failed_cause = (int)cause;
	emit(c, d, where);
}

static void report_sinkhole(struct correlator *c, const struct ev *e, const struct aegis_tuple *remote)
{
	struct diagnosis *d = net_diag(c, CAUSE_ENDPOINT_SINKHOLED, e, remote, 0);
	char where[96];

	describe_peer(d, where, sizeof(where));
	snprintf(d->summary, sizeof(d->summary),
		 "%s (pid %u) connects to %s, a sink instead of an Aegis endpoint", d->process,
		 d->pid, where);
	diag_add_evidence(d, e);
	emit(c, d, where);
}

static void note_attempt(struct correlator *c, const struct ev *e, const struct aegis_tuple *remote,
			 uint32_t netns, bool agent)
{
	struct net_peer *peer = peer_get(c, netns, remote, true);

	if (!peer)
		return;
	peer->last_attempt_ns = e->hdr.ts_ns;
	peer->attempt_tgid = e->hdr.tgid;
	peer->attempt_agent = agent;
	memcpy(peer->attempt_comm, e->hdr.comm, sizeof(peer->attempt_comm));
}

static bool is_endpoint_port(const struct correlator *c, uint16_t port)
{
	if (c->cfg.endpoints)
		return endpoints_port(c->cfg.endpoints, port);
	return port == 80 || port == 443 || port == 8080;
}

/* A sink on an endpoint port, unless the operator made that address an
 * endpoint (--endpoint 127.0.0.1/32: a local proxy, or a test). */
static bool is_sink_peer(const struct correlator *c, const struct aegis_tuple *remote)
{
	if (!addr_is_sink(remote->family, remote->daddr) || !is_endpoint_port(c, remote->dport))
		return false;
	return !(c->cfg.endpoints &&
		 endpoints_contains(c->cfg.endpoints, remote->family, remote->daddr));
}

void net_on_connect(struct correlator *c, const struct ev *e)
{
	const struct aegis_connect *cn = &e->connect;
	struct aegis_tuple remote = cn->tuple;
	bool agent = cn->flags & AEGIS_NET_AGENT;
	int err = errno_of_ret(cn->ret);
	struct net_peer *peer;

	if (!net_concerns_agent(c, cn->flags, cn->netns))
		return;
	/* a TCP sinkhole is seen at SYN_SENT, unless its connect began before
	 * sockops was attached (agent scope, on demand): then here; UDP only here */
	if (agent && is_sink_peer(c, &remote)) {
		if (cn->tuple.proto != 6 || (cn->flags & AEGIS_NET_UNARMED))
			report_sinkhole(c, e, &remote);
		return;
	}
	if (err == 0 || err == EINPROGRESS || err == EALREADY) {
		note_attempt(c, e, &remote, cn->netns, agent);
		return;
	}
	/* TCP already told us about this failure at SYN_SENT -> CLOSE */
	peer = peer_get(c, cn->netns, &remote, false);
	if (peer && peer->last_tcp_fail_ns && c->now_ns - peer->last_tcp_fail_ns <= DUP_WINDOW_NS)
		return;
	note_attempt(c, e, &remote, cn->netns, agent);
	report_failure(c, e, &remote, cn->netns, err, 0, false);
}

static void report_online(struct correlator *c, const struct ev *e, struct net_peer *peer,
			  const struct aegis_tuple *remote)
{
	struct diagnosis *d = net_diag(c, CAUSE_AGENT_ONLINE, e, remote, 0);
	char where[96];

	describe_peer(d, where, sizeof(where));
	snprintf(d->summary, sizeof(d->summary), "%s (pid %u) connected to %s again (after %s)",
		 d->process, d->pid, where, cause_code((enum cause)peer->failed_cause));
	d->explained_by = -1;
	diag_add_evidence(d, e);
	peer->failed_cause = -1;
	emit(c, d, where);
}

/*
 * An established connection whose data is not acknowledged: a path MTU black
 * hole when every segment lost is larger than what any path carries (the
 * handshake, small, passed), else a stall. From a retransmission event, or
 * from the close of a connection the kernel gave up on (ETIMEDOUT).
 */
static void report_stall(struct correlator *c, const struct ev *e, struct net_peer *peer,
			 const struct aegis_tuple *remote)
{
	bool v6 = remote->family == AF_INET6;
	const struct aegis_tcp_retrans *t = e->hdr.type == AEGIS_EV_TCP_RETRANS ? &e->retrans : NULL;
	unsigned hdr = v6 ? IP_TCP_HDR_V6 : IP_TCP_HDR_V4, floor = v6 ? MIN_PATH_MTU_V6 : MIN_PATH_MTU_V4;
	/* a segment larger than the MSS went out as several packets */
	unsigned smallest = t ? (t->mss && t->min_seg_len > t->mss ? t->mss : t->min_seg_len) : 0;
	bool mtu = smallest && smallest + hdr > floor;
	enum cause cause = mtu ? CAUSE_PATH_MTU_BLACKHOLE : CAUSE_CONNECTION_STALLED;
	struct diagnosis *d = net_diag(c, cause, e, remote, t ? 0 : ETIMEDOUT);
	char where[96];

	describe_peer_cached(peer, d, where, sizeof(where));
	if (!t)
		snprintf(d->summary, sizeof(d->summary),
			 "%s (pid %u) -> %s: established connection timed out (ETIMEDOUT): its data "
			 "was retransmitted until the kernel gave up, nothing dropped on this host",
			 d->process, d->pid, where);
	else if (mtu)
		snprintf(d->summary, sizeof(d->summary),
			 "%s (pid %u) -> %s: %u-byte segments (%u-byte packets) sent %u times over %.1f s, "
			 "none acknowledged, after the small handshake passed: large packets are lost on "
			 "the path (path MTU in use %u, MSS %u%s), nothing dropped on this host",
			 d->process, d->pid, where, smallest, smallest + hdr, t->retrans,
			 (double)(e->hdr.ts_ns - t->since_ns) / NSEC, t->pmtu, t->mss,
			 t->bytes_acked > 1 ? "; smaller data was acknowledged before" : "");
	else
		snprintf(d->summary, sizeof(d->summary),
			 "%s (pid %u) -> %s: established, %u bytes unacknowledged for %.1f s, sent %u "
			 "times in segments of %u bytes at most: the peer or the path stopped answering, "
			 "nothing dropped on this host",
			 d->process, d->pid, where, t->in_flight, (double)(e->hdr.ts_ns - t->since_ns) / NSEC,
			 t->retrans, t->max_seg_len);
	diag_add_evidence(d, e);
	if (peer) {
		peer->failed_cause = (int)cause;
		peer->stall_sock = t ? t->sock_id : e->tcp.sock_id;
		peer->stall_since_ns = t ? t->since_ns : 0;
	}
	emit(c, d, where);
}

void net_on_retrans(struct correlator *c, const struct ev *e)
{
	const struct aegis_tcp_retrans *t = &e->retrans;
	struct aegis_tuple remote;
	struct net_peer *peer;

	if (t->retrans < STALL_MIN_RETRANS || e->hdr.ts_ns < t->since_ns ||
	    e->hdr.ts_ns - t->since_ns < STALL_MIN_NS)
		return;
	if (!net_concerns_agent(c, t->flags, t->netns))
		return;
	remote_of(&t->tuple, false, &remote);
	if ((t->flags & AEGIS_NET_AGENT) && is_sink_peer(c, &remote))
		return;
	peer = peer_get(c, t->netns, &remote, true);
	/* once per stall: the same socket, the same unacknowledged data */
	if (peer && peer->stall_sock && peer->stall_sock == t->sock_id &&
	    peer->stall_since_ns == t->since_ns)
		return;
	if (peer && recent(c, peer->last_drop_ns))
		return; /* this host's netfilter drops them: said with its rule */
	report_stall(c, e, peer, &remote);
}

void net_on_tcp(struct correlator *c, const struct ev *e)
{
	const struct aegis_tcp *t = &e->tcp;
	struct aegis_tuple remote;
	struct net_peer *peer;
	bool rst = t->flags & AEGIS_NET_RST;
	int err = t->sk_err ? t->sk_err : t->sk_err_soft;

	if (!net_concerns_agent(c, t->flags, t->netns))
		return;
	remote_of(&t->tuple, false, &remote);
	if (t->oldstate == TCP_CLOSE && t->newstate == TCP_SYN_SENT) {
		/* late (AEGIS_NET_UNARMED): said at its connect already */
		if ((t->flags & AEGIS_NET_AGENT) && !(t->flags & AEGIS_NET_UNARMED) &&
		    is_sink_peer(c, &remote))
			report_sinkhole(c, e, &remote);
		note_attempt(c, e, &remote, t->netns, t->flags & AEGIS_NET_AGENT);
		return;
	}
	/* what happens to a connection to a sink is explained by the sinkhole */
	if ((t->flags & AEGIS_NET_AGENT) && is_sink_peer(c, &remote))
		return;
	peer = peer_get(c, t->netns, &remote, true);
	if (t->oldstate == TCP_SYN_SENT && t->newstate == TCP_ESTABLISHED) {
		if (t->flags & AEGIS_NET_AGENT)
			active_peer_up(c, &remote); /* a failure to reach it ends */
		if (peer && peer->failed_cause >= 0 && (t->flags & AEGIS_NET_AGENT))
			report_online(c, e, peer, &remote);
		else if (peer)
			peer->failed_cause = -1;
		return;
	}
	if (t->oldstate == TCP_SYN_SENT && t->newstate == TCP_CLOSE) {
		if (peer)
			peer->last_tcp_fail_ns = c->now_ns;
		report_failure(c, e, &remote, t->netns, err, t->syn_retries, rst);
		return;
	}
	if (t->oldstate == TCP_ESTABLISHED && t->newstate == TCP_CLOSE && !rst && err == ETIMEDOUT) {
		/* the kernel gave up retransmitting: a stall, unless said already */
		if (peer && peer->stall_sock && peer->stall_sock == t->sock_id)
			return;
		if (peer && recent(c, peer->last_drop_ns))
			return; /* this host's netfilter: said with its rule */
		report_stall(c, e, peer, &remote);
		return;
	}
	if (t->oldstate == TCP_ESTABLISHED && t->newstate == TCP_CLOSE && rst) {
		struct diagnosis *d = net_diag(c, CAUSE_CONNECTION_RESET, e, &remote, ECONNRESET);
		char where[96];

		describe_peer(d, where, sizeof(where));
		snprintf(d->summary, sizeof(d->summary),
			 "%s (pid %u) -> %s: established connection reset by the peer", d->process,
			 d->pid, where);
		diag_add_evidence(d, e);
		emit(c, d, where);
	}
}

void net_on_drop(struct correlator *c, const struct ev *e)
{
	const struct aegis_drop *dr = &e->drop;
	bool ingress = dr->flags & AEGIS_NET_INGRESS;
	struct aegis_tuple remote;
	struct net_peer *peer;
	bool local;

	/* dropped on a device of another namespace than its socket's (the far
	 * end of a veth, a router namespace): not this host's firewall for it */
	if (dr->flags & AEGIS_NET_ELSEWHERE) {
		c->stats.drops_elsewhere++;
		return;
	}
	remote_of(&dr->tuple, ingress, &remote);
	if (remote.dport == 53 || (!ingress && dr->tuple.sport == 53))
		return; /* DNS is the DNS path's business */
	/* before any slot is taken: another user's drops must not evict the agent's peers */
	if (!net_concerns_agent(c, dr->flags, dr->netns))
		return;
	peer = peer_get(c, dr->netns, &remote, dr->flags & AEGIS_NET_OWNER);
	/* only a drop in the namespace that made the attempt is a local drop; one
	 * in another namespace (a container, the far end of a test) is not */
	local = peer && ((dr->flags & AEGIS_NET_OWNER) || recent(c, peer->last_attempt_ns));
	if (!local)
		return;
	if (!recent(c, peer->last_drop_ns))
		peer->drops = 0;
	peer->drop = *e; /* the latest: a rule may have changed direction */
	if (dr->flags & AEGIS_NET_OWNER) {
		peer->attempt_tgid = dr->owner_tgid;
		memcpy(peer->attempt_comm, dr->owner_comm, sizeof(peer->attempt_comm));
	}
	peer->last_drop_ns = c->now_ns;
	peer->drops++;
	report_local_drop(c, peer, NULL, &remote, 0);
}
