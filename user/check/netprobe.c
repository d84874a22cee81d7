// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Active probes: non-blocking sockets, one poll loop per batch, a deadline. */
#include "netprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/errqueue.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 64

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static socklen_t make_sockaddr(int family, const uint8_t *addr, uint16_t port,
			       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, addr, 4);
	return sizeof(*s4);
}

static int sock_error(int fd)
{
	int e = 0;
	socklen_t l = sizeof(e);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l))
		return -errno;
	return -e;
}

static uint16_t random_id(void)
{
	uint16_t id = 0;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(getpid() ^ (int)now_ms());
	return id;
}

/* Wait until every fd in fds (-1 = done) is settled or the deadline passes;
 * on_ready(ctx, i, fd, revents) returns true when probe i is done. */
static void wait_all(struct pollfd *fds, int n, double deadline,
		     bool (*on_ready)(void *ctx, int i, int fd, short revents), void *ctx)
{
	for (;;) {
		int pending = 0, rc;
		double left = deadline - now_ms();

		for (int i = 0; i < n; i++)
			pending += fds[i].fd >= 0;
		if (!pending || left <= 0)
			break;
		rc = poll(fds, (nfds_t)n, (int)left + 1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue; /* the loop checks the deadline */
		for (int i = 0; i < n; i++)
			if (fds[i].fd >= 0 && fds[i].revents &&
			    on_ready(ctx, i, fds[i].fd, fds[i].revents)) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
	}
	for (int i = 0; i < n; i++)
		if (fds[i].fd >= 0) {
			close(fds[i].fd);
			fds[i].fd = -1;
		}
}

/* ---- DNS ---- */

struct dns_batch {
	struct dns_probe *p;
	uint16_t ids[MAX_BATCH];
	double start;
};

static bool dns_ready(void *ctx, int i, int fd, short revents)
{
	struct dns_batch *b = ctx;
	struct dns_probe *p = &b->p[i];
	uint8_t buf[4096];

	(void)revents;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return false;
			/* a connected UDP socket gets the ICMP error here */
			p->err = -errno;
			p->ms = now_ms() - b->start;
			return true;
		}
		/* a reply to another question (a late one, a spoof) is ignored */
		if (dns_parse(buf, (size_t)n, &p->reply) == 0 && p->reply.qr &&
		    p->reply.id == b->ids[i] && dns_name_under(p->reply.qname, p->name) &&
		    dns_name_under(p->name, p->reply.qname)) {
			p->err = 0;
			p->ms = now_ms() - b->start;
			return true;
		}
	}
}

void dns_probe_run(struct dns_probe *p, int n, unsigned timeout_ms)
{
	struct pollfd fds[MAX_BATCH];
	struct dns_batch b = { .p = p, .start = now_ms() };

	if (n > MAX_BATCH)
		n = MAX_BATCH;
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = make_sockaddr(p[i].family, p[i].server, p[i].port ? p[i].port : 53, &ss);
		uint8_t q[512];
		size_t qlen;
		int fd;

		fds[i].fd = -1;
		fds[i].events = POLLIN;
		p[i].err = -ETIMEDOUT;
		p[i].ms = timeout_ms;
		memset(&p[i].reply, 0, sizeof(p[i].reply));
		b.ids[i] = random_id();
		qlen = dns_build_query(q, sizeof(q), b.ids[i], p[i].name, p[i].qtype ? p[i].qtype : DNS_T_A);
		if (!qlen) {
			p[i].err = -EINVAL;
			continue;
		}
		fd = socket(p[i].family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			p[i].err = -errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&ss, sl) || send(fd, q, qlen, 0) != (ssize_t)qlen) {
			p[i].err = -errno;
			p[i].ms = now_ms() - b.start;
			close(fd);
			continue;
		}
		fds[i].fd = fd;
	}
	wait_all(fds, n, b.start + timeout_ms, dns_ready, &b);
}

/* ---- TCP ---- */

struct tcp_batch {
	struct tcp_probe *p;
	double start;
};

static bool tcp_ready(void *ctx, int i, int fd, short revents)
{
	struct tcp_batch *b = ctx;

	(void)revents;
	b->p[i].err = sock_error(fd);
	b->p[i].ms = now_ms() - b->start;
	return true;
}

