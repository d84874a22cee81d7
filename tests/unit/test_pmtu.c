// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The path MTU search of `aegismon check`: the binary search's stepping on
 * simulated paths, the error-queue and netlink reply parsers, and live
 * searches on loopback (the host's, and one in a namespace of its own with a
 * smaller MTU). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "netprobe.h"

static const uint8_t addr4[4] = { 100, 100, 77, 2 };

/* A path for the simulation: sizes up to mtu pass; above it a router says
 * so (reports), or the packet is lost without a word. */
struct sim_path {
	unsigned mtu;
	bool reports;
	double rtt_ms;
};

static void sim_probe(const struct sim_path *path, unsigned size, struct icmp_probe *p)
{
	memset(p, 0, sizeof(*p));
	if (size <= path->mtu) {
		p->ms = path->rtt_ms;
		return;
	}
	p->err = path->reports ? -EMSGSIZE : -ETIMEDOUT;
	p->mtu = path->reports ? path->mtu : 0;
	p->mtu_from_router = path->reports;
	p->ms = path->reports ? path->rtt_ms : 500;
}

/* Run a search to its end on a simulated path; the sizes probed in order. */
static unsigned simulate(struct pmtu_search *s, const struct sim_path *path, unsigned *sizes)
{
	unsigned n = 0, size;

	while ((size = pmtu_search_next(s)) != 0) {
		struct icmp_probe p;

		assert_true(n < PMTU_MAX_PROBES);
		sizes[n++] = size;
		sim_probe(path, size, &p);
		pmtu_search_feed(s, size, &p);
	}
	assert_true(s->done);
	return n;
}

static void test_clean_path_one_probe(void **state)
{
	struct sim_path path = { .mtu = 1500, .rtt_ms = 1 };
	struct pmtu_search s;
	unsigned sizes[PMTU_MAX_PROBES];

	(void)state;
	pmtu_search_init(&s, AF_INET, addr4, 1500, false);
	assert_int_equal(simulate(&s, &path, sizes), 1);
	assert_int_equal(sizes[0], 1500);
	assert_int_equal(pmtu_largest(&s), 1500);
	assert_int_equal(s.reported_mtu, 0);
	/* the seed's ping lost: the minimum first, then the top */
	pmtu_search_init(&s, AF_INET, addr4, 1500, true);
	assert_int_equal(simulate(&s, &path, sizes), 2);
	assert_int_equal(sizes[0], 576);
	assert_int_equal(sizes[1], 1500);
	assert_int_equal(pmtu_largest(&s), 1500);
}

/* Every path MTU from the minimum to the interface's, silent routers: the
 * result passed, is at most 15 bytes short, and took at most 8 probes. */
static void test_silent_black_hole_every_mtu(void **state)
{
	(void)state;
	for (int small_first = 0; small_first < 2; small_first++)
		for (unsigned mtu = 576; mtu <= 1500; mtu++) {
			struct sim_path path = { .mtu = mtu, .rtt_ms = 0.2 };
			struct pmtu_search s;
			unsigned sizes[PMTU_MAX_PROBES], n;

			pmtu_search_init(&s, AF_INET, addr4, 1500, small_first);
			n = simulate(&s, &path, sizes);
			assert_true(n <= PMTU_MAX_PROBES);
			assert_true(pmtu_largest(&s) <= mtu);
			assert_true(pmtu_largest(&s) + 16 > mtu);
			assert_true(pmtu_largest(&s) >= 576);
			for (unsigned k = 0; k < n; k++) /* never outside the bounds */
				assert_true(sizes[k] >= 576 && sizes[k] <= 1500);
		}
}

/* The e2e scenario's path: IPv4 packets above 1000 bytes dropped. */
static void test_thousand_byte_path(void **state)
{
	struct sim_path path = { .mtu = 1000, .rtt_ms = 0.1 };
	struct pmtu_search s;
	unsigned sizes[PMTU_MAX_PROBES];
	static const unsigned want[] = { 576, 1500, 1038, 807, 922, 980, 1009, 994 };

	(void)state;
	pmtu_search_init(&s, AF_INET, addr4, 1500, true);
	assert_int_equal(simulate(&s, &path, sizes), 8);
	for (size_t k = 0; k < 8; k++)
		assert_int_equal(sizes[k], want[k]);
	assert_int_equal(pmtu_largest(&s), 994);
	assert_int_equal(s.hi, 1009);
}

