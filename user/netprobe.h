/*
 * Active network probes for `aegismon check`: DNS queries to one nameserver,
 * TCP connects, ICMP echoes and a small HTTP GET. Each runner starts all its
 * probes at once and waits on them together, so a black-holed network costs
 * one timeout, not one per probe. Errors are -errno: -ETIMEDOUT (no answer),
 * -ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, -EPERM/-EACCES (a local policy).
 */
#ifndef AEGISMON_NETPROBE_H
#define AEGISMON_NETPROBE_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

struct dns_probe {
	int family;                  /* of server */
	uint8_t server[16];
	uint16_t port;               /* 53 */
	char name[DNS_NAME_MAX];
	uint16_t qtype;
	int err;                     /* 0: a reply to our question arrived */
	double ms;                   /* until the reply or the error */
	struct dns_msg reply;
};

struct tcp_probe {
	int family;
	uint8_t addr[16];
	uint16_t port;
	int err;                     /* 0: connected */
	double ms;
};

struct icmp_probe {
	int family;
	uint8_t addr[16];
	size_t payload;              /* bytes after the ICMP header (the ping -s) */
	int err;                     /* 0: echo reply; -EPROTONOSUPPORT: no raw or ping socket */
	double ms;
};

void dns_probe_run(struct dns_probe *p, int n, unsigned timeout_ms);
void tcp_probe_run(struct tcp_probe *p, int n, unsigned timeout_ms);
void icmp_probe_run(struct icmp_probe *p, int n, unsigned timeout_ms);

/* GET path from addr:port over HTTP/1.0; the body (NUL-terminated, cut to
 * len) on status 200. 0, or -errno (-EPROTO: not a 200). */
int http_get(int family, const uint8_t *addr, uint16_t port, const char *host, const char *path,
	     unsigned timeout_ms, char *body, size_t len);

/* "refused", "timeout", "host unreachable", ... for a probe error */
const char *netprobe_err_name(int err);

#endif