void tcp_probe_run(struct tcp_probe *p, int n, unsigned timeout_ms)
{
	struct pollfd fds[MAX_BATCH];
	struct tcp_batch b = { .p = p, .start = now_ms() };

	if (n > MAX_BATCH)
		n = MAX_BATCH;
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = make_sockaddr(p[i].family, p[i].addr, p[i].port, &ss);
		int fd = socket(p[i].family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		fds[i].fd = -1;
		fds[i].events = POLLOUT;
		p[i].err = -ETIMEDOUT;
		p[i].ms = timeout_ms;
		if (fd < 0) {
			p[i].err = -errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&ss, sl) == 0) {
			p[i].err = 0;
			p[i].ms = now_ms() - b.start;
			close(fd);
			continue;
		}
		if (errno != EINPROGRESS) {
			/* a drop in netfilter OUTPUT fails the SYN here: EPERM */
			p[i].err = -errno;
			p[i].ms = now_ms() - b.start;
			close(fd);
			continue;
		}
		fds[i].fd = fd;
	}
	wait_all(fds, n, b.start + timeout_ms, tcp_ready, &b);
}

/* ---- ICMP echo ---- */

struct icmp_batch {
	struct icmp_probe *p;
	uint16_t ids[MAX_BATCH];
	bool raw[MAX_BATCH];
	double start;
};

static uint16_t inet_csum(const uint8_t *d, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	if (len & 1)
		sum += (uint32_t)(d[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static bool sockaddr_is(const struct sockaddr_storage *ss, int family, const uint8_t *addr)
{
	if (ss->ss_family != family)
		return false;
	if (family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, addr, 16);
	return !memcmp(&((const struct sockaddr_in *)ss)->sin_addr, addr, 4);
}

/* Read the error queue of DF probe i (IP_RECVERR): true when a message there
 * settled it. A raw socket also queues the errors of other programs' pings:
 * those are read and passed over. */
static bool icmp_errqueue(struct icmp_batch *b, int i, int fd)
{
	struct icmp_probe *p = &b->p[i];

	for (int k = 0; k < 64; k++) {
		union {
			struct cmsghdr align;
			uint8_t buf[512];
		} control;
		uint8_t data[64];
		struct sockaddr_storage to;
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = control.buf,
				    .msg_controllen = sizeof(control.buf) };
		struct pmtu_err e;
		ssize_t n;

		memset(&to, 0, sizeof(to));
		n = recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0)
			return false; /* EAGAIN: the queue is empty */
		if (!sockaddr_is(&to, p->family, p->addr) ||
		    !pmtu_errqueue_parse(p->family, control.buf, m.msg_controllen, data, (size_t)n,
					 b->raw[i] ? b->ids[i] : -1, &e))
			continue;
		p->err = e.err;
		p->mtu = e.mtu;
		p->mtu_from_router = e.from_router;
		p->ms = now_ms() - b->start;
		return true;
	}
	return false;
}

static bool icmp_ready(void *ctx, int i, int fd, short revents)
{
	struct icmp_batch *b = ctx;
	struct icmp_probe *p = &b->p[i];
	uint8_t buf[2048];

	(void)revents;
	for (int round = 0; round < 256; round++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		const uint8_t *icmp = buf;
		size_t ilen;

		if (p->dont_fragment && icmp_errqueue(b, i, fd))
			return true;
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		ilen = n > 0 ? (size_t)n : 0;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return false;
			/* with IP_RECVERR the error is in the queue read above, and may
			 * be another program's: the next round reads it */
			if (p->dont_fragment)
				continue;
			p->err = -errno;
			p->ms = now_ms() - b->start;
			return true;
		}
		if (p->family == AF_INET) {
			const struct sockaddr_in *s4 = (const struct sockaddr_in *)&from;

			if (memcmp(&s4->sin_addr, p->addr, 4))
				continue; /* a raw socket sees every ICMP message */
			if (b->raw[i]) { /* raw IPv4 sockets deliver the IP header */
				size_t hl = ilen ? (size_t)(buf[0] & 0x0f) * 4 : 0;

				if (hl < 20 || hl + 8 > ilen)
					continue;
				icmp += hl;
				ilen -= hl;
			}
			if (ilen < 8)
				continue;
			if (icmp[0] == ICMP_ECHOREPLY &&
			    (!b->raw[i] || (uint16_t)(icmp[4] << 8 | icmp[5]) == b->ids[i])) {
				p->err = 0;
			} else if (icmp[0] == ICMP_DEST_UNREACH &&
				   !(p->dont_fragment && icmp[1] == ICMP_FRAG_NEEDED)) {
				/* (a DF probe's frag needed is read from the error queue, with the MTU) */
				p->err = -EHOSTUNREACH;
			} else {
				continue;
			}
		} else {
			const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&from;

			if (memcmp(&s6->sin6_addr, p->addr, 16) || ilen < 8)
				continue;
			if (icmp[0] == ICMP6_ECHO_REPLY &&
			    (!b->raw[i] || (uint16_t)(icmp[4] << 8 | icmp[5]) == b->ids[i]))
				p->err = 0;
			else if (icmp[0] == ICMP6_DST_UNREACH)
				p->err = -EHOSTUNREACH;
			else
				continue;
		}
		p->ms = now_ms() - b->start;
		return true;
	}
	return false; /* a flood: the next poll comes back here */
}