static void test_router_reports_mtu(void **state)
{
	struct sim_path path = { .mtu = 1200, .reports = true, .rtt_ms = 1 };
	struct pmtu_search s;
	unsigned sizes[PMTU_MAX_PROBES];

	(void)state;
	pmtu_search_init(&s, AF_INET, addr4, 1500, false);
	assert_int_equal(simulate(&s, &path, sizes), 2);
	assert_int_equal(sizes[1], 1200); /* the router's word, tried at once */
	assert_int_equal(pmtu_largest(&s), 1200);
	assert_int_equal(s.reported_mtu, 1200);
	/* with the minimum first: 576, 1500 (too big, 1200 said), 1200 */
	pmtu_search_init(&s, AF_INET, addr4, 1500, true);
	assert_int_equal(simulate(&s, &path, sizes), 3);
	assert_int_equal(pmtu_largest(&s), 1200);
}

/* A router that reports a size which then fails too (a second, silent hop):
 * the search goes on below it. An implausible report is no candidate. */
static void test_report_then_loss(void **state)
{
	struct pmtu_search s;
	struct icmp_probe p = { .err = -EMSGSIZE, .mtu = 1400, .mtu_from_router = true };
	struct icmp_probe lost = { .err = -ETIMEDOUT, .ms = 500 };
	struct icmp_probe ok = { .err = 0, .ms = 1 };

	(void)state;
	pmtu_search_init(&s, AF_INET, addr4, 1500, false);
	assert_int_equal(pmtu_search_next(&s), 1500);
	pmtu_search_feed(&s, 1500, &p);
	assert_int_equal(pmtu_search_next(&s), 1400);
	pmtu_search_feed(&s, 1400, &lost);
	assert_int_equal(s.hi, 1400);
	assert_int_equal(pmtu_search_next(&s), 576);
	pmtu_search_feed(&s, 576, &ok);
	assert_int_equal(pmtu_search_next(&s), 576 + (1400 - 576) / 2);
	assert_int_equal(s.reported_mtu, 1400);
	/* a frag needed "MTU" at or above the size probed says nothing */
	pmtu_search_init(&s, AF_INET, addr4, 1500, false);
	p.mtu = 1500;
	pmtu_search_feed(&s, 1500, &p);
	assert_int_equal(pmtu_search_next(&s), 576);
}

static void test_this_host_refuses(void **state)
{
	struct pmtu_search s;
	struct icmp_probe local = { .err = -EMSGSIZE, .mtu = 1400 };
	struct icmp_probe ok = { .err = 0, .ms = 1 };

	(void)state;
	/* the device MTU read was higher than the kernel's: its MTU next */
	pmtu_search_init(&s, AF_INET, addr4, 1500, false);
	pmtu_search_feed(&s, 1500, &local);
	assert_int_equal(s.reported_mtu, 0);
	assert_int_equal(pmtu_search_next(&s), 1400);
	pmtu_search_feed(&s, 1400, &ok);
	assert_true(s.done);
	assert_int_equal(pmtu_largest(&s), 1400);
	assert_int_equal(s.probes, 2);
}

static void test_nothing_passes(void **state)
{
	struct sim_path path = { .mtu = 0 };
	struct pmtu_search s;
	unsigned sizes[PMTU_MAX_PROBES];

	(void)state;
	pmtu_search_init(&s, AF_INET, addr4, 1500, true);
	assert_int_equal(simulate(&s, &path, sizes), 1); /* the minimum, lost: over */
	assert_int_equal(pmtu_largest(&s), 0);
	assert_int_equal(s.smallest_err, -ETIMEDOUT);
	pmtu_search_init(&s, AF_INET, addr4, 1500, false);
	assert_int_equal(simulate(&s, &path, sizes), 2);
	assert_int_equal(pmtu_largest(&s), 0);
}

static void test_no_socket_ends(void **state)
{
	struct pmtu_search s;
	struct icmp_probe p = { .err = -EPROTONOSUPPORT };

	(void)state;
	pmtu_search_init(&s, AF_INET, addr4, 1500, false);
	pmtu_search_feed(&s, 1500, &p);
	assert_true(s.done);
	assert_int_equal(pmtu_search_next(&s), 0);
	assert_int_equal(s.smallest_err, -EPROTONOSUPPORT);
}

