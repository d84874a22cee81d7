/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Internal to the active probes (netprobe.c: the batch core, DNS, TCP, HTTP;
 * netprobe_icmp.c: ICMP echo and its error queue; netprobe_pmtu.c: the route's
 * MTU and the path MTU search). Not part of the public surface. */
#ifndef AEGISMON_NETPROBE_INT_H
#define AEGISMON_NETPROBE_INT_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_BATCH 64

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

socklen_t make_sockaddr(int family, const uint8_t *addr, uint16_t port,
			struct sockaddr_storage *ss);
/* A random 16-bit id: a DNS query's, an echo's, a netlink sequence's. */
uint16_t random_id(void);
/* Wait until every fd in fds (-1 = done) is settled or the deadline passes;
 * on_ready(ctx, i, fd, revents) returns true when probe i is done. */
void wait_all(struct pollfd *fds, int n, double deadline,
	      bool (*on_ready)(void *ctx, int i, int fd, short revents), void *ctx);

#endif
