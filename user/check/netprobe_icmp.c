// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* ICMP echo probes, raw or on a ping socket, and what the error queue says
 * about a DF probe (a router's "fragmentation needed", this host's refusal). */
#include "netprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netprobe_int.h"

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

/* ---- the error queue of a DF probe ---- */

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
