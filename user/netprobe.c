/* Active probes: non-blocking sockets, one poll loop per batch, a deadline. */
#include "netprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static bool icmp_ready(void *ctx, int i, int fd, short revents)
{
	struct icmp_batch *b = ctx;
	struct icmp_probe *p = &b->p[i];
	uint8_t buf[2048];

	(void)revents;
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		const uint8_t *icmp = buf;
		size_t ilen = n > 0 ? (size_t)n : 0;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return false;
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
			} else if (icmp[0] == ICMP_DEST_UNREACH) {
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
}

void icmp_probe_run(struct icmp_probe *p, int n, unsigned timeout_ms)
{
	struct pollfd fds[MAX_BATCH];
	struct icmp_batch b = { .p = p, .start = now_ms() };
	uint8_t pkt[8 + 1472];

	if (n > MAX_BATCH)
		n = MAX_BATCH;
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = make_sockaddr(p[i].family, p[i].addr, 0, &ss);
		int proto = p[i].family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		size_t len = 8 + (p[i].payload < 1472 ? p[i].payload : 1472);
		int fd;

		fds[i].fd = -1;
		fds[i].events = POLLIN;
		p[i].err = -ETIMEDOUT;
		p[i].ms = timeout_ms;
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
			close(fd);
			continue;
		}
		fds[i].fd = fd;
	}
	wait_all(fds, n, b.start + timeout_ms, icmp_ready, &b);
}

/* ---- HTTP GET (the ECS metadata service) ---- */

int http_get(int family, const uint8_t *addr, uint16_t port, const char *host, const char *path,
	     unsigned timeout_ms, char *body, size_t len)
{
	struct tcp_probe t = { .family = family, .port = port };
	struct sockaddr_storage ss;
	socklen_t sl = make_sockaddr(family, addr, port, &ss);
	double deadline = now_ms() + timeout_ms;
	char req[512], resp[4096];
	size_t got = 0;
	int fd, n;
	char *hdr_end;

	memcpy(t.addr, addr, family == AF_INET6 ? 16 : 4);
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		int e = -errno;

		close(fd);
		return e;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: aegismon\r\n\r\n",
		     path, host);
	for (bool sent = false;;) {
		struct pollfd pf = { .fd = fd, .events = sent ? POLLIN : POLLOUT };
		double left = deadline - now_ms();
		int rc;

		if (left <= 0) {
			close(fd);
			return -ETIMEDOUT;
		}
		rc = poll(&pf, 1, (int)left + 1);
		if (rc <= 0)
			continue;
		if (!sent) {
			int e = sock_error(fd);

			if (e || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
				close(fd);
				return e ? e : -EIO;
			}
			sent = true;
			continue;
		}
		ssize_t r = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);

		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (r <= 0 || got + (size_t)r >= sizeof(resp) - 1) {
			if (r > 0)
				got += (size_t)r;
			break;
		}
		got += (size_t)r;
	}
	close(fd);
	resp[got] = '\0';
	if (strncmp(resp, "HTTP/1.", 7) || strncmp(resp + 8, " 200", 4))
		return -EPROTO;
	hdr_end = strstr(resp, "\r\n\r\n");
	if (!hdr_end)
		return -EPROTO;
	snprintf(body, len, "%s", hdr_end + 4);
	return 0;
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
	default: return "error";
	}
}
