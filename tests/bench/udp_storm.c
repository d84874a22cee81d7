// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * UDP datagram storm: each process binds a receiver on 127.0.0.1 (an
 * ephemeral port), then in a loop sendto()s a 64-byte datagram to it from an
 * unconnected socket and recv()s it, for SECONDS. One op = one datagram sent
 * and received; the receiver is drained at once, so no datagram is dropped
 * (drops would run the kfree_skb probes, a different workload). Every packet
 * crosses the cgroup_skb egress and ingress hooks, where aegismon's DNS
 * programs look for port 53 and must let everything else go cheaply.
 * Loopback only.
 *
 *     udp_storm [-d SECONDS] [-j PROCS]
 */
#include "storm.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct udp_pair {
	int tx, rx;
	struct sockaddr_in to;
};

/* Per process (after the fork): the sockets are made on the first op. */
static struct udp_pair pair = { .tx = -1, .rx = -1 };

static int udp_setup(struct udp_pair *p)
{
	socklen_t len = sizeof(p->to);

	p->rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	p->tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->rx < 0 || p->tx < 0)
		return -1;
	memset(&p->to, 0, sizeof(p->to));
	p->to.sin_family = AF_INET;
	p->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(p->rx, (const struct sockaddr *)&p->to, sizeof(p->to)) ||
	    getsockname(p->rx, (struct sockaddr *)&p->to, &len))
		return -1;
	return 0;
}

static int udp_once(void *arg)
{
	char buf[64] = "aegismon bench datagram";

	(void)arg;
	if (pair.rx < 0 && udp_setup(&pair)) {
		perror("udp_storm: setup");
		_exit(1); /* the storm reports the worker's failure */
	}
	if (sendto(pair.tx, buf, sizeof(buf), 0, (const struct sockaddr *)&pair.to,
		   sizeof(pair.to)) != (ssize_t)sizeof(buf))
		return -1;
	return recv(pair.rx, buf, sizeof(buf), 0) == (ssize_t)sizeof(buf) ? 0 : -1;
}

int main(int argc, char **argv)
{
	double seconds;
	long procs;

	storm_parse(argc, argv, "", "", &seconds, &procs, NULL);
	return storm_run(seconds, procs, udp_once, NULL);
}