/* DF on every packet, sent up to the device MTU whatever PMTU the kernel
 * learned (the tracepath mode), errors with their MTU into the error queue. */
static int set_dont_fragment(int fd, int family)
{
	int on = 1, probe4 = IP_PMTUDISC_PROBE, probe6 = IPV6_PMTUDISC_PROBE;

	if (family == AF_INET6) {
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &probe6, sizeof(probe6)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &on, sizeof(on)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on)))
			return -errno;
		return 0;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe4, sizeof(probe4)) ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)))
		return -errno;
	return 0;
}

void icmp_probe_run(struct icmp_probe *p, int n, unsigned timeout_ms)
{
	struct pollfd fds[MAX_BATCH];
	struct icmp_batch b = { .p = p, .start = now_ms() };
	uint8_t pkt[NETPROBE_MAX_PACKET];

	if (n > MAX_BATCH)
		n = MAX_BATCH;
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = make_sockaddr(p[i].family, p[i].addr, 0, &ss);
		int proto = p[i].family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		size_t len = 8 + (p[i].payload < sizeof(pkt) - 8 ? p[i].payload : sizeof(pkt) - 8);
		int fd;

		fds[i].fd = -1;
		fds[i].events = POLLIN;
		p[i].err = -ETIMEDOUT;
		p[i].ms = timeout_ms;
		p[i].mtu = 0;
		p[i].mtu_from_router = false;
		/* raw as root; the unprivileged ping socket otherwise */
		b.raw[i] = true;
		fd = socket(p[i].family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
		if (fd < 0) {
			b.raw[i] = false;
			fd = socket(p[i].family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
		}
		if (fd < 0) {
			p[i].err = -EPROTONOSUPPORT;
			continue;
		}
		if (p[i].dont_fragment) {
			int rc = set_dont_fragment(fd, p[i].family);

			if (rc) {
				p[i].err = rc;
				p[i].ms = 0;
				close(fd);
				continue;
			}
		}
		b.ids[i] = random_id();
		memset(pkt, 0, len);
		pkt[0] = p[i].family == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
		pkt[4] = (uint8_t)(b.ids[i] >> 8);
		pkt[5] = (uint8_t)b.ids[i];
		pkt[7] = 1; /* sequence 1 */
		for (size_t k = 8; k < len; k++)
			pkt[k] = (uint8_t)k;
		if (p[i].family == AF_INET) { /* the kernel sums ICMPv6 itself */
			uint16_t c = inet_csum(pkt, len);

			memcpy(pkt + 2, &c, 2);
		}
		if (sendto(fd, pkt, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len) {
			p[i].err = -errno;
			p[i].ms = now_ms() - b.start;
			/* too big for this host: the kernel queued the MTU it had */
			if (p[i].dont_fragment && p[i].err == -EMSGSIZE)
				icmp_errqueue(&b, i, fd);
			close(fd);
			continue;
		}
		fds[i].fd = fd;
	}
	wait_all(fds, n, b.start + timeout_ms, icmp_ready, &b);
}

/* ---- path MTU ---- */

/* An MTU a message gave, 0 when no link could have it (old routers send 0). */
static unsigned plausible_mtu(int family, uint32_t mtu)
{
	unsigned least = family == AF_INET6 ? 1280 : 68;

	return mtu >= least && mtu <= 65535 ? mtu : 0;
}

static int classify_extended_err(int family, const struct sock_extended_err *ee, const uint8_t *data,
				 size_t datalen, int want_id, struct pmtu_err *out)
{
	bool v6 = family == AF_INET6;
	bool too_big;

	memset(out, 0, sizeof(*out));
	if (ee->ee_errno == 0 || ee->ee_errno > 4095)
		return 0;
	if (ee->ee_origin == SO_EE_ORIGIN_LOCAL) {
		/* this host refused to send it: only a socket's own sends land here */
		out->err = -(int)ee->ee_errno;
		if (ee->ee_errno == EMSGSIZE)
			out->mtu = plausible_mtu(family, ee->ee_info);
		return 1;
	}
	if (ee->ee_origin != (v6 ? SO_EE_ORIGIN_ICMP6 : SO_EE_ORIGIN_ICMP))
		return 0;
	/* the router quotes the start of the probe: our echo request, our id */
	if (datalen < 8 || data[0] != (v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO))
		return 0;
	if (want_id >= 0 && (data[4] << 8 | data[5]) != want_id)
		return 0;
	too_big = v6 ? ee->ee_type == ICMP6_PACKET_TOO_BIG
		     : ee->ee_type == ICMP_DEST_UNREACH && ee->ee_code == ICMP_FRAG_NEEDED;
	out->err = too_big ? -EMSGSIZE : -(int)ee->ee_errno;
	out->mtu = too_big ? plausible_mtu(family, ee->ee_info) : 0;
	out->from_router = true;
	return 1;
}

int pmtu_errqueue_parse(int family, const uint8_t *control, size_t controllen, const uint8_t *data,
			size_t datalen, int want_id, struct pmtu_err *out)
{
	int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	int type = family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR;
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	/* by offsets and copies: no trust in the lengths, no aligned reads */
	while (controllen - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr cm;
		size_t step;

		memcpy(&cm, control + off, sizeof(cm));
		if (cm.cmsg_len < sizeof(cm) || cm.cmsg_len > controllen - off)
			return 0;
		if (cm.cmsg_level == level && cm.cmsg_type == type &&
		    cm.cmsg_len >= CMSG_LEN(sizeof(struct sock_extended_err))) {
			struct sock_extended_err ee;

			memcpy(&ee, control + off + CMSG_LEN(0), sizeof(ee));
			return classify_extended_err(family, &ee, data, datalen, want_id, out);
		}
		step = CMSG_ALIGN(cm.cmsg_len);
		if (step >= controllen - off)
			break;
		off += step;
	}
	return 0;
}

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

/* ---- HTTP (the ECS metadata service) ---- */

/* Wait for events on fd until the deadline: 1 ready, 0 try again (EINTR,
 * a spurious wakeup), -ETIMEDOUT or another -errno. */
static int wait_fd(int fd, short events, double deadline)
{
	struct pollfd pf = { .fd = fd, .events = events };
	double left = deadline - now_ms();
	int rc;

	if (left <= 0)
		return -ETIMEDOUT;
	rc = poll(&pf, 1, (int)left + 1);
	if (rc < 0 && errno != EINTR)
		return -errno;
	return rc > 0;
}

/* Send all of req[0..n) on a connected non-blocking socket by the deadline. */
static int send_all(int fd, const char *req, size_t n, double deadline)
{
	size_t off = 0;

	while (off < n) {
		ssize_t s;
		int rc = wait_fd(fd, POLLOUT, deadline), e;

		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		e = sock_error(fd);
		if (e)
			return e; /* the connect failed: refused, unreachable, ... */
		s = send(fd, req + off, n - off, MSG_NOSIGNAL);
		if (s < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (s <= 0)
			return s < 0 ? -errno : -EIO;
		off += (size_t)s;
	}
	return 0;
}

/* Read into resp until the peer closes, the answer is whole (its
 * Content-Length), the buffer is full or the deadline passes. The bytes read,
 * or -errno when nothing usable came. */
static ssize_t recv_answer(int fd, char *resp, size_t cap, double deadline)
{
	size_t got = 0;

	while (got < cap && !http_answer_complete(resp, got)) {
		ssize_t r;
		int rc = wait_fd(fd, POLLIN, deadline);

		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		r = recv(fd, resp + got, cap - got, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r == 0)
			break;
		if (r < 0) /* a reset after a whole answer still leaves that answer */
			return got && http_answer_complete(resp, got) ? (ssize_t)got : -errno;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int http_request(int family, const uint8_t *addr, uint16_t port, const struct http_request *req,
		 unsigned timeout_ms, struct http_answer *ans, char *body, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(family, addr, port, &ss);
	double deadline = now_ms() + timeout_ms;
	char out[HTTP_REQUEST_MAX], resp[HTTP_RESPONSE_MAX];
	int n = http_build_request(out, sizeof(out), req), fd, rc;
	ssize_t got;

	memset(ans, 0, sizeof(*ans));
	if (len)
		body[0] = '\0';
	if (n < 0)
		return n;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		rc = -errno;
		close(fd);
		return rc;
	}
	rc = send_all(fd, out, (size_t)n, deadline);
	got = rc ? rc : recv_answer(fd, resp, sizeof(resp), deadline);
	close(fd);
	if (got < 0)
		return (int)got;
	return http_read_answer(resp, (size_t)got, (size_t)got == sizeof(resp), ans, body, len);
}

const char *netprobe_err_name(int err)
{
	switch (err) {
	case 0: return "ok";
	case -ETIMEDOUT: return "timeout";
	case -ECONNREFUSED: return "refused";
	case -EHOSTUNREACH: return "host unreachable";
	case -ENETUNREACH: return "network unreachable";
	case -EPERM: return "blocked locally (EPERM)";
	case -EACCES: return "blocked locally (EACCES)";
	case -ECONNRESET: return "reset";
	case -EPROTONOSUPPORT: return "not possible here (no raw or ping socket)";
	case -EINVAL: return "invalid request";
	case -EPROTO: return "unexpected answer";
	case -EMSGSIZE: return "too big (message too long)";
	case -EBADMSG: return "answer cut short";
	case -E2BIG: return "answer headers too large";
	case -ENODATA: return "closed without an answer";
	default: return "error";
	}
}
