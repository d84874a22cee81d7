/* The Aegis endpoints: CIDRs, ports, and what counts as a sinkhole. */
#ifndef AEGISMON_ENDPOINTS_H
#define AEGISMON_ENDPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENDPOINT_MAX_CIDRS 64
#define ENDPOINT_MAX_PORTS 16
#define DOMAIN_MAX 8
#define DOMAIN_LEN 128

struct cidr {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];   /* network order, host bits cleared */
	unsigned prefixlen;
};

struct endpoint_set {
	int ncidrs;
	struct cidr cidrs[ENDPOINT_MAX_CIDRS];
	int nports;
	uint16_t ports[ENDPOINT_MAX_PORTS];
};

/* Aegis domain suffixes: names under them are watched in DNS. */
struct domain_set {
	int n;
	char names[DOMAIN_MAX][DOMAIN_LEN];
};

/* aegis.aliyun.com, aegis.aliyuncs.com, aegis.alicdn.com */
void domains_defaults(struct domain_set *s);
/* Add a suffix: 1-4 labels of 1-63 characters. 0, or -1 with a reason. */
int domains_add(struct domain_set *s, const char *suffix, char *err, size_t errlen);
/* The watched suffix name falls under, or NULL. */
const char *domains_match(const struct domain_set *s, const char *name);

/* Defaults from the official documentation: 100.100.0.0/16, 106.11.0.0/16,
 * 100.103.0.0/16; ports 80, 443, 8080. */
void endpoints_defaults(struct endpoint_set *s);
/* Parse "a.b.c.d/n", "a.b.c.d", "x::y/n". 0, or -1 with a reason in err. */
int cidr_parse(const char *text, struct cidr *out, char *err, size_t errlen);
bool cidr_contains(const struct cidr *c, int family, const unsigned char *addr);
bool endpoints_contains(const struct endpoint_set *s, int family, const unsigned char *addr);
bool endpoints_port(const struct endpoint_set *s, uint16_t port);
/* 0.0.0.0, ::, loopback: where a hijacked name sends the agent. */
bool addr_is_sink(int family, const unsigned char *addr);
/* "100.100.1.2" or "[::1]" style text for addr (family AF_INET/AF_INET6). */
const char *addr_str(int family, const unsigned char *addr, char *buf, size_t len);

#endif
