// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * DNS storm: UDP queries for NAME (default www.example.com, not an Aegis name)
 * to a responder on port 53 of the loopback, each waiting for its answer, in
 * PROCS processes for SECONDS. Prints ops/s (one op = query + answer) as the
 * other storms do (storm.h). Each op is four passes through aegismon's DNS
 * programs (cgroup_skb sees loopback too: the query leaving and arriving, the
 * answer leaving and arriving), and its in-kernel name filter drops them all.
 *
 * The storm runs in a network namespace of its own (unshare(CLONE_NEWNET),
 * loopback brought up): port 53 there is free, and nothing of the host's
 * network is touched. Worker k answers itself: a responder thread in the same
 * process on 127.0.0.<k+1>:53, so ops/cpu-s covers both ends; the process is
 * pinned to one CPU, as a ping-pong across CPUs varies by 2x with where the
 * scheduler puts the two ends, and the bench compares runs.
 *
 *     dns_storm [-d SECONDS] [-j PROCS] [-n NAME] [-p PORT] [-H] [-U]
 *
 * -H stays in the caller's namespace (the ports must be free there); -U
 * leaves the processes unpinned.
 */
#include "dns.h"
#include "storm.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define QMAX 512

static const char *qname = "www.example.com";
static uint16_t port = 53;
static int host_ns, unpinned;
static unsigned *next_worker; /* shared: worker k takes k */

/* The k-th worker's responder: 127.0.0.<k+1>:port. */
static struct sockaddr_in server_of(unsigned k)
{
	struct sockaddr_in a = { .sin_family = AF_INET };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK + k);
	a.sin_port = htons(port);
	return a;
}

/* Pin the caller to the k-th CPU it may run on (modulo their number). */
static void pin(unsigned k)
{
	cpu_set_t allowed, one;
	int n, cpu;

	if (unpinned || sched_getaffinity(0, sizeof(allowed), &allowed))
		return;
	n = CPU_COUNT(&allowed);
	k %= (unsigned)(n > 0 ? n : 1);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &allowed) && k-- == 0)
			break;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

/* the query the project's own resolver code builds (user/lib/dns.c) */
static size_t build_query(uint8_t *buf, size_t len, uint16_t id)
{
	return dns_build_query(buf, len, id, qname, DNS_T_A);
}

/* ---- the responder: a thread of the worker ---- */

/* Answer every query with QR, RA and one A record 192.0.2.53 (owner: the
 * question). Runs until the process exits. */
static void *respond(void *arg)
{
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 53 };
	int fd = (int)(intptr_t)arg;
	uint8_t b[QMAX + sizeof(rr)];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(fd, b, QMAX, 0, (struct sockaddr *)&from, &fl);
		if (n < 12)
			continue; /* EINTR, or not a DNS message */
		b[2] |= 0x80;
		b[3] = 0x80;
		b[6] = 0;
		b[7] = 1; /* ANCOUNT 1 */
		b[8] = b[9] = b[10] = b[11] = 0;
		memcpy(b + n, rr, sizeof(rr));
		sendto(fd, b, (size_t)n + sizeof(rr), 0, (struct sockaddr *)&from, fl);
	}
	return NULL;
}

/* ---- the worker ---- */

struct worker {
	int fd;
	uint16_t id;
	size_t qlen;
	uint8_t q[QMAX];
};

static struct worker w = { .fd = -1 }; /* per process: workers are forked */

/* Pin, start the responder, connect the query socket. 0 or -1. */
static int worker_init(void)
{
	unsigned k = __atomic_fetch_add(next_worker, 1, __ATOMIC_RELAXED);
	struct sockaddr_in server = server_of(k);
	struct timeval tv = { .tv_sec = 1 };
	pthread_t t;
	int rfd;

	pin(k);
	rfd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (rfd < 0 || bind(rfd, (const struct sockaddr *)&server, sizeof(server))) {
		fprintf(stderr, "dns_storm: bind 127.0.0.%u:%u: %s\n", k + 1, port, strerror(errno));
		exit(1);
	}
	if (pthread_create(&t, NULL, respond, (void *)(intptr_t)rfd)) {
		fprintf(stderr, "dns_storm: cannot start the responder\n");
		exit(1);
	}
	w.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (w.fd < 0)
		return -1;
	setsockopt(w.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(w.fd, (const struct sockaddr *)&server, sizeof(server))) {
		close(w.fd);
		w.fd = -1;
		return -1;
	}
	w.id = (uint16_t)getpid();
	w.qlen = build_query(w.q, sizeof(w.q), w.id);
	return 0;
}

static int query_once(void *arg)
{
	uint8_t r[QMAX + 64];
	ssize_t n;

	(void)arg;
	if (w.fd < 0 && worker_init())
		return -1;
	w.id++;
	w.q[0] = (uint8_t)(w.id >> 8);
	w.q[1] = (uint8_t)w.id;
	if (send(w.fd, w.q, w.qlen, 0) != (ssize_t)w.qlen)
		return -1;
	/* the answer to this query: one to an earlier query that timed out may
	 * come first */
	for (int tries = 0; tries < 4; tries++) {
		n = recv(w.fd, r, sizeof(r), 0);
		if (n < 0)
			return -1;
		if (n >= 12 && r[0] == w.q[0] && r[1] == w.q[1])
			return (r[2] & 0x80) && (r[3] & 0x0f) == 0 ? 0 : -1;
	}
	return -1;
}

static int loopback_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

static void dns_opt(int opt, const char *val)
{
	char *end;
	long v;

	switch (opt) {
	case 'n':
		qname = val;
		break;
	case 'p':
		v = strtol(val, &end, 10);
		if (*end || v < 1 || v > 65535) {
			fprintf(stderr, "dns_storm: bad port %s\n", val);
			exit(2);
		}
		port = (uint16_t)v;
		break;
	case 'H':
		host_ns = 1;
		break;
	case 'U':
		unpinned = 1;
		break;
	}
}

int main(int argc, char **argv)
{
	uint8_t probe[QMAX];
	double seconds;
	long procs;

	storm_parse(argc, argv, "n:p:HU", " [-n NAME] [-p PORT] [-H] [-U]", &seconds, &procs, dns_opt);
	if (!build_query(probe, sizeof(probe), 0)) {
		fprintf(stderr, "dns_storm: cannot encode %s\n", qname);
		return 2;
	}
	if (procs > 254) {
		fprintf(stderr, "dns_storm: at most 254 processes (127.0.0.1-254)\n");
		return 2;
	}
	next_worker = mmap(NULL, sizeof(*next_worker), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (next_worker == MAP_FAILED) {
		perror("dns_storm: mmap");
		return 1;
	}
	*next_worker = 0;
	if (!host_ns) {
		if (unshare(CLONE_NEWNET)) {
			fprintf(stderr, "dns_storm: unshare(CLONE_NEWNET): %s (needs root; -H for the "
				"current namespace)\n", strerror(errno));
			return 3;
		}
		if (loopback_up()) {
			fprintf(stderr, "dns_storm: cannot bring lo up: %s\n", strerror(errno));
			return 3;
		}
	}
	/* the workers exit at the end (storm.h): their responder threads with them */
	return storm_run(seconds, procs, query_once, NULL);
}
