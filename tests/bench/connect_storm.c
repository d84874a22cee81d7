// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * connect() storm: socket + connect to ADDR:PORT (default 127.0.0.1:1, a closed
 * port) + close, in a loop, in PROCS processes for SECONDS. Prints ops/s.
 * A refused connect is the expected result; anything else counts as an error.
 *
 * -s (served): a whole short connection instead, as a real client makes one:
 * connect to a listener of the worker's own on 127.0.0.1, accept, one byte
 * each way, close (handshake, data, FIN on both sides, TIME_WAIT reused on
 * loopback by the default tcp_tw_reuse=2).
 *
 * -u (UDP): socket(AF_INET, SOCK_DGRAM) + connect to ADDR:PORT + close. A UDP
 * connect() sends no packet and succeeds at once: the fastest connect() there
 * is, one connect event each for a tracer (the agent event storm of the bench).
 * A failed connect counts as an error. -r (with -u): one UDP socket per worker,
 * connected again and again (each connect() of a UDP socket goes through the
 * connect hooks anew), with no socket() and close() in between: about twice
 * the rate of -u.
 *
 *     connect_storm [-d SECONDS] [-j PROCS] [-a IPV4] [-p PORT] [-s | -u [-r]]
 */
#include "storm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static struct sockaddr_in target = {
	.sin_family = AF_INET,
};

static int served;
static int udp;
static int reuse;
static int udp_fd = -1; /* -r: per worker process, made at its first op */
static int listen_fd = -1; /* per worker process: made at its first op */
static struct sockaddr_in listen_addr;

static int open_listener(void)
{
	socklen_t len = sizeof(listen_addr);

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0)
		return -1;
	listen_addr.sin_family = AF_INET;
	listen_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listen_addr.sin_port = 0;
	if (bind(listen_fd, (struct sockaddr *)&listen_addr, sizeof(listen_addr)) ||
	    listen(listen_fd, 16) ||
	    getsockname(listen_fd, (struct sockaddr *)&listen_addr, &len)) {
		close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	return 0;
}

static int exchange(int from, int to)
{
	char c = 'x';

	return write(from, &c, 1) == 1 && read(to, &c, 1) == 1 ? 0 : -1;
}

static int serve_once(void)
{
	int c, a, rc = -1;

	if (listen_fd < 0 && open_listener())
		return -1;
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0)
		return -1;
	if (connect(c, (const struct sockaddr *)&listen_addr, sizeof(listen_addr)) == 0) {
		a = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (a >= 0) {
			rc = exchange(c, a) || exchange(a, c) ? -1 : 0;
			close(a);
		}
	}
	close(c);
	return rc;
}

static int connect_once(void *arg)
{
	int fd, rc;

	(void)arg;
	if (served)
		return serve_once();
	if (reuse) {
		if (udp_fd < 0)
			udp_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (udp_fd < 0)
			return -1;
		return connect(udp_fd, (const struct sockaddr *)&target, sizeof(target)) ? -1 : 0;
	}
	fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	rc = connect(fd, (const struct sockaddr *)&target, sizeof(target));
	if (udp)
		rc = rc ? -1 : 0;
	else if (rc == 0 || errno != ECONNREFUSED)
		rc = -1;
	else
		rc = 0;
	close(fd);
	return rc;
}

static void connect_opt(int opt, const char *val)
{
	char *end;
	long port;

	switch (opt) {
	case 's':
		served = 1;
		break;
	case 'u':
		udp = 1;
		break;
	case 'r':
		reuse = 1;
		break;
	case 'a':
		if (inet_pton(AF_INET, val, &target.sin_addr) != 1) {
			fprintf(stderr, "connect_storm: bad address %s\n", val);
			exit(2);
		}
		break;
	case 'p':
		port = strtol(val, &end, 10);
		if (*end || port < 1 || port > 65535) {
			fprintf(stderr, "connect_storm: bad port %s\n", val);
			exit(2);
		}
		target.sin_port = htons((uint16_t)port);
		break;
	}
}

int main(int argc, char **argv)
{
	double seconds;
	long procs;

	target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	target.sin_port = htons(1);
	storm_parse(argc, argv, "a:p:sur", " [-a IPV4] [-p PORT] [-s | -u [-r]]", &seconds, &procs,
		    connect_opt);
	if ((served && udp) || (reuse && !udp)) {
		fprintf(stderr, "connect_storm: -s and -u exclude each other; -r goes with -u\n");
		return 2;
	}
	return storm_run(seconds, procs, connect_once, NULL);
}
