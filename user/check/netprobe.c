// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Active probes: non-blocking sockets, one poll loop per batch, a deadline; the
 * DNS, TCP and HTTP probes. ICMP echo: netprobe_icmp.c; path MTU: netprobe_pmtu.c. */
#include "netprobe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netprobe_int.h"

socklen_t make_sockaddr(int family, const uint8_t *addr, uint16_t port,
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

uint16_t random_id(void)
{
	uint16_t id = 0;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(getpid() ^ (int)now_ms());
	return id;
}

/* Wait until every fd in fds (-1 = done) is settled or the deadline passes;
 * on_ready(ctx, i, fd, revents) returns true when probe i is done. */
void wait_all(struct pollfd *fds, int n, double deadline,
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