/* A loss below a size that passed is chance: it moves no bound. */
static void test_loss_below_passed(void **state)
{
	struct pmtu_search s;
	struct icmp_probe ok = { .ms = 1 }, lost = { .err = -ETIMEDOUT };

	(void)state;
	pmtu_search_init(&s, AF_INET, addr4, 1500, true);
	pmtu_search_feed(&s, 576, &ok);
	pmtu_search_feed(&s, 1500, &lost);
	pmtu_search_feed(&s, 1038, &ok);
	pmtu_search_feed(&s, 700, &lost);
	assert_int_equal(pmtu_largest(&s), 1038);
	assert_int_equal(s.hi, 1500);
	assert_false(s.done);
}

static void test_bounds(void **state)
{
	struct pmtu_search s;
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct icmp_probe ok = { .ms = 1 };

	(void)state;
	assert_int_equal(pmtu_floor(AF_INET), 576);
	assert_int_equal(pmtu_floor(AF_INET6), 1280);
	/* unknown interface MTU: nothing to search */
	pmtu_search_init(&s, AF_INET, addr4, 0, false);
	assert_true(s.done);
	assert_int_equal(pmtu_search_next(&s), 0);
	/* IPv6 on a 1280-byte link: one size only */
	pmtu_search_init(&s, AF_INET6, a6, 1280, true);
	assert_int_equal(pmtu_search_next(&s), 1280);
	pmtu_search_feed(&s, 1280, &ok);
	assert_true(s.done);
	/* IPv6: the minimum is 1280 */
	pmtu_search_init(&s, AF_INET6, a6, 1500, true);
	assert_int_equal(pmtu_search_next(&s), 1280);
	/* loopback's 65536: probed up to the jumbo size only */
	pmtu_search_init(&s, AF_INET, addr4, 65536, false);
	assert_int_equal(pmtu_top(&s), NETPROBE_MAX_PACKET);
	assert_int_equal(pmtu_search_next(&s), NETPROBE_MAX_PACKET);
	/* an interface below the IPv4 minimum: its MTU is both ends */
	pmtu_search_init(&s, AF_INET, addr4, 500, true);
	assert_int_equal(pmtu_search_next(&s), 500);
}

static void test_wait(void **state)
{
	struct pmtu_search s;
	struct icmp_probe ok = { .ms = 0.1 };

	(void)state;
	pmtu_search_init(&s, AF_INET, addr4, 1500, true);
	assert_int_equal(pmtu_wait_ms(&s), PMTU_WAIT_MS); /* nothing heard yet */
	pmtu_search_feed(&s, 576, &ok);
	assert_int_equal(pmtu_wait_ms(&s), PMTU_MIN_WAIT_MS);
	ok.ms = 80; /* four round trips and a margin */
	pmtu_search_feed(&s, 900, &ok);
	assert_int_equal(pmtu_wait_ms(&s), 420);
	ok.ms = 300;
	pmtu_search_feed(&s, 1000, &ok);
	assert_int_equal(pmtu_wait_ms(&s), PMTU_WAIT_MS);
}

/* ---- the error queue ---- */

struct errmsg {
	union {
		struct cmsghdr align;
		uint8_t buf[256];
	} control;
	size_t len;
};

static void add_cmsg(struct errmsg *m, int level, int type, const void *data, size_t n)
{
	struct cmsghdr *cm = (struct cmsghdr *)(m->control.buf + m->len);

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(n);
	memcpy(CMSG_DATA(cm), data, n);
	m->len += CMSG_SPACE(n);
}

static void add_ee(struct errmsg *m, int family, uint8_t origin, uint32_t err, uint8_t type,
		   uint8_t code, uint32_t info)
{
	struct sock_extended_err ee = { .ee_errno = err, .ee_origin = origin, .ee_type = type,
					.ee_code = code, .ee_info = info };

	add_cmsg(m, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		 family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR, &ee, sizeof(ee));
}

