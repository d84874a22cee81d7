// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Path MTU: the MTU of the route's device (a netlink route lookup), and the
 * search for the largest packet with DF set that gets an echo reply. */
#include "netprobe.h"

#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "netprobe_int.h"

/* ---- the route's MTU ---- */

static int route_attr_oif(const uint8_t *buf, size_t a, size_t end)
{
	while (end - a >= sizeof(struct rtattr)) {
		struct rtattr ra;
		size_t step;

		memcpy(&ra, buf + a, sizeof(ra));
		if (ra.rta_len < sizeof(ra) || ra.rta_len > end - a)
			return -EBADMSG;
		if (ra.rta_type == RTA_OIF) {
			uint32_t oif;

			if (ra.rta_len < RTA_LENGTH(sizeof(oif)))
				return -EBADMSG;
			memcpy(&oif, buf + a + RTA_LENGTH(0), sizeof(oif));
			return oif > 0 && oif <= INT_MAX ? (int)oif : -EBADMSG;
		}
		step = RTA_ALIGN(ra.rta_len);
		if (step >= end - a)
			break;
		a += step;
	}
	return -ENODEV; /* a route without a device (blackhole, prohibit) */
}

int route_reply_oif(const uint8_t *buf, size_t len, uint32_t seq)
{
	size_t off = 0;

	while (len - off >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr nh;
		size_t step;

		memcpy(&nh, buf + off, sizeof(nh));
		if (nh.nlmsg_len < sizeof(nh) || nh.nlmsg_len > len - off)
			return -EBADMSG;
		if (nh.nlmsg_seq == seq && nh.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if (nh.nlmsg_len < NLMSG_LENGTH(sizeof(e)))
				return -EBADMSG;
			memcpy(&e, buf + off + NLMSG_HDRLEN, sizeof(e));
			return e.error < 0 && e.error > -4096 ? e.error : -EPROTO;
		}
		if (nh.nlmsg_seq == seq && nh.nlmsg_type == RTM_NEWROUTE) {
			size_t a = off + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtmsg));

			if (nh.nlmsg_len < NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct rtmsg)))
				return -EBADMSG;
			return route_attr_oif(buf, a, off + nh.nlmsg_len);
		}
		step = NLMSG_ALIGN(nh.nlmsg_len);
		if (step >= len - off)
			break;
		off += step;
	}
	return -ENOMSG;
}

/* The kernel's route toward addr (RTM_GETROUTE, as `ip route get`): its
 * output device, > 0, or -errno. */
static int route_oif(int family, const uint8_t *addr)
{
	size_t alen = family == AF_INET6 ? 16 : 4;
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		uint8_t attr[RTA_SPACE(16)];
	} req;
	union {
		struct nlmsghdr align;
		uint8_t buf[8192];
	} reply;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 500000 };
	struct rtattr *rta = (struct rtattr *)req.attr;
	uint32_t seq = (uint32_t)random_id() << 8 | 1;
	int fd, rc = -ENOMSG;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(req.rt)) + RTA_LENGTH(alen));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = seq;
	req.rt.rtm_family = (uint8_t)family;
	req.rt.rtm_dst_len = (uint8_t)(alen * 8);
	rta->rta_type = RTA_DST;
	rta->rta_len = (unsigned short)RTA_LENGTH(alen);
	memcpy(RTA_DATA(rta), addr, alen);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	for (int tries = 0; tries < 4 && rc == -ENOMSG; tries++) {
		struct sockaddr_nl from = { .nl_family = 0 };
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, reply.buf, sizeof(reply.buf), 0, (struct sockaddr *)&from, &fl);

		if (n < 0)
			rc = -errno;
		else if (from.nl_family == AF_NETLINK && from.nl_pid == 0) /* the kernel's only */
			rc = route_reply_oif(reply.buf, (size_t)n, seq);
	}
	close(fd);
	return rc;
}

static int ifindex_mtu(int family, int ifindex, unsigned *mtu)
{
	struct ifreq ifr;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = ifindex;
	if (ioctl(fd, SIOCGIFNAME, &ifr) || ioctl(fd, SIOCGIFMTU, &ifr))
		rc = -errno;
	else if (ifr.ifr_mtu <= 0)
		rc = -EINVAL;
	else
		*mtu = (unsigned)ifr.ifr_mtu;
	close(fd);
	return rc;
}

/* The route's MTU from a connected UDP socket: a PMTU the kernel learned
 * already lowers it, hence only the fallback. */
static int connected_route_mtu(int family, const uint8_t *addr, unsigned *mtu)
{
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(family, addr, 80, &ss), vl = sizeof(int);
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), v = 0, rc = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) ||
	    getsockopt(fd, family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       family == AF_INET6 ? IPV6_MTU : IP_MTU, &v, &vl))
		rc = -errno;
	else if (v <= 0)
		rc = -EINVAL;
	else
		*mtu = (unsigned)v;
	close(fd);
	return rc;
}

int netprobe_interface_mtu(int family, const uint8_t *addr, unsigned *mtu)
{
	int oif = route_oif(family, addr);

	*mtu = 0;
	if (oif > 0 && ifindex_mtu(family, oif, mtu) == 0)
		return 0;
	return connected_route_mtu(family, addr, mtu);
}

/* ---- path MTU search ---- */

