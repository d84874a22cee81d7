/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * aegismon check: the official troubleshooting procedure, executed and
 * judged. Each check fills one result row; the runner (check.c) gives every
 * step its share of the overall deadline and prints the rows.
 */
#ifndef AEGISMON_CHECK_H
#define AEGISMON_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "endpoints.h"
#include "json.h"

enum check_status { CHECK_OK, CHECK_WARN, CHECK_FAIL, CHECK_SKIP };

#define CHECK_MAX_NAMES 4
#define CHECK_MAX_ADDRS 16
#define CHECK_TOTAL_MS 9500     /* the whole check, black-holed network included */

struct check_opts {
	const char *roots[AGENT_MAX_ROOTS];
	int nroots;
	struct endpoint_set endpoints;
	const char *servers[CHECK_MAX_NAMES]; /* --server: the names to test */
	int nservers;
	unsigned timeout_ms;                  /* per network step */
	bool json;
	bool verbose;
	bool color;
	bool metadata;                        /* ask the ECS metadata service for an EIP */
	const char *resolv_conf;
	const char *hosts;
	double cpu_threshold;                 /* % busy that fails the resources check */
	double memory_threshold;              /* % used */
};

struct check_addr {
	int family;
	uint8_t addr[16];
	char name[256];                       /* the Aegis name it came from */
	char text[64];
};

struct check_ctx {
	const struct check_opts *o;
	struct agent_env env;
	uint64_t deadline_ns;                 /* CLOCK_MONOTONIC */
	int nnames;
	char names[CHECK_MAX_NAMES][256];     /* the Aegis names tested (endpoint_choice) */
	int naddrs;
	struct check_addr addrs[CHECK_MAX_ADDRS]; /* what they resolve to (dns, hosts) */
	bool core_running[CORE_COUNT];
};

struct check_result {
	const char *name;
	enum check_status status;
	char summary[512];
	char advice[768];
	struct jw ev;                         /* the evidence object, open while the check runs */
	char evbuf[16384];
};

/* Milliseconds a step may take now: its own limit, cut by the overall deadline. */
unsigned check_budget_ms(const struct check_ctx *c, unsigned want_ms);
/* A small file's text, NUL-terminated and cut to len - 1 bytes; 0 if unreadable. */
size_t check_read_file(const char *path, char *buf, size_t len);
/* Worse of the two statuses (skip counts least). */
void check_raise(struct check_result *r, enum check_status s);

void check_agent_installed(struct check_ctx *c, struct check_result *r);
void check_processes(struct check_ctx *c, struct check_result *r);
void check_identity(struct check_ctx *c, struct check_result *r);
void check_endpoint_choice(struct check_ctx *c, struct check_result *r);
void check_dns(struct check_ctx *c, struct check_result *r);
void check_hosts_file(struct check_ctx *c, struct check_result *r);
void check_reachability(struct check_ctx *c, struct check_result *r);
void check_firewall(struct check_ctx *c, struct check_result *r);
void check_resources(struct check_ctx *c, struct check_result *r);
void check_third_party(struct check_ctx *c, struct check_result *r);
void check_clock(struct check_ctx *c, struct check_result *r);

int cmd_check(int argc, char **argv);

#endif