static void test_errqueue_frag_needed(void **state)
{
	uint8_t echo[8] = { ICMP_ECHO, 0, 0, 0, 0x12, 0x34, 0, 1 };
	struct errmsg m = { .len = 0 };
	struct pmtu_err e;

	(void)state;
	add_ee(&m, AF_INET, SO_EE_ORIGIN_ICMP, EMSGSIZE, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1400);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 0x1234, &e), 1);
	assert_int_equal(e.err, -EMSGSIZE);
	assert_int_equal(e.mtu, 1400);
	assert_true(e.from_router);
	/* another program's ping (another id), or not an echo at all: not ours */
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 0x1235, &e), 0);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 7, 0x1234, &e), 0);
	echo[0] = ICMP_ECHOREPLY;
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 0x1234, &e), 0);
	echo[0] = ICMP_ECHO;
	/* a ping socket: the kernel chose the id and matched it already */
	echo[4] = 0x99;
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, -1, &e), 1);
	/* an old router's frag needed without an MTU; a nonsense one */
	m.len = 0;
	add_ee(&m, AF_INET, SO_EE_ORIGIN_ICMP, EMSGSIZE, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 0);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, -1, &e), 1);
	assert_int_equal(e.err, -EMSGSIZE);
	assert_int_equal(e.mtu, 0);
	m.len = 0;
	add_ee(&m, AF_INET, SO_EE_ORIGIN_ICMP, EMSGSIZE, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 70000);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, -1, &e), 1);
	assert_int_equal(e.mtu, 0);
}

static void test_errqueue_other_errors(void **state)
{
	uint8_t echo[8] = { ICMP_ECHO, 0, 0, 0, 0, 7, 0, 1 };
	struct errmsg m = { .len = 0 };
	struct pmtu_err e;
	int one = 1;

	(void)state;
	/* host unreachable from a router: an error, no MTU */
	add_ee(&m, AF_INET, SO_EE_ORIGIN_ICMP, EHOSTUNREACH, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 7, &e), 1);
	assert_int_equal(e.err, -EHOSTUNREACH);
	assert_int_equal(e.mtu, 0);
	assert_true(e.from_router);
	/* this host's refusal: the device MTU, no data to match */
	m.len = 0;
	add_ee(&m, AF_INET, SO_EE_ORIGIN_LOCAL, EMSGSIZE, 0, 0, 1500);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, NULL, 0, 7, &e), 1);
	assert_int_equal(e.err, -EMSGSIZE);
	assert_int_equal(e.mtu, 1500);
	assert_false(e.from_router);
	/* another cmsg first, then the error */
	m.len = 0;
	add_cmsg(&m, IPPROTO_IP, IP_TTL, &one, sizeof(one));
	add_ee(&m, AF_INET, SO_EE_ORIGIN_ICMP, EMSGSIZE, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1280);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 7, &e), 1);
	assert_int_equal(e.mtu, 1280);
	/* an IPv6 error on an IPv4 probe, an unknown origin, no errno: not ours */
	m.len = 0;
	add_ee(&m, AF_INET6, SO_EE_ORIGIN_ICMP6, EMSGSIZE, ICMP6_PACKET_TOO_BIG, 0, 1280);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 7, &e), 0);
	m.len = 0;
	add_ee(&m, AF_INET, SO_EE_ORIGIN_TIMESTAMPING, ENOMSG, 0, 0, 0);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 7, &e), 0);
	m.len = 0;
	add_ee(&m, AF_INET, SO_EE_ORIGIN_ICMP, 0, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1280);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 7, &e), 0);
	/* cut or lying lengths */
	m.len = 0;
	add_ee(&m, AF_INET, SO_EE_ORIGIN_ICMP, EMSGSIZE, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, 1280);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, CMSG_LEN(4), echo, 8, 7, &e), 0);
	m.control.align.cmsg_len = 4096;
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 7, &e), 0);
	m.control.align.cmsg_len = 2;
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, m.len, echo, 8, 7, &e), 0);
	assert_int_equal(pmtu_errqueue_parse(AF_INET, m.control.buf, 0, echo, 8, 7, &e), 0);
}