/* IP and ICMP headers: the packet sizes of the search are whole IP packets */
static unsigned echo_overhead(int family)
{
	return (family == AF_INET6 ? 40 : 20) + 8;
}

unsigned pmtu_floor(int family)
{
	return family == AF_INET6 ? 1280 : 576;
}

unsigned pmtu_top(const struct pmtu_search *s)
{
	return s->interface_mtu < NETPROBE_MAX_PACKET ? s->interface_mtu : NETPROBE_MAX_PACKET;
}

/* the smallest size probed: the family's minimum, or a smaller interface's MTU */
static unsigned pmtu_bottom(const struct pmtu_search *s)
{
	unsigned f = pmtu_floor(s->family), t = pmtu_top(s);

	return f < t ? f : t;
}

void pmtu_search_init(struct pmtu_search *s, int family, const uint8_t *addr, unsigned interface_mtu,
		      bool small_first)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	memcpy(s->addr, addr, family == AF_INET6 ? 16 : 4);
	s->interface_mtu = interface_mtu;
	s->small_first = small_first;
	s->hi = pmtu_top(s) + 1;
	/* unknown, or too small for an echo request */
	s->done = pmtu_top(s) <= echo_overhead(family);
}

unsigned pmtu_search_next(const struct pmtu_search *s)
{
	unsigned bottom = pmtu_bottom(s), top = pmtu_top(s);

	if (s->done || s->probes >= PMTU_MAX_PROBES || s->lo >= top)
		return 0;
	/* a size a router (or this host) named: one probe may settle it */
	if (s->candidate > s->lo && s->candidate < s->hi && s->candidate >= bottom)
		return s->candidate;
	if (!s->lo) /* nothing passed yet: the two ends, as the seed's ping suggests */
		return s->hi > top && !s->small_first ? top : bottom;
	if (s->hi > top) /* the bottom passed: maybe everything does */
		return top;
	if (s->hi - s->lo <= PMTU_CLOSE_ENOUGH)
		return 0;
	return s->lo + (s->hi - s->lo) / 2;
}

void pmtu_search_feed(struct pmtu_search *s, unsigned size, const struct icmp_probe *p)
{
	unsigned bottom = pmtu_bottom(s), top = pmtu_top(s);

	s->probes++;
	if (p->err == 0) {
		if (size > s->lo)
			s->lo = size;
		if (p->ms > s->slowest_ms)
			s->slowest_ms = p->ms;
		/* the router said larger packets do not fit, and its size passed */
		if (size == s->reported_mtu && s->hi > size + 1)
			s->hi = size + 1;
	} else {
		/* a loss below a size that passed is chance, not the MTU */
		if (size > s->lo && size < s->hi)
			s->hi = size;
		if (p->err == -EMSGSIZE && p->mtu) {
			if (p->mtu_from_router)
				s->reported_mtu = p->mtu;
			if (p->mtu < size)
				s->candidate = p->mtu;
			/* this host sends nothing larger than its own MTU */
			if (!p->mtu_from_router && p->mtu < size && p->mtu + 1 < s->hi && p->mtu >= s->lo)
				s->hi = p->mtu + 1;
		}
		if (size <= bottom && !s->lo)
			s->smallest_err = p->err;
		if (p->err == -EPROTONOSUPPORT) { /* no socket to probe with */
			s->smallest_err = p->err;
			s->done = true;
		}
	}
	if (s->lo >= top || (s->lo && s->hi <= s->lo + 1) || (!s->lo && s->hi <= bottom) ||
	    s->probes >= PMTU_MAX_PROBES)
		s->done = true;
}

unsigned pmtu_wait_ms(const struct pmtu_search *s)
{
	double w = 4 * s->slowest_ms + 100;

	if (!s->lo)
		return PMTU_WAIT_MS;
	if (w < PMTU_MIN_WAIT_MS)
		return PMTU_MIN_WAIT_MS;
	return w > PMTU_WAIT_MS ? PMTU_WAIT_MS : (unsigned)w;
}

void path_mtu_search(struct pmtu_search *s, int n, unsigned budget_ms)
{
	struct icmp_probe p[MAX_BATCH];
	unsigned size[MAX_BATCH];
	int owner[MAX_BATCH];
	double start = now_ms(), deadline = start + budget_ms;

	if (n > MAX_BATCH)
		n = MAX_BATCH;
	for (;;) {
		double left = deadline - now_ms();
		unsigned wait = 0;
		int np = 0;

		/* one probe of every unfinished search per round, all at once */
		for (int i = 0; i < n; i++) {
			unsigned sz = pmtu_search_next(&s[i]);

			if (!sz)
				continue;
			memset(&p[np], 0, sizeof(p[np]));
			p[np].family = s[i].family;
			memcpy(p[np].addr, s[i].addr, 16);
			p[np].payload = sz - echo_overhead(s[i].family);
			p[np].dont_fragment = true;
			size[np] = sz;
			owner[np++] = i;
			if (pmtu_wait_ms(&s[i]) > wait)
				wait = pmtu_wait_ms(&s[i]);
		}
		/* never a shortened wait: a slow reply would read as a lost one */
		if (!np || left < wait)
			break;
		icmp_probe_run(p, np, wait);
		for (int k = 0; k < np; k++) {
			pmtu_search_feed(&s[owner[k]], size[k], &p[k]);
			s[owner[k]].ms = now_ms() - start;
		}
	}
}
