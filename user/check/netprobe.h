/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Active network probes for `aegismon check`: DNS queries to one nameserver,
 * TCP connects, ICMP echoes and a small HTTP GET. Each runner starts all its
 * probes at once and waits on them together, so a black-holed network costs
 * one timeout, not one per probe. Errors are -errno: -ETIMEDOUT (no answer),
 * -ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, -EPERM/-EACCES (a local policy).
 */
#ifndef AEGISMON_NETPROBE_H
#define AEGISMON_NETPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "http.h"

struct dns_probe {
	int family;                  /* of server */
	uint8_t server[16];
	uint16_t port;               /* 53 */
	char name[DNS_NAME_MAX];
	uint16_t qtype;
	int err;                     /* 0: a reply to our question arrived */
	double ms;                   /* until the reply or the error */
	struct dns_msg reply;
};

struct tcp_probe {
	int family;
	uint8_t addr[16];
	uint16_t port;
	int err;                     /* 0: connected */
	double ms;
};

/* The largest packet a probe sends: jumbo frames; a bigger interface MTU
 * (loopback's 65536) is searched up to this size only. */
#define NETPROBE_MAX_PACKET 9216

struct icmp_probe {
	int family;
	uint8_t addr[16];
	size_t payload;              /* bytes after the ICMP header (the ping -s) */
	bool dont_fragment;          /* DF set (IPv6: never fragmented here), sent up to
				      * the interface MTU whatever PMTU was learned */
	int err;                     /* 0: echo reply; -EPROTONOSUPPORT: no raw or ping socket;
				      * -EMSGSIZE: too big for this host or for a router */
	unsigned mtu;                /* with -EMSGSIZE: the MTU given (0: none) */
	bool mtu_from_router;        /* that MTU came in an ICMP "fragmentation needed" or
				      * "packet too big", not from this host */
	double ms;
};

void dns_probe_run(struct dns_probe *p, int n, unsigned timeout_ms);
void tcp_probe_run(struct tcp_probe *p, int n, unsigned timeout_ms);
void icmp_probe_run(struct icmp_probe *p, int n, unsigned timeout_ms);

/* ---- path MTU ---- */

#define PMTU_MAX_PROBES 8       /* per address */
#define PMTU_CLOSE_ENOUGH 8     /* bytes between passed and failed that end the search */
#define PMTU_WAIT_MS 500        /* a probe's wait before any reply was seen */
#define PMTU_MIN_WAIT_MS 200    /* ... and at least this once replies came */

/*
 * A binary search for the largest IP packet that gets an echo reply with DF
 * set, between the minimum every path must carry (576 for IPv4, 1280 for
 * IPv6) and the outgoing interface's MTU. The stepping (init, next, feed) is
 * pure; path_mtu_search() sends the probes, one round for every address at
 * once.
 */
struct pmtu_search {
	int family;
	uint8_t addr[16];
	unsigned interface_mtu;      /* the route's device (0: unknown, nothing probed) */
	bool small_first;            /* the seed's 1000-byte ping failed: try the minimum first */
	bool done;
	unsigned lo;                 /* largest size that passed (0: none yet) */
	unsigned hi;                 /* smallest size that failed (above the top: none) */
	unsigned candidate;          /* a size a router or this host named: tried next */
	unsigned probes;
	unsigned reported_mtu;       /* from an ICMP frag needed / packet too big (0: none) */
	int smallest_err;            /* how the smallest size failed (0: it passed or untried) */
	double slowest_ms;           /* slowest echo reply, for the wait */
	double ms;                   /* from the start to the end of this search */
};

/* Bounds for a family: the minimum every path carries, the top probed. */
unsigned pmtu_floor(int family);
unsigned pmtu_top(const struct pmtu_search *s);
void pmtu_search_init(struct pmtu_search *s, int family, const uint8_t *addr,
		      unsigned interface_mtu, bool small_first);
/* The next IP packet size to probe; 0 when the search is over. */
unsigned pmtu_search_next(const struct pmtu_search *s);
/* The outcome of a probe of size bytes (err, mtu as in struct icmp_probe). */
void pmtu_search_feed(struct pmtu_search *s, unsigned size, const struct icmp_probe *p);
/* The largest size that passed, 0 when none did. */
static inline unsigned pmtu_largest(const struct pmtu_search *s) { return s->lo; }
/* How long a probe of this search may wait for its reply. */
unsigned pmtu_wait_ms(const struct pmtu_search *s);
/* Run the searches (at most 64) until each is over or budget_ms has passed. */
void path_mtu_search(struct pmtu_search *s, int n, unsigned budget_ms);

/* The MTU of the device the route toward addr leaves by (a netlink route
 * lookup, then SIOCGIFMTU; the route's MTU from a connected UDP socket if
 * that fails). 0, or -errno. */
int netprobe_interface_mtu(int family, const uint8_t *addr, unsigned *mtu);

/* What one message read with MSG_ERRQUEUE says about a DF probe. */
struct pmtu_err {
	int err;                     /* -EMSGSIZE, -EHOSTUNREACH, ... (the kernel's errno) */
	unsigned mtu;                /* with -EMSGSIZE: the MTU given, 0 if none or implausible */
	bool from_router;            /* an ICMP error, not this host's own refusal */
};

/*
 * Parse one error-queue message of a DF echo probe: control/controllen are
 * its ancillary data (the IP_RECVERR or IPV6_RECVERR sock_extended_err),
 * data/datalen the start of the probe as a router quoted it back. want_id:
 * the echo id a raw socket sent, -1 where the kernel chose it (ping
 * sockets). 1 and *out filled when the message is about this probe, 0 when
 * not (another program's ping, an unknown origin).
 */
int pmtu_errqueue_parse(int family, const uint8_t *control, size_t controllen,
			const uint8_t *data, size_t datalen, int want_id, struct pmtu_err *out);

/* The output interface index in an RTM_NEWROUTE reply to RTM_GETROUTE with
 * this sequence number: > 0, or -errno (the kernel's NLMSG_ERROR, -ENOENT
 * when the reply has none). */
int route_reply_oif(const uint8_t *buf, size_t len, uint32_t seq);

/*
 * One HTTP/1.0 request (http.h) to addr:port, and its answer within
 * timeout_ms: 0 with ans->status (any status) and the body in body
 * (NUL-terminated, cut to len - 1 bytes: ans->body_cut), or -errno: the
 * request's own -EINVAL/-ENOSPC, the connection's (-ECONNREFUSED,
 * -ECONNRESET, -ETIMEDOUT, ...), the answer's (-EPROTO, -EBADMSG, -E2BIG,
 * -ENODATA). No allocation; at most HTTP_RESPONSE_MAX bytes are read.
 */
int http_request(int family, const uint8_t *addr, uint16_t port, const struct http_request *req,
		 unsigned timeout_ms, struct http_answer *ans, char *body, size_t len);

/* "refused", "timeout", "host unreachable", ... for a probe error */
const char *netprobe_err_name(int err);

#endif