static void test_errqueue_ipv6(void **state)
{
	uint8_t echo[8] = { ICMP6_ECHO_REQUEST, 0, 0, 0, 0xab, 0xcd, 0, 1 };
	struct errmsg m = { .len = 0 };
	struct pmtu_err e;

	(void)state;
	add_ee(&m, AF_INET6, SO_EE_ORIGIN_ICMP6, EMSGSIZE, ICMP6_PACKET_TOO_BIG, 0, 1400);
	assert_int_equal(pmtu_errqueue_parse(AF_INET6, m.control.buf, m.len, echo, 8, 0xabcd, &e), 1);
	assert_int_equal(e.err, -EMSGSIZE);
	assert_int_equal(e.mtu, 1400);
	assert_true(e.from_router);
	/* below the IPv6 minimum: no MTU a link could have */
	m.len = 0;
	add_ee(&m, AF_INET6, SO_EE_ORIGIN_ICMP6, EMSGSIZE, ICMP6_PACKET_TOO_BIG, 0, 1000);
	assert_int_equal(pmtu_errqueue_parse(AF_INET6, m.control.buf, m.len, echo, 8, 0xabcd, &e), 1);
	assert_int_equal(e.mtu, 0);
	/* an IPv4 echo quoted on an IPv6 probe */
	echo[0] = ICMP_ECHO;
	assert_int_equal(pmtu_errqueue_parse(AF_INET6, m.control.buf, m.len, echo, 8, 0xabcd, &e), 0);
}

/* ---- the netlink route reply ---- */

struct nlbuf {
	union {
		struct nlmsghdr align;
		uint8_t buf[512];
	} u;
	size_t len;
};

static struct nlmsghdr *nl_put(struct nlbuf *b, uint16_t type, uint32_t seq, size_t payload)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)(b->u.buf + b->len);

	memset(nh, 0, NLMSG_SPACE(payload));
	nh->nlmsg_len = (uint32_t)NLMSG_LENGTH(payload);
	nh->nlmsg_type = type;
	nh->nlmsg_seq = seq;
	b->len += NLMSG_SPACE(payload);
	return nh;
}

static void rta_put(struct nlbuf *b, struct nlmsghdr *nh, uint16_t type, const void *data, size_t n)
{
	struct rtattr *ra = (struct rtattr *)(b->u.buf + b->len);

	ra->rta_type = type;
	ra->rta_len = (unsigned short)RTA_LENGTH(n);
	memcpy(RTA_DATA(ra), data, n);
	b->len += RTA_SPACE(n);
	nh->nlmsg_len += (uint32_t)RTA_SPACE(n);
}

static void test_route_reply(void **state)
{
	struct nlbuf b = { .len = 0 };
	struct nlmsghdr *nh;
	uint32_t table = 254, oif = 7;
	uint8_t dst[4] = { 100, 100, 77, 2 };

	(void)state;
	nh = nl_put(&b, RTM_NEWROUTE, 42, sizeof(struct rtmsg));
	rta_put(&b, nh, RTA_TABLE, &table, 4);
	rta_put(&b, nh, RTA_DST, dst, 4);
	rta_put(&b, nh, RTA_OIF, &oif, 4);
	assert_int_equal(route_reply_oif(b.u.buf, b.len, 42), 7);
	assert_int_equal(route_reply_oif(b.u.buf, b.len, 43), -ENOMSG);
	/* cut inside an attribute; a message longer than the buffer */
	assert_int_equal(route_reply_oif(b.u.buf, b.len - 2, 42), -EBADMSG);
	assert_int_equal(route_reply_oif(b.u.buf, 3, 42), -ENOMSG);
	/* a route without a device (blackhole) */
	b.len = 0;
	nh = nl_put(&b, RTM_NEWROUTE, 42, sizeof(struct rtmsg));
	rta_put(&b, nh, RTA_TABLE, &table, 4);
	assert_int_equal(route_reply_oif(b.u.buf, b.len, 42), -ENODEV);
	/* the kernel's error; another request's message first */
	b.len = 0;
	nl_put(&b, RTM_NEWROUTE, 41, sizeof(struct rtmsg));
	nh = nl_put(&b, NLMSG_ERROR, 42, sizeof(struct nlmsgerr));
	((struct nlmsgerr *)NLMSG_DATA(nh))->error = -ENETUNREACH;
	assert_int_equal(route_reply_oif(b.u.buf, b.len, 42), -ENETUNREACH);
	((struct nlmsgerr *)NLMSG_DATA(nh))->error = 5;
	assert_int_equal(route_reply_oif(b.u.buf, b.len, 42), -EPROTO);
	/* an interface index of zero is no device */
	b.len = 0;
	oif = 0;
	nh = nl_put(&b, RTM_NEWROUTE, 42, sizeof(struct rtmsg));
	rta_put(&b, nh, RTA_OIF, &oif, 4);
	assert_int_equal(route_reply_oif(b.u.buf, b.len, 42), -EBADMSG);
}

/* ---- live, on loopback only ---- */

static void test_loopback(void **state)
{
	uint8_t lo[4] = { 127, 0, 0, 1 };
	unsigned mtu = 0;
	struct pmtu_search s;

	(void)state;
	/* a route lookup: nothing is sent */
	assert_int_equal(netprobe_interface_mtu(AF_INET, lo, &mtu), 0);
	assert_true(mtu >= 1500);
	pmtu_search_init(&s, AF_INET, lo, mtu, false);
	path_mtu_search(&s, 1, 2000);
	if (s.smallest_err == -EPROTONOSUPPORT || s.smallest_err == -EPERM ||
	    s.smallest_err == -EACCES) {
		printf("# no raw or ping socket here: the live search is skipped\n");
		return;
	}
	/* loopback carries every size: the top at once */
	assert_int_equal(s.probes, 1);
	assert_int_equal(pmtu_largest(&s), pmtu_top(&s));
	assert_true(s.done);
}

/* In a network namespace of its own (only lo, MTU 1300): this host's own
 * EMSGSIZE, with the MTU from the error queue. Exit status: 0 as expected,
 * 77 no namespace here, else the step that failed. */
static int local_emsgsize_child(void)
{
	uint8_t lo[4] = { 127, 0, 0, 1 }, lo6[16] = { [15] = 1 };
	struct ifreq ifr;
	struct icmp_probe p;
	struct pmtu_search s;
	unsigned mtu = 0;
	int fd;

	if (unshare(CLONE_NEWNET))
		return 77;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	ifr.ifr_mtu = 1300;
	if (fd < 0 || ioctl(fd, SIOCSIFMTU, &ifr))
		return 2;
	ifr.ifr_flags = IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		return 3;
	close(fd);
	if (netprobe_interface_mtu(AF_INET, lo, &mtu) || mtu != 1300)
		return 4;
	memset(&p, 0, sizeof(p));
	p.family = AF_INET;
	memcpy(p.addr, lo, 4);
	p.payload = 1500 - 28;
	p.dont_fragment = true;
	icmp_probe_run(&p, 1, 500);
	if (p.err == -EPROTONOSUPPORT)
		return 77;
	if (p.err != -EMSGSIZE || p.mtu != 1300 || p.mtu_from_router)
		return 5;
	/* an interface MTU read too high: the kernel's word corrects it */
	pmtu_search_init(&s, AF_INET, lo, 1500, false);
	path_mtu_search(&s, 1, 2000);
	if (pmtu_largest(&s) != 1300 || s.probes != 2 || s.reported_mtu)
		return 6;
	/* the same over IPv6 (IPV6_DONTFRAG), where the host has it */
	if (netprobe_interface_mtu(AF_INET6, lo6, &mtu))
		return 0;
	if (mtu != 1300)
		return 7;
	memset(&p, 0, sizeof(p));
	p.family = AF_INET6;
	memcpy(p.addr, lo6, 16);
	p.payload = 1500 - 48;
	p.dont_fragment = true;
	icmp_probe_run(&p, 1, 500);
	if (p.err != -EMSGSIZE || p.mtu != 1300 || p.mtu_from_router)
		return 8;
	pmtu_search_init(&s, AF_INET6, lo6, 1500, true);
	path_mtu_search(&s, 1, 2000);
	if (pmtu_largest(&s) != 1300 || s.probes != 3)
		return 9;
	return 0;
}

static void test_local_emsgsize(void **state)
{
	pid_t pid;
	int st = 0;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(local_emsgsize_child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		printf("# no network namespace or raw socket here: skipped\n");
		return;
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_path_one_probe),
		cmocka_unit_test(test_silent_black_hole_every_mtu),
		cmocka_unit_test(test_thousand_byte_path),
		cmocka_unit_test(test_router_reports_mtu),
		cmocka_unit_test(test_report_then_loss),
		cmocka_unit_test(test_this_host_refuses),
		cmocka_unit_test(test_nothing_passes),
		cmocka_unit_test(test_no_socket_ends),
		cmocka_unit_test(test_loss_below_passed),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_errqueue_frag_needed),
		cmocka_unit_test(test_errqueue_other_errors),
		cmocka_unit_test(test_errqueue_ipv6),
		cmocka_unit_test(test_route_reply),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_local_emsgsize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
